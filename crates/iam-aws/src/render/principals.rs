//! User, Group, Role and InstanceProfile elements and the actions that return them. List
//! actions leave out what AWS leaves out (tags and permissions boundaries).

use super::{boundary, read};
use crate::error::AwsError;
use crate::xml::Xml;
use iam_model::{Account, Group, Role, Tag, User};
use iam_state::ops::groups::GroupPage;
use iam_state::ops::instance_profiles::InstanceProfileView;
use iam_state::ops::roles::service_linked::{DeletionStatusView, DeletionTaskView};
use iam_state::ops::Page;
use serde_json::Value;

/// A `User` element's content. `full` adds what only Get/Create return.
pub(crate) fn user(x: &mut Xml, u: &User, full: bool) {
    x.text("Path", &u.path)
        .text("UserName", &u.name)
        .text("UserId", &u.id)
        .text("Arn", &u.arn)
        .time("CreateDate", u.created_ms);
    if full {
        boundary(x, u.permissions_boundary.as_deref());
        x.tags_if_any(&u.tags);
    }
}

/// The root identity as a `User`: `UserId` is the account id and `Arn` the root ARN.
fn root(x: &mut Xml, a: &Account) {
    x.text("UserId", &a.id)
        .text("Arn", &a.root_arn)
        .time("CreateDate", a.created_ms);
}

pub(crate) fn group(x: &mut Xml, g: &Group) {
    x.text("Path", &g.path)
        .text("GroupName", &g.name)
        .text("GroupId", &g.id)
        .text("Arn", &g.arn)
        .time("CreateDate", g.created_ms);
}

/// A `Role` element's content; the trust policy is URL-encoded.
pub(crate) fn role(x: &mut Xml, r: &Role, full: bool) {
    x.text("Path", &r.path)
        .text("RoleName", &r.name)
        .text("RoleId", &r.id)
        .text("Arn", &r.arn)
        .time("CreateDate", r.created_ms)
        .doc("AssumeRolePolicyDocument", &r.assume_role_policy)
        .nonempty("Description", &r.description)
        .num("MaxSessionDuration", r.max_session_duration);
    if full {
        boundary(x, r.permissions_boundary.as_deref());
        x.tags_if_any(&r.tags);
    }
}

pub(crate) fn instance_profile(x: &mut Xml, p: &InstanceProfileView) {
    x.text("Path", &p.path)
        .text("InstanceProfileName", &p.name)
        .text("InstanceProfileId", &p.id)
        .text("Arn", &p.arn)
        .time("CreateDate", p.created_ms)
        .list("Roles", &p.roles, |x, r| role(x, r, false))
        .tags_if_any(&p.tags);
}

fn wrap(x: &mut Xml, tag: &str, f: impl FnOnce(&mut Xml)) {
    x.open(tag);
    f(x);
    x.close(tag);
}

/// Writes the result of `action` if it is this family's; false otherwise.
pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    match action {
        // GetUser asked by the root about itself answers the account.
        "CreateUser" | "GetUser" => match read::<Account>(action, v) {
            Ok(a) => wrap(x, "User", |x| root(x, &a)),
            Err(_) => {
                let u: User = read(action, v)?;
                wrap(x, "User", |x| user(x, &u, true));
            }
        },
        "ListUsers" => {
            let p: Page<User> = read(action, v)?;
            x.page("Users", &p, |x, u| user(x, u, false));
        }
        "ListUserTags"
        | "ListRoleTags"
        | "ListInstanceProfileTags"
        | "ListPolicyTags"
        | "ListMFADeviceTags"
        | "ListOpenIDConnectProviderTags"
        | "ListServerCertificateTags" => {
            let p: Page<Tag> = read(action, v)?;
            x.tags(&p.items).paging(p.is_truncated, p.marker.as_deref());
        }
        "CreateGroup" => {
            let g: Group = read(action, v)?;
            wrap(x, "Group", |x| group(x, &g));
        }
        "GetGroup" => {
            let p: GroupPage = read(action, v)?;
            wrap(x, "Group", |x| group(x, &p.group));
            x.list("Users", &p.users, |x, u| user(x, u, false))
                .paging(p.is_truncated, p.marker.as_deref());
        }
        "ListGroups" | "ListGroupsForUser" => {
            let p: Page<Group> = read(action, v)?;
            x.page("Groups", &p, group);
        }
        "CreateRole" | "GetRole" | "UpdateRoleDescription" | "CreateServiceLinkedRole" => {
            let r: Role = read(action, v)?;
            wrap(x, "Role", |x| role(x, &r, true));
        }
        "UpdateRole" => {}
        "DeleteServiceLinkedRole" => {
            let t: DeletionTaskView = read(action, v)?;
            x.text("DeletionTaskId", &t.deletion_task_id);
        }
        // `Reason` only for a failed deletion, which iamd never has.
        "GetServiceLinkedRoleDeletionStatus" => {
            let s: DeletionStatusView = read(action, v)?;
            x.text("Status", &s.status);
        }
        "ListRoles" => {
            let p: Page<Role> = read(action, v)?;
            x.page("Roles", &p, |x, r| role(x, r, false));
        }
        "CreateInstanceProfile" | "GetInstanceProfile" => {
            let p: InstanceProfileView = read(action, v)?;
            wrap(x, "InstanceProfile", |x| instance_profile(x, &p));
        }
        "ListInstanceProfiles" | "ListInstanceProfilesForRole" => {
            let p: Page<InstanceProfileView> = read(action, v)?;
            x.page("InstanceProfiles", &p, instance_profile);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
