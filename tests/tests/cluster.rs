//! Multi-process cluster tests: replication, leader failure under writes, restart and
//! catch-up, snapshots for new nodes, membership changes, idempotent writes, read
//! consistency. Every test starts real `iamd` processes on loopback and bounds its time.

use ::iam_client::{Client, ClientError};
use iam_proto::v1::*;
use iamd_tests::{within, Cluster};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn create_account(c: &mut Client) -> (String, u64) {
    let req = CreateAccountRequest {
        write: Some(WriteOptions {
            request_token: Client::new_token(),
        }),
        name: "acme".into(),
        email: "root@acme.example.com".into(),
        account_id: String::new(),
    };
    let r = c
        .call(|mut i, _| {
            let req = req.clone();
            async move { i.create_account(req).await }
        })
        .await
        .expect("create account");
    (r.account.expect("account").id, r.log_index)
}

async fn create_user(
    c: &mut Client,
    account: &str,
    name: &str,
    token: &str,
) -> Result<UserReply, ClientError> {
    let req = CreateUserRequest {
        write: Some(WriteOptions {
            request_token: token.into(),
        }),
        account: account.into(),
        name: name.into(),
        path: "/".into(),
        tags: vec![],
        permissions_boundary: String::new(),
    };
    c.call(|mut i, _| {
        let req = req.clone();
        async move { i.create_user(req).await }
    })
    .await
}

async fn get_user(
    c: &mut Client,
    account: &str,
    name: &str,
    read: ReadOptions,
) -> Result<UserReply, ClientError> {
    let req = GetUserRequest {
        read: Some(read),
        account: account.into(),
        name: name.into(),
    };
    c.call(|mut i, _| {
        let req = req.clone();
        async move { i.get_user(req).await }
    })
    .await
}

async fn list_all_users(c: &mut Client, account: &str, read: ReadOptions) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut marker = String::new();
    loop {
        let req = ListUsersRequest {
            read: Some(read),
            account: account.into(),
            path_prefix: "/".into(),
            marker: marker.clone(),
            max_items: 1000,
        };
        let r = c
            .call(|mut i, _| {
                let req = req.clone();
                async move { i.list_users(req).await }
            })
            .await
            .expect("list users");
        out.extend(r.users.into_iter().map(|u| u.name));
        if !r.is_truncated {
            return out;
        }
        marker = r.marker;
    }
}

fn at_least(index: u64) -> ReadOptions {
    ReadOptions {
        consistency: Consistency::AtLeast as i32,
        at_least_index: index,
    }
}

fn linearizable() -> ReadOptions {
    ReadOptions {
        consistency: Consistency::Linearizable as i32,
        at_least_index: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_replicate_writes_made_on_any_node() {
    within(Duration::from_secs(90), async {
        let mut cluster = Cluster::start(3).await;
        let (account, _) = create_account(&mut cluster.client()).await;
        let mut last = 0;
        for id in 1..=3u64 {
            // Write through each node in turn: followers forward to the leader.
            let mut one = cluster.client_of(id);
            let r = create_user(
                &mut one,
                &account,
                &format!("user-via-{id}"),
                &Client::new_token(),
            )
            .await
            .expect("create");
            assert!(
                r.log_index > last,
                "log indexes grow: {} then {}",
                last,
                r.log_index
            );
            last = r.log_index;
            // Read-your-writes on another node with the returned index.
            let other = id % 3 + 1;
            let got = get_user(
                &mut cluster.client_of(other),
                &account,
                &format!("USER-VIA-{id}"),
                at_least(r.log_index),
            )
            .await
            .expect("get");
            assert_eq!(got.user.expect("user").name, format!("user-via-{id}"));
            assert!(got.applied_index >= r.log_index);
        }
        let hash = cluster.wait_converged(last, Duration::from_secs(10)).await;
        assert_eq!(hash.len(), 64);
        // Duplicate names (case-insensitive) are refused on every node, with AWS's code.
        let dup = create_user(
            &mut cluster.client_of(2),
            &account,
            "User-Via-1",
            &Client::new_token(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&dup, ClientError::Refused { code, .. } if code == "EntityAlreadyExists"),
            "{dup}"
        );
        // A refused write creates nothing: the one user of that name is still the first.
        // (Its request token remembers the refusal, so the state hash moves: see
        // iam_state::token.)
        cluster.wait_converged(last, Duration::from_secs(10)).await;
        for id in 1..=3 {
            let got = get_user(
                &mut cluster.client_of(id),
                &account,
                "user-via-1",
                linearizable(),
            )
            .await
            .expect("get");
            assert_eq!(got.user.expect("user").name, "user-via-1", "node {id}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_request_token_applies_once() {
    within(Duration::from_secs(60), async {
        let mut cluster = Cluster::start(3).await;
        let (account, _) = create_account(&mut cluster.client()).await;
        let first = create_user(
            &mut cluster.client_of(2),
            &account,
            "carol",
            "retry-token-1",
        )
        .await
        .expect("first");
        // The same token through another node returns the first result, not a conflict.
        let again = create_user(
            &mut cluster.client_of(3),
            &account,
            "carol",
            "retry-token-1",
        )
        .await
        .expect("retry");
        assert_eq!(first.user, again.user);
        let users = list_all_users(&mut cluster.client(), &account, linearizable()).await;
        assert_eq!(
            users.into_iter().collect::<Vec<_>>(),
            vec!["carol".to_string()]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_ahead_of_the_node_fails_clearly_instead_of_answering_stale() {
    within(Duration::from_secs(60), async {
        let mut cluster = Cluster::start(3).await;
        let (account, index) = create_account(&mut cluster.client()).await;
        let mut one = Client::new(&[cluster.node(2).api_url()], Duration::from_secs(3))
            .expect("client")
            .with_credentials(cluster.root_credentials());
        let started = Instant::now();
        let err = get_user(&mut one, &account, "nobody", at_least(index + 1_000_000))
            .await
            .unwrap_err();
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "the node waits briefly before giving up"
        );
        match err {
            ClientError::Unavailable(msg) => assert!(msg.contains("applied index"), "{msg}"),
            other => panic!("expected a retryable error, got {other}"),
        }
        let missing = get_user(
            &mut cluster.client_of(3),
            &account,
            "nobody",
            linearizable(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&missing, ClientError::Refused { code, .. } if code == "NoSuchEntity"),
            "{missing}"
        );
    })
    .await;
}

/// Kill -9 the leader while writers run: a new leader takes writes quickly, every
/// acknowledged write survives on all nodes, hashes agree, and the killed node catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_leader_under_writes_loses_nothing_acknowledged() {
    within(Duration::from_secs(150), async {
        let mut cluster = Cluster::start(3).await;
        let (account, _) = create_account(&mut cluster.client()).await;
        let acked: Arc<Mutex<Vec<(String, u64, Instant)>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..4 {
            let mut client = cluster.client();
            let (acked, stop, account) = (acked.clone(), stop.clone(), account.clone());
            writers.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let name = format!("w{w}-{i}");
                    // One token per logical write: failover retries never duplicate it.
                    let token = format!("tok-{name}");
                    if let Ok(r) = create_user(&mut client, &account, &name, &token).await {
                        acked
                            .lock()
                            .unwrap()
                            .push((name, r.log_index, Instant::now()));
                    }
                    i += 1;
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let old_leader = cluster.leader(Duration::from_secs(5)).await;
        let before_kill = acked.lock().unwrap().len();
        assert!(before_kill > 0, "writes flow before the kill");
        let killed_at = Instant::now();
        cluster.kill(old_leader);
        // Wait for a new leader and the first write acknowledged after the kill.
        let new_leader = cluster.leader(Duration::from_secs(10)).await;
        assert_ne!(new_leader, old_leader);
        let failover = loop {
            if let Some(t) = acked
                .lock()
                .unwrap()
                .iter()
                .map(|a| a.2)
                .filter(|t| *t > killed_at)
                .min()
            {
                break t - killed_at;
            }
            assert!(
                killed_at.elapsed() < Duration::from_secs(15),
                "no write succeeded within 15 s of the kill"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        eprintln!(
            "failover: first write acknowledged {failover:?} after kill -9 of leader {old_leader}"
        );
        assert!(
            failover < Duration::from_secs(5),
            "writes resumed only after {failover:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for w in writers {
            w.await.expect("writer");
        }
        let acked = acked.lock().unwrap().clone();
        let max_index = acked.iter().map(|a| a.1).max().unwrap_or(0);
        assert!(acked.len() > before_kill, "writes continued after the kill");
        let hash = cluster
            .wait_converged(max_index, Duration::from_secs(20))
            .await;
        for id in cluster.running_ids() {
            let names =
                list_all_users(&mut cluster.client_of(id), &account, at_least(max_index)).await;
            for (name, _, _) in &acked {
                assert!(
                    names.contains(name),
                    "acknowledged user {name} missing on node {id}"
                );
            }
        }
        // The killed node restarts from its disk and catches up to the same state.
        cluster.start_node(old_leader);
        let hash_after = cluster
            .wait_converged(max_index, Duration::from_secs(30))
            .await;
        assert_eq!(hash, hash_after);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_node_catches_up_from_a_snapshot_and_nodes_can_be_removed() {
    within(Duration::from_secs(150), async {
        let mut cluster = Cluster::start_with(3, 50).await;
        let (account, _) = create_account(&mut cluster.client()).await;
        let mut client = cluster.client();
        let mut last = 0;
        for i in 0..120 {
            last = create_user(
                &mut client,
                &account,
                &format!("snap-{i}"),
                &Client::new_token(),
            )
            .await
            .expect("create")
            .log_index;
        }
        // Force compaction everywhere so the log no longer holds the early entries.
        for id in 1..=3 {
            let r = cluster
                .client_of(id)
                .call(|_, mut c| async move { c.snapshot(SnapshotRequest {}).await })
                .await
                .expect("snapshot");
            assert!(r.snapshot_index > 0);
        }
        cluster
            .wait_for(|s| s.purged_index > 0, Duration::from_secs(10))
            .await;
        cluster.spawn_new(4);
        cluster.wait_voters(4, Duration::from_secs(60)).await;
        let hash = cluster.wait_converged(last, Duration::from_secs(30)).await;
        let s4 = cluster.status(4).await.expect("status of node 4");
        assert!(
            s4.snapshot_index > 0,
            "node 4 was brought up from a snapshot"
        );
        let names = list_all_users(&mut cluster.client_of(4), &account, at_least(last)).await;
        assert_eq!(names.len(), 120);
        // Remove node 2 through iamctl; the rest keep serving writes.
        let (code, out, err) =
            cluster.iamctl(&["cluster", "remove-node", "--id", "2", "-o", "json"]);
        assert_eq!(code, 0, "{out}{err}");
        // A removed node no longer hears from the leader; stop it, the rest agree on 3 voters.
        let _ = cluster.stop(2);
        cluster.wait_voters(3, Duration::from_secs(20)).await;
        let r = create_user(
            &mut cluster.client(),
            &account,
            "after-removal",
            &Client::new_token(),
        )
        .await
        .expect("write after removal");
        assert!(r.log_index > last);
        let h = cluster
            .wait_converged(r.log_index, Duration::from_secs(20))
            .await;
        assert_ne!(h, hash);
        // Removing a node that is not a member is refused with a clear message and exit 1.
        let (code, _, err) = cluster.iamctl(&["cluster", "remove-node", "--id", "42"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("node 42 is not a member"), "{err}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_and_a_restarted_node_recovers_from_disk() {
    within(Duration::from_secs(90), async {
        let mut cluster = Cluster::start(3).await;
        let (account, _) = create_account(&mut cluster.client()).await;
        let r = create_user(
            &mut cluster.client(),
            &account,
            "durable",
            &Client::new_token(),
        )
        .await
        .expect("create");
        let status = cluster.stop(3).expect("node 3 exit status");
        assert!(
            status.success(),
            "SIGTERM leads to a clean exit, got {status}"
        );
        assert!(cluster.log_of(3).contains("iamd node stopped"));
        let r2 = create_user(
            &mut cluster.client(),
            &account,
            "while-down",
            &Client::new_token(),
        )
        .await
        .expect("create");
        cluster.start_node(3);
        let hash = cluster
            .wait_converged(r2.log_index, Duration::from_secs(30))
            .await;
        assert_eq!(hash.len(), 64);
        let got = get_user(
            &mut cluster.client_of(3),
            &account,
            "durable",
            at_least(r.log_index),
        )
        .await
        .expect("get");
        assert_eq!(got.user.expect("user").name, "durable");
    })
    .await;
}
