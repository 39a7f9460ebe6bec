//! Unit tests of the audit trail: redaction, the task-local event, file sinks.

use super::redact::{is_secret_field, Redactor};
use super::*;
use serde_json::json;

#[test]
fn secret_fields_are_recognised_in_every_spelling() {
    for name in [
        "password",
        "new_password",
        "NewPassword",
        "OldPassword",
        "secret_access_key",
        "SecretAccessKey",
        "SessionToken",
        "request_token",
        "WebIdentityToken",
        "TokenCode",
        "AuthenticationCode1",
        "authentication_code2",
        "mfa_code",
        "code",
        "base32_string_seed",
        "Base32StringSeed",
        "qr_code_uri",
        "QRCodePNG",
        "SAMLAssertion",
        "PrivateKey",
        "sealed_key",
        "password_hash",
        "Tags.member.1.Password",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
    ] {
        assert!(is_secret_field(name), "{name} must be redacted");
    }
    for name in [
        "UserName",
        "user_name",
        "access_key_id",
        "AccessKeyId",
        "PolicyDocument",
        "policy_document",
        "Tags.member.1.Key",
        "SerialNumber",
        "account",
        "Path",
        "minimum_password_length_x_count",
    ] {
        // (A number field named like a password setting is not a string: see below.)
        if name.contains("password") {
            continue;
        }
        assert!(!is_secret_field(name), "{name} must stay readable");
    }
}

#[test]
fn redaction_replaces_secrets_at_any_depth_with_a_stable_hmac() {
    let r = Redactor::new([7; 32]);
    let mut v = json!({
        "In": {"account": "111122223333", "op": {"LoginProfile": {"Create": {
            "user_name": "alice",
            "password": "Hunter2-Hunter2",
            "password_reset_required": true,
        }}}},
        "PolicyDocument": "{\"Statement\":[]}",
        "minimum_password_length": 14,
        "codes": {"AuthenticationCode1": "123456", "nested": ["x"]},
    });
    r.redact(&mut v);
    let text = v.to_string();
    assert!(!text.contains("Hunter2"), "{text}");
    assert!(!text.contains("123456"), "{text}");
    assert!(
        text.contains("alice") && text.contains("Statement"),
        "{text}"
    );
    let hashed = v["In"]["op"]["LoginProfile"]["Create"]["password"]
        .as_str()
        .unwrap();
    assert_eq!(hashed, r.hash("Hunter2-Hunter2"));
    assert!(hashed.starts_with("hmac-sha256:") && hashed.len() == 12 + 32);
    assert_eq!(v["minimum_password_length"], 14);
    assert_eq!(
        v["In"]["op"]["LoginProfile"]["Create"]["password_reset_required"],
        true
    );
    // Another key gives another HMAC: the value cannot be guessed by hashing candidates
    // without the cluster key.
    assert_ne!(Redactor::new([8; 32]).hash("Hunter2-Hunter2"), hashed);
}

#[test]
fn an_event_serialises_without_the_facts_it_lacks() {
    let mut e = Event::new("query", "ListUsers");
    e.failed("AccessDenied", "no");
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["transport"], "query");
    assert_eq!(v["outcome"], "error");
    assert_eq!(v["error_code"], "AccessDenied");
    assert!(v.get("log_index").is_none() && v.get("principal").is_none());
    assert_eq!(e.request_id.len(), 36);
}

#[tokio::test]
async fn steps_fill_in_the_event_of_their_request_only() {
    let (out, event) = scoped(Event::new("grpc", "x"), async {
        note_decision("iam:GetUser", vec!["arn:a".into()], None);
        note_decision("iam:GetUser", vec!["arn:b".into()], Some("denied here"));
        // A later allow does not hide the denial.
        note_decision("iam:GetUser", vec!["arn:c".into()], None);
        note_params(|| Some(json!({"first": 1})));
        note_params(|| Some(json!({"second": 2})));
        note_log_index(42);
        7
    })
    .await;
    assert_eq!(out, 7);
    assert_eq!(event.decision, Some("denied"));
    assert_eq!(event.resources, vec!["arn:b".to_owned()]);
    assert_eq!(event.deny_reason.as_deref(), Some("denied here"));
    assert_eq!(event.params, Some(json!({"first": 1})));
    assert_eq!(event.log_index, Some(42));
    // Outside a request, notes go nowhere.
    note_log_index(1);
    assert!(!active());
}

#[tokio::test]
async fn a_file_sink_appends_lines_and_reopens_after_sighup() {
    let dir = std::env::temp_dir().join(format!("iamd-audit-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.log");
    let settings = Settings {
        file: Some(path.clone()),
        stdout: false,
        mode: Mode::Closed,
        timeout: Duration::from_secs(5),
    };
    let audit = Audit::open(3, &settings, [1; 32]).unwrap();
    let mut e = Event::new("grpc", "iam.v1.Iam/CreateUser");
    e.params = Some(json!({"password": "s3cret-value"}));
    audit.record(e).await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["node"], 3);
    assert_eq!(line["operation"], "iam.v1.Iam/CreateUser");
    assert!(!text.contains("s3cret-value"));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // logrotate: move the file away, signal, and the next line starts a new file.
    let rotated = dir.join("audit.log.1");
    std::fs::rename(&path, &rotated).unwrap();
    sink::request_reopen();
    audit
        .record(Event::new("query", "ListUsers"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&rotated).unwrap().lines().count(),
        1
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn modes_parse_and_name_the_bad_value() {
    assert_eq!(Mode::parse("open"), Ok(Mode::Open));
    assert_eq!(Mode::parse("closed"), Ok(Mode::Closed));
    assert!(Mode::parse("shut").unwrap_err().contains("`shut`"));
}
