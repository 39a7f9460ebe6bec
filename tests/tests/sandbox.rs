//! `iamd dev --sandbox`: the AWS CLI with made-up credentials acts in account 123456789012
//! as its administrator user `sandbox`, the reset endpoint wipes everything (and brings that
//! user back), and a sandbox refuses non-loopback addresses.

use iamd_tests::{bin, free_port};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Dev(std::process::Child);

impl Drop for Dev {
    fn drop(&mut self) {
        // SAFETY: SIGINT to our own child, which then stops its nodes.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.0.id() as i32, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn aws(url: &str, args: &[&str]) -> (i32, String, String) {
    aws_as(url, args, None)
}

/// `aws` with made-up keys, or with the profile of `credentials` (the operator root's file
/// `iamd dev` writes).
fn aws_as(
    url: &str,
    args: &[&str],
    credentials: Option<&std::path::Path>,
) -> (i32, String, String) {
    let mut cmd = Command::new("aws");
    match credentials {
        Some(file) => {
            cmd.env("AWS_SHARED_CREDENTIALS_FILE", file)
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY");
        }
        None => {
            cmd.env("AWS_ACCESS_KEY_ID", "AKIAANYTHINGATALL000")
                .env("AWS_SECRET_ACCESS_KEY", "whatever")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        }
    }
    let out = cmd
        .args([
            "--endpoint-url",
            url,
            "--region",
            "eu-west-3",
            "--output",
            "json",
        ])
        .args(args)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .output()
        .expect("run aws");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn post(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

/// `iamd dev --sandbox` with 3 nodes: the child (stopped on drop), its directory and the
/// nodes' HTTP URLs.
fn start() -> (Dev, tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let base = free_port() / 100 * 100;
    let child = Command::new(bin("iamd"))
        .args([
            "dev",
            "--sandbox",
            "--nodes",
            "3",
            "--base-port",
            &base.to_string(),
            "--dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut dev = Dev(child);
    let cluster_json = dir.path().join("cluster.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cluster_json.exists() {
        assert!(
            matches!(dev.0.try_wait(), Ok(None)),
            "iamd dev --sandbox exited early"
        );
        assert!(
            Instant::now() < deadline,
            "cluster.json not written within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cluster_json).unwrap()).unwrap();
    assert_eq!(v["account"], "123456789012");
    let http: Vec<String> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["http"].as_str().unwrap().to_owned())
        .collect();
    (dev, dir, http)
}

#[test]
fn sandbox_accepts_unknown_keys_and_resets() {
    let (dev, _dir, http) = start();
    let (code, out, err) = aws(&http[0], &["iam", "create-user", "--user-name", "tester"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("arn:aws:iam::123456789012:user/tester"),
        "{out}"
    );
    let (code, out, _) = aws(&http[2], &["iam", "list-users"]);
    assert_eq!(code, 0);
    assert!(out.contains("tester"), "{out}");
    // Reset: everything is gone, the sandbox account is back, empty.
    let addr = http[1].trim_start_matches("http://");
    let (status, body) = post(addr, "/_iamd/sandbox/reset");
    assert_eq!(status, 200, "{body}");
    let (code, out, err) = aws(&http[1], &["iam", "list-users"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("tester"), "{out}");
    let (code, _, err) = aws(&http[0], &["iam", "create-user", "--user-name", "tester"]);
    assert_eq!(code, 0, "{err}");
    drop(dev);
}

/// The JSON of a successful `aws` call on `url`, retried for a few seconds while it fails
/// (a node applying a write it did not take itself).
fn aws_ok(url: &str, args: &[&str]) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, out, err) = aws(url, args);
        if code == 0 {
            return serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
        }
        assert!(Instant::now() < deadline, "aws {args:?} on {url}: {err}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn made_up_keys_act_as_an_administrator_user_that_can_assume_roles() {
    let (dev, dir, http) = start();
    let sandbox_arn = "arn:aws:iam::123456789012:user/sandbox";
    // Who am I: the sandbox user, on every node.
    for url in &http {
        let me = aws_ok(url, &["sts", "get-caller-identity"]);
        assert_eq!(me["Arn"], sandbox_arn, "{me}");
        assert!(me["UserId"].as_str().unwrap().starts_with("AIDA"), "{me}");
    }
    let me = aws_ok(&http[1], &["iam", "get-user"]);
    assert_eq!(me["User"]["UserName"], "sandbox", "{me}");
    // A role trusting the account: a user with the rights assumes it (the root could not).
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    let role = aws_ok(
        &http[0],
        &[
            "iam",
            "create-role",
            "--role-name",
            "app",
            "--assume-role-policy-document",
            trust,
        ],
    );
    let role_arn = role["Role"]["Arn"].as_str().unwrap().to_owned();
    let session = aws_ok(
        &http[2],
        &[
            "sts",
            "assume-role",
            "--role-arn",
            &role_arn,
            "--role-session-name",
            "suite",
        ],
    );
    assert_eq!(
        session["AssumedRoleUser"]["Arn"], "arn:aws:sts::123456789012:assumed-role/app/suite",
        "{session}"
    );
    // The account root deletes the sandbox user (the user itself would lose its rights
    // with its policy): made-up keys are then no identity, saying so.
    let root = dir.path().join("credentials");
    for args in [
        &[
            "iam",
            "delete-user-policy",
            "--user-name",
            "sandbox",
            "--policy-name",
            "AdministratorAccess",
        ][..],
        &["iam", "delete-user", "--user-name", "sandbox"][..],
    ] {
        let (code, _, err) = aws_as(&http[0], args, Some(&root));
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (code, _, err) = aws(&http[0], &["iam", "create-user", "--user-name", "late"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("InvalidClientTokenId") && err.contains("no longer exists"),
        "{err}"
    );
    // A reset brings it back.
    let addr = http[1].trim_start_matches("http://");
    let (status, body) = post(addr, "/_iamd/sandbox/reset");
    assert_eq!(status, 200, "{body}");
    let me = aws_ok(&http[1], &["sts", "get-caller-identity"]);
    assert_eq!(me["Arn"], sandbox_arn, "{me}");
    let users = aws_ok(&http[1], &["iam", "list-users"]);
    let names: Vec<&str> = users["Users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["UserName"].as_str())
        .collect();
    assert_eq!(names, ["sandbox"], "{users}");
    let (code, _, err) = aws(&http[1], &["iam", "get-role", "--role-name", "app"]);
    assert_ne!(code, 0, "the role survived the reset");
    assert!(err.contains("NoSuchEntity"), "{err}");
    drop(dev);
}

#[test]
fn sandbox_refuses_addresses_other_than_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin("iamd"))
        .args(["serve", "--sandbox", "--node-id", "1", "--bootstrap"])
        .args(["--api-listen", &format!("0.0.0.0:{}", free_port())])
        .args(["--http-listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--peer-listen", &format!("127.0.0.1:{}", free_port())])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "must refuse to start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--api-listen 0.0.0.0") && err.contains("loopback"),
        "{err}"
    );
}
