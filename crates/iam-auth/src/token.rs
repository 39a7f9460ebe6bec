//! Self-contained STS session tokens: the session's claims sealed (ChaCha20-Poly1305) under a
//! rotatable [`KeyRing`], so any node can open and check a token without a state read or
//! write. The session's secret access key is not stored anywhere: it is derived from the
//! access key id and issue time under the same ring key ([`derive_secret`]), so the node that
//! verifies a request recomputes it from the token.
//!
//! Token = base64url (no padding) of `version (1) ‖ key id (4, big-endian) ‖ nonce (12) ‖
//! ciphertext ‖ tag (16)`; the version and key id are the AEAD's associated data, the plaintext
//! is the claims as compact JSON. Each ring key is split by HMAC into an encryption key and a
//! secret-derivation key. Nonces come from the caller and must never repeat under one key
//! (random 96-bit nonces are fine for well under 2^32 tokens per key; rotate before that).
//!
//! Rotation: add a new key and make it `current` (new tokens use it, old tokens still open);
//! remove the old key once every token sealed with it has expired (at most 36 h, the
//! GetSessionToken maximum). A token whose key was removed is `InvalidClientTokenId`.

use crate::ct::ct_eq;
use crate::{AuthError, AuthErrors};
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The token format version this crate writes and reads.
pub const TOKEN_VERSION: u8 = 1;
/// Longest token [`open`] looks at (bytes of base64); anything longer is invalid.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Length of a derived secret access key (AWS's are 40 characters).
pub const SECRET_LEN: usize = 40;
const HEADER_LEN: usize = 1 + 4 + 12;
const TAG_LEN: usize = 16;

/// The ring of token keys: `(key id, 32-byte key)` pairs and the id new tokens are sealed
/// with. Its `Debug` form never shows the keys.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(u32, [u8; 32])>,
    current: u32,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<u32> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("KeyRing")
            .field("key_ids", &ids)
            .field("current", &self.current)
            .finish()
    }
}

impl KeyRing {
    /// A ring; `current` must be one of the ids, and ids must be unique.
    pub fn new(keys: Vec<(u32, [u8; 32])>, current: u32) -> Result<Self, String> {
        if !keys.iter().any(|(id, _)| *id == current) {
            return Err(format!(
                "the current key id {current} is not in the key ring"
            ));
        }
        for (i, (id, _)) in keys.iter().enumerate() {
            if keys[..i].iter().any(|(other, _)| other == id) {
                return Err(format!("key id {id} appears twice in the key ring"));
            }
        }
        Ok(Self { keys, current })
    }

    /// The id new tokens are sealed with.
    pub fn current(&self) -> u32 {
        self.current
    }

    /// The ids of every key that still opens tokens.
    pub fn key_ids(&self) -> Vec<u32> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }

    fn key(&self, id: u32) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, key)| key)
    }
}

/// Everything a node needs to know about a session, carried inside its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The session's `ASIA…` access key id.
    #[serde(rename = "k")]
    pub access_key_id: String,
    #[serde(rename = "a")]
    pub account: String,
    /// The user ARN (GetSessionToken, GetFederationToken caller) or role ARN (AssumeRole);
    /// `aws:PrincipalArn`.
    #[serde(rename = "p")]
    pub principal_arn: String,
    /// The assumed-role or federated-user ARN (what GetCallerIdentity returns); for
    /// GetSessionToken the user ARN.
    #[serde(rename = "s")]
    pub session_arn: String,
    #[serde(rename = "n", default)]
    pub session_name: String,
    #[serde(rename = "i")]
    pub issued_ms: u64,
    #[serde(rename = "e")]
    pub expires_ms: u64,
    /// When MFA was used to get the session (`aws:MultiFactorAuthAge`); `None`: no MFA.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mfa_authenticated_ms: Option<u64>,
    #[serde(rename = "si", default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// The inline session policy document.
    #[serde(rename = "sp", default, skip_serializing_if = "Option::is_none")]
    pub session_policy: Option<String>,
    #[serde(rename = "pa", default, skip_serializing_if = "Vec::is_empty")]
    pub session_policy_arns: Vec<String>,
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub session_tags: Vec<(String, String)>,
    #[serde(rename = "tt", default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// The session was created from another role session (capped at 1 hour).
    #[serde(rename = "c", default, skip_serializing_if = "std::ops::Not::not")]
    pub role_chained: bool,
    /// The access key id of the credentials that asked for this session.
    #[serde(rename = "sk", default, skip_serializing_if = "Option::is_none")]
    pub source_key: Option<String>,
    /// The unique id (`AROA…`, `AIDA…`) of the role or user `principal_arn` named when the
    /// session was issued. A session is bound to that principal: once it is deleted (even
    /// if another of the same name is created) the session no longer authenticates. `None`
    /// for the account root and for tokens issued before iamd bound sessions.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
}

/// An opened token: the claims and the ring key that sealed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedToken {
    pub key_id: u32,
    pub claims: SessionClaims,
}

/// What STS hands the caller (`Credentials` in the AssumeRole/GetSessionToken result).
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration_ms: u64,
}

impl std::fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration_ms", &self.expiration_ms)
            .finish_non_exhaustive()
    }
}

/// A request's session after [`authenticate_session`]: its claims and the secret its
/// signature must verify with.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub claims: SessionClaims,
    pub secret_access_key: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn encryption_key(master: &[u8; 32]) -> [u8; 32] {
    hmac(master, &[b"iamd session token encryption v1"])
}

fn derivation_key(master: &[u8; 32]) -> [u8; 32] {
    hmac(master, &[b"iamd session secret derivation v1"])
}

/// Seals `claims` with the ring's current key and `nonce` (unique per key: draw it at random).
pub fn seal(ring: &KeyRing, claims: &SessionClaims, nonce: [u8; 12]) -> String {
    let key_id = ring.current;
    // `KeyRing::new` guarantees the current key exists.
    let master = ring.key(key_id).copied().unwrap_or([0; 32]);
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.push(TOKEN_VERSION);
    header.extend_from_slice(&key_id.to_be_bytes());
    header.extend_from_slice(&nonce);
    // Serializing plain strings and numbers cannot fail.
    let plaintext = serde_json::to_vec(claims).unwrap_or_default();
    let cipher = ChaCha20Poly1305::new(&encryption_key(&master).into());
    let sealed = cipher
        .encrypt(
            &nonce.into(),
            Payload {
                msg: &plaintext,
                aad: &header[..5],
            },
        )
        .unwrap_or_default();
    header.extend_from_slice(&sealed);
    URL_SAFE_NO_PAD.encode(header)
}

/// Opens a token sealed by [`seal`] with any key still in the ring. Anything else (bad
/// base64, unknown version or key id, a changed byte, undecodable claims) is
/// `InvalidClientTokenId`. Expiry is not checked here.
pub fn open(ring: &KeyRing, token: &str) -> Result<OpenedToken, AuthError> {
    let invalid = AuthError::invalid_client_token_id;
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    if bytes.len() < HEADER_LEN + TAG_LEN || bytes[0] != TOKEN_VERSION {
        return Err(invalid());
    }
    let key_id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let master = ring.key(key_id).ok_or_else(invalid)?;
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&bytes[5..HEADER_LEN]);
    let cipher = ChaCha20Poly1305::new(&encryption_key(master).into());
    let plaintext = cipher
        .decrypt(
            &nonce.into(),
            Payload {
                msg: &bytes[HEADER_LEN..],
                aad: &bytes[..5],
            },
        )
        .map_err(|_| invalid())?;
    let claims = serde_json::from_slice(&plaintext).map_err(|_| invalid())?;
    Ok(OpenedToken { key_id, claims })
}

/// The session's secret access key: HMAC-SHA256 of the access key id and issue time under
/// ring key `key_id`'s derivation key, base64, cut to 40 characters.
pub fn derive_secret(
    ring: &KeyRing,
    key_id: u32,
    access_key_id: &str,
    issued_ms: u64,
) -> Result<String, AuthError> {
    let master = ring
        .key(key_id)
        .ok_or_else(AuthError::invalid_client_token_id)?;
    let mac = hmac(
        &derivation_key(master),
        &[access_key_id.as_bytes(), &[0], &issued_ms.to_be_bytes()],
    );
    let mut s = STANDARD_NO_PAD.encode(mac);
    s.truncate(SECRET_LEN);
    Ok(s)
}

/// Seals `claims` with the current key and derives the matching secret: the credentials
/// STS returns. `claims.access_key_id` must be a fresh `ASIA…` id.
pub fn issue(ring: &KeyRing, claims: &SessionClaims, nonce: [u8; 12]) -> IssuedCredentials {
    let session_token = seal(ring, claims, nonce);
    let secret_access_key =
        derive_secret(ring, ring.current, &claims.access_key_id, claims.issued_ms)
            .unwrap_or_default();
    IssuedCredentials {
        access_key_id: claims.access_key_id.clone(),
        secret_access_key,
        session_token,
        expiration_ms: claims.expires_ms,
    }
}

/// What a node does for a request signed with `ASIA…` credentials: opens the request's
/// security token, checks that it was issued for `access_key_id` (`InvalidClientTokenId`)
/// and has not expired at `now_ms` (`ExpiredToken`), and re-derives the secret the request's
/// signature must verify with.
pub fn authenticate_session(
    ring: &KeyRing,
    token: &str,
    access_key_id: &str,
    now_ms: u64,
) -> Result<Session, AuthError> {
    let opened = open(ring, token)?;
    if !ct_eq(
        opened.claims.access_key_id.as_bytes(),
        access_key_id.as_bytes(),
    ) {
        return Err(AuthError::invalid_client_token_id());
    }
    if now_ms >= opened.claims.expires_ms {
        return Err(AuthError::expired_token());
    }
    let secret_access_key = derive_secret(
        ring,
        opened.key_id,
        &opened.claims.access_key_id,
        opened.claims.issued_ms,
    )?;
    Ok(Session {
        claims: opened.claims,
        secret_access_key,
    })
}

#[cfg(test)]
mod tests;
