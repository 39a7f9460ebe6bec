//! Operating a cluster the way a StatefulSet or a Compose file does: every node started
//! with the same flags (`--node-id auto --bootstrap --join <every peer>`), restarts that
//! do not depend on the join seeds, a node back with an empty disk, and the health split
//! (`/livez`, `/readyz`). Real `iamd` processes on loopback; every test bounds its time.

use iamd_tests::load::Load;
use iamd_tests::{within, Cluster, Options};
use std::time::{Duration, Instant};

fn uniform() -> Options {
    Options {
        uniform: true,
        ..Options::default()
    }
}

/// Creates a user through iamctl (any running node), retrying while a leader is elected.
fn create_user(c: &mut Cluster, name: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let (code, _, err) = c.iamctl(&["user", "create", name]);
        if code == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "user create {name} kept failing: {err}; logs in {}",
            c.dir().display()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The real node id behind harness label `id`.
async fn real_id(c: &Cluster, id: u64) -> u64 {
    c.status(id).await.expect("status").id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_configuration_for_every_node_bootstraps_once_and_restarts_need_no_seed() {
    within(Duration::from_secs(240), async {
        let mut c = Cluster::start_opts(3, uniform()).await;
        // One cluster, three random ids, one operator account.
        let mut clusters = Vec::new();
        let mut ids = Vec::new();
        for id in 1..=3 {
            let s = c.status(id).await.expect("status");
            clusters.push(s.cluster_id);
            ids.push(s.id);
        }
        assert!(clusters.windows(2).all(|w| w[0] == w[1]), "{clusters:?}");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 3, "distinct auto ids: {ids:?}");
        create_user(&mut c, "before", Duration::from_secs(10));
        for id in 1..=3 {
            c.wait_http(id, "/readyz", 200, Duration::from_secs(10))
                .await;
            c.wait_http(id, "/livez", 200, Duration::from_secs(5)).await;
        }

        // The first seed (which created the cluster) and a second node die.
        c.kill(1);
        c.kill(2);
        // The last node has no quorum: alive, not ready.
        c.wait_http(3, "/readyz", 503, Duration::from_secs(15))
            .await;
        assert_eq!(c.http_code(3, "/livez").await, 200);
        let body = c.http_get(3, "/readyz?verbose").await.unwrap();
        assert!(body.contains("[-]linearizable_read failed"), "{body}");
        // Excluding the failing checks is the operator's override.
        let body = c
            .http_get(3, "/readyz?exclude=linearizable_read&exclude=leader")
            .await
            .unwrap();
        assert!(body.contains("readyz check passed"), "{body}");

        // Node 2 restarts with its own command line while its first seed is still down: it
        // recovers from its disk and the two form a quorum.
        c.start_node(2);
        c.wait_http(2, "/readyz", 200, Duration::from_secs(30))
            .await;
        c.wait_http(3, "/readyz", 200, Duration::from_secs(30))
            .await;
        create_user(&mut c, "while-seed-down", Duration::from_secs(20));

        // The first seed comes back with its data: it must not create a cluster again.
        c.start_node(1);
        c.wait_http(1, "/readyz", 200, Duration::from_secs(30))
            .await;
        for id in 1..=3 {
            let s = c.status_within(id, Duration::from_secs(10)).await;
            assert_eq!(
                s.cluster_id, clusters[0],
                "node {id} is in the same cluster"
            );
        }
        let log = c.log_of(1);
        assert_eq!(
            log.matches("created the operator account").count(),
            1,
            "the operator account is created once"
        );
        let s = c.status(3).await.expect("status");
        c.wait_voters(3, Duration::from_secs(20)).await;
        c.wait_converged(s.applied_index, Duration::from_secs(20))
            .await;
        let (code, out, err) = c.iamctl(&["--consistency", "linearizable", "user", "list"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("before") && out.contains("while-seed-down"),
            "{out}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_back_with_an_empty_disk_rejoins_under_a_new_id_and_replaces_itself() {
    within(Duration::from_secs(240), async {
        let mut c = Cluster::start_opts(3, uniform()).await;
        let cluster_id = c.status(1).await.expect("status").cluster_id;
        create_user(&mut c, "kept", Duration::from_secs(10));
        // Clients keep writing through every node while the replacements go on.
        let load = Load::start(&c, "load");

        // A follower's disk is lost.
        for label in [3, 1] {
            // (then the first seed's: it must join the running cluster, not create one)
            let old = real_id(&c, label).await;
            c.kill(label);
            c.wipe(label);
            c.start_node(label);
            c.wait_http(label, "/readyz", 200, Duration::from_secs(60))
                .await;
            let s = c.status(label).await.expect("status");
            assert_ne!(s.id, old, "a new identity");
            assert_eq!(s.cluster_id, cluster_id, "the same cluster");
            // Every node comes to see three voters: the new identity in, the old one out.
            let new = s.id;
            c.wait_for(
                |st| {
                    let voters: Vec<u64> = st
                        .members
                        .iter()
                        .filter(|m| m.voter)
                        .map(|m| m.id)
                        .collect();
                    voters.len() == 3
                        && voters.contains(&new)
                        && !st.members.iter().any(|m| m.id == old)
                },
                Duration::from_secs(30),
            )
            .await;
            create_user(
                &mut c,
                &format!("after-wipe-{label}"),
                Duration::from_secs(20),
            );
        }
        let report = load.finish().await;
        let s = c.status(2).await.expect("status");
        c.wait_converged(s.applied_index, Duration::from_secs(30))
            .await;
        let out = c.users_listed();
        for name in ["kept", "after-wipe-3", "after-wipe-1"] {
            assert!(out.contains(&format!("\"{name}\"")), "{name} in {out}");
        }
        // No client write failed beyond the client's own retries, and none acknowledged was
        // lost.
        report.assert_nothing_lost("the replacements", 10, &out);
        // Replication meant for a replaced id never reached its successor (a leader that
        // took the successor's empty log for the old member's panicked on "log reversion").
        for id in 1..=3 {
            let log = c.log_of(id);
            assert!(!log.contains("panicked"), "node {id} panicked:\n{log}");
        }
    })
    .await;
}

/// The classic layout (node 1 bootstraps, the others `--join` node 1 only): a member that
/// restarts while node 1 is down must come back from its own disk, not wait for node 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_restarts_while_its_join_seed_is_down() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(5).await;
        create_user(&mut c, "first", Duration::from_secs(10));
        c.kill(1);
        c.kill(2);
        c.start_node(2);
        c.wait_http(2, "/readyz", 200, Duration::from_secs(30))
            .await;
        assert!(c.running_ids().contains(&2), "{}", c.log_of(2));
        create_user(&mut c, "second", Duration::from_secs(20));
        let (code, out, err) = c.iamctl(&["--consistency", "linearizable", "user", "list"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("second"), "{out}");
    })
    .await;
}

/// The figures an operator alerts on are exported, and move when the cluster works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_an_operator_alerts_on_are_exported_and_move() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        create_user(&mut c, "metered", Duration::from_secs(10));
        // An unknown key: an authentication failure, counted by its AWS code.
        let stranger = iam_client::Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let (code, _, _) = c.iamctl_as(&stranger, &["user", "list"]);
        assert_eq!(code, 1);
        let mut failures = 0;
        let mut proposals = 0;
        for id in 1..=3 {
            assert_eq!(c.metric(id, "iamd_raft_has_leader").await, 1);
            assert!(c.metric(id, "iamd_raft_committed_index").await > 0);
            assert!(
                c.metric(id, "iamd_disk_wal_fsync_duration_seconds_count")
                    .await
                    > 0
            );
            assert!(c.metric(id, "iamd_apply_duration_seconds_count").await > 0);
            assert!(c.metric(id, "iamd_request_tokens").await > 0);
            assert!(c.metric(id, "iamd_leader_changes_seen_total").await >= 1);
            let body = c.http_get(id, "/metrics").await.unwrap();
            failures += body
                .lines()
                .find_map(|l| {
                    l.strip_prefix("iamd_auth_failures_total{code=\"InvalidClientTokenId\"} ")
                })
                .map_or(0, |v| v.trim().parse::<u64>().unwrap());
            proposals += c.metric(id, "iamd_proposals_committed_total").await;
        }
        assert!(failures >= 1, "the refused key was counted");
        assert!(
            proposals >= 1,
            "the write was counted where it was proposed"
        );
        let allowed: u64 = {
            let mut n = 0;
            for id in 1..=3 {
                n += c
                    .metric(
                        id,
                        "iamd_authz_decisions_total{api=\"iam\",outcome=\"allowed\"}",
                    )
                    .await;
            }
            n
        };
        assert!(allowed >= 1, "iamd's own access checks are counted");
        // Every series the Grafana dashboard (deploy/grafana/iamd.json) queries exists.
        let body = c.http_get(1, "/metrics").await.unwrap();
        let missing: Vec<String> = dashboard_metrics()
            .into_iter()
            .filter(|m| !body.contains(&format!("\n{m}")) && !body.contains(&format!(" {m} ")))
            .collect();
        assert!(
            missing.is_empty(),
            "the dashboard queries {missing:?}, which /metrics lacks"
        );
    })
    .await;
}

/// The metric names the Grafana dashboard's panels query (`_bucket` series included).
fn dashboard_metrics() -> std::collections::BTreeSet<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/grafana/iamd.json");
    let text = std::fs::read_to_string(&path).expect("deploy/grafana/iamd.json");
    let dash: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let panels = dash["panels"].as_array().expect("panels");
    let mut names = std::collections::BTreeSet::new();
    let mut ids = std::collections::BTreeSet::new();
    for p in panels {
        assert!(
            ids.insert(p["id"].as_u64().expect("panel id")),
            "duplicate panel id: {p}"
        );
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{p}");
        for t in p["targets"].as_array().expect("targets") {
            let expr = t["expr"].as_str().expect("expr");
            let mut rest = expr;
            while let Some(i) = rest.find("iamd_") {
                let name: String = rest[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[i + name.len()..];
                names.insert(name);
            }
        }
    }
    assert!(names.len() >= 15, "{names:?}");
    names
}
