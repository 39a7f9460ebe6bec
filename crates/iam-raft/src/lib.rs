//! Raft for iamd: the openraft type config ([`types`]), the peer network over tonic
//! ([`network`], [`peer`]) and [`RaftNode`], the narrow facade the server uses (propose a
//! write, wait for a read barrier, change membership, read status) with its own error enum.
//!
//! Peer RPCs carry openraft's messages as versioned payloads ([`format`]) and the cluster id in the
//! `x-iamd-cluster` metadata header, so a node of another cluster is refused.

mod batcher;
pub mod clock;
mod coalesce;
mod error;
pub mod format;
mod forward;
mod forwarder;
pub mod metrics;
pub mod network;
mod node;
pub mod peer;
pub mod types;

pub use node::{
    forward_add_node, Consistency, NodeConfig, RaftNode, RaftNodeError, Standing, WriteOutcome,
    DEFAULT_MAX_CLOCK_OFFSET_MS, DEFAULT_SNAPSHOT_EVERY,
};

/// gRPC metadata header carrying the cluster id on every peer RPC.
pub const CLUSTER_HEADER: &str = "x-iamd-cluster";

/// gRPC metadata header carrying the node id a Raft RPC is meant for: a node refuses RPCs
/// meant for another id (the member it replaced at the same address).
pub const NODE_HEADER: &str = "x-iamd-node";
