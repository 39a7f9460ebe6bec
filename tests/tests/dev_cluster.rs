//! `iamd dev` as the README's quick start uses it: a local 3-process cluster, `cluster.json`,
//! an iamctl profile that works, and Ctrl-C (SIGINT) stops every node; the same with
//! `--tls` (a dev CA, https endpoints, the profile's CA bundle).

use iamd_tests::{bin, free_port};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(pid, 0) == 0
    }
}

#[test]
fn dev_starts_a_usable_cluster_and_ctrl_c_stops_it() {
    run_dev(false);
}

#[test]
fn dev_tls_starts_a_usable_tls_cluster() {
    run_dev(true);
}

fn run_dev(tls: bool) {
    let dir = tempfile::tempdir().unwrap();
    let base = free_port() / 100 * 100;
    let scheme = if tls { "https" } else { "http" };
    let mut child = Command::new(bin("iamd"))
        .args([
            "dev",
            "--nodes",
            "3",
            "--base-port",
            &base.to_string(),
            "--dir",
        ])
        .arg(dir.path())
        .args(tls.then_some("--tls"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let cluster_json = dir.path().join("cluster.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cluster_json.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "iamd dev exited early ({status}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            Instant::now() < deadline,
            "cluster.json not written within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cluster_json).unwrap()).unwrap();
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    for n in nodes {
        assert!(n["api"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{scheme}://127.0.0.1:")));
        assert!(n["http"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{scheme}://127.0.0.1:")));
        assert!(n["peer"].is_string() && n["pid"].as_u64().is_some() && n["data_dir"].is_string());
    }
    let profile = dir.path().join("iamctl.toml");
    let run = |args: &[&str]| {
        Command::new(bin("iamctl"))
            .args(args)
            .env("IAMCTL_CONFIG", &profile)
            .env_remove("IAMCTL_ENDPOINTS")
            // The profile's credentials file (the operator's root key), nothing else.
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
            // A machine-wide bundle does not override the profile's dev CA.
            .env("AWS_CA_BUNDLE", "/nonexistent/ca-bundle.pem")
            .output()
            .unwrap()
    };
    let out = run(&["user", "create", "alice"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "user",
        "list",
        "-o",
        "json",
        "--consistency",
        "linearizable",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"alice\""));
    let out = run(&["cluster", "status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("leader") && !text.contains("unreachable"),
        "{text}"
    );

    // Ctrl-C: iamd dev stops all three nodes and exits.
    // SAFETY: sending SIGINT to our own child.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "iamd dev exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "iamd dev did not stop within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for n in nodes {
        let pid = n["pid"].as_u64().unwrap() as i32;
        assert!(!alive(pid), "node process {pid} still running after Ctrl-C");
    }
}
