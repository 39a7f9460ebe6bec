//! The audit trail (issue 24) against real clusters: every request on every transport — gRPC
//! (iamctl), the IAM Query API and STS (unmodified boto3), sign-in — is one line with its
//! decision, on the node that served it, and no secret the test created appears in any
//! line; a fail-closed node refuses requests while its sink is blocked and serves again
//! once it writes; a fail-open node serves on, counting the loss.

use iam_client::{ClientError, Credentials};
use iam_proto::v1::LoginRequest;
use iamd_tests::iamctl::{all_ok, as_user, user_with_key};
use iamd_tests::{within, Cluster, Options};
use serde_json::Value;
use std::path::Path;
use std::process::Command as Process;
use std::time::{Duration, Instant};

const LIST_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
const GRPC_PASSWORD: &str = "Grpc-Secret-Pass-7!";
const QUERY_PASSWORD: &str = "Query-Secret-Pass-9!";

/// Every node's audit lines.
fn all_lines(c: &Cluster) -> Vec<Value> {
    c.nodes.iter().flat_map(|n| c.audit_lines(n.id)).collect()
}

/// The lines that satisfy `f`.
fn matching(lines: &[Value], f: impl Fn(&Value) -> bool) -> Vec<Value> {
    lines.iter().filter(|l| f(l)).cloned().collect()
}

/// Waits until `n` lines satisfy `f` (lines are written by the sinks' threads a moment after
/// the answer) and returns them; fails if there are more.
async fn n_lines(c: &Cluster, n: usize, what: &str, f: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = matching(&all_lines(c), &f);
        assert!(
            found.len() <= n,
            "{what}: {} lines, not {n}: {found:#?}",
            found.len()
        );
        if found.len() == n {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {} lines, not {n}: {found:#?}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until exactly one line satisfies `f` (a node writes a line as it answers; the file
/// is read a moment later) and returns it; fails if there are two.
async fn one_line(c: &Cluster, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = matching(&all_lines(c), &f);
        assert!(
            found.len() <= 1,
            "{what}: recorded {} times: {found:#?}",
            found.len()
        );
        if let Some(line) = found.into_iter().next() {
            return line;
        }
        assert!(Instant::now() < deadline, "{what}: not in any audit file");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn op_is(l: &Value, op: &str) -> bool {
    l["operation"] == op
}

fn params_text(l: &Value) -> String {
    l["params"].to_string()
}

/// Runs tests/aws/audit_calls.py (boto3) against `url`; returns its JSON report.
fn boto3_calls(c: &Cluster, url: &str, user: &Credentials) -> Value {
    let root = c.root_credentials();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("aws/audit_calls.py");
    let out = Process::new("python3")
        .arg(script)
        .arg(url)
        .env("ROOT_AK", &root.access_key_id)
        .env("ROOT_SK", &root.secret_access_key)
        .env("USER_AK", &user.access_key_id)
        .env("USER_SK", &user.secret_access_key)
        .env("ACCOUNT", &c.account)
        .env("QUERY_PASSWORD", QUERY_PASSWORD)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "audit_calls.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("report")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_on_every_transport_is_recorded_once_without_its_secrets() {
    within(Duration::from_secs(240), async {
        let mut c = Cluster::start_opts(
            3,
            Options {
                audit: true,
                ..Options::default()
            },
        )
        .await;
        let account = c.account.clone();
        let user = user_with_key(&mut c, None, "auditee");
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        all_ok(
            &mut c,
            &[
                &["policy", "put-inline", "--user", "auditee", "--policy-name", "list", "--policy-document", LIST_ONLY][..],
                &["login-profile", "create", "--user-name", "auditee", "--password", GRPC_PASSWORD][..],
                &["role", "create", "audit-target", "--assume-role-policy-document", &trust][..],
            ],
        );
        let user_arn = format!("arn:aws:iam::{account}:user/auditee");

        // gRPC (iamctl): the root's write, the user's allowed read and denied write.
        let root_key = c.root_credentials().access_key_id;
        let created = one_line(&c, "gRPC CreateLoginProfile", |l| {
            l["transport"] == "grpc" && params_text(l).contains("auditee") && l["action"] == "iam:CreateLoginProfile"
        })
        .await;
        assert_eq!(created["decision"], "allowed", "{created}");
        assert_eq!(created["outcome"], "success", "{created}");
        assert_eq!(created["access_key_id"], root_key.as_str(), "{created}");
        assert_eq!(created["principal"], format!("arn:aws:iam::{account}:root"));
        assert!(created["log_index"].as_u64().unwrap() > 0, "{created}");
        assert!(created["source_ip"] == "127.0.0.1", "{created}");

        let (code, _, err) = as_user(&mut c, &user, &["user", "create", "audit-g-denied"]);
        assert_eq!(code, 1, "{err}");
        let denied = one_line(&c, "gRPC denied CreateUser", |l| {
            l["transport"] == "grpc" && params_text(l).contains("audit-g-denied")
        })
        .await;
        assert_eq!(denied["decision"], "denied", "{denied}");
        assert_eq!(denied["outcome"], "error");
        assert_eq!(denied["error_code"], "AccessDenied");
        assert_eq!(denied["principal"], user_arn.as_str());
        assert_eq!(denied["access_key_id"], user.access_key_id.as_str());
        assert_eq!(denied["action"], "iam:CreateUser");
        assert!(denied["log_index"].is_null(), "a refused write has no log index: {denied}");

        // Sign-in over gRPC: a wrong password (denied) and the right one (allowed).
        let client = c.client();
        for (password, want) in [("Wrong-Pass-123!", "denied"), (GRPC_PASSWORD, "allowed")] {
            let r = client
                .call_one(0, |mut iam, _| {
                    let account = account.clone();
                    async move {
                        iam.login(LoginRequest {
                            account,
                            user_name: "auditee".into(),
                            password: password.into(),
                            ..Default::default()
                        })
                        .await
                    }
                })
                .await;
            match (&r, want) {
                (Ok(_), "allowed") | (Err(ClientError::Refused { .. }), "denied") => {}
                _ => panic!("sign-in with {password}: {r:?}"),
            }
        }
        let sign_ins = n_lines(&c, 2, "sign-ins", |l| op_is(l, "iam.v1.Iam/Login")).await;
        assert_eq!(sign_ins[0]["decision"], "denied", "{sign_ins:#?}");
        assert_eq!(sign_ins[0]["error_code"], "AccessDenied");
        assert_eq!(sign_ins[1]["decision"], "allowed", "{sign_ins:#?}");
        assert_eq!(sign_ins[1]["principal"], user_arn.as_str());

        // The Query API and STS through a follower, with boto3.
        let leader = c.leader(Duration::from_secs(10)).await;
        let follower = c.nodes.iter().map(|n| n.id).find(|id| *id != leader).unwrap();
        let url = format!("http://{}", c.node(follower).http);
        let report = tokio::task::block_in_place(|| boto3_calls(&c, &url, &user));
        let expect = [
            ("root_create_user", "query", Some("allowed"), None),
            ("root_create_login_profile", "query", Some("allowed"), None),
            ("user_list_users", "query", Some("allowed"), None),
            ("user_create_user_denied", "query", Some("denied"), Some("AccessDenied")),
            ("user_get_caller_identity", "sts", None, None),
            ("user_assume_role_denied", "sts", Some("denied"), Some("AccessDenied")),
            ("forged_list_users", "query", None, Some("SignatureDoesNotMatch")),
        ];
        for (name, transport, decision, code) in expect {
            let call = &report[name];
            assert_eq!(call["code"].as_str(), code, "{name}: {call}");
            let rid = call["request_id"].as_str().unwrap_or_else(|| panic!("{name}: {call}"));
            let line = one_line(&c, name, |l| l["request_id"] == rid).await;
            assert_eq!(line["node"], follower, "{name}: {line}");
            assert_eq!(line["transport"], transport, "{name}: {line}");
            if let Some(d) = decision {
                assert_eq!(line["decision"], d, "{name}: {line}");
            }
            assert_eq!(line["error_code"].as_str(), code, "{name}: {line}");
            assert_eq!(
                line["outcome"],
                if code.is_some() { "error" } else { "success" },
                "{name}: {line}"
            );
            if name.starts_with("user_") || name.starts_with("forged_") {
                assert_eq!(line["access_key_id"], user.access_key_id.as_str(), "{name}: {line}");
            }
            if name.starts_with("user_") {
                assert_eq!(line["principal"], user_arn.as_str(), "{name}: {line}");
            }
        }
        let denied_q = one_line(&c, "query denied", |l| l["request_id"] == report["user_create_user_denied"]["request_id"]).await;
        assert_eq!(denied_q["action"], "iam:CreateUser");
        assert_eq!(denied_q["params"]["UserName"], "audit-q-denied");
        let assume = one_line(&c, "assume", |l| l["request_id"] == report["user_assume_role_denied"]["request_id"]).await;
        assert_eq!(assume["action"], "sts:AssumeRole", "{assume}");
        assert_eq!(
            assume["resources"][0],
            format!("arn:aws:iam::{account}:role/audit-target"),
            "{assume}"
        );
        // The password a Query API call carried is there as its HMAC only, the same on
        // every node for the same value.
        let profile = one_line(&c, "query login profile", |l| l["request_id"] == report["root_create_login_profile"]["request_id"]).await;
        let hashed = profile["params"]["Password"].as_str().unwrap();
        assert!(hashed.starts_with("hmac-sha256:"), "{profile}");
        let out = Process::new(iamd_tests::bin("iamd"))
            .args(["audit-hash", "--secret-key-file"])
            .arg(c.dir().join("secret.key"))
            .arg(QUERY_PASSWORD)
            .output()
            .expect("iamd audit-hash");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), hashed);

        // No secret the test created or used is in any node's audit file.
        let root = c.root_credentials();
        for n in &c.nodes {
            let text = std::fs::read_to_string(c.audit_path(n.id)).unwrap();
            for secret in [
                GRPC_PASSWORD,
                QUERY_PASSWORD,
                "Wrong-Pass-123!",
                root.secret_access_key.as_str(),
                user.secret_access_key.as_str(),
            ] {
                assert!(!text.contains(secret), "node {}'s audit file holds a secret", n.id);
            }
            // Each line names the node that wrote it.
            for l in c.audit_lines(n.id) {
                assert_eq!(l["node"], n.id, "{l}");
            }
        }
    })
    .await;
}

/// Replaces node `id`'s audit file with a FIFO nobody reads and tells the node to reopen
/// it (SIGHUP, as logrotate does): the sink's thread blocks opening it.
fn block_sink(c: &Cluster, id: u64) {
    let path = c.audit_path(id);
    std::fs::remove_file(&path).expect("remove the audit file");
    let status = Process::new("mkfifo").arg(&path).status().expect("mkfifo");
    assert!(status.success());
    let pid = c.pid(id).expect("running");
    let status = Process::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Starts reading node `id`'s FIFO into `out` (unblocks the sink).
fn drain_sink(c: &Cluster, id: u64, out: &Path) -> std::process::Child {
    Process::new("sh")
        .arg("-c")
        .arg(format!(
            "exec cat '{}' > '{}'",
            c.audit_path(id).display(),
            out.display()
        ))
        .spawn()
        .expect("cat")
}

fn user_exists(c: &mut Cluster, name: &str) -> bool {
    let (code, _, err) = c.iamctl(&["--consistency", "linearizable", "user", "get", name]);
    assert!(code == 0 || err.contains("NoSuchEntity"), "{err}");
    code == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fail_closed_node_refuses_requests_while_its_sink_is_blocked() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start_opts(
            1,
            Options {
                audit: true,
                extra: ["--audit-mode", "closed", "--audit-timeout-ms", "500"]
                    .map(str::to_owned)
                    .to_vec(),
                ..Options::default()
            },
        )
        .await;
        all_ok(&mut c, &[&["user", "create", "before-block"][..]]);
        assert!(!c.audit_lines(1).is_empty());

        block_sink(&c, 1);
        // The first request may have run before the node knew its line could not be
        // written; it is still not acknowledged as a success.
        let (code, _, err) = c.iamctl(&["--timeout", "2", "user", "create", "while-blocked-1"]);
        assert_ne!(code, 0, "acknowledged without an audit line: {err}");
        // From now on requests are refused before they run.
        let (code, _, err) = c.iamctl(&["--timeout", "2", "user", "create", "while-blocked-2"]);
        assert_ne!(code, 0, "{err}");
        assert!(err.contains("audit trail cannot record"), "{err}");
        let answer = c
            .http_get(1, "/?Action=ListUsers&Version=2010-05-08")
            .await
            .unwrap();
        assert!(
            answer.starts_with("HTTP/1.0 503") || answer.starts_with("HTTP/1.1 503"),
            "{answer}"
        );
        assert!(answer.contains("ServiceUnavailable"), "{answer}");
        assert!(c.metric(1, "iamd_audit_refused_total").await >= 2);
        // Not ready for traffic: a load balancer sends it elsewhere.
        let ready = c.http_get(1, "/readyz?verbose").await.unwrap();
        assert!(ready.contains(" 503 "), "{ready}");
        assert!(
            ready.contains("[-]audit failed: fail-closed and no audit sink is writing"),
            "{ready}"
        );

        // Someone reads the FIFO again: the sink writes, the node serves.
        let drained = c.dir().join("drained.log");
        let mut reader = drain_sink(&c, 1, &drained);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (code, _, err) = c.iamctl(&["--timeout", "2", "user", "create", "after-unblock"]);
            if code == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "still refused after the sink was unblocked: {err}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            !user_exists(&mut c, "while-blocked-2"),
            "a refused request ran"
        );
        let ready = c.http_get(1, "/readyz?verbose").await.unwrap();
        assert!(
            ready.contains(" 200 ")
                && ready.contains("[+]audit ok: fail-closed, a sink is writing"),
            "{ready}"
        );
        let text = std::fs::read_to_string(&drained).unwrap_or_default();
        assert!(text.contains("after-unblock"), "{text}");
        let _ = reader.kill();
        let _ = reader.wait();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fail_open_node_serves_on_and_counts_what_its_sink_lost() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start_opts(
            1,
            Options {
                audit: true,
                extra: ["--audit-timeout-ms", "300"].map(str::to_owned).to_vec(),
                ..Options::default()
            },
        )
        .await;
        all_ok(&mut c, &[&["user", "create", "before-block"][..]]);
        block_sink(&c, 1);
        for i in 0..5 {
            all_ok(&mut c, &[&["user", "create", &format!("open-{i}")][..]]);
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        assert!(
            c.metric(1, "iamd_audit_failures_total{sink=\"file\"}")
                .await
                >= 1
        );
        assert_eq!(c.metric(1, "iamd_audit_refused_total").await, 0);
        assert!(c.log_of(1).contains("AUDIT SINK FAILING"), "no loud log");
        // Unblocked, it records again (the lines it dropped meanwhile are counted, not kept).
        let drained = c.dir().join("drained.log");
        let mut reader = drain_sink(&c, 1, &drained);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            all_ok(&mut c, &[&["user", "list"][..]]);
            let text = std::fs::read_to_string(&drained).unwrap_or_default();
            if text.contains("ListUsers") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the sink never wrote again: {text}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let _ = reader.kill();
        let _ = reader.wait();
    })
    .await;
}

/// `POST path` to `addr` with `extra` headers; the status code.
async fn post(addr: &str, path: &str, extra: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes()).await.expect("send");
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply).await;
    String::from_utf8_lossy(&reply)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_reset_is_recorded_like_any_request() {
    within(Duration::from_secs(120), async {
        let c = Cluster::start_opts(
            1,
            Options {
                audit: true,
                extra: vec!["--sandbox".to_owned()],
                ..Options::default()
            },
        )
        .await;
        let addr = c.node(1).http.clone();
        assert_eq!(post(&addr, "/_iamd/sandbox/reset", "").await, 200);
        assert_eq!(
            post(
                &addr,
                "/_iamd/sandbox/reset",
                "Origin: https://evil.example\r\n"
            )
            .await,
            403
        );
        let resets = n_lines(&c, 2, "resets", |l| op_is(l, "SandboxReset")).await;
        assert_eq!(resets[0]["outcome"], "success", "{resets:#?}");
        assert_eq!(resets[0]["action"], "iamd:SandboxReset");
        assert!(resets[0]["log_index"].as_u64().unwrap() > 0, "{resets:#?}");
        assert_eq!(resets[1]["error_code"], "AccessDenied", "{resets:#?}");
        assert!(resets[1]["log_index"].is_null());
    })
    .await;
}
