//! Managed policies, versions, attachments and inline policies. Documents are URL-encoded
//! (GetPolicyVersion `Document`, Get*Policy `PolicyDocument`).

use super::ITEMS;
use crate::xml::Xml;
use serde_json::Value;

/// A `Policy` element's content. ListPolicies leaves out `Description` and `Tags` (as AWS
/// does).
fn policy(x: &mut Xml, v: &Value, full: bool) {
    x.str_field("PolicyName", v, "policy_name")
        .str_field("PolicyId", v, "policy_id")
        .str_field("Arn", v, "arn")
        .str_field("Path", v, "path")
        .str_field("DefaultVersionId", v, "default_version_id")
        .int_field("AttachmentCount", v, "attachment_count")
        .int_field(
            "PermissionsBoundaryUsageCount",
            v,
            "permissions_boundary_usage_count",
        )
        .bool_field("IsAttachable", v, "is_attachable");
    if full {
        x.nonempty_field("Description", v, "description");
    }
    x.time_field("CreateDate", v, "created_ms")
        .time_field("UpdateDate", v, "updated_ms");
    if full {
        x.tags_if_any(v);
    }
}

fn version(x: &mut Xml, v: &Value) {
    x.doc_field("Document", v, "document")
        .str_field("VersionId", v, "version_id")
        .bool_field("IsDefaultVersion", v, "is_default_version")
        .time_field("CreateDate", v, "created_ms");
}

/// The per-kind name element of Get{User,Group,Role}Policy.
fn entity_name_tag(action: &str) -> &'static str {
    match action {
        "GetUserPolicy" => "UserName",
        "GetGroupPolicy" => "GroupName",
        _ => "RoleName",
    }
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> bool {
    match action {
        "CreatePolicy" | "GetPolicy" => {
            x.open("Policy");
            policy(x, v, true);
            x.close("Policy");
        }
        "ListPolicies" => {
            x.members("Policies", v, ITEMS, |x, p| policy(x, p, false))
                .paging(v);
        }
        "CreatePolicyVersion" | "GetPolicyVersion" => {
            x.open("PolicyVersion");
            version(x, v);
            x.close("PolicyVersion");
        }
        "ListPolicyVersions" => {
            x.members("Versions", v, ITEMS, version).paging(v);
        }
        "ListEntitiesForPolicy" => {
            x.members("PolicyGroups", v, "policy_groups", |x, g| {
                x.str_field("GroupName", g, "group_name")
                    .str_field("GroupId", g, "group_id");
            })
            .members("PolicyUsers", v, "policy_users", |x, u| {
                x.str_field("UserName", u, "user_name")
                    .str_field("UserId", u, "user_id");
            })
            .members("PolicyRoles", v, "policy_roles", |x, r| {
                x.str_field("RoleName", r, "role_name")
                    .str_field("RoleId", r, "role_id");
            })
            .paging(v);
        }
        "ListAttachedUserPolicies" | "ListAttachedGroupPolicies" | "ListAttachedRolePolicies" => {
            x.members("AttachedPolicies", v, ITEMS, |x, a| {
                x.str_field("PolicyName", a, "policy_name")
                    .str_field("PolicyArn", a, "policy_arn");
            })
            .paging(v);
        }
        "GetUserPolicy" | "GetGroupPolicy" | "GetRolePolicy" => {
            x.str_field(entity_name_tag(action), v, "entity_name")
                .str_field("PolicyName", v, "policy_name")
                .doc_field("PolicyDocument", v, "policy_document");
        }
        "ListUserPolicies" | "ListGroupPolicies" | "ListRolePolicies" => {
            x.string_members("PolicyNames", v, ITEMS).paging(v);
        }
        _ => return false,
    }
    true
}
