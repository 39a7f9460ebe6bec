//! The resource and request tags of each account-scoped op, family by family.

use super::{KeyOwner, Scope};
use crate::ops::access_keys::AccessKeyOp;
use crate::ops::account::AccountOp;
use crate::ops::groups::GroupOp;
use crate::ops::instance_profiles::InstanceProfileOp;
use crate::ops::login_profiles::LoginProfileOp;
use crate::ops::mfa::MfaOp;
use crate::ops::policies::PolicyOp;
use crate::ops::quotas::QuotaOp;
use crate::ops::roles::RoleOp;
use crate::ops::users::UserOp;
use crate::ops::Op;
use iam_model::Tag;

const NO_TAGS: &[Tag] = &[];

pub(super) fn resource<'o>(s: &Scope<'_>, op: &'o Op) -> (String, &'o [Tag]) {
    match op {
        Op::User(o) => user(s, o),
        Op::Group(o) => (group(s, o), NO_TAGS),
        Op::Role(o) => role(s, o),
        Op::InstanceProfile(o) => instance_profile(s, o),
        Op::Policy(o) => policy(s, o),
        Op::AccessKey(o) => (access_key(s, o), NO_TAGS),
        Op::LoginProfile(o) => (login_profile(s, o), NO_TAGS),
        Op::Mfa(o) => mfa(s, o),
        Op::Account(o) => (account(o), NO_TAGS),
        Op::Quota(o) => (quota(o), NO_TAGS),
    }
}

fn user<'o>(s: &Scope<'_>, op: &'o UserOp) -> (String, &'o [Tag]) {
    match op {
        UserOp::Create {
            name, path, tags, ..
        } => (s.arn("user", path, name), tags),
        UserOp::Tag { name, tags } => (s.user(name), tags),
        UserOp::Delete { name } | UserOp::Update { name, .. } | UserOp::Untag { name, .. } => {
            (s.user(name), NO_TAGS)
        }
    }
}

fn group(s: &Scope<'_>, op: &GroupOp) -> String {
    match op {
        GroupOp::Create { name, path, .. } => s.arn("group", path, name),
        GroupOp::Update { name, .. } | GroupOp::Delete { name } => s.group(name),
        GroupOp::AddUser { group_name, .. } | GroupOp::RemoveUser { group_name, .. } => {
            s.group(group_name)
        }
    }
}

fn role<'o>(s: &Scope<'_>, op: &'o RoleOp) -> (String, &'o [Tag]) {
    match op {
        RoleOp::Create {
            name, path, tags, ..
        } => (s.arn("role", path, name), tags),
        RoleOp::Tag { name, tags } => (s.role(name), tags),
        RoleOp::Update { name, .. }
        | RoleOp::UpdateDescription { name, .. }
        | RoleOp::UpdateAssumeRolePolicy { name, .. }
        | RoleOp::Delete { name }
        | RoleOp::Untag { name, .. } => (s.role(name), NO_TAGS),
    }
}

fn instance_profile<'o>(s: &Scope<'_>, op: &'o InstanceProfileOp) -> (String, &'o [Tag]) {
    match op {
        InstanceProfileOp::Create {
            name, path, tags, ..
        } => (s.arn("instance-profile", path, name), tags),
        InstanceProfileOp::Tag { name, tags } => (s.instance_profile(name), tags),
        InstanceProfileOp::Delete { name } | InstanceProfileOp::Untag { name, .. } => {
            (s.instance_profile(name), NO_TAGS)
        }
        InstanceProfileOp::AddRole {
            instance_profile_name,
            ..
        }
        | InstanceProfileOp::RemoveRole {
            instance_profile_name,
            ..
        } => (s.instance_profile(instance_profile_name), NO_TAGS),
    }
}

fn policy<'o>(s: &Scope<'_>, op: &'o PolicyOp) -> (String, &'o [Tag]) {
    match op {
        PolicyOp::Create {
            policy_name,
            path,
            tags,
            ..
        } => (s.arn("policy", path, policy_name), tags),
        PolicyOp::Tag { policy_arn, tags } => (policy_arn.clone(), tags),
        PolicyOp::Delete { policy_arn }
        | PolicyOp::CreateVersion { policy_arn, .. }
        | PolicyOp::DeleteVersion { policy_arn, .. }
        | PolicyOp::SetDefaultVersion { policy_arn, .. }
        | PolicyOp::Untag { policy_arn, .. } => (policy_arn.clone(), NO_TAGS),
        // The principal outranks the policy.
        PolicyOp::Attach {
            entity,
            entity_name,
            ..
        }
        | PolicyOp::Detach {
            entity,
            entity_name,
            ..
        }
        | PolicyOp::PutInline {
            entity,
            entity_name,
            ..
        }
        | PolicyOp::DeleteInline {
            entity,
            entity_name,
            ..
        } => (s.principal(*entity, entity_name), NO_TAGS),
        PolicyOp::PutBoundary {
            entity,
            entity_name,
            ..
        }
        | PolicyOp::DeleteBoundary {
            entity,
            entity_name,
        } => (s.principal(entity.kind(), entity_name), NO_TAGS),
    }
}

/// Whose credentials an access-key op acts on (its user, the root, or unknown).
pub(super) fn key_owner(s: &Scope<'_>, op: &AccessKeyOp) -> KeyOwner {
    match op {
        AccessKeyOp::Create { user_name, .. } => KeyOwner::named(user_name),
        AccessKeyOp::Update {
            user_name,
            access_key_id,
            ..
        }
        | AccessKeyOp::Delete {
            user_name,
            access_key_id,
        } => s.key_owner(user_name.as_deref(), access_key_id),
        AccessKeyOp::RecordUse { access_key_id, .. } => s.key_owner(None, access_key_id),
    }
}

fn access_key(s: &Scope<'_>, op: &AccessKeyOp) -> String {
    s.key_resource(key_owner(s, op))
}

fn login_profile(s: &Scope<'_>, op: &LoginProfileOp) -> String {
    match op {
        LoginProfileOp::Create { user_name, .. }
        | LoginProfileOp::Update { user_name, .. }
        | LoginProfileOp::Delete { user_name }
        | LoginProfileOp::RecordUse { user_name }
        | LoginProfileOp::RecordFailure { user_name }
        | LoginProfileOp::ChangePassword { user_name, .. } => s.user(user_name),
    }
}

fn mfa<'o>(s: &Scope<'_>, op: &'o MfaOp) -> (String, &'o [Tag]) {
    match op {
        MfaOp::CreateVirtual {
            name, path, tags, ..
        } => (s.arn("mfa", path, name), tags),
        // The user outranks the device.
        MfaOp::Enable { user_name, .. }
        | MfaOp::Deactivate { user_name, .. }
        | MfaOp::Resync { user_name, .. }
        | MfaOp::Authenticate { user_name, .. } => (s.mfa_owner(user_name), NO_TAGS),
        MfaOp::DeleteVirtual { serial_number } => (mfa_serial(s, serial_number), NO_TAGS),
    }
}

/// A virtual MFA device's serial number is its ARN; anything else (which no device has)
/// is named as a device of this account.
fn mfa_serial(s: &Scope<'_>, serial_number: &str) -> String {
    if serial_number.starts_with("arn:") {
        serial_number.to_owned()
    } else {
        s.arn("mfa", "/", serial_number)
    }
}

/// Account settings are account-level: `*`.
fn account(op: &AccountOp) -> String {
    match op {
        AccountOp::CreateAlias { .. }
        | AccountOp::DeleteAlias { .. }
        | AccountOp::UpdatePasswordPolicy { .. }
        | AccountOp::DeletePasswordPolicy {}
        | AccountOp::GenerateCredentialReport {} => "*".to_owned(),
    }
}

/// Quotas and usage caps are account-level: `*`.
fn quota(op: &QuotaOp) -> String {
    match op {
        QuotaOp::RequestQuotaIncrease { .. }
        | QuotaOp::ApproveQuotaIncrease { .. }
        | QuotaOp::DenyQuotaIncrease { .. }
        | QuotaOp::SetUsageLimit { .. }
        | QuotaOp::Acquire { .. }
        | QuotaOp::Release { .. }
        | QuotaOp::DeleteUsageCap { .. } => "*".to_owned(),
    }
}
