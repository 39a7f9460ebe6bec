//! Opening the node's RocksDB and its identity file (`node.json`: cluster id and node id).

use crate::journal::Journal;
use rocksdb::{ColumnFamilyDescriptor, Options, DB};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) const CF_LOG: &str = "log";
pub(crate) const CF_RAFT: &str = "raft";
pub(crate) const CF_STATE: &str = "state";
pub(crate) const CF_SM: &str = "sm";

/// Who this data directory belongs to. Written once, when the directory is first used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeMeta {
    pub cluster_id: String,
    pub node_id: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("data dir {dir:?} belongs to node {found}, not node {wanted}; start with --node-id {found} or use an empty data dir (a wiped node must rejoin under a new id)")]
    WrongNode {
        dir: PathBuf,
        found: u64,
        wanted: u64,
    },
    #[error("data dir {dir:?} is not usable: {reason}")]
    Unusable { dir: PathBuf, reason: String },
    #[error("cannot open RocksDB in {dir:?}: {source}")]
    Rocks {
        dir: PathBuf,
        source: rocksdb::Error,
    },
}

/// The opened data directory: the database and this node's identity (if already known).
pub struct Store {
    pub dir: PathBuf,
    pub db: Arc<DB>,
    pub meta: Option<NodeMeta>,
    /// The Raft log's journal (`<dir>/journal`), already replayed into `db`.
    pub(crate) journal: Arc<Journal>,
}

impl Store {
    /// Whether Raft ever wrote here (a vote, a log entry or its purge mark, applied state):
    /// a directory with a cluster id but none of these never took part in the cluster (a
    /// start that stopped before it bootstrapped or was replicated to).
    pub fn holds_raft_state(&self) -> bool {
        [CF_LOG, CF_RAFT, CF_SM].iter().any(|name| {
            self.db
                .iterator_cf(cf(&self.db, name), rocksdb::IteratorMode::Start)
                .next()
                .is_some()
        })
    }

    /// Records the cluster this node belongs to (fsync'd); called when bootstrapping or
    /// joining.
    pub fn save_meta(&mut self, meta: NodeMeta) -> Result<(), OpenError> {
        let path = self.dir.join("node.json");
        let unusable = |e: std::io::Error| OpenError::Unusable {
            dir: self.dir.clone(),
            reason: e.to_string(),
        };
        let body = serde_json::to_vec_pretty(&meta).expect("NodeMeta serializes");
        crate::snapshot::write_durably(&path, &body).map_err(unusable)?;
        self.meta = Some(meta);
        Ok(())
    }
}

/// The state column family is read by point lookups, most of them for keys that do not
/// exist (a name not taken yet, a quota left at its default, a request token not seen):
/// bloom filters over whole keys, in the memtable and in every table file, answer those
/// without searching the memtable's skip list or the files' indexes.
fn state_cf_options() -> Options {
    let mut o = Options::default();
    o.set_memtable_prefix_bloom_ratio(0.1);
    o.set_memtable_whole_key_filtering(true);
    let mut table = rocksdb::BlockBasedOptions::default();
    table.set_bloom_filter(10.0, false);
    table.set_whole_key_filtering(true);
    o.set_block_based_table_factory(&table);
    o
}

/// The node id recorded in `dir` by an earlier start, if any.
pub fn recorded_node_id(dir: &Path) -> Result<Option<u64>, OpenError> {
    let meta_path = dir.join("node.json");
    match std::fs::read(&meta_path) {
        Ok(bytes) => {
            let meta: NodeMeta =
                serde_json::from_slice(&bytes).map_err(|e| OpenError::Unusable {
                    dir: dir.to_path_buf(),
                    reason: format!("{} is corrupt: {e}", meta_path.display()),
                })?;
            Ok(Some(meta.node_id))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(OpenError::Unusable {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Opens (creating if needed) the data directory for `node_id`. Refuses a directory that
/// belongs to another node id.
pub fn open(dir: &Path, node_id: u64) -> Result<Store, OpenError> {
    let unusable = |reason: String| OpenError::Unusable {
        dir: dir.to_path_buf(),
        reason,
    };
    // Owner only (see `private`), before anything is written into it.
    crate::private::secure_dir(dir).map_err(|e| unusable(e.to_string()))?;
    let meta_path = dir.join("node.json");
    let meta = match std::fs::read(&meta_path) {
        Ok(bytes) => {
            let meta: NodeMeta = serde_json::from_slice(&bytes)
                .map_err(|e| unusable(format!("{} is corrupt: {e}", meta_path.display())))?;
            if meta.node_id != node_id {
                return Err(OpenError::WrongNode {
                    dir: dir.to_path_buf(),
                    found: meta.node_id,
                    wanted: node_id,
                });
            }
            Some(meta)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(unusable(e.to_string())),
    };
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    opts.set_max_background_jobs(2);
    // Flushes and compactions write their files out 1 MiB at a time as they go, instead of
    // leaving tens of MiB of dirty pages for one final fsync that the WAL's per-append fsync
    // then queues behind (seen as writes stalling for hundreds of milliseconds).
    opts.set_bytes_per_sync(1 << 20);
    // The same for the WAL, which is never fsync'd on the write path (the log's journal is,
    // see journal.rs): a journal rotation's or a purge's `flush_wal(true)` then finds at most
    // about a MiB still to write, not everything since the last memtable switch.
    opts.set_wal_bytes_per_sync(1 << 20);
    // Writes (the state machine's applies, the log store's writes, which its journal makes
    // durable) stay in RocksDB's WAL buffer rather than costing a write(2) each; every synced
    // write and `flush_wal` writes the buffer out first, and so does RocksDB when the buffer
    // fills, before it switches memtables, and when it closes. What a crash can lose is thus a
    // suffix of RocksDB's writes — applies, which a restart re-applies from the log, and log
    // writes, which the journal restores — and the WAL stays a prefix of what was written, so
    // the state is never ahead of its applied id.
    opts.set_manual_wal_flush(true);
    let cfs = [CF_LOG, CF_RAFT, CF_STATE, CF_SM].map(|n| {
        let o = if n == CF_STATE {
            state_cf_options()
        } else {
            Options::default()
        };
        ColumnFamilyDescriptor::new(n, o)
    });
    let db_path = dir.join("db");
    let db = DB::open_cf_descriptors(&opts, &db_path, cfs).map_err(|source| OpenError::Rocks {
        dir: db_path.clone(),
        source,
    })?;
    check_format(&db).map_err(unusable)?;
    let db = Arc::new(db);
    let journal_dir = dir.join("journal");
    let journal = Journal::open(&journal_dir, &db)
        .map_err(|e| unusable(format!("its Raft log journal {journal_dir:?}: {e}")))?;
    Ok(Store {
        dir: dir.to_path_buf(),
        db,
        meta,
        journal: Arc::new(journal),
    })
}

/// The on-disk format of the Raft log, vote and state machine records. Format 1 (no marker)
/// was written with openraft 0.9, whose vote record differs from 0.10's; a directory in
/// another format is refused rather than misread. Format 3 adds the log's journal, which may
/// hold durable log writes RocksDB lost: an iamd that reads format 2 would ignore it, so it
/// must refuse the directory. Format 2 is format 3 with an empty journal, and is upgraded.
/// Format 4 writes every record versioned (`iam_raft::format`, `records.rs`); it reads format
/// 3's unversioned records, so format 2 and 3 directories are upgraded by marking them; an
/// iamd that reads format 3 could not read format 4's records, so it refuses the directory.
const FORMAT: u32 = 4;
const UPGRADED_IN_PLACE: [u32; 2] = [2, 3];
const KEY_FORMAT: &[u8] = b"format";

fn check_format(db: &DB) -> Result<(), String> {
    let raft = cf(db, CF_RAFT);
    let found = db.get_cf(raft, KEY_FORMAT).map_err(|e| e.to_string())?;
    let mut o = rocksdb::WriteOptions::default();
    o.set_sync(true);
    let write_format = || {
        let mut batch = rocksdb::WriteBatch::default();
        batch.put_cf(raft, KEY_FORMAT, FORMAT.to_be_bytes());
        db.write_opt(batch, &o).map_err(|e| e.to_string())
    };
    match found {
        Some(b) if b.as_slice() == FORMAT.to_be_bytes() => Ok(()),
        Some(b)
            if UPGRADED_IN_PLACE
                .iter()
                .any(|f| b.as_slice() == f.to_be_bytes()) =>
        {
            write_format()
        }
        Some(b) => {
            let found = <[u8; 4]>::try_from(b.as_slice())
                .map_or_else(|_| format!("{b:?}"), |v| u32::from_be_bytes(v).to_string());
            Err(format!(
                "its storage format is {found}, but this iamd reads format {FORMAT}; use the \
                 iamd version that wrote it, or start this node with an empty data dir and let \
                 it rejoin"
            ))
        }
        None => {
            let holds_records = |name: &str| {
                db.iterator_cf(cf(db, name), rocksdb::IteratorMode::Start)
                    .next()
                    .is_some()
            };
            if [CF_RAFT, CF_LOG, CF_SM].into_iter().any(holds_records) {
                return Err(format!(
                    "it was written by an older iamd (storage format 1, openraft 0.9), which this \
                     iamd (format {FORMAT}) cannot read; start this node with an empty data dir \
                     and let it rejoin the cluster"
                ));
            }
            write_format()
        }
    }
}

pub(crate) fn cf<'a>(db: &'a DB, name: &str) -> &'a rocksdb::ColumnFamily {
    db.cf_handle(name)
        .expect("column families are created at open")
}
