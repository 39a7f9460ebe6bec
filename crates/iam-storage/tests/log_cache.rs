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
                append_durably(&mut log, entries).await;
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

/// Appends `entries` and waits until the store reports them durable (a leader's append is
/// written to RocksDB by the WAL syncer, behind `append`).
async fn append_durably(log: &mut RocksLogStore, entries: Vec<Entry>) {
    use openraft::type_config::TypeConfigExt;
    let (tx, rx) = iam_raft::types::TypeConfig::oneshot();
    log.append(entries, IOFlushed::signal(tx)).await.unwrap();
    rx.await.unwrap().expect("append durable");
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
    append_durably(&mut log, entries).await;
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

/// A leader's appends are readable as soon as `append` returns, before the WAL syncer wrote
/// them: from the cache, and from RocksDB once a read reaches past the cache (it waits for
/// the syncer's writes) — through the store and through a reader cloned from it. Votes,
/// truncations and purges keep their order after queued appends.
#[tokio::test]
async fn a_leaders_queued_appends_are_read_back_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    let mut reader = log.get_log_reader().await;
    // Far more entries than the cache keeps, in many appends, none awaited.
    let total = 3_000u64;
    for chunk in (1..=total).collect::<Vec<_>>().chunks(7) {
        let entries: Vec<Entry> = chunk.iter().map(|&i| entry(1, i)).collect();
        log.append(entries, IOFlushed::noop()).await.unwrap();
    }
    let want: Vec<u64> = (1..=total).collect();
    let indexes = |v: Vec<LogId>| v.into_iter().map(|l| l.index).collect::<Vec<_>>();
    assert_eq!(indexes(read(&mut reader, 1, total + 1).await), want);
    assert_eq!(indexes(read(&mut log, 1, total + 1).await), want);
    let state = log.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id.map(|l| l.index), Some(total));
    // More queued appends, then a truncation and a purge: each applies after them.
    let more: Vec<Entry> = (total + 1..=total + 600).map(|i| entry(1, i)).collect();
    log.append(more, IOFlushed::noop()).await.unwrap();
    log.truncate_after(Some(entry(1, total + 100).log_id))
        .await
        .unwrap();
    log.append(vec![entry(2, total + 101)], IOFlushed::noop())
        .await
        .unwrap();
    log.purge(entry(1, 10).log_id).await.unwrap();
    log.save_vote(&Vote::new_committed(3, 1)).await.unwrap();
    drop((log, reader));
    let mut plain = RocksLogStore::new(&store);
    let kept = read(&mut plain, 0, total + 700).await;
    assert_eq!(kept.len() as u64, total + 101 - 10);
    assert_eq!(kept.first().map(|l| l.index), Some(11));
    assert_eq!(kept.last(), Some(&entry(2, total + 101).log_id));
}
