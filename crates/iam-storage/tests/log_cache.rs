//! The log store keeps its latest entries in memory for replication reads. Property: through
//! any sequence of appends (also after restarts, i.e. with an empty cache), truncations and
//! purges, a read through the store returns exactly what a store that reads only RocksDB
//! returns, for every range.

use iam_raft::types::{Entry, EntryPayload, LeaderId, LogId, Vote};
use iam_storage::RocksLogStore;
use openraft::storage::{IOFlushed, RaftLogStorage};
use openraft::vote::RaftLeaderId;
use openraft::RaftLogReader;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Append this many entries after the last one (in a new term when `new_term`).
    Append { n: usize, new_term: bool },
    /// Keep only the first `frac` of the log (a conflict: the follower's tail is replaced).
    Truncate { frac: f64 },
    /// Purge the first `frac` of the log.
    Purge { frac: f64 },
    /// Start over with a new store on the same database (a restart: the cache is empty).
    Reopen,
    /// Become a follower (inline fsync) or the leader (syncer) by saving a vote.
    Vote { leader: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..300, any::<bool>()).prop_map(|(n, new_term)| Op::Append { n, new_term }),
        1 => (0.0f64..1.0).prop_map(|frac| Op::Truncate { frac }),
        1 => (0.0f64..1.0).prop_map(|frac| Op::Purge { frac }),
        1 => Just(Op::Reopen),
        1 => (1u64..3).prop_map(|leader| Op::Vote { leader }),
    ]
}

fn entry(term: u64, index: u64) -> Entry {
    Entry {
        log_id: LogId::new(LeaderId::new(term, 1), index),
        payload: EntryPayload::Blank,
    }
}

async fn read(store: &mut RocksLogStore, from: u64, to: u64) -> Vec<LogId> {
    store
        .try_get_log_entries(from..to)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.log_id)
        .collect()
}

async fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    let (mut first, mut last, mut term) = (1u64, 0u64, 1u64);
    for op in ops {
        match op {
            Op::Append { n, new_term } => {
                term += u64::from(new_term);
                let entries: Vec<Entry> = (last + 1..=last + n as u64)
                    .map(|i| entry(term, i))
                    .collect();
                log.append(entries, IOFlushed::noop()).await.unwrap();
                last += n as u64;
            }
            Op::Truncate { frac } => {
                let keep = first - 1 + ((last + 1 - first) as f64 * frac) as u64;
                let keep_id = if keep >= first {
                    Some(stored_id(&store, keep).await)
                } else {
                    None
                };
                log.truncate_after(keep_id).await.unwrap();
                last = keep;
            }
            Op::Purge { frac } => {
                let upto = first - 1 + ((last + 1 - first) as f64 * frac) as u64;
                if upto >= first {
                    log.purge(stored_id(&store, upto).await).await.unwrap();
                    first = upto + 1;
                }
            }
            Op::Reopen => log = RocksLogStore::for_node(&store, 1).unwrap(),
            Op::Vote { leader } => {
                term += 1;
                log.save_vote(&Vote::new_committed(term, leader))
                    .await
                    .unwrap();
            }
        }
        // A store created now has an empty cache: it reads RocksDB only.
        let mut plain = RocksLogStore::new(&store);
        let lo = first.saturating_sub(2);
        for from in [lo, first, last.saturating_sub(5).max(lo), last, last + 1] {
            for to in [from, from + 1, from + 7, last + 1, last + 3] {
                assert_eq!(
                    read(&mut log, from, to).await,
                    read(&mut plain, from, to).await,
                    "range {from}..{to} (log {first}..={last})"
                );
            }
        }
    }
}

/// The log id stored at `index` (read from RocksDB, as openraft would know it).
async fn stored_id(store: &iam_storage::Store, index: u64) -> LogId {
    let mut plain = RocksLogStore::new(store);
    let entries = plain.try_get_log_entries(index..=index).await.unwrap();
    entries[0].log_id
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn cached_reads_equal_rocksdb_reads(ops in proptest::collection::vec(op(), 1..25)) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(ops));
    }
}

/// The reads are really served from memory: entries just appended are returned even after
/// they are deleted behind the store's back, where RocksDB alone has nothing.
#[tokio::test]
async fn recent_entries_are_read_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    let entries: Vec<Entry> = (1..=10).map(|i| entry(1, i)).collect();
    log.append(entries, IOFlushed::noop()).await.unwrap();
    let log_cf = store.db.cf_handle("log").unwrap();
    store
        .db
        .delete_range_cf(log_cf, 0u64.to_be_bytes(), u64::MAX.to_be_bytes())
        .unwrap();
    let mut plain = RocksLogStore::new(&store);
    assert!(read(&mut plain, 3, 8).await.is_empty());
    assert_eq!(read(&mut log, 3, 8).await.len(), 5);
    // A range reaching past the last kept entry is RocksDB's to answer.
    assert!(read(&mut log, 3, 12).await.is_empty());
}
