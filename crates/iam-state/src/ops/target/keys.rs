//! The IAM condition keys a call's resource and request supply, as the Service
//! Authorization Reference lists them per action ("Actions, resources, and condition keys
//! for AWS Identity and Access Management (IAM)", docs.aws.amazon.com/service-authorization/
//! latest/reference/list_awsidentityandaccessmanagementiam.html):
//!
//! - `aws:ResourceTag/<key>`: every action on an existing user, role, managed policy,
//!   instance profile, virtual MFA device or OpenID Connect provider (the resource types that
//!   list the key), with the resource's tags as they are before the call. Groups take no
//!   tags. A resource a `Create*` is about to make has no tags yet (its tags are
//!   `aws:RequestTag`).
//! - `iam:ResourceTag/<key>`: the same for users and roles ("the tags attached to an IAM
//!   entity (user or role)").
//! - `iam:PermissionsBoundary`: the boundary the request sets (CreateUser, CreateRole,
//!   PutUserPermissionsBoundary, PutRolePermissionsBoundary), else for
//!   [`CURRENT_BOUNDARY_ACTIONS`] the boundary the user or role has now. Absent when there
//!   is none.
//! - `iam:PolicyARN`: Attach/Detach{User,Group,Role}Policy, the managed policy named.
//! - `aws:TagKeys`: the keys of the tags a `Create*`/`Tag*` sets (with `aws:RequestTag/*`,
//!   added by the server from `Target::request_tags`), and the keys an `Untag*` removes.
//! - `iam:AWSServiceName`: CreateServiceLinkedRole, the service named.
//!
//! Not applicable in iamd: `iam:PassedToService`/`iam:AssociatedResourceArn` (no
//! `iam:PassRole`: no service takes roles), `iam:OrganizationsPolicyId` (no Organizations), the FIDO keys of
//! EnableMFADevice (virtual devices only), `iam:RoleTemplateARN` (no role templates).

use super::scope::Facts;
use iam_model::Tag;

/// The actions whose `iam:PermissionsBoundary` is the user's or role's current boundary.
pub const CURRENT_BOUNDARY_ACTIONS: &[&str] = &[
    "AttachRolePolicy",
    "AttachUserPolicy",
    "DeleteRole",
    "DeleteRolePermissionsBoundary",
    "DeleteRolePolicy",
    "DeleteUserPermissionsBoundary",
    "DeleteUserPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "GetRole",
    "PutRolePolicy",
    "PutUserPolicy",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "UpdateRoleDescription",
];

/// The actions that carry `iam:PolicyARN`.
pub const POLICY_ARN_ACTIONS: &[&str] = &[
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
];

/// The condition keys of IAM action `action` (its name without `iam:`) with `facts`.
pub(super) fn context(action: &str, facts: &Facts<'_>) -> Vec<(String, Vec<String>)> {
    let r = &facts.resource;
    let mut ctx = resource_tag_keys(&r.tags, r.identity);
    let boundary = match facts.new_boundary {
        Some(b) => Some(b.to_owned()),
        None if CURRENT_BOUNDARY_ACTIONS.contains(&action) => r.boundary.clone(),
        None => None,
    };
    if let Some(b) = boundary {
        ctx.push(("iam:PermissionsBoundary".to_owned(), vec![b]));
    }
    if let Some(p) = facts
        .policy_arn
        .filter(|_| POLICY_ARN_ACTIONS.contains(&action))
    {
        ctx.push(("iam:PolicyARN".to_owned(), vec![p.to_owned()]));
    }
    if let Some(s) = facts.aws_service_name {
        ctx.push(("iam:AWSServiceName".to_owned(), vec![s.to_owned()]));
    }
    if !facts.removed_tag_keys.is_empty() {
        ctx.push(("aws:TagKeys".to_owned(), facts.removed_tag_keys.to_vec()));
    }
    ctx
}

/// `aws:ResourceTag/<key>` for each of a resource's `tags`, and `iam:ResourceTag/<key>` too
/// when the resource is a user or role (`identity`). Also for STS: `sts:AssumeRole` on a
/// role carries the role's tags (IAM User Guide, "IAM: Assume roles that have a specific
/// tag", reference_policies_examples_iam-assume-tagged-role).
pub fn resource_tag_keys(tags: &[Tag], identity: bool) -> Vec<(String, Vec<String>)> {
    let mut ctx = Vec::with_capacity(tags.len() * 2);
    for t in tags {
        ctx.push((format!("aws:ResourceTag/{}", t.key), vec![t.value.clone()]));
        if identity {
            ctx.push((format!("iam:ResourceTag/{}", t.key), vec![t.value.clone()]));
        }
    }
    ctx
}
