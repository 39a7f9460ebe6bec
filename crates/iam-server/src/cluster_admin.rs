//! Cluster administration in the core: membership, the state hash, backups, restores and
//! finalizing an upgrade. Every call is cluster administration: only principals of the
//! operator account, allowed `iamd:<Call>` on `arn:aws:iamd:::cluster` ([`ApiState::admin`]).
//! The gRPC `Cluster` service (`crate::grpc::cluster`) is its adapter.

use crate::api::{ApiState, Consistency};
use crate::auth::authorize::{Scope, CLUSTER_RESOURCE};
use crate::auth::Caller;
use crate::errors::{from_raft, internal, invalid};
use iam_model::{ErrorCode, IamError};
use iam_raft::types::IamNode;
use iam_state::ops::target::Target;

/// How long finalizing an upgrade waits for each member to say its release.
const FINALIZE_ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// What a restore replaced the state with.
pub(crate) struct Restored {
    pub index: u64,
    pub from_cluster_id: String,
    pub from_index: u64,
    pub pairs: u64,
}

/// What finalizing an upgrade found and did.
pub(crate) struct Finalized {
    pub release: u32,
    pub previous: u32,
    /// Each member's release, or why it did not say.
    pub members: Vec<(u64, Result<u32, String>)>,
    /// The finalizing write's index (0: the cluster was at the release already).
    pub log_index: u64,
}

impl ApiState {
    /// Whether `caller` may make the cluster call `iamd:{action}`.
    pub(crate) fn admin(&self, caller: &Caller, action: &str) -> Result<(), IamError> {
        let target = Target::new(format!("iamd:{action}"), CLUSTER_RESOURCE);
        self.check(caller, Scope::Cluster, &target, false)
    }

    /// The state digest at the applied index: a scan of the whole state, so it runs on a
    /// blocking thread (a single-threaded node keeps serving meanwhile).
    pub(crate) async fn hash_at_applied(&self) -> Result<(u64, String), IamError> {
        let view = self.view.clone();
        tokio::task::spawn_blocking(move || view.hash_at_applied())
            .await
            .map_err(|e| internal(format!("the state hash failed: {e}")))
    }

    /// Adds a member (a voter, or a learner only); returns the membership change's index.
    pub(crate) async fn add_member(
        &self,
        id: u64,
        node: IamNode,
        voter: bool,
    ) -> Result<u64, IamError> {
        if id == 0 {
            return Err(invalid("node id must be a positive integer"));
        }
        for (flag, addr) in [
            ("peer", &node.peer),
            ("api", &node.api),
            ("http", &node.http),
        ] {
            let optional = flag == "http" && addr.is_empty();
            if !optional && addr.parse::<std::net::SocketAddr>().is_err() && !addr.contains(':') {
                return Err(invalid(format!(
                    "--{flag} {addr:?} is not a host:port address"
                )));
            }
        }
        self.node
            .add_node(id, node, voter)
            .await
            .map_err(|e| from_raft(&e))
    }

    /// Removes a member; returns the membership change's index.
    pub(crate) async fn remove_member(&self, id: u64) -> Result<u64, IamError> {
        self.node.remove_node(id).await.map_err(|e| from_raft(&e))
    }

    /// Takes a Raft snapshot now; returns the index it covers.
    pub(crate) async fn snapshot_now(&self) -> Result<u64, IamError> {
        self.node.snapshot_now().await.map_err(|e| from_raft(&e))
    }

    /// A backup of the state as of the consistency asked for (`crate::backups`).
    pub(crate) async fn backup(&self, consistency: Consistency) -> Result<Vec<u8>, IamError> {
        self.read(consistency).await?;
        let view = self.view.clone();
        let (cluster_id, node_id) = (self.node.config.cluster_id.clone(), self.node.id());
        // A scan of the whole state at one RocksDB snapshot: off the async threads.
        tokio::task::spawn_blocking(move || {
            crate::backups::backup_bytes(&view, &cluster_id, node_id)
        })
        .await
        .map_err(|e| internal(format!("snapshot failed: {e}")))
    }

    /// Replaces the state with a backup's through the log: verified first (checksum,
    /// format, this cluster's key opens its secrets; another cluster's backup only with
    /// `force`), so a bad file changes nothing.
    pub(crate) async fn restore(&self, bytes: &[u8], force: bool) -> Result<Restored, IamError> {
        let backup = crate::restore::verify(bytes, self.auth.secrets())
            .map_err(|e| invalid(format!("the backup cannot be restored: {e}")))?;
        // A follower carries the restore to the leader as a forwarded write, which is
        // bounded (iam-raft's peer service): a larger backup goes to the leader itself.
        if bytes.len() > crate::restore::FORWARDED_RESTORE_MAX && !self.node.is_leader() {
            let leader = self.node.metrics().current_leader;
            let api = self
                .node
                .members()
                .into_iter()
                .find(|(id, _, _)| Some(*id) == leader)
                .map_or_else(|| "unknown now".to_owned(), |(_, n, _)| n.api);
            return Err(invalid(format!(
                "a backup of more than {} bytes is restored through the leader (its API: {api}): iamctl --endpoints <leader> snapshot restore",
                crate::restore::FORWARDED_RESTORE_MAX
            )));
        }
        let ours = &self.node.config.cluster_id;
        if &backup.header.cluster_id != ours && !force {
            return Err(IamError::new(
                ErrorCode::InvalidInput,
                format!(
                    "the backup is of cluster {}, not this one ({ours}): restoring it replaces everything this cluster holds with another cluster's state; pass --force to do so",
                    backup.header.cluster_id
                ),
            ));
        }
        // Its release must be one every member can apply: the cluster's (members of older
        // builds would stop on it).
        let release = iam_state::release::release_of_pairs(&backup.pairs);
        let cluster_release = iam_state::release::cluster_release(&self.view);
        if release > cluster_release {
            return Err(IamError::new(
                ErrorCode::InvalidInput,
                format!(
                    "the backup was taken at release {release} and this cluster runs release {cluster_release}: finalize the upgrade to {release} first (iamctl cluster finalize-upgrade)"
                ),
            ));
        }
        let mut restored = Restored {
            index: 0,
            from_cluster_id: backup.header.cluster_id.clone(),
            from_index: backup.header.index,
            pairs: backup.pairs.len() as u64,
        };
        restored.index = self
            .write_internal(iam_state::Command::RestoreState {
                pairs: backup.pairs,
            })
            .await?;
        tracing::warn!(
            from_cluster = %restored.from_cluster_id,
            from_index = restored.from_index,
            pairs = restored.pairs,
            log_index = restored.index,
            "the state was replaced by a backup (RestoreSnapshot)"
        );
        Ok(restored)
    }

    /// Raises the cluster's release to this build's, once every member runs a build of it
    /// (see iam_state::release). Idempotent: a cluster at that release already answers as
    /// if it just finalized.
    pub(crate) async fn finalize_upgrade(&self) -> Result<Finalized, IamError> {
        let release = iam_state::release::RELEASE;
        self.read_linearizable().await?;
        let previous = iam_state::release::cluster_release(&self.view);
        let members = self.node.member_releases(FINALIZE_ASK_TIMEOUT).await;
        let mut done = Finalized {
            release,
            previous,
            members,
            log_index: 0,
        };
        if previous >= release {
            return Ok(done);
        }
        let behind: Vec<String> = done
            .members
            .iter()
            .filter_map(|(id, r)| match r {
                Ok(r) if *r >= release => None,
                Ok(r) => Some(format!("node {id} runs release {r}")),
                Err(e) => Some(format!("node {id} did not say its release ({e})")),
            })
            .collect();
        if !behind.is_empty() {
            return Err(IamError::new(
                ErrorCode::InvalidInput,
                format!(
                    "every member must run release {release} before the upgrade is finalized: {}",
                    behind.join("; ")
                ),
            ));
        }
        done.log_index = self
            .write_internal(iam_state::Command::FinalizeRelease { release })
            .await?;
        tracing::warn!(release, previous, "upgrade finalized: builds older than release {release} can no longer serve this cluster");
        Ok(done)
    }
}
