//! Secrets at rest: access-key secrets and STS token keys are sealed with the cluster's
//! secret key (given to every node at start) before they enter the Raft log, so neither the
//! log, the state, snapshots nor backups hold them in the clear.
//!
//! Sealed form: `sealed1:` + base64url (no padding) of `nonce (12) ‖ ciphertext ‖ tag (16)`,
//! ChaCha20-Poly1305 under a key derived (HMAC-SHA256) from the cluster key, with the
//! prefix as associated data. Nonces come from the caller (random).

use crate::AuthError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of every sealed secret.
pub const SEALED_PREFIX: &str = "sealed1:";

/// The cluster's secret key, ready to seal and open. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretBox {
    cipher_key: [u8; 32],
    /// The cluster key itself, for keys derived for other purposes ([`SecretBox::derive_key`]).
    root: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// From the 32-byte cluster key.
    pub fn new(cluster_key: &[u8; 32]) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(cluster_key).unwrap_or_else(|_| unreachable!());
        mac.update(b"iamd secrets at rest v1");
        Self {
            cipher_key: mac.finalize().into_bytes().into(),
            root: *cluster_key,
        }
    }

    /// A key for another purpose, derived from the cluster key (HMAC-SHA256 of `label`):
    /// every node derives the same one, and none of them reveals the cluster key or another
    /// purpose's key. Labels in use: `iamd peer TLS v1` (the peer port's CA, `iam-tls`).
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.root).unwrap_or_else(|_| unreachable!());
        mac.update(b"iamd derived key: ");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Parses a cluster key written as 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bytes = hex::decode(t).map_err(|_| {
            "the cluster secret key must be 64 hexadecimal digits (32 bytes)".to_owned()
        })?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            "the cluster secret key must be 64 hexadecimal digits (32 bytes)".to_owned()
        })?;
        Ok(Self::new(&key))
    }

    /// A MAC of `data` under a key derived from the cluster key for `purpose` (one key per
    /// purpose, none equal to the sealing key): what the cluster alone can compute, such
    /// as the tag of the access key ids it issues ([`crate::key_id`]).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut k = <Hmac<Sha256> as Mac>::new_from_slice(&self.cipher_key)
            .unwrap_or_else(|_| unreachable!());
        k.update(b"iamd mac key v1: ");
        k.update(purpose.as_bytes());
        let key: [u8; 32] = k.finalize().into_bytes().into();
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Seals `plaintext` with `nonce` (draw it at random; never reuse one).
    pub fn seal(&self, plaintext: &str, nonce: [u8; 12]) -> String {
        let cipher = ChaCha20Poly1305::new(&self.cipher_key.into());
        let ct = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: SEALED_PREFIX.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`SecretBox::seal`] produced with the same cluster key. Anything else — a
    /// value sealed with another key, changed, or never sealed at all — is refused: a secret
    /// that did not come out of `seal` under this cluster's key was not put there by iamd.
    pub fn open(&self, value: &str) -> Result<String, AuthError> {
        let Some(b64) = value.strip_prefix(SEALED_PREFIX) else {
            return Err(AuthError::new(
                iam_model::ErrorCode::ServiceFailure,
                "a stored secret is not sealed with the cluster key and is refused",
            ));
        };
        let fail = || {
            AuthError::new(
                iam_model::ErrorCode::ServiceFailure,
                "a stored secret does not open with this node's cluster secret key \
                 (was the node started with another cluster's key?)",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(b64).map_err(|_| fail())?;
        if bytes.len() < 12 + 16 {
            return Err(fail());
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&bytes[..12]);
        let cipher = ChaCha20Poly1305::new(&self.cipher_key.into());
        let plain = cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: &bytes[12..],
                    aad: SEALED_PREFIX.as_bytes(),
                },
            )
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_rejects_other_keys_and_changes() {
        let b = SecretBox::new(&[7; 32]);
        let s = b.seal("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", [1; 12]);
        assert!(s.starts_with(SEALED_PREFIX));
        assert!(!s.contains("wJalr"));
        assert_eq!(
            b.open(&s).unwrap(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        );
        assert!(SecretBox::new(&[8; 32]).open(&s).is_err());
        let mut changed = s.clone().into_bytes();
        let last = changed.len() - 3;
        changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
        assert!(b.open(&String::from_utf8(changed).unwrap()).is_err());
        assert!(b.open("sealed1:!!").is_err());
        // A secret that was never sealed is not accepted as one.
        assert!(b.open("plain").is_err());
        assert!(b.open("").is_err());
    }

    #[test]
    fn derived_keys_differ_by_label_and_cluster_key() {
        let a = SecretBox::new(&[7; 32]);
        assert_eq!(a.derive_key("x"), SecretBox::new(&[7; 32]).derive_key("x"));
        assert_ne!(a.derive_key("x"), a.derive_key("y"));
        assert_ne!(a.derive_key("x"), SecretBox::new(&[8; 32]).derive_key("x"));
        assert_ne!(a.derive_key("x"), a.cipher_key);
    }

    #[test]
    fn parses_hex_keys() {
        assert!(SecretBox::from_hex(&"ab".repeat(32)).is_ok());
        assert!(SecretBox::from_hex("abc").is_err());
        assert!(SecretBox::from_hex(&"zz".repeat(32)).is_err());
    }
}
