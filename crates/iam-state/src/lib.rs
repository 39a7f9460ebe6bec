//! The replicated state machine of iamd.
//!
//! Every change is a [`Request`] (a [`Command`] plus the time and optional idempotency token
//! chosen by the proposer) in the Raft log. [`apply`] turns a request and the state it sees
//! into a [`Response`] and a [`WriteSet`]; the storage layer commits the write set together
//! with the applied log id. Apply reads no clock, no randomness and no node-local setting, so
//! replicas that applied the same log prefix hold byte-identical state ([`state_hash`]).
//!
//! The state is a sorted key/value map ([`keys`] documents the layout); [`StateRead`] is the
//! read side that both the in-memory [`MemStore`] and the RocksDB store implement.

mod apply;
pub mod backup;
pub mod codec;
mod command;
pub mod events;
pub mod keys;
mod mem;
pub mod ops;
pub mod query;
pub mod release;
mod store;
pub mod system;
pub mod token;

pub use apply::{apply, apply_batch, dry_run};
pub use command::{Command, Outcome, Request, Response};
pub use mem::MemStore;
pub use ops::{Env, Op, Query, Q};
pub use store::{decode, encode, state_hash, ApplyObserver, StateRead, Txn, WriteSet};
