//! The openraft type configuration and the node record kept in the membership config.

use serde::{Deserialize, Serialize};

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

/// What one log entry carries: the writes the leader gathered while earlier entries were
/// in flight, applied in order. Carried as CBOR bytes inside the binary record
/// (`iam_state::codec`), so that commands can gain fields (see `crate::format`); shared by
/// the entry's clones and encoded once (`iam_state::codec::Shared`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requests(pub iam_state::codec::Shared<Vec<iam_state::Request>>);

impl Requests {
    pub fn new(requests: Vec<iam_state::Request>) -> Self {
        Self(iam_state::codec::Shared::new(requests))
    }
}

impl std::fmt::Display for Requests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} request(s)", self.0.len())
    }
}

openraft::declare_raft_types!(
    /// iamd's Raft types: a log entry carries [`Requests`]; its response has one
    /// [`iam_state::Response`] per request, in order.
    pub TypeConfig:
        D = Requests,
        R = Vec<iam_state::Response>,
        NodeId = u64,
        Node = IamNode,
        AsyncRuntime = openraft_rt_tokio::TokioRuntime,
);

pub type NodeId = u64;
/// A leader: its term and node id (several candidates may share a term; openraft's default).
pub type LeaderId = openraft::impls::leader_id_adv::LeaderId<u64, NodeId>;
pub type EntryPayload = openraft::EntryPayload<Requests, NodeId, IamNode>;
pub type Entry = openraft::Entry<LeaderId, EntryPayload>;
pub type LogId = openraft::LogId<LeaderId>;
pub type Vote = openraft::Vote<LeaderId>;
pub type StoredMembership = openraft::StoredMembership<LeaderId, NodeId, IamNode>;
pub type SnapshotMeta = openraft::SnapshotMeta<LeaderId, NodeId, IamNode>;
/// A snapshot's body: the state as a versioned record (see `iam-storage`), held in memory.
pub type SnapshotData = Vec<u8>;
pub type Snapshot = openraft::Snapshot<LeaderId, NodeId, IamNode, SnapshotData>;
pub type StorageError = openraft::StorageError<TypeConfig>;
pub type RaftMetrics = openraft::RaftMetrics<TypeConfig>;
pub use openraft::ServerState;

/// The state machine a node runs: any openraft state machine over these types whose
/// snapshots are [`SnapshotData`] (`iam-storage`'s RocksDB store in iamd).
pub trait StateMachine:
    openraft::storage::RaftStateMachine<TypeConfig, SnapshotData = SnapshotData>
{
}

impl<T> StateMachine for T where
    T: openraft::storage::RaftStateMachine<TypeConfig, SnapshotData = SnapshotData>
{
}

/// One node's Raft handle over its state machine `SM`.
pub type Raft<SM> = openraft::Raft<TypeConfig, SM>;
