//! The stored entity records. Field order and types are part of the replicated state's byte
//! format (records are serialized deterministically), so add fields only with `#[serde(default)]`.

use serde::{Deserialize, Serialize};

/// A key/value tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An account and its root identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// Email of the root identity.
    pub email: String,
    pub root_arn: String,
    /// Milliseconds since the Unix epoch, chosen by the proposer.
    pub created_ms: u64,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AIDA…`
    pub id: String,
    pub arn: String,
    pub created_ms: u64,
    pub tags: Vec<Tag>,
    pub permissions_boundary: Option<String>,
}
