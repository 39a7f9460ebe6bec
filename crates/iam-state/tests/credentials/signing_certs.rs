//! Signing certificates: refused until the cluster runs release 5; then uploaded (one PEM
//! X.509 certificate, valid at the request's time), stored as given (trimmed), listed and
//! paged, (de)activated and deleted; at most two per user, never the same certificate twice
//! for a user; anything else is a MalformedCertificate, an expired or not yet valid one an
//! InvalidCertificate; the account root has none and must name a user; a user with
//! certificates cannot be deleted, and a rename keeps them. The certificates are made at
//! test time with `rcgen` (self-signed ECDSA P-256). Every rejection leaves the state hash
//! unchanged (`World::rejects`).

use super::*;
use iam_state::ops::signing_certs::{SigningCertOp, SigningCertQuery};
use serde_json::json;

/// A self-signed certificate valid from January 1st of `from` to January 1st of `to`
/// (T0 is in 2017).
fn cert(cn: &str, from: i32, to: i32) -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(vec![format!("{cn}.example.com")]).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, cn.to_owned());
    p.not_before = rcgen::date_time_ymd(from, 1, 1);
    p.not_after = rcgen::date_time_ymd(to, 1, 1);
    p.self_signed(&key).unwrap().pem()
}

/// A certificate valid at T0.
fn valid(cn: &str) -> String {
    cert(cn, 2016, 2030)
}

fn upload(user: &str, body: &str) -> SigningCertOp {
    SigningCertOp::Upload {
        user_name: user.into(),
        certificate_body: body.into(),
        certificate_id: String::new(),
    }
}

fn update(user: &str, id: &str, status: &str) -> SigningCertOp {
    SigningCertOp::Update {
        user_name: user.into(),
        certificate_id: id.into(),
        status: status.into(),
    }
}

fn delete(user: &str, id: &str) -> SigningCertOp {
    SigningCertOp::Delete {
        user_name: user.into(),
        certificate_id: id.into(),
    }
}

fn finalized(release: u32) -> World {
    let mut w = World::new();
    w.command(T0, Command::FinalizeRelease { release }).unwrap();
    w
}

fn ready() -> World {
    finalized(iam_state::release::SIGNING_CERTIFICATES)
}

fn list(w: &World, user: &str) -> Value {
    w.q(SigningCertQuery::List {
        user_name: user.into(),
        page: PageRequest::default(),
    })
    .unwrap()
}

fn items(w: &World, user: &str) -> Vec<Value> {
    list(w, user)["items"].as_array().unwrap().clone()
}

const ID: &str = "AAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn signing_certificates_are_refused_before_release_5_with_nothing_changed() {
    let mut w = finalized(4);
    let body = valid("alice");
    let m = w.rejects(T0, upload("alice", &body), ErrorCode::ValidationError);
    assert!(
        m.contains("UploadSigningCertificate needs the cluster to run release 5")
            && m.contains("finalize the upgrade first"),
        "{m}"
    );
    let m = w.rejects(
        T0,
        update("alice", ID, "Inactive"),
        ErrorCode::ValidationError,
    );
    assert!(m.contains("UpdateSigningCertificate needs"), "{m}");
    let m = w.rejects(T0, delete("alice", ID), ErrorCode::ValidationError);
    assert!(m.contains("DeleteSigningCertificate needs"), "{m}");
    assert_eq!(list(&w, "alice")["items"], json!([]));
    w.command(
        T0,
        Command::FinalizeRelease {
            release: iam_state::release::SIGNING_CERTIFICATES,
        },
    )
    .unwrap();
    w.ok(T0, upload("alice", &body));
    assert_eq!(items(&w, "alice").len(), 1);
}

#[test]
fn a_certificate_is_uploaded_listed_updated_and_deleted() {
    let mut w = ready();
    let body = valid("alice");
    // Whitespace around the PEM is dropped; the PEM itself is kept as given.
    let c = w.ok(T0, upload("alice", &format!("\n  {body}\n\n")));
    let id = c["certificate_id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 24
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{id}"
    );
    // (The order of the fields depends on serde_json's preserve_order feature.)
    let mut fields: Vec<&String> = c.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "certificate_body",
            "certificate_id",
            "status",
            "upload_ms",
            "user_name"
        ]
    );
    assert_eq!(c["user_name"], "alice");
    assert_eq!(c["certificate_body"], body.trim());
    assert!(body.trim().starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(c["status"], "Active");
    assert_eq!(c["upload_ms"], T0);
    assert_eq!(items(&w, "alice"), std::slice::from_ref(&c));
    // Names are case-insensitive, as everywhere.
    assert_eq!(items(&w, "ALICE"), std::slice::from_ref(&c));

    w.ok(T0 + HOUR, update("ALICE", &id, "Inactive"));
    assert_eq!(items(&w, "alice")[0]["status"], "Inactive");
    w.ok(T0 + HOUR, update("alice", &id, "Active"));
    assert_eq!(items(&w, "alice")[0]["status"], "Active");
    let m = w.rejects(
        T0,
        update("alice", &id, "Disabled"),
        ErrorCode::ValidationError,
    );
    assert!(m.contains("[Active, Inactive]"), "{m}");
    // Another user's certificate, an unknown id or user: NoSuchEntity.
    let m = w.rejects(T0, delete("bob", &id), ErrorCode::NoSuchEntity);
    assert_eq!(m, format!("The Certificate with id {id} cannot be found."));
    let m = w.rejects(T0, update("alice", ID, "Inactive"), ErrorCode::NoSuchEntity);
    assert_eq!(m, format!("The Certificate with id {ID} cannot be found."));
    w.rejects(T0, upload("carol", &body), ErrorCode::NoSuchEntity);
    assert_eq!(
        w.q_err(SigningCertQuery::List {
            user_name: "carol".into(),
            page: PageRequest::default(),
        })
        .code,
        ErrorCode::NoSuchEntity
    );
    // Ids out of AWS's constraints.
    for bad in [
        "short",
        &"A".repeat(23),
        &format!("{}-", "A".repeat(24)),
        &"A".repeat(129),
    ] {
        let m = w.rejects(T0, delete("alice", bad), ErrorCode::ValidationError);
        assert!(m.contains("certificateId"), "{m}");
    }
    w.ok(T0, delete("alice", &id));
    w.rejects(T0, delete("alice", &id), ErrorCode::NoSuchEntity);
    assert_eq!(list(&w, "alice")["items"], json!([]));
}

#[test]
fn the_root_has_no_certificates_and_must_name_a_user() {
    let mut w = ready();
    assert_eq!(list(&w, "")["items"], json!([]));
    for op in [
        upload("", &valid("root")),
        update("", ID, "Inactive"),
        delete("", ID),
    ] {
        let m = w.rejects(T0, op, ErrorCode::ValidationError);
        assert!(
            m.contains("UserName is required") && m.contains("root"),
            "{m}"
        );
    }
}

#[test]
fn a_user_has_at_most_two_certificates_listed_in_upload_order_and_paged() {
    let mut w = ready();
    let a = w.ok(T0, upload("alice", &valid("a")));
    let b = w.ok(T0 + 1, upload("alice", &valid("b")));
    let m = w.rejects(
        T0 + 2,
        upload("alice", &valid("c")),
        ErrorCode::LimitExceeded,
    );
    assert_eq!(m, "Cannot exceed quota for CertificatesPerUser: 2");
    // Another user's quota is their own.
    w.ok(T0, upload("bob", &valid("c")));
    assert_eq!(items(&w, "alice"), [a.clone(), b.clone()]);
    let first = w
        .q(SigningCertQuery::List {
            user_name: "alice".into(),
            page: page(1, None),
        })
        .unwrap();
    assert_eq!(first["is_truncated"], true);
    assert_eq!(first["items"], json!([a]));
    let next = w
        .q(SigningCertQuery::List {
            user_name: "alice".into(),
            page: page(10, first.get("marker")),
        })
        .unwrap();
    assert_eq!(next["is_truncated"], false);
    assert_eq!(next["items"], json!([b]));
    // Once one is deleted there is room again.
    let id = a["certificate_id"].as_str().unwrap();
    w.ok(T0 + 3, delete("alice", id));
    w.ok(T0 + 4, upload("alice", &valid("c")));
}

#[test]
fn the_same_certificate_is_refused_for_a_user_however_it_is_wrapped() {
    let mut w = ready();
    let body = valid("alice");
    w.ok(T0, upload("alice", &body));
    let m = w.rejects(T0, upload("alice", &body), ErrorCode::DuplicateCertificate);
    assert_eq!(
        m,
        "The request was rejected because the same certificate is already associated with the specified IAM user."
    );
    // The same DER with CRLF line ends is the same certificate.
    w.rejects(
        T0,
        upload("alice", &body.replace('\n', "\r\n")),
        ErrorCode::DuplicateCertificate,
    );
    // Another user may hold it.
    w.ok(T0, upload("bob", &body));
}

#[test]
fn malformed_expired_and_not_yet_valid_certificates_are_refused() {
    let mut w = ready();
    let body = valid("alice");
    let pem = body.trim();
    let inner: Vec<&str> = pem.lines().collect();
    let b64 = inner[1..inner.len() - 1].join("");
    // Two certificates, or a certificate with anything but whitespace around it.
    let two = format!("{pem}\n{}", valid("other"));
    let garbage_after = format!("{pem}\ntrailing");
    let garbage_before = format!("hello\n{pem}");
    let garbage_in_header = pem.replacen(
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----x",
        1,
    );
    // The base64 of a public key, not a certificate.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let public_key = key.public_key_pem();
    let relabelled = public_key.replace("PUBLIC KEY", "CERTIFICATE");
    // A certificate's DER with bytes after it.
    let padded = {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::STANDARD;
        let mut der = e.decode(&b64).unwrap();
        der.extend_from_slice(&[0, 0]);
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            e.encode(der)
        )
    };
    let truncated = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        &b64[..b64.len() / 2 / 4 * 4]
    );
    for bad in [
        "hello",
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n",
        &public_key,
        &relabelled,
        &two,
        &garbage_after,
        &garbage_before,
        &garbage_in_header,
        &padded,
        &truncated,
        &b64,
    ] {
        let m = w.rejects(T0, upload("alice", bad), ErrorCode::MalformedCertificate);
        assert!(m.contains("malformed"), "{bad}: {m}");
    }
    // Valid from 2018, at T0 (2017) not yet; valid until 2016, expired.
    let m = w.rejects(
        T0,
        upload("alice", &cert("later", 2018, 2030)),
        ErrorCode::InvalidCertificate,
    );
    assert!(m.contains("not valid yet"), "{m}");
    let m = w.rejects(
        T0,
        upload("alice", &cert("old", 2010, 2016)),
        ErrorCode::InvalidCertificate,
    );
    assert!(m.contains("expired"), "{m}");
    // The request's time decides, not a clock: at a time in 2019 the first one is valid.
    let t2019 = 1_546_300_800_000 + 86_400_000;
    w.ok(t2019, upload("alice", &cert("later", 2018, 2030)));
    // A body out of AWS's pattern or length is a ValidationError.
    for bad in [String::new(), "\u{1}".to_owned(), "A".repeat(16385)] {
        let m = w.rejects(T0, upload("alice", &bad), ErrorCode::ValidationError);
        assert!(m.contains("certificateBody"), "{m}");
    }
    assert_eq!(items(&w, "alice").len(), 1);
}

proptest! {
    #[test]
    fn no_body_panics(body in ".{0,300}", tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        use base64::Engine as _;
        let mut w = ready();
        let _ = w.exec(T0, upload("alice", &body));
        let b64 = base64::engine::general_purpose::STANDARD.encode(&tail);
        let _ = w.exec(T0, upload("alice", &format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")));
        let _ = w.exec(T0, upload("alice", &format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----")));
        // A real certificate's DER with bytes flipped.
        let pem = valid("fuzz");
        let mut der = base64::engine::general_purpose::STANDARD
            .decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>())
            .unwrap();
        for (i, b) in tail.iter().enumerate() {
            let at = (usize::from(*b) * 7 + i * 13) % der.len();
            der[at] ^= *b;
        }
        let flipped = base64::engine::general_purpose::STANDARD.encode(&der);
        let _ = w.exec(T0, upload("alice", &format!("-----BEGIN CERTIFICATE-----\n{flipped}\n-----END CERTIFICATE-----")));
    }
}

#[test]
fn a_user_with_certificates_cannot_be_deleted_and_a_rename_keeps_them() {
    let mut w = ready();
    let id = w.ok(T0, upload("alice", &valid("alice")))["certificate_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = w.rejects(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(
        m,
        "Cannot delete entity, must delete signing certificates first."
    );
    w.ok(
        T0,
        UserOp::Update {
            name: "alice".into(),
            new_name: Some("alicia".into()),
            new_path: None,
        },
    );
    let gone = w.q_err(SigningCertQuery::List {
        user_name: "alice".into(),
        page: PageRequest::default(),
    });
    assert_eq!(gone.code, ErrorCode::NoSuchEntity);
    let listed = items(&w, "alicia");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["user_name"], "alicia");
    assert_eq!(listed[0]["certificate_id"], id.as_str());
    w.ok(T0, update("alicia", &id, "Inactive"));
    w.ok(T0, delete("alicia", &id));
    w.ok(
        T0,
        UserOp::Delete {
            name: "alicia".into(),
        },
    );
}

#[test]
fn the_credential_report_shows_a_users_certificates() {
    let mut w = ready();
    let id = w.ok(T0, upload("alice", &valid("a")))["certificate_id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok(T0 + HOUR, upload("alice", &valid("b")));
    w.ok(T0 + HOUR, update("alice", &id, "Inactive"));
    w.ok(T0 + 2 * HOUR, AccountOp::GenerateCredentialReport {});
    let report = get_report(&w, T0 + 2 * HOUR).unwrap();
    let rows = rows(&report);
    let cols = |name: &str| -> Vec<String> {
        let row = rows.iter().find(|r| r[0] == name).unwrap();
        row[18..22].to_vec()
    };
    assert_eq!(
        cols("alice"),
        [
            "false",
            "2017-06-10T02:35:07+00:00",
            "true",
            "2017-06-10T03:35:07+00:00"
        ]
    );
    // Without certificates, and the root (which has none in iamd).
    assert_eq!(cols("bob"), ["false", "N/A", "false", "N/A"]);
    assert_eq!(cols("<root_account>"), ["false", "N/A", "false", "N/A"]);
}
