//! Web identity tokens: signatures by keys of a key set (ECDSA P-256 and Ed25519 keys made
//! here with rcgen, tokens signed by jsonwebtoken), the algorithm and key checks that keep a
//! token from choosing how it is checked, and the clock.

use base64::Engine as _;
use iam_auth::jwt::{peek, verify, JwtError, KeySet, SKEW_S};
use iam_model::ErrorCode;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use serde_json::{json, Value};

const NOW_S: u64 = 1_800_000_000;
const NOW_MS: u64 = NOW_S * 1000;
const ISSUER: &str = "https://issuer.example.com/tenant";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

struct Signer {
    key: EncodingKey,
    alg: Algorithm,
    jwk: Value,
}

fn ec_signer(kid: &str) -> Signer {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let point = pair.public_key_raw();
    assert_eq!(point.len(), 65);
    Signer {
        key: EncodingKey::from_ec_der(&pair.serialize_der()),
        alg: Algorithm::ES256,
        jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
                    "x": b64(&point[1..33]), "y": b64(&point[33..])}),
    }
}

fn ed_signer(kid: &str) -> Signer {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    Signer {
        key: EncodingKey::from_ed_der(&pair.serialize_der()),
        alg: Algorithm::EdDSA,
        jwk: json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(pair.public_key_raw())}),
    }
}

fn set(jwks: &[&Value]) -> KeySet {
    KeySet::parse(json!({ "keys": jwks }).to_string().as_bytes()).unwrap()
}

fn claims() -> Value {
    json!({"iss": ISSUER, "sub": "system:serviceaccount:default:app", "aud": "sts.amazonaws.com",
           "exp": NOW_S + 600, "iat": NOW_S - 10, "nbf": NOW_S - 10})
}

fn sign(s: &Signer, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(s.alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &s.key).unwrap()
}

/// A token with any header, unsigned (the signature part is `sig`).
fn forged(header: Value, claims: &Value, sig: &str) -> String {
    format!(
        "{}.{}.{sig}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

#[test]
fn a_token_signed_by_a_key_of_the_set_verifies_and_gives_its_claims() {
    let (ec, ed) = (ec_signer("ec1"), ed_signer("ed1"));
    let keys = set(&[&ec.jwk, &ed.jwk]);
    for (s, kid) in [(&ec, "ec1"), (&ed, "ed1")] {
        let token = sign(s, Some(kid), &claims());
        let peeked = peek(&token).unwrap();
        assert_eq!(peeked.issuer, ISSUER);
        assert_eq!(peeked.key_id.as_deref(), Some(kid));
        let c = verify(&token, &keys, NOW_MS).unwrap();
        assert_eq!(c.issuer, ISSUER);
        assert_eq!(c.subject, "system:serviceaccount:default:app");
        assert_eq!(c.audiences, ["sts.amazonaws.com"]);
        assert_eq!(c.expires_s, NOW_S + 600);
    }
    // A list of audiences, an authorized party and methods.
    let mut many = claims();
    many["aud"] = json!(["a", "b"]);
    many["azp"] = json!("b");
    many["amr"] = json!("mfa");
    let c = verify(&sign(&ec, Some("ec1"), &many), &keys, NOW_MS).unwrap();
    assert_eq!(c.audiences, ["a", "b"]);
    assert_eq!(c.authorized_party.as_deref(), Some("b"));
    assert_eq!(c.methods, ["mfa"]);
}

#[test]
fn another_key_or_a_changed_token_does_not_verify() {
    let (ec, other) = (ec_signer("k"), ec_signer("k"));
    let keys = set(&[&ec.jwk]);
    // Signed by a key that is not in the set, under the set's key id.
    let token = sign(&other, Some("k"), &claims());
    assert_eq!(verify(&token, &keys, NOW_MS), Err(JwtError::BadSignature));
    // The claims changed after signing (another subject).
    let good = sign(&ec, Some("k"), &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let mut c = claims();
    c["sub"] = json!("system:serviceaccount:kube-system:admin");
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        b64(c.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(verify(&swapped, &keys, NOW_MS), Err(JwtError::BadSignature));
    // No signature at all.
    let stripped = format!("{}.{}.", parts[0], parts[1]);
    assert!(verify(&stripped, &keys, NOW_MS).is_err());
}

#[test]
fn a_token_cannot_choose_none_or_an_hmac_over_the_public_key() {
    let ec = ec_signer("k");
    let keys = set(&[&ec.jwk]);
    let none = forged(json!({"alg": "none", "kid": "k"}), &claims(), "");
    assert!(matches!(
        verify(&none, &keys, NOW_MS),
        Err(JwtError::Malformed(_))
    ));
    // HS256 keyed with the public key's bytes (the classic key-confusion forgery).
    let secret = ec.jwk["x"].as_str().unwrap().as_bytes().to_vec();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k".into());
    let hs = encode(&header, &claims(), &EncodingKey::from_secret(&secret)).unwrap();
    let err = verify(&hs, &keys, NOW_MS).unwrap_err();
    assert!(matches!(err, JwtError::Malformed(_)), "{err:?}");
    assert_eq!(err.to_iam().code, ErrorCode::InvalidIdentityToken);
    // A key for encryption, or for another algorithm, does not check signatures.
    let mut enc = ec.jwk.clone();
    enc["use"] = json!("enc");
    let token = sign(&ec, Some("k"), &claims());
    assert_eq!(
        verify(&token, &set(&[&enc]), NOW_MS),
        Err(JwtError::BadSignature)
    );
    let mut rs = ec.jwk.clone();
    rs["alg"] = json!("ES384");
    assert_eq!(
        verify(&token, &set(&[&rs]), NOW_MS),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn the_key_is_the_one_the_token_names() {
    let (a, b) = (ec_signer("a"), ec_signer("b"));
    let both = set(&[&a.jwk, &b.jwk]);
    assert!(verify(&sign(&b, Some("b"), &claims()), &both, NOW_MS).is_ok());
    assert_eq!(
        verify(&sign(&b, Some("c"), &claims()), &both, NOW_MS),
        Err(JwtError::UnknownKey(Some("c".into())))
    );
    // Without a kid: only the key of a one-key set.
    assert!(verify(&sign(&a, None, &claims()), &set(&[&a.jwk]), NOW_MS).is_ok());
    assert_eq!(
        verify(&sign(&a, None, &claims()), &both, NOW_MS),
        Err(JwtError::UnknownKey(None))
    );
    assert!(both.has_key(Some("a")) && !both.has_key(Some("c")) && !both.has_key(None));
    // Keys of types this cannot use are skipped, not fatal to the set.
    let mixed = KeySet::parse(
        json!({"keys": [{"kty": "weird", "kid": "w"}, a.jwk]})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(mixed.len(), 1);
    assert!(KeySet::parse(b"{\"keys\": 3}").is_err());
    assert!(KeySet::parse(b"<html>").is_err());
}

#[test]
fn the_clock_decides_with_the_tolerated_skew() {
    let ec = ec_signer("k");
    let keys = set(&[&ec.jwk]);
    let at = |exp: u64, nbf: u64, iat: u64| {
        let mut c = claims();
        c["exp"] = json!(exp);
        c["nbf"] = json!(nbf);
        c["iat"] = json!(iat);
        verify(&sign(&ec, Some("k"), &c), &keys, NOW_MS)
    };
    assert!(at(NOW_S + 1, NOW_S, NOW_S).is_ok());
    assert!(at(NOW_S - SKEW_S + 1, NOW_S - 900, NOW_S - 900).is_ok());
    let expired = at(NOW_S - SKEW_S, NOW_S - 900, NOW_S - 900).unwrap_err();
    assert_eq!(
        expired,
        JwtError::Expired {
            now: NOW_S,
            exp: NOW_S - SKEW_S
        }
    );
    assert_eq!(expired.to_iam().code, ErrorCode::ExpiredTokenException);
    assert!(expired
        .to_iam()
        .message
        .starts_with("Token expired: current date/time"));
    assert_eq!(
        at(NOW_S + 3600, NOW_S + SKEW_S + 1, NOW_S).unwrap_err(),
        JwtError::NotYetValid
    );
    assert_eq!(
        at(NOW_S + 3600, NOW_S, NOW_S + SKEW_S + 1).unwrap_err(),
        JwtError::NotYetValid
    );
    assert!(at(NOW_S + 3600, NOW_S + SKEW_S, NOW_S + SKEW_S).is_ok());
}

#[test]
fn claims_aws_needs_must_be_there() {
    let ec = ec_signer("k");
    let keys = set(&[&ec.jwk]);
    for missing in ["exp", "sub", "aud", "iss"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(missing);
        let err = verify(&sign(&ec, Some("k"), &c), &keys, NOW_MS).unwrap_err();
        assert!(
            matches!(&err, JwtError::Malformed(m) if m.contains(missing)),
            "{missing}: {err:?}"
        );
    }
    let mut c = claims();
    c["sub"] = json!("");
    assert!(verify(&sign(&ec, Some("k"), &c), &keys, NOW_MS).is_err());
    let mut c = claims();
    c["exp"] = json!("tomorrow");
    assert!(matches!(
        verify(&sign(&ec, Some("k"), &c), &keys, NOW_MS),
        Err(JwtError::Malformed(_))
    ));
}

#[test]
fn peek_reads_the_issuer_of_a_well_formed_token_only() {
    assert!(peek("abc").is_err());
    assert!(peek(&"a".repeat(20_001)).is_err());
    assert!(peek("a.b.c").is_err());
    let no_iss = forged(json!({"alg": "ES256"}), &json!({"sub": "x"}), "sig");
    assert!(peek(&no_iss).is_err());
    let two_parts = forged(json!({"alg": "ES256"}), &claims(), "sig");
    let two_parts = two_parts.rsplit_once('.').unwrap().0;
    assert!(peek(two_parts).is_err());
    let ok = forged(json!({"alg": "ES256", "kid": "x"}), &claims(), "sig");
    assert_eq!(peek(&ok).unwrap().issuer, ISSUER);
}

proptest! {
    #[test]
    fn no_input_panics(token in "[A-Za-z0-9._-]{0,300}", jwks in ".{0,200}") {
        let _ = peek(&token);
        let keys = KeySet::parse(jwks.as_bytes()).unwrap_or_else(|_| KeySet::parse(b"{\"keys\":[]}").unwrap());
        let _ = verify(&token, &keys, NOW_MS);
    }
}
