//! Account quotas over a real 3-node cluster: the 250-role quota with an approved increase,
//! and a usage cap raced for by clients on every node while the leader is killed.

use ::iam_client::{Client, ClientError};
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::ops::quotas::{QuotaOp, QuotaQuery};
use iam_state::ops::roles::RoleOp;
use iam_state::{Command, Query};
use iamd_tests::{within, Cluster};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn create_account(c: &mut Client) -> String {
    let cmd = Command::CreateAccount {
        account_id: String::new(),
        name: "acme".into(),
        email: "root@acme.example.com".into(),
    };
    let (v, _) = c.write(&cmd, &Client::new_token()).await.expect("account");
    v["id"].as_str().expect("id").to_owned()
}

fn create_role(account: &str, name: &str) -> Command {
    Command::in_account(
        account,
        RoleOp::Create {
            name: name.into(),
            path: "/".into(),
            assume_role_policy_document: TRUST.into(),
            description: None,
            max_session_duration: None,
            permissions_boundary: None,
            tags: vec![],
            role_id: String::new(),
        },
    )
}

fn linearizable() -> ReadOptions {
    ReadOptions {
        consistency: Consistency::Linearizable as i32,
        at_least_index: 0,
    }
}

fn at_least(index: u64) -> ReadOptions {
    ReadOptions {
        consistency: Consistency::AtLeast as i32,
        at_least_index: index,
    }
}

fn refused(r: Result<(Value, u64), ClientError>) -> (String, String) {
    match r {
        Err(ClientError::Refused { code, message }) => (code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_role_quota_holds_until_an_increase_is_approved() {
    within(Duration::from_secs(240), async {
        let mut cluster = Cluster::start(3).await;
        let account = create_account(&mut cluster.client()).await;
        // 250 roles through all three nodes, 8 writers in parallel.
        let mut tasks = Vec::new();
        for w in 0..8u64 {
            let mut client = cluster.client_of(w % 3 + 1);
            let account = account.clone();
            tasks.push(tokio::spawn(async move {
                let mut last = 0;
                for i in (w..250).step_by(8) {
                    let cmd = create_role(&account, &format!("role-{i:03}"));
                    let token = format!("role-{i}");
                    last = client.write(&cmd, &token).await.expect("create role").1;
                }
                last
            }));
        }
        let mut max_index = 0;
        for t in tasks {
            max_index = max_index.max(t.await.expect("writer"));
        }
        // The 251st is refused with AWS's error, on any node, and changes nothing.
        let (code, message) = refused(
            cluster
                .client_of(2)
                .write(&create_role(&account, "one-too-many"), "r251")
                .await,
        );
        assert_eq!(code, "LimitExceeded");
        assert!(message.contains("RolesPerAccount: 250"), "{message}");

        // Any principal may ask for more; the root approves.
        let request = Command::in_account(
            &account,
            QuotaOp::RequestQuotaIncrease {
                kind: "roles".into(),
                desired_value: 300,
                justification: "batch workers".into(),
                requested_by: format!("arn:aws:iam::{account}:user/dev"),
                request_id: String::new(),
            },
        );
        let (req, _) = cluster
            .client_of(3)
            .write(&request, "q1")
            .await
            .expect("request");
        let id = req["id"].as_str().expect("request id").to_owned();
        assert_eq!(req["status"], "Pending");
        // Still refused while pending.
        let (code, _) = refused(
            cluster
                .client_of(1)
                .write(&create_role(&account, "one-too-many"), "r251b")
                .await,
        );
        assert_eq!(code, "LimitExceeded");
        let approve = Command::in_account(
            &account,
            QuotaOp::ApproveQuotaIncrease {
                request_id: id.clone(),
                decided_by: format!("arn:aws:iam::{account}:root"),
                note: None,
            },
        );
        cluster
            .client_of(1)
            .write(&approve, "q1-approve")
            .await
            .expect("approve");
        let (_, index) = cluster
            .client_of(2)
            .write(&create_role(&account, "one-too-many"), "r251c")
            .await
            .expect("the 251st role after the increase");
        max_index = max_index.max(index);
        // Every node agrees on the quota and the count.
        for id in 1..=3 {
            let q = Query::in_account(&account, QuotaQuery::ListQuotas);
            let (v, _) = cluster
                .client_of(id)
                .read(&q, at_least(max_index))
                .await
                .expect("quotas");
            let roles = v
                .as_array()
                .or_else(|| v["items"].as_array())
                .and_then(|a| a.iter().find(|q| q["name"] == "roles"))
                .unwrap_or_else(|| panic!("no roles quota in {v}"))
                .clone();
            assert_eq!(roles["value"], 300, "node {id}: {roles}");
            assert_eq!(roles["usage"], 251, "node {id}: {roles}");
        }
        cluster
            .wait_converged(max_index, Duration::from_secs(20))
            .await;
    })
    .await;
}

/// Clients on every node race for the last units of a usage cap while the leader is killed.
/// Every acquire is retried with its own token until it gets a definite answer, so the
/// acknowledged grants are exactly the applied ones: they never pass the limit and add up to
/// the usage every node reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn usage_cap_grants_never_pass_the_limit_across_a_leader_kill() {
    within(Duration::from_secs(180), async {
        const LIMIT: u64 = 300;
        let mut cluster = Cluster::start(3).await;
        let account = create_account(&mut cluster.client()).await;
        let set = Command::in_account(
            &account,
            QuotaOp::SetUsageLimit {
                name: "ec2:instances".into(),
                limit: LIMIT,
            },
        );
        cluster.client().write(&set, "cap").await.expect("cap");
        let granted: Arc<Mutex<Vec<(String, u64, std::time::Instant)>>> = Arc::default();
        let refusals = Arc::new(Mutex::new(0u64));
        let done = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for w in 0..6u64 {
            // Each client knows every node (failover) but starts at a different one.
            let mut endpoints: Vec<String> = (1..=3)
                .map(|id| cluster.node((w + id) % 3 + 1).api_url())
                .collect();
            endpoints.dedup();
            let mut client = Client::new(&endpoints, Duration::from_secs(20))
                .expect("client")
                .with_credentials(cluster.root_credentials());
            let (account, granted, refusals, done) = (
                account.clone(),
                granted.clone(),
                refusals.clone(),
                done.clone(),
            );
            tasks.push(tokio::spawn(async move {
                for i in 0.. {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    let token = format!("acq-{w}-{i}");
                    let amount = 1 + (w + i) % 2;
                    let cmd = Command::in_account(
                        &account,
                        QuotaOp::Acquire {
                            name: "ec2:instances".into(),
                            amount,
                        },
                    );
                    // Retry the same logical acquire (same token) until it is decided.
                    loop {
                        match client.write(&cmd, &token).await {
                            Ok(_) => {
                                granted.lock().unwrap().push((
                                    token.clone(),
                                    amount,
                                    std::time::Instant::now(),
                                ));
                                break;
                            }
                            Err(ClientError::Refused { code, .. }) if code == "LimitExceeded" => {
                                *refusals.lock().unwrap() += 1;
                                break;
                            }
                            Err(e) => {
                                eprintln!("acquire {token}: {e}; retrying");
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
            }));
        }
        // Let them run, kill the leader mid-race, then let them exhaust the cap.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let leader = cluster.leader(Duration::from_secs(5)).await;
        let before_kill: u64 = granted.lock().unwrap().iter().map(|g| g.1).sum();
        assert!(
            before_kill < LIMIT / 2,
            "the cap filled before the kill ({before_kill}): the race would not cross the failover"
        );
        let killed_at = std::time::Instant::now();
        cluster.kill(leader);
        eprintln!("killed leader {leader}");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while *refusals.lock().unwrap() < 12 {
            assert!(std::time::Instant::now() < deadline, "the cap never filled");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        done.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("client task");
        }
        let granted = granted.lock().unwrap().clone();
        let tokens: BTreeSet<&String> = granted.iter().map(|g| &g.0).collect();
        assert_eq!(tokens.len(), granted.len(), "a token was granted twice");
        let sum: u64 = granted.iter().map(|g| g.1).sum();
        let after_kill = granted.iter().filter(|g| g.2 > killed_at).count();
        assert!(
            after_kill > 0,
            "no acquire was granted after the leader was killed"
        );
        eprintln!(
            "usage cap: {} grants ({sum} units of {LIMIT}), {after_kill} after the kill",
            granted.len()
        );
        assert!(sum <= LIMIT, "granted {sum} units of {LIMIT}");
        assert!(sum >= LIMIT - 1, "the cap filled up only to {sum}");
        for id in cluster.running_ids() {
            let q = Query::in_account(
                &account,
                QuotaQuery::GetUsage {
                    name: "ec2:instances".into(),
                },
            );
            let (v, _) = cluster
                .client_of(id)
                .read(&q, linearizable())
                .await
                .expect("usage");
            assert_eq!(v["used"], sum, "node {id}: {v}");
            assert_eq!(v["limit"], LIMIT, "node {id}: {v}");
        }
        // The killed node comes back with the same state.
        cluster.start_node(leader);
        let first = cluster.running_ids()[0];
        let index = cluster.status(first).await.map_or(0, |s| s.applied_index);
        cluster.wait_converged(index, Duration::from_secs(30)).await;
    })
    .await;
}
