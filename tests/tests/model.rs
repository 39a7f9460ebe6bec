//! The IAM model end to end, the way an operator drives it: iamctl against a real 3-node
//! cluster, one entity family after another, reads answered by whichever node iamctl reaches,
//! and the authorization index (simulate) following every change on every node.

use iamd_tests::{within, Cluster};
use serde_json::Value;
use std::time::Duration;

const ALLOW_S3: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}"#;
const ALLOW_S3_V2: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadAll","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;
const DENY_DELETE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct Ctl<'a> {
    cluster: &'a mut Cluster,
    account: String,
}

impl Ctl<'_> {
    /// Runs a command that must succeed; returns its JSON output.
    fn ok(&mut self, args: &[&str]) -> Value {
        let mut all = vec!["--account", self.account.as_str(), "-o", "json"];
        all.extend_from_slice(args);
        let account = self.account.clone();
        let (code, out, err) = self.cluster.iamctl(&all);
        assert_eq!(code, 0, "iamctl {args:?} (account {account}) failed: {err}");
        if out.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("iamctl {args:?}: not JSON ({e}): {out}"))
    }

    /// Runs a command the service must refuse with `code`; returns the message.
    fn refused(&mut self, args: &[&str], code: &str) -> String {
        let mut all = vec!["--account", self.account.as_str()];
        all.extend_from_slice(args);
        let (exit, _, err) = self.cluster.iamctl(&all);
        assert_eq!(
            exit, 1,
            "iamctl {args:?} should be refused with {code}: {err}"
        );
        assert!(
            err.contains(code),
            "iamctl {args:?}: expected {code}, got {err}"
        );
        err
    }
}

fn names(v: &Value, field: &str) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {v}"))
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entity_family_through_iamctl_on_a_cluster() {
    within(Duration::from_secs(240), async {
        let mut cluster = Cluster::start(3).await;
        let (code, out, err) = cluster.iamctl(&[
            "account",
            "create",
            "--name",
            "acme",
            "--email",
            "root@acme.example.com",
            "-o",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        let account: Value = serde_json::from_str(&out).unwrap();
        let account = account["id"].as_str().unwrap().to_owned();
        let arn = |kind: &str, name: &str| format!("arn:aws:iam::{account}:{kind}/{name}");
        let mut c = Ctl {
            cluster: &mut cluster,
            account: account.clone(),
        };
        let lin = ["--consistency", "linearizable"];

        // Users: path, tags, rename.
        let u = c.ok(&[
            "user",
            "create",
            "alice",
            "--path",
            "/eng/",
            "--tag",
            "Key=team,Value=core",
        ]);
        assert_eq!(u["arn"], format!("arn:aws:iam::{account}:user/eng/alice"));
        c.ok(&["user", "create", "bob"]);
        c.refused(&["user", "create", "ALICE"], "EntityAlreadyExists");
        c.refused(&["user", "create", "bad name"], "ValidationError");
        c.ok(&[
            "user",
            "update",
            "bob",
            "--new-name",
            "robert",
            "--new-path",
            "/ops/",
        ]);
        let r = c.ok(&[&["user", "get", "robert"][..], &lin].concat());
        assert_eq!(r["path"], "/ops/");
        c.refused(&["user", "get", "bob"], "NoSuchEntity");
        c.ok(&["user", "tag", "robert", "--tag", "Key=cost,Value=42"]);
        let tags = c.ok(&["user", "list-tags", "robert"]);
        assert_eq!(tags["items"][0]["key"], "cost", "{tags}");

        // Groups and membership.
        c.ok(&["group", "create", "devs"]);
        c.ok(&["group", "add-user", "devs", "alice"]);
        c.ok(&["group", "add-user", "devs", "robert"]);
        let g = c.ok(&[&["group", "get", "devs"][..], &lin].concat());
        let mut members: Vec<String> = g["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect();
        members.sort();
        assert_eq!(members, ["alice", "robert"], "{g}");
        assert_eq!(
            names(&c.ok(&["group", "list-for-user", "alice"]), "name"),
            ["devs"]
        );
        c.refused(&["group", "delete", "devs"], "DeleteConflict");

        // Managed policies: versions, attachments, listing entities.
        let p = c.ok(&[
            "policy",
            "create",
            "--policy-name",
            "read-data",
            "--policy-document",
            ALLOW_S3,
        ]);
        let parn = p["arn"].as_str().unwrap().to_owned();
        assert_eq!(parn, arn("policy", "read-data"));
        assert_eq!(p["default_version_id"], "v1");
        c.refused(
            &[
                "policy",
                "create",
                "--policy-name",
                "broken",
                "--policy-document",
                r#"{"Statement":[]}"#,
            ],
            "MalformedPolicyDocument",
        );
        c.ok(&["policy", "attach", "--group", "devs", "--policy-arn", &parn]);
        let ents = c.ok(&[
            &["policy", "list-entities", "--policy-arn", &parn][..],
            &lin,
        ]
        .concat());
        assert_eq!(ents["policy_groups"][0]["group_name"], "devs", "{ents}");

        // Authorization follows the group's policy, on every node.
        let alice = arn("user", "eng/alice");
        for _ in 0..3 {
            let s = c.ok(&[
                &[
                    "simulate",
                    "--principal",
                    &alice,
                    "--action",
                    "s3:GetObject",
                    "--resource",
                    "arn:aws:s3:::data/x",
                ][..],
                &lin,
            ]
            .concat());
            assert_eq!(s["items"][0]["decision"], "allowed", "{s}");
        }
        let s = c.ok(&[
            &[
                "simulate",
                "--principal",
                &alice,
                "--action",
                "s3:ListBucket",
                "--resource",
                "arn:aws:s3:::data",
            ][..],
            &lin,
        ]
        .concat());
        assert_eq!(s["items"][0]["decision"], "implicitDeny", "{s}");
        // A new default version widens it; an inline deny narrows it.
        c.ok(&[
            "policy",
            "create-version",
            "--policy-arn",
            &parn,
            "--policy-document",
            ALLOW_S3_V2,
            "--set-as-default",
        ]);
        let s = c.ok(&[
            &[
                "simulate",
                "--principal",
                &alice,
                "--action",
                "s3:ListBucket",
                "--resource",
                "arn:aws:s3:::data",
            ][..],
            &lin,
        ]
        .concat());
        assert_eq!(s["items"][0]["decision"], "allowed", "{s}");
        c.ok(&[
            "policy",
            "put-inline",
            "--user",
            "alice",
            "--policy-name",
            "no-delete",
            "--policy-document",
            DENY_DELETE,
        ]);
        let s = c.ok(&[
            &[
                "simulate",
                "--principal",
                &alice,
                "--action",
                "s3:DeleteObject",
                "--action",
                "s3:GetObject",
            ][..],
            &lin,
        ]
        .concat());
        assert_eq!(s["items"][0]["decision"], "explicitDeny", "{s}");
        assert_eq!(s["items"][1]["decision"], "allowed", "{s}");
        c.refused(
            &["policy", "delete", "--policy-arn", &parn],
            "DeleteConflict",
        );
        // Leaving the group takes the grant away.
        c.ok(&["group", "remove-user", "devs", "alice"]);
        let s = c.ok(&[
            &[
                "simulate",
                "--principal",
                &alice,
                "--action",
                "s3:GetObject",
                "--resource",
                "arn:aws:s3:::data/x",
            ][..],
            &lin,
        ]
        .concat());
        assert_eq!(s["items"][0]["decision"], "implicitDeny", "{s}");

        // Roles and instance profiles.
        let role = c.ok(&[
            "role",
            "create",
            "app",
            "--assume-role-policy-document",
            TRUST,
            "--description",
            "the app",
        ]);
        assert!(role["id"].as_str().unwrap().starts_with("AROA"), "{role}");
        c.refused(
            &[
                "role",
                "create",
                "bad",
                "--assume-role-policy-document",
                ALLOW_S3,
            ],
            "MalformedPolicyDocument",
        );
        c.ok(&["instance-profile", "create", "web"]);
        c.ok(&["instance-profile", "add-role", "web", "app"]);
        c.refused(&["role", "delete", "app"], "DeleteConflict");
        let profiles = c.ok(&[&["instance-profile", "list-for-role", "app"][..], &lin].concat());
        assert_eq!(names(&profiles, "name"), ["web"]);

        // Credentials: access keys (secret shown once), login profile, password policy, MFA.
        let key = c.ok(&["access-key", "create", "--user-name", "alice"]);
        let key_id = key["access_key_id"].as_str().unwrap().to_owned();
        assert!(key_id.starts_with("AKIA") && key_id.len() == 20, "{key}");
        assert_eq!(key["secret_access_key"].as_str().unwrap().len(), 40);
        let keys = c.ok(&[&["access-key", "list", "--user-name", "alice"][..], &lin].concat());
        assert!(
            !keys
                .to_string()
                .contains(key["secret_access_key"].as_str().unwrap()),
            "a list must never show the secret"
        );
        c.ok(&[
            "access-key",
            "update",
            "--user-name",
            "alice",
            "--access-key-id",
            &key_id,
            "--status",
            "Inactive",
        ]);
        c.ok(&["access-key", "create", "--user-name", "alice"]);
        c.refused(
            &["access-key", "create", "--user-name", "alice"],
            "LimitExceeded",
        );
        c.ok(&[
            "password-policy",
            "update",
            "--minimum-password-length",
            "12",
            "--require-symbols",
        ]);
        c.refused(
            &[
                "login-profile",
                "create",
                "--user-name",
                "alice",
                "--password",
                "short",
            ],
            "PasswordPolicyViolation",
        );
        c.ok(&[
            "login-profile",
            "create",
            "--user-name",
            "alice",
            "--password",
            "Correct-horse-42",
        ]);
        let mfa = c.ok(&[
            "mfa",
            "create-virtual",
            "--virtual-mfa-device-name",
            "alice-phone",
        ]);
        assert_eq!(mfa["serial_number"], arn("mfa", "alice-phone"));
        c.refused(&["user", "delete", "alice"], "DeleteConflict");

        // Account: alias, summary, credential report.
        c.ok(&["account", "set-alias", "--alias", "acme-prod"]);
        let summary = c.ok(&[&["account", "summary"][..], &lin].concat());
        let map = if summary["summary_map"].is_object() {
            &summary["summary_map"]
        } else {
            &summary
        };
        assert_eq!(map["Users"], 2, "{summary}");
        assert_eq!(map["Groups"], 1, "{summary}");
        assert_eq!(map["Roles"], 1, "{summary}");
        assert_eq!(map["RolesQuota"], 250, "{summary}");
        // Authorization details, paged one entry at a time and merged by iamctl.
        let details = c.ok(&[
            &["account", "authorization-details", "--max-items", "1"][..],
            &lin,
        ]
        .concat());
        let names = |list: &str| -> Vec<String> {
            details[list]
                .as_array()
                .unwrap_or_else(|| panic!("{details}"))
                .iter()
                .map(|e| {
                    e.get("role").unwrap_or(e)["name"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        };
        assert_eq!(names("users").len(), 2, "{details}");
        assert!(names("users").contains(&"alice".to_owned()), "{details}");
        assert_eq!(names("groups").len(), 1, "{details}");
        assert_eq!(names("roles").len(), 1, "{details}");
        let only = c.ok(&["account", "authorization-details", "--filter", "Role"]);
        assert_eq!(only["users"], serde_json::json!([]), "{only}");
        assert_eq!(only["roles"].as_array().map(Vec::len), Some(1), "{only}");
        let (code, _, err) = c.cluster.iamctl(&[
            "--account",
            &account,
            "account",
            "authorization-details",
            "--filter",
            "Users",
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--filter \"Users\""), "{err}");
        let (code, csv, err) = c
            .cluster
            .iamctl(&["--account", &account, "credential-report"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            csv.starts_with("user,arn,user_creation_time,password_enabled"),
            "{csv}"
        );
        assert!(csv.contains(&format!("alice,{alice},")), "{csv}");

        // Every node holds the same state.
        let index = c.cluster.status(1).await.map_or(0, |s| s.applied_index);
        c.cluster
            .wait_converged(index, Duration::from_secs(20))
            .await;
    })
    .await;
}
