//! GetAccountAuthorizationDetails: users, groups, roles and managed policies with their
//! inline documents (URL-encoded), attachments, memberships, instance profiles and every
//! policy version, in botocore's member order.

use super::policies::{policy, version};
use super::principals::instance_profile;
use super::{boundary, read};
use crate::error::AwsError;
use crate::xml::Xml;
use iam_model::{Group, InlinePolicies, ManagedPolicy, User};
use iam_state::ops::account::authorization_details::{AuthorizationDetails, RoleDetail};
use iam_state::ops::policies::{PolicyView, VersionView};
use serde_json::Value;

/// Inline documents as `PolicyDetail` members (name order).
fn inline(x: &mut Xml, tag: &str, docs: &InlinePolicies) {
    let docs: Vec<(&String, &String)> = docs.iter().collect();
    x.list(tag, &docs, |x, (name, doc)| {
        x.text("PolicyName", name).doc("PolicyDocument", doc);
    });
}

/// Attached managed policies as `AttachedPolicy` members (attachment order); the name is
/// the ARN's last segment.
fn attached(x: &mut Xml, arns: &[String]) {
    x.list("AttachedManagedPolicies", arns, |x, arn| {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        x.text("PolicyName", name).text("PolicyArn", arn);
    });
}

fn user(x: &mut Xml, u: &User) {
    x.text("Path", &u.path)
        .text("UserName", &u.name)
        .text("UserId", &u.id)
        .text("Arn", &u.arn)
        .time("CreateDate", u.created_ms);
    inline(x, "UserPolicyList", &u.inline_policies);
    x.strings("GroupList", &u.groups);
    attached(x, &u.attached_policies);
    boundary(x, u.permissions_boundary.as_deref());
    x.tags_if_any(&u.tags);
}

fn group(x: &mut Xml, g: &Group) {
    x.text("Path", &g.path)
        .text("GroupName", &g.name)
        .text("GroupId", &g.id)
        .text("Arn", &g.arn)
        .time("CreateDate", g.created_ms);
    inline(x, "GroupPolicyList", &g.inline_policies);
    attached(x, &g.attached_policies);
}

fn role(x: &mut Xml, d: &RoleDetail) {
    let r = &d.role;
    x.text("Path", &r.path)
        .text("RoleName", &r.name)
        .text("RoleId", &r.id)
        .text("Arn", &r.arn)
        .time("CreateDate", r.created_ms)
        .doc("AssumeRolePolicyDocument", &r.assume_role_policy)
        .list(
            "InstanceProfileList",
            &d.instance_profiles,
            instance_profile,
        );
    inline(x, "RolePolicyList", &r.inline_policies);
    attached(x, &r.attached_policies);
    boundary(x, r.permissions_boundary.as_deref());
    x.tags_if_any(&r.tags);
}

fn managed(x: &mut Xml, p: &ManagedPolicy) {
    // `ManagedPolicyDetail` has a Description but no Tags.
    let view = PolicyView {
        tags: Vec::new(),
        ..PolicyView::from(p)
    };
    policy(x, &view, true);
    let versions: Vec<VersionView> = p
        .versions
        .iter()
        .map(|v| VersionView {
            version_id: v.version_id.clone(),
            is_default_version: v.version_id == p.default_version,
            created_ms: v.created_ms,
            document: Some(v.document.clone()),
        })
        .collect();
    x.list("PolicyVersionList", &versions, version);
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    if action != "GetAccountAuthorizationDetails" {
        return Ok(false);
    }
    let d: AuthorizationDetails = read(action, v)?;
    x.list("UserDetailList", &d.users, user)
        .list("GroupDetailList", &d.groups, group)
        .list("RoleDetailList", &d.roles, role)
        .list("Policies", &d.policies, managed)
        .paging(d.is_truncated, d.marker.as_deref());
    Ok(true)
}
