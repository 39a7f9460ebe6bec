//! Managed policies and their versions, attachments, inline policies and permissions
//! boundaries.

use super::{principals::required_tags, Call, Cx};
use crate::error::{AwsError, AwsErrors};
use iam_state::ops::policies::{
    BoundaryEntity, EntityFilter, EntityKind, PolicyOp, PolicyQuery, PolicyUsage, Scope,
};

/// The principal kind and its name parameter in per-kind actions (`AttachUserPolicy` →
/// user, `UserName`).
fn kind_of(action: &str) -> Option<(EntityKind, &'static str)> {
    if action.contains("User") {
        Some((EntityKind::User, "UserName"))
    } else if action.contains("Group") {
        Some((EntityKind::Group, "GroupName"))
    } else if action.contains("Role") {
        Some((EntityKind::Role, "RoleName"))
    } else {
        None
    }
}

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let p = cx.p;
    let call = match action {
        "CreatePolicy" => cx.write(PolicyOp::Create {
            policy_name: cx.req("PolicyName")?,
            path: cx.path(),
            policy_document: cx.req("PolicyDocument")?,
            description: cx.opt("Description").unwrap_or_default(),
            tags: p.tags("Tags")?,
            policy_id: String::new(),
        }),
        "GetPolicy" => cx.read(PolicyQuery::Get {
            policy_arn: cx.req("PolicyArn")?,
        }),
        "DeletePolicy" => cx.write(PolicyOp::Delete {
            policy_arn: cx.req("PolicyArn")?,
        }),
        "ListPolicies" => cx.read(PolicyQuery::List {
            scope: scope(cx)?,
            only_attached: p.bool("OnlyAttached")?.unwrap_or(false),
            path_prefix: cx.path_prefix(),
            policy_usage_filter: usage(cx)?,
            page: cx.page()?,
        }),
        "CreatePolicyVersion" => cx.write(PolicyOp::CreateVersion {
            policy_arn: cx.req("PolicyArn")?,
            policy_document: cx.req("PolicyDocument")?,
            set_as_default: p.bool("SetAsDefault")?.unwrap_or(false),
        }),
        "GetPolicyVersion" => cx.read(PolicyQuery::GetVersion {
            policy_arn: cx.req("PolicyArn")?,
            version_id: cx.req("VersionId")?,
        }),
        "DeletePolicyVersion" => cx.write(PolicyOp::DeleteVersion {
            policy_arn: cx.req("PolicyArn")?,
            version_id: cx.req("VersionId")?,
        }),
        "ListPolicyVersions" => cx.read(PolicyQuery::ListVersions {
            policy_arn: cx.req("PolicyArn")?,
            page: cx.page()?,
        }),
        "SetDefaultPolicyVersion" => cx.write(PolicyOp::SetDefaultVersion {
            policy_arn: cx.req("PolicyArn")?,
            version_id: cx.req("VersionId")?,
        }),
        "TagPolicy" => cx.write(PolicyOp::Tag {
            policy_arn: cx.req("PolicyArn")?,
            tags: required_tags(cx)?,
        }),
        "UntagPolicy" => cx.write(PolicyOp::Untag {
            policy_arn: cx.req("PolicyArn")?,
            tag_keys: p.required_list("TagKeys")?,
        }),
        "ListPolicyTags" => cx.read(PolicyQuery::ListTags {
            policy_arn: cx.req("PolicyArn")?,
            page: cx.page()?,
        }),
        "ListEntitiesForPolicy" => cx.read(PolicyQuery::ListEntities {
            policy_arn: cx.req("PolicyArn")?,
            entity_filter: entity_filter(cx)?,
            path_prefix: cx.path_prefix(),
            policy_usage_filter: usage(cx)?,
            page: cx.page()?,
        }),
        "AttachUserPolicy" | "AttachGroupPolicy" | "AttachRolePolicy" => {
            let (entity, param) = per_kind(action)?;
            cx.write(PolicyOp::Attach {
                entity,
                entity_name: cx.req(param)?,
                policy_arn: cx.req("PolicyArn")?,
            })
        }
        "DetachUserPolicy" | "DetachGroupPolicy" | "DetachRolePolicy" => {
            let (entity, param) = per_kind(action)?;
            cx.write(PolicyOp::Detach {
                entity,
                entity_name: cx.req(param)?,
                policy_arn: cx.req("PolicyArn")?,
            })
        }
        "ListAttachedUserPolicies" | "ListAttachedGroupPolicies" | "ListAttachedRolePolicies" => {
            let (entity, param) = per_kind(action)?;
            cx.read(PolicyQuery::ListAttached {
                entity,
                entity_name: cx.req(param)?,
                path_prefix: cx.path_prefix(),
                page: cx.page()?,
            })
        }
        "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" => {
            let (entity, param) = per_kind(action)?;
            cx.write(PolicyOp::PutInline {
                entity,
                entity_name: cx.req(param)?,
                policy_name: cx.req("PolicyName")?,
                policy_document: cx.req("PolicyDocument")?,
            })
        }
        "GetUserPolicy" | "GetGroupPolicy" | "GetRolePolicy" => {
            let (entity, param) = per_kind(action)?;
            cx.read(PolicyQuery::GetInline {
                entity,
                entity_name: cx.req(param)?,
                policy_name: cx.req("PolicyName")?,
            })
        }
        "DeleteUserPolicy" | "DeleteGroupPolicy" | "DeleteRolePolicy" => {
            let (entity, param) = per_kind(action)?;
            cx.write(PolicyOp::DeleteInline {
                entity,
                entity_name: cx.req(param)?,
                policy_name: cx.req("PolicyName")?,
            })
        }
        "ListUserPolicies" | "ListGroupPolicies" | "ListRolePolicies" => {
            let (entity, param) = per_kind(action)?;
            cx.read(PolicyQuery::ListInline {
                entity,
                entity_name: cx.req(param)?,
                page: cx.page()?,
            })
        }
        "PutUserPermissionsBoundary" => cx.write(PolicyOp::PutBoundary {
            entity: BoundaryEntity::User,
            entity_name: cx.req("UserName")?,
            permissions_boundary: cx.req("PermissionsBoundary")?,
        }),
        "PutRolePermissionsBoundary" => cx.write(PolicyOp::PutBoundary {
            entity: BoundaryEntity::Role,
            entity_name: cx.req("RoleName")?,
            permissions_boundary: cx.req("PermissionsBoundary")?,
        }),
        "DeleteUserPermissionsBoundary" => cx.write(PolicyOp::DeleteBoundary {
            entity: BoundaryEntity::User,
            entity_name: cx.req("UserName")?,
        }),
        "DeleteRolePermissionsBoundary" => cx.write(PolicyOp::DeleteBoundary {
            entity: BoundaryEntity::Role,
            entity_name: cx.req("RoleName")?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}

fn per_kind(action: &str) -> Result<(EntityKind, &'static str), AwsError> {
    kind_of(action).ok_or_else(|| AwsError::invalid_action(action))
}

fn scope(cx: &Cx<'_>) -> Result<Scope, AwsError> {
    match cx.p.get("Scope") {
        None | Some("All") => Ok(Scope::All),
        Some("Local") => Ok(Scope::Local),
        Some("AWS") => Ok(Scope::Aws),
        Some(v) => Err(AwsError::invalid(
            "Scope",
            v,
            "Member must satisfy enum value set: [All, AWS, Local]",
        )),
    }
}

fn usage(cx: &Cx<'_>) -> Result<Option<PolicyUsage>, AwsError> {
    match cx.p.get("PolicyUsageFilter") {
        None => Ok(None),
        Some("PermissionsPolicy") => Ok(Some(PolicyUsage::PermissionsPolicy)),
        Some("PermissionsBoundary") => Ok(Some(PolicyUsage::PermissionsBoundary)),
        Some(v) => Err(AwsError::invalid(
            "PolicyUsageFilter",
            v,
            "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]",
        )),
    }
}

fn entity_filter(cx: &Cx<'_>) -> Result<Option<EntityFilter>, AwsError> {
    cx.p.get("EntityFilter")
        .map(|v| entity_type("EntityFilter", v))
        .transpose()
}

/// An `EntityType` value (`EntityFilter`, GetAccountAuthorizationDetails' `Filter`).
pub(super) fn entity_type(field: &str, v: &str) -> Result<EntityFilter, AwsError> {
    match v {
        "User" => Ok(EntityFilter::User),
        "Role" => Ok(EntityFilter::Role),
        "Group" => Ok(EntityFilter::Group),
        "LocalManagedPolicy" => Ok(EntityFilter::LocalManagedPolicy),
        "AWSManagedPolicy" => Ok(EntityFilter::AwsManagedPolicy),
        _ => Err(AwsError::invalid(
            field,
            v,
            "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]",
        )),
    }
}
