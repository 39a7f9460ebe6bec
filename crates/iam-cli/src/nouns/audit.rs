//! `iamctl audit lookup`: the event history — the account's applied changes, newest first,
//! as CloudTrail's LookupEvents lists them (iamd keeps them replicated, bounded by the
//! nodes' `--event-history-max-events` and `--event-history-days`). Each node's full audit
//! trail of every request (refusals and reads included) is in its audit file, not here.

use super::Ctx;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use iam_state::events::{EventQuery, LOOKUP_MAX};
use serde_json::Value;

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCmd {
    /// The account's changes, newest first: who (principal, access key, source address),
    /// what (action, resources), when, and the log index.
    Lookup {
        /// Only changes made by this principal (its ARN).
        #[arg(long)]
        principal: Option<String>,
        /// Only this action (`CreateUser` or `iam:CreateUser`).
        #[arg(long)]
        action: Option<String>,
        /// Only changes at or after this time: `2026-12-01T08:00:00Z`, `2026-12-01`, or a
        /// time ago: `90s`, `30m`, `12h`, `7d`.
        #[arg(long)]
        since: Option<String>,
        /// At most this many changes (1-1000).
        #[arg(long, default_value_t = 50)]
        max_results: u32,
    },
}

/// `--since`: a UTC time or date, or a duration before `now_ms`.
fn since_ms(text: &str, now_ms: u64) -> anyhow::Result<u64> {
    if let Some(ms) = iam_model::time::parse_iso8601(text) {
        return Ok(ms);
    }
    let unit = |c: char| match c {
        's' => Some(1000),
        'm' => Some(60_000),
        'h' => Some(3_600_000),
        'd' => Some(86_400_000),
        _ => None,
    };
    let ago = text
        .chars()
        .last()
        .and_then(unit)
        .and_then(|u| {
            let n: u64 = text[..text.len() - 1].parse().ok()?;
            n.checked_mul(u)
        })
        .ok_or_else(|| {
            anyhow!(
                "--since {text:?} is neither a UTC time (2026-12-01T08:00:00Z), a date (2026-12-01) nor a time ago (90s, 30m, 12h, 7d)"
            )
        })?;
    Ok(now_ms.saturating_sub(ago))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: AuditCmd) -> anyhow::Result<u8> {
    let AuditCmd::Lookup {
        principal,
        action,
        since,
        max_results,
    } = cmd;
    if max_results == 0 || max_results > LOOKUP_MAX {
        bail!("--max-results must be 1 to {LOOKUP_MAX}");
    }
    let since_ms = since
        .as_deref()
        .map(|s| since_ms(s, now_ms()))
        .transpose()?;
    let mut v = ctx
        .read(EventQuery::Lookup {
            principal,
            action,
            since_ms,
            max_results: Some(max_results),
        })
        .await?;
    // A readable time beside the milliseconds.
    if let Some(events) = v.get_mut("events").and_then(Value::as_array_mut) {
        for e in events {
            let ms = e.get("time_ms").and_then(Value::as_u64).unwrap_or(0);
            e["time"] = iam_model::time::Utc::from_ms(ms).iso8601().into();
        }
    }
    let list =
        serde_json::json!({ "items": v["events"].clone(), "truncated": v["truncated"].clone() });
    ctx.show_list(
        &list,
        &[
            "time",
            "action",
            "principal",
            "resources",
            "source_ip",
            "index",
        ],
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::since_ms;

    #[test]
    fn since_takes_times_dates_and_durations_ago() {
        let now = 1_000_000_000_000;
        assert_eq!(since_ms("30m", now).unwrap(), now - 1_800_000);
        assert_eq!(since_ms("7d", now).unwrap(), now - 7 * 86_400_000);
        assert_eq!(since_ms("1970-01-02", now).unwrap(), 86_400_000);
        assert_eq!(since_ms("1970-01-01T00:00:10Z", now).unwrap(), 10_000);
        for bad in ["", "m", "10", "10y", "yesterday", "-5m"] {
            let e = since_ms(bad, now).unwrap_err().to_string();
            assert!(e.contains("--since"), "{bad}: {e}");
        }
    }
}
