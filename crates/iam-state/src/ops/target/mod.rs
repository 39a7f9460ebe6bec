//! What each command and query asks the policy engine: the action (`iam:CreateUser`, or
//! `iamd:…` for iamd's own operations), the resource ARN AWS's Service Authorization
//! Reference names for it, and the tags the request sets. The server authorizes every API
//! call with [`command_target`] / [`query_target`] before proposing or answering it.
//!
//! Resources:
//! - an existing user, group, role or instance profile is named by the ARN built from its
//!   stored path and name (the spelling it was created with, whatever case the request
//!   used); one that does not exist by the path `/` and the name as requested (the call
//!   then fails with `NoSuchEntity`); a `Create*` by the path and name in the op;
//! - managed policies by the policy ARN in the op, as given (apply accepts only the exact
//!   stored ARN); `CreatePolicy` by `policy{path}{name}`;
//! - virtual MFA devices by their serial number (an ARN); `CreateVirtualMFADevice` by
//!   `mfa{path}{name}`;
//! - OpenID Connect providers by the ARN in the op, as given; `CreateOpenIDConnectProvider`
//!   by `oidc-provider/{url without https://}`;
//! - when an op names several entities, the resource is the first of: instance profile,
//!   group, role, user, policy, MFA device (`AttachUserPolicy` → the user,
//!   `AddUserToGroup` → the group, `EnableMFADevice` → the user, …);
//! - service-linked roles: `CreateServiceLinkedRole` by the role it would create
//!   (`role/aws-service-role/{service}/{name}`), `GetServiceLinkedRoleDeletionStatus` by the
//!   role its task id names (`role/*` for an id that names none);
//! - account-wide lists: `{kind}{path_prefix}*` (`ListUsers` → `user/*`);
//! - account settings, credential reports and quotas: `*`;
//! - iamd's accounts: `arn:aws:iamd:::account/{id}` (`account/*` for all of them);
//! - access keys: their user; the account root's keys (`user_name` empty) and keys that do
//!   not exist in the account: `arn:aws:iam::ACCT:root`.
//!
//! Request tags are those of `Create*` ops with tags and of `Tag*` ops.
//!
//! UpdateUser and UpdateGroup with a new name or path also name the entity's new ARN
//! ([`Target::extra_resources`]): AWS requires permission on both the source and the target
//! ("to change Bob to Robert, the entity making the request must have permission on Bob and
//! Robert", IAM API Reference, UpdateUser/UpdateGroup).
//!
//! The condition keys the resource and the request supply ([`Target::context`]) are those
//! the Service Authorization Reference lists per IAM action ("Actions, resources, and
//! condition keys for AWS Identity and Access Management"); see [`keys`].

mod commands;
mod keys;
mod queries;
mod scope;

use crate::command::Command;
use crate::ops::{access_keys, mfa, Op, Query, Q};
use crate::store::StateRead;
use iam_model::Tag;
use scope::{Facts, Scope};

pub use keys::{resource_tag_keys, CURRENT_BOUNDARY_ACTIONS, POLICY_ARN_ACTIONS};

/// What one API call asks the policy engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// "iam:CreateUser", ...; iamd's own operations (not in AWS) use the "iamd:" prefix,
    /// e.g. "iamd:CreateAccount", "iamd:RequestQuotaIncrease".
    pub action: String,
    /// The resource ARN AWS evaluates for this action (see the module documentation).
    pub resource: String,
    /// Further resources the call acts on, each of which must be allowed as well: the new
    /// ARN of UpdateUser/UpdateGroup moving or renaming the entity. Usually empty.
    pub extra_resources: Vec<String>,
    /// Tags the request sets (for `aws:RequestTag/<key>` and `aws:TagKeys`): from `Tag*`
    /// ops and `Create*` ops with tags, in request order. Empty otherwise.
    pub request_tags: Vec<(String, String)>,
    /// The condition keys the resource and the op supply (key, values; a list for the
    /// multi-valued `aws:TagKeys`): `aws:ResourceTag/<k>` (and `iam:ResourceTag/<k>` for
    /// users and roles) with the resource's current tags, `iam:PolicyARN`,
    /// `iam:PermissionsBoundary`, and `aws:TagKeys` of `Untag*` (the keys removed).
    pub context: Vec<(String, Vec<String>)>,
}

impl Target {
    /// A target with only an action and a resource (no request tags, no keys).
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            extra_resources: Vec::new(),
            request_tags: Vec::new(),
            context: Vec::new(),
        }
    }

    /// Every resource the call must be allowed on: [`Target::resource`], then
    /// [`Target::extra_resources`].
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.resource.as_str())
            .chain(self.extra_resources.iter().map(String::as_str))
    }
}

/// Operation names that are iamd's own, not AWS IAM actions: authorized as `iamd:{name}`.
/// Besides these, every quota-family operation and every internal op is `iamd:`.
pub const IAMD_ACTIONS: &[&str] = &[
    // Accounts (top-level commands and queries).
    "CreateAccount",
    "SandboxReset",
    "RestoreSnapshot",
    "FinalizeUpgrade",
    "ListAccounts",
    "GetAccount",
    // Internal bookkeeping and authentication (refused from clients anyway).
    "RecordAccessKeyUse",
    "RecordPasswordUse",
    "RecordFailedSignIn",
    "AuthenticateMFA",
    "LookupAccessKey",
    "RotateKeyRing",
    "RevokeKeyRingKey",
    // Quotas and usage caps.
    "RequestQuotaIncrease",
    "ApproveQuotaIncrease",
    "DenyQuotaIncrease",
    "SetUsageLimit",
    "AcquireUsage",
    "ReleaseUsage",
    "DeleteUsageCap",
    "ListQuotas",
    "ListQuotaRequests",
    "GetQuotaRequest",
    "GetUsage",
    "ListUsage",
    // The event history.
    "LookupEvents",
];

/// The authorization request of a command.
pub fn command_target(state: &dyn StateRead, command: &Command) -> Target {
    match command {
        Command::CreateAccount { account_id, .. } => target(
            command.name(),
            true,
            Facts::on(account_arn(Some(account_id))),
        ),
        // They replace every account.
        Command::FinalizeRelease { .. } => target(
            command.name(),
            true,
            Facts::on("arn:aws:iamd:::cluster".to_owned()),
        ),
        Command::SandboxReset { .. } | Command::RestoreState { .. } => {
            target(command.name(), true, Facts::on(account_arn(None)))
        }
        Command::RotateTokenKey { .. } | Command::RevokeTokenKey { .. } => target(
            command.name(),
            true,
            Facts::on("arn:aws:iamd:::keyring".to_owned()),
        ),
        Command::In { account, op } => {
            let facts = commands::facts(&Scope::new(state, account), op);
            let iamd = matches!(op, Op::Quota(_)) || op.is_internal();
            target(op.name(), iamd, facts)
        }
    }
}

/// The authorization request of a query.
pub fn query_target(state: &dyn StateRead, query: &Query) -> Target {
    match query {
        Query::ListAccounts => target(query.name(), true, Facts::on(account_arn(None))),
        Query::GetAccount { account_id } => {
            target(query.name(), true, Facts::on(account_arn(Some(account_id))))
        }
        Query::In { account, q } => {
            let facts = Facts::of(queries::resource(&Scope::new(state, account), q));
            let iamd = matches!(q, Q::Quota(_)) || query.is_internal();
            target(query.name(), iamd, facts)
        }
    }
}

/// Whether the command acts on the account root's own credentials (root access keys: an
/// access-key op whose `user_name` is empty, or that names no user and whose key belongs
/// to the root), which only the root may do. The internal `RecordAccessKeyUse` is not
/// counted: the server proposes it itself after authenticating any key.
pub fn touches_root_credentials(state: &dyn StateRead, command: &Command) -> bool {
    use access_keys::AccessKeyOp;
    use mfa::MfaOp;
    let (account, op) = match command {
        Command::In {
            account,
            op: Op::AccessKey(op),
        } => (account, op),
        // The root's MFA devices are the root's credentials too.
        Command::In {
            op:
                Op::Mfa(
                    MfaOp::Enable { user_name, .. }
                    | MfaOp::Deactivate { user_name, .. }
                    | MfaOp::Resync { user_name, .. },
                ),
            ..
        } => return user_name == mfa::ROOT,
        _ => return false,
    };
    if matches!(op, AccessKeyOp::RecordUse { .. }) {
        return false;
    }
    let owner = commands::key_owner(&Scope::new(state, account), op);
    owner == KeyOwner::Root
}

/// Like [`touches_root_credentials`] for queries: `ListAccessKeys` with an empty user name
/// and `GetAccessKeyLastUsed` of a root key read the root's credentials.
pub fn query_touches_root_credentials(state: &dyn StateRead, query: &Query) -> bool {
    use access_keys::AccessKeyQuery;
    let (account, q) = match query {
        Query::In {
            account,
            q: Q::AccessKey(q),
        } => (account, q),
        Query::In {
            q: Q::Mfa(mfa::MfaQuery::List { user_name, .. }),
            ..
        } => return user_name == mfa::ROOT,
        _ => return false,
    };
    let owner = match q {
        AccessKeyQuery::List { user_name, .. } => KeyOwner::named(user_name),
        AccessKeyQuery::GetLastUsed { access_key_id } => {
            Scope::new(state, account).key_owner(None, access_key_id)
        }
        AccessKeyQuery::Lookup { .. } => return false,
    };
    owner == KeyOwner::Root
}

/// The target of a principal-policy simulation (`iam:SimulatePrincipalPolicy`,
/// `iam:GetContextKeysForPrincipalPolicy`) about `principal_arn`: the principal is the
/// resource, with its current tags when it is a user or role of `account` that exists under
/// exactly that ARN.
pub fn principal_target(
    state: &dyn StateRead,
    account: &str,
    action: &str,
    principal_arn: &str,
) -> Target {
    let resource = Scope::new(state, account).principal_by_arn(principal_arn);
    target(action, false, Facts::of(resource))
}

fn target(name: &str, iamd: bool, facts: Facts<'_>) -> Target {
    let service = if iamd || IAMD_ACTIONS.contains(&name) {
        "iamd"
    } else {
        "iam"
    };
    let context = if service == "iam" {
        keys::context(name, &facts)
    } else {
        Vec::new()
    };
    Target {
        action: format!("{service}:{name}"),
        resource: facts.resource.arn,
        extra_resources: facts.extra_resources,
        request_tags: pairs(facts.request_tags),
        context,
    }
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// `arn:aws:iamd:::account/{id}`, or `account/*` for every account.
fn account_arn(id: Option<&str>) -> String {
    format!("arn:aws:iamd:::account/{}", id.unwrap_or("*"))
}

/// Whose an access key is, as far as authorization is concerned.
#[derive(Debug, PartialEq, Eq)]
enum KeyOwner {
    /// The account root (`user_name` empty).
    Root,
    /// A user, by the name the request or the key record gives.
    User(String),
    /// No such key in the account (the op fails with `NoSuchEntity`).
    Unknown,
}

impl KeyOwner {
    fn named(user_name: &str) -> Self {
        if user_name.is_empty() {
            Self::Root
        } else {
            Self::User(user_name.to_owned())
        }
    }
}
