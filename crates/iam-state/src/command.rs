//! Commands carried in the Raft log and the responses apply produces.
//!
//! These types travel in the log and in forwarded writes as CBOR ([`crate::codec`]) inside
//! versioned records (`iam_raft::format`). Compatible changes: a new field marked
//! `#[serde(default)]`, a new enum variant; never rename or remove a field or variant
//! (older entries name them). The golden files in `crates/iam-storage/tests/golden` hold an
//! entry of every command as each format wrote it, and must keep decoding.

use crate::ops::Op;
use iam_model::{Account, IamError, User};
use serde::{Deserialize, Serialize};

/// One log entry's payload: the command plus everything apply must not choose itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Idempotency key: a retried request with the same token returns the first result and
    /// applies nothing.
    pub request_token: Option<String>,
    /// Milliseconds since the Unix epoch, read by the proposer.
    pub time_ms: u64,
    pub command: Command,
    /// Who asked, for the event history ([`crate::events`]); absent for the node's own
    /// requests and in entries written before the cluster ran
    /// [`crate::release::EVENT_HISTORY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Box<crate::events::Origin>>,
}

impl Request {
    /// A request without an origin (the node's own, and tests').
    pub fn new(time_ms: u64, command: Command) -> Self {
        Self {
            request_token: None,
            time_ms,
            command,
            origin: None,
        }
    }
}

/// A state change. Ids and secrets are chosen before proposing ([`Command::prepare`]) and
/// carried here, so apply never draws randomness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    CreateAccount {
        account_id: String,
        name: String,
        email: String,
    },
    /// Every other command acts inside one account.
    In { account: String, op: Op },
    /// Adds a new STS token key and makes it current (`iamctl keyring rotate`). The key is
    /// chosen and sealed by the proposer.
    RotateTokenKey {
        #[serde(default)]
        sealed_key: String,
    },
    /// Sandbox mode only (the API refuses it elsewhere): forget the whole state and start
    /// again with one empty account.
    SandboxReset {
        account_id: String,
        name: String,
        email: String,
    },
    /// Removes a token key from the ring at once (`iamctl keyring revoke`): sessions it
    /// sealed stop working on every node. Not the current key. (Added last: log entries
    /// written before it still decode.)
    RevokeTokenKey { key_id: u32 },
    /// Replaces the whole state with a backup's key/value pairs (`iamd serve --restore-from`,
    /// see [`crate::backup`]): every key not in `pairs` is deleted. Internal: the node that
    /// restores proposes it. (Added last: log entries written before it still decode.)
    RestoreState {
        #[serde(with = "crate::codec::byte_pairs")]
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// Raises the release the cluster runs at (`iamctl cluster finalize-upgrade`, see
    /// [`crate::release`]): builds of older releases stop applying from here on. Internal:
    /// the node that checked every member's release proposes it. (Added last.)
    FinalizeRelease { release: u32 },
}

impl Command {
    /// An account-scoped command.
    pub fn in_account(account: &str, op: impl Into<Op>) -> Self {
        Self::In {
            account: account.to_owned(),
            op: op.into(),
        }
    }

    /// AWS's operation name (`CreateUser`, ...) or iamd's for its own operations; used for
    /// logs, metrics and (with the `iam:` prefix) authorization.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateAccount { .. } => "CreateAccount",
            Self::SandboxReset { .. } => "SandboxReset",
            Self::RotateTokenKey { .. } => "RotateKeyRing",
            Self::RevokeTokenKey { .. } => "RevokeKeyRingKey",
            Self::RestoreState { .. } => "RestoreSnapshot",
            Self::FinalizeRelease { .. } => "FinalizeUpgrade",
            Self::In { op, .. } => op.name(),
        }
    }

    /// Commands the public API must refuse (see [`Op::is_internal`]).
    pub fn is_internal(&self) -> bool {
        match self {
            Self::In { op, .. } => op.is_internal(),
            Self::SandboxReset { .. }
            | Self::RestoreState { .. }
            | Self::FinalizeRelease { .. } => true,
            Self::CreateAccount { .. }
            | Self::RotateTokenKey { .. }
            | Self::RevokeTokenKey { .. } => false,
        }
    }

    /// Whether [`Command::prepare`] hashes a password (slow on purpose: see
    /// [`crate::ops::login_profiles::LoginProfileOp::hashes_password`]).
    pub fn hashes_password(&self) -> bool {
        matches!(self, Self::In { op: Op::LoginProfile(o), .. } if o.hashes_password())
    }

    /// Whether only the operator decides it, whatever account it names (quota decisions:
    /// [`crate::ops::quotas::QuotaOp::is_operator_decision`]).
    pub fn is_operator_decision(&self) -> bool {
        matches!(self, Self::In { op: Op::Quota(q), .. } if q.is_operator_decision())
    }

    /// Records the authenticated caller in the commands that keep it (quota requests and
    /// decisions).
    pub fn set_caller(&mut self, caller_arn: &str) {
        if let Self::In {
            op: Op::Quota(q), ..
        } = self
        {
            q.set_caller(caller_arn);
        }
    }

    /// Fills in what the proposing node chooses: unique ids, secrets, password hashes, and
    /// a new account's id when the caller gave none. Whatever a client put in the other
    /// fields is replaced.
    pub fn prepare(&mut self, env: &mut dyn crate::ops::Env) {
        match self {
            Self::In { op, .. } => op.prepare(env),
            Self::RotateTokenKey { sealed_key } => {
                let key = env.random_bytes(crate::system::TOKEN_KEY_LEN);
                let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
                *sealed_key = env.seal_secret(&hex);
            }
            Self::CreateAccount { account_id, .. } => {
                if account_id.is_empty() {
                    // Twelve digits, the first not zero, as AWS account ids look.
                    let bytes = env.random_bytes(8);
                    let r = bytes.iter().fold(0u64, |a, b| a << 8 | u64::from(*b));
                    let n = 100_000_000_000 + r % 900_000_000_000;
                    *account_id = iam_model::AccountId::from_number(n).to_string();
                }
            }
            Self::SandboxReset { .. }
            | Self::RevokeTokenKey { .. }
            | Self::RestoreState { .. }
            | Self::FinalizeRelease { .. } => {}
        }
    }
}

/// What a successful command produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Membership changes and blank entries.
    Nothing,
    Account(Account),
    User(User),
    Deleted,
    /// Any other result, as the JSON text the API returns. Text rather than a
    /// `serde_json::Value`: responses were once carried in plain bincode, which cannot decode
    /// self-describing values, and the golden files hold this shape; serialization of our
    /// records is deterministic.
    Record(String),
}

impl Outcome {
    /// A record outcome from any serializable result.
    pub fn record<T: Serialize>(value: &T) -> Self {
        Self::Record(serde_json::to_string(value).expect("records always serialize"))
    }

    /// The outcome as the JSON the API returns.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Nothing | Self::Deleted => serde_json::Value::Object(Default::default()),
            Self::Account(a) => serde_json::to_value(a).expect("records always serialize"),
            Self::User(u) => serde_json::to_value(u).expect("records always serialize"),
            Self::Record(text) => serde_json::from_str(text).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The result of applying one log entry. Business rejections are ordinary results, identical
/// on every replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub result: Result<Outcome, IamError>,
}

impl Response {
    pub fn nothing() -> Self {
        Self {
            result: Ok(Outcome::Nothing),
        }
    }
}
