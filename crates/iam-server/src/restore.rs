//! A new cluster from a backup file (`iamd serve --bootstrap --restore-from FILE`): the file
//! is read and verified before anything is created (a damaged file, or one whose secrets
//! this node's cluster key cannot open, is refused and nothing changes); the node then
//! creates a cluster with a new id and, as its first write, replaces the empty state with
//! the backup's (`Command::RestoreState`), which every member applies alike. The same
//! command restores a backup into a running cluster (`iamctl snapshot restore`, the
//! `RestoreSnapshot` call: `cluster_admin.rs`).

use crate::api::ApiState;
use anyhow::{anyhow, bail, Context};
use iam_auth::secret_box::SecretBox;
use iam_state::backup::{self, Header};
use iam_state::{Command, MemStore};
use std::path::Path;
use std::time::Duration;

/// The largest backup this version restores: the whole state travels as one log entry,
/// which must fit a peer message (64 MiB) with room to spare.
pub(crate) const RESTORE_BYTES_MAX: u64 = 48 << 20;

/// The largest backup a follower restores (it forwards the write to the leader, and
/// forwarded writes are bounded at 16 MiB); larger ones go to the leader.
pub(crate) const FORWARDED_RESTORE_MAX: usize = 12 << 20;

/// A verified backup, ready to restore.
pub(crate) struct Backup {
    pub(crate) header: Header,
    pub(crate) pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Reads and verifies `path`: its checksum and format, and that `secrets` (this node's
/// cluster key) opens the secrets it holds.
pub(crate) fn load(path: &Path, secrets: &SecretBox) -> anyhow::Result<Backup> {
    let what = || format!("--restore-from {}", path.display());
    let len = std::fs::metadata(path)
        .with_context(|| format!("{}: cannot read the file", what()))?
        .len();
    if len > RESTORE_BYTES_MAX {
        bail!(
            "{}: {len} bytes is more than this version restores ({RESTORE_BYTES_MAX} bytes)",
            what()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read the file", what()))?;
    verify(&bytes, secrets).map_err(|e| anyhow!("{}: {e}", what()))
}

/// Verifies a backup's bytes: checksum and format, and that `secrets` (this node's cluster
/// key) opens every secret it holds.
pub(crate) fn verify(bytes: &[u8], secrets: &SecretBox) -> Result<Backup, String> {
    let (header, pairs) = backup::decode(bytes).map_err(|e| e.to_string())?;
    let release = iam_state::release::release_of_pairs(&pairs);
    if let Some(why) = iam_state::release::unsupported(release, "the backup") {
        return Err(why);
    }
    let state: MemStore = pairs.iter().cloned().collect();
    for key in iam_state::system::key_ring(&state).keys {
        if secrets.open(&key.sealed).is_err() {
            return Err(format!(
                "its secrets are sealed with another cluster secret key (that of cluster {}); this cluster's key cannot open them",
                header.cluster_id
            ));
        }
    }
    Ok(Backup { header, pairs })
}

/// Makes the backup the cluster's state: once a state with the operator account exists
/// (a node restarted after it restored), nothing is done.
pub(crate) async fn run(s: ApiState, path: std::path::PathBuf, backup: Option<Backup>) {
    let mut backup = backup;
    for _ in 0..600 {
        if crate::bootstrap::sees_every_commit(&s).await {
            if iam_state::system::operator_account(&s.view).is_some() {
                tracing::info!("the state is restored already; --restore-from has nothing to do");
                return;
            }
            let b = match backup.take() {
                Some(b) => b,
                None => match load(&path, s.auth.secrets()) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!("cannot restore: {e:#}");
                        return;
                    }
                },
            };
            let (cluster, index, pairs) =
                (b.header.cluster_id.clone(), b.header.index, b.pairs.len());
            match s
                .write_internal(Command::RestoreState {
                    pairs: b.pairs.clone(),
                })
                .await
            {
                Ok(at) => {
                    tracing::info!(
                        from_cluster = %cluster,
                        from_index = index,
                        pairs,
                        log_index = at,
                        "restored the state from the backup"
                    );
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e.message, "restore not done yet");
                    backup = Some(b);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tracing::error!("could not restore the backup in 2 minutes");
}
