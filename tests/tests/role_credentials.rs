//! Roles for applications: an unmodified boto3 gets rotating role credentials from
//! `iamctl agent` (container-credentials endpoint) and from `iamctl credential-process`
//! (an SDK profile's `credential_process`), then acts as the role session on the cluster.

use iamd_tests::{bin, free_port, within, Cluster};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APP_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
const WORKER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;

fn ok(c: &mut Cluster, args: &[&str]) -> String {
    let (code, out, err) = c.iamctl(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("aws/role_credentials.py")
}

/// A python process with no credentials of its own.
fn bare_python(dir: &Path) -> Command {
    let mut p = Command::new("python3");
    p.arg(script())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
        .env("AWS_CONFIG_FILE", dir.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdks_get_role_credentials_from_the_agent_and_credential_process() {
    within(Duration::from_secs(150), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        ok(&mut c, &["user", "create", "app"]);
        let key: Value = serde_json::from_str(&ok(
            &mut c,
            &["-o", "json", "access-key", "create", "--user-name", "app"],
        ))
        .unwrap();
        let app_arn = format!("arn:aws:iam::{account}:user/app");
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{app_arn}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        ok(&mut c, &["role", "create", "worker", "--assume-role-policy-document", &trust]);
        for (flag, name, doc) in [("--user", "app", APP_POLICY), ("--role", "worker", WORKER_POLICY)] {
            ok(
                &mut c,
                &["policy", "put-inline", flag, name, "--policy-name", "p", "--policy-document", doc],
            );
        }
        let role_arn = format!("arn:aws:iam::{account}:role/worker");
        // iamctl's own profile holds the application's long-term key.
        let dir = c.dir().to_owned();
        std::fs::write(
            dir.join("app-credentials"),
            format!(
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                key["access_key_id"].as_str().unwrap(),
                key["secret_access_key"].as_str().unwrap()
            ),
        )
        .unwrap();
        let endpoints: Vec<String> = c.nodes.iter().map(|n| format!("\"{}\"", n.api_url())).collect();
        std::fs::write(
            dir.join("app.toml"),
            format!(
                "endpoints = [{}]\ncredentials_file = \"app-credentials\"\n",
                endpoints.join(", ")
            ),
        )
        .unwrap();
        let profile = dir.join("app.toml");
        let http = format!("http://{}", c.node(2).http);

        // credential_process: an SDK profile whose credentials come from iamctl.
        let config = dir.join("sdk-config");
        std::fs::write(
            &config,
            format!(
                "[profile app]\ncredential_process = {} --config {} credential-process --role-arn {role_arn} --role-session-name proc\n",
                bin("iamctl").display(),
                profile.display()
            ),
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        let out = loop {
            let out = bare_python(&dir)
                .args([&http, "worker"])
                .env("AWS_CONFIG_FILE", &config)
                .env("AWS_PROFILE", "app")
                .output()
                .unwrap();
            if out.status.success() || Instant::now() > deadline {
                break out;
            }
            // The new key and policies reach node 2 a moment after the leader.
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        assert!(
            out.status.success(),
            "credential_process: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("assumed-role/worker/proc"));

        // The agent: a loopback endpoint in the container-credentials format.
        let listen = format!("127.0.0.1:{}", free_port());
        let mut agent = Command::new(bin("iamctl"))
            .args(["--config", profile.to_str().unwrap(), "agent", "--role-arn", &role_arn])
            .args(["--role-session-name", "agent", "--listen", &listen, "--token", "s3cr3t"])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_PROFILE")
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let uri = format!("http://{listen}/credentials");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(&listen).is_err() {
            assert!(Instant::now() < deadline, "the agent did not start listening");
            assert!(agent.try_wait().unwrap().is_none(), "the agent exited");
            std::thread::sleep(Duration::from_millis(100));
        }
        let run = |token: &str| {
            bare_python(&dir)
                .args([&http, "worker"])
                .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)
                .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", token)
                .output()
                .unwrap()
        };
        let out = run("s3cr3t");
        let refused = run("guess");
        let _ = agent.kill();
        let _ = agent.wait();
        assert!(
            out.status.success(),
            "agent: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("assumed-role/worker/agent"));
        assert!(!refused.status.success(), "a wrong agent token got credentials");
    })
    .await;
}
