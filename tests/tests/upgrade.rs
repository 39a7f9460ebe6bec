//! Rolling upgrades, as an operator runs them (deploy/README.md, "Upgrading"): a cluster of
//! this release is upgraded node by node to a build of the next one and rolled back, under a
//! client load, then upgraded again and finalized.
//!
//! The next release is this source built with `iam-state/release-next` (this release + 1: CreateGroup
//! gains a `note`, kept on the group), by tests/upgrade/build-next.sh, which `tests/run.sh`
//! runs before the tests.

use iam_proto::v1::{Consistency, ReadCall, ReadOptions, WriteCall, WriteOptions};
use iamd_tests::load::Load;
use iamd_tests::{bin, within, Cluster};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// This build's release, and the next one's (`iam-state/release-next`).
const THIS: u32 = iam_state::release::RELEASE;
const NEXT: u32 = THIS + 1;

/// The next release's iamd.
fn next_build() -> PathBuf {
    let path = std::env::var_os("IAMD_NEXT_BIN").map_or_else(
        || {
            bin("iamd")
                .parent()
                .and_then(Path::parent)
                .expect("the target dir")
                .join("upgrade/iamd-next")
        },
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "{} is missing: build the next release first with `bash tests/upgrade/build-next.sh`",
        path.display()
    );
    path
}

/// Restarts every node on `binary`, one at a time, the leader last: each is stopped
/// (SIGTERM), started with the same command line, and must be ready and report `release`
/// before the next one goes.
async fn roll(c: &mut Cluster, binary: &Path, release: u32) {
    let leader = c.leader(Duration::from_secs(20)).await;
    let mut order = Vec::new();
    for label in 1..=3 {
        let id = c.status_within(label, Duration::from_secs(20)).await.id;
        if id == leader {
            order.push(label);
        } else {
            order.insert(0, label);
        }
    }
    for label in order {
        let status = c.stop(label).expect("the node ran");
        assert!(
            status.success(),
            "node {label} did not stop cleanly: {status}"
        );
        c.start_node_with(label, binary);
        c.wait_http(label, "/readyz", 200, Duration::from_secs(60))
            .await;
        let s = c.status_within(label, Duration::from_secs(20)).await;
        assert_eq!(s.release, release, "node {label} runs {}", binary.display());
    }
}

/// CreateGroup with the field only the next release knows, sent to node `label` as JSON.
async fn create_group_with_note(c: &Cluster, label: u64, name: &str) -> Result<String, String> {
    let command = serde_json::json!({"In": {"account": "", "op": {"Group": {"Create": {
        "name": name, "path": "/", "note": format!("note of {name}")}}}}});
    let call = WriteCall {
        write: Some(WriteOptions {
            request_token: iam_client::Client::new_token(),
        }),
        command_json: command.to_string(),
    };
    c.client_of(label)
        .call_one(0, |mut api, _| {
            let call = call.clone();
            async move { api.write(call).await }
        })
        .await
        .map(|r| r.outcome_json)
        .map_err(|e| e.to_string())
}

/// GetGroup on node `label` (linearizable), as JSON text.
async fn get_group(c: &Cluster, label: u64, name: &str) -> String {
    let query = serde_json::json!({"In": {"account": "", "q": {"Group": {"Get": {"name": name}}}}});
    let call = ReadCall {
        read: Some(ReadOptions {
            consistency: Consistency::Linearizable as i32,
            at_least_index: 0,
        }),
        query_json: query.to_string(),
    };
    c.client_of(label)
        .call_one(0, |mut api, _| {
            let call = call.clone();
            async move { api.read(call).await }
        })
        .await
        .unwrap_or_else(|e| panic!("GetGroup {name} on node {label}: {e}"))
        .result_json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_upgrade_and_its_rollback_under_load_lose_no_write() {
    let next = next_build();
    let this = bin("iamd");
    within(Duration::from_secs(420), async {
        let mut c = Cluster::start(3).await;
        let load = Load::start(&c, "load");

        // Upgrade one node: a mixed cluster serves, and cannot be finalized yet.
        c.stop(3).expect("node 3 ran");
        c.start_node_with(3, &next);
        c.wait_http(3, "/readyz", 200, Duration::from_secs(60))
            .await;
        let (code, _, err) = c.iamctl_on(3, &["cluster", "finalize-upgrade"]);
        assert_eq!(
            code, 1,
            "finalize with older members must be refused: {err}"
        );
        assert!(
            err.contains(&format!("every member must run release {NEXT}"))
                && err.contains(&format!("runs release {THIS}")),
            "{err}"
        );
        // Until finalized, what only the next release knows is refused, by name, even by a
        // node of that release: an older member would apply the command without it.
        let refused = create_group_with_note(&c, 3, "early").await;
        let Err(why) = refused else {
            panic!("the note was accepted before the upgrade was finalized: {refused:?}")
        };
        assert!(why.contains("finalize the upgrade first"), "{why}");

        // The whole cluster on the next release, then back to this one, under the load.
        roll(&mut c, &next, NEXT).await;
        roll(&mut c, &this, THIS).await;
        assert!(
            load.acknowledged() > 0,
            "the load made no progress across two rolls"
        );

        // Upgrade again and finalize: the new field works on every node.
        roll(&mut c, &next, NEXT).await;
        let (code, out, err) = c.iamctl_on(2, &["-o", "json", "cluster", "finalize-upgrade"]);
        assert_eq!(code, 0, "{err}");
        let v = iamd_tests::iamctl::json(&out);
        assert_eq!(
            (v["release"].as_u64(), v["previous"].as_u64()),
            (Some(u64::from(NEXT)), Some(u64::from(THIS))),
            "{out}"
        );
        let (code, out, _) = c.iamctl_on(1, &["-o", "json", "cluster", "finalize-upgrade"]);
        assert_eq!(code, 0, "finalizing twice is a no-op: {out}");
        assert_eq!(
            iamd_tests::iamctl::json(&out)["log_index"].as_u64(),
            Some(0)
        );
        let made = create_group_with_note(&c, 1, "later").await;
        assert!(made.is_ok(), "{made:?}");
        for label in 1..=3 {
            let group = get_group(&c, label, "later").await;
            assert!(
                group.contains("\"note\":\"note of later\""),
                "node {label}: {group}"
            );
            let s = c.status(label).await.expect("status");
            assert_eq!((s.release, s.cluster_release), (NEXT, NEXT));
        }

        // A build of the older release now refuses the node's data, with the reason, and
        // exits rather than serve it; the next release's build takes it back.
        c.stop(3).expect("node 3 ran");
        c.start_node_with(3, &this);
        let deadline = Instant::now() + Duration::from_secs(30);
        while c.running_ids().contains(&3) {
            assert!(
                Instant::now() < deadline,
                "an older build kept serving a finalized cluster"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = c.log_of(3);
        assert!(
            log.contains(&format!("needs iamd release {NEXT}"))
                && log.contains(&format!("this iamd is release {THIS}")),
            "{log}"
        );
        c.start_node_with(3, &next);
        c.wait_http(3, "/readyz", 200, Duration::from_secs(60))
            .await;

        // Nothing acknowledged was lost; no write failed beyond the client's retries.
        let report = load.finish().await;
        let listed = c.users_listed();
        report.assert_nothing_lost("the upgrades and the rollback", 10, &listed);
        let applied = c.status(1).await.expect("status").applied_index;
        c.wait_converged(applied, Duration::from_secs(30)).await;
    })
    .await;
}
