//! The openraft type configuration and the node record kept in the membership config.

use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// Where a node listens: the peer port (Raft), the public gRPC API and HTTP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamNode {
    pub peer: String,
    pub api: String,
    pub http: String,
}

impl std::fmt::Display for IamNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peer={} api={} http={}", self.peer, self.api, self.http)
    }
}

openraft::declare_raft_types!(
    /// iamd's Raft types: a log entry carries the [`iam_state::Request`]s the leader
    /// gathered while the previous entry was being written (one fsync for all of them);
    /// its response has one [`iam_state::Response`] per request, in order.
    pub TypeConfig:
        D = Vec<iam_state::Request>,
        R = Vec<iam_state::Response>,
        NodeId = u64,
        Node = IamNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

pub type NodeId = u64;
pub type Entry = openraft::Entry<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type StoredMembership = openraft::StoredMembership<NodeId, IamNode>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, IamNode>;
pub type Snapshot = openraft::Snapshot<TypeConfig>;
pub type StorageError = openraft::StorageError<NodeId>;
pub type Raft = openraft::Raft<TypeConfig>;
pub type RaftMetrics = openraft::RaftMetrics<NodeId, IamNode>;
pub use openraft::ServerState;
