//! iamctl against a real 3-node cluster: the credential and identity-provider families
//! (OpenID Connect providers, SSH public keys, signing certificates, server certificates),
//! every verb through followers, refusals exit 1 and change nothing, usage errors exit 2.

use iamd_tests::{within, Cluster};
use serde_json::Value;
use std::time::Duration;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
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

/// `iamctl server-cert`: every verb, writes through followers, reads from another node; the
/// certificate, its chain (the CA that issued it) and its key read from files (made with
/// `iam_tls::gen`); the key never printed; refusals with the service's code (exit 1),
/// usage errors exit 2 (a key given inline among them), and nothing changed by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_certificates_through_iamctl() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let ok = |c: &mut Cluster, node: u64, args: &[&str]| -> Value {
            let args = [args, &["-o", "json", "--consistency", "linearizable"][..]].concat();
            let (code, out, err) = c.iamctl_on(node, &args);
            assert_eq!(code, 0, "{args:?}: {err}");
            assert!(!out.contains("PRIVATE KEY"), "{out}");
            if out.trim().is_empty() {
                Value::Null
            } else {
                json(&out)
            }
        };
        let ca = iam_tls::gen::new_ca("iamctl test CA", 30).unwrap();
        let names = ["www.example.com".to_owned()];
        let leaf = iam_tls::gen::issue(&ca.cert, &ca.key, &names, iam_tls::gen::Usage::Server, 30)
            .unwrap();
        let other = iam_tls::gen::issue(&ca.cert, &ca.key, &names, iam_tls::gen::Usage::Server, 30)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_owned()
        };
        let cert_file = file("cert.pem", &leaf.cert);
        let key_file = file("key.pem", &leaf.key);
        let chain_file = file("chain.pem", &ca.cert);
        let other_key_file = file("other-key.pem", &other.key);
        let key_lines: Vec<&str> = leaf
            .key
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 16)
            .collect();
        let upload = |name: &str, key: &str| -> Vec<String> {
            [
                "server-cert",
                "upload",
                "--server-certificate-name",
                name,
                "--path",
                "/cloudfront/",
                "--certificate-body-file",
                cert_file.as_str(),
                "--private-key-file",
                key,
                "--certificate-chain-file",
                chain_file.as_str(),
                "--tag",
                "env=prod",
            ]
            .map(str::to_owned)
            .to_vec()
        };
        let args = upload("web", &key_file);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let up = ok(&mut c, 3, &args);
        let meta = up["metadata"].clone();
        let id = meta["server_certificate_id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("ASCA") && id.len() == 21, "{up}");
        assert_eq!(meta["path"], "/cloudfront/", "{up}");
        assert_eq!(
            up["tags"],
            serde_json::json!([{"key": "env", "value": "prod"}]),
            "{up}"
        );

        // Read from other nodes: body, chain, tags; never the key.
        let got = ok(&mut c, 1, &["server-cert", "get", "--name", "WEB"]);
        assert_eq!(got["metadata"], meta, "{got}");
        assert_eq!(got["certificate_body"], leaf.cert.trim(), "{got}");
        assert_eq!(got["certificate_chain"], ca.cert.trim(), "{got}");
        let text = got.to_string();
        for l in &key_lines {
            assert!(!text.contains(l), "get printed the private key");
        }
        let (code, out, _) = c.iamctl_on(2, &["server-cert", "get", "--name", "web"]);
        assert_eq!(code, 0);
        assert!(out.contains(&id) && !out.contains("PRIVATE KEY"), "{out}");
        let list = ok(
            &mut c,
            2,
            &["server-cert", "list", "--path-prefix", "/cloudfront/"],
        );
        assert_eq!(list["items"], serde_json::json!([meta]), "{list}");
        let (code, out, _) = c.iamctl_on(3, &["server-cert", "list"]);
        assert_eq!(code, 0);
        assert!(out.contains("web") && out.contains(&id), "{out}");

        // Refused by the service: exit 1 with AWS's code; nothing uploaded.
        for (args, code_name) in [
            (upload("web", &key_file), "EntityAlreadyExists"),
            (upload("other", &other_key_file), "KeyPairMismatch"),
            (upload("other", &cert_file), "MalformedCertificate"),
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, _, err) = c.iamctl_on(2, &args);
            assert_eq!(code, 1, "{err}");
            assert!(err.contains(code_name), "{err}");
            for l in &key_lines {
                assert!(!err.contains(l), "an error printed the private key");
            }
        }
        // Usage errors: exit 2 (no key, a key inline, no name).
        for args in [
            &[
                "server-cert",
                "upload",
                "--name",
                "x",
                "--certificate-body-file",
                cert_file.as_str(),
            ][..],
            &[
                "server-cert",
                "upload",
                "--name",
                "x",
                "--certificate-body-file",
                cert_file.as_str(),
                "--private-key",
                leaf.key.as_str(),
            ][..],
            &["server-cert", "get"][..],
        ] {
            let (code, _, err) = c.iamctl_on(3, args);
            assert_eq!(code, 2, "{args:?}: {err}");
        }
        let list = ok(&mut c, 3, &["server-cert", "list"]);
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

        // Rename and move through a follower; tag, untag, list the tags.
        ok(
            &mut c,
            2,
            &[
                "server-cert",
                "update",
                "--name",
                "web",
                "--new-server-certificate-name",
                "www",
                "--new-path",
                "/elb/",
            ],
        );
        let got = ok(&mut c, 3, &["server-cert", "get", "--name", "www"]);
        assert_eq!(
            got["metadata"]["server_certificate_id"],
            id.as_str(),
            "{got}"
        );
        assert_eq!(got["metadata"]["path"], "/elb/", "{got}");
        let (code, _, err) = c.iamctl_on(1, &["server-cert", "get", "--name", "web"]);
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");
        ok(
            &mut c,
            1,
            &["server-cert", "tag", "--name", "www", "--tag", "team=edge"],
        );
        ok(
            &mut c,
            2,
            &["server-cert", "untag", "--name", "www", "--tag-key", "env"],
        );
        let tags = ok(&mut c, 3, &["server-cert", "list-tags", "--name", "www"]);
        assert_eq!(
            tags["items"],
            serde_json::json!([{"key": "team", "value": "edge"}]),
            "{tags}"
        );

        // Deleted through a follower; then it is gone.
        ok(&mut c, 2, &["server-cert", "delete", "--name", "www"]);
        let (code, _, err) = c.iamctl_on(1, &["server-cert", "delete", "--name", "www"]);
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");
        let list = ok(&mut c, 3, &["server-cert", "list"]);
        assert_eq!(list["items"], serde_json::json!([]), "{list}");
    })
    .await;
}
