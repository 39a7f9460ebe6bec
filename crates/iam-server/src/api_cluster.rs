//! The `Cluster` gRPC service: status, hashes, membership and snapshots. Every call is
//! cluster administration: only principals of the operator account, allowed `iamd:<Call>`
//! on `arn:aws:iamd:::cluster`.

use crate::api::ApiState;
use crate::auth::authorize::{Scope, CLUSTER_RESOURCE};
use crate::status::{from_raft, invalid};
use crate::RaftNode;
use iam_proto::v1::cluster_server::Cluster;
use iam_proto::v1::*;
use iam_raft::types::{IamNode, ServerState as openraft_state};
use tonic::{Request, Response, Status};

impl ApiState {
    fn admin<T>(&self, req: &Request<T>, action: &str) -> Result<(), Status> {
        let caller = crate::auth::grpc::caller_of(req)?;
        let target =
            iam_state::ops::target::Target::new(format!("iamd:{action}"), CLUSTER_RESOURCE);
        self.check(&caller, Scope::Cluster, &target, false)
    }
}

/// How long finalizing an upgrade waits for each member to say its release.
const FINALIZE_ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Size of the chunks a backup streams in (well under gRPC's 4 MiB message default).
const BACKUP_CHUNK_BYTES: usize = 1 << 20;

fn members(node: &RaftNode) -> Vec<NodeAddr> {
    node.members()
        .into_iter()
        .map(|(id, n, voter)| NodeAddr {
            id,
            api: n.api,
            http: n.http,
            peer: n.peer,
            voter,
        })
        .collect()
}

impl ApiState {
    /// The state digest at the applied index: a scan of the whole state, so it runs on a
    /// blocking thread (a single-threaded node keeps serving meanwhile).
    async fn hash_at_applied(&self) -> Result<(u64, String), Status> {
        let view = self.view.clone();
        tokio::task::spawn_blocking(move || view.hash_at_applied())
            .await
            .map_err(|e| Status::internal(format!("the state hash failed: {e}")))
    }
}

#[tonic::async_trait]
impl Cluster for ApiState {
    async fn status(&self, req: Request<StatusRequest>) -> Result<Response<NodeStatus>, Status> {
        self.admin(&req, "GetClusterStatus")?;
        let m = self.node.metrics();
        let (applied, hash) = self.hash_at_applied().await?;
        let role = match m.state {
            openraft_state::Leader => "leader",
            openraft_state::Follower => "follower",
            openraft_state::Candidate => "candidate",
            openraft_state::Learner => "learner",
            openraft_state::Shutdown => "shutdown",
        };
        let me = m
            .membership_config
            .membership()
            .get_node(&m.id)
            .map(|n| n.api.clone())
            .unwrap_or_default();
        Ok(Response::new(NodeStatus {
            id: m.id,
            api: me,
            role: role.into(),
            term: m.current_term,
            last_log_index: m.last_log_index.unwrap_or(0),
            applied_index: applied,
            state_hash: hash,
            leader_id: m.current_leader.unwrap_or(0),
            has_leader: m.current_leader.is_some(),
            members: members(&self.node),
            cluster_id: self.node.config.cluster_id.clone(),
            snapshot_index: m.snapshot.map_or(0, |l| l.index),
            purged_index: self.view.purged_index(),
            release: iam_state::release::RELEASE,
            cluster_release: iam_state::release::cluster_release(&self.view),
        }))
    }

    async fn hash(&self, req: Request<HashRequest>) -> Result<Response<HashReply>, Status> {
        self.admin(&req, "GetClusterHash")?;
        let (applied, hash) = self.hash_at_applied().await?;
        Ok(Response::new(HashReply {
            id: self.node.id(),
            applied_index: applied,
            state_hash: hash,
        }))
    }

    async fn add_node(
        &self,
        req: Request<AddNodeRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        self.admin(&req, "AddNode")?;
        let r = req.into_inner();
        if r.id == 0 {
            return Err(invalid("node id must be a positive integer"));
        }
        for (flag, addr) in [("peer", &r.peer), ("api", &r.api), ("http", &r.http)] {
            let optional = flag == "http" && addr.is_empty();
            if !optional && addr.parse::<std::net::SocketAddr>().is_err() && !addr.contains(':') {
                return Err(invalid(format!(
                    "--{flag} {addr:?} is not a host:port address"
                )));
            }
        }
        let node = IamNode {
            peer: r.peer,
            api: r.api,
            http: r.http,
        };
        let index = self
            .node
            .add_node(r.id, node, !r.learner_only)
            .await
            .map_err(|e| from_raft(&e))?;
        Ok(Response::new(MembershipReply {
            members: members(&self.node),
            log_index: index,
        }))
    }

    async fn remove_node(
        &self,
        req: Request<RemoveNodeRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        self.admin(&req, "RemoveNode")?;
        let id = req.into_inner().id;
        let index = self.node.remove_node(id).await.map_err(|e| from_raft(&e))?;
        Ok(Response::new(MembershipReply {
            members: members(&self.node),
            log_index: index,
        }))
    }

    type SaveSnapshotStream =
        futures::stream::Iter<std::vec::IntoIter<Result<SnapshotChunk, Status>>>;

    async fn save_snapshot(
        &self,
        req: Request<SaveSnapshotRequest>,
    ) -> Result<Response<Self::SaveSnapshotStream>, Status> {
        self.admin(&req, "SaveSnapshot")?;
        self.read(req.into_inner().read).await?;
        let view = self.view.clone();
        let (cluster_id, node_id) = (self.node.config.cluster_id.clone(), self.node.id());
        // A scan of the whole state at one RocksDB snapshot: off the async threads.
        let bytes = tokio::task::spawn_blocking(move || {
            crate::backups::backup_bytes(&view, &cluster_id, node_id)
        })
        .await
        .map_err(|e| Status::internal(format!("snapshot failed: {e}")))?;
        let chunks: Vec<Result<SnapshotChunk, Status>> = bytes
            .chunks(BACKUP_CHUNK_BYTES)
            .map(|c| Ok(SnapshotChunk { data: c.to_vec() }))
            .collect();
        Ok(Response::new(futures::stream::iter(chunks)))
    }

    /// Replaces the state with a backup's through the log: verified first (checksum,
    /// format, this cluster's key opens its secrets; another cluster's backup only with
    /// `force`), so a bad file changes nothing.
    async fn restore_snapshot(
        &self,
        req: Request<tonic::Streaming<RestoreChunk>>,
    ) -> Result<Response<RestoreSnapshotReply>, Status> {
        self.admin(&req, "RestoreSnapshot")?;
        let max = crate::restore::RESTORE_BYTES_MAX as usize;
        let mut stream = req.into_inner();
        let mut bytes = Vec::new();
        let mut force = None;
        while let Some(chunk) = stream.message().await? {
            force.get_or_insert(chunk.force);
            if bytes.len() + chunk.data.len() > max {
                return Err(invalid(format!(
                    "the backup is larger than this version restores ({max} bytes)"
                )));
            }
            bytes.extend_from_slice(&chunk.data);
        }
        let backup = crate::restore::verify(&bytes, self.auth.secrets())
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
        if &backup.header.cluster_id != ours && force != Some(true) {
            return Err(crate::status::from_iam(&iam_model::IamError::new(
                iam_model::ErrorCode::InvalidInput,
                format!(
                    "the backup is of cluster {}, not this one ({ours}): restoring it replaces everything this cluster holds with another cluster's state; pass --force to do so",
                    backup.header.cluster_id
                ),
            )));
        }
        // Its release must be one every member can apply: the cluster's (members of older
        // builds would stop on it).
        let release = iam_state::release::release_of_pairs(&backup.pairs);
        let cluster_release = iam_state::release::cluster_release(&self.view);
        if release > cluster_release {
            return Err(crate::status::from_iam(&iam_model::IamError::new(
                iam_model::ErrorCode::InvalidInput,
                format!(
                    "the backup was taken at release {release} and this cluster runs release {cluster_release}: finalize the upgrade to {release} first (iamctl cluster finalize-upgrade)"
                ),
            )));
        }
        let reply = RestoreSnapshotReply {
            index: 0,
            from_cluster_id: backup.header.cluster_id.clone(),
            from_index: backup.header.index,
            pairs: backup.pairs.len() as u64,
        };
        let index = self
            .write_internal(iam_state::Command::RestoreState {
                pairs: backup.pairs,
            })
            .await?;
        tracing::warn!(
            from_cluster = %reply.from_cluster_id,
            from_index = reply.from_index,
            pairs = reply.pairs,
            log_index = index,
            "the state was replaced by a backup (RestoreSnapshot)"
        );
        Ok(Response::new(RestoreSnapshotReply { index, ..reply }))
    }

    /// Raises the cluster's release to this build's, once every member runs a build of it
    /// (see iam_state::release). Idempotent: a cluster at that release already answers as
    /// if it just finalized.
    async fn finalize_upgrade(
        &self,
        req: Request<FinalizeUpgradeRequest>,
    ) -> Result<Response<FinalizeUpgradeReply>, Status> {
        self.admin(&req, "FinalizeUpgrade")?;
        let release = iam_state::release::RELEASE;
        self.read_linearizable().await?;
        let previous = iam_state::release::cluster_release(&self.view);
        let answers = self.node.member_releases(FINALIZE_ASK_TIMEOUT).await;
        let members: Vec<MemberRelease> = answers
            .iter()
            .map(|(id, r)| MemberRelease {
                id: *id,
                release: *r.as_ref().unwrap_or(&0),
                error: r.as_ref().err().cloned().unwrap_or_default(),
            })
            .collect();
        let mut reply = FinalizeUpgradeReply {
            release,
            previous,
            members,
            log_index: 0,
        };
        if previous >= release {
            return Ok(Response::new(reply));
        }
        let behind: Vec<String> = answers
            .iter()
            .filter_map(|(id, r)| match r {
                Ok(r) if *r >= release => None,
                Ok(r) => Some(format!("node {id} runs release {r}")),
                Err(e) => Some(format!("node {id} did not say its release ({e})")),
            })
            .collect();
        if !behind.is_empty() {
            return Err(crate::status::refusal(
                iam_model::ErrorCode::InvalidInput,
                format!(
                    "every member must run release {release} before the upgrade is finalized: {}",
                    behind.join("; ")
                ),
            ));
        }
        reply.log_index = self
            .write_internal(iam_state::Command::FinalizeRelease { release })
            .await?;
        tracing::warn!(release, previous, "upgrade finalized: builds older than release {release} can no longer serve this cluster");
        Ok(Response::new(reply))
    }

    async fn snapshot(
        &self,
        req: Request<SnapshotRequest>,
    ) -> Result<Response<SnapshotReply>, Status> {
        self.admin(&req, "CreateSnapshot")?;
        let index = self.node.snapshot_now().await.map_err(|e| from_raft(&e))?;
        Ok(Response::new(SnapshotReply {
            snapshot_index: index,
        }))
    }
}
