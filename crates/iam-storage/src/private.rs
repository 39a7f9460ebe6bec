//! A data directory is readable by its owner alone: it holds the Raft log, the state and
//! snapshots (sealed secrets, but also every name, policy and tag), `node.json` and, on a
//! bootstrapped node without `--secret-key-file`, the cluster key itself. [`secure_dir`]
//! creates it `0700`, or narrows an existing one (and anything inside that others could
//! read or write) and says so. The `iamd` binary also sets its umask to `0077`, so every
//! file RocksDB and iamd create inside is `0600`.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

/// Bits that give the group or others any access.
const OTHERS: u32 = 0o077;

/// Creates `dir` (and missing parents) with mode `0700`; for an existing one, removes
/// group and other access from it and from everything inside (one warning listing how
/// many entries were narrowed).
pub(crate) fn secure_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut narrowed = Vec::new();
    narrow(dir, &mut narrowed)?;
    if !narrowed.is_empty() {
        tracing::warn!(
            dir = %dir.display(),
            entries = narrowed.len(),
            first = %narrowed[0],
            "the data directory was readable or writable by other users; removed their access (mode 0700 for directories, 0600-like for files)"
        );
    }
    Ok(())
}

fn narrow(path: &Path, narrowed: &mut Vec<String>) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & OTHERS != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !OTHERS))?;
        narrowed.push(format!("{} (was {mode:o})", path.display()));
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            narrow(&entry?.path(), narrowed)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn new_dirs_are_private_and_wide_ones_are_narrowed() {
        let t = tempfile::tempdir().unwrap();
        let fresh = t.path().join("a/b");
        secure_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        assert_eq!(mode(&t.path().join("a")), 0o700);

        let old = t.path().join("old");
        std::fs::create_dir_all(old.join("journal")).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(old.join("journal"), std::fs::Permissions::from_mode(0o775))
            .unwrap();
        std::fs::write(old.join("node.json"), "{}").unwrap();
        std::fs::set_permissions(
            old.join("node.json"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::write(old.join("journal/0001"), "x").unwrap();
        std::fs::set_permissions(
            old.join("journal/0001"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        secure_dir(&old).unwrap();
        assert_eq!(mode(&old), 0o700);
        assert_eq!(mode(&old.join("journal")), 0o700);
        assert_eq!(mode(&old.join("node.json")), 0o600);
        assert_eq!(mode(&old.join("journal/0001")), 0o600);
    }
}
