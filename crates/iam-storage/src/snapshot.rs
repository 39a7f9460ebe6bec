//! Snapshot files: the state's key/value pairs plus the snapshot's meta, written durably.
//!
//! Format of the snapshot data (what travels to other nodes): a `crate::records` record of
//! `Vec<(Vec<u8>, Vec<u8>)>` in key order. The file on disk is a record of [`SnapshotFile`].

use iam_raft::types::{LogId, SnapshotMeta};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(crate) type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

#[derive(Serialize, Deserialize)]
pub(crate) struct SnapshotFile {
    pub(crate) meta: SnapshotMeta,
    pub(crate) data: Vec<u8>,
}

/// Writes `body` to `path` so that after a crash the file is either the old one or the new
/// one, complete: write a temp file, fsync it, rename, fsync the directory.
pub fn write_durably(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        // Owner only, whatever the umask: node.json and snapshots of the state.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The newest snapshot saved to each path by this process. A snapshot build (on openraft's
/// builder task) and a snapshot install (on the state machine's worker) may finish at the
/// same time: their saves are serialized (they share the temp file), and the older of the
/// two never replaces the newer (the chaos smoke caught a build and an install racing on
/// the temp file, the loser's rename failing with ENOENT, which stopped the node's Raft).
static SAVED: Mutex<BTreeMap<PathBuf, Option<LogId>>> = Mutex::new(BTreeMap::new());

pub(crate) fn save(path: &Path, file: &SnapshotFile) -> std::io::Result<()> {
    let bytes = crate::records::encode("a snapshot file", file)?;
    let mut saved = SAVED.lock().unwrap_or_else(|p| p.into_inner());
    let newest = saved.get(path).copied().flatten();
    if newest.is_some() && newest > file.meta.last_log_id {
        return Ok(());
    }
    write_durably(path, &bytes)?;
    saved.insert(path.to_path_buf(), file.meta.last_log_id);
    Ok(())
}

pub(crate) fn load(path: &Path) -> std::io::Result<Option<SnapshotFile>> {
    match std::fs::read(path) {
        Ok(bytes) => crate::records::decode(&path.display().to_string(), &bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iam_raft::types::LeaderId;
    use openraft::vote::RaftLeaderId;

    fn file(index: u64) -> SnapshotFile {
        SnapshotFile {
            meta: SnapshotMeta {
                last_log_id: Some(LogId::new(LeaderId::new(1, 1), index)),
                last_membership: Default::default(),
            },
            data: vec![index as u8; 64 * 1024],
        }
    }

    #[test]
    fn racing_saves_all_succeed_and_the_newest_snapshot_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.bin");
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let path = &path;
                s.spawn(move || {
                    for round in 0..25u64 {
                        // Thread 0 saves the newest index last, the others older ones.
                        let index = if t == 0 { 100 + round } else { round };
                        save(path, &file(index)).expect("no save fails");
                    }
                });
            }
        });
        let kept = load(&path).unwrap().expect("a snapshot");
        assert_eq!(kept.meta.last_log_id.map(|l| l.index), Some(124));
        // An older snapshot saved later does not replace it.
        save(&path, &file(3)).unwrap();
        let kept = load(&path).unwrap().expect("a snapshot");
        assert_eq!(kept.meta.last_log_id.map(|l| l.index), Some(124));
        assert!(!path.with_extension("tmp").exists());
    }
}
