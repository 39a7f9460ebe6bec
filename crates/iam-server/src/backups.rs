//! Scheduled backups (`--snapshot-interval`, `--snapshot-retain`, `--snapshot-dir`): every
//! interval the node writes a backup of its state, in the format of `iamctl snapshot save`
//! (so `iamctl snapshot status` checks it and `--restore-from` / `iamctl snapshot restore`
//! take it), into the directory, durably (temp file, fsync, rename, fsync of the directory),
//! owner-only, and keeps the newest `retain` files it wrote. A backup is one consistent
//! RocksDB snapshot of this node's state at its applied index (the header records it); an
//! interval in which nothing was applied writes no new file. Figures for alerting:
//! `iamd_backup_last_success_timestamp_seconds`, `iamd_backup_last_index`,
//! `iamd_backup_failures_total`.

use iam_storage::StateView;
use std::fmt::Write as _;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What `--snapshot-*` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub interval: Duration,
    pub retain: usize,
    pub dir: PathBuf,
}

const PREFIX: &str = "iamd-backup-";
const SUFFIX: &str = ".snap";

static LAST_SUCCESS_MS: AtomicU64 = AtomicU64::new(0);
static LAST_INDEX: AtomicU64 = AtomicU64::new(0);
static FAILURES: AtomicU64 = AtomicU64::new(0);

/// A backup file's bytes: this node's state at one consistent point (its applied index).
pub(crate) fn backup_bytes(view: &StateView, cluster_id: &str, node_id: u64) -> Vec<u8> {
    view.consistent(|state, applied| {
        let mut pairs = Vec::new();
        state.for_each(&mut |k, v| pairs.push((k.to_vec(), v.to_vec())));
        iam_state::backup::encode(
            iam_state::backup::Header {
                cluster_id: cluster_id.to_owned(),
                node_id,
                index: applied,
                created_ms: crate::now_ms(),
                iamd_version: env!("CARGO_PKG_VERSION").into(),
                pairs: 0,
                counts: Default::default(),
            },
            &pairs,
        )
    })
}

/// Takes a backup every interval until the process ends.
pub(crate) async fn run(view: StateView, cluster_id: String, node_id: u64, schedule: Schedule) {
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + schedule.interval,
        schedule.interval,
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<u64> = None;
    loop {
        tick.tick().await;
        let (view, cluster_id, s) = (view.clone(), cluster_id.clone(), schedule.clone());
        let taken =
            tokio::task::spawn_blocking(move || take(&view, &cluster_id, node_id, &s, last)).await;
        match taken {
            Ok(Ok((index, Some(path)))) => {
                last = Some(index);
                tracing::info!(file = %path.display(), index, "backup written");
            }
            Ok(Ok((_, None))) => {}
            Ok(Err(e)) => {
                FAILURES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(dir = %schedule.dir.display(), error = %e, "scheduled backup failed");
            }
            Err(e) => {
                FAILURES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "scheduled backup failed");
            }
        }
    }
}

/// One scheduled backup: its index and the file written, or no file when the last one
/// this schedule wrote (at index `last`) is still there and the node applied nothing since.
fn take(
    view: &StateView,
    cluster_id: &str,
    node_id: u64,
    s: &Schedule,
    last: Option<u64>,
) -> std::io::Result<(u64, Option<PathBuf>)> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&s.dir)?;
    let applied = view.consistent(|_, applied| applied);
    let newest = kept_files(&s.dir)?.pop();
    let current = |p: &PathBuf| {
        p.to_string_lossy()
            .ends_with(&format!("-{applied:012}{SUFFIX}"))
    };
    if last == Some(applied) && newest.as_ref().is_some_and(current) {
        LAST_SUCCESS_MS.store(crate::now_ms(), Ordering::Relaxed);
        return Ok((applied, None));
    }
    let bytes = backup_bytes(view, cluster_id, node_id);
    let header = iam_state::backup::header(&bytes)
        .map_err(|e| std::io::Error::other(format!("the backup just made is unreadable: {e}")))?;
    let name = format!(
        "{PREFIX}{:013}-{:012}{SUFFIX}",
        header.created_ms, header.index
    );
    let path = s.dir.join(&name);
    iam_storage::write_durably(&path, &bytes)?;
    LAST_INDEX.store(header.index, Ordering::Relaxed);
    LAST_SUCCESS_MS.store(crate::now_ms(), Ordering::Relaxed);
    let mut kept = kept_files(&s.dir)?;
    while kept.len() > s.retain {
        let oldest = kept.remove(0);
        std::fs::remove_file(&oldest)?;
    }
    Ok((header.index, Some(path)))
}

/// The backup files this schedule wrote into `dir`, oldest first (names sort by time).
fn kept_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(PREFIX) && name.ends_with(SUFFIX)
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

pub(crate) fn render(out: &mut String) {
    let seconds = LAST_SUCCESS_MS.load(Ordering::Relaxed) as f64 / 1000.0;
    let _ = writeln!(
        out,
        "# HELP iamd_backup_last_success_timestamp_seconds When the last scheduled backup succeeded (0: none yet or not scheduled).\n# TYPE iamd_backup_last_success_timestamp_seconds gauge\niamd_backup_last_success_timestamp_seconds {seconds}"
    );
    let _ = writeln!(
        out,
        "# HELP iamd_backup_last_index The applied index of the newest scheduled backup.\n# TYPE iamd_backup_last_index gauge\niamd_backup_last_index {}",
        LAST_INDEX.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP iamd_backup_failures_total Scheduled backups that failed.\n# TYPE iamd_backup_failures_total counter\niamd_backup_failures_total {}",
        FAILURES.load(Ordering::Relaxed)
    );
}

/// A duration such as `90`, `90s`, `15m`, `1h`, `1d` (seconds without a unit).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 30m, 1h, 3600)"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    n.checked_mul(unit_secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_with_and_without_units() {
        assert_eq!(parse_interval("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_interval("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "m", "5x", "-1", "1.5h", "99999999999999999999d"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
