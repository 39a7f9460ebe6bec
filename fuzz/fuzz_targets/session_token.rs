//! Fuzzes STS session tokens with a fixed key ring:
//! - any text, and any bytes in the token layout (base64url of version ‖ key id ‖ nonce ‖
//!   ciphertext ‖ tag, so the version and key-id checks are passed and the AEAD is reached),
//!   must neither panic nor open, in `open` and in `authenticate_session`;
//! - claims sealed with the ring (`issue`) open to the same claims and key id and
//!   authenticate with the issued secret until they expire; the same token with one
//!   character changed, or under a ring without its key, does not open.
#![no_main]

use iam_auth::token::{authenticate_session, issue, open, KeyRing, SessionClaims, MAX_TOKEN_LEN};
use libfuzzer_sys::arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn ring() -> KeyRing {
    KeyRing::new(vec![(1, [0x11; 32]), (7, [0x77; 32])], 7).expect("a valid ring")
}

/// base64url without padding (written here so the target does not trust the crate's own
/// encoder for its inputs).
fn b64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(URL_SAFE[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn never_opens(ring: &KeyRing, token: &str, now: u64) {
    assert!(
        open(ring, token).is_err(),
        "a token nobody sealed opens: {token:?}"
    );
    assert!(authenticate_session(ring, token, "ASIAEXAMPLE", now).is_err());
}

fn claims(u: &mut Unstructured<'_>) -> Result<SessionClaims> {
    Ok(SessionClaims {
        access_key_id: u.arbitrary()?,
        account: u.arbitrary()?,
        principal_arn: u.arbitrary()?,
        session_arn: u.arbitrary()?,
        session_name: u.arbitrary()?,
        issued_ms: u.arbitrary()?,
        expires_ms: u.arbitrary()?,
        mfa_authenticated_ms: u.arbitrary()?,
        source_identity: u.arbitrary()?,
        session_policy: u.arbitrary()?,
        session_policy_arns: u.arbitrary()?,
        session_tags: u.arbitrary()?,
        transitive_tag_keys: u.arbitrary()?,
        role_chained: u.arbitrary()?,
        source_key: u.arbitrary()?,
    })
}

fn run(data: &[u8]) -> Result<()> {
    let ring = ring();
    let Some((&mode, rest)) = data.split_first() else {
        return Ok(());
    };
    let mut u = Unstructured::new(rest);
    match mode % 3 {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                never_opens(&ring, text, 0);
            }
        }
        1 => {
            // Version 1, a key id of the ring (or not), then whatever follows.
            let mut bytes = vec![1];
            let key_id: u32 = match mode / 3 % 3 {
                0 => 7,
                1 => 1,
                _ => u.arbitrary()?,
            };
            bytes.extend_from_slice(&key_id.to_be_bytes());
            bytes.extend_from_slice(u.take_rest());
            never_opens(&ring, &b64url(&bytes), 0);
        }
        _ => {
            let claims = claims(&mut u)?;
            let nonce = <[u8; 12]>::arbitrary(&mut u)?;
            let issued = issue(&ring, &claims, nonce);
            let token = &issued.session_token;
            let now = claims.expires_ms.saturating_sub(1);
            if token.len() > MAX_TOKEN_LEN {
                assert!(open(&ring, token).is_err(), "a token past the limit opens");
                return Ok(());
            }
            let opened = open(&ring, token)
                .unwrap_or_else(|e| panic!("a sealed token does not open: {e:?}"));
            assert_eq!((opened.key_id, &opened.claims), (7, &claims));
            if claims.expires_ms > 0 {
                let s = authenticate_session(&ring, token, &claims.access_key_id, now)
                    .unwrap_or_else(|e| panic!("a fresh session does not authenticate: {e:?}"));
                assert_eq!(s.secret_access_key, issued.secret_access_key);
                assert_eq!(s.claims, claims);
            }
            assert!(
                authenticate_session(&ring, token, &claims.access_key_id, claims.expires_ms)
                    .is_err()
            );
            let other = format!("{}X", claims.access_key_id);
            assert!(authenticate_session(&ring, token, &other, 0).is_err());
            // Without its key the token does not open.
            let without = KeyRing::new(vec![(1, [0x11; 32])], 1).expect("a valid ring");
            assert!(open(&without, token).is_err());
            // One character changed (to another base64url character) does not open.
            let at = u.arbitrary::<usize>()? % token.len();
            let pick = u.arbitrary::<u8>()? as usize;
            let old = token.as_bytes()[at];
            let new = (0..64)
                .map(|i| URL_SAFE[(pick + i) % 64])
                .find(|&b| b != old)
                .unwrap_or(b'A');
            let mut changed = token.clone().into_bytes();
            changed[at] = new;
            let changed = String::from_utf8(changed).unwrap_or_default();
            assert!(
                open(&ring, &changed).is_err(),
                "a changed token opens: {token} -> {changed}"
            );
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
