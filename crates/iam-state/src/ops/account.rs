//! Account-wide settings: alias, password policy, summary, credential report.

pub mod authorization_details;
pub mod password_policy;
pub mod report;

use super::limits::{self, Counter, QuotaKind};
use super::paging::{vec_page, PageRequest};
use super::{to_json, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{StateRead, Txn};
use iam_model::limits as fixed;
use iam_model::{Account, ErrorCode, IamError, IamResult};
use password_policy::PasswordPolicyInput;
use report::{CredentialReport, REPORT_TTL_MS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountOp {
    /// `CreateAccountAlias` (one per account, unique across accounts).
    CreateAlias { alias: String },
    /// `DeleteAccountAlias`.
    DeleteAlias { alias: String },
    /// `UpdateAccountPasswordPolicy`: replaces the whole policy.
    UpdatePasswordPolicy {
        #[serde(default)]
        policy: PasswordPolicyInput,
    },
    /// `DeleteAccountPasswordPolicy`.
    DeletePasswordPolicy {},
    /// `GenerateCredentialReport`.
    GenerateCredentialReport {},
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountQuery {
    /// `ListAccountAliases`.
    ListAliases {
        #[serde(default)]
        page: PageRequest,
    },
    /// `GetAccountPasswordPolicy`.
    GetPasswordPolicy {},
    /// `GetAccountSummary`.
    GetSummary {},
    /// `GetCredentialReport`: `now_ms` decides whether the report has expired.
    GetCredentialReport { now_ms: u64 },
    /// `GetAccountAuthorizationDetails` (see [`authorization_details`]).
    GetAuthorizationDetails {
        #[serde(default)]
        filter: Vec<super::policies::EntityFilter>,
        #[serde(default)]
        page: PageRequest,
    },
}

impl AccountOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateAlias { .. } => "CreateAccountAlias",
            Self::DeleteAlias { .. } => "DeleteAccountAlias",
            Self::UpdatePasswordPolicy { .. } => "UpdateAccountPasswordPolicy",
            Self::DeletePasswordPolicy { .. } => "DeleteAccountPasswordPolicy",
            Self::GenerateCredentialReport { .. } => "GenerateCredentialReport",
        }
    }

    pub(crate) fn prepare(&mut self, _env: &mut dyn Env) {}
}

impl AccountQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListAliases { .. } => "ListAccountAliases",
            Self::GetPasswordPolicy { .. } => "GetAccountPasswordPolicy",
            Self::GetSummary { .. } => "GetAccountSummary",
            Self::GetCredentialReport { .. } => "GetCredentialReport",
            Self::GetAuthorizationDetails { .. } => "GetAccountAuthorizationDetails",
        }
    }
}

/// `GenerateCredentialReport`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportState {
    /// `STARTED` when this call built a new report, `COMPLETE` when a recent one exists.
    pub state: String,
    pub description: String,
}

/// `GetCredentialReport`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    /// The CSV text (the API base64-encodes it on the wire).
    pub content: String,
    pub report_format: String,
    pub generated_ms: u64,
    /// `generated_ms` as ISO-8601.
    pub generated_time: String,
}

/// The account a sign-in names: its 12-digit id or its alias (as the console's sign-in page
/// takes either).
pub fn resolve(txn: &Txn<'_>, id_or_alias: &str) -> Option<String> {
    let id_or_alias = id_or_alias.trim();
    if txn.exists(&keys::account(id_or_alias)) {
        return Some(id_or_alias.to_owned());
    }
    let id = txn.get(&keys::alias(&id_or_alias.to_ascii_lowercase()))?;
    String::from_utf8(id).ok()
}

/// Account alias rule: 3–63 of `[a-z0-9-]`, starting and ending with a letter or digit, no
/// `--`, and not a 12-digit number.
pub fn validate_alias(alias: &str) -> IamResult<()> {
    let b = alias.as_bytes();
    let ok_char = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=63).contains(&b.len())
        && b.iter().all(|c| ok_char(c) || *c == b'-')
        && b.first().is_some_and(ok_char)
        && b.last().is_some_and(ok_char)
        && !alias.contains("--");
    if !ok {
        return Err(IamError::validation(
            "accountAlias",
            alias,
            "Member must have length between 3 and 63 and satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
        ));
    }
    if b.len() == fixed::ACCOUNT_ID_LEN && b.iter().all(u8::is_ascii_digit) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!("The account alias {alias} cannot be a 12-digit number."),
        ));
    }
    Ok(())
}

fn load_account(txn: &Txn<'_>, id: &str) -> IamResult<Account> {
    txn.get_json(&keys::account(id)).ok_or_else(|| {
        IamError::new(
            ErrorCode::NoSuchEntity,
            format!("The account {id} cannot be found."),
        )
    })
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &AccountOp) -> IamResult<Outcome> {
    let a = cx.account;
    match op {
        AccountOp::CreateAlias { alias } => {
            validate_alias(alias)?;
            if cx.txn.exists(&keys::alias(alias)) {
                return Err(IamError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("The account alias {alias} already exists."),
                ));
            }
            let mut account = load_account(cx.txn, a)?;
            if account.alias.is_some() {
                return Err(IamError::quota("AccountAliasesPerAccount", 1));
            }
            account.alias = Some(alias.clone());
            cx.txn.put(keys::alias(alias), a.as_bytes().to_vec());
            cx.txn.put_json(keys::account(a), &account);
            Ok(Outcome::Nothing)
        }
        AccountOp::DeleteAlias { alias } => {
            let mut account = load_account(cx.txn, a)?;
            if account.alias.as_deref() != Some(alias.as_str()) {
                return Err(IamError::new(
                    ErrorCode::NoSuchEntity,
                    format!("The account alias {alias} cannot be found."),
                ));
            }
            account.alias = None;
            cx.txn.delete(keys::alias(alias));
            cx.txn.put_json(keys::account(a), &account);
            Ok(Outcome::Deleted)
        }
        AccountOp::UpdatePasswordPolicy { policy } => {
            let policy = policy.to_policy()?;
            cx.txn.put_json(keys::password_policy(a), &policy);
            Ok(Outcome::Nothing)
        }
        AccountOp::DeletePasswordPolicy {} => {
            if password_policy::load(cx.txn, a).is_none() {
                return Err(password_policy::no_policy(a));
            }
            cx.txn.delete(keys::password_policy(a));
            Ok(Outcome::Deleted)
        }
        AccountOp::GenerateCredentialReport {} => {
            let key = keys::credential_report(a);
            if let Some(old) = cx.txn.get_json::<CredentialReport>(&key) {
                if cx.time_ms.saturating_sub(old.generated_ms) < REPORT_TTL_MS {
                    return Ok(Outcome::record(&ReportState {
                        state: "COMPLETE".into(),
                        description: "The credential report is ready.".into(),
                    }));
                }
            }
            let account = load_account(cx.txn, a)?;
            let content = report::build(cx.txn, &account);
            let rep = CredentialReport {
                account: a.to_owned(),
                generated_ms: cx.time_ms,
                content,
            };
            cx.txn.put_json(key, &rep);
            Ok(Outcome::record(&ReportState {
                state: "STARTED".into(),
                description: "No report exists. Starting a new report generation task".into(),
            }))
        }
    }
}

/// Every `SummaryMap` key of `GetAccountSummary`, as integers.
pub fn summary(txn: &Txn<'_>, a: &str) -> BTreeMap<&'static str, u64> {
    let c = |counter| limits::count(txn, a, counter);
    let q = |kind| limits::quota(txn, a, kind);
    let n = |v: usize| v as u64;
    BTreeMap::from([
        ("Users", c(Counter::Users)),
        ("UsersQuota", q(QuotaKind::Users)),
        ("Groups", c(Counter::Groups)),
        ("GroupsQuota", q(QuotaKind::Groups)),
        ("Roles", c(Counter::Roles)),
        ("RolesQuota", q(QuotaKind::Roles)),
        ("Policies", c(Counter::Policies)),
        ("PoliciesQuota", q(QuotaKind::Policies)),
        ("InstanceProfiles", c(Counter::InstanceProfiles)),
        ("InstanceProfilesQuota", q(QuotaKind::InstanceProfiles)),
        ("ServerCertificates", c(Counter::ServerCertificates)),
        (
            "ServerCertificatesQuota",
            fixed::SERVER_CERTIFICATES_PER_ACCOUNT_MAX,
        ),
        ("MFADevices", c(Counter::MfaDevices)),
        ("MFADevicesInUse", c(Counter::MfaDevicesInUse)),
        ("Providers", c(Counter::OidcProviders)),
        ("PolicyVersionsInUse", c(Counter::PolicyVersions)),
        ("PolicyVersionsInUseQuota", 10_000),
        ("VersionsPerPolicyQuota", n(fixed::POLICY_VERSIONS_MAX)),
        ("PolicySizeQuota", n(iam_policy::MANAGED_POLICY_SIZE_MAX)),
        ("UserPolicySizeQuota", n(iam_policy::USER_INLINE_SIZE_MAX)),
        ("GroupPolicySizeQuota", n(iam_policy::GROUP_INLINE_SIZE_MAX)),
        ("RolePolicySizeQuota", n(iam_policy::ROLE_INLINE_SIZE_MAX)),
        (
            "AssumeRolePolicySizeQuota",
            q(QuotaKind::AssumeRolePolicySize),
        ),
        ("GroupsPerUserQuota", n(fixed::GROUPS_PER_USER_MAX)),
        (
            "AttachedPoliciesPerUserQuota",
            q(QuotaKind::AttachedPoliciesPerUser),
        ),
        (
            "AttachedPoliciesPerGroupQuota",
            n(fixed::ATTACHED_POLICIES_PER_GROUP_MAX),
        ),
        (
            "AttachedPoliciesPerRoleQuota",
            q(QuotaKind::AttachedPoliciesPerRole),
        ),
        ("AccessKeysPerUserQuota", n(fixed::ACCESS_KEYS_PER_USER_MAX)),
        (
            "SigningCertificatesPerUserQuota",
            n(fixed::SIGNING_CERTIFICATES_PER_USER_MAX),
        ),
        (
            "AccountMFAEnabled",
            u64::from(!super::mfa::enabled_serials(txn, a, super::mfa::ROOT).is_empty()),
        ),
        (
            "AccountAccessKeysPresent",
            u64::from(
                !txn.scan(
                    &crate::keys::user_keys_prefix(a, super::access_keys::ROOT),
                    None,
                    1,
                )
                .is_empty(),
            ),
        ),
        ("AccountPasswordPresent", 0),
        ("AccountSigningCertificatesPresent", 0),
        ("GlobalEndpointTokenVersion", 1),
    ])
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &AccountQuery,
) -> IamResult<serde_json::Value> {
    let txn = Txn::new(state);
    match q {
        AccountQuery::ListAliases { page } => {
            let acct = load_account(&txn, account)?;
            let items = acct.alias.into_iter().map(|a| (a.clone(), a)).collect();
            Ok(to_json(&vec_page(items, page)?))
        }
        AccountQuery::GetPasswordPolicy {} => {
            let p = password_policy::load(&txn, account)
                .ok_or_else(|| password_policy::no_policy(account))?;
            Ok(to_json(&p.view()))
        }
        AccountQuery::GetSummary {} => Ok(to_json(&summary(&txn, account))),
        AccountQuery::GetAuthorizationDetails { filter, page } => Ok(to_json(
            &authorization_details::query(state, account, filter, page)?,
        )),
        AccountQuery::GetCredentialReport { now_ms } => {
            let rep: CredentialReport = txn
                .get_json(&keys::credential_report(account))
                .ok_or_else(|| {
                    IamError::new(
                        ErrorCode::ReportNotPresent,
                        "The credential report does not exist. To generate a credential report, use GenerateCredentialReport.",
                    )
                })?;
            if now_ms.saturating_sub(rep.generated_ms) >= REPORT_TTL_MS {
                return Err(IamError::new(
                    ErrorCode::ReportExpired,
                    "The most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.",
                ));
            }
            Ok(to_json(&ReportView {
                content: rep.content,
                report_format: "text/csv".into(),
                generated_ms: rep.generated_ms,
                generated_time: report::iso8601(rep.generated_ms),
            }))
        }
    }
}
