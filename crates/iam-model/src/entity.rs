//! The stored entity records shared by several parts of the system (the state machine's
//! families, the authorization index, the API). Records that only one family uses live with
//! that family in `iam-state`.
//!
//! Field order and types are part of the replicated state's byte format (records are
//! serialized deterministically), so add fields only at the end and with `#[serde(default)]`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// The account alias (AWS allows one), if set.
    #[serde(default)]
    pub alias: Option<String>,
}

/// Inline policies of a principal: policy name (case preserved, unique as given) → document
/// (as submitted).
pub type InlinePolicies = BTreeMap<String, String>;

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
    /// ARN of the managed policy used as permissions boundary.
    pub permissions_boundary: Option<String>,
    /// Names of the groups the user is in (as the groups spell them), sorted by
    /// lowercased name. At most `GROUPS_PER_USER_MAX`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// ARNs of attached managed policies, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
}

/// An IAM group. Its members are recorded in `User::groups` and in the membership index
/// (`iam_state::keys::group_member`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AGPA…`
    pub id: String,
    pub arn: String,
    pub created_ms: u64,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    /// The field the next release adds (a stand-in for the rolling-upgrade test; see
    /// iam-state's `release-next` feature). Absent from records without it.
    #[cfg(feature = "release-next")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Group {
    /// A group with no policies.
    pub fn new(
        account: &str,
        name: &str,
        path: &str,
        id: &str,
        arn: String,
        created_ms: u64,
    ) -> Self {
        Self {
            account: account.to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
            id: id.to_owned(),
            arn,
            created_ms,
            attached_policies: Vec::new(),
            inline_policies: Default::default(),
            #[cfg(feature = "release-next")]
            note: None,
        }
    }
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AROA…`
    pub id: String,
    pub arn: String,
    pub created_ms: u64,
    /// The trust policy document (as submitted).
    pub assume_role_policy: String,
    pub description: String,
    /// Seconds, 3600–43200.
    pub max_session_duration: u32,
    pub tags: Vec<Tag>,
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    /// The unique ids (`AIDA…`, `AROA…`) of the IAM users and roles the trust policy names,
    /// by ARN, bound when the policy was saved, as IAM does: a principal deleted since, or
    /// deleted and created again under the same name (a new id), no longer matches, and the
    /// policy shows the id in place of the ARN. `None` for a role saved before iamd bound
    /// them (its principals match by ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_principal_ids: Option<BTreeMap<String, String>>,
}

/// An instance profile: a container for at most one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AIPA…`
    pub id: String,
    pub arn: String,
    pub created_ms: u64,
    /// Names of the roles in the profile (AWS allows one).
    pub roles: Vec<String>,
    pub tags: Vec<Tag>,
}

/// One stored version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub version_id: String,
    pub document: String,
    pub created_ms: u64,
}

/// A customer managed policy with its stored versions (at most 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `ANPA…`
    pub id: String,
    pub arn: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// Set at creation; cannot be changed afterwards (as in AWS).
    pub description: String,
    pub default_version: String,
    /// Stored versions, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets (`v{next_version}`); never reused.
    pub next_version: u32,
    /// Users, groups and roles the policy is attached to (as a permissions policy).
    pub attachment_count: u32,
    /// Users and roles that use the policy as their permissions boundary.
    pub boundary_usage_count: u32,
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    /// The document of the default version.
    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version)
            .map(|v| v.document.as_str())
    }
}
