//! The Raft log's journal: a preallocated, append-only file that makes the log store's writes
//! durable.
//!
//! Every log store write (entries, vote, committed hint, truncation, purge) is one RocksDB
//! [`WriteBatch`]. It is written to RocksDB without a sync, and its bytes are appended to the
//! journal; the journal's `fdatasync` is what makes it durable. Why not RocksDB's own synced
//! WAL: RocksDB preallocates its WAL with `FALLOC_FL_KEEP_SIZE`, so every append grows the
//! file and every `fdatasync` must also commit the new file size to the filesystem's journal.
//! The journal's file is allocated at its full size up front (as etcd does with its WAL
//! segments), so an append changes no file metadata but the written extents. Measured on the
//! project's VM (ext4): 350-byte append + `fdatasync`, p50 ~72 µs growing vs ~49 µs
//! preallocated; a follower's fsync is on every write's commit path (`bench/RESULTS.md`,
//! twelfth session).
//!
//! Invariants:
//! - Journal order is RocksDB order: both writes happen under one lock.
//! - Replaying a journal over the RocksDB it was written beside gives the state it had when
//!   the journal's last complete record was written: every batch is a blind write (puts and
//!   range deletes of fixed keys), so re-applying a suffix of what RocksDB already holds, in
//!   order, changes nothing that a later record does not change again.
//! - A full file is synced before the next one takes records, and removed only after
//!   RocksDB's WAL was synced past everything it holds (on the journal's thread, off the write
//!   path, which also makes the next file ahead of time). Opening always replays every file
//!   in order, syncs RocksDB and starts a fresh file, so a file is only ever appended to from
//!   its start by one process: nothing stale follows its last record but zeros (or a torn
//!   record, which replay stops at).
//!
//! Record: `len: u32 LE`, `crc32(payload): u32 LE`, `payload` (a `WriteBatch`'s data). A zero
//! length, a record past the file's end or a CRC mismatch ends the journal.

use rocksdb::{WriteBatch, DB};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, Weak};

/// Size of a fresh journal file (etcd's WAL segment size). A record larger than this gets a
/// file of its own size.
pub(crate) const CAPACITY: u64 = 64 << 20;
const HEADER: usize = 8;
const SUFFIX: &str = "journal";

pub(crate) struct Journal {
    shared: Arc<Shared>,
    chores: mpsc::Sender<Chore>,
}

struct Shared {
    dir: PathBuf,
    capacity: u64,
    current: Mutex<Current>,
    /// The next file, made ahead of time by the journal's thread so that a rotation costs
    /// the write path one `fdatasync`, not a file's allocation. Lock order: `current` before
    /// `spare`.
    spare: Mutex<Option<Spare>>,
}

struct Current {
    file: Arc<File>,
    seq: u64,
    offset: u64,
    size: u64,
}

struct Spare {
    file: File,
    seq: u64,
    size: u64,
}

/// Work for the journal's thread, off the write path.
enum Chore {
    /// Make file `seq` the spare.
    MakeSpare(u64),
    /// Sync RocksDB's WAL (covering every batch written so far, so all this full file holds),
    /// then remove the file.
    Retire(PathBuf),
    /// Answer once every earlier chore is done.
    #[cfg(test)]
    Settle(mpsc::Sender<()>),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Both guarded values are only changed by whole assignments after the I/O they depend
    // on succeeded; a panic cannot leave one half-updated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Journal {
    /// Opens the journal in `dir` (created if missing) beside `db`: replays every complete
    /// record of its files, oldest first, into `db`; makes that durable in RocksDB; then
    /// starts a fresh file and removes the replayed ones.
    pub(crate) fn open(dir: &Path, db: &Arc<DB>) -> io::Result<Self> {
        Self::open_with_capacity(dir, db, CAPACITY)
    }

    pub(crate) fn open_with_capacity(dir: &Path, db: &Arc<DB>, capacity: u64) -> io::Result<Self> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let old = files(dir)?;
        for (_, path) in &old {
            replay(path, db)?;
        }
        if !old.is_empty() {
            db.flush_wal(true).map_err(crate::log_store::io_err)?;
        }
        let seq = old.last().map_or(1, |(s, _)| s + 1);
        let (file, size) = create(dir, seq, capacity)?;
        for (_, path) in &old {
            std::fs::remove_file(path)?;
        }
        sync_dir(dir)?;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            capacity,
            current: Mutex::new(Current {
                file: Arc::new(file),
                seq,
                offset: 0,
                size,
            }),
            spare: Mutex::new(None),
        });
        let (chores, rx) = mpsc::channel();
        // The thread holds only a weak database reference, upgraded just for a retirement's
        // WAL sync: the thread never keeps the database open.
        let (worker, weak_db) = (shared.clone(), Arc::downgrade(db));
        std::thread::Builder::new()
            .name("iamd-journal".into())
            .spawn(move || run_chores(&worker, &weak_db, &rx))?;
        let _ = chores.send(Chore::MakeSpare(seq + 1));
        Ok(Self { shared, chores })
    }

    /// Writes `batch` to `db` (not synced) and appends it to the journal (not synced either:
    /// see [`Journal::sync`]). When the file is full, it is synced and the spare file takes
    /// over; the journal's thread removes the full one once RocksDB's WAL is synced past it.
    pub(crate) fn write(&self, db: &DB, batch: WriteBatch) -> io::Result<()> {
        let payload = batch.data();
        let len = u32::try_from(payload.len())
            .map_err(|_| io::Error::other("a log write of 4 GiB or more"))?;
        let mut record = Vec::with_capacity(HEADER + payload.len());
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        record.extend_from_slice(payload);
        let mut cur = lock(&self.shared.current);
        let needed = record.len() as u64;
        if cur.offset + needed > cur.size {
            // What the full file holds is durable before any later record lands elsewhere
            // (a `sync` only syncs the file current when it runs).
            cur.file.sync_data()?;
            let seq = cur.seq + 1;
            let (file, size) = self.shared.next_file(seq, needed)?;
            let full = path_of(&self.shared.dir, cur.seq);
            *cur = Current {
                file: Arc::new(file),
                seq,
                offset: 0,
                size,
            };
            let _ = self.chores.send(Chore::Retire(full));
            let _ = self.chores.send(Chore::MakeSpare(seq + 1));
        }
        db.write(batch).map_err(crate::log_store::io_err)?;
        // At an explicit offset: after a failed (partial) write the next record overwrites
        // it, so no garbage ever sits between two records.
        cur.file.write_all_at(&record, cur.offset)?;
        cur.offset += needed;
        Ok(())
    }

    /// Makes everything appended so far durable (`fdatasync`). Runs without the lock: a
    /// rotation meanwhile synced the full file before it switched.
    pub(crate) fn sync(&self) -> io::Result<()> {
        let file = lock(&self.shared.current).file.clone();
        let started = std::time::Instant::now();
        let synced = file.sync_data();
        iam_raft::metrics::FSYNC_SECONDS.observe(started.elapsed());
        synced
    }

    /// [`Journal::write`] then [`Journal::sync`].
    pub(crate) fn write_durably(&self, db: &DB, batch: WriteBatch) -> io::Result<()> {
        self.write(db, batch)?;
        self.sync()
    }

    /// Waits until the journal's thread has done everything asked of it so far.
    #[cfg(test)]
    fn settle(&self) {
        let (tx, rx) = mpsc::channel();
        if self.chores.send(Chore::Settle(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

impl Shared {
    /// File `seq` for a record of `needed` bytes: the spare if it is that file and large
    /// enough, else one made now.
    fn next_file(&self, seq: u64, needed: u64) -> io::Result<(File, u64)> {
        let mut spare = lock(&self.spare);
        match spare.take() {
            Some(s) if s.seq == seq && s.size >= needed => return Ok((s.file, s.size)),
            Some(s) if s.seq == seq => {
                drop(s.file);
                std::fs::remove_file(path_of(&self.dir, seq))?;
            }
            _ => {}
        }
        create(&self.dir, seq, self.capacity.max(needed))
    }

    /// Makes file `seq` the spare, unless a rotation already took that number. Holds the
    /// spare's lock while it creates the file, so a rotation waiting for it gets it.
    fn make_spare(&self, seq: u64) -> io::Result<()> {
        if lock(&self.current).seq >= seq {
            return Ok(());
        }
        let mut spare = lock(&self.spare);
        if spare.as_ref().is_some_and(|s| s.seq >= seq) {
            return Ok(());
        }
        let (file, size) = create(&self.dir, seq, self.capacity)?;
        *spare = Some(Spare { file, seq, size });
        Ok(())
    }
}

fn run_chores(shared: &Shared, db: &Weak<DB>, rx: &mpsc::Receiver<Chore>) {
    while let Ok(chore) = rx.recv() {
        match chore {
            Chore::MakeSpare(seq) => {
                if let Err(e) = shared.make_spare(seq) {
                    // The next rotation makes its file itself.
                    tracing::warn!(error = %e, seq, "could not prepare the next journal file");
                }
            }
            Chore::Retire(path) => {
                // Without the database (closed) the file stays; the next open replays it,
                // which changes nothing RocksDB already holds.
                let Some(db) = db.upgrade() else { continue };
                let retired = db
                    .flush_wal(true)
                    .map_err(crate::log_store::io_err)
                    .and_then(|()| std::fs::remove_file(&path))
                    .and_then(|()| sync_dir(&shared.dir));
                if let Err(e) = retired {
                    tracing::warn!(error = %e, file = %path.display(), "could not retire a full journal file; the next start replays it");
                }
            }
            #[cfg(test)]
            Chore::Settle(done) => {
                let _ = done.send(());
            }
        }
    }
}

fn path_of(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.{SUFFIX}"))
}

/// The journal files in `dir`, oldest first. Anything else there is refused: the directory
/// is the journal's alone, and a stray file may be a journal misnamed by hand.
fn files(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let path = item?.path();
        let seq = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(SUFFIX)?.strip_suffix('.'))
            .and_then(|s| s.parse::<u64>().ok());
        match seq {
            Some(seq) => found.push((seq, path)),
            None => {
                return Err(io::Error::other(format!(
                    "{} is not a journal file; the journal directory holds only \
                     <number>.{SUFFIX} files",
                    path.display()
                )))
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A new, zero-filled file of `capacity` bytes (allocated, size set), durable.
fn create(dir: &Path, seq: u64, capacity: u64) -> io::Result<(File, u64)> {
    let path = path_of(dir, seq);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    match rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, capacity) {
        Ok(()) => {}
        // A filesystem without fallocate: a sparse file of the same size still keeps the
        // size fixed (appends then allocate blocks as they go).
        Err(rustix::io::Errno::OPNOTSUPP) => {
            tracing::debug!("fallocate unsupported; journal file left sparse");
            file.set_len(capacity)?;
        }
        // Anything else (a full disk above all) is an error, not a reason to go sparse.
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(io::Error::from(e));
        }
    }
    file.sync_all()?;
    sync_dir(dir)?;
    Ok((file, capacity))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes every complete record of the file at `path` into `db`, in order. Reads as it goes:
/// a file is mostly zeros after its last record, and replay stops at the first.
fn replay(path: &Path, db: &DB) -> io::Result<()> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut reader = Records::new(io::BufReader::with_capacity(1 << 20, file), size);
    while let Some(payload) = reader.next_record()? {
        db.write(WriteBatch::from_data(&payload))
            .map_err(crate::log_store::io_err)?;
    }
    Ok(())
}

/// The complete records at the start of a file of `size` bytes: up to a zero length, a
/// record that does not fit, or a CRC mismatch (a torn last write).
struct Records<R> {
    reader: R,
    left: u64,
}

impl<R: io::Read> Records<R> {
    fn new(reader: R, size: u64) -> Self {
        Self { reader, left: size }
    }

    /// The next record's payload; `None` at the journal's end. A read error is an error, not
    /// an end: the file was there to be read.
    fn next_record(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.left < HEADER as u64 {
            return Ok(None);
        }
        let mut header = [0u8; HEADER];
        self.reader.read_exact(&mut header)?;
        let [l0, l1, l2, l3, c0, c1, c2, c3] = header;
        let len = u32::from_le_bytes([l0, l1, l2, l3]);
        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
        let rest = self.left - HEADER as u64;
        if len == 0 || u64::from(len) > rest {
            return Ok(None);
        }
        let mut payload = vec![0; len as usize];
        self.reader.read_exact(&mut payload)?;
        if crc32fast::hash(&payload) != crc {
            return Ok(None);
        }
        self.left = rest - u64::from(len);
        Ok(Some(payload))
    }
}

#[cfg(test)]
mod tests;
