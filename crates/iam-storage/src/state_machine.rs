//! The state machine store: applies log entries with `iam_state::apply`, and builds and
//! installs snapshots. [`StateView`] is the read side shared with the API.

use crate::db::{cf, CF_SM, CF_STATE};
use crate::log_store::io_err;
use crate::snapshot::{self, Pairs, SnapshotFile};
use iam_raft::types::{
    Entry, EntryPayload, LogId, Snapshot, SnapshotData, SnapshotMeta, StoredMembership, TypeConfig,
};
use iam_state::{ApplyObserver, Response, StateRead};
use openraft::storage::{EntryResponder, RaftStateMachine};
use openraft::{OptionalSend, RaftSnapshotBuilder};
use rocksdb::{Direction, IteratorMode, ReadOptions, WriteBatch, DB};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const KEY_APPLIED: &[u8] = b"applied";
const KEY_MEMBERSHIP: &[u8] = b"membership";
const SNAPSHOT_FILE: &str = "snapshot.bin";

/// Read access to the applied state; cheap to clone and safe to use from any task.
#[derive(Clone)]
pub struct StateView {
    db: Arc<DB>,
}

impl StateView {
    pub fn new(db: Arc<DB>) -> Self {
        Self { db }
    }

    /// The log index this node has applied.
    pub fn applied_index(&self) -> u64 {
        read_sm::<Option<LogId>>(&self.db, KEY_APPLIED)
            .ok()
            .flatten()
            .flatten()
            .map_or(0, |l| l.index)
    }

    /// The state digest and the applied index it was taken at, from one consistent snapshot.
    pub fn hash_at_applied(&self) -> (u64, String) {
        self.consistent(|state, applied| (applied, iam_state::state_hash(state)))
    }

    /// Runs `f` over one consistent RocksDB snapshot of the state and the applied index that
    /// snapshot is at (a read of several keys never mixes two applies).
    pub fn consistent<R>(&self, f: impl FnOnce(&dyn StateRead, u64) -> R) -> R {
        let snap = self.db.snapshot();
        let applied = snap
            .get_cf(cf(&self.db, CF_SM), KEY_APPLIED)
            .ok()
            .flatten()
            .and_then(|b| crate::records::decode::<Option<LogId>>("the applied id", &b).ok())
            .flatten()
            .map_or(0, |l| l.index);
        let view = SnapView {
            db: &self.db,
            snap: &snap,
        };
        f(&view, applied)
    }

    /// Runs `f` over the state as one RocksDB snapshot taken at `f`'s first read: a
    /// decision that reads nothing (the root in its own account) costs no snapshot, one that
    /// reads several keys never mixes two applies. For reads that need no applied index.
    pub fn reads<R>(&self, f: impl FnOnce(&dyn StateRead) -> R) -> R {
        let view = LazySnapView {
            db: &self.db,
            snap: std::cell::OnceCell::new(),
        };
        f(&view)
    }

    /// The last purged log index (0 if none).
    pub fn purged_index(&self) -> u64 {
        crate::log_store::purged_index(&self.db).unwrap_or(0)
    }
}

fn scan_iter<'a>(
    iter: impl Iterator<Item = Result<(Box<[u8]>, Box<[u8]>), rocksdb::Error>> + 'a,
    prefix: &[u8],
    after: Option<&[u8]>,
    limit: usize,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    iter.filter_map(Result::ok)
        .skip_while(|(k, _)| after.is_some_and(|a| k.as_ref() <= a))
        .take_while(|(k, _)| k.starts_with(prefix))
        .take(limit)
        .map(|(k, v)| (k.into_vec(), v.into_vec()))
        .collect()
}

impl StateRead for StateView {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.db.get_cf(cf(&self.db, CF_STATE), key).ok().flatten()
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let from = after.unwrap_or(prefix);
        let it = self.db.iterator_cf(
            cf(&self.db, CF_STATE),
            IteratorMode::From(from, Direction::Forward),
        );
        scan_iter(it, prefix, after, limit)
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        for (k, v) in self
            .db
            .iterator_cf(cf(&self.db, CF_STATE), IteratorMode::Start)
            .flatten()
        {
            f(&k, &v);
        }
    }
}

/// The state as of one RocksDB snapshot.
struct SnapView<'a> {
    db: &'a DB,
    snap: &'a rocksdb::Snapshot<'a>,
}

impl StateRead for SnapView<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.snap.get_cf(cf(self.db, CF_STATE), key).ok().flatten()
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let from = after.unwrap_or(prefix);
        let it = self.snap.iterator_cf(
            cf(self.db, CF_STATE),
            IteratorMode::From(from, Direction::Forward),
        );
        scan_iter(it, prefix, after, limit)
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        for (k, v) in self
            .snap
            .iterator_cf(cf(self.db, CF_STATE), IteratorMode::Start)
            .flatten()
        {
            f(&k, &v);
        }
    }
}

/// A snapshot view whose snapshot is taken by its first read ([`StateView::reads`]).
struct LazySnapView<'a> {
    db: &'a DB,
    snap: std::cell::OnceCell<rocksdb::Snapshot<'a>>,
}

impl<'a> LazySnapView<'a> {
    fn view(&self) -> SnapView<'_> {
        SnapView {
            db: self.db,
            snap: self.snap.get_or_init(|| self.db.snapshot()),
        }
    }
}

impl StateRead for LazySnapView<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.view().get(key)
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.view().scan(prefix, after, limit)
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        self.view().for_each(f)
    }
}

fn read_sm<T: serde::de::DeserializeOwned>(db: &DB, key: &[u8]) -> io::Result<Option<T>> {
    match db.get_cf(cf(db, CF_SM), key).map_err(io_err)? {
        None => Ok(None),
        Some(b) => crate::records::decode(&String::from_utf8_lossy(key), &b).map(Some),
    }
}

/// The state machine store.
pub struct RocksStateMachine {
    db: Arc<DB>,
    view: StateView,
    snapshot_path: PathBuf,
    observer: Option<Arc<dyn ApplyObserver>>,
}

impl RocksStateMachine {
    pub fn new(db: Arc<DB>, dir: &std::path::Path) -> Self {
        Self {
            view: StateView::new(db.clone()),
            db,
            snapshot_path: dir.join(SNAPSHOT_FILE),
            observer: None,
        }
    }

    /// Tells `observer` about every applied write set (before and after it is committed) and
    /// every snapshot install.
    pub fn with_observer(mut self, observer: Arc<dyn ApplyObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn view(&self) -> StateView {
        self.view.clone()
    }

    fn membership(&self) -> io::Result<StoredMembership> {
        Ok(read_sm(&self.db, KEY_MEMBERSHIP)?.unwrap_or_default())
    }

    /// Applies entries in order and returns each entry's responses (one per request; none
    /// for blank and membership entries). Each entry's state changes and applied log id are
    /// written in one batch.
    pub fn apply_entries(
        &mut self,
        entries: impl IntoIterator<Item = Entry>,
    ) -> io::Result<Vec<Vec<Response>>> {
        entries.into_iter().map(|e| self.apply_entry(&e)).collect()
    }

    fn apply_entry(&mut self, entry: &Entry) -> io::Result<Vec<Response>> {
        let started = std::time::Instant::now();
        let applied = self.apply_entry_timed(entry);
        iam_raft::metrics::APPLY_SECONDS.observe(started.elapsed());
        applied
    }

    fn apply_entry_timed(&mut self, entry: &Entry) -> io::Result<Vec<Response>> {
        let mut batch = WriteBatch::default();
        let mut observed = None;
        let response = match &entry.payload {
            EntryPayload::Blank => Vec::new(),
            EntryPayload::Normal(requests) => {
                // A build of an older release stops here rather than apply commands it may
                // not understand (see iam_state::release).
                for r in requests.0.iter() {
                    let what = || format!("log entry {}", entry.log_id.index);
                    if let Some(why) = iam_state::release::needs(&r.command)
                        .and_then(|needed| iam_state::release::unsupported(needed, &what()))
                    {
                        tracing::error!("{why}");
                        return Err(io::Error::other(why));
                    }
                }
                let (resp, writes) =
                    iam_state::apply_batch(&self.view, entry.log_id.index, &requests.0);
                let state_cf = cf(&self.db, CF_STATE);
                for (k, v) in &writes.ops {
                    match v {
                        Some(v) => batch.put_cf(state_cf, k, v),
                        None => batch.delete_cf(state_cf, k),
                    }
                }
                if !writes.is_empty() {
                    if let Some(o) = &self.observer {
                        o.observe(entry.log_id.index, &writes);
                    }
                    observed = Some(writes);
                }
                resp
            }
            EntryPayload::Membership(m) => {
                let stored = StoredMembership::new(Some(entry.log_id), m.clone());
                put_sm(&self.db, &mut batch, KEY_MEMBERSHIP, &stored)?;
                Vec::new()
            }
        };
        put_sm(&self.db, &mut batch, KEY_APPLIED, &Some(entry.log_id))?;
        self.db.write(batch).map_err(io_err)?;
        if let (Some(o), Some(writes)) = (&self.observer, &observed) {
            o.observe(entry.log_id.index, writes);
        }
        Ok(response)
    }
}

fn put_sm<T: serde::Serialize>(
    db: &DB,
    batch: &mut WriteBatch,
    key: &[u8],
    value: &T,
) -> io::Result<()> {
    let bytes = crate::records::encode(&String::from_utf8_lossy(key), value)?;
    batch.put_cf(cf(db, CF_SM), key, bytes);
    Ok(())
}

/// Runs blocking storage work (a whole-state scan or rewrite) off the async threads, so a
/// node whose runtime has a single thread keeps serving heartbeats and requests meanwhile.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(io_err)?
}

/// Serializes the state at one consistent RocksDB snapshot and saves it to `path` durably.
fn build_snapshot_file(db: &DB, path: &Path) -> io::Result<SnapshotFile> {
    let started = std::time::Instant::now();
    let snap = db.snapshot();
    let read = |key: &[u8]| snap.get_cf(cf(db, CF_SM), key).map_err(io_err);
    let last_applied: Option<LogId> = match read(KEY_APPLIED)? {
        Some(b) => crate::records::decode("the applied id", &b)?,
        None => None,
    };
    let last_membership: StoredMembership = match read(KEY_MEMBERSHIP)? {
        Some(b) => crate::records::decode("the membership", &b)?,
        None => StoredMembership::default(),
    };
    let mut opts = ReadOptions::default();
    opts.set_snapshot(&snap);
    let mut pairs: Pairs = Vec::new();
    for item in db.iterator_cf_opt(cf(db, CF_STATE), opts, IteratorMode::Start) {
        let (k, v) = item.map_err(io_err)?;
        pairs.push((k.into_vec(), v.into_vec()));
    }
    let data = crate::records::encode("a snapshot", &pairs)?;
    let meta = SnapshotMeta {
        last_log_id: last_applied,
        last_membership,
    };
    let file = SnapshotFile { meta, data };
    snapshot::save(path, &file)?;
    iam_raft::metrics::SNAPSHOT_BUILD_SECONDS.observe(started.elapsed());
    iam_raft::metrics::SNAPSHOT_LAST_BYTES.set(file.data.len() as u64);
    Ok(file)
}

/// Replaces the state with a snapshot's pairs and records its meta, in one synced batch,
/// empties the observer's caches at once, then keeps the snapshot as this node's current one.
fn install_snapshot_file(
    db: &DB,
    path: &Path,
    meta: &SnapshotMeta,
    data: Vec<u8>,
    observer: Option<&dyn ApplyObserver>,
) -> io::Result<()> {
    let pairs: Pairs = crate::records::decode(&format!("snapshot {:?}", meta.last_log_id), &data)?;
    let what = format!("the snapshot at {:?}", meta.last_log_id);
    if let Some(why) =
        iam_state::release::unsupported(iam_state::release::release_of_pairs(&pairs), &what)
    {
        tracing::error!("{why}");
        return Err(io::Error::other(why));
    }
    let mut batch = WriteBatch::default();
    let state_cf = cf(db, CF_STATE);
    // Keys are ASCII, so [0xff] is past every key.
    batch.delete_range_cf(state_cf, &[][..], &[0xffu8][..]);
    for (k, v) in &pairs {
        batch.put_cf(state_cf, k, v);
    }
    put_sm(db, &mut batch, KEY_APPLIED, &meta.last_log_id)?;
    put_sm(db, &mut batch, KEY_MEMBERSHIP, &meta.last_membership)?;
    let mut opts = rocksdb::WriteOptions::default();
    opts.set_sync(true);
    db.write_opt(batch, &opts).map_err(io_err)?;
    // Nothing cached from the replaced state may be served past this point.
    if let Some(o) = observer {
        o.reset();
    }
    iam_raft::metrics::SNAPSHOT_LAST_BYTES.set(data.len() as u64);
    let file = SnapshotFile {
        meta: meta.clone(),
        data,
    };
    snapshot::save(path, &file)
}

impl RaftSnapshotBuilder<TypeConfig> for RocksStateMachine {
    type SnapshotData = SnapshotData;

    async fn build_snapshot(&mut self) -> io::Result<Snapshot> {
        let (db, path) = (self.db.clone(), self.snapshot_path.clone());
        let file = blocking(move || build_snapshot_file(&db, &path)).await?;
        Ok(Snapshot {
            meta: file.meta,
            snapshot: file.data,
        })
    }
}

impl RaftStateMachine<TypeConfig> for RocksStateMachine {
    type SnapshotData = SnapshotData;
    type SnapshotBuilder = Self;

    async fn applied_state(&mut self) -> io::Result<(Option<LogId>, StoredMembership)> {
        let applied: Option<LogId> = read_sm::<Option<LogId>>(&self.db, KEY_APPLIED)?.flatten();
        Ok((applied, self.membership()?))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> io::Result<()>
    where
        Strm: futures::Stream<Item = io::Result<EntryResponder<TypeConfig>>> + Unpin + OptionalSend,
    {
        use futures::StreamExt;
        while let Some(item) = entries.next().await {
            let (entry, responder) = item?;
            let response = self.apply_entry(&entry)?;
            if let Some(r) = responder {
                r.send(response);
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        RocksStateMachine {
            db: self.db.clone(),
            view: self.view.clone(),
            snapshot_path: self.snapshot_path.clone(),
            observer: None,
        }
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: SnapshotData,
    ) -> io::Result<()> {
        let (db, path, meta) = (self.db.clone(), self.snapshot_path.clone(), meta.clone());
        let observer = self.observer.clone();
        blocking(move || install_snapshot_file(&db, &path, &meta, snapshot, observer.as_deref()))
            .await
    }

    async fn get_current_snapshot(&mut self) -> io::Result<Option<Snapshot>> {
        let path = self.snapshot_path.clone();
        let file = blocking(move || snapshot::load(&path)).await?;
        Ok(file.map(|f| Snapshot {
            meta: f.meta,
            snapshot: f.data,
        }))
    }
}
