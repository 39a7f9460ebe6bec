//! Concurrent writes share log entries: the leader gathers the writes that arrive while
//! earlier entries are in flight into one entry. Every write is answered with its own
//! result, a retried write (same request token) is not applied twice, and every node ends
//! with the same state. Writes made on a follower reach the leader in shared forward calls.

use iam_client::Client;
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::ops::account::AccountQuery;
use iam_state::ops::users::UserOp;
use iam_state::{Command, Query};
use iamd_tests::{within, Cluster};
use std::collections::BTreeSet;
use std::time::Duration;

const WRITERS: usize = 64;

/// `WRITERS` concurrent creates through `client`, each sent twice with its request token;
/// returns the index each committed at.
async fn write_concurrently(client: &Client, account: &str, prefix: &str) -> Vec<u64> {
    let mut tasks = Vec::new();
    for i in 0..WRITERS {
        let mut client = client.clone();
        let account = account.to_owned();
        let name = format!("{prefix}-{i}");
        tasks.push(tokio::spawn(async move {
            let cmd = Command::in_account(
                &account,
                UserOp::Create {
                    name: name.clone(),
                    path: "/".into(),
                    tags: vec![],
                    permissions_boundary: None,
                    user_id: String::new(),
                },
            );
            let token = format!("token-{name}");
            let (first, index) = client.write(&cmd, &token).await.expect("create");
            assert_eq!(first["name"], name, "{first}");
            // The same write again: the first answer, not a second user.
            let (again, _) = client.write(&cmd, &token).await.expect("retry");
            assert_eq!(first, again);
            index
        }));
    }
    let mut indexes = Vec::new();
    for t in tasks {
        indexes.push(t.await.expect("writer"));
    }
    indexes
}

/// The number of users in the account, read linearizably.
async fn user_count(c: &mut Cluster, account: &str) -> u64 {
    let (summary, _) = c
        .client()
        .read(
            &Query::in_account(account, AccountQuery::GetSummary {}),
            ReadOptions {
                consistency: Consistency::Linearizable as i32,
                at_least_index: 0,
            },
        )
        .await
        .expect("summary");
    summary["Users"].as_u64().expect("Users")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_log_entries_and_apply_once() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let leader = c.leader(Duration::from_secs(10)).await;
        let account = c.account.clone();
        let indexes = write_concurrently(&c.client_of(leader), &account, "batch-user").await;
        let entries: BTreeSet<u64> = indexes.iter().copied().collect();
        assert!(
            entries.len() < WRITERS,
            "{WRITERS} concurrent writes took {} log entries: none shared one",
            entries.len()
        );
        let top = entries.iter().max().copied().unwrap_or_default();
        c.wait_converged(top, Duration::from_secs(30)).await;
        assert_eq!(user_count(&mut c, &account).await, WRITERS as u64);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_made_on_a_follower_share_forward_calls() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let leader = c.leader(Duration::from_secs(10)).await;
        let follower = (1..=3).find(|&id| id != leader).expect("a follower");
        let account = c.account.clone();
        let calls_before = c
            .metric(leader, "iamd_peer_rpcs_total{kind=\"forward\"}")
            .await;
        let writes_before = c.metric(leader, "iamd_forwarded_writes_total").await;
        let indexes = write_concurrently(&c.client_of(follower), &account, "fwd-user").await;
        let calls = c
            .metric(leader, "iamd_peer_rpcs_total{kind=\"forward\"}")
            .await
            - calls_before;
        let writes = c.metric(leader, "iamd_forwarded_writes_total").await - writes_before;
        // Each write was sent twice (the retry with its token is answered by the leader too).
        assert_eq!(writes, 2 * WRITERS as u64, "writes forwarded to the leader");
        assert!(
            calls < writes,
            "{writes} forwarded writes took {calls} forward calls: none shared one"
        );
        let top = indexes.iter().max().copied().unwrap_or_default();
        c.wait_converged(top, Duration::from_secs(30)).await;
        assert_eq!(user_count(&mut c, &account).await, WRITERS as u64);
    })
    .await;
}
