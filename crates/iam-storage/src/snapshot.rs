//! Snapshot files: the state's key/value pairs plus the snapshot's meta, written durably.
//!
//! Format of the snapshot data (what travels to other nodes): a `crate::records` record of
//! `Vec<(Vec<u8>, Vec<u8>)>` in key order. The file on disk is a record of [`SnapshotFile`].

use iam_raft::types::SnapshotMeta;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub(crate) type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

#[derive(Serialize, Deserialize)]
pub(crate) struct SnapshotFile {
    pub(crate) meta: SnapshotMeta,
    pub(crate) data: Vec<u8>,
}

/// Writes `body` to `path` so that after a crash the file is either the old one or the new
/// one, complete: write a temp file, fsync it, rename, fsync the directory.
pub(crate) fn write_durably(path: &Path, body: &[u8]) -> std::io::Result<()> {
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

pub(crate) fn save(path: &Path, file: &SnapshotFile) -> std::io::Result<()> {
    let bytes = crate::records::encode("a snapshot file", file)?;
    write_durably(path, &bytes)
}

pub(crate) fn load(path: &Path) -> std::io::Result<Option<SnapshotFile>> {
    match std::fs::read(path) {
        Ok(bytes) => crate::records::decode(&path.display().to_string(), &bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
