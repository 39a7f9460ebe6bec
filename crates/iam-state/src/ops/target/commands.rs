//! The resource, request tags and key facts of each account-scoped op, family by family.

use super::scope::{Facts, Resource, Scope};
use super::KeyOwner;
use crate::ops::access_keys::AccessKeyOp;
use crate::ops::account::AccountOp;
use crate::ops::groups::GroupOp;
use crate::ops::instance_profiles::InstanceProfileOp;
use crate::ops::login_profiles::LoginProfileOp;
use crate::ops::mfa::MfaOp;
use crate::ops::oidc_providers::OidcProviderOp;
use crate::ops::policies::PolicyOp;
use crate::ops::quotas::QuotaOp;
use crate::ops::roles::{service_linked, RoleOp};
use crate::ops::server_certs::ServerCertOp;
use crate::ops::signing_certs::SigningCertOp;
use crate::ops::ssh_keys::SshKeyOp;
use crate::ops::users::UserOp;
use crate::ops::Op;

pub(super) fn facts<'o>(s: &Scope<'_>, op: &'o Op) -> Facts<'o> {
    match op {
        Op::User(o) => user(s, o),
        Op::Group(o) => group(s, o),
        Op::Role(o) => role(s, o),
        Op::InstanceProfile(o) => instance_profile(s, o),
        Op::Policy(o) => policy(s, o),
        Op::AccessKey(o) => Facts::of(access_key(s, o)),
        Op::LoginProfile(o) => Facts::of(login_profile(s, o)),
        Op::Mfa(o) => mfa(s, o),
        Op::Account(o) => Facts::on(account(o)),
        Op::Quota(o) => Facts::on(quota(o)),
        Op::OidcProvider(o) => oidc_provider(s, o),
        Op::SshKey(o) => Facts::of(ssh_key(s, o)),
        Op::SigningCert(o) => Facts::of(signing_cert(s, o)),
        Op::ServerCert(o) => server_cert(s, o),
    }
}

fn user<'o>(s: &Scope<'_>, op: &'o UserOp) -> Facts<'o> {
    match op {
        UserOp::Create {
            name,
            path,
            tags,
            permissions_boundary,
            ..
        } => Facts::on(s.arn("user", path, name))
            .tagging(tags)
            .boundary(permissions_boundary.as_deref()),
        UserOp::Tag { name, tags } => Facts::of(s.user(name)).tagging(tags),
        UserOp::Untag { name, tag_keys } => Facts::of(s.user(name)).untagging(tag_keys),
        UserOp::Update {
            name,
            new_name,
            new_path,
        } => {
            let place = s.user_place(name);
            let place = place.as_ref().map(|(p, n)| (p.as_str(), n.as_str()));
            let moved = s.moved(
                "user",
                place,
                name,
                new_name.as_deref(),
                new_path.as_deref(),
            );
            Facts::of(s.user(name)).also(moved)
        }
        UserOp::Delete { name } => Facts::of(s.user(name)),
    }
}

fn group<'o>(s: &Scope<'_>, op: &'o GroupOp) -> Facts<'o> {
    match op {
        GroupOp::Create { name, path, .. } => Facts::on(s.arn("group", path, name)),
        GroupOp::Update {
            name,
            new_name,
            new_path,
        } => {
            let place = s.group_place(name);
            let place = place.as_ref().map(|(p, n)| (p.as_str(), n.as_str()));
            let moved = s.moved(
                "group",
                place,
                name,
                new_name.as_deref(),
                new_path.as_deref(),
            );
            Facts::of(s.group(name)).also(moved)
        }
        GroupOp::Delete { name } => Facts::of(s.group(name)),
        GroupOp::AddUser { group_name, .. } | GroupOp::RemoveUser { group_name, .. } => {
            Facts::of(s.group(group_name))
        }
    }
}

fn role<'o>(s: &Scope<'_>, op: &'o RoleOp) -> Facts<'o> {
    match op {
        RoleOp::Create {
            name,
            path,
            tags,
            permissions_boundary,
            ..
        } => Facts::on(s.arn("role", path, name))
            .tagging(tags)
            .boundary(permissions_boundary.as_deref()),
        RoleOp::Tag { name, tags } => Facts::of(s.role(name)).tagging(tags),
        RoleOp::Untag { name, tag_keys } => Facts::of(s.role(name)).untagging(tag_keys),
        RoleOp::Update { name, .. }
        | RoleOp::UpdateDescription { name, .. }
        | RoleOp::UpdateAssumeRolePolicy { name, .. }
        | RoleOp::Delete { name }
        | RoleOp::DeleteServiceLinked { name, .. } => Facts::of(s.role(name)),
        // The role it would create (AWS: `role*`, with `iam:AWSServiceName`). A service name
        // that makes no role name (refused by apply) names the service's path only.
        RoleOp::CreateServiceLinked {
            aws_service_name,
            custom_suffix,
            ..
        } => {
            let path = format!("{}{aws_service_name}/", service_linked::PATH_PREFIX);
            let name = service_linked::role_name(aws_service_name, custom_suffix.as_deref())
                .unwrap_or_default();
            Facts::on(s.arn("role", &path, &name)).service(aws_service_name)
        }
    }
}

fn instance_profile<'o>(s: &Scope<'_>, op: &'o InstanceProfileOp) -> Facts<'o> {
    match op {
        InstanceProfileOp::Create {
            name, path, tags, ..
        } => Facts::on(s.arn("instance-profile", path, name)).tagging(tags),
        InstanceProfileOp::Tag { name, tags } => Facts::of(s.instance_profile(name)).tagging(tags),
        InstanceProfileOp::Untag { name, tag_keys } => {
            Facts::of(s.instance_profile(name)).untagging(tag_keys)
        }
        InstanceProfileOp::Delete { name } => Facts::of(s.instance_profile(name)),
        // The instance profile is the resource (AWS: `instance-profile*`).
        InstanceProfileOp::AddRole {
            instance_profile_name,
            ..
        }
        | InstanceProfileOp::RemoveRole {
            instance_profile_name,
            ..
        } => Facts::of(s.instance_profile(instance_profile_name)),
    }
}

fn policy<'o>(s: &Scope<'_>, op: &'o PolicyOp) -> Facts<'o> {
    match op {
        PolicyOp::Create {
            policy_name,
            path,
            tags,
            ..
        } => Facts::on(s.arn("policy", path, policy_name)).tagging(tags),
        PolicyOp::Tag { policy_arn, tags } => Facts::of(s.policy(policy_arn)).tagging(tags),
        PolicyOp::Untag {
            policy_arn,
            tag_keys,
        } => Facts::of(s.policy(policy_arn)).untagging(tag_keys),
        PolicyOp::Delete { policy_arn }
        | PolicyOp::CreateVersion { policy_arn, .. }
        | PolicyOp::DeleteVersion { policy_arn, .. }
        | PolicyOp::SetDefaultVersion { policy_arn, .. } => Facts::of(s.policy(policy_arn)),
        // The principal outranks the policy, which is `iam:PolicyARN`.
        PolicyOp::Attach {
            entity,
            entity_name,
            policy_arn,
        }
        | PolicyOp::Detach {
            entity,
            entity_name,
            policy_arn,
        } => Facts::of(s.principal(*entity, entity_name)).policy(policy_arn),
        PolicyOp::PutInline {
            entity,
            entity_name,
            ..
        }
        | PolicyOp::DeleteInline {
            entity,
            entity_name,
            ..
        } => Facts::of(s.principal(*entity, entity_name)),
        PolicyOp::PutBoundary {
            entity,
            entity_name,
            permissions_boundary,
        } => Facts::of(s.principal(entity.kind(), entity_name))
            .boundary(Some(permissions_boundary.as_str())),
        PolicyOp::DeleteBoundary {
            entity,
            entity_name,
        } => Facts::of(s.principal(entity.kind(), entity_name)),
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

fn access_key(s: &Scope<'_>, op: &AccessKeyOp) -> Resource {
    s.key_resource(key_owner(s, op))
}

/// An SSH key op acts on its user.
fn ssh_key(s: &Scope<'_>, op: &SshKeyOp) -> Resource {
    s.key_resource(KeyOwner::named(op.user_name()))
}

/// A signing certificate op acts on its user.
fn signing_cert(s: &Scope<'_>, op: &SigningCertOp) -> Resource {
    s.key_resource(KeyOwner::named(op.user_name()))
}

/// A server certificate op acts on the certificate's ARN (the new one, for an upload; both,
/// for a move or rename).
fn server_cert<'o>(s: &Scope<'_>, op: &'o ServerCertOp) -> Facts<'o> {
    match op {
        ServerCertOp::Upload {
            server_certificate_name,
            path,
            tags,
            ..
        } => Facts::on(s.arn("server-certificate", path, server_certificate_name)).tagging(tags),
        ServerCertOp::Tag {
            server_certificate_name,
            tags,
        } => Facts::of(s.server_cert(server_certificate_name)).tagging(tags),
        ServerCertOp::Untag {
            server_certificate_name,
            tag_keys,
        } => Facts::of(s.server_cert(server_certificate_name)).untagging(tag_keys),
        ServerCertOp::Update {
            server_certificate_name,
            new_path,
            new_server_certificate_name,
        } => {
            let place = s.server_cert_place(server_certificate_name);
            let place = place.as_ref().map(|(p, n)| (p.as_str(), n.as_str()));
            let moved = s.moved(
                "server-certificate",
                place,
                server_certificate_name,
                new_server_certificate_name.as_deref(),
                new_path.as_deref(),
            );
            Facts::of(s.server_cert(server_certificate_name)).also(moved)
        }
        ServerCertOp::Delete {
            server_certificate_name,
        } => Facts::of(s.server_cert(server_certificate_name)),
    }
}

fn login_profile(s: &Scope<'_>, op: &LoginProfileOp) -> Resource {
    match op {
        LoginProfileOp::Create { user_name, .. }
        | LoginProfileOp::Update { user_name, .. }
        | LoginProfileOp::Delete { user_name }
        | LoginProfileOp::RecordUse { user_name }
        | LoginProfileOp::RecordFailure { user_name }
        | LoginProfileOp::ReserveAttempt { user_name }
        | LoginProfileOp::ForgetFailures { user_name }
        | LoginProfileOp::ChangePassword { user_name, .. } => s.user(user_name),
    }
}

fn mfa<'o>(s: &Scope<'_>, op: &'o MfaOp) -> Facts<'o> {
    match op {
        MfaOp::CreateVirtual {
            name, path, tags, ..
        } => Facts::on(s.arn("mfa", path, name)).tagging(tags),
        // The user outranks the device.
        MfaOp::Enable { user_name, .. }
        | MfaOp::Deactivate { user_name, .. }
        | MfaOp::Resync { user_name, .. }
        | MfaOp::Authenticate { user_name, .. }
        | MfaOp::CheckCode { user_name, .. }
        | MfaOp::EnableChecked { user_name, .. }
        | MfaOp::ResyncChecked { user_name, .. } => Facts::of(s.mfa_owner(user_name)),
        MfaOp::DeleteVirtual { serial_number } => Facts::of(s.mfa_device(serial_number)),
        MfaOp::Tag {
            serial_number,
            tags,
        } => Facts::of(s.mfa_device(serial_number)).tagging(tags),
        MfaOp::Untag {
            serial_number,
            tag_keys,
        } => Facts::of(s.mfa_device(serial_number)).untagging(tag_keys),
    }
}

fn oidc_provider<'o>(s: &Scope<'_>, op: &'o OidcProviderOp) -> Facts<'o> {
    match op {
        OidcProviderOp::Create { url, tags, .. } => {
            Facts::on(s.new_oidc_provider(url)).tagging(tags)
        }
        OidcProviderOp::Tag { provider_arn, tags } => {
            Facts::of(s.oidc_provider(provider_arn)).tagging(tags)
        }
        OidcProviderOp::Untag {
            provider_arn,
            tag_keys,
        } => Facts::of(s.oidc_provider(provider_arn)).untagging(tag_keys),
        OidcProviderOp::Delete { provider_arn }
        | OidcProviderOp::AddClientId { provider_arn, .. }
        | OidcProviderOp::RemoveClientId { provider_arn, .. }
        | OidcProviderOp::UpdateThumbprint { provider_arn, .. } => {
            Facts::of(s.oidc_provider(provider_arn))
        }
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
