//! Secrets out of audit lines: every string value of a field that names a secret
//! (passwords, secret access keys, session and request tokens, MFA codes and seeds, private
//! keys, SAML assertions, web identity tokens, presigned requests' signatures) is replaced
//! by `hmac-sha256:<32 hex>`, an HMAC under a key derived from the cluster key. The same
//! value gives the same HMAC on every node, so an operator can find the requests that
//! carried a value they hold (`iamd audit-hash`) without the trail ever holding it. Policy
//! documents, names and ids stay readable.
//!
//! Fields are recognised by name, whatever the transport's spelling (`new_password`,
//! `NewPassword`, `Tags.member.1.Key`: compared lowercased without `_`, `-`, and only the
//! last `.`-separated part).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Parts of a field name that make its value a secret.
const SECRET_PARTS: &[&str] = &[
    "password",
    "secret",
    "token",
    "seed",
    "privatekey",
    "assertion",
    "sealed",
    "hash",
    "qrcode",
    // A presigned request's signature would let a reader of the trail replay it.
    "signature",
];

/// Endings that do: MFA codes (`AuthenticationCode1`, `mfa_code`, `code`).
const SECRET_ENDINGS: &[&str] = &["code", "code1", "code2"];

pub struct Redactor {
    key: [u8; 32],
}

/// Whether a field of this name holds a secret.
pub fn is_secret_field(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let norm: String = last
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_PARTS.iter().any(|p| norm.contains(p))
        || SECRET_ENDINGS.iter().any(|e| norm.ends_with(e))
}

impl Redactor {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// `hmac-sha256:` and the first 16 bytes of the HMAC of `value`, in hex.
    pub fn hash(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(value.as_bytes());
        let out = mac.finalize().into_bytes();
        format!("hmac-sha256:{}", hex::encode(&out[..16]))
    }

    /// Replaces, in place, every secret in `value` (objects and arrays, at any depth).
    pub fn redact(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if is_secret_field(k) {
                        self.redact_all(v);
                    } else {
                        self.redact(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact(v)),
            _ => {}
        }
    }

    /// Every string under a secret field (a secret may be a list or an object of them).
    fn redact_all(&self, value: &mut Value) {
        match value {
            Value::String(s) if !s.is_empty() => *s = self.hash(s),
            Value::Object(map) => map.values_mut().for_each(|v| self.redact_all(v)),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_all(v)),
            _ => {}
        }
    }
}
