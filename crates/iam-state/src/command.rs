//! Commands carried in the Raft log and the responses apply produces.
//!
//! These types are serialized into the log and into snapshots: change them only in
//! backward-compatible ways.

use iam_model::{Account, IamError, Tag, User};
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
}

/// A state change. Ids and secrets are chosen before proposing and carried here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    CreateAccount {
        account_id: String,
        name: String,
        email: String,
    },
    CreateUser {
        account: String,
        name: String,
        path: String,
        user_id: String,
        tags: Vec<Tag>,
        permissions_boundary: Option<String>,
    },
    DeleteUser {
        account: String,
        name: String,
    },
}

impl Command {
    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateAccount { .. } => "CreateAccount",
            Self::CreateUser { .. } => "CreateUser",
            Self::DeleteUser { .. } => "DeleteUser",
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
