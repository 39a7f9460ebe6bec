//! The key layout of the replicated state (all keys are UTF-8, `/`-separated; names never
//! contain `/`).
//!
//! | key | value |
//! |---|---|
//! | `acct/{account}` | [`iam_model::Account`] |
//! | `user/{account}/{lowercased name}` | [`iam_model::User`] |
//! | `count/{account}/{kind}` | entity count (decimal) |
//! | `tok/{token}` | the [`crate::Response`] first produced for that request token |
//! | `tokq/{index:020}` | the token recorded at that log index (for pruning) |

use iam_model::names::name_key;

pub const ACCOUNT_PREFIX: &str = "acct/";

pub fn account(id: &str) -> Vec<u8> {
    format!("acct/{id}").into_bytes()
}

pub fn user(account: &str, name: &str) -> Vec<u8> {
    format!("user/{account}/{}", name_key(name)).into_bytes()
}

pub fn user_prefix(account: &str) -> Vec<u8> {
    format!("user/{account}/").into_bytes()
}

pub fn count(account: &str, kind: &str) -> Vec<u8> {
    format!("count/{account}/{kind}").into_bytes()
}

pub fn token(token: &str) -> Vec<u8> {
    format!("tok/{token}").into_bytes()
}

pub const TOKEN_AT_PREFIX: &str = "tokq/";

pub fn token_at(index: u64) -> Vec<u8> {
    format!("tokq/{index:020}").into_bytes()
}
