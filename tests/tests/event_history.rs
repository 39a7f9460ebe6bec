//! The replicated event history (issue 24) against real clusters: every applied change is
//! found on every node with who made it, with what key, from where, in log order;
//! `iamctl audit lookup` filters by principal, action and time and is itself authorized;
//! the history keeps only its newest changes.

use iamd_tests::iamctl::{all_ok, as_user, user_with_key};
use iamd_tests::{within, Cluster};
use serde_json::Value;
use std::time::Duration;

/// `iamctl -o json audit lookup ...` on node `id` as the operator's root (linearizable).
fn lookup(c: &mut Cluster, id: u64, filters: &[&str]) -> Vec<Value> {
    let (code, out, err) = c.iamctl_on(
        id,
        &[
            &[
                "-o",
                "json",
                "--consistency",
                "linearizable",
                "audit",
                "lookup",
            ][..],
            filters,
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    iamd_tests::iamctl::json(&out)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

const WRITER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateGroup","Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_history_finds_each_change_on_every_node() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let writer = user_with_key(&mut c, None, "writer");
        all_ok(
            &mut c,
            &[
                &[
                    "policy",
                    "put-inline",
                    "--user",
                    "writer",
                    "--policy-name",
                    "w",
                    "--policy-document",
                    WRITER,
                ][..],
                &["user", "create", "hist-1"][..],
                &["user", "create", "hist-2"][..],
            ],
        );
        let (code, _, err) = as_user(&mut c, &writer, &["group", "create", "hist-g"]);
        assert_eq!(code, 0, "{err}");
        // A refused change is not a change.
        let (code, _, _) = as_user(&mut c, &writer, &["user", "create", "hist-refused"]);
        assert_eq!(code, 1);
        let writer_arn = format!("arn:aws:iam::{account}:user/writer");
        let root_arn = format!("arn:aws:iam::{account}:root");

        for id in 1..=3 {
            let all = lookup(&mut c, id, &[]);
            // Newest first: the group, then hist-2, hist-1, the policy, the key, the user.
            let actions: Vec<&str> = all.iter().filter_map(|e| e["action"].as_str()).collect();
            assert_eq!(
                &actions[..6],
                &[
                    "iam:CreateGroup",
                    "iam:CreateUser",
                    "iam:CreateUser",
                    "iam:PutUserPolicy",
                    "iam:CreateAccessKey",
                    "iam:CreateUser"
                ],
                "node {id}: {all:#?}"
            );
            assert_eq!(all[0]["principal"], writer_arn.as_str());
            assert_eq!(all[0]["access_key_id"], writer.access_key_id.as_str());
            assert_eq!(all[0]["source_ip"], "127.0.0.1");
            assert_eq!(
                all[0]["resources"][0],
                format!("arn:aws:iam::{account}:group/hist-g")
            );
            assert_eq!(all[1]["principal"], root_arn.as_str());
            assert_eq!(
                all[1]["resources"][0],
                format!("arn:aws:iam::{account}:user/hist-2")
            );
            assert!(all[0]["index"].as_u64() > all[1]["index"].as_u64());
            // Each change carries its request's id (no audit sink is configured here).
            let ids: std::collections::BTreeSet<&str> = all
                .iter()
                .filter_map(|e| e["request_id"].as_str())
                .collect();
            assert!(
                ids.len() == all.len() && ids.iter().all(|r| r.len() == 36),
                "node {id}: request ids {ids:?}"
            );
            assert!(
                !all.iter().any(|e| e.to_string().contains("hist-refused")),
                "a refused write is in the history: {all:#?}"
            );
        }
        let by_writer = lookup(&mut c, 2, &["--principal", &writer_arn]);
        assert_eq!(by_writer.len(), 1, "{by_writer:#?}");
        let creates = lookup(&mut c, 3, &["--action", "CreateUser", "--max-results", "2"]);
        let names: Vec<String> = creates
            .iter()
            .map(|e| e["resources"][0].to_string())
            .collect();
        assert!(
            names[0].ends_with("user/hist-2\"") && names[1].ends_with("user/hist-1\""),
            "{names:?}"
        );
        assert!(lookup(&mut c, 1, &["--since", "2100-01-01"]).is_empty());
        assert_eq!(
            lookup(&mut c, 1, &["--since", "10m"]).len(),
            lookup(&mut c, 1, &[]).len()
        );

        // Looking up the history is an action of its own: the writer may not.
        let (code, _, err) = as_user(&mut c, &writer, &["audit", "lookup"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("AccessDenied") && err.contains("iamd:LookupEvents"),
            "{err}"
        );
        let (code, _, err) = c.iamctl(&["audit", "lookup", "--since", "yesterday"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--since"), "{err}");

        // Every replica recorded the same history.
        let leader = c.leader(Duration::from_secs(10)).await;
        let index = c.status(leader).await.unwrap().applied_index;
        c.wait_converged(index, Duration::from_secs(20)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_history_keeps_only_its_newest_changes() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start_with_args(1, &["--event-history-max-events", "4"]).await;
        for i in 0..7 {
            all_ok(&mut c, &[&["user", "create", &format!("bounded-{i}")][..]]);
        }
        let all = lookup(&mut c, 1, &["--max-results", "1000"]);
        let names: Vec<String> = all
            .iter()
            .map(|e| e["resources"][0].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(all.len(), 4, "{names:?}");
        assert!(
            names[0].ends_with("user/bounded-6") && names[3].ends_with("user/bounded-3"),
            "{names:?}"
        );
    })
    .await;
}
