//! RocksDB storage for one iamd node: the Raft log store ([`RocksLogStore`]), the state
//! machine store ([`RocksStateMachine`]) and snapshots, all in one RocksDB instance with
//! column families so that they share one write-ahead log.
//!
//! Durability rules (see ARCHITECTURE.md):
//! - Every log store write goes to RocksDB unsynced and to the log's journal
//!   (`journal.rs`), whose fsync makes it durable; opening the store replays the journal.
//! - Log appends are fsync'd before openraft hears they are durable: on a leader by a syncer
//!   thread (appends that arrive during an fsync share the next one: group commit), on a
//!   follower inline, before `append` returns.
//! - Votes, truncations and purges are fsync'd before returning; a purge first syncs RocksDB's
//!   WAL, so the state is durable past the entries it drops.
//! - Apply writes the state changes and the applied log id in one batch. It need not fsync:
//!   RocksDB's WAL is sequential, so a crash loses only a suffix of applies, and the log
//!   still holds the entries to re-apply.

mod db;
mod journal;
mod log_store;
mod private;
mod recent;
pub mod records;
mod snapshot;
mod state_machine;

pub use db::{open, recorded_node_id, NodeMeta, OpenError, Store};
pub use log_store::RocksLogStore;
pub use snapshot::write_durably;
pub use state_machine::{RocksStateMachine, StateView};
