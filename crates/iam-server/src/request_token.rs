//! How the API turns a client's request token into the scoped token the log carries (see
//! `iam_state::token`): scoped to the caller, bound to the request.

use crate::auth::Caller;
use hmac::{Hmac, Mac};
use iam_auth::secret_box::SecretBox;
use iam_state::token::DIGEST_HEX;
use iam_state::Command;
use sha2::{Digest, Sha256};

/// The scope of the node's own writes (bootstrap, bookkeeping): no client's scope can equal
/// it, since a client's scope digests its account and ARN.
pub(crate) fn internal_scope() -> String {
    digest_hex(b"iamd internal writes")
}

/// A caller's scope: a digest of its account and ARN.
pub(crate) fn caller_scope(caller: &Caller) -> String {
    let mut bytes = caller.account.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend_from_slice(caller.arn.as_bytes());
    digest_hex(&bytes)
}

fn digest_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    hex::encode(d)[..DIGEST_HEX].to_owned()
}

/// The label of the cluster-key-derived key request digests are made with.
const DIGEST_LABEL: &str = "iamd request digest v1";

/// A digest of the request as the client sent it (before the node chose ids and secrets).
/// Keyed with a key derived from the cluster key, so a digest in the log reveals nothing
/// about the request (a password, say) to someone who can read the log but not the key.
pub(crate) fn request_digest(secrets: &SecretBox, command: &Command) -> String {
    let key = secrets.derive_key(DIGEST_LABEL);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
    mac.update(&serde_json::to_vec(command).unwrap_or_default());
    hex::encode(mac.finalize().into_bytes())[..DIGEST_HEX].to_owned()
}

/// Who a write is proposed for: the scope of its request token, and the origin the event
/// history records (`None` for the node's own writes).
#[derive(Debug, Clone)]
pub(crate) struct Proposer {
    pub(crate) scope: String,
    pub(crate) origin: Option<iam_state::events::Origin>,
}

impl Proposer {
    pub(crate) fn caller(caller: &Caller) -> Self {
        Self {
            scope: caller_scope(caller),
            origin: None,
        }
    }

    pub(crate) fn internal() -> Self {
        Self {
            scope: internal_scope(),
            origin: None,
        }
    }

    /// The same proposer, recording `origin` in the event history.
    pub(crate) fn with_origin(mut self, origin: Option<iam_state::events::Origin>) -> Self {
        self.origin = origin;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_differ_per_caller_and_digests_per_request() {
        let a = Caller::root("111111111111");
        let b = Caller::root("222222222222");
        assert_ne!(caller_scope(&a), caller_scope(&b));
        assert_ne!(caller_scope(&a), internal_scope());
        assert_eq!(caller_scope(&a).len(), DIGEST_HEX);
        let k = SecretBox::new(&[1; 32]);
        let c1 = Command::RotateTokenKey {
            sealed_key: String::new(),
        };
        let c2 = Command::RotateTokenKey {
            sealed_key: "x".into(),
        };
        assert_eq!(request_digest(&k, &c1), request_digest(&k, &c1));
        assert_ne!(request_digest(&k, &c1), request_digest(&k, &c2));
        assert_ne!(
            request_digest(&k, &c1),
            request_digest(&SecretBox::new(&[2; 32]), &c1)
        );
    }
}
