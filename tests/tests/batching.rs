//! Concurrent writes share log entries: the leader gathers the writes that arrive while
//! earlier entries are in flight into one entry. Every write is answered with its own
//! result, a retried write (same request token) is not applied twice, and every node ends
//! with the same state.

use iam_client::Client;
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::ops::account::AccountQuery;
use iam_state::ops::users::UserOp;
use iam_state::{Command, Query};
use iamd_tests::{within, Cluster};
use std::collections::BTreeSet;
use std::time::Duration;

const WRITERS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_log_entries_and_apply_once() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let leader = c.leader(Duration::from_secs(10)).await;
        let client: Client = c.client_of(leader);
        let account = c.account.clone();
        let mut tasks = Vec::new();
        for i in 0..WRITERS {
            let mut client = client.clone();
            let account = account.clone();
            tasks.push(tokio::spawn(async move {
                let cmd = Command::in_account(
                    &account,
                    UserOp::Create {
                        name: format!("batch-user-{i}"),
                        path: "/".into(),
                        tags: vec![],
                        permissions_boundary: None,
                        user_id: String::new(),
                    },
                );
                let token = format!("batch-{i}");
                let (first, index) = client.write(&cmd, &token).await.expect("create");
                assert_eq!(first["name"], format!("batch-user-{i}"), "{first}");
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
        let entries: BTreeSet<u64> = indexes.iter().copied().collect();
        assert!(
            entries.len() < WRITERS,
            "{WRITERS} concurrent writes took {} log entries: none shared one",
            entries.len()
        );
        let top = entries.iter().max().copied().unwrap_or_default();
        c.wait_converged(top, Duration::from_secs(30)).await;
        let (summary, _) = c
            .client()
            .read(
                &Query::in_account(&account, AccountQuery::GetSummary {}),
                ReadOptions {
                    consistency: Consistency::Linearizable as i32,
                    at_least_index: 0,
                },
            )
            .await
            .expect("summary");
        assert_eq!(summary["Users"], WRITERS as u64, "{summary}");
    })
    .await;
}
