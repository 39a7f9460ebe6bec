//! iamctl-driven helpers shared by the multi-process tests: run commands as the operator
//! or as a user, create users with keys, and wait for a change to reach the answering node.

use crate::{bin, Cluster};
use iam_client::Credentials;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

/// Running iamctl against a cluster's nodes.
impl Cluster {
    /// Runs iamctl with the given args against every running node, with the operator's root
    /// credentials in the environment; returns (code, stdout, stderr).
    pub fn iamctl(&mut self, args: &[&str]) -> (i32, String, String) {
        let creds = self.root_credentials();
        self.iamctl_as(&creds, args)
    }

    /// Runs iamctl as the operator against node `id` only.
    pub fn iamctl_on(&mut self, id: u64, args: &[&str]) -> (i32, String, String) {
        let creds = self.root_credentials();
        let eps = vec![self.node(id).api_url()];
        self.iamctl_with(&eps, &creds, args)
    }

    /// Runs iamctl signing with `creds` against node `id` only.
    pub fn iamctl_on_as(
        &mut self,
        id: u64,
        creds: &Credentials,
        args: &[&str],
    ) -> (i32, String, String) {
        let eps = vec![self.node(id).api_url()];
        self.iamctl_with(&eps, creds, args)
    }

    /// Runs iamctl signing with `creds` (as `AWS_ACCESS_KEY_ID`/... in its environment).
    pub fn iamctl_as(&mut self, creds: &Credentials, args: &[&str]) -> (i32, String, String) {
        let ids = self.running_ids();
        let eps: Vec<String> = ids.iter().map(|id| self.node(*id).api_url()).collect();
        self.iamctl_with(&eps, creds, args)
    }

    fn iamctl_with(
        &self,
        eps: &[String],
        creds: &Credentials,
        args: &[&str],
    ) -> (i32, String, String) {
        let mut cmd = Command::new(bin("iamctl"));
        cmd.arg("--endpoints").arg(eps.join(","));
        if let Some(ca) = &self.ca_bundle {
            cmd.arg("--ca-bundle").arg(ca);
        }
        cmd.args(args)
            .env_remove("IAMCTL_CONFIG")
            .env_remove("AWS_PROFILE")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/iamd-test-credentials",
            )
            .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key);
        match &creds.session_token {
            Some(t) => cmd.env("AWS_SESSION_TOKEN", t),
            None => cmd.env_remove("AWS_SESSION_TOKEN"),
        };
        let out = cmd.output().expect("run iamctl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Parses iamctl's JSON output (panics with the text when it is not JSON).
pub fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Creates a user with an access key through iamctl (as `--account` when given).
pub fn user_with_key(c: &mut Cluster, account: Option<&str>, name: &str) -> Credentials {
    let mut pre: Vec<&str> = Vec::new();
    if let Some(a) = account {
        pre.extend(["--account", a]);
    }
    let (code, _, err) = c.iamctl(&[&pre[..], &["user", "create", name]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = c.iamctl(
        &[
            &pre[..],
            &["-o", "json", "access-key", "create", "--user-name", name],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    let k = json(&out);
    Credentials {
        access_key_id: k["access_key_id"].as_str().unwrap().to_owned(),
        secret_access_key: k["secret_access_key"].as_str().unwrap().to_owned(),
        session_token: None,
    }
}

/// Runs iamctl commands as the operator's root; each must succeed.
pub fn all_ok(c: &mut Cluster, commands: &[&[&str]]) {
    for args in commands {
        let (code, _, err) = c.iamctl(args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
}

/// Runs iamctl as `creds` until the answer is not `InvalidClientTokenId` (a key created
/// through the leader reaches the other nodes a moment later).
pub fn as_user(c: &mut Cluster, creds: &Credentials, args: &[&str]) -> (i32, String, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = c.iamctl_as(creds, args);
        if !r.2.contains("InvalidClientTokenId") || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs iamctl as `creds` until it succeeds (a policy written through the leader takes
/// effect on the answering node a moment later); returns its stdout.
pub fn until_ok(c: &mut Cluster, creds: &Credentials, args: &[&str], what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, out, err) = as_user(c, creds, args);
        if code == 0 {
            return out;
        }
        assert!(Instant::now() < deadline, "{what} never took effect: {err}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A policy document and a trust policy for [`populate_every_keyspace`].
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

/// Something in every keyspace a user can create.
pub fn populate_every_keyspace(c: &mut Cluster) {
    for args in [
        &["user", "create", "alice", "--tag", "team=core"][..],
        &["user", "create", "bob"],
        &["group", "create", "devs"],
        &["group", "add-user", "devs", "alice"],
        &[
            "role",
            "create",
            "app",
            "--assume-role-policy-document",
            TRUST,
        ],
        &[
            "policy",
            "create",
            "--policy-name",
            "read",
            "--policy-document",
            DOC,
        ],
        &[
            "policy",
            "attach",
            "--group",
            "devs",
            "--policy-arn",
            "read",
        ],
        &[
            "policy",
            "put-inline",
            "--user",
            "bob",
            "--policy-name",
            "inline",
            "--policy-document",
            DOC,
        ],
        &["access-key", "create", "--user-name", "alice"],
        &["mfa", "create-virtual", "--name", "alice-phone"],
        &[
            "login-profile",
            "create",
            "--user-name",
            "bob",
            "--password",
            "Bobs-pass-12",
        ],
        &["instance-profile", "create", "web"],
        &[
            "quota",
            "request",
            "roles",
            "--desired-value",
            "300",
            "--justification",
            "growth",
        ],
        &["quota", "set-limit", "ec2:instances", "10"],
        &["quota", "acquire", "ec2:instances", "3"],
        &["account", "set-alias", "--alias", "acme-backup"],
    ] {
        all_ok(c, &[args]);
    }
    let arn = format!("arn:aws:iam::{}:policy/read", c.account);
    all_ok(
        c,
        &[&[
            "policy",
            "create-version",
            "--policy-arn",
            &arn,
            "--policy-document",
            DOC,
        ]],
    );
}
