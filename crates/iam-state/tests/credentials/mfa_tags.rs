//! TagMFADevice / UntagMFADevice: refused until the cluster runs release 3, then tags kept in
//! the order added, replaced case-insensitively, removed by key, at most 50.

use super::*;
use iam_model::Tag;

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

fn list(w: &World, serial: &str) -> Value {
    w.q(MfaQuery::ListTags {
        serial_number: serial.into(),
        page: PageRequest::default(),
    })
    .unwrap()["items"]
        .clone()
}

#[test]
fn device_tags_need_release_3_then_behave_like_other_tags() {
    let mut w = World::new();
    let (serial, _) = new_device(&mut w, "alice-phone");
    let tag_op = |tags: Vec<Tag>| MfaOp::Tag {
        serial_number: serial.clone(),
        tags,
    };
    // A cluster at an older release: an older member could not decode the op.
    let m = w.rejects(T0, tag_op(vec![tag("k", "v")]), ErrorCode::ValidationError);
    assert!(
        m.contains("TagMFADevice needs the cluster to run release 3") && m.contains("finalize"),
        "{m}"
    );
    w.command(
        T0,
        Command::FinalizeRelease {
            release: iam_state::release::MFA_DEVICE_TAGS,
        },
    )
    .unwrap();

    w.ok(T0, tag_op(vec![tag("Stan", "1"), tag("like-a", "2")]));
    w.ok(T0, tag_op(vec![tag("STAN", "3"), tag("env", "prod")]));
    assert_eq!(
        list(&w, &serial),
        serde_json::json!([
            {"key": "STAN", "value": "3"},
            {"key": "like-a", "value": "2"},
            {"key": "env", "value": "prod"}
        ])
    );
    w.ok(
        T0,
        MfaOp::Untag {
            serial_number: serial.clone(),
            tag_keys: vec!["stan".into(), "absent".into()],
        },
    );
    assert_eq!(
        list(&w, &serial),
        serde_json::json!([{"key": "like-a", "value": "2"}, {"key": "env", "value": "prod"}])
    );
    // 48 more fit, one more does not.
    let many: Vec<Tag> = (0..48).map(|i| tag(&format!("k{i}"), "v")).collect();
    w.ok(T0, tag_op(many));
    let m = w.rejects(
        T0,
        tag_op(vec![tag("one-more", "v")]),
        ErrorCode::LimitExceeded,
    );
    assert_eq!(m, "Cannot exceed quota for TagsPerResource: 50");
    w.rejects(T0, tag_op(vec![tag("aws:x", "v")]), ErrorCode::InvalidInput);
    let missing = format!("arn:aws:iam::{A}:mfa/nobody");
    let m = w.rejects(
        T0,
        MfaOp::Tag {
            serial_number: missing.clone(),
            tags: vec![tag("k", "v")],
        },
        ErrorCode::NoSuchEntity,
    );
    assert_eq!(
        m,
        format!("VirtualMFADevice with serial number {missing} doesn't exist.")
    );
    w.rejects(
        T0,
        MfaOp::Untag {
            serial_number: "short".into(),
            tag_keys: vec!["k".into()],
        },
        ErrorCode::ValidationError,
    );
}
