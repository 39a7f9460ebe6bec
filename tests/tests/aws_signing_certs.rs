//! Signing certificates driven with an unmodified AWS client against a real 3-node
//! cluster's HTTP ports: `tests/aws/boto3_signing_certs.py` (certificates made with python's
//! `cryptography`; writes through followers, AWS's codes and messages, the limit, a user
//! managing only its own certificates). Needs python3 with boto3 and cryptography
//! (`tests/setup.sh` installs them). The runner is `aws_sdk.rs`'s, kept here so that this
//! file can run on its own.

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

/// A python process signing with the operator's root credentials.
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
    let mut cluster = Cluster::start(3).await;
    let urls = urls(&mut cluster);
    let mut python = signed(&cluster, "python3");
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
async fn boto3_manages_signing_certificates_through_followers() {
    within(
        Duration::from_secs(120),
        run_script("boto3_signing_certs.py"),
    )
    .await;
}
