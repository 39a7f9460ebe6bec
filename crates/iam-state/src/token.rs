//! Request tokens, scoped to their caller and bound to their request.
//!
//! A client's request token only makes sense for that client: the proposing node writes it
//! into the log as `s2:{scope}:{digest}:{token}`, where `scope` names the caller (a digest of
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
//! The first outcome decides: a refusal is remembered like a success (version `s2`). Were it
//! not, a retry refused (say `LimitExceeded`) while an earlier copy of the same request was
//! still in flight would let that copy be applied later — the caller, told "refused", would
//! have acquired after all, and a retry after that would acquire twice (the chaos suite's
//! quota workload found this; tests/chaos/RESULTS.md, finding 3).
//!
//! Older log entries replay as they were applied: `s1:` tokens remember successes only, and
//! tokens without a prefix (written before scoping) keep the old global behaviour, so
//! replaying an old log gives the same state as it did. Both scoped versions are remembered
//! under the same key (`s1:{scope}:{token}`), so a retry written by this version still finds
//! a response an `s1` entry remembered.

/// The prefix of a scoped token in the log, as this version writes it.
pub const SCOPED_PREFIX: &str = "s2:";

/// The prefix of a scoped token written by versions that remembered successes only.
pub const SCOPED_PREFIX_V1: &str = "s1:";

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
    /// Whether a refusal is remembered too (`s2`), or only a success (`s1`, legacy).
    pub remembers_refusals: bool,
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
        remembers_refusals: false,
    };
    let (rest, remembers_refusals) = if let Some(rest) = token.strip_prefix(SCOPED_PREFIX) {
        (rest, true)
    } else if let Some(rest) = token.strip_prefix(SCOPED_PREFIX_V1) {
        (rest, false)
    } else {
        return legacy;
    };
    let mut parts = rest.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scope), Some(digest), Some(client)) if is_digest(scope) && is_digest(digest) => {
            LogToken {
                key: format!("{SCOPED_PREFIX_V1}{scope}:{client}").into(),
                digest: Some(digest),
                remembers_refusals,
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
        assert!(t.starts_with("s2:"));
        let p = parse(&t);
        assert_eq!(p.key, format!("s1:{s}:my:token"));
        assert_eq!(p.digest, Some(d.as_str()));
        assert!(p.remembers_refusals);
        // A token of the first scoped version: the same key, successes only.
        let v1 = format!("s1:{s}:{d}:my:token");
        let p1 = parse(&v1);
        assert_eq!(p1.key, p.key);
        assert_eq!(p1.digest, Some(d.as_str()));
        assert!(!p1.remembers_refusals);
        // Malformed scoped tokens and old tokens are legacy, whole.
        for legacy in [
            "iamd-bootstrap-root-key",
            "s1:zz:00:t",
            "s1:",
            "s1:a:b",
            "s2:zz:00:t",
            "s2:",
        ] {
            assert_eq!(parse(legacy).key, legacy);
            assert_eq!(parse(legacy).digest, None);
            assert!(!parse(legacy).remembers_refusals);
        }
    }
}
