//! Users, groups (and memberships), roles and instance profiles.

use super::{non_user, Call, Caller, Cx};
use crate::error::{AwsError, AwsErrors};
use iam_state::ops::groups::{GroupOp, GroupQuery};
use iam_state::ops::instance_profiles::{InstanceProfileOp, InstanceProfileQuery};
use iam_state::ops::roles::{RoleOp, RoleQuery};
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::Query;

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let p = cx.p;
    let call = match action {
        // ---- users
        "CreateUser" => cx.write(UserOp::Create {
            name: cx.req("UserName")?,
            path: cx.path(),
            tags: p.tags("Tags")?,
            permissions_boundary: cx.opt("PermissionsBoundary"),
            user_id: String::new(),
        }),
        "GetUser" => match (cx.opt("UserName"), cx.caller) {
            (Some(name), _) => cx.read(UserQuery::Get { name }),
            (None, Caller::User(name)) => cx.read(UserQuery::Get {
                name: name.to_owned(),
            }),
            // AWS describes the root identity; `render` turns the account record into it.
            (None, Caller::Root) => Call::Read(Query::GetAccount {
                account_id: cx.account.to_owned(),
            }),
            (None, Caller::Other) => return Err(non_user()),
        },
        "UpdateUser" => cx.write(UserOp::Update {
            name: cx.req("UserName")?,
            new_name: cx.opt("NewUserName"),
            new_path: cx.opt("NewPath"),
        }),
        "DeleteUser" => cx.write(UserOp::Delete {
            name: cx.req("UserName")?,
        }),
        "ListUsers" => cx.read(UserQuery::List {
            path_prefix: cx.path_prefix(),
            page: cx.page()?,
        }),
        "TagUser" => cx.write(UserOp::Tag {
            name: cx.req("UserName")?,
            tags: required_tags(cx)?,
        }),
        "UntagUser" => cx.write(UserOp::Untag {
            name: cx.req("UserName")?,
            tag_keys: p.required_list("TagKeys")?,
        }),
        "ListUserTags" => cx.read(UserQuery::ListTags {
            name: cx.req("UserName")?,
            page: cx.page()?,
        }),
        // ---- groups
        "CreateGroup" => cx.write(GroupOp::create(cx.req("GroupName")?, cx.path(), "")),
        "GetGroup" => cx.read(GroupQuery::Get {
            name: cx.req("GroupName")?,
            page: cx.page()?,
        }),
        "UpdateGroup" => cx.write(GroupOp::Update {
            name: cx.req("GroupName")?,
            new_name: cx.opt("NewGroupName"),
            new_path: cx.opt("NewPath"),
        }),
        "DeleteGroup" => cx.write(GroupOp::Delete {
            name: cx.req("GroupName")?,
        }),
        "ListGroups" => cx.read(GroupQuery::List {
            path_prefix: cx.path_prefix(),
            page: cx.page()?,
        }),
        "ListGroupsForUser" => cx.read(GroupQuery::ListForUser {
            user_name: cx.req("UserName")?,
            page: cx.page()?,
        }),
        "AddUserToGroup" => cx.write(GroupOp::AddUser {
            group_name: cx.req("GroupName")?,
            user_name: cx.req("UserName")?,
        }),
        "RemoveUserFromGroup" => cx.write(GroupOp::RemoveUser {
            group_name: cx.req("GroupName")?,
            user_name: cx.req("UserName")?,
        }),
        // ---- roles
        "CreateRole" => cx.write(RoleOp::Create {
            name: cx.req("RoleName")?,
            path: cx.path(),
            assume_role_policy_document: cx.req("AssumeRolePolicyDocument")?,
            description: cx.opt("Description"),
            max_session_duration: p.u32("MaxSessionDuration")?,
            permissions_boundary: cx.opt("PermissionsBoundary"),
            tags: p.tags("Tags")?,
            role_id: String::new(),
        }),
        "GetRole" => cx.read(RoleQuery::Get {
            name: cx.req("RoleName")?,
        }),
        "UpdateRole" => cx.write(RoleOp::Update {
            name: cx.req("RoleName")?,
            description: cx.opt("Description"),
            max_session_duration: p.u32("MaxSessionDuration")?,
        }),
        "UpdateRoleDescription" => cx.write(RoleOp::UpdateDescription {
            name: cx.req("RoleName")?,
            description: cx.req("Description")?,
        }),
        "UpdateAssumeRolePolicy" => cx.write(RoleOp::UpdateAssumeRolePolicy {
            name: cx.req("RoleName")?,
            policy_document: cx.req("PolicyDocument")?,
        }),
        "DeleteRole" => cx.write(RoleOp::Delete {
            name: cx.req("RoleName")?,
        }),
        "ListRoles" => cx.read(RoleQuery::List {
            path_prefix: cx.path_prefix(),
            page: cx.page()?,
        }),
        "TagRole" => cx.write(RoleOp::Tag {
            name: cx.req("RoleName")?,
            tags: required_tags(cx)?,
        }),
        "UntagRole" => cx.write(RoleOp::Untag {
            name: cx.req("RoleName")?,
            tag_keys: p.required_list("TagKeys")?,
        }),
        "ListRoleTags" => cx.read(RoleQuery::ListTags {
            name: cx.req("RoleName")?,
            page: cx.page()?,
        }),
        // ---- service-linked roles
        "CreateServiceLinkedRole" => cx.write(RoleOp::CreateServiceLinked {
            aws_service_name: cx.req("AWSServiceName")?,
            description: cx.opt("Description"),
            custom_suffix: cx.opt("CustomSuffix"),
            role_id: String::new(),
        }),
        "DeleteServiceLinkedRole" => cx.write(RoleOp::DeleteServiceLinked {
            name: cx.req("RoleName")?,
            task_uuid: String::new(),
        }),
        "GetServiceLinkedRoleDeletionStatus" => cx.read(RoleQuery::ServiceLinkedDeletionStatus {
            deletion_task_id: cx.req("DeletionTaskId")?,
        }),
        // ---- instance profiles
        "CreateInstanceProfile" => cx.write(InstanceProfileOp::Create {
            name: cx.req("InstanceProfileName")?,
            path: cx.path(),
            tags: p.tags("Tags")?,
            instance_profile_id: String::new(),
        }),
        "GetInstanceProfile" => cx.read(InstanceProfileQuery::Get {
            name: cx.req("InstanceProfileName")?,
        }),
        "DeleteInstanceProfile" => cx.write(InstanceProfileOp::Delete {
            name: cx.req("InstanceProfileName")?,
        }),
        "ListInstanceProfiles" => cx.read(InstanceProfileQuery::List {
            path_prefix: cx.path_prefix(),
            page: cx.page()?,
        }),
        "ListInstanceProfilesForRole" => cx.read(InstanceProfileQuery::ListForRole {
            role_name: cx.req("RoleName")?,
            page: cx.page()?,
        }),
        "AddRoleToInstanceProfile" => cx.write(InstanceProfileOp::AddRole {
            instance_profile_name: cx.req("InstanceProfileName")?,
            role_name: cx.req("RoleName")?,
        }),
        "RemoveRoleFromInstanceProfile" => cx.write(InstanceProfileOp::RemoveRole {
            instance_profile_name: cx.req("InstanceProfileName")?,
            role_name: cx.req("RoleName")?,
        }),
        "TagInstanceProfile" => cx.write(InstanceProfileOp::Tag {
            name: cx.req("InstanceProfileName")?,
            tags: required_tags(cx)?,
        }),
        "UntagInstanceProfile" => cx.write(InstanceProfileOp::Untag {
            name: cx.req("InstanceProfileName")?,
            tag_keys: p.required_list("TagKeys")?,
        }),
        "ListInstanceProfileTags" => cx.read(InstanceProfileQuery::ListTags {
            name: cx.req("InstanceProfileName")?,
            page: cx.page()?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}

/// `Tags` of the Tag* actions, where the list is required.
pub(super) fn required_tags(cx: &Cx<'_>) -> Result<Vec<iam_model::Tag>, AwsError> {
    if !cx.p.has_list("Tags") {
        return Err(AwsError::missing("Tags"));
    }
    cx.p.tags("Tags")
}
