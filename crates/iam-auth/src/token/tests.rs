//! Session token tests: round trip, every-byte tampering, rotation, expiry, secrets.

use super::*;
use iam_model::ErrorCode;
use proptest::prelude::*;

fn ring(keys: &[u32], current: u32) -> KeyRing {
    KeyRing::new(
        keys.iter().map(|&id| (id, [id as u8; 32])).collect(),
        current,
    )
    .unwrap()
}

fn claims() -> SessionClaims {
    SessionClaims {
        access_key_id: "ASIAEXAMPLE234567ABCD".into(),
        account: "123456789012".into(),
        principal_arn: "arn:aws:iam::123456789012:role/app/deploy".into(),
        session_arn: "arn:aws:sts::123456789012:assumed-role/deploy/ci".into(),
        session_name: "ci".into(),
        issued_ms: 1_700_000_000_000,
        expires_ms: 1_700_003_600_000,
        mfa_authenticated_ms: Some(1_699_999_990_000),
        source_identity: Some("alice".into()),
        session_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
        session_policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        session_tags: vec![("team".into(), "infra".into())],
        transitive_tag_keys: vec!["team".into()],
        role_chained: true,
        source_key: Some("AKIAEXAMPLE".into()),
        principal_id: Some("AROAEXAMPLEROLEID0001".into()),
    }
}

#[test]
fn round_trip() {
    let r = ring(&[7], 7);
    let c = claims();
    let token = seal(&r, &c, [3; 12]);
    let opened = open(&r, &token).unwrap();
    assert_eq!(
        opened,
        OpenedToken {
            key_id: 7,
            claims: c.clone()
        }
    );
    // A minimal session (GetSessionToken without MFA) round-trips too.
    let min = SessionClaims {
        mfa_authenticated_ms: None,
        source_identity: None,
        session_policy: None,
        session_policy_arns: vec![],
        session_tags: vec![],
        transitive_tag_keys: vec![],
        role_chained: false,
        source_key: None,
        principal_id: None,
        ..c
    };
    assert_eq!(open(&r, &seal(&r, &min, [4; 12])).unwrap().claims, min);
}

#[test]
fn every_changed_byte_is_rejected() {
    let r = ring(&[1], 1);
    let token = seal(&r, &claims(), [9; 12]);
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for i in 0..raw.len() {
        for flip in [0x01u8, 0x80] {
            let mut t = raw.clone();
            t[i] ^= flip;
            let e = open(&r, &URL_SAFE_NO_PAD.encode(&t)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClientTokenId, "byte {i}");
        }
    }
    // Truncated, extended, empty, not base64.
    for bad in [
        &token[..token.len() - 1],
        &format!("{token}A"),
        "",
        "not a token!",
        &token[..20],
    ] {
        assert_eq!(
            open(&r, bad).unwrap_err().code,
            ErrorCode::InvalidClientTokenId
        );
    }
    assert!(open(&r, &"A".repeat(MAX_TOKEN_LEN + 4)).is_err());
}

#[test]
fn rotation_keeps_old_tokens_until_their_key_is_removed() {
    let old = ring(&[1], 1);
    let old_token = seal(&old, &claims(), [1; 12]);
    let rotated = ring(&[1, 2], 2);
    assert_eq!(open(&rotated, &old_token).unwrap().key_id, 1);
    let new_token = seal(&rotated, &claims(), [1; 12]);
    assert_eq!(open(&rotated, &new_token).unwrap().key_id, 2);
    // A node that has not heard of key 2 yet cannot open new tokens.
    assert!(open(&old, &new_token).is_err());
    let pruned = ring(&[2], 2);
    assert_eq!(
        open(&pruned, &old_token).unwrap_err().code,
        ErrorCode::InvalidClientTokenId
    );
    assert!(open(&pruned, &new_token).is_ok());
    // The same ids with other key bytes open nothing.
    let other = KeyRing::new(vec![(2, [0xEE; 32])], 2).unwrap();
    assert!(open(&other, &new_token).is_err());
}

#[test]
fn key_ring_rejects_bad_shapes_and_hides_keys() {
    assert!(KeyRing::new(vec![(1, [0; 32])], 2).is_err());
    assert!(KeyRing::new(vec![(1, [0; 32]), (1, [1; 32])], 1).is_err());
    let r = ring(&[1, 2], 2);
    assert_eq!((r.current(), r.key_ids()), (2, vec![1, 2]));
    assert!(!format!("{r:?}").contains("[1, 1, 1"));
}

#[test]
fn secrets_are_derived_not_stored() {
    let r = ring(&[1, 2], 2);
    let c = claims();
    let creds = issue(&r, &c, [5; 12]);
    assert_eq!(creds.access_key_id, c.access_key_id);
    assert_eq!(creds.expiration_ms, c.expires_ms);
    assert_eq!(creds.secret_access_key.len(), SECRET_LEN);
    assert!(creds
        .secret_access_key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
    assert!(!format!("{creds:?}").contains(&creds.secret_access_key));
    // Another node with the same ring recomputes it from the token alone.
    let s = authenticate_session(&r, &creds.session_token, &c.access_key_id, c.issued_ms).unwrap();
    assert_eq!(s.secret_access_key, creds.secret_access_key);
    assert_eq!(s.claims, c);
    // It depends on the key, the access key id and the issue time.
    let base = derive_secret(&r, 2, &c.access_key_id, c.issued_ms).unwrap();
    assert_eq!(base, creds.secret_access_key);
    assert_ne!(
        derive_secret(&r, 1, &c.access_key_id, c.issued_ms).unwrap(),
        base
    );
    assert_ne!(
        derive_secret(&r, 2, "ASIAOTHER", c.issued_ms).unwrap(),
        base
    );
    assert_ne!(
        derive_secret(&r, 2, &c.access_key_id, c.issued_ms + 1).unwrap(),
        base
    );
    assert!(derive_secret(&r, 3, &c.access_key_id, c.issued_ms).is_err());
}

#[test]
fn sessions_expire_and_belong_to_their_key() {
    let r = ring(&[1], 1);
    let c = claims();
    let t = seal(&r, &c, [0; 12]);
    assert!(authenticate_session(&r, &t, &c.access_key_id, c.expires_ms - 1).is_ok());
    let e = authenticate_session(&r, &t, &c.access_key_id, c.expires_ms).unwrap_err();
    assert_eq!(e.code, ErrorCode::ExpiredToken);
    let e = authenticate_session(&r, &t, "ASIAANOTHERKEY", c.issued_ms).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidClientTokenId);
}

proptest! {
    #[test]
    fn random_tokens_never_panic_and_never_open(s in "[A-Za-z0-9_-]{0,400}") {
        let r = ring(&[1], 1);
        prop_assert!(open(&r, &s).is_err());
    }

    #[test]
    fn random_bytes_behind_a_valid_header_never_open(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let r = ring(&[1], 1);
        let mut raw = vec![TOKEN_VERSION, 0, 0, 0, 1];
        raw.extend_from_slice(&body);
        prop_assert!(open(&r, &URL_SAFE_NO_PAD.encode(&raw)).is_err());
    }

    #[test]
    fn any_claims_round_trip(name in "\\PC{0,40}", tags in proptest::collection::vec(("\\PC{0,10}", "\\PC{0,10}"), 0..5), issued in any::<u64>()) {
        let r = ring(&[1], 1);
        let c = SessionClaims { session_name: name, session_tags: tags, issued_ms: issued, ..claims() };
        prop_assert_eq!(open(&r, &seal(&r, &c, [2; 12])).unwrap().claims, c);
    }
}
