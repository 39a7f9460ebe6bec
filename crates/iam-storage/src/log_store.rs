//! The Raft log store: entries, vote, committed log id and last purged log id.

use crate::db::{cf, Store, CF_LOG, CF_RAFT};
use crate::journal::Journal;
use crate::recent::Recent;
use iam_raft::types::{Entry, LogId, TypeConfig, Vote};
use openraft::storage::{IOFlushed, LogState, RaftLogStorage};
use openraft::{OptionalSend, RaftLogReader};
use rocksdb::{Direction, IteratorMode, WriteBatch, DB};
use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use syncer::{Behind, Queued, Syncer};

mod syncer;

const KEY_VOTE: &[u8] = b"vote";
const KEY_COMMITTED: &[u8] = b"committed";
const KEY_PURGED: &[u8] = b"purged";

/// The log store. Cloning shares the database (the clone is the log reader).
#[derive(Clone)]
pub struct RocksLogStore {
    /// The leader's WAL syncer ([`syncer`]). Declared first, so the last handle joins the
    /// thread before it lets go of `db`.
    syncer: Arc<Syncer>,
    /// How far the syncer's writes lag the appends queued for it.
    behind: Arc<Behind>,
    db: Arc<DB>,
    /// Where every write of this store is made durable (see [`crate::journal`]).
    journal: Arc<Journal>,
    /// This node's id, when known: see [`RocksLogStore::for_node`].
    node_id: Option<u64>,
    /// Whether the last saved vote names another node as leader (or candidate): then this
    /// node is a follower and fsyncs its appends inline.
    following: Arc<AtomicBool>,
    /// The log's latest entries, shared with the log readers (see [`Recent`]).
    recent: Arc<Mutex<Recent>>,
    /// The committed log id openraft last saved, and whether it is newer than the one in
    /// RocksDB (see `save_committed`).
    committed: Arc<Mutex<(Option<LogId>, bool)>>,
}

fn index_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}

impl RocksLogStore {
    /// Starts the log store of `store` and its journal syncer thread.
    pub fn new(store: &Store) -> Self {
        let behind = Arc::new(Behind::default());
        let recent = Arc::default();
        let committed = Arc::default();
        let syncer = Syncer::start(syncer::Shared {
            journal: store.journal.clone(),
            db: Arc::downgrade(&store.db),
            behind: behind.clone(),
            recent: Arc::clone(&recent),
            committed: Arc::clone(&committed),
        });
        Self {
            syncer: Arc::new(syncer),
            behind,
            db: store.db.clone(),
            journal: store.journal.clone(),
            node_id: None,
            following: Arc::new(AtomicBool::new(false)),
            recent,
            committed,
        }
    }

    /// Waits until the syncer wrote every append queued for it (see [`syncer`]).
    fn drain(&self) -> io::Result<()> {
        blocking(|| self.behind.drain())
    }

    /// Writes `batch` durably now, after every queued append.
    fn write_durably(&self, batch: WriteBatch) -> io::Result<()> {
        blocking(|| {
            self.behind.drain()?;
            self.journal.write_durably(&self.db, batch)
        })
    }

    /// The log store of node `node_id`. It fsyncs a follower's appends inline, in `append`
    /// itself, rather than on the WAL syncer thread: a follower replies only once its entries
    /// are durable and nothing else waits on its log, so the two thread hand-offs (to the
    /// syncer and back) are pure latency on the leader's commit path (measured in
    /// `bench/RESULTS.md`, ninth session). A leader (or candidate) keeps the syncer: its
    /// entries replicate while its own fsync runs. Which one this node is comes from the last
    /// vote it saved or read (openraft saves the vote of every leader it follows); both ways
    /// are equally durable, so a stale guess costs only speed. An inline fsync also covers
    /// any earlier append still queued for the syncer; openraft ignores the later, older
    /// report.
    pub fn for_node(store: &Store, node_id: u64) -> io::Result<Self> {
        let mut log = Self::new(store);
        log.node_id = Some(node_id);
        let vote: Option<Vote> = log.get_meta(KEY_VOTE)?;
        log.note_vote(vote.as_ref());
        Ok(log)
    }

    fn recent(&self) -> MutexGuard<'_, Recent> {
        // The cache holds no invariant a panicking holder could break half-way that a
        // clear would not restore.
        self.recent.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            guard.clear();
            guard
        })
    }

    /// Keeps just-written entries in the cache; after a failed write the log's end is
    /// unknown, so the cache is emptied.
    fn note_appended(&self, appended: Vec<(Entry, usize)>, written: bool) {
        if written {
            self.recent().appended(appended);
        } else {
            forget_unwritten(&self.recent, &self.committed);
        }
    }

    fn committed_mut(&self) -> MutexGuard<'_, (Option<LogId>, bool)> {
        // A plain value: a poisoned lock holds a usable one.
        self.committed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The committed id to write with the next append, if it changed since the last.
    fn take_unsaved_committed(&self) -> Option<Option<LogId>> {
        let mut c = self.committed_mut();
        let unsaved = std::mem::replace(&mut c.1, false);
        unsaved.then_some(c.0)
    }

    fn note_vote(&self, vote: Option<&Vote>) {
        let following = match (self.node_id, vote) {
            (Some(me), Some(v)) => v.leader_id.node_id != me,
            _ => false,
        };
        self.following.store(following, Ordering::Relaxed);
    }

    fn get_meta<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> io::Result<Option<T>> {
        let bytes = self.db.get_cf(cf(&self.db, CF_RAFT), key).map_err(io_err)?;
        match bytes {
            None => Ok(None),
            Some(b) => crate::records::decode(&String::from_utf8_lossy(key), &b).map(Some),
        }
    }

    fn put_meta_sync<T: serde::Serialize>(&self, key: &[u8], value: &T) -> io::Result<()> {
        let bytes = crate::records::encode(&String::from_utf8_lossy(key), value)?;
        let mut batch = WriteBatch::default();
        batch.put_cf(cf(&self.db, CF_RAFT), key, bytes);
        self.write_durably(batch)
    }

    fn last_entry_log_id(&self) -> io::Result<Option<LogId>> {
        self.drain()?;
        let mut it = self.db.iterator_cf(cf(&self.db, CF_LOG), IteratorMode::End);
        match it.next() {
            None => Ok(None),
            Some(Err(e)) => Err(io_err(e)),
            Some(Ok((k, v))) => {
                let entry = crate::records::decode_entry(key_index(&k)?, &v)?;
                Ok(Some(entry.log_id))
            }
        }
    }
}

/// After a failed log write the log's end is unknown: the cache is emptied (nothing is
/// served from it) and the committed id that rode along is marked unsaved (the next append
/// retries it).
fn forget_unwritten(recent: &Mutex<Recent>, committed: &Mutex<(Option<LogId>, bool)>) {
    recent.lock().unwrap_or_else(|p| p.into_inner()).clear();
    committed.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
}

/// Runs a blocking call (an fsync) on the current thread. On a multi-threaded runtime the
/// worker's other tasks move to another worker meanwhile (`block_in_place`); a
/// single-threaded runtime waits, as it already does for votes, truncation and purges.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A RocksDB or encoding error as the `io::Error` openraft's storage traits return.
pub(crate) fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl RaftLogReader<TypeConfig> for RocksLogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> io::Result<Vec<Entry>> {
        if let Some(entries) = self.recent().get(&range) {
            return Ok(entries);
        }
        self.drain()?;
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s + 1,
            Bound::Unbounded => 0,
        };
        let mut out = Vec::new();
        let mode = IteratorMode::From(&index_key(start), Direction::Forward);
        for item in self.db.iterator_cf(cf(&self.db, CF_LOG), mode) {
            let (k, v) = item.map_err(io_err)?;
            let idx = key_index(&k)?;
            if !range.contains(&idx) {
                break;
            }
            out.push(crate::records::decode_entry(idx, &v)?);
        }
        Ok(out)
    }

    async fn read_vote(&mut self) -> io::Result<Option<Vote>> {
        self.get_meta(KEY_VOTE)
    }
}

impl RaftLogStorage<TypeConfig> for RocksLogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> io::Result<LogState<TypeConfig>> {
        let last_purged_log_id: Option<LogId> = self.get_meta(KEY_PURGED)?;
        let last_log_id = self.last_entry_log_id()?.or(last_purged_log_id);
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> io::Result<()> {
        self.put_meta_sync(KEY_VOTE, vote)?;
        self.note_vote(Some(vote));
        Ok(())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> io::Result<()> {
        // Kept in memory and written with the next append, not in a write of its own (a
        // RocksDB write per commit on every node, ~2-4% of a node's CPU). The committed id
        // is only a hint that lets a restarted node apply up to it before it hears from a
        // leader; the applied id is saved with every apply, and commit is re-established by
        // the leader, so a hint older than the last commit is safe.
        *self.committed_mut() = (committed, true);
        Ok(())
    }

    async fn read_committed(&mut self) -> io::Result<Option<LogId>> {
        let (saved, _) = *self.committed_mut();
        match saved {
            Some(c) => Ok(Some(c)),
            None => Ok(self.get_meta::<Option<LogId>>(KEY_COMMITTED)?.flatten()),
        }
    }

    async fn append<I>(&mut self, entries: I, callback: IOFlushed<TypeConfig>) -> io::Result<()>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut batch = WriteBatch::default();
        let log_cf = cf(&self.db, CF_LOG);
        let mut appended = Vec::new();
        for entry in entries {
            let bytes = crate::records::encode("a log entry", &entry)?;
            batch.put_cf(log_cf, index_key(entry.log_id.index), &bytes);
            appended.push((entry, bytes.len()));
        }
        if let Some(c) = self.take_unsaved_committed() {
            let bytes = crate::records::encode("the committed id", &c)?;
            batch.put_cf(cf(&self.db, CF_RAFT), KEY_COMMITTED, bytes);
        }
        if self.following.load(Ordering::Relaxed) {
            // A follower: durable before this returns (see `for_node`).
            let written = self.write_durably(batch);
            self.note_appended(appended, written.is_ok());
            callback.io_completed(written.as_ref().map(|_| ()).map_err(io_err));
            return written;
        }
        // A leader: readable (from the cache) now, so openraft replicates the entries as soon
        // as this returns; the syncer writes them to RocksDB and the journal and fsyncs
        // meanwhile, and openraft counts them durable here only once the callback reports it.
        self.behind.queue_one()?;
        self.note_appended(appended, true);
        if !self.syncer.send(Queued { batch, callback }) {
            self.behind.unqueue_one();
            self.note_appended(Vec::new(), false);
            return Err(io_err("the WAL syncer stopped"));
        }
        Ok(())
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> io::Result<()> {
        let from = last_log_id.map_or(0, |l| l.index + 1);
        let mut batch = WriteBatch::default();
        batch.delete_range_cf(cf(&self.db, CF_LOG), index_key(from), index_key(u64::MAX));
        batch.delete_cf(cf(&self.db, CF_LOG), index_key(u64::MAX));
        self.drain()?;
        // Dropped from the cache first: a failed write leaves the log unknown, and an entry
        // missing from the cache is only read from RocksDB.
        self.recent().truncated_after(last_log_id.map(|l| l.index));
        self.write_durably(batch)
    }

    async fn purge(&mut self, log_id: LogId) -> io::Result<()> {
        let mut batch = WriteBatch::default();
        let bytes = crate::records::encode("the purged id", &log_id)?;
        batch.put_cf(cf(&self.db, CF_RAFT), KEY_PURGED, bytes);
        batch.delete_range_cf(
            cf(&self.db, CF_LOG),
            index_key(0),
            index_key(log_id.index + 1),
        );
        self.drain()?;
        self.recent().purged_upto(log_id.index);
        // RocksDB's WAL is synced first: the state machine's applies (never synced on their
        // own) become durable at least up to the snapshot that covers the purged entries, so
        // no crash can leave the state behind a log that no longer holds what it lacks.
        self.db.flush_wal(true).map_err(io_err)?;
        self.journal.write_durably(&self.db, batch)
    }
}

/// The index a log key names.
fn key_index(k: &[u8]) -> io::Result<u64> {
    k.try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| io_err("a log key is not 8 bytes"))
}

/// Reads the last purged log id (for status reporting).
pub(crate) fn purged_index(db: &DB) -> Option<u64> {
    let bytes = db.get_cf(cf(db, CF_RAFT), KEY_PURGED).ok().flatten()?;
    crate::records::decode::<LogId>("the purged id", &bytes)
        .ok()
        .map(|l| l.index)
}
