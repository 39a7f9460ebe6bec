//! The clock check (`iam_raft::clock`): a node whose wall clock is off the cluster's refuses
//! requests instead of stamping and judging times by it. The attack it stops: a session
//! issued by a node whose clock runs ahead carries a late `aws:TokenIssueTime`, so
//! `role revoke-sessions` ("deny sessions issued before now") does not reach it.

use iam_client::Credentials;
use iamd_tests::{within, Cluster, Options};
use serde_json::Value;
use std::time::{Duration, Instant};

fn ok(c: &mut Cluster, args: &[&str]) -> String {
    let (code, out, err) = c.iamctl(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn session(out: &str) -> Credentials {
    let v: Value = serde_json::from_str(out).expect("assume-role JSON");
    Credentials {
        access_key_id: v["access_key_id"].as_str().unwrap().to_owned(),
        secret_access_key: v["secret_access_key"].as_str().unwrap().to_owned(),
        session_token: Some(v["session_token"].as_str().unwrap().to_owned()),
    }
}

/// `iamctl sts assume-role` as `app` on node `id`: (exit code, stdout, stderr).
fn assume_on(c: &mut Cluster, id: u64, app: &Credentials, role: &str) -> (i32, String, String) {
    c.iamctl_on_as(
        id,
        app,
        &[
            "-o",
            "json",
            "sts",
            "assume-role",
            "--role-arn",
            role,
            "--role-session-name",
            "attacker",
        ],
    )
}

/// Repeats `f` every 200 ms until it returns true or `limit` passes.
async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_clock_jumps_refuses_instead_of_issuing_sessions_that_escape_revocation() {
    within(Duration::from_secs(120), async {
        let opts = Options {
            fault_clocks: true,
            ..Default::default()
        };
        let mut c = Cluster::start_opts(3, opts).await;
        let account = c.account.clone();
        ok(&mut c, &["user", "create", "app"]);
        let key: Value = serde_json::from_str(&ok(
            &mut c,
            &["-o", "json", "access-key", "create", "--user-name", "app"],
        ))
        .unwrap();
        let app = Credentials {
            access_key_id: key["access_key_id"].as_str().unwrap().to_owned(),
            secret_access_key: key["secret_access_key"].as_str().unwrap().to_owned(),
            session_token: None,
        };
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/app"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        ok(&mut c, &["role", "create", "worker", "--assume-role-policy-document", &trust]);
        let allow = |action: &str| {
            format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#)
        };
        let (to_assume, to_list) = (allow("sts:AssumeRole"), allow("iam:ListUsers"));
        ok(&mut c, &["policy", "put-inline", "--user", "app", "--policy-name", "p", "--policy-document", &to_assume]);
        ok(&mut c, &["policy", "put-inline", "--role", "worker", "--policy-name", "p", "--policy-document", &to_list]);
        let role = format!("arn:aws:iam::{account}:role/worker");

        // In line, node 2 issues sessions (once the role has reached it).
        assert!(
            eventually(Duration::from_secs(15), || assume_on(&mut c, 2, &app, &role).0 == 0).await,
            "node 2 never issued a session while its clock was right: {:?}",
            assume_on(&mut c, 2, &app, &role)
        );
        assert_eq!(c.metric(2, "iamd_clock_in_line").await, 1);

        // Node 2's clock jumps 5 s ahead: the attacker asks it for a session.
        c.skew_clock(2, 5_000);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (code, out, err) = assume_on(&mut c, 2, &app, &role);
        if code == 0 {
            // What the check prevents: the session outlives the revocation.
            let escaped = session(&out);
            ok(&mut c, &["role", "revoke-sessions", "worker"]);
            tokio::time::sleep(Duration::from_millis(500)).await;
            let (code, _, _) = c.iamctl_on_as(1, &escaped, &["user", "list"]);
            panic!("node 2 issued a session 5 s ahead (after revoke-sessions it lists users: exit {code})");
        }
        assert!(
            code == 2 && err.contains("this node's clock is ") && err.contains("off the cluster's"),
            "exit {code}: {err}"
        );
        // Its readiness and metrics say why; the other nodes still serve.
        let ready = c.http_get(2, "/readyz?verbose").await.unwrap();
        assert!(ready.starts_with("HTTP/1.0 503") || ready.starts_with("HTTP/1.1 503"), "{ready}");
        assert!(ready.contains("[-]clock failed: this node's clock is"), "{ready}");
        assert_eq!(c.metric(2, "iamd_clock_in_line").await, 0);
        let ready = c.http_get(1, "/readyz?verbose").await.unwrap();
        assert!(ready.contains("[+]clock ok"), "{ready}");
        let (code, out, err) = assume_on(&mut c, 1, &app, &role);
        assert_eq!(code, 0, "node 1 refused while in line: {err}");
        let in_line = session(&out);

        // A revocation reaches every session the nodes in line issued.
        ok(&mut c, &["role", "revoke-sessions", "worker"]);
        assert!(
            eventually(Duration::from_secs(10), || {
                c.iamctl_on_as(3, &in_line, &["user", "list"]).0 == 1
            })
            .await,
            "the revoked session still works on node 3"
        );

        // Behind by twenty minutes: refused too (SigV4 and token expiry would be judged
        // by it). Put right: node 2 serves again.
        c.skew_clock(2, -1_200_000);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (code, _, err) = c.iamctl_on(2, &["user", "list"]);
        assert!(code != 0 && err.contains("clock"), "exit {code}: {err}");
        c.skew_clock(2, 0);
        assert!(
            eventually(Duration::from_secs(5), || c.iamctl_on(2, &["user", "list"]).0 == 0).await,
            "node 2 still refuses after its clock was put right: {:?}",
            c.iamctl_on(2, &["user", "list"])
        );
    })
    .await;
}
