//! `iamctl credential-report [--unused-for 90d]`: generates the account's credential report
//! (or reuses one younger than 4 hours), fetches it, and prints the CSV, or lists the users
//! whose enabled password or active access keys were not used for that long (a credential
//! never used counts as unused since it was created or last rotated).

use super::Ctx;
use crate::output;
use crate::output::OutputFormat;
use anyhow::{anyhow, Context};
use clap::Args;
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::ops::account::{AccountOp, AccountQuery};
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// List credentials unused for at least this long instead of printing the CSV:
    /// a number with a unit, d (days), h, m or s, e.g. 90d.
    #[arg(long, value_parser = parse_duration_ms)]
    unused_for: Option<u64>,
}

/// `90d`, `12h`, `30m`, `45s` in milliseconds.
fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let err = || format!("{s:?} is not a duration like 90d, 12h, 30m or 45s");
    let unit_at = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let (n, unit) = s.split_at(unit_at);
    let n: u64 = n.parse().map_err(|_| err())?;
    let ms = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1000,
        _ => return Err(err()),
    };
    n.checked_mul(ms).ok_or_else(err)
}

/// Splits one CSV line (fields may be quoted, with `""` for a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// `2017-06-10T02:35:07+00:00` (or `...Z`) as milliseconds since the epoch.
fn parse_iso_ms(s: &str) -> Option<u64> {
    s.contains('T')
        .then(|| iam_model::time::parse_iso8601(s))
        .flatten()
}

/// One credential that was not used for long enough.
#[derive(Debug, PartialEq, Eq)]
struct Unused {
    user: String,
    credential: &'static str,
    /// The last use, or `None` when never used.
    last_used: Option<String>,
    unused_days: u64,
}

/// The credentials in `csv` unused for at least `min_ms` at `now_ms`. Only enabled
/// passwords and active keys count; a never-used one is unused since it was set
/// (`password_last_changed`, `access_key_N_last_rotated`).
fn unused(csv: &str, now_ms: u64, min_ms: u64) -> anyhow::Result<Vec<Unused>> {
    let mut lines = csv.lines();
    let header = csv_fields(lines.next().ok_or_else(|| anyhow!("the report is empty"))?);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| anyhow!("the report has no {name} column"))
    };
    let user = col("user")?;
    let creds: [(&'static str, usize, usize, usize); 3] = [
        (
            "password",
            col("password_enabled")?,
            col("password_last_used")?,
            col("password_last_changed")?,
        ),
        (
            "access_key_1",
            col("access_key_1_active")?,
            col("access_key_1_last_used_date")?,
            col("access_key_1_last_rotated")?,
        ),
        (
            "access_key_2",
            col("access_key_2_active")?,
            col("access_key_2_last_used_date")?,
            col("access_key_2_last_rotated")?,
        ),
    ];
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let row = csv_fields(line);
        let get = |i: usize| row.get(i).map(String::as_str).unwrap_or("");
        if get(user) == "<root_account>" {
            continue;
        }
        for (credential, enabled, last_used, since) in creds {
            if get(enabled) != "true" {
                continue;
            }
            let used = parse_iso_ms(get(last_used));
            let Some(from) = used.or_else(|| parse_iso_ms(get(since))) else {
                continue;
            };
            let idle = now_ms.saturating_sub(from);
            if idle >= min_ms {
                out.push(Unused {
                    user: get(user).to_owned(),
                    credential,
                    last_used: used.map(|_| get(last_used).to_owned()),
                    unused_days: idle / 86_400_000,
                });
            }
        }
    }
    Ok(out)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) async fn run(ctx: &mut Ctx, args: ReportArgs) -> anyhow::Result<u8> {
    let generated = ctx
        .write(AccountOp::GenerateCredentialReport {})
        .await
        .context("GenerateCredentialReport")?;
    // Read what the write produced even from a follower that is catching up.
    if ctx.read.consistency == Consistency::Local as i32 {
        if let Some(index) = generated.get("log_index").and_then(Value::as_u64) {
            ctx.read = ReadOptions {
                consistency: Consistency::AtLeast as i32,
                at_least_index: index,
            };
        }
    }
    let now = now_ms();
    let report = ctx
        .read(AccountQuery::GetCredentialReport { now_ms: now })
        .await
        .context("GetCredentialReport")?;
    let content = report
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("the report reply has no content"))?;
    let Some(min_ms) = args.unused_for else {
        match ctx.output {
            OutputFormat::Json => output::print(ctx.output, &[], &[], &report),
            OutputFormat::Table => output::print_text(content),
        }
        return Ok(0);
    };
    let found = unused(content, now, min_ms)?;
    if found.is_empty() && ctx.output == OutputFormat::Table {
        output::note("no credential is unused for that long");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|u| {
            vec![
                u.user.clone(),
                u.credential.to_owned(),
                u.last_used.clone().unwrap_or_else(|| "never".into()),
                u.unused_days.to_string(),
            ]
        })
        .collect();
    let items: Vec<Value> = found
        .iter()
        .map(|u| {
            json!({
                "user": u.user, "credential": u.credential,
                "last_used": u.last_used, "unused_days": u.unused_days,
            })
        })
        .collect();
    let generated_time = report.get("generated_time").cloned().unwrap_or(Value::Null);
    output::print(
        ctx.output,
        &["USER", "CREDENTIAL", "LAST_USED", "UNUSED_DAYS"],
        &rows,
        &json!({ "unused_for_ms": min_ms, "generated_time": generated_time, "items": items }),
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration_ms("90d"), Ok(90 * DAY));
        assert_eq!(parse_duration_ms("12h"), Ok(12 * 3_600_000));
        assert_eq!(parse_duration_ms("45s"), Ok(45_000));
        assert!(parse_duration_ms("90").is_err());
        assert!(parse_duration_ms("d").is_err());
        assert!(parse_duration_ms("9x").is_err());
        assert!(parse_duration_ms("-1d").is_err());
    }

    #[test]
    fn iso_times_and_csv_fields_parse() {
        assert_eq!(parse_iso_ms("1970-01-01T00:00:00+00:00"), Some(0));
        assert_eq!(
            parse_iso_ms("2017-06-10T02:35:07+00:00"),
            Some(1_497_062_107_000)
        );
        assert_eq!(parse_iso_ms("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(parse_iso_ms("N/A"), None);
        assert_eq!(parse_iso_ms("no_information"), None);
        assert_eq!(
            csv_fields("a,\"b,c\",\"d\"\"e\","),
            ["a", "b,c", "d\"e", ""]
        );
    }

    #[test]
    fn unused_credentials_are_listed() {
        let header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
        let t = |day: u64| {
            match day {
                0 => "2024-01-01T00:00:00+00:00",
                90 => "2024-03-31T00:00:00+00:00",
                100 => "2024-04-10T00:00:00+00:00",
                120 => "2024-04-30T00:00:00+00:00",
                _ => unreachable!(),
            }
            .to_owned()
        };
        assert_eq!(
            parse_iso_ms(&t(120)).unwrap() - parse_iso_ms(&t(0)).unwrap(),
            120 * DAY
        );
        let csv = [
            header.to_owned(),
            format!("<root_account>,arn:aws:iam::1:root,{},not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", t(0)),
            // Password never used since day 0; key 1 used on day 100; key 2 inactive.
            format!("alice,arn,{0},true,no_information,{0},N/A,false,true,{0},{1},us-east-1,s3,false,{0},N/A,N/A,N/A,false,N/A,false,N/A", t(0), t(100)),
            // No password; key 1 never used, created on day 90.
            format!("\"b,ob\",arn,{0},false,N/A,N/A,N/A,false,true,{1},N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", t(0), t(90)),
        ]
        .join("\n");
        let now = parse_iso_ms(&t(120)).unwrap();
        let found = unused(&csv, now, 31 * DAY).unwrap();
        assert_eq!(
            found,
            [Unused {
                user: "alice".into(),
                credential: "password",
                last_used: None,
                unused_days: 120,
            }]
        );
        let found = unused(&csv, now, 10 * DAY).unwrap();
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|u| (u.user.as_str(), u.credential))
            .collect();
        assert_eq!(
            got,
            [
                ("alice", "password"),
                ("alice", "access_key_1"),
                ("b,ob", "access_key_1")
            ]
        );
        assert_eq!(found[1].last_used.as_deref(), Some(t(100).as_str()));
        assert!(unused("", now, DAY).is_err());
    }
}
