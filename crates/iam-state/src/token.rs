//! Request tokens, scoped to their caller and bound to their request.
//!
//! A client's request token only makes sense for that client: the proposing node writes it
//! into the log as `s1:{scope}:{digest}:{token}`, where `scope` names the caller (a digest of
//! account and principal) and `digest` names the request as the client sent it (a keyed
//! digest of the command before the node filled in ids and secrets). Apply remembers the
//! response under `s1:{scope}:{token}` together with the digest, so
//!
//! - a retry by the same caller of the same request returns the first response and applies
//!   nothing;
//! - the same caller reusing the token for a different request is refused with
//!   `IdempotentParameterMismatch` (AWS's answer for a reused `ClientToken`);
//! - another caller's token never matches: tokens of different callers are different keys,
//!   so nobody can read someone else's remembered response (which may hold a secret sealed
//!   for its creator) or make someone else's later write silently not happen by using a
//!   token first.
//!
//! Tokens without the prefix (log entries written before scoping) keep the old global
//! behaviour, so replaying an old log gives the same state as it did.

/// The prefix of a scoped token in the log.
pub const SCOPED_PREFIX: &str = "s1:";

/// Hex digits of a scope or request digest.
pub const DIGEST_HEX: usize = 32;

/// The token the log carries for `client_token` sent by the caller `scope` for the request
/// `digest` (both [`DIGEST_HEX`] lowercase hex digits).
pub fn scoped(scope: &str, digest: &str, client_token: &str) -> String {
    format!("{SCOPED_PREFIX}{scope}:{digest}:{client_token}")
}

/// A log token read back: the key it is remembered under and, for a scoped token, the
/// request digest it must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogToken<'a> {
    /// The token table's key part: `s1:{scope}:{token}`, or a legacy token as it is.
    pub key: std::borrow::Cow<'a, str>,
    pub digest: Option<&'a str>,
}

fn is_digest(s: &str) -> bool {
    s.len() == DIGEST_HEX
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Splits a token from the log; anything that is not a well-formed scoped token is a legacy
/// (global) one.
pub(crate) fn parse(token: &str) -> LogToken<'_> {
    let legacy = LogToken {
        key: token.into(),
        digest: None,
    };
    let Some(rest) = token.strip_prefix(SCOPED_PREFIX) else {
        return legacy;
    };
    let mut parts = rest.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scope), Some(digest), Some(client)) if is_digest(scope) && is_digest(digest) => {
            LogToken {
                key: format!("{SCOPED_PREFIX}{scope}:{client}").into(),
                digest: Some(digest),
            }
        }
        _ => legacy,
    }
}

/// What the token table remembers for a scoped token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Remembered {
    pub response: crate::Response,
    pub digest: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_tokens_split_into_key_and_digest() {
        let s = "a".repeat(32);
        let d = "0".repeat(32);
        let t = scoped(&s, &d, "my:token");
        let p = parse(&t);
        assert_eq!(p.key, format!("s1:{s}:my:token"));
        assert_eq!(p.digest, Some(d.as_str()));
        // Malformed scoped tokens and old tokens are legacy, whole.
        for legacy in ["iamd-bootstrap-root-key", "s1:zz:00:t", "s1:", "s1:a:b"] {
            assert_eq!(parse(legacy).key, legacy);
            assert_eq!(parse(legacy).digest, None);
        }
    }
}
