//! SSH public keys: refused until the cluster runs release 5; then uploaded (OpenSSH, or PEM
//! as SubjectPublicKeyInfo or PKCS#1), stored as `ssh-rsa …` with the MD5 fingerprint
//! `ssh-keygen -l -E md5` shows, read back in both encodings, listed and paged,
//! (de)activated and deleted; at most five per user, never the same key twice for a user;
//! RSA only, at least 2048 bits; a user with keys cannot be deleted, and a rename keeps them.
//! The key files in `ssh_keys_data/` were made with `ssh-keygen` (public halves only).
//! Every rejection leaves the state hash unchanged (`World::rejects`).

use super::*;
use iam_state::ops::ssh_keys::{SshKeyOp, SshKeyQuery};
use serde_json::json;

const RSA_2048: &str = include_str!("ssh_keys_data/k2048.pub");
const RSA_2048_SPKI: &str = include_str!("ssh_keys_data/k2048.spki.pem");
const RSA_2048_PKCS1: &str = include_str!("ssh_keys_data/k2048.pkcs1.pem");
const RSA_2048_MD5: &str = include_str!("ssh_keys_data/k2048.md5");
const RSA_1024: &str = include_str!("ssh_keys_data/k1024.pub");
const ED25519: &str = include_str!("ssh_keys_data/ked.pub");
const DSA: &str = include_str!("ssh_keys_data/kdsa.pub");
const ECDSA: &str = include_str!("ssh_keys_data/kec.pub");

/// A well-formed `ssh-rsa` key of `bits` bits whose modulus is made from `seed` (not a
/// product of two primes: iamd, like AWS, checks the form and the size only).
fn synthetic(seed: u8, bits: usize) -> String {
    fn field(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    let mut n = vec![0u8; 1 + bits / 8];
    n[1] = 0x80 | seed;
    for (i, b) in n.iter_mut().enumerate().skip(2) {
        *b = (i as u8).wrapping_mul(seed | 1);
    }
    *n.last_mut().unwrap() |= 1;
    let mut blob = Vec::new();
    field(&mut blob, b"ssh-rsa");
    field(&mut blob, &[1, 0, 1]);
    field(&mut blob, &n);
    use base64::Engine as _;
    format!(
        "ssh-rsa {} seed-{seed}",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}

fn upload(user: &str, body: &str) -> SshKeyOp {
    SshKeyOp::Upload {
        user_name: user.into(),
        body: body.into(),
        ssh_public_key_id: String::new(),
    }
}

fn finalized(release: u32) -> World {
    let mut w = World::new();
    w.command(T0, Command::FinalizeRelease { release }).unwrap();
    w
}

fn ready() -> World {
    finalized(iam_state::release::SSH_PUBLIC_KEYS)
}

fn list(w: &World, user: &str) -> Value {
    w.q(SshKeyQuery::List {
        user_name: user.into(),
        page: PageRequest::default(),
    })
    .unwrap()
}

fn get(w: &World, user: &str, id: &str, encoding: &str) -> iam_model::IamResult<Value> {
    w.q(SshKeyQuery::Get {
        user_name: user.into(),
        ssh_public_key_id: id.into(),
        encoding: encoding.into(),
    })
}

fn ssh_part(body: &str) -> String {
    body.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn ssh_keys_are_refused_before_release_5_with_nothing_changed() {
    let mut w = finalized(4);
    let m = w.rejects(T0, upload("alice", RSA_2048), ErrorCode::ValidationError);
    assert!(
        m.contains("UploadSSHPublicKey needs the cluster to run release 5")
            && m.contains("finalize the upgrade first"),
        "{m}"
    );
    let id = "APKAAAAAAAAAAAAAAAAA";
    w.rejects(
        T0,
        SshKeyOp::Update {
            user_name: "alice".into(),
            ssh_public_key_id: id.into(),
            status: "Inactive".into(),
        },
        ErrorCode::ValidationError,
    );
    w.rejects(
        T0,
        SshKeyOp::Delete {
            user_name: "alice".into(),
            ssh_public_key_id: id.into(),
        },
        ErrorCode::ValidationError,
    );
    assert_eq!(list(&w, "alice")["items"], json!([]));
    w.command(
        T0,
        Command::FinalizeRelease {
            release: iam_state::release::SSH_PUBLIC_KEYS,
        },
    )
    .unwrap();
    w.ok(T0, upload("alice", RSA_2048));
    assert_eq!(list(&w, "alice")["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_key_is_uploaded_read_in_both_encodings_updated_and_deleted() {
    let mut w = ready();
    let key = w.ok(T0, upload("alice", RSA_2048));
    let id = key["ssh_public_key_id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 20
            && id.starts_with("APKA")
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(key["user_name"], "alice");
    assert_eq!(key["fingerprint"], RSA_2048_MD5.trim());
    // Stored normalized: the comment is dropped.
    assert_eq!(key["body"], ssh_part(RSA_2048));
    assert_eq!(key["status"], "Active");
    assert_eq!(key["upload_ms"], T0);
    assert_eq!(get(&w, "alice", &id, "SSH").unwrap(), key);
    let pem = get(&w, "alice", &id, "PEM").unwrap();
    assert_eq!(pem["body"].as_str().unwrap().trim(), RSA_2048_SPKI.trim());
    assert_eq!(pem["fingerprint"], key["fingerprint"]);
    // Names are case-insensitive, as everywhere.
    assert_eq!(
        get(&w, "ALICE", &id, "SSH").unwrap()["ssh_public_key_id"],
        id
    );
    let m = w.q_err(SshKeyQuery::Get {
        user_name: "alice".into(),
        ssh_public_key_id: id.clone(),
        encoding: "DER".into(),
    });
    assert_eq!(m.code, ErrorCode::ValidationError);
    assert!(m.message.contains("[SSH, PEM]"), "{}", m.message);

    let update = |status: &str| SshKeyOp::Update {
        user_name: "alice".into(),
        ssh_public_key_id: id.clone(),
        status: status.into(),
    };
    w.ok(T0 + HOUR, update("Inactive"));
    assert_eq!(get(&w, "alice", &id, "SSH").unwrap()["status"], "Inactive");
    w.rejects(T0, update("Disabled"), ErrorCode::ValidationError);
    // Another user's key, an unknown id or user: NoSuchEntity.
    let m = w.rejects(
        T0,
        SshKeyOp::Delete {
            user_name: "bob".into(),
            ssh_public_key_id: id.clone(),
        },
        ErrorCode::NoSuchEntity,
    );
    assert_eq!(m, format!("The Public Key with id {id} cannot be found."));
    w.rejects(T0, upload("carol", RSA_2048), ErrorCode::NoSuchEntity);
    assert_eq!(
        get(&w, "carol", &id, "SSH").unwrap_err().code,
        ErrorCode::NoSuchEntity
    );
    w.rejects(
        T0,
        SshKeyOp::Delete {
            user_name: "alice".into(),
            ssh_public_key_id: "short".into(),
        },
        ErrorCode::ValidationError,
    );
    w.ok(
        T0,
        SshKeyOp::Delete {
            user_name: "alice".into(),
            ssh_public_key_id: id.clone(),
        },
    );
    assert_eq!(
        get(&w, "alice", &id, "SSH").unwrap_err().code,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(list(&w, "alice")["items"], json!([]));
}

#[test]
fn pem_keys_are_stored_as_the_same_openssh_key() {
    let mut w = ready();
    let spki = w.ok(T0, upload("alice", RSA_2048_SPKI));
    let pkcs1 = w.ok(T0, upload("bob", RSA_2048_PKCS1));
    for k in [&spki, &pkcs1] {
        assert_eq!(k["body"], ssh_part(RSA_2048));
        assert_eq!(k["fingerprint"], RSA_2048_MD5.trim());
    }
    // The same key in another encoding is still the same key.
    let m = w.rejects(
        T0,
        upload("alice", RSA_2048),
        ErrorCode::DuplicateSSHPublicKey,
    );
    assert_eq!(
        m,
        "The request was rejected because the SSH public key is already associated with the specified IAM user."
    );
    w.rejects(
        T0,
        upload("bob", RSA_2048_SPKI),
        ErrorCode::DuplicateSSHPublicKey,
    );
}

#[test]
fn a_user_has_at_most_five_keys_listed_in_upload_order_and_paged() {
    let mut w = ready();
    let mut ids = Vec::new();
    for seed in 0..5u8 {
        let k = w.ok(
            T0 + u64::from(seed),
            upload("alice", &synthetic(seed, 2048)),
        );
        ids.push(k["ssh_public_key_id"].as_str().unwrap().to_owned());
    }
    let m = w.rejects(
        T0,
        upload("alice", &synthetic(9, 2048)),
        ErrorCode::LimitExceeded,
    );
    assert_eq!(m, "Cannot exceed quota for SSHPublicKeysPerUser: 5");
    // Another user's quota is their own.
    w.ok(T0, upload("bob", &synthetic(9, 4096)));
    let listed: Vec<Value> = list(&w, "alice")["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["ssh_public_key_id"].clone())
        .collect();
    assert_eq!(listed, ids.iter().map(|i| json!(i)).collect::<Vec<_>>());
    let first = w
        .q(SshKeyQuery::List {
            user_name: "alice".into(),
            page: page(2, None),
        })
        .unwrap();
    assert_eq!(first["is_truncated"], true);
    assert_eq!(first["items"][0]["ssh_public_key_id"], json!(ids[0]));
    let next = w
        .q(SshKeyQuery::List {
            user_name: "alice".into(),
            page: page(10, first.get("marker")),
        })
        .unwrap();
    assert_eq!(next["items"].as_array().unwrap().len(), 3);
    assert_eq!(next["items"][0]["ssh_public_key_id"], json!(ids[2]));
    // A listed key carries these fields and not its body (compared as a set: the order of
    // a JSON object's keys depends on serde_json's features, which the renderers never read).
    let mut fields: Vec<&String> = next["items"][0].as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["ssh_public_key_id", "status", "upload_ms", "user_name"]
    );
    // The account root has none.
    assert_eq!(list(&w, "")["items"], json!([]));
}

#[test]
fn only_rsa_keys_of_2048_bits_or_more_are_accepted() {
    let mut w = ready();
    for body in [
        ED25519,
        DSA,
        ECDSA,
        "hello",
        "ssh-ed25519",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n",
    ] {
        let m = w.rejects(
            T0,
            upload("alice", body),
            ErrorCode::UnrecognizedPublicKeyEncoding,
        );
        assert_eq!(
            m,
            "The request was rejected because the public key encoding format is unsupported or unrecognized.",
            "{body}"
        );
    }
    let truncated = &RSA_2048[..60];
    let short_rsa = synthetic(3, 2040);
    for body in [
        RSA_1024,
        truncated,
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB",
        "ssh-rsa !!!",
        &short_rsa,
    ] {
        let m = w.rejects(T0, upload("alice", body), ErrorCode::InvalidPublicKey);
        assert_eq!(
            m, "The request was rejected because the public key is malformed or otherwise invalid.",
            "{body}"
        );
    }
    // A body out of AWS's pattern or length is a ValidationError.
    w.rejects(T0, upload("alice", ""), ErrorCode::ValidationError);
    w.rejects(
        T0,
        upload("alice", "ssh-rsa \u{1}"),
        ErrorCode::ValidationError,
    );
    w.rejects(
        T0,
        upload("alice", &"A".repeat(16385)),
        ErrorCode::ValidationError,
    );
    assert_eq!(list(&w, "alice")["items"], json!([]));
}

proptest! {
    #[test]
    fn no_body_panics(body in ".{0,300}", tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        use base64::Engine as _;
        let mut w = ready();
        let _ = w.exec(T0, upload("alice", &body));
        let b64 = base64::engine::general_purpose::STANDARD.encode(&tail);
        let _ = w.exec(T0, upload("alice", &format!("ssh-rsa {b64}")));
        let _ = w.exec(T0, upload("alice", &format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")));
        let _ = w.exec(T0, upload("alice", &format!("-----BEGIN RSA PUBLIC KEY-----\n{b64}\n-----END RSA PUBLIC KEY-----\n")));
    }
}

#[test]
fn a_user_with_keys_cannot_be_deleted_and_a_rename_keeps_them() {
    let mut w = ready();
    let id = w.ok(T0, upload("alice", RSA_2048))["ssh_public_key_id"]
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
        "Cannot delete entity, must delete SSH public keys first."
    );
    w.ok(
        T0,
        UserOp::Update {
            name: "alice".into(),
            new_name: Some("alicia".into()),
            new_path: None,
        },
    );
    let gone = w.q_err(SshKeyQuery::List {
        user_name: "alice".into(),
        page: PageRequest::default(),
    });
    assert_eq!(gone.code, ErrorCode::NoSuchEntity);
    let key = get(&w, "alicia", &id, "SSH").unwrap();
    assert_eq!(key["user_name"], "alicia");
    w.ok(
        T0,
        SshKeyOp::Delete {
            user_name: "alicia".into(),
            ssh_public_key_id: id,
        },
    );
    w.ok(
        T0,
        UserOp::Delete {
            name: "alicia".into(),
        },
    );
}
