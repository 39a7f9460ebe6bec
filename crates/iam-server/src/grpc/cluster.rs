//! The `Cluster` gRPC service: status, hashes, membership, snapshots, backups and upgrades,
//! converted to and from the core's cluster administration (`crate::cluster_admin`), which
//! authorizes every call (`ApiState::admin`).

use super::auth::caller_of;
use super::consistency;
use super::status::{invalid, status};
use crate::api::ApiState;
use crate::RaftNode;
use iam_proto::v1::cluster_server::Cluster;
use iam_proto::v1::*;
use iam_raft::types::{IamNode, ServerState as openraft_state};
use tonic::{Request, Response, Status};

impl ApiState {
    fn admin_rpc<T>(&self, req: &Request<T>, action: &str) -> Result<(), Status> {
        let caller = caller_of(req)?;
        self.admin(&caller, action).map_err(status)
    }
}

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

#[tonic::async_trait]
impl Cluster for ApiState {
    async fn status(&self, req: Request<StatusRequest>) -> Result<Response<NodeStatus>, Status> {
        self.admin_rpc(&req, "GetClusterStatus")?;
        let m = self.node.metrics();
        let (applied, hash) = self.hash_at_applied().await.map_err(status)?;
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
        self.admin_rpc(&req, "GetClusterHash")?;
        let (applied, hash) = self.hash_at_applied().await.map_err(status)?;
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
        self.admin_rpc(&req, "AddNode")?;
        let r = req.into_inner();
        let node = IamNode {
            peer: r.peer,
            api: r.api,
            http: r.http,
        };
        let index = self
            .add_member(r.id, node, !r.learner_only)
            .await
            .map_err(status)?;
        Ok(Response::new(MembershipReply {
            members: members(&self.node),
            log_index: index,
        }))
    }

    async fn remove_node(
        &self,
        req: Request<RemoveNodeRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        self.admin_rpc(&req, "RemoveNode")?;
        let id = req.into_inner().id;
        let index = self.remove_member(id).await.map_err(status)?;
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
        self.admin_rpc(&req, "SaveSnapshot")?;
        let at = consistency(req.into_inner().read).map_err(status)?;
        let bytes = self.backup(at).await.map_err(status)?;
        let chunks: Vec<Result<SnapshotChunk, Status>> = bytes
            .chunks(BACKUP_CHUNK_BYTES)
            .map(|c| Ok(SnapshotChunk { data: c.to_vec() }))
            .collect();
        Ok(Response::new(futures::stream::iter(chunks)))
    }

    /// Receives a backup (at most what this version restores) and restores it
    /// (`ApiState::restore`).
    async fn restore_snapshot(
        &self,
        req: Request<tonic::Streaming<RestoreChunk>>,
    ) -> Result<Response<RestoreSnapshotReply>, Status> {
        self.admin_rpc(&req, "RestoreSnapshot")?;
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
        let r = self
            .restore(&bytes, force == Some(true))
            .await
            .map_err(status)?;
        Ok(Response::new(RestoreSnapshotReply {
            index: r.index,
            from_cluster_id: r.from_cluster_id,
            from_index: r.from_index,
            pairs: r.pairs,
        }))
    }

    /// Raises the cluster's release to this build's (`ApiState::finalize_upgrade`).
    async fn finalize_upgrade(
        &self,
        req: Request<FinalizeUpgradeRequest>,
    ) -> Result<Response<FinalizeUpgradeReply>, Status> {
        self.admin_rpc(&req, "FinalizeUpgrade")?;
        let done = self.finalize_upgrade().await.map_err(status)?;
        let members = done
            .members
            .iter()
            .map(|(id, r)| MemberRelease {
                id: *id,
                release: *r.as_ref().unwrap_or(&0),
                error: r.as_ref().err().cloned().unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(FinalizeUpgradeReply {
            release: done.release,
            previous: done.previous,
            members,
            log_index: done.log_index,
        }))
    }

    async fn snapshot(
        &self,
        req: Request<SnapshotRequest>,
    ) -> Result<Response<SnapshotReply>, Status> {
        self.admin_rpc(&req, "CreateSnapshot")?;
        let index = self.snapshot_now().await.map_err(status)?;
        Ok(Response::new(SnapshotReply {
            snapshot_index: index,
        }))
    }
}
