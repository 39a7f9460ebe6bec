//! The wall clock of a node, and how a node finds out that its clock is off the cluster's.
//!
//! Every wall-clock read of a node goes through [`now_ms`] (token issue and expiry times,
//! SigV4's 15-minute window, TOTP steps, `aws:CurrentTime`, creation dates). Raft itself
//! never reads the wall clock (openraft's timers are monotonic), and apply never reads any
//! clock, so a wrong clock cannot break the log's safety; it can break IAM's time-based
//! promises. The worst of them is revocation: `role revoke-sessions` denies sessions whose
//! `aws:TokenIssueTime` is before a time chosen by the revoker, so a node whose clock runs
//! ahead would issue sessions that escape the revocation (found by the chaos suite's
//! `clock-skew` nemesis). Hence [`offsets`]: the leader measures every member's clock
//! against its own, members learn where they stand, and a node more than
//! `max_clock_offset_ms` from a quorum of voters refuses requests until it is back in line.
//!
//! [`now_ms`] adds a fault offset that only a test sets: `iamd serve --fault-clock-file`
//! (hidden) names a file holding a signed number of milliseconds, re-read every 100 ms; the
//! chaos suite skews one process's clock this way without privileges.

pub mod offsets;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Milliseconds added to the system clock by [`follow_fault_file`] (0 outside tests).
static FAULT_OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// How often [`follow_fault_file`] re-reads its file.
const FAULT_FILE_POLL: Duration = Duration::from_millis(100);

/// Milliseconds since the Unix epoch by this node's clock (plus the test fault offset).
pub fn now_ms() -> u64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    real.saturating_add_signed(FAULT_OFFSET_MS.load(Ordering::Relaxed))
}

/// Parses a fault file's content: a signed integer of milliseconds (blank = 0).
pub fn parse_fault_offset(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse::<i64>()
        .map_err(|_| format!("expected a signed number of milliseconds, found {t:?}"))
}

/// Reads `path` every 100 ms for the rest of the process and skews [`now_ms`] by the
/// milliseconds it holds (a missing file means no skew; an unreadable number keeps the
/// last offset and is logged once).
pub async fn follow_fault_file(path: std::path::PathBuf) {
    let mut last_error = None;
    loop {
        let offset = match tokio::fs::read_to_string(&path).await {
            Ok(text) => parse_fault_offset(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.to_string()),
        };
        match offset {
            Ok(ms) => {
                if FAULT_OFFSET_MS.swap(ms, Ordering::Relaxed) != ms {
                    tracing::warn!(offset_ms = ms, file = %path.display(), "fault clock offset set");
                }
                last_error = None;
            }
            Err(e) => {
                if last_error.as_ref() != Some(&e) {
                    tracing::error!(error = %e, file = %path.display(), "fault clock file");
                    last_error = Some(e);
                }
            }
        }
        tokio::time::sleep(FAULT_FILE_POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_file_content_is_a_signed_millisecond_count() {
        assert_eq!(parse_fault_offset(""), Ok(0));
        assert_eq!(parse_fault_offset(" 2500\n"), Ok(2500));
        assert_eq!(parse_fault_offset("-1200000"), Ok(-1_200_000));
        assert!(parse_fault_offset("2s").unwrap_err().contains("\"2s\""));
    }
}
