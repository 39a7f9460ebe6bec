//! Unmodified AWS clients against a real 3-node cluster's HTTP ports: a boto3 script through
//! every entity family (requests spread over all nodes), the AWS CLI, and a boto3 writer that
//! keeps going while the leader is killed. Needs python3 with boto3 and the AWS CLI
//! (`tests/setup.sh` installs them).

use iamd_tests::{within, Cluster};
use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

fn urls(cluster: &mut Cluster) -> Vec<String> {
    cluster
        .running_ids()
        .into_iter()
        .map(|id| format!("http://{}", cluster.node(id).http))
        .collect()
}

/// A python/aws process signing with the operator's root credentials.
fn signed(cluster: &Cluster, program: &str) -> Process {
    let creds = cluster.root_credentials();
    let mut p = Process::new(program);
    p.env("AWS_ACCESS_KEY_ID", creds.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key)
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    p
}

fn script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("aws").join(name)
}

/// Runs a python script of `tests/aws` against a fresh 3-node cluster (one URL per node),
/// signed with the operator's root credentials; fails the test with its output on failure.
async fn run_script(name: &'static str) {
    run_script_with(name, Cluster::start(3).await, &[]).await
}

/// [`run_script`] against `cluster`, with more environment variables.
async fn run_script_with(name: &'static str, mut cluster: Cluster, env: &[(&str, String)]) {
    run_script_on(name, &mut cluster, env).await
}

/// [`run_script_with`], the cluster left running for more checks.
async fn run_script_on(name: &'static str, cluster: &mut Cluster, env: &[(&str, String)]) {
    let urls = urls(cluster);
    let mut python = signed(cluster, "python3");
    python.envs(env.iter().map(|(k, v)| (*k, v.clone())));
    let out = tokio::task::spawn_blocking(move || {
        python
            .arg(script(name))
            .args(&urls)
            .output()
            .expect("run python3")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{name} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_drives_every_entity_family() {
    within(Duration::from_secs(180), run_script("boto3_lifecycle.py")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_manages_openid_connect_providers_through_followers() {
    within(Duration::from_secs(120), run_script("boto3_oidc.py")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_manages_ssh_public_keys_through_followers() {
    within(Duration::from_secs(120), run_script("boto3_ssh_keys.py")).await;
}

/// Signing certificates (certificates made with python's `cryptography`): writes through
/// followers, AWS's codes and messages, the limit, a user managing only its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_manages_signing_certificates_through_followers() {
    within(
        Duration::from_secs(120),
        run_script("boto3_signing_certs.py"),
    )
    .await;
}

/// Service-linked roles: created and deleted through followers, the ordinary role operations
/// refused with UnmodifiableEntity, the deletion task SUCCEEDED, iam:AWSServiceName in a
/// caller's policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_manages_service_linked_roles_through_followers() {
    within(
        Duration::from_secs(120),
        run_script("boto3_service_linked_roles.py"),
    )
    .await;
}

/// Server certificates (keys and certificates made with python's `cryptography`): writes
/// through followers, AWS's codes and messages, the quota, authorization on the
/// certificate's ARN; then no private key the script uploaded is in any node's log, audit
/// trail or data files in the clear (the proposing node seals it before the log; the data
/// files may be compressed, so this catches a clear key in the write-ahead logs and
/// uncompressed blocks, not every possible leak).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_manages_server_certificates_and_their_keys_stay_sealed() {
    within(Duration::from_secs(240), async {
        let mut cluster = Cluster::start_opts(
            3,
            iamd_tests::Options {
                audit: true,
                ..iamd_tests::Options::default()
            },
        )
        .await;
        let keys_out = tempfile::NamedTempFile::new().expect("a file for the keys");
        let env = [("KEYS_OUT", keys_out.path().display().to_string())];
        run_script_on("boto3_server_certs.py", &mut cluster, &env).await;
        let keys = std::fs::read_to_string(keys_out.path()).expect("the script's keys");
        let lines: Vec<&str> = keys
            .lines()
            .filter(|l| l.len() > 16 && !l.starts_with("-----") && !l.contains(':'))
            .collect();
        assert!(lines.len() > 20, "the script recorded its keys");
        let mut files = Vec::new();
        for n in &cluster.nodes {
            files.push(n.log.clone());
            files.push(cluster.audit_path(n.id));
            list_files(&n.data_dir, &mut files);
        }
        let audited = cluster.nodes.iter().any(|n| {
            std::fs::read_to_string(cluster.audit_path(n.id))
                .unwrap_or_default()
                .contains("UploadServerCertificate")
        });
        assert!(audited, "the audit trails record the uploads");
        for f in files {
            let bytes = std::fs::read(&f).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for l in &lines {
                assert!(
                    !text.contains(l),
                    "{} holds a private key in the clear",
                    f.display()
                );
            }
        }
    })
    .await;
}

fn list_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = e.path();
        if path.is_dir() {
            list_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_gets_federation_tokens_that_prove_identity_only() {
    within(
        Duration::from_secs(120),
        run_script("boto3_federation_token.py"),
    )
    .await;
}

/// AssumeRoleWithWebIdentity against a local OpenID Connect issuer the script serves on a
/// loopback port the nodes reach as `https://issuer.iamd.test` (`--oidc-resolve`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_assumes_a_role_with_a_web_identity_token_of_a_local_issuer() {
    within(Duration::from_secs(180), async {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let resolve = format!("issuer.iamd.test=127.0.0.1:{port}");
        let cluster = Cluster::start_with_args(3, &["--oidc-resolve", &resolve]).await;
        let env = [("ISSUER_PORT", port.to_string())];
        run_script_with("boto3_web_identity.py", cluster, &env).await;
    })
    .await;
}

fn aws(cluster: &Cluster, url: &str, args: &[&str]) -> (i32, String, String) {
    let out = signed(cluster, "aws")
        .args([
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .args(args)
        .output()
        .expect("run aws");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_works_against_any_node() {
    within(Duration::from_secs(120), async {
        let mut cluster = Cluster::start(3).await;
        let urls = urls(&mut cluster);
        let (code, out, err) = aws(&cluster, &urls[1], &["iam", "create-user", "--user-name", "alice"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["User"]["UserName"], "alice");
        let (code, out, err) = aws(&cluster, &urls[2], &["iam", "list-users"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("\"alice\""), "{out}");
        let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let (code, out, err) = aws(&cluster, &urls[0],
            &["iam", "create-policy", "--policy-name", "s3", "--policy-document", policy],
        );
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("\"DefaultVersionId\": \"v1\""), "{out}");
        // A refusal: the CLI exits non-zero and prints AWS's error code.
        let (code, _, err) = aws(&cluster, &urls[0], &["iam", "get-user", "--user-name", "nobody"]);
        assert_ne!(code, 0);
        assert!(err.contains("NoSuchEntity"), "{err}");
        let (code, _, err) = aws(&cluster, &urls[2], &["iam", "create-user", "--user-name", "alice"]);
        assert_ne!(code, 0);
        assert!(err.contains("EntityAlreadyExists"), "{err}");
        // Not a sandbox: the reset endpoint does not exist.
        let addr = urls[0].trim_start_matches("http://").to_owned();
        let reply = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            write!(s, "POST /_iamd/sandbox/reset HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n").unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        })
        .await
        .unwrap();
        assert!(reply.starts_with("HTTP/1.0 404") || reply.starts_with("HTTP/1.1 404"), "{reply}");
        let (code, out, _) = aws(&cluster, &urls[1], &["iam", "list-users"]);
        assert_eq!(code, 0);
        assert!(out.contains("\"alice\""), "state survives: {out}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boto3_writer_survives_a_leader_kill_without_duplicates() {
    within(Duration::from_secs(180), async {
        let mut cluster = Cluster::start(3).await;
        let account = cluster.account.clone();
        let urls = urls(&mut cluster);
        let stop = cluster.dir().join("stop-writer");
        let stop_arg = stop.clone();
        let mut python = signed(&cluster, "python3");
        let writer = tokio::task::spawn_blocking(move || {
            python
                .arg(script("boto3_failover.py"))
                .arg(&stop_arg)
                .args(&urls)
                .output()
                .expect("run python3")
        });
        tokio::time::sleep(Duration::from_secs(3)).await;
        let leader = cluster.leader(Duration::from_secs(5)).await;
        cluster.kill(leader);
        tokio::time::sleep(Duration::from_secs(5)).await;
        std::fs::write(&stop, b"stop").unwrap();
        let out = writer.await.unwrap();
        assert!(
            out.status.success(),
            "boto3 writer failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let created: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        assert!(created.len() > 5, "too few writes: {created:?}");
        // Every user the script saw created exists exactly once on every live node.
        let id = cluster.running_ids()[0];
        let mut client = cluster.client_of(id);
        let q = iam_state::Query::in_account(
            &account,
            iam_state::ops::users::UserQuery::List {
                path_prefix: "/".into(),
                page: iam_state::ops::PageRequest {
                    marker: None,
                    max_items: Some(1000),
                },
            },
        );
        let read = iam_proto::v1::ReadOptions {
            consistency: iam_proto::v1::Consistency::Linearizable as i32,
            at_least_index: 0,
        };
        let (v, _) = client.read(&q, read).await.expect("list users");
        let names: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect();
        for n in &created {
            assert_eq!(
                names.iter().filter(|x| *x == n).count(),
                1,
                "{n} in {names:?}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_policies_and_sts_sessions_hold_on_every_node() {
    within(Duration::from_secs(180), run_script("sts_auth.py")).await;
}
