//! Customer managed policies and their versions ([`managed`]), attachments to users, groups
//! and roles ([`attach`]), inline policies ([`inline`]), permissions boundaries
//! ([`boundary`]) and the documents that apply to a principal ([`effective_documents`]).
//!
//! User, group and role records belong to their own families; this family loads and stores
//! them directly and touches only `attached_policies`, `inline_policies` and
//! `permissions_boundary`. A managed policy's `attachment_count`, the entities'
//! `attached_policies` and the `pent/` index always change together.

mod attach;
mod boundary;
mod effective;
mod inline;
mod managed;
mod principal;
mod validate;

use super::paging::PageRequest;
use super::{Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::{ErrorCode, IamError, IamResult, ManagedPolicy, Tag};
use serde::{Deserialize, Serialize};

pub use crate::keys::EntityKind;
pub(crate) use attach::release_role;
pub use attach::{AttachedPolicy, EntitiesPage, PolicyGroup, PolicyRole, PolicyUser};
pub use effective::{effective_documents, EffectiveDocuments, LabelledDocument};
pub use inline::InlinePolicyView;
pub use managed::{PolicyView, VersionView};

/// Principals that can have a permissions boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BoundaryEntity {
    User,
    Role,
}

impl BoundaryEntity {
    pub fn kind(self) -> EntityKind {
        match self {
            Self::User => EntityKind::User,
            Self::Role => EntityKind::Role,
        }
    }
}

/// `ListPolicies` `Scope`. There are no AWS managed policies in iamd, so `AWS` lists nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    #[default]
    All,
    Local,
    #[serde(rename = "AWS")]
    Aws,
}

/// `PolicyUsageFilter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyUsage {
    PermissionsPolicy,
    PermissionsBoundary,
}

/// `ListEntitiesForPolicy` `EntityFilter`. The two policy values list nothing (no entity is
/// a policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityFilter {
    User,
    Role,
    Group,
    LocalManagedPolicy,
    #[serde(rename = "AWSManagedPolicy")]
    AwsManagedPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyOp {
    /// CreatePolicy.
    Create {
        policy_name: String,
        #[serde(default = "default_path")]
        path: String,
        policy_document: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        tags: Vec<Tag>,
        /// Chosen by the proposing node.
        #[serde(default)]
        policy_id: String,
    },
    /// DeletePolicy.
    Delete { policy_arn: String },
    /// CreatePolicyVersion.
    CreateVersion {
        policy_arn: String,
        policy_document: String,
        #[serde(default)]
        set_as_default: bool,
    },
    /// DeletePolicyVersion.
    DeleteVersion {
        policy_arn: String,
        version_id: String,
    },
    /// SetDefaultPolicyVersion.
    SetDefaultVersion {
        policy_arn: String,
        version_id: String,
    },
    /// TagPolicy.
    Tag { policy_arn: String, tags: Vec<Tag> },
    /// UntagPolicy.
    Untag {
        policy_arn: String,
        tag_keys: Vec<String>,
    },
    /// Attach{User,Group,Role}Policy.
    Attach {
        entity: EntityKind,
        entity_name: String,
        policy_arn: String,
    },
    /// Detach{User,Group,Role}Policy.
    Detach {
        entity: EntityKind,
        entity_name: String,
        policy_arn: String,
    },
    /// Put{User,Group,Role}Policy.
    PutInline {
        entity: EntityKind,
        entity_name: String,
        policy_name: String,
        policy_document: String,
    },
    /// Delete{User,Group,Role}Policy.
    DeleteInline {
        entity: EntityKind,
        entity_name: String,
        policy_name: String,
    },
    /// Put{User,Role}PermissionsBoundary.
    PutBoundary {
        entity: BoundaryEntity,
        entity_name: String,
        permissions_boundary: String,
    },
    /// Delete{User,Role}PermissionsBoundary.
    DeleteBoundary {
        entity: BoundaryEntity,
        entity_name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyQuery {
    /// GetPolicy.
    Get { policy_arn: String },
    /// ListPolicies.
    List {
        #[serde(default)]
        scope: Scope,
        #[serde(default)]
        only_attached: bool,
        #[serde(default = "default_path")]
        path_prefix: String,
        #[serde(default)]
        policy_usage_filter: Option<PolicyUsage>,
        #[serde(default)]
        page: PageRequest,
    },
    /// GetPolicyVersion.
    GetVersion {
        policy_arn: String,
        version_id: String,
    },
    /// ListPolicyVersions.
    ListVersions {
        policy_arn: String,
        #[serde(default)]
        page: PageRequest,
    },
    /// ListPolicyTags.
    ListTags {
        policy_arn: String,
        #[serde(default)]
        page: PageRequest,
    },
    /// ListEntitiesForPolicy.
    ListEntities {
        policy_arn: String,
        #[serde(default)]
        entity_filter: Option<EntityFilter>,
        #[serde(default = "default_path")]
        path_prefix: String,
        #[serde(default)]
        policy_usage_filter: Option<PolicyUsage>,
        #[serde(default)]
        page: PageRequest,
    },
    /// ListAttached{User,Group,Role}Policies.
    ListAttached {
        entity: EntityKind,
        entity_name: String,
        #[serde(default = "default_path")]
        path_prefix: String,
        #[serde(default)]
        page: PageRequest,
    },
    /// Get{User,Group,Role}Policy.
    GetInline {
        entity: EntityKind,
        entity_name: String,
        policy_name: String,
    },
    /// List{User,Group,Role}Policies.
    ListInline {
        entity: EntityKind,
        entity_name: String,
        #[serde(default)]
        page: PageRequest,
    },
}

pub fn default_path() -> String {
    "/".to_owned()
}

fn per_kind(
    kind: EntityKind,
    user: &'static str,
    group: &'static str,
    role: &'static str,
) -> &'static str {
    match kind {
        EntityKind::User => user,
        EntityKind::Group => group,
        EntityKind::Role => role,
    }
}

impl PolicyOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreatePolicy",
            Self::Delete { .. } => "DeletePolicy",
            Self::CreateVersion { .. } => "CreatePolicyVersion",
            Self::DeleteVersion { .. } => "DeletePolicyVersion",
            Self::SetDefaultVersion { .. } => "SetDefaultPolicyVersion",
            Self::Tag { .. } => "TagPolicy",
            Self::Untag { .. } => "UntagPolicy",
            Self::Attach { entity, .. } => per_kind(
                *entity,
                "AttachUserPolicy",
                "AttachGroupPolicy",
                "AttachRolePolicy",
            ),
            Self::Detach { entity, .. } => per_kind(
                *entity,
                "DetachUserPolicy",
                "DetachGroupPolicy",
                "DetachRolePolicy",
            ),
            Self::PutInline { entity, .. } => {
                per_kind(*entity, "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy")
            }
            Self::DeleteInline { entity, .. } => per_kind(
                *entity,
                "DeleteUserPolicy",
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
            ),
            Self::PutBoundary { entity, .. } => match entity {
                BoundaryEntity::User => "PutUserPermissionsBoundary",
                BoundaryEntity::Role => "PutRolePermissionsBoundary",
            },
            Self::DeleteBoundary { entity, .. } => match entity {
                BoundaryEntity::User => "DeleteUserPermissionsBoundary",
                BoundaryEntity::Role => "DeleteRolePermissionsBoundary",
            },
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Create { policy_id, .. } = self {
            *policy_id = env.unique_id(IdPrefix::Policy);
        }
    }
}

impl PolicyQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetPolicy",
            Self::List { .. } => "ListPolicies",
            Self::GetVersion { .. } => "GetPolicyVersion",
            Self::ListVersions { .. } => "ListPolicyVersions",
            Self::ListTags { .. } => "ListPolicyTags",
            Self::ListEntities { .. } => "ListEntitiesForPolicy",
            Self::ListAttached { entity, .. } => per_kind(
                *entity,
                "ListAttachedUserPolicies",
                "ListAttachedGroupPolicies",
                "ListAttachedRolePolicies",
            ),
            Self::GetInline { entity, .. } => {
                per_kind(*entity, "GetUserPolicy", "GetGroupPolicy", "GetRolePolicy")
            }
            Self::ListInline { entity, .. } => per_kind(
                *entity,
                "ListUserPolicies",
                "ListGroupPolicies",
                "ListRolePolicies",
            ),
        }
    }
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &PolicyOp) -> IamResult<Outcome> {
    match op {
        PolicyOp::Create {
            policy_name,
            path,
            policy_document,
            description,
            tags,
            policy_id,
        } => managed::create(
            cx,
            managed::NewPolicy {
                name: policy_name,
                path,
                document: policy_document,
                description,
                tags,
                id: policy_id,
            },
        ),
        PolicyOp::Delete { policy_arn } => managed::delete(cx, policy_arn),
        PolicyOp::CreateVersion {
            policy_arn,
            policy_document,
            set_as_default,
        } => managed::create_version(cx, policy_arn, policy_document, *set_as_default),
        PolicyOp::DeleteVersion {
            policy_arn,
            version_id,
        } => managed::delete_version(cx, policy_arn, version_id),
        PolicyOp::SetDefaultVersion {
            policy_arn,
            version_id,
        } => managed::set_default_version(cx, policy_arn, version_id),
        PolicyOp::Tag { policy_arn, tags } => managed::tag(cx, policy_arn, tags),
        PolicyOp::Untag {
            policy_arn,
            tag_keys,
        } => managed::untag(cx, policy_arn, tag_keys),
        PolicyOp::Attach {
            entity,
            entity_name,
            policy_arn,
        } => attach::attach(cx, *entity, entity_name, policy_arn),
        PolicyOp::Detach {
            entity,
            entity_name,
            policy_arn,
        } => attach::detach(cx, *entity, entity_name, policy_arn),
        PolicyOp::PutInline {
            entity,
            entity_name,
            policy_name,
            policy_document,
        } => inline::put(cx, *entity, entity_name, policy_name, policy_document),
        PolicyOp::DeleteInline {
            entity,
            entity_name,
            policy_name,
        } => inline::delete(cx, *entity, entity_name, policy_name),
        PolicyOp::PutBoundary {
            entity,
            entity_name,
            permissions_boundary,
        } => boundary::put(cx, *entity, entity_name, permissions_boundary),
        PolicyOp::DeleteBoundary {
            entity,
            entity_name,
        } => boundary::delete(cx, *entity, entity_name),
    }
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &PolicyQuery,
) -> IamResult<serde_json::Value> {
    match q {
        PolicyQuery::Get { policy_arn } => managed::get(state, account, policy_arn),
        PolicyQuery::List {
            scope,
            only_attached,
            path_prefix,
            policy_usage_filter,
            page,
        } => managed::list(
            state,
            account,
            *scope,
            *only_attached,
            path_prefix,
            *policy_usage_filter,
            page,
        ),
        PolicyQuery::GetVersion {
            policy_arn,
            version_id,
        } => managed::get_version(state, account, policy_arn, version_id),
        PolicyQuery::ListVersions { policy_arn, page } => {
            managed::list_versions(state, account, policy_arn, page)
        }
        PolicyQuery::ListTags { policy_arn, page } => {
            managed::list_tags(state, account, policy_arn, page)
        }
        PolicyQuery::ListEntities {
            policy_arn,
            entity_filter,
            path_prefix,
            policy_usage_filter,
            page,
        } => attach::list_entities(
            state,
            account,
            policy_arn,
            *entity_filter,
            path_prefix,
            *policy_usage_filter,
            page,
        ),
        PolicyQuery::ListAttached {
            entity,
            entity_name,
            path_prefix,
            page,
        } => attach::list_attached(state, account, *entity, entity_name, path_prefix, page),
        PolicyQuery::GetInline {
            entity,
            entity_name,
            policy_name,
        } => inline::get(state, account, *entity, entity_name, policy_name),
        PolicyQuery::ListInline {
            entity,
            entity_name,
            page,
        } => inline::list(state, account, *entity, entity_name, page),
    }
}

fn invalid_arn(policy_arn: &str) -> IamError {
    IamError::new(
        ErrorCode::InvalidInput,
        format!("ARN {policy_arn} is not valid."),
    )
}

/// AWS's `NoSuchEntity` for a policy ARN that names nothing attachable here.
fn not_attachable(policy_arn: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("Policy {policy_arn} does not exist or is not attachable."),
    )
}

/// Splits a customer managed policy ARN of `account` into its name; AWS managed and other
/// accounts' policies are not attachable here.
pub fn policy_name_from_arn<'a>(account: &str, policy_arn: &'a str) -> IamResult<&'a str> {
    let rest = policy_arn
        .strip_prefix("arn:aws:iam::")
        .ok_or_else(|| invalid_arn(policy_arn))?;
    let (acct, resource) = rest
        .split_once(':')
        .ok_or_else(|| invalid_arn(policy_arn))?;
    let path_name = resource
        .strip_prefix("policy/")
        .ok_or_else(|| invalid_arn(policy_arn))?;
    if acct != account {
        return Err(not_attachable(policy_arn));
    }
    let name = path_name.rsplit('/').next().unwrap_or(path_name);
    if name.is_empty() {
        return Err(invalid_arn(policy_arn));
    }
    Ok(name)
}

/// Records that a user or role starts (`delta` = 1) or stops (-1) using a managed policy as
/// its permissions boundary; fails with `NoSuchEntity` when the policy does not exist.
pub(crate) fn use_as_boundary(cx: &mut Ctx<'_, '_>, policy_arn: &str, delta: i64) -> IamResult<()> {
    let name = policy_name_from_arn(cx.account, policy_arn)?;
    let key = keys::policy(cx.account, name);
    let mut p = match cx.txn.get_json::<ManagedPolicy>(&key) {
        Some(p) if p.arn == policy_arn => p,
        Some(_) | None if delta < 0 => return Ok(()),
        _ => return Err(not_attachable(policy_arn)),
    };
    p.boundary_usage_count = p
        .boundary_usage_count
        .saturating_add_signed(i32::try_from(delta).unwrap_or(0));
    cx.txn.put_json(key, &p);
    Ok(())
}

/// The default version's document of the customer managed policy `policy_arn` of
/// `account`, if it exists (session policies given by ARN).
pub fn default_document(state: &dyn StateRead, account: &str, policy_arn: &str) -> Option<String> {
    let name = policy_name_from_arn(account, policy_arn).ok()?;
    let p: ManagedPolicy = Txn::new(state).get_json(&keys::policy(account, name))?;
    if p.arn != policy_arn {
        return None;
    }
    p.versions
        .into_iter()
        .find(|v| v.version_id == p.default_version)
        .map(|v| v.document)
}
