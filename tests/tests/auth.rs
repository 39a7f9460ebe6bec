//! Authentication and authorization of the native API with real processes: every gRPC call
//! is SigV4-signed and authorized on the node that receives it; users start with nothing;
//! accounts are isolated; cluster administration is the operator account's; secrets never
//! reach the disk in the clear.

use iam_client::{ClientError, Credentials};
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::Query;
use iamd_tests::iamctl::{all_ok, as_user, json, until_ok, user_with_key};
use iamd_tests::{within, Cluster};
use std::time::{Duration, Instant};

const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const LIST_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;

fn refused_code(e: &ClientError) -> &str {
    match e {
        ClientError::Refused { code, .. } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn linearizable() -> ReadOptions {
    ReadOptions {
        consistency: Consistency::Linearizable as i32,
        at_least_index: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_signed_and_authorized() {
    within(Duration::from_secs(150), async {
        let mut c = Cluster::start(3).await;
        let operator = c.account.clone();

        // No signature, a wrong secret, an unknown key: refused before any handler runs.
        let mut unsigned =
            iam_client::Client::new(&[c.node(2).api_url()], Duration::from_secs(5)).unwrap();
        let e = unsigned
            .read(&Query::ListAccounts, linearizable())
            .await
            .unwrap_err();
        assert_eq!(refused_code(&e), "MissingAuthenticationToken", "{e}");
        // iamctl without any credentials says where it looked.
        let out = std::process::Command::new(iamd_tests::bin("iamctl"))
            .args(["--endpoints", &c.node(1).api_url(), "user", "list"])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env_remove("IAMCTL_CONFIG")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
            .env("HOME", "/nonexistent")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("MissingAuthenticationToken") && err.contains("no credentials found"),
            "{err}"
        );
        let mut root = c.root_credentials();
        root.secret_access_key = "x".repeat(40);
        let e = c
            .client_as(root)
            .read(&Query::ListAccounts, linearizable())
            .await
            .unwrap_err();
        assert_eq!(refused_code(&e), "SignatureDoesNotMatch", "{e}");
        let e = c
            .client_as(Credentials {
                access_key_id: format!("AKIA{}", "Z".repeat(16)),
                secret_access_key: "y".repeat(40),
                session_token: None,
            })
            .read(&Query::ListAccounts, linearizable())
            .await
            .unwrap_err();
        assert_eq!(refused_code(&e), "InvalidClientTokenId", "{e}");
        // The root (the bootstrap's credentials) may do anything in its account.
        c.client()
            .read(&Query::ListAccounts, linearizable())
            .await
            .expect("root lists accounts");

        // A new user may do nothing; iamctl exits 1 with AccessDenied.
        let bob = user_with_key(&mut c, None, "bob");
        let (code, _, err) = as_user(&mut c, &bob, &["user", "list"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("AccessDenied"), "{err}");
        let (code, _, err) = as_user(&mut c, &bob, &["cluster", "status"]);
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        // A policy allowing ListUsers only: list works, create does not.
        all_ok(
            &mut c,
            &[
                &[
                    "policy",
                    "create",
                    "--policy-name",
                    "list-only",
                    "--policy-document",
                    LIST_ONLY,
                ][..],
                &[
                    "policy",
                    "attach",
                    "--user",
                    "bob",
                    "--policy-arn",
                    "list-only",
                ][..],
            ],
        );
        let out = until_ok(
            &mut c,
            &bob,
            &["user", "list", "-o", "json"],
            "the list-only policy",
        );
        assert!(out.contains("\"bob\""), "{out}");
        let (code, _, err) = as_user(&mut c, &bob, &["user", "create", "eve"]);
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        // Bob cannot touch the root's own keys, even allowed everything.
        let (code, _, err) =
            c.iamctl(&["policy", "attach", "--user", "bob", "--policy-arn", "admin"]);
        assert_ne!(code, 0, "no such policy yet: {err}");
        all_ok(
            &mut c,
            &[
                &[
                    "policy",
                    "create",
                    "--policy-name",
                    "admin",
                    "--policy-document",
                    ADMIN,
                ][..],
                &["policy", "attach", "--user", "bob", "--policy-arn", "admin"][..],
            ],
        );
        until_ok(&mut c, &bob, &["user", "create", "eve"], "the admin policy");
        let (code, _, err) = as_user(&mut c, &bob, &["access-key", "create"]);
        assert_eq!(
            (code, err.contains("AccessDenied")),
            (1, true),
            "root key by a user: {err}"
        );

        // Another account: its admin user is confined to it.
        let (code, out, err) = c.iamctl(&[
            "-o",
            "json",
            "account",
            "create",
            "--name",
            "tenant",
            "--email",
            "t@example.com",
        ]);
        assert_eq!(code, 0, "{err}");
        let tenant = json(&out)["id"].as_str().unwrap().to_owned();
        let tina = user_with_key(&mut c, Some(&tenant), "tina");
        all_ok(
            &mut c,
            &[
                &[
                    "--account",
                    &tenant,
                    "policy",
                    "create",
                    "--policy-name",
                    "admin",
                    "--policy-document",
                    ADMIN,
                ][..],
                &[
                    "--account",
                    &tenant,
                    "policy",
                    "attach",
                    "--user",
                    "tina",
                    "--policy-arn",
                    "admin",
                ][..],
            ],
        );
        let out = until_ok(
            &mut c,
            &tina,
            &["user", "list", "-o", "json"],
            "tina's policy",
        );
        assert!(
            out.contains("\"tina\"") && !out.contains("\"bob\""),
            "{out}"
        );
        let (code, _, err) = as_user(&mut c, &tina, &["--account", &operator, "user", "list"]);
        assert_eq!(
            (code, err.contains("AccessDenied")),
            (1, true),
            "cross-account: {err}"
        );
        let (code, _, err) = as_user(&mut c, &tina, &["cluster", "status"]);
        assert_eq!(
            (code, err.contains("AccessDenied")),
            (1, true),
            "tenant admin on the cluster: {err}"
        );
        let (code, _, err) = as_user(&mut c, &tina, &["account", "list"]);
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        // A tenant asks for more roles; only the operator decides.
        let (code, out, err) = as_user(
            &mut c,
            &tina,
            &[
                "-o",
                "json",
                "quota",
                "request",
                "roles",
                "--desired-value",
                "300",
                "--justification",
                "growth",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let request_id = json(&out)["id"].as_str().expect("request id").to_owned();
        let (code, _, err) = as_user(&mut c, &tina, &["quota", "approve", &request_id]);
        assert_eq!(
            (code, err.contains("AccessDenied")),
            (1, true),
            "self-approval: {err}"
        );
        let (code, _, err) = c.iamctl(&["--account", &tenant, "quota", "approve", &request_id]);
        assert_eq!(code, 0, "the operator approves: {err}");

        // Secrets at rest: the key id is on disk, its secret is not (sealed with the cluster key).
        let mut found_id = false;
        for n in &c.nodes {
            for f in walk(&n.data_dir) {
                let bytes = std::fs::read(&f).unwrap_or_default();
                let has = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
                found_id |= has(&bob.access_key_id);
                assert!(
                    !has(&bob.secret_access_key),
                    "secret in the clear in {}",
                    f.display()
                );
                assert!(
                    !has(&tina.secret_access_key),
                    "secret in the clear in {}",
                    f.display()
                );
            }
        }
        assert!(
            found_id,
            "the access key id should be stored (the check would be vacuous)"
        );
    })
    .await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

const SIM_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}"#;

/// The AWS CLI's `simulate-principal-policy` (HTTP, AWS's simulator API) and the native
/// gRPC `Authorize` give the same decision for the same question, each from a different node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_principal_policy_agrees_with_native_authorize() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        all_ok(
            &mut c,
            &[
                &["user", "create", "sim"][..],
                &[
                    "policy",
                    "create",
                    "--policy-name",
                    "sim",
                    "--policy-document",
                    SIM_POLICY,
                ][..],
                &["policy", "attach", "--user", "sim", "--policy-arn", "sim"][..],
            ],
        );
        let principal = format!("arn:aws:iam::{account}:user/sim");
        let http = format!("http://{}", c.node(2).http);
        let creds = c.root_credentials();
        let cases = [
            ("s3:GetObject", "arn:aws:s3:::data/x", "allowed"),
            ("s3:GetObject", "arn:aws:s3:::other/x", "implicitDeny"),
            ("s3:DeleteObject", "arn:aws:s3:::data/x", "explicitDeny"),
            ("iam:CreateUser", "*", "implicitDeny"),
        ];
        let mut native = c.client_of(3);
        for (action, resource, expected) in cases {
            let out = std::process::Command::new("aws")
                .args([
                    "--endpoint-url",
                    &http,
                    "--region",
                    "us-east-1",
                    "--output",
                    "json",
                ])
                .args([
                    "iam",
                    "simulate-principal-policy",
                    "--policy-source-arn",
                    &principal,
                ])
                .args(["--action-names", action, "--resource-arns", resource])
                .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
                .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key)
                .env("AWS_CONFIG_FILE", "/dev/null")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .output()
                .expect("run aws");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v = json(&String::from_utf8_lossy(&out.stdout));
            let simulated = v["EvaluationResults"][0]["EvalDecision"]
                .as_str()
                .unwrap()
                .to_owned();
            let req = iam_proto::v1::AuthorizeRequest {
                read: Some(linearizable()),
                principal_arn: principal.clone(),
                action: action.into(),
                resource: resource.into(),
                context: vec![],
                explain: false,
                signed_request: None,
            };
            let authorized = native
                .call(|mut i, _| {
                    let req = req.clone();
                    async move { i.authorize(req).await }
                })
                .await
                .expect("authorize");
            assert_eq!(simulated, authorized.decision, "{action} on {resource}");
            assert_eq!(simulated, expected, "{action} on {resource}");
        }
    })
    .await;
}

/// A relying service passes the SigV4-signed request it received; any node verifies the
/// signer and decides for the signer's own policies, singly or in a batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_decides_for_the_signer_of_a_relayed_request() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let reader = user_with_key(&mut c, None, "reader");
        all_ok(
            &mut c,
            &[
                &[
                    "policy",
                    "create",
                    "--policy-name",
                    "sim",
                    "--policy-document",
                    SIM_POLICY,
                ][..],
                &[
                    "policy",
                    "attach",
                    "--user",
                    "reader",
                    "--policy-arn",
                    "sim",
                ][..],
            ],
        );
        // What an S3-like service received from the reader's SDK.
        let signed = |secret: &str| {
            let mut req = iam_auth::sigv4::SignedRequest {
                method: "GET".into(),
                path: "/data/x".into(),
                query: String::new(),
                headers: vec![("host".into(), "storage.example.com".into())],
                payload_sha256: Some(iam_auth::sigv4::EMPTY_SHA256.into()),
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64;
            let auth = iam_auth::sigv4::sign(
                &mut req,
                &iam_auth::sigv4::SigningParams {
                    access_key_id: &reader.access_key_id,
                    secret_access_key: secret,
                    session_token: None,
                    region: "eu-west-1",
                    service: "s3",
                    time_ms: now,
                },
            )
            .unwrap();
            req.headers.push(("authorization".into(), auth));
            iam_proto::v1::SignedHttpRequest {
                method: req.method,
                path: req.path,
                query: req.query,
                headers: req
                    .headers
                    .into_iter()
                    .map(|(name, value)| iam_proto::v1::Header { name, value })
                    .collect(),
                body_sha256: iam_auth::sigv4::EMPTY_SHA256.into(),
                service: "s3".into(),
                source_ip: "10.1.2.3".into(),
            }
        };
        let check = |action: &str, sr| iam_proto::v1::AuthorizeRequest {
            read: Some(linearizable()),
            principal_arn: String::new(),
            action: action.into(),
            resource: "arn:aws:s3:::data/x".into(),
            context: vec![],
            explain: false,
            signed_request: Some(sr),
        };
        let batch = iam_proto::v1::AuthorizeBatchRequest {
            read: Some(linearizable()),
            checks: vec![
                check("s3:GetObject", signed(&reader.secret_access_key)),
                check("s3:DeleteObject", signed(&reader.secret_access_key)),
                check("s3:PutObject", signed(&reader.secret_access_key)),
            ],
        };
        let mut relying = c.client_of(2);
        let deadline = Instant::now() + Duration::from_secs(10);
        let r = loop {
            let b = batch.clone();
            match relying
                .call(|mut i, _| {
                    let b = b.clone();
                    async move { i.authorize_batch(b).await }
                })
                .await
            {
                Ok(r) => break r,
                Err(e)
                    if Instant::now() < deadline
                        && format!("{e}").contains("InvalidClientTokenId") =>
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        let decisions: Vec<&str> = r.results.iter().map(|x| x.decision.as_str()).collect();
        assert_eq!(decisions, ["allowed", "explicitDeny", "implicitDeny"]);
        // A signature made with the wrong secret is refused.
        let bad = check("s3:GetObject", signed(&"w".repeat(40)));
        let e = relying
            .call(|mut i, _| {
                let b = bad.clone();
                async move { i.authorize(b).await }
            })
            .await
            .unwrap_err();
        assert_eq!(refused_code(&e), "SignatureDoesNotMatch", "{e}");
    })
    .await;
}
