//! The leader's WAL syncer: writes queued appends behind the Raft core and makes them durable.
//!
//! On the leader (see [`super::RocksLogStore::for_node`]) `append` only keeps the entries in
//! the in-memory [`Recent`] cache, where openraft's replication reads them at once, and queues
//! the write batch here. This thread writes each queued batch (RocksDB unsynced, then the
//! journal, in queue order), fsyncs the journal once for all it took (group commit) and then
//! reports them durable in order. So the Raft core sends the entries to the followers without
//! first paying for their RocksDB write and journal append: that work runs on this thread,
//! beside the replication, and the leader's own copy counts towards the commit quorum only
//! after the fsync, as before.
//!
//! Invariants:
//! - Queue order is log order: one thread writes, in the order `append` queued.
//! - Whoever reads the log from RocksDB, or writes the log store otherwise (vote,
//!   truncation, purge, a follower's inline append), first waits until every queued batch is
//!   written ([`Behind::drain`]); so RocksDB never lags a read that misses the cache, and the
//!   journal keeps RocksDB's order.
//! - After a failed write nothing later is written (the log must not get a hole): every
//!   queued and later append fails, the cache is emptied and the committed hint is marked
//!   unsaved.
//! - The thread holds the database only weakly, upgraded per batch, and the last log store
//!   handle joins it before it lets go of the database (field order of
//!   [`super::RocksLogStore`]): RocksDB is still closed by the thread that drops the stores.

use super::io_err;
use crate::journal::Journal;
use crate::recent::Recent;
use iam_raft::types::{LogId, TypeConfig};
use openraft::storage::IOFlushed;
use rocksdb::{WriteBatch, DB};
use std::io;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;

/// An append queued for the syncer: its write batch and openraft's flush callback.
pub(super) struct Queued {
    pub(super) batch: WriteBatch,
    pub(super) callback: IOFlushed<TypeConfig>,
}

/// How far the syncer's writes lag the queue.
#[derive(Default)]
pub(super) struct Behind {
    state: Mutex<Watermark>,
    written: Condvar,
}

#[derive(Default)]
struct Watermark {
    queued: u64,
    written: u64,
    failed: Option<String>,
}

impl Behind {
    fn lock(&self) -> MutexGuard<'_, Watermark> {
        // Plain counters, changed by whole assignments: a panicking holder leaves them usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one more queued append, unless an earlier write failed.
    pub(super) fn queue_one(&self) -> io::Result<()> {
        let mut w = self.lock();
        if let Some(e) = &w.failed {
            return Err(earlier_failure(e));
        }
        w.queued += 1;
        Ok(())
    }

    /// Takes back a queued append that never reached the syncer.
    pub(super) fn unqueue_one(&self) {
        let mut w = self.lock();
        w.queued = w.queued.saturating_sub(1);
        self.written.notify_all();
    }

    /// Waits until every queued append is written (to RocksDB and the journal, not
    /// necessarily synced); fails once a write failed.
    pub(super) fn drain(&self) -> io::Result<()> {
        let mut w = self.lock();
        while w.written < w.queued && w.failed.is_none() {
            w = self.written.wait(w).unwrap_or_else(|p| p.into_inner());
        }
        match &w.failed {
            Some(e) => Err(earlier_failure(e)),
            None => Ok(()),
        }
    }

    /// Counts one queued append as written, or failed (in the same step, so a drain never
    /// returns between the two).
    fn written_one(&self, failure: Option<&io::Error>) {
        let mut w = self.lock();
        w.written += 1;
        if let Some(e) = failure {
            w.failed.get_or_insert_with(|| e.to_string());
        }
        self.written.notify_all();
    }

    /// Records a failure found after the writes (the fsync): later appends fail.
    fn fail(&self, e: &io::Error) {
        self.lock().failed.get_or_insert_with(|| e.to_string());
        self.written.notify_all();
    }

    fn failed(&self) -> Option<String> {
        self.lock().failed.clone()
    }
}

/// The error of every log write after a failed one.
fn earlier_failure(e: &str) -> io::Error {
    io_err(format!("an earlier log write failed: {e}"))
}

/// What the syncer thread shares with the log store.
pub(super) struct Shared {
    pub(super) journal: Arc<Journal>,
    pub(super) db: Weak<DB>,
    pub(super) behind: Arc<Behind>,
    pub(super) recent: Arc<Mutex<Recent>>,
    pub(super) committed: Arc<Mutex<(Option<LogId>, bool)>>,
}

/// The syncer thread's handle: dropping it (with the last log store handle) closes the
/// queue and joins the thread.
pub(super) struct Syncer {
    tx: Option<mpsc::Sender<Queued>>,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    pub(super) fn start(shared: Shared) -> Self {
        let (tx, rx) = mpsc::channel::<Queued>();
        let thread = std::thread::Builder::new()
            .name("iamd-wal-sync".into())
            .spawn(move || run(&shared, &rx))
            .expect("spawn the WAL syncer thread");
        Self {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Hands `q` to the thread; `false` if the thread is gone.
    pub(super) fn send(&self, q: Queued) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.send(q).is_ok())
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, rx: &mpsc::Receiver<Queued>) {
    while let Ok(first) = rx.recv() {
        let mut taken = vec![first];
        while let Ok(more) = rx.try_recv() {
            taken.push(more);
        }
        let db = shared.db.upgrade();
        let mut result = match (shared.behind.failed(), &db) {
            (Some(e), _) => Err(earlier_failure(&e)),
            (None, None) => Err(io_err("the database is closed")),
            (None, Some(_)) => Ok(()),
        };
        let mut callbacks = Vec::with_capacity(taken.len());
        for q in taken {
            if let (Ok(()), Some(db)) = (&result, &db) {
                result = shared.journal.write(db, q.batch);
            }
            shared.behind.written_one(result.as_ref().err());
            callbacks.push(q.callback);
        }
        drop(db);
        if result.is_ok() {
            result = shared.journal.sync();
        }
        if let Err(e) = &result {
            shared.behind.fail(e);
            super::forget_unwritten(&shared.recent, &shared.committed);
        }
        for cb in callbacks {
            cb.io_completed(result.as_ref().map(|_| ()).map_err(io_err));
        }
    }
}
