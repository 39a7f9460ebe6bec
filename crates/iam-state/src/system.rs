//! Cluster-wide records that belong to no account: the operator account (the first account
//! created: its principals may run cluster and account administration) and the STS token key
//! ring (the keys that seal session tokens, each sealed with the cluster's secret key before
//! it enters the log).

use crate::command::Outcome;
use crate::keys;
use crate::store::{StateRead, Txn};
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// How long a token key stays in the ring after a newer key replaced it: the longest session
/// (GetSessionToken's 36 hours) plus the clock skew, so every token it sealed has expired.
pub const RETIRED_KEY_KEEP_MS: u64 = (36 * 3600 + 600) * 1000;
/// Length of a token key (bytes).
pub const TOKEN_KEY_LEN: usize = 32;

/// One key of the ring (`sys/keyring`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenKey {
    pub id: u32,
    /// The 32 key bytes as hex, sealed with the cluster's secret key by the proposer.
    pub sealed: String,
    pub created_ms: u64,
    /// When a newer key became current (the key still opens tokens until it is dropped).
    #[serde(default)]
    pub retired_ms: Option<u64>,
}

/// The STS token key ring: `current` seals new tokens; every key in `keys` opens them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenKeyRing {
    pub current: u32,
    pub keys: Vec<TokenKey>,
}

/// The operator account's id, if any account exists.
pub fn operator_account(state: &dyn StateRead) -> Option<String> {
    Txn::new(state)
        .get(keys::OPERATOR.as_bytes())
        .map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// The token key ring (empty before the first rotation).
pub fn key_ring(state: &dyn StateRead) -> TokenKeyRing {
    Txn::new(state)
        .get_json(keys::KEYRING.as_bytes())
        .unwrap_or_default()
}

/// Adds a key (`sealed`, chosen and sealed by the proposer) and makes it current; keys
/// retired more than [`RETIRED_KEY_KEEP_MS`] ago are dropped.
pub(crate) fn rotate(txn: &mut Txn<'_>, time_ms: u64, sealed: &str) -> IamResult<Outcome> {
    if sealed.is_empty() {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "the token key was not chosen before proposing",
        ));
    }
    let mut ring: TokenKeyRing = txn.get_json(keys::KEYRING.as_bytes()).unwrap_or_default();
    let id = ring.keys.iter().map(|k| k.id).max().unwrap_or(0) + 1;
    for k in &mut ring.keys {
        k.retired_ms.get_or_insert(time_ms);
    }
    ring.keys.retain(|k| {
        k.retired_ms
            .is_none_or(|r| time_ms < r.saturating_add(RETIRED_KEY_KEEP_MS))
    });
    ring.keys.push(TokenKey {
        id,
        sealed: sealed.to_owned(),
        created_ms: time_ms,
        retired_ms: None,
    });
    ring.current = id;
    txn.put_json(keys::KEYRING.as_bytes().to_vec(), &ring);
    Ok(Outcome::Record(format!(
        "{{\"current\":{id},\"keys\":{}}}",
        ring.keys.len()
    )))
}

/// Removes key `id` from the ring at once (`iamctl keyring revoke`): tokens it sealed stop
/// opening on every node as soon as the node applies this, instead of when the key would
/// have been dropped ([`RETIRED_KEY_KEEP_MS`] after its retirement). The current key
/// cannot be revoked (rotate first). Ids are never reused: the next key's id is one more
/// than the largest left, and the current key, which stays, is always the largest.
pub(crate) fn revoke(txn: &mut Txn<'_>, id: u32) -> IamResult<Outcome> {
    let mut ring: TokenKeyRing = txn.get_json(keys::KEYRING.as_bytes()).unwrap_or_default();
    let ids = |ring: &TokenKeyRing| {
        ring.keys
            .iter()
            .map(|k| k.id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !ring.keys.iter().any(|k| k.id == id) {
        return Err(IamError::new(
            ErrorCode::NoSuchEntity,
            format!(
                "There is no token key {id} in the ring (its keys: {}; current: {}).",
                ids(&ring),
                ring.current
            ),
        ));
    }
    if id == ring.current {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!(
                "Token key {id} is the current key and seals new session tokens: rotate first \
                 (iamctl keyring rotate), then revoke key {id}."
            ),
        ));
    }
    ring.keys.retain(|k| k.id != id);
    txn.put_json(keys::KEYRING.as_bytes().to_vec(), &ring);
    Ok(Outcome::Record(format!(
        "{{\"revoked\":{id},\"current\":{},\"keys\":[{}]}}",
        ring.current,
        ids(&ring)
    )))
}
