//! openraft's storage test suite against our RocksDB stores, plus our own durability and
//! determinism checks: the RocksDB state machine and the in-memory reference reach the same
//! state hash, and data survives reopening.

use iam_raft::types::{Entry, EntryPayload, LeaderId, LogId, Requests, StorageError, TypeConfig};
use iam_state::ops::users::UserOp;
use iam_state::{Command, MemStore, Request};
use iam_storage::{RocksLogStore, RocksStateMachine};
use openraft::storage::RaftStateMachine;
use openraft::testing::log::{StoreBuilder, Suite};
use openraft::vote::RaftLeaderId;
use openraft::RaftSnapshotBuilder;

/// Builds the stores; `node` makes the log store a node's ([`RocksLogStore::for_node`]),
/// which fsyncs inline whenever the suite's votes name another node.
struct Builder {
    node: Option<u64>,
}

impl StoreBuilder<TypeConfig, RocksLogStore, RocksStateMachine, tempfile::TempDir> for Builder {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, RocksLogStore, RocksStateMachine), StorageError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = iam_storage::open(dir.path(), 1).expect("open store");
        let log = match self.node {
            None => RocksLogStore::new(&store),
            Some(id) => RocksLogStore::for_node(&store, id).expect("log store"),
        };
        let sm = RocksStateMachine::new(store.db.clone(), dir.path());
        Ok((dir, log, sm))
    }
}

#[tokio::test]
async fn openraft_storage_suite_passes() {
    Suite::test_all(Builder { node: None })
        .await
        .expect("openraft storage suite");
}

#[tokio::test]
async fn openraft_storage_suite_passes_for_a_node_that_follows() {
    Suite::test_all(Builder { node: Some(1) })
        .await
        .expect("openraft storage suite (node 1)");
}

/// A follower (its last vote names another node) makes an append durable before `append`
/// returns — across a reopen too, where the vote is read back; a leader's append is reported
/// durable by the WAL syncer.
#[tokio::test]
async fn a_follower_fsyncs_appends_inline_and_a_leader_on_the_syncer() {
    use iam_raft::types::Vote;
    use openraft::storage::RaftLogStorage;
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    log.save_vote(&Vote::new_committed(2, 2)).await.unwrap();
    let pending = append_one(&mut log, 1).await;
    assert!(
        pending.is_none(),
        "a follower's append is durable when it returns"
    );

    log.save_vote(&Vote::new_committed(3, 1)).await.unwrap();
    if let Some(pending) = append_one(&mut log, 2).await {
        pending
            .await
            .unwrap()
            .expect("the syncer reports the leader's append");
    }

    log.save_vote(&Vote::new_committed(4, 3)).await.unwrap();
    drop((log, store));
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    let pending = append_one(&mut log, 3).await;
    assert!(
        pending.is_none(),
        "after a reopen, the saved vote still makes this node a follower"
    );
    let got = openraft::RaftLogReader::try_get_log_entries(&mut log, 1..4)
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
}

/// Appends entry `index`; `None` if its durability was reported (as a success) by the time
/// `append` returned, else the receiver of the report to come.
async fn append_one(
    log: &mut RocksLogStore,
    index: u64,
) -> Option<tokio::sync::oneshot::Receiver<Result<(), std::io::Error>>> {
    let account = Command::CreateAccount {
        account_id: "123456789012".into(),
        name: "a".into(),
        email: "r@a.example.com".into(),
    };
    append_entry(log, entry(index, account)).await
}

fn entry(index: u64, command: Command) -> Entry {
    Entry {
        log_id: LogId::new(LeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(Requests::new(vec![Request {
            request_token: Some(format!("t{index}")),
            time_ms: index,
            command,
            origin: None,
        }])),
    }
}

fn commands() -> Vec<Command> {
    let mut v = vec![Command::CreateAccount {
        account_id: "123456789012".into(),
        name: "a".into(),
        email: "r@a.example.com".into(),
    }];
    for i in 0..50 {
        v.push(Command::in_account(
            "123456789012",
            UserOp::Create {
                name: format!("u{}", i % 30),
                path: "/".into(),
                user_id: format!("AIDA{i:017}"),
                tags: vec![],
                permissions_boundary: None,
            },
        ));
        if i % 7 == 0 {
            v.push(Command::in_account(
                "123456789012",
                UserOp::Delete {
                    name: format!("u{}", i / 2),
                },
            ));
        }
    }
    v
}

#[tokio::test]
async fn rocks_and_memory_stores_reach_the_same_hash_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let cmds = commands();
    let expected = reference_hash(&cmds, cmds.len() as u64);
    {
        let store = iam_storage::open(dir.path(), 1).unwrap();
        let mut sm = RocksStateMachine::new(store.db.clone(), dir.path());
        let entries: Vec<Entry> = cmds
            .iter()
            .enumerate()
            .map(|(i, c)| entry((i + 1) as u64, c.clone()))
            .collect();
        sm.apply_entries(entries).unwrap();
        let (applied, hash) = sm.view().hash_at_applied();
        assert_eq!(applied, cmds.len() as u64);
        assert_eq!(
            hash, expected,
            "RocksDB apply must equal the in-memory reference"
        );
        // A snapshot installed into a fresh store reproduces the state exactly.
        let snap = sm.build_snapshot().await.unwrap();
        let other_dir = tempfile::tempdir().unwrap();
        let other = iam_storage::open(other_dir.path(), 2).unwrap();
        let mut sm2 = RocksStateMachine::new(other.db.clone(), other_dir.path());
        sm2.install_snapshot(&snap.meta, snap.snapshot)
            .await
            .unwrap();
        assert_eq!(sm2.view().hash_at_applied(), (applied, expected.clone()));
    }
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let sm = RocksStateMachine::new(store.db.clone(), dir.path());
    assert_eq!(sm.view().hash_at_applied(), (cmds.len() as u64, expected));
}

#[test]
fn a_data_dir_of_another_node_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = iam_storage::open(dir.path(), 3).unwrap();
    store
        .save_meta(iam_storage::NodeMeta {
            cluster_id: "c1".into(),
            node_id: 3,
        })
        .unwrap();
    drop(store);
    let err = iam_storage::open(dir.path(), 4).err().expect("must refuse");
    assert!(
        err.to_string().contains("belongs to node 3, not node 4"),
        "{err}"
    );
    std::fs::write(dir.path().join("node.json"), b"{not json").unwrap();
    let err = iam_storage::open(dir.path(), 3)
        .err()
        .expect("must refuse corrupt meta");
    assert!(err.to_string().contains("is corrupt"), "{err}");
}

/// Why opening `dir` as node 1 is refused (it must be).
fn refusal(dir: &std::path::Path) -> String {
    iam_storage::open(dir, 1)
        .err()
        .expect("the data dir must be refused")
        .to_string()
}

/// A data dir whose format record says `format`.
fn dir_in_format(format: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let raft_cf = store.db.cf_handle("raft").unwrap();
    store
        .db
        .put_cf(raft_cf, b"format", format.to_be_bytes())
        .unwrap();
    dir
}

#[tokio::test]
async fn a_data_dir_in_another_storage_format_is_refused_and_left_alone() {
    use openraft::storage::RaftLogStorage;
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::new(&store);
    log.save_vote(&iam_raft::types::Vote::new(3, 1))
        .await
        .unwrap();
    // As an iamd built on openraft 0.9 left it: a vote and no format record.
    let raft_cf = store.db.cf_handle("raft").unwrap();
    store.db.delete_cf(raft_cf, b"format").unwrap();
    drop((log, store));
    let err = refusal(dir.path());
    assert!(err.contains("older iamd"), "{err}");
    // Refusing wrote nothing: it is refused again, for the same reason.
    let err = refusal(dir.path());
    assert!(err.contains("older iamd"), "{err}");

    let other = dir_in_format(9);
    let err = refusal(other.path());
    assert!(err.contains("storage format is 9"), "{err}");
    // Format 2 (before the log's journal) is format 3 with an empty journal: it opens, and
    // is marked format 4, which an older iamd refuses.
    let two = dir_in_format(2);
    std::fs::remove_dir_all(two.path().join("journal")).unwrap();
    let store = iam_storage::open(two.path(), 1).expect("a format 2 dir opens");
    let raft_cf = store.db.cf_handle("raft").unwrap();
    assert_eq!(
        store.db.get_cf(raft_cf, b"format").unwrap().as_deref(),
        Some(&4u32.to_be_bytes()[..])
    );
    assert!(two.path().join("journal").is_dir());
    drop(store);
    // Format 3 wrote records without a format version: they still read, and the directory
    // is marked format 4.
    let three = dir_in_format(3);
    let old_vote = iam_raft::types::Vote::new(7, 1);
    {
        let store = iam_storage::open(three.path(), 1).unwrap();
        let raft_cf = store.db.cf_handle("raft").unwrap();
        let mut o = rocksdb::WriteOptions::default();
        o.set_sync(true);
        let mut batch = rocksdb::WriteBatch::default();
        batch.put_cf(raft_cf, b"format", 3u32.to_be_bytes());
        batch.put_cf(raft_cf, b"vote", bincode::serialize(&old_vote).unwrap());
        store.db.write_opt(batch, &o).unwrap();
    }
    let store = iam_storage::open(three.path(), 1).expect("a format 3 dir opens");
    let raft_cf = store.db.cf_handle("raft").unwrap();
    assert_eq!(
        store.db.get_cf(raft_cf, b"format").unwrap().as_deref(),
        Some(&4u32.to_be_bytes()[..])
    );
    let mut log = RocksLogStore::new(&store);
    assert_eq!(
        openraft::RaftLogReader::read_vote(&mut log).await.unwrap(),
        Some(old_vote)
    );
    drop((log, store));
    // A directory in the current format opens again and keeps its vote.
    let fresh = tempfile::tempdir().unwrap();
    let store = iam_storage::open(fresh.path(), 1).unwrap();
    let vote = iam_raft::types::Vote::new(4, 1);
    RocksLogStore::new(&store).save_vote(&vote).await.unwrap();
    drop(store);
    let store = iam_storage::open(fresh.path(), 1).expect("reopens");
    let mut log = RocksLogStore::new(&store);
    assert_eq!(
        openraft::RaftLogReader::read_vote(&mut log).await.unwrap(),
        Some(vote)
    );
}

/// The state hash of the in-memory reference after applying entries `1..=upto` of `cmds`
/// (as [`entry`] builds them).
fn reference_hash(cmds: &[Command], upto: u64) -> String {
    let mut mem = MemStore::new();
    for (i, c) in cmds.iter().enumerate().take(upto as usize) {
        let index = (i + 1) as u64;
        let req = Request {
            request_token: Some(format!("t{index}")),
            time_ms: index,
            command: c.clone(),
            origin: None,
        };
        let (_, w) = iam_state::apply(&mem, index, &req);
        mem.commit(w);
    }
    iam_state::state_hash(&mem)
}

/// Copies a directory tree as it is on disk now: what a process killed at this instant
/// would leave behind (anything still in the process's own buffers is not there).
fn copy_as_crashed(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_as_crashed(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), target).unwrap();
        }
    }
}

/// A process crash right after appends were acknowledged keeps every one of them (follower
/// appends fsync'd inline, a leader's reported by the WAL syncer), and leaves the state
/// machine at some applied index with exactly the state of that index (applies are not
/// synced and may be lost, but never partly or ahead of their applied id); re-applying the
/// log from there reaches the state the crashed process had. Checked once after follower
/// appends and once after leader appends, each the last synced write before the "crash".
#[tokio::test]
async fn a_crash_keeps_acknowledged_appends_and_a_consistent_state() {
    use iam_raft::types::Vote;
    use openraft::storage::RaftLogStorage;
    let cmds: Vec<Command> = commands().into_iter().take(8).collect();
    let entries: Vec<Entry> = (1..=8)
        .map(|i| entry(i, cmds[i as usize - 1].clone()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    let mut sm = RocksStateMachine::new(store.db.clone(), dir.path());
    // Entries 1-5 as a follower, 1-4 applied.
    log.save_vote(&Vote::new_committed(2, 2)).await.unwrap();
    for e in &entries[..5] {
        assert!(append_entry(&mut log, e.clone()).await.is_none());
    }
    sm.apply_entries(entries[..4].to_vec()).unwrap();
    recover_as_crashed(dir.path(), &cmds, &entries[..5], 4).await;
    // Then 6-8 as the leader, up to 7 applied.
    log.save_vote(&Vote::new_committed(3, 1)).await.unwrap();
    for e in &entries[5..] {
        if let Some(pending) = append_entry(&mut log, e.clone()).await {
            pending
                .await
                .unwrap()
                .expect("the syncer reports the append");
        }
    }
    sm.apply_entries(entries[4..7].to_vec()).unwrap();
    assert_eq!(sm.view().hash_at_applied(), (7, reference_hash(&cmds, 7)));
    recover_as_crashed(dir.path(), &cmds, &entries, 7).await;
}

/// Opens a copy of `dir` as a crash would leave it: the log holds exactly `acknowledged`,
/// the state is that of its applied index (at most `applied`), and re-applying the log up
/// to `applied` gives the state the live process had.
async fn recover_as_crashed(
    dir: &std::path::Path,
    cmds: &[Command],
    acknowledged: &[Entry],
    applied: u64,
) {
    use openraft::RaftLogReader;
    let crashed = tempfile::tempdir().unwrap();
    copy_as_crashed(dir, crashed.path());
    let store = iam_storage::open(crashed.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    let kept = log.try_get_log_entries(1..100).await.unwrap();
    assert_eq!(kept, acknowledged, "every acknowledged append survives");
    let mut sm = RocksStateMachine::new(store.db.clone(), crashed.path());
    let (at, hash) = sm.view().hash_at_applied();
    assert!(at <= applied, "applied {at} was never applied");
    assert_eq!(hash, reference_hash(cmds, at));
    sm.apply_entries(kept[at as usize..applied as usize].to_vec())
        .unwrap();
    assert_eq!(
        sm.view().hash_at_applied(),
        (applied, reference_hash(cmds, applied))
    );
}

/// Appends `e`; `None` if it was reported durable by the time `append` returned.
async fn append_entry(
    log: &mut RocksLogStore,
    e: Entry,
) -> Option<tokio::sync::oneshot::Receiver<Result<(), std::io::Error>>> {
    use openraft::storage::{IOFlushed, RaftLogStorage};
    use openraft::type_config::TypeConfigExt;
    let (tx, mut rx) = TypeConfig::oneshot();
    log.append([e], IOFlushed::signal(tx)).await.unwrap();
    match rx.try_recv() {
        Ok(result) => {
            result.expect("append durable");
            None
        }
        Err(_) => Some(rx),
    }
}

/// openraft's committed id is kept in memory and written with the next append: read back at
/// once, and after a reopen once an append followed it.
#[tokio::test]
async fn the_committed_id_is_saved_with_the_next_append() {
    use openraft::storage::RaftLogStorage;
    let dir = tempfile::tempdir().unwrap();
    let committed = Some(LogId::new(LeaderId::new(1, 1), 1));
    {
        let store = iam_storage::open(dir.path(), 1).unwrap();
        let mut log = RocksLogStore::for_node(&store, 1).unwrap();
        assert_eq!(log.read_committed().await.unwrap(), None);
        log.save_committed(committed).await.unwrap();
        assert_eq!(log.read_committed().await.unwrap(), committed);
        let account = commands().remove(0);
        if let Some(pending) = append_entry(&mut log, entry(2, account)).await {
            pending.await.unwrap().unwrap();
        }
    }
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut log = RocksLogStore::for_node(&store, 1).unwrap();
    assert_eq!(log.read_committed().await.unwrap(), committed);
}

/// A build older than a finalized release stops at the finalization entry, and refuses a
/// snapshot of such a cluster, naming both releases; it applies nothing of either.
#[tokio::test]
async fn an_older_build_stops_at_a_release_it_cannot_apply() {
    let newer = iam_state::release::RELEASE + 1;
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut sm = RocksStateMachine::new(store.db.clone(), dir.path());
    sm.apply_entries(vec![entry(1, commands()[0].clone())])
        .unwrap();
    let finalize = Command::FinalizeRelease { release: newer };
    let err = sm.apply_entries(vec![entry(2, finalize)]).unwrap_err();
    let want = format!("log entry 2 needs iamd release {newer}");
    assert!(err.to_string().contains(&want), "{err}");
    let (applied, hash) = sm.view().hash_at_applied();
    assert_eq!(applied, 1, "nothing of entry 2 applied");

    // A snapshot whose state runs the newer release.
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = vec![(
        iam_state::keys::RELEASE.as_bytes().to_vec(),
        newer.to_string().into_bytes(),
    )];
    let data = iam_storage::records::encode("a snapshot", &pairs).unwrap();
    let meta = iam_raft::types::SnapshotMeta {
        last_log_id: Some(LogId::new(LeaderId::new(1, 1), 9)),
        last_membership: Default::default(),
    };
    let err = sm.install_snapshot(&meta, data).await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("needs iamd release {newer}")),
        "{err}"
    );
    assert_eq!(
        sm.view().hash_at_applied(),
        (applied, hash),
        "nothing installed"
    );
}
