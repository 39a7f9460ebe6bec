//! User, Group, Role and InstanceProfile elements and the actions that return them. List
//! actions leave out what AWS leaves out (tags and permissions boundaries).

use super::{boundary, ITEMS};
use crate::xml::Xml;
use serde_json::Value;

/// A `User` element's content. `full` adds what only Get/Create return. An account
/// record (GetUser by the root) becomes the root identity: `UserId` is the account id and
/// `Arn` the root ARN.
pub(crate) fn user(x: &mut Xml, v: &Value, full: bool) {
    if v.get("root_arn").is_some() {
        x.str_field("UserId", v, "id")
            .str_field("Arn", v, "root_arn")
            .time_field("CreateDate", v, "created_ms");
        return;
    }
    x.str_field("Path", v, "path")
        .str_field("UserName", v, "name")
        .str_field("UserId", v, "id")
        .str_field("Arn", v, "arn")
        .time_field("CreateDate", v, "created_ms");
    if full {
        boundary(x, v);
        x.tags_if_any(v);
    }
}

pub(crate) fn group(x: &mut Xml, v: &Value) {
    x.str_field("Path", v, "path")
        .str_field("GroupName", v, "name")
        .str_field("GroupId", v, "id")
        .str_field("Arn", v, "arn")
        .time_field("CreateDate", v, "created_ms");
}

/// A `Role` element's content; the trust policy is URL-encoded.
pub(crate) fn role(x: &mut Xml, v: &Value, full: bool) {
    x.str_field("Path", v, "path")
        .str_field("RoleName", v, "name")
        .str_field("RoleId", v, "id")
        .str_field("Arn", v, "arn")
        .time_field("CreateDate", v, "created_ms")
        .doc_field("AssumeRolePolicyDocument", v, "assume_role_policy")
        .nonempty_field("Description", v, "description")
        .int_field("MaxSessionDuration", v, "max_session_duration");
    if full {
        boundary(x, v);
        x.tags_if_any(v);
    }
}

pub(crate) fn instance_profile(x: &mut Xml, v: &Value) {
    x.str_field("Path", v, "path")
        .str_field("InstanceProfileName", v, "name")
        .str_field("InstanceProfileId", v, "id")
        .str_field("Arn", v, "arn")
        .time_field("CreateDate", v, "created_ms")
        .members("Roles", v, "roles", |x, r| role(x, r, false))
        .tags_if_any(v);
}

fn wrap(x: &mut Xml, tag: &str, v: &Value, f: impl FnOnce(&mut Xml, &Value)) {
    x.open(tag);
    f(x, v);
    x.close(tag);
}

/// Writes the result of `action` if it is this family's; false otherwise.
pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> bool {
    match action {
        "CreateUser" | "GetUser" => wrap(x, "User", v, |x, v| user(x, v, true)),
        "ListUsers" => {
            x.members("Users", v, ITEMS, |x, u| user(x, u, false))
                .paging(v);
        }
        "ListUserTags"
        | "ListRoleTags"
        | "ListInstanceProfileTags"
        | "ListPolicyTags"
        | "ListMFADeviceTags" => {
            x.tags(v, ITEMS).paging(v);
        }
        "CreateGroup" => wrap(x, "Group", v, group),
        "GetGroup" => {
            if let Some(g) = v.get("group") {
                wrap(x, "Group", g, group);
            }
            x.members("Users", v, "users", |x, u| user(x, u, false))
                .paging(v);
        }
        "ListGroups" | "ListGroupsForUser" => {
            x.members("Groups", v, ITEMS, group).paging(v);
        }
        "CreateRole" | "GetRole" | "UpdateRoleDescription" => {
            wrap(x, "Role", v, |x, v| role(x, v, true));
        }
        "UpdateRole" => {}
        "ListRoles" => {
            x.members("Roles", v, ITEMS, |x, r| role(x, r, false))
                .paging(v);
        }
        "CreateInstanceProfile" | "GetInstanceProfile" => {
            wrap(x, "InstanceProfile", v, instance_profile);
        }
        "ListInstanceProfiles" | "ListInstanceProfilesForRole" => {
            x.members("InstanceProfiles", v, ITEMS, instance_profile)
                .paging(v);
        }
        _ => return false,
    }
    true
}
