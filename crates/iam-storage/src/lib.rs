//! RocksDB storage for one iamd node: the Raft log store ([`RocksLogStore`]), the state
//! machine store ([`RocksStateMachine`]) and snapshots, all in one RocksDB instance with
//! column families so that they share one write-ahead log.
//!
//! Durability rules (see ARCHITECTURE.md):
//! - Log appends are written, then fsync'd before openraft hears they are durable: on a leader
//!   by a syncer thread (appends that arrive during an fsync share the next one: group commit),
//!   on a follower inline, before `append` returns.
//! - Votes, truncations and purges are written with `sync = true` before returning.
//! - Apply writes the state changes and the applied log id in one batch. It need not fsync: the
//!   WAL is sequential, so the next synced log append or purge makes it durable, and until then
//!   the log still holds the entries to re-apply.

mod db;
mod log_store;
mod recent;
mod snapshot;
mod state_machine;

pub use db::{open, NodeMeta, OpenError, Store};
pub use log_store::RocksLogStore;
pub use state_machine::{RocksStateMachine, StateView};
