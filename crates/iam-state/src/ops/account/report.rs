//! The credential report (`report/{a}`): a CSV built deterministically from the state at the
//! log index of `GenerateCredentialReport`, in AWS's 22-column format.

use super::password_policy;
use crate::keys;
use crate::ops::access_keys::{self, AccessKey, AccessKeyStatus};
use crate::ops::login_profiles;
use crate::ops::mfa;
use crate::ops::signing_certs::{self, SigningCertificate};
use crate::store::Txn;
use iam_model::{arn, Account, User};
use serde::{Deserialize, Serialize};

/// A report is rebuilt at most this often, and expires this long after it was built.
pub const REPORT_TTL_MS: u64 = 4 * 60 * 60 * 1000;

/// AWS's header line, exactly.
pub const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,\
password_last_changed,password_next_rotation,mfa_active,access_key_1_active,\
access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,\
access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,\
cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

const NA: &str = "N/A";
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReport {
    pub account: String,
    pub generated_ms: u64,
    pub content: String,
}

/// Milliseconds since the epoch as ISO-8601 with AWS's report offset:
/// `2017-06-10T02:35:07+00:00`.
pub fn iso8601(ms: u64) -> String {
    let t = iam_model::time::Utc::from_ms(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A CSV field, quoted when it holds a comma, quote or line break (user names may hold
/// commas).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn flag(b: bool) -> String {
    b.to_string()
}

/// The five columns of one access key slot.
fn key_columns(key: Option<&AccessKey>) -> [String; 5] {
    match key {
        None => [flag(false), NA.into(), NA.into(), NA.into(), NA.into()],
        Some(k) => {
            let (date, region, service) = match &k.last_used {
                None => (NA.to_owned(), NA.to_owned(), NA.to_owned()),
                Some(u) => (iso8601(u.time_ms), u.region.clone(), u.service.clone()),
            };
            [
                flag(k.status == AccessKeyStatus::Active),
                iso8601(k.created_ms),
                date,
                region,
                service,
            ]
        }
    }
}

/// The two columns of one signing certificate slot.
fn cert_columns(cert: Option<&SigningCertificate>) -> [String; 2] {
    match cert {
        None => [flag(false), NA.into()],
        Some(c) => [
            flag(c.status == AccessKeyStatus::Active),
            iso8601(c.upload_ms),
        ],
    }
}

fn root_row(txn: &Txn<'_>, account: &Account) -> Vec<String> {
    let root_keys = access_keys::user_keys(txn, &account.id, access_keys::ROOT);
    let mut row = vec![
        "<root_account>".to_owned(),
        arn::root_arn(&account.id),
        iso8601(account.created_ms),
        "not_supported".into(),
        "no_information".into(),
        "not_supported".into(),
        "not_supported".into(),
        flag(!mfa::enabled_serials(txn, &account.id, mfa::ROOT).is_empty()),
    ];
    row.extend(key_columns(root_keys.first()));
    row.extend(key_columns(root_keys.get(1)));
    row.extend([flag(false), NA.into(), flag(false), NA.into()]);
    row
}

fn user_row(txn: &Txn<'_>, user: &User, max_age_days: u32) -> Vec<String> {
    let a = user.account.as_str();
    let login = login_profiles::load(txn, a, &user.name);
    let (enabled, last_used, changed, next) = match &login {
        None => (false, NA.to_owned(), NA.to_owned(), NA.to_owned()),
        Some(p) => (
            true,
            p.password_last_used_ms
                .map_or_else(|| "no_information".to_owned(), iso8601),
            iso8601(p.password_last_changed_ms),
            if max_age_days > 0 {
                let at = p
                    .password_last_changed_ms
                    .saturating_add(u64::from(max_age_days).saturating_mul(DAY_MS));
                iso8601(at)
            } else {
                NA.to_owned()
            },
        ),
    };
    let mfa_active = !txn
        .scan(&keys::user_mfa_prefix(a, &user.name), None, 1)
        .is_empty();
    let user_keys = access_keys::user_keys(txn, a, &user.name);
    let mut row = vec![
        user.name.clone(),
        user.arn.clone(),
        iso8601(user.created_ms),
        flag(enabled),
        last_used,
        changed,
        next,
        flag(mfa_active),
    ];
    row.extend(key_columns(user_keys.first()));
    row.extend(key_columns(user_keys.get(1)));
    // Signing certificates, in upload order (none before release 5).
    let certs = signing_certs::user_certs(txn, a, &user.name);
    row.extend(cert_columns(certs.first()));
    row.extend(cert_columns(certs.get(1)));
    row
}

/// Builds the report CSV from the state `txn` sees: header, the root row, then every user
/// ordered by lowercased name.
pub fn build(txn: &Txn<'_>, account: &Account) -> String {
    let max_age = password_policy::load(txn, &account.id).map_or(0, |p| p.max_password_age);
    let mut lines = vec![HEADER.to_owned()];
    let mut push = |row: Vec<String>| {
        lines.push(row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
    };
    push(root_row(txn, account));
    for (_, v) in txn.scan_all(&keys::user_prefix(&account.id)) {
        if let Ok(user) = serde_json::from_slice::<User>(&v) {
            push(user_row(txn, &user, max_age));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_match_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(1_497_062_107_000), "2017-06-10T02:35:07+00:00");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00+00:00");
        assert_eq!(iso8601(4_107_542_399_999), "2100-02-28T23:59:59+00:00");
    }

    #[test]
    fn header_has_22_columns() {
        assert_eq!(HEADER.split(',').count(), 22);
        assert!(!HEADER.contains(' '));
    }

    #[test]
    fn fields_with_commas_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("plain"), "plain");
    }
}
