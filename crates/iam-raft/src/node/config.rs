//! A node's Raft settings ([`NodeConfig`]) and the openraft configuration made from them.

use super::RaftNodeError;
use crate::types::NodeId;
use openraft::{Config, SnapshotPolicy};
use std::sync::Arc;
use std::time::Duration;

/// Settings of one node's Raft instance.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub id: NodeId,
    pub cluster_id: String,
    /// How this node dials its peers (mutual TLS: see `iam-tls`).
    pub peer_connector: iam_tls::Connector,
    pub heartbeat_ms: u64,
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    /// Build a snapshot after this many applied entries.
    pub snapshot_every_entries: u64,
    /// How long a write may take, leader changes included, before it fails.
    pub write_timeout: Duration,
    /// How long an `at-least` read waits for this node to catch up.
    pub read_wait: Duration,
    /// Largest offset of this node's clock from a quorum of voters' clocks before it
    /// refuses requests that read the clock (ms; 0: not checked). See `crate::clock`.
    pub max_clock_offset_ms: u64,
    /// The release of this build, as the state machine counts them (peers ask it before an
    /// upgrade is finalized; the Raft layer only reports it).
    pub release: u32,
}

/// The default of [`NodeConfig::max_clock_offset_ms`] (CockroachDB's default maximum offset).
pub const DEFAULT_MAX_CLOCK_OFFSET_MS: u64 = 500;

/// Log entries between automatic snapshots (etcd's `--snapshot-count` default). A snapshot
/// is the whole state: building one every 10,000 writes cost a few percent of the CPU and
/// doubled the write p99 under load, while the state machine's own durability means a
/// restart replays nothing either way (bench/RESULTS.md, "Durable writes").
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 100_000;

impl NodeConfig {
    pub fn new(id: NodeId, cluster_id: String, peer_connector: iam_tls::Connector) -> Self {
        Self {
            id,
            cluster_id,
            peer_connector,
            // A killed leader is replaced within about one election timeout; 300-600 ms keeps
            // that under a second while staying far above heartbeat delays seen under load.
            heartbeat_ms: 50,
            election_timeout_min_ms: 300,
            election_timeout_max_ms: 600,
            snapshot_every_entries: DEFAULT_SNAPSHOT_EVERY,
            write_timeout: Duration::from_secs(10),
            read_wait: Duration::from_secs(2),
            max_clock_offset_ms: DEFAULT_MAX_CLOCK_OFFSET_MS,
            release: 0,
        }
    }
}

pub(super) fn raft_config(c: &NodeConfig) -> Result<Arc<Config>, RaftNodeError> {
    let config = Config {
        cluster_name: c.cluster_id.clone(),
        heartbeat_interval: c.heartbeat_ms,
        election_timeout_min: c.election_timeout_min_ms,
        election_timeout_max: c.election_timeout_max_ms,
        // Sending a whole snapshot and installing it on the follower must finish within
        // this (openraft 0.10 sends it as one stream, not chunk by chunk); a dead peer is
        // noticed sooner by the peer connections' keepalive.
        install_snapshot_timeout: 120_000,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(c.snapshot_every_entries),
        // Log already in a snapshot that is kept for followers a little behind: at most one
        // snapshot interval (so a cluster that snapshots often, as the chaos suite runs it,
        // sends lagging followers snapshots), and at most 1,000 entries.
        max_in_snapshot_log_to_keep: c.snapshot_every_entries.clamp(1, 1000),
        // A node that missed the leader's heartbeats (paused, partitioned) first asks whether
        // the others would elect it; they refuse while they still hear from the leader, so its
        // return does not unseat a working leader (tests/tests/pause.rs).
        enable_pre_vote: Some(true),
        ..Default::default()
    };
    config
        .validate()
        .map(Arc::new)
        .map_err(|e| RaftNodeError::Fatal(format!("invalid raft config: {e}")))
}
