//! TLS on every port with real processes: iamctl, the gRPC client, the AWS CLI and boto3
//! against a TLS cluster; `aws:SecureTransport`; and rotation of certificates and CA bundles
//! on the API and peer ports under load, with no failed request and no restart needed.

use iam_client::Client;
use iamd_tests::iamctl::{all_ok, until_ok, user_with_key};
use iamd_tests::load::Load;
use iamd_tests::{within, Cluster, Options};
use std::process::Command as Process;
use std::time::Duration;

const SECURE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_cluster_serves_iamctl_the_aws_cli_and_boto3() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start_tls(3).await;
        assert!(c.node(2).api_url().starts_with("https://"));
        all_ok(&mut c, &[&["user", "create", "alice"]]);
        let (code, out, err) = c.iamctl(&["-o", "json", "--consistency", "linearizable", "user", "list"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("alice"), "{out}");
        // Plain text to a TLS port gets nowhere; nor does TLS without trusting its CA.
        let plain = Client::new(&[format!("http://{}", c.node(1).api)], Duration::from_secs(3))
            .unwrap()
            .with_credentials(c.root_credentials());
        assert!(plain
            .call_one(0, |mut iam, _| async move {
                iam.get_caller_identity(iam_proto::v1::GetCallerIdentityRequest {}).await
            })
            .await
            .is_err());
        let dir = tempfile::tempdir().unwrap();
        let stranger = iam_tls::gen::new_ca("not the cluster's", 1).unwrap();
        std::fs::write(dir.path().join("other.pem"), stranger.cert).unwrap();
        let (code, _, err) = {
            let creds = c.root_credentials();
            let out = Process::new(iamd_tests::bin("iamctl"))
                .args(["--endpoints", &c.node(1).api_url(), "--ca-bundle"])
                .arg(dir.path().join("other.pem"))
                .args(["user", "list"])
                .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
                .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key)
                .env_remove("AWS_SESSION_TOKEN")
                .env_remove("IAMCTL_CONFIG")
                .output()
                .unwrap();
            (out.status.code(), (), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        assert_eq!(code, Some(2), "an untrusted server is a connection error: {err}");
        // Health over https.
        let health = c.http_get(1, "/health").await.unwrap();
        assert!(health.starts_with("HTTP/1.0 200") || health.starts_with("HTTP/1.1 200"), "{health}");

        // aws:SecureTransport is true on a TLS port: a policy that requires it allows.
        let tina = user_with_key(&mut c, None, "tina");
        all_ok(
            &mut c,
            &[&["policy", "put-inline", "--user", "tina", "--policy-name", "secure", "--policy-document", SECURE_ONLY]],
        );
        until_ok(&mut c, &tina, &["user", "list"], "tina's policy");

        // The AWS CLI and boto3 with the cluster's CA bundle.
        let ca = c.ca_bundle.clone().unwrap();
        let creds = c.root_credentials();
        let endpoint = c.node(2).http_url();
        let out = Process::new("aws")
            .args(["--endpoint-url", &endpoint, "--region", "us-east-1", "--ca-bundle"])
            .arg(&ca)
            .args(["iam", "list-users", "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key)
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("run aws");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("alice"), "{text}");
        let script = "import boto3,sys\nc=boto3.client('iam',endpoint_url=sys.argv[1],region_name='us-east-1',verify=sys.argv[2])\nc.create_user(UserName='from-boto3')\nprint(sorted(u['UserName'] for u in c.list_users()['Users']))\n";
        let out = Process::new("python3")
            .args(["-c", script, &c.node(3).http_url()])
            .arg(&ca)
            .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key)
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("run python3");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("from-boto3"), "{text}");
    })
    .await;
}

/// Replaces a file's contents at once (a client reading it meanwhile sees the old or the
/// new bundle, never half of one), as an operator's `mv` into place does.
fn write_atomic(path: &std::path::Path, contents: impl AsRef<[u8]>) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A handshake with every node: each looks at its files on its next handshake a second
/// after the last look.
async fn touch(c: &Cluster) {
    for id in 1..=3 {
        c.http_get(id, "/health").await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_and_cas_rotate_under_load_without_a_failed_request() {
    within(Duration::from_secs(300), async {
        let mut c = Cluster::start_opts(
            3,
            Options {
                api_tls: true,
                peer_pki: true,
                ..Options::default()
            },
        )
        .await;
        // Clients trust a bundle file the test rewrites as the CA rotates.
        let tls = c.dir().join("tls");
        let bundle = tls.join("client-bundle.pem");
        let read = |name: &str| std::fs::read_to_string(tls.join(format!("{name}.pem"))).unwrap();
        write_atomic(&bundle, read("ca"));
        c.ca_bundle = Some(bundle.clone());
        // Every write through a new connection (a new TLS handshake).
        let writer = Load::start(&c, "load");
        let settle = || tokio::time::sleep(Duration::from_millis(1500));
        settle().await;

        // API port: new certificates of the same CA, then a new CA.
        for id in 1..=3 {
            c.issue_node_cert(id);
        }
        settle().await;
        touch(&c).await;
        let ca2 = iam_tls::gen::new_ca("iamd test CA 2", 30).unwrap();
        std::fs::write(tls.join("ca2.pem"), &ca2.cert).unwrap();
        std::fs::write(tls.join("ca2-key.pem"), &ca2.key).unwrap();
        write_atomic(&bundle, read("ca") + &read("ca2"));
        for id in 1..=3 {
            let names = ["127.0.0.1".to_owned(), "localhost".to_owned()];
            let pem =
                iam_tls::gen::issue(&ca2.cert, &ca2.key, &names, iam_tls::gen::Usage::Server, 30)
                    .unwrap();
            let (cert, key) = c.node_cert(id);
            std::fs::write(&key, &pem.key).unwrap();
            std::fs::write(&cert, &pem.cert).unwrap();
        }
        settle().await;
        touch(&c).await;
        write_atomic(&bundle, read("ca2"));
        settle().await;
        touch(&c).await;

        // Peer port: trust both CAs, move every node to the new one, drop the old one.
        c.new_peer_ca("peer-ca2");
        for id in 1..=3 {
            c.set_peer_bundle(id, &["peer-ca", "peer-ca2"]);
        }
        settle().await;
        for id in 1..=3 {
            c.issue_peer_cert(id, "peer-ca2");
        }
        settle().await;
        for id in 1..=3 {
            c.set_peer_bundle(id, &["peer-ca2"]);
        }
        settle().await;
        // A follower restarts: every peer connection to and from it is a new handshake with
        // the new certificates and bundles only.
        let leader = c.leader(Duration::from_secs(10)).await;
        let follower = (1..=3).find(|id| *id != leader).unwrap();
        c.stop(follower);
        c.start_node(follower);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let report = writer.finish().await;
        let index = c.status(leader).await.unwrap().applied_index;
        c.wait_converged(index, Duration::from_secs(30)).await;
        assert!(
            report.errors.is_empty(),
            "failed writes during rotation: {:?}",
            report.errors
        );
        let ok = report.created.len();
        assert!(ok >= 20, "only {ok} writes went through");
        // The node came back under the new peer CA and serves what the others wrote.
        let mut last = c.client_of(follower);
        let (users, _) = last
            .read(
                &iam_state::Query::in_account(
                    "",
                    iam_state::ops::users::UserQuery::List {
                        path_prefix: "/".into(),
                        page: Default::default(),
                    },
                ),
                iam_proto::v1::ReadOptions {
                    consistency: iam_proto::v1::Consistency::AtLeast as i32,
                    at_least_index: index,
                },
            )
            .await
            .unwrap();
        assert!(users.to_string().contains("load-1\""), "{users}");
    })
    .await;
}
