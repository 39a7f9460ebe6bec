//! Server certificates: refused until the cluster runs release 5; then uploaded (one PEM
//! X.509 certificate, an optional chain of its issuers, a private key that is the
//! certificate's: PKCS#1, PKCS#8 or SEC1, RSA or EC), read back without the key, listed by
//! path prefix and paged, renamed and moved, tagged, deleted; at most 20 per account. The
//! private key is checked and sealed by the proposing node (`Command::prepare`): neither the
//! log entry nor the state holds it in the clear. Keys are test-only keys made with OpenSSL
//! (`server_certs_data/`), certificates are made at test time with `rcgen`. Every rejection
//! leaves the state hash unchanged (`World::rejects`).

use super::*;
use iam_model::Tag;
use iam_state::ops::server_certs::{PrivateKeyText, ServerCertOp, ServerCertQuery};
use iam_state::StateRead;
use serde_json::json;

#[path = "server_certs/validation.rs"]
mod validation;

const RSA_PKCS1: &str = include_str!("server_certs_data/rsa.pkcs1.pem");
const RSA_PKCS8: &str = include_str!("server_certs_data/rsa.pkcs8.pem");
const RSA_ENCRYPTED_PKCS8: &str = include_str!("server_certs_data/rsa.encrypted.pkcs8.pem");
const RSA_ENCRYPTED_PKCS1: &str = include_str!("server_certs_data/rsa.encrypted.pkcs1.pem");
const OTHER_RSA_PKCS8: &str = include_str!("server_certs_data/other.pkcs8.pem");
const EC256_SEC1: &str = include_str!("server_certs_data/ec256.sec1.pem");
const EC256_PKCS8: &str = include_str!("server_certs_data/ec256.pkcs8.pem");
const EC256_NO_PUBLIC: &str = include_str!("server_certs_data/ec256.nopublic.sec1.pem");
const EC384_SEC1: &str = include_str!("server_certs_data/ec384.sec1.pem");
const EC384_PKCS8: &str = include_str!("server_certs_data/ec384.pkcs8.pem");

/// The signing key of a PKCS#8 PEM (RSA or EC).
fn signing_key(pkcs8: &str) -> rcgen::KeyPair {
    if pkcs8.contains("MIIE") {
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(pkcs8, &rcgen::PKCS_RSA_SHA256).unwrap()
    } else {
        rcgen::KeyPair::from_pem(pkcs8).unwrap()
    }
}

fn params(cn: &str, from: i32, to: i32) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::new(vec![format!("{cn}.example.com")]).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, cn.to_owned());
    p.not_before = rcgen::date_time_ymd(from, 1, 1);
    p.not_after = rcgen::date_time_ymd(to, 1, 1);
    p
}

/// A self-signed certificate of the key `pkcs8`, valid from January 1st of `from` to
/// January 1st of `to` (T0 is in 2017).
fn cert_of(pkcs8: &str, from: i32, to: i32) -> String {
    params("www", from, to)
        .self_signed(&signing_key(pkcs8))
        .unwrap()
        .pem()
}

/// A certificate of the RSA test key valid at T0.
fn rsa_cert() -> String {
    cert_of(RSA_PKCS8, 2016, 2030)
}

/// 2030-01-01T00:00:00Z.
const Y2030_MS: u64 = 1_893_456_000_000;

fn upload(name: &str, body: &str, key: &str) -> ServerCertOp {
    ServerCertOp::Upload {
        server_certificate_name: name.into(),
        path: "/".into(),
        certificate_body: body.into(),
        certificate_chain: None,
        private_key: PrivateKeyText(key.into()),
        tags: vec![],
        server_certificate_id: String::new(),
        key_check: String::new(),
    }
}

fn with_path(mut op: ServerCertOp, p: &str) -> ServerCertOp {
    if let ServerCertOp::Upload { path, .. } = &mut op {
        *path = p.into();
    }
    op
}

fn with_chain(mut op: ServerCertOp, c: &str) -> ServerCertOp {
    if let ServerCertOp::Upload {
        certificate_chain, ..
    } = &mut op
    {
        *certificate_chain = Some(c.into());
    }
    op
}

fn with_tags(mut op: ServerCertOp, t: Vec<Tag>) -> ServerCertOp {
    if let ServerCertOp::Upload { tags, .. } = &mut op {
        *tags = t;
    }
    op
}

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

fn get(w: &World, name: &str) -> iam_model::IamResult<Value> {
    w.q(ServerCertQuery::Get {
        server_certificate_name: name.into(),
    })
}

fn list(w: &World, prefix: &str, page: PageRequest) -> Value {
    w.q(ServerCertQuery::List {
        path_prefix: prefix.into(),
        page,
    })
    .unwrap()
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["server_certificate_name"].as_str().unwrap().to_owned())
        .collect()
}

fn finalized(release: u32) -> World {
    let mut w = World::new();
    w.command(T0, Command::FinalizeRelease { release }).unwrap();
    w
}

fn ready() -> World {
    finalized(iam_state::release::SERVER_CERTIFICATES)
}

fn summary(w: &World) -> Value {
    w.q(AccountQuery::GetSummary {}).unwrap()
}

/// Every line of a PEM's base64 body.
fn base64_lines(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':') && l.len() > 16)
        .collect()
}

/// Every value the state holds, as text.
fn all_values(w: &World) -> String {
    w.s.scan(b"", None, usize::MAX)
        .into_iter()
        .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn server_certificates_are_refused_before_release_5_with_nothing_changed() {
    let mut w = finalized(4);
    let body = rsa_cert();
    let m = w.rejects(
        T0,
        upload("web", &body, RSA_PKCS1),
        ErrorCode::ValidationError,
    );
    assert!(
        m.contains("UploadServerCertificate needs the cluster to run release 5")
            && m.contains("finalize the upgrade first"),
        "{m}"
    );
    for op in [
        ServerCertOp::Update {
            server_certificate_name: "web".into(),
            new_path: None,
            new_server_certificate_name: Some("web2".into()),
        },
        ServerCertOp::Delete {
            server_certificate_name: "web".into(),
        },
        ServerCertOp::Tag {
            server_certificate_name: "web".into(),
            tags: vec![tag("a", "b")],
        },
        ServerCertOp::Untag {
            server_certificate_name: "web".into(),
            tag_keys: vec!["a".into()],
        },
    ] {
        let name = op.name();
        let m = w.rejects(T0, op, ErrorCode::ValidationError);
        assert!(m.contains(&format!("{name} needs")), "{m}");
    }
    w.command(
        T0,
        Command::FinalizeRelease {
            release: iam_state::release::SERVER_CERTIFICATES,
        },
    )
    .unwrap();
    w.ok(T0, upload("web", &body, RSA_PKCS1));
    assert_eq!(names(&list(&w, "/", PageRequest::default())), ["web"]);
}

#[test]
fn a_certificate_is_uploaded_read_listed_moved_tagged_and_deleted() {
    let mut w = ready();
    let body = rsa_cert();
    let up = w.ok(
        T0,
        with_tags(
            with_path(
                upload("Web", &format!("\n{body}\n\n"), RSA_PKCS1),
                "/cloudfront/",
            ),
            vec![tag("env", "prod"), tag("team", "edge")],
        ),
    );
    let id = up["metadata"]["server_certificate_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("ASCA") && id.len() == 21, "{id}");
    assert_eq!(
        up["metadata"],
        json!({
            "path": "/cloudfront/",
            "server_certificate_name": "Web",
            "server_certificate_id": id,
            "arn": "arn:aws:iam::123456789012:server-certificate/cloudfront/Web",
            "upload_ms": T0,
            "expiration_ms": Y2030_MS,
        })
    );
    assert_eq!(
        up["tags"],
        json!([{"key": "env", "value": "prod"}, {"key": "team", "value": "edge"}])
    );
    // Get: the metadata, the body (trimmed), no chain, the tags; never the key.
    let g = get(&w, "web").unwrap();
    assert_eq!(g["metadata"], up["metadata"]);
    assert_eq!(g["certificate_body"], json!(body.trim()));
    assert_eq!(g["certificate_chain"], Value::Null);
    assert_eq!(g["tags"], up["tags"]);
    let text = g.to_string();
    assert!(
        !text.contains("PRIVATE KEY") && !text.contains("private"),
        "{text}"
    );
    for line in base64_lines(RSA_PKCS1) {
        assert!(!text.contains(line));
    }
    assert_eq!(summary(&w)["ServerCertificates"], 1);
    assert_eq!(summary(&w)["ServerCertificatesQuota"], 20);
    // Another account sees none.
    assert_eq!(
        w.q_in(
            B,
            ServerCertQuery::Get {
                server_certificate_name: "Web".into()
            }
        )
        .unwrap_err()
        .code,
        ErrorCode::NoSuchEntity
    );

    w.ok(T0, upload("api", &body, RSA_PKCS8));
    assert_eq!(
        names(&list(&w, "/", PageRequest::default())),
        ["api", "Web"]
    );
    assert_eq!(
        names(&list(&w, "/cloudfront", PageRequest::default())),
        ["Web"]
    );
    assert_eq!(
        names(&list(&w, "/other/", PageRequest::default())),
        Vec::<String>::new()
    );
    let listed = list(&w, "/cloudfront/", PageRequest::default());
    assert_eq!(listed["items"][0], up["metadata"]);

    // Rename and move: the ARN follows, the id and the rest stay.
    w.ok(
        T0 + HOUR,
        ServerCertOp::Update {
            server_certificate_name: "WEB".into(),
            new_path: Some("/elb/".into()),
            new_server_certificate_name: Some("www".into()),
        },
    );
    assert_eq!(get(&w, "Web").unwrap_err().code, ErrorCode::NoSuchEntity);
    let g = get(&w, "www").unwrap();
    assert_eq!(g["metadata"]["server_certificate_id"], json!(id));
    assert_eq!(g["metadata"]["path"], "/elb/");
    assert_eq!(
        g["metadata"]["arn"],
        "arn:aws:iam::123456789012:server-certificate/elb/www"
    );
    assert_eq!(g["metadata"]["upload_ms"], T0);
    assert_eq!(g["tags"], up["tags"]);
    // A path alone.
    w.ok(
        T0 + HOUR,
        ServerCertOp::Update {
            server_certificate_name: "www".into(),
            new_path: Some("/".into()),
            new_server_certificate_name: None,
        },
    );
    assert_eq!(
        get(&w, "www").unwrap()["metadata"]["arn"],
        "arn:aws:iam::123456789012:server-certificate/www"
    );

    // Tags: replaced by key, kept in order, untagging an absent key is no error.
    w.ok(
        T0,
        ServerCertOp::Tag {
            server_certificate_name: "www".into(),
            tags: vec![tag("ENV", "test"), tag("owner", "ops")],
        },
    );
    w.ok(
        T0,
        ServerCertOp::Untag {
            server_certificate_name: "www".into(),
            tag_keys: vec!["team".into(), "absent".into()],
        },
    );
    w.ok(
        T0,
        ServerCertOp::Untag {
            server_certificate_name: "www".into(),
            tag_keys: vec!["team".into()],
        },
    );
    let t = w
        .q(ServerCertQuery::ListTags {
            server_certificate_name: "www".into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(
        t["items"],
        json!([{"key": "ENV", "value": "test"}, {"key": "owner", "value": "ops"}])
    );

    // Delete.
    w.ok(
        T0,
        ServerCertOp::Delete {
            server_certificate_name: "WWW".into(),
        },
    );
    assert_eq!(get(&w, "www").unwrap_err().code, ErrorCode::NoSuchEntity);
    assert_eq!(summary(&w)["ServerCertificates"], 1);
    let m = w.rejects(
        T0,
        ServerCertOp::Delete {
            server_certificate_name: "www".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    assert_eq!(m, "The Server Certificate with name www cannot be found.");
    for op in [
        ServerCertOp::Update {
            server_certificate_name: "www".into(),
            new_path: None,
            new_server_certificate_name: Some("x".into()),
        },
        ServerCertOp::Tag {
            server_certificate_name: "www".into(),
            tags: vec![tag("a", "b")],
        },
        ServerCertOp::Untag {
            server_certificate_name: "www".into(),
            tag_keys: vec!["a".into()],
        },
    ] {
        w.rejects(T0, op, ErrorCode::NoSuchEntity);
    }
    let e = w
        .q(ServerCertQuery::ListTags {
            server_certificate_name: "www".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
}

#[test]
fn an_account_holds_at_most_20_server_certificates_and_lists_them_in_pages() {
    let mut w = ready();
    let rsa = rsa_cert();
    for i in 0..20 {
        w.ok(T0, upload(&format!("c{i:02}"), &rsa, RSA_PKCS1));
    }
    let m = w.rejects(T0, upload("c20", &rsa, RSA_PKCS1), ErrorCode::LimitExceeded);
    assert_eq!(
        m,
        "Cannot exceed quota for ServerCertificatesPerAccount: 20"
    );
    assert_eq!(summary(&w)["ServerCertificates"], 20);
    // Another account has its own quota.
    w.exec_in(B, T0, upload("c20", &rsa, RSA_PKCS1)).unwrap();
    // Pages of 8.
    let mut seen = Vec::new();
    let mut marker: Option<Value> = None;
    loop {
        let p = list(&w, "/", page(8, marker.as_ref()));
        seen.extend(names(&p));
        if p["is_truncated"] != json!(true) {
            break;
        }
        marker = Some(p["marker"].clone());
    }
    let expected: Vec<String> = (0..20).map(|i| format!("c{i:02}")).collect();
    assert_eq!(seen, expected);
    w.ok(
        T0,
        ServerCertOp::Delete {
            server_certificate_name: "c00".into(),
        },
    );
    w.ok(T0, upload("c20", &rsa, RSA_PKCS1));
}

#[test]
fn the_private_key_is_never_in_the_log_entry_or_the_state_in_the_clear() {
    let mut w = ready();
    w.env.sealing = true;
    let rsa = rsa_cert();
    let ec = cert_of(EC256_PKCS8, 2016, 2030);
    for (name, body, key) in [("rsa", &rsa, RSA_PKCS1), ("ec", &ec, EC256_SEC1)] {
        // The command as it enters the log: the key sealed, in its JSON and its Debug.
        let mut command = Command::in_account(A, upload(name, body, key));
        assert!(!format!("{command:?}").contains("PRIVATE KEY"));
        command.prepare(&mut w.env);
        let logged = format!("{} {command:?}", serde_json::to_string(&command).unwrap());
        for line in base64_lines(key) {
            assert!(
                !logged.contains(line),
                "the log entry holds the key in the clear"
            );
        }
        w.ok(T0, upload(name, body, key));
    }
    let state = all_values(&w);
    for key in [RSA_PKCS1, EC256_SEC1] {
        for line in base64_lines(key) {
            assert!(
                !state.contains(line),
                "the state holds the key in the clear"
            );
        }
    }
    // The stored record holds the key sealed, as the proposer sealed it.
    let stored = iam_state::ops::server_certs::stored(&w.s, A, "rsa").unwrap();
    assert_eq!(unseal(&stored.sealed_private_key), RSA_PKCS1);
    // A refused key is dropped from the command, not sealed into the log.
    let mut command = Command::in_account(A, upload("bad", &rsa, OTHER_RSA_PKCS8));
    command.prepare(&mut w.env);
    let logged = serde_json::to_string(&command).unwrap();
    assert!(logged.contains("\"private_key\":\"\""), "{logged}");
    assert!(logged.contains("KeyPairMismatch"), "{logged}");
    // No query answers the key.
    for q in [
        ServerCertQuery::Get {
            server_certificate_name: "rsa".into(),
        },
        ServerCertQuery::List {
            path_prefix: "/".into(),
            page: PageRequest::default(),
        },
    ] {
        let text = w.q(q).unwrap().to_string();
        assert!(
            !text.contains("sealed") && !text.contains("private"),
            "{text}"
        );
    }
}
