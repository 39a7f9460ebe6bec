//! The resource of each account-scoped query, family by family.

use super::scope::{Resource, Scope};
use super::KeyOwner;
use crate::ops::access_keys::AccessKeyQuery;
use crate::ops::account::AccountQuery;
use crate::ops::groups::GroupQuery;
use crate::ops::instance_profiles::InstanceProfileQuery;
use crate::ops::login_profiles::LoginProfileQuery;
use crate::ops::mfa::MfaQuery;
use crate::ops::oidc_providers::OidcProviderQuery;
use crate::ops::policies::PolicyQuery;
use crate::ops::quotas::QuotaQuery;
use crate::ops::roles::{service_linked, RoleQuery};
use crate::ops::server_certs::ServerCertQuery;
use crate::ops::users::UserQuery;
use crate::ops::Q;

pub(super) fn resource(s: &Scope<'_>, q: &Q) -> Resource {
    match q {
        Q::User(q) => match q {
            UserQuery::Get { name } | UserQuery::ListTags { name, .. } => s.user(name),
            UserQuery::List { path_prefix, .. } => s.listing("user", path_prefix),
        },
        Q::Group(q) => match q {
            GroupQuery::Get { name, .. } => s.group(name),
            GroupQuery::List { path_prefix, .. } => s.listing("group", path_prefix),
            GroupQuery::ListForUser { user_name, .. } => s.user(user_name),
        },
        Q::Role(q) => match q {
            RoleQuery::Get { name } | RoleQuery::ListTags { name, .. } => s.role(name),
            RoleQuery::List { path_prefix, .. } => s.listing("role", path_prefix),
            // The role the task deleted, as its id names it (`role/*` for an id that names
            // none, which the query refuses).
            RoleQuery::ServiceLinkedDeletionStatus { deletion_task_id } => {
                match service_linked::task_role(deletion_task_id) {
                    Some(role) => Resource::named(s.arn("role", "/", role)),
                    None => s.listing("role", "/"),
                }
            }
        },
        Q::InstanceProfile(q) => instance_profile(s, q),
        Q::Policy(q) => policy(s, q),
        Q::AccessKey(q) => {
            let owner = match q {
                AccessKeyQuery::List { user_name, .. } => KeyOwner::named(user_name),
                AccessKeyQuery::GetLastUsed { access_key_id }
                | AccessKeyQuery::Lookup { access_key_id } => s.key_owner(None, access_key_id),
            };
            s.key_resource(owner)
        }
        Q::LoginProfile(LoginProfileQuery::Get { user_name }) => s.user(user_name),
        Q::SshKey(q) => s.key_resource(KeyOwner::named(q.user_name())),
        Q::SigningCert(q) => s.key_resource(KeyOwner::named(q.user_name())),
        Q::Mfa(q) => match q {
            MfaQuery::ListVirtual { .. } => s.listing("mfa", "/"),
            MfaQuery::List { user_name, .. } | MfaQuery::Get { user_name, .. } => {
                s.mfa_owner(user_name)
            }
            MfaQuery::ListTags { serial_number, .. } => s.mfa_device(serial_number),
        },
        Q::ServerCert(q) => match q {
            ServerCertQuery::Get {
                server_certificate_name,
            }
            | ServerCertQuery::ListTags {
                server_certificate_name,
                ..
            } => s.server_cert(server_certificate_name),
            ServerCertQuery::List { path_prefix, .. } => {
                s.listing("server-certificate", path_prefix)
            }
        },
        Q::OidcProvider(q) => match q {
            OidcProviderQuery::Get { provider_arn }
            | OidcProviderQuery::ListTags { provider_arn, .. } => s.oidc_provider(provider_arn),
            OidcProviderQuery::List {} => s.listing("oidc-provider", "/"),
        },
        // Account settings, reports, quotas and usage caps are account-level.
        Q::Account(
            AccountQuery::ListAliases { .. }
            | AccountQuery::GetPasswordPolicy {}
            | AccountQuery::GetSummary {}
            | AccountQuery::GetCredentialReport { .. }
            | AccountQuery::GetAuthorizationDetails { .. },
        )
        | Q::Quota(
            QuotaQuery::ListQuotas
            | QuotaQuery::ListQuotaRequests { .. }
            | QuotaQuery::GetQuotaRequest { .. }
            | QuotaQuery::GetUsage { .. }
            | QuotaQuery::ListUsage { .. },
        )
        | Q::Events(_) => Resource::named("*".to_owned()),
    }
}

fn instance_profile(s: &Scope<'_>, q: &InstanceProfileQuery) -> Resource {
    match q {
        InstanceProfileQuery::Get { name } | InstanceProfileQuery::ListTags { name, .. } => {
            s.instance_profile(name)
        }
        InstanceProfileQuery::List { path_prefix, .. } => {
            s.listing("instance-profile", path_prefix)
        }
        InstanceProfileQuery::ListForRole { role_name, .. } => s.role(role_name),
    }
}

fn policy(s: &Scope<'_>, q: &PolicyQuery) -> Resource {
    match q {
        PolicyQuery::Get { policy_arn }
        | PolicyQuery::GetVersion { policy_arn, .. }
        | PolicyQuery::ListVersions { policy_arn, .. }
        | PolicyQuery::ListTags { policy_arn, .. }
        | PolicyQuery::ListEntities { policy_arn, .. } => s.policy(policy_arn),
        PolicyQuery::List { path_prefix, .. } => s.listing("policy", path_prefix),
        PolicyQuery::ListAttached {
            entity,
            entity_name,
            ..
        }
        | PolicyQuery::GetInline {
            entity,
            entity_name,
            ..
        }
        | PolicyQuery::ListInline {
            entity,
            entity_name,
            ..
        } => s.principal(*entity, entity_name),
    }
}
