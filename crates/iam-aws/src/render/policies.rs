//! Managed policies, versions, attachments and inline policies. Documents are URL-encoded
//! (GetPolicyVersion `Document`, Get*Policy `PolicyDocument`).

use super::read;
use crate::error::AwsError;
use crate::xml::Xml;
use iam_state::ops::policies::{
    AttachedPolicy, EntitiesPage, EntityKind, InlinePolicyView, PolicyView, VersionView,
};
use iam_state::ops::Page;
use serde_json::Value;

/// A `Policy` element's content. ListPolicies leaves out `Description` and `Tags` (as AWS
/// does).
pub(super) fn policy(x: &mut Xml, p: &PolicyView, full: bool) {
    x.text("PolicyName", &p.policy_name)
        .text("PolicyId", &p.policy_id)
        .text("Arn", &p.arn)
        .text("Path", &p.path)
        .text("DefaultVersionId", &p.default_version_id)
        .num("AttachmentCount", p.attachment_count)
        .num(
            "PermissionsBoundaryUsageCount",
            p.permissions_boundary_usage_count,
        )
        .flag("IsAttachable", p.is_attachable);
    if full {
        x.nonempty("Description", &p.description);
    }
    x.time("CreateDate", p.created_ms)
        .time("UpdateDate", p.updated_ms);
    if full {
        x.tags_if_any(&p.tags);
    }
}

pub(super) fn version(x: &mut Xml, v: &VersionView) {
    if let Some(d) = &v.document {
        x.doc("Document", d);
    }
    x.text("VersionId", &v.version_id)
        .flag("IsDefaultVersion", v.is_default_version)
        .time("CreateDate", v.created_ms);
}

/// The per-kind name element of Get{User,Group,Role}Policy.
fn entity_name_tag(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::User => "UserName",
        EntityKind::Group => "GroupName",
        EntityKind::Role => "RoleName",
    }
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    match action {
        "CreatePolicy" | "GetPolicy" => {
            let p: PolicyView = read(action, v)?;
            x.open("Policy");
            policy(x, &p, true);
            x.close("Policy");
        }
        "ListPolicies" => {
            let p: Page<PolicyView> = read(action, v)?;
            x.page("Policies", &p, |x, p| policy(x, p, false));
        }
        "CreatePolicyVersion" | "GetPolicyVersion" => {
            let v: VersionView = read(action, v)?;
            x.open("PolicyVersion");
            version(x, &v);
            x.close("PolicyVersion");
        }
        "ListPolicyVersions" => {
            let p: Page<VersionView> = read(action, v)?;
            x.page("Versions", &p, version);
        }
        "ListEntitiesForPolicy" => {
            let p: EntitiesPage = read(action, v)?;
            x.list("PolicyGroups", &p.policy_groups, |x, g| {
                x.text("GroupName", &g.group_name)
                    .text("GroupId", &g.group_id);
            })
            .list("PolicyUsers", &p.policy_users, |x, u| {
                x.text("UserName", &u.user_name).text("UserId", &u.user_id);
            })
            .list("PolicyRoles", &p.policy_roles, |x, r| {
                x.text("RoleName", &r.role_name).text("RoleId", &r.role_id);
            })
            .paging(p.is_truncated, p.marker.as_deref());
        }
        "ListAttachedUserPolicies" | "ListAttachedGroupPolicies" | "ListAttachedRolePolicies" => {
            let p: Page<AttachedPolicy> = read(action, v)?;
            x.page("AttachedPolicies", &p, |x, a| {
                x.text("PolicyName", &a.policy_name)
                    .text("PolicyArn", &a.policy_arn);
            });
        }
        "GetUserPolicy" | "GetGroupPolicy" | "GetRolePolicy" => {
            let p: InlinePolicyView = read(action, v)?;
            x.text(entity_name_tag(p.entity), &p.entity_name)
                .text("PolicyName", &p.policy_name)
                .doc("PolicyDocument", &p.policy_document);
        }
        "ListUserPolicies" | "ListGroupPolicies" | "ListRolePolicies" => {
            let p: Page<String> = read(action, v)?;
            x.strings("PolicyNames", &p.items)
                .paging(p.is_truncated, p.marker.as_deref());
        }
        _ => return Ok(false),
    }
    Ok(true)
}
