//! iamctl against a real 3-node cluster: noun-verb commands, JSON and table output,
//! pagination, cluster status and hash.

use iamd_tests::{within, Cluster};
use serde_json::Value;
use std::time::Duration;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_cluster_through_iamctl() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let (code, out, err) = c.iamctl(&[
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
        let account = json(&out)["id"].as_str().unwrap().to_owned();
        assert_eq!(account.len(), 12);
        let acct = ["--account", account.as_str()];
        for i in 0..5 {
            let name = format!("dev{i}");
            let (code, out, err) = c.iamctl(
                &[
                    &acct[..],
                    &[
                        "user",
                        "create",
                        &name,
                        "--path",
                        "/eng/",
                        "--tag",
                        "team=core",
                        "-o",
                        "json",
                    ],
                ]
                .concat(),
            );
            assert_eq!(code, 0, "{err}");
            let u = json(&out);
            assert_eq!(u["arn"], format!("arn:aws:iam::{account}:user/eng/{name}"));
            assert!(u["id"].as_str().unwrap().starts_with("AIDA"));
            assert!(u["log_index"].as_u64().unwrap() > 0);
        }
        // Pagination: pages of 2 are all fetched.
        let (code, out, _) = c.iamctl(
            &[
                &acct[..],
                &[
                    "user",
                    "list",
                    "--max-items",
                    "2",
                    "-o",
                    "json",
                    "--consistency",
                    "linearizable",
                ],
            ]
            .concat(),
        );
        assert_eq!(code, 0);
        assert_eq!(json(&out)["items"].as_array().unwrap().len(), 5);
        let (code, out, _) = c.iamctl(
            &[
                &acct[..],
                &[
                    "user",
                    "list",
                    "--max-items",
                    "2",
                    "--no-paginate",
                    "-o",
                    "json",
                ],
            ]
            .concat(),
        );
        assert_eq!(code, 0);
        let page = json(&out);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let token = page["marker"].as_str().expect("marker").to_owned();
        let (_, out, _) = c.iamctl(
            &[
                &acct[..],
                &[
                    "user",
                    "list",
                    "--max-items",
                    "2",
                    "--no-paginate",
                    "--starting-token",
                    &token,
                    "-o",
                    "json",
                ],
            ]
            .concat(),
        );
        assert_eq!(json(&out)["items"][0]["name"], "dev2");
        // Table output has a header and one row per user.
        let (code, out, _) =
            c.iamctl(&[&acct[..], &["user", "list", "--path-prefix", "/eng/"]].concat());
        assert_eq!(code, 0);
        assert!(out.starts_with("NAME"), "{out}");
        assert_eq!(out.lines().count(), 6);
        // Get (case-insensitive) and delete.
        let (code, out, _) =
            c.iamctl(&[&acct[..], &["user", "get", "DEV0", "-o", "json"]].concat());
        assert_eq!(code, 0);
        assert_eq!(json(&out)["tags"][0]["key"], "team");
        let (code, _, err) = c.iamctl(&[&acct[..], &["user", "delete", "dev0"]].concat());
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = c.iamctl(
            &[
                &acct[..],
                &["user", "get", "dev0", "--consistency", "linearizable"],
            ]
            .concat(),
        );
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");

        // cluster status: every node, one leader, same hash once converged.
        c.wait_converged(0, Duration::from_secs(10)).await;
        let (code, out, err) = c.iamctl(&["cluster", "status", "-o", "json"]);
        assert_eq!(code, 0, "{err}");
        let s = json(&out);
        let nodes = s["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes.iter().filter(|n| n["role"] == "leader").count(), 1);
        assert_eq!(
            s["leader_id"],
            nodes.iter().find(|n| n["role"] == "leader").unwrap()["id"]
        );
        let (code, out, _) = c.iamctl(&["cluster", "hash", "-o", "json"]);
        assert_eq!(code, 0);
        let h = json(&out);
        let hashes: Vec<&str> = h["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["state_hash"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(hashes.len(), 3);
        assert!(
            hashes.iter().all(|x| *x == hashes[0] && x.len() == 64),
            "{hashes:?}"
        );
        let (code, out, _) = c.iamctl(&["cluster", "status"]);
        assert_eq!(code, 0);
        assert!(
            out.contains("STATE_HASH") && out.contains("leader: "),
            "{out}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_add_node_adds_a_learner_then_promotes_it() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let (code, _, err) = c.iamctl(&["cluster", "remove-node", "--id", "3"]);
        assert_eq!(code, 0, "{err}");
        let (peer, api, http) = {
            let n = c.node(3);
            (n.peer.clone(), n.api.clone(), n.http.clone())
        };
        // Node 3 keeps its data and process; add it back as a learner, then as a voter.
        let add = |c: &mut Cluster, learner: bool| {
            let mut args = vec![
                "cluster", "add-node", "--id", "3", "--peer", &peer, "--api", &api, "--http",
                &http, "-o", "json",
            ];
            if learner {
                args.push("--learner");
            }
            c.iamctl(&args)
        };
        let (code, out, err) = add(&mut c, true);
        assert_eq!(code, 0, "{err}");
        let m = json(&out);
        let three = m["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == 3)
            .cloned()
            .expect("node 3 listed");
        assert_eq!(three["voter"], false);
        let (code, out, err) = add(&mut c, false);
        assert_eq!(code, 0, "{err}");
        let three = json(&out)["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == 3)
            .cloned()
            .expect("node 3 listed");
        assert_eq!(three["voter"], true);
        c.wait_voters(3, Duration::from_secs(20)).await;
        // A different address for an existing id is refused.
        let (code, _, err) = c.iamctl(&[
            "cluster",
            "add-node",
            "--id",
            "3",
            "--peer",
            "127.0.0.1:1",
            "--api",
            "127.0.0.1:2",
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("already a member"), "{err}");
    })
    .await;
}

/// `iamctl oidc-provider`: every verb, writes through followers, reads from another node,
/// refusals with the service's code (exit 1) and nothing changed by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_connect_providers_through_iamctl() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let thumb = "6938fd4d98bab03faadb97b34396831e3780aea1";
        let ok = |c: &mut Cluster, node: u64, args: &[&str]| -> Value {
            let args = [args, &["-o", "json", "--consistency", "linearizable"][..]].concat();
            let (code, out, err) = c.iamctl_on(node, &args);
            assert_eq!(code, 0, "{args:?}: {err}");
            if out.trim().is_empty() {
                Value::Null
            } else {
                json(&out)
            }
        };
        let created = ok(
            &mut c,
            2,
            &[
                "oidc-provider",
                "create",
                "--url",
                "https://idp.example.com/tenant",
                "--client-id",
                "app",
                "--thumbprint",
                thumb,
                "--tag",
                "team=id",
            ],
        );
        let arn = created["arn"].as_str().unwrap().to_owned();
        assert!(
            arn.starts_with("arn:aws:iam::")
                && arn.ends_with(":oidc-provider/idp.example.com/tenant"),
            "{created}"
        );
        let p = ["--arn", arn.as_str()];
        ok(
            &mut c,
            3,
            &[
                &["oidc-provider", "add-client-id"][..],
                &p[..],
                &["--client-id", "web"],
            ]
            .concat(),
        );
        ok(
            &mut c,
            2,
            &[
                &["oidc-provider", "remove-client-id"][..],
                &p[..],
                &["--client-id", "app"],
            ]
            .concat(),
        );
        let upper = "A".repeat(40);
        ok(
            &mut c,
            3,
            &[
                &["oidc-provider", "update-thumbprint"][..],
                &p[..],
                &["--thumbprint", upper.as_str()],
            ]
            .concat(),
        );
        ok(
            &mut c,
            2,
            &[
                &["oidc-provider", "tag"][..],
                &p[..],
                &["--tag", "env=prod"],
            ]
            .concat(),
        );
        ok(
            &mut c,
            3,
            &[
                &["oidc-provider", "untag"][..],
                &p[..],
                &["--tag-key", "TEAM"],
            ]
            .concat(),
        );
        let got = ok(&mut c, 1, &[&["oidc-provider", "get"][..], &p[..]].concat());
        assert_eq!(got["url"], "idp.example.com/tenant", "{got}");
        assert_eq!(got["client_ids"], serde_json::json!(["web"]), "{got}");
        assert_eq!(
            got["thumbprints"],
            serde_json::json!(["a".repeat(40)]),
            "{got}"
        );
        let tags = ok(
            &mut c,
            1,
            &[&["oidc-provider", "list-tags"][..], &p[..]].concat(),
        );
        assert_eq!(
            tags["items"],
            serde_json::json!([{"key": "env", "value": "prod"}]),
            "{tags}"
        );
        let list = ok(&mut c, 2, &["oidc-provider", "list"]);
        assert_eq!(list["items"], serde_json::json!([{"arn": arn}]), "{list}");

        // Refused by the service: exit 1 with AWS's code; nothing created.
        let (code, _, err) = c.iamctl_on(
            2,
            &[
                "oidc-provider",
                "create",
                "--url",
                "https://idp.example.com/tenant",
            ],
        );
        assert_eq!(code, 1);
        assert!(err.contains("EntityAlreadyExists"), "{err}");
        let (code, _, err) = c.iamctl_on(
            3,
            &[
                "oidc-provider",
                "create",
                "--url",
                "http://plain.example.com",
            ],
        );
        assert_eq!(code, 1);
        assert!(err.contains("must begin with https://"), "{err}");
        let (code, _, err) = c.iamctl_on(
            2,
            &[
                "oidc-provider",
                "create",
                "--url",
                "https://t.example.com",
                "--thumbprint",
                "abc",
            ],
        );
        assert_eq!(code, 1);
        assert!(err.contains("ValidationError"), "{err}");
        let list = ok(&mut c, 1, &["oidc-provider", "list"]);
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        // A table lists the ARNs.
        let (code, out, _) = c.iamctl_on(3, &["oidc-provider", "list"]);
        assert_eq!(code, 0);
        assert!(out.starts_with("ARN") && out.contains(&arn), "{out}");

        // Deleted through a follower; a second delete is not an error; then it is gone.
        ok(
            &mut c,
            2,
            &[&["oidc-provider", "delete"][..], &p[..]].concat(),
        );
        ok(
            &mut c,
            3,
            &[&["oidc-provider", "delete"][..], &p[..]].concat(),
        );
        let (code, _, err) = c.iamctl_on(
            1,
            &[
                &["oidc-provider", "get", "--consistency", "linearizable"][..],
                &p[..],
            ]
            .concat(),
        );
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");
    })
    .await;
}

/// `iamctl ssh-key`: every verb, writes through followers, reads from another node, both
/// encodings, a key read from a file; refusals with the service's code (exit 1), usage
/// errors exit 2, and nothing changed by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_public_keys_through_iamctl() {
    const KEY: &str =
        include_str!("../../crates/iam-state/tests/credentials/ssh_keys_data/k2048.pub");
    const SPKI: &str =
        include_str!("../../crates/iam-state/tests/credentials/ssh_keys_data/k2048.spki.pem");
    const MD5: &str =
        include_str!("../../crates/iam-state/tests/credentials/ssh_keys_data/k2048.md5");
    const ED25519: &str =
        include_str!("../../crates/iam-state/tests/credentials/ssh_keys_data/ked.pub");
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let ok = |c: &mut Cluster, node: u64, args: &[&str]| -> Value {
            let args = [args, &["-o", "json", "--consistency", "linearizable"][..]].concat();
            let (code, out, err) = c.iamctl_on(node, &args);
            assert_eq!(code, 0, "{args:?}: {err}");
            if out.trim().is_empty() {
                Value::Null
            } else {
                json(&out)
            }
        };
        ok(&mut c, 2, &["user", "create", "dev"]);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("id_rsa.pub");
        std::fs::write(&file, KEY).unwrap();
        let up = ok(
            &mut c,
            3,
            &[
                "ssh-key",
                "upload",
                "--user-name",
                "dev",
                "--body-file",
                file.to_str().unwrap(),
            ],
        );
        let id = up["ssh_public_key_id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("APKA") && id.len() == 20, "{up}");
        assert_eq!(up["fingerprint"], MD5.trim(), "{up}");
        let ssh_part: Vec<&str> = KEY.split_whitespace().take(2).collect();
        assert_eq!(up["body"], ssh_part.join(" "), "{up}");
        let k = ["--user-name", "dev", "--key-id", id.as_str()];
        let got = ok(&mut c, 1, &[&["ssh-key", "get"][..], &k[..]].concat());
        let mut written = up.clone();
        written.as_object_mut().unwrap().remove("log_index");
        assert_eq!(got, written);
        let pem = ok(
            &mut c,
            2,
            &[&["ssh-key", "get"][..], &k[..], &["--encoding", "pem"]].concat(),
        );
        assert_eq!(pem["body"].as_str().unwrap().trim(), SPKI.trim(), "{pem}");
        ok(
            &mut c,
            3,
            &[
                &["ssh-key", "update"][..],
                &k[..],
                &["--status", "inactive"],
            ]
            .concat(),
        );
        let list = ok(&mut c, 1, &["ssh-key", "list", "--user-name", "dev"]);
        assert_eq!(list["items"][0]["ssh_public_key_id"], id.as_str(), "{list}");
        assert_eq!(list["items"][0]["status"], "Inactive", "{list}");
        // A table names the keys.
        let (code, out, _) = c.iamctl_on(2, &["ssh-key", "list", "--user-name", "dev"]);
        assert_eq!(code, 0);
        assert!(out.contains(&id) && out.contains("Inactive"), "{out}");

        // Refused by the service: exit 1 with AWS's code; nothing uploaded.
        for (body, code_name) in [
            (KEY, "DuplicateSSHPublicKey"),
            (ED25519, "UnrecognizedPublicKeyEncoding"),
            ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB", "InvalidPublicKey"),
        ] {
            let (code, _, err) = c.iamctl_on(
                2,
                &["ssh-key", "upload", "--user-name", "dev", "--body", body],
            );
            assert_eq!(code, 1, "{err}");
            assert!(err.contains(code_name), "{err}");
        }
        let (code, _, err) = c.iamctl_on(3, &["user", "delete", "dev"]);
        assert_eq!(code, 1);
        assert!(err.contains("DeleteConflict"), "{err}");
        // A usage error: exit 2.
        let (code, _, _) = c.iamctl_on(3, &["ssh-key", "upload", "--user-name", "dev"]);
        assert_eq!(code, 2);
        let list = ok(&mut c, 3, &["ssh-key", "list", "--user-name", "dev"]);
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

        // Deleted through a follower; then it is gone and the user can go.
        ok(&mut c, 2, &[&["ssh-key", "delete"][..], &k[..]].concat());
        let (code, _, err) = c.iamctl_on(
            1,
            &[
                &["ssh-key", "get", "--consistency", "linearizable"][..],
                &k[..],
            ]
            .concat(),
        );
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");
        ok(&mut c, 3, &["user", "delete", "dev"]);
    })
    .await;
}

/// `iamctl signing-cert`: every verb, writes through followers, reads from another node, a
/// certificate read from a file (made with `iam_tls::gen`, valid from an hour ago);
/// refusals with the service's code (exit 1), usage errors exit 2, and nothing changed by
/// them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_certificates_through_iamctl() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let ok = |c: &mut Cluster, node: u64, args: &[&str]| -> Value {
            let args = [args, &["-o", "json", "--consistency", "linearizable"][..]].concat();
            let (code, out, err) = c.iamctl_on(node, &args);
            assert_eq!(code, 0, "{args:?}: {err}");
            if out.trim().is_empty() {
                Value::Null
            } else {
                json(&out)
            }
        };
        ok(&mut c, 2, &["user", "create", "dev"]);
        let cert = iam_tls::gen::new_ca("dev", 30).unwrap().cert;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cert.pem");
        std::fs::write(&file, &cert).unwrap();
        let up = ok(
            &mut c,
            3,
            &[
                "signing-cert",
                "upload",
                "--user-name",
                "dev",
                "--certificate-body-file",
                file.to_str().unwrap(),
            ],
        );
        let id = up["certificate_id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 24, "{up}");
        assert_eq!(up["certificate_body"], cert.trim(), "{up}");
        assert_eq!(up["status"], "Active", "{up}");
        let k = ["--user-name", "dev", "--certificate-id", id.as_str()];
        ok(
            &mut c,
            1,
            &[
                &["signing-cert", "update"][..],
                &k[..],
                &["--status", "inactive"],
            ]
            .concat(),
        );
        let list = ok(&mut c, 2, &["signing-cert", "list", "--user-name", "dev"]);
        let mut written = up.clone();
        written.as_object_mut().unwrap().remove("log_index");
        written["status"] = "Inactive".into();
        assert_eq!(list["items"], Value::Array(vec![written]), "{list}");
        // A table names the certificates.
        let (code, out, _) = c.iamctl_on(3, &["signing-cert", "list", "--user-name", "dev"]);
        assert_eq!(code, 0);
        assert!(out.contains(&id) && out.contains("Inactive"), "{out}");

        // Refused by the service: exit 1 with AWS's code; nothing uploaded.
        for (body, code_name) in [
            (cert.as_str(), "DuplicateCertificate"),
            ("not a certificate", "MalformedCertificate"),
        ] {
            let (code, _, err) = c.iamctl_on(
                2,
                &[
                    "signing-cert",
                    "upload",
                    "--user-name",
                    "dev",
                    "--certificate-body",
                    body,
                ],
            );
            assert_eq!(code, 1, "{err}");
            assert!(err.contains(code_name), "{err}");
        }
        let (code, _, err) = c.iamctl_on(3, &["user", "delete", "dev"]);
        assert_eq!(code, 1);
        assert!(err.contains("DeleteConflict"), "{err}");
        // Usage errors: exit 2.
        let (code, _, _) = c.iamctl_on(3, &["signing-cert", "upload", "--user-name", "dev"]);
        assert_eq!(code, 2);
        let (code, _, _) = c.iamctl_on(3, &["signing-cert", "update", "--user-name", "dev"]);
        assert_eq!(code, 2);
        let list = ok(&mut c, 3, &["signing-cert", "list", "--user-name", "dev"]);
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

        // Deleted through a follower; then it is gone and the user can go.
        ok(
            &mut c,
            2,
            &[&["signing-cert", "delete"][..], &k[..]].concat(),
        );
        let (code, _, err) = c.iamctl_on(1, &[&["signing-cert", "delete"][..], &k[..]].concat());
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");
        ok(&mut c, 3, &["user", "delete", "dev"]);
    })
    .await;
}
