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
//! - when an op names several entities, the resource is the first of: instance profile,
//!   group, role, user, policy, MFA device (`AttachUserPolicy` → the user,
//!   `AddUserToGroup` → the group, `EnableMFADevice` → the user, …);
//! - account-wide lists: `{kind}{path_prefix}*` (`ListUsers` → `user/*`);
//! - account settings, credential reports and quotas: `*`;
//! - iamd's accounts: `arn:aws:iamd:::account/{id}` (`account/*` for all of them);
//! - access keys: their user; the account root's keys (`user_name` empty) and keys that do
//!   not exist in the account: `arn:aws:iam::ACCT:root`.
//!
//! Request tags are those of `Create*` ops with tags and of `Tag*` ops. `Untag*` ops carry
//! none: the keys they remove (AWS's `aws:TagKeys` for them) are not represented here.

mod commands;
mod queries;

use crate::command::Command;
use crate::keys::EntityKind;
use crate::ops::{access_keys, groups, instance_profiles, mfa, roles, users, Op, Query, Q};
use crate::store::{StateRead, Txn};
use iam_model::{arn, Tag};

/// What one API call asks the policy engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// "iam:CreateUser", ...; iamd's own operations (not in AWS) use the "iamd:" prefix,
    /// e.g. "iamd:CreateAccount", "iamd:RequestQuotaIncrease".
    pub action: String,
    /// The resource ARN AWS evaluates for this action (see the module documentation).
    pub resource: String,
    /// Tags the request sets (for `aws:RequestTag/<key>` and `aws:TagKeys`): from `Tag*`
    /// ops and `Create*` ops with tags, in request order. Empty otherwise (`Untag*`
    /// included).
    pub request_tags: Vec<(String, String)>,
}

/// Operation names that are iamd's own, not AWS IAM actions: authorized as `iamd:{name}`.
/// Besides these, every quota-family operation and every internal op is `iamd:`.
pub const IAMD_ACTIONS: &[&str] = &[
    // Accounts (top-level commands and queries).
    "CreateAccount",
    "SandboxReset",
    "ListAccounts",
    "GetAccount",
    // Internal bookkeeping and authentication (refused from clients anyway).
    "RecordAccessKeyUse",
    "RecordPasswordUse",
    "RecordFailedSignIn",
    "AuthenticateMFA",
    "LookupAccessKey",
    "RotateKeyRing",
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
];

/// The authorization request of a command.
pub fn command_target(state: &dyn StateRead, command: &Command) -> Target {
    match command {
        Command::CreateAccount { account_id, .. } => {
            target(command.name(), true, account_arn(Some(account_id)), &[])
        }
        // It replaces every account.
        Command::SandboxReset { .. } => target(command.name(), true, account_arn(None), &[]),
        Command::RotateTokenKey { .. } => target(
            command.name(),
            true,
            "arn:aws:iamd:::keyring".to_owned(),
            &[],
        ),
        Command::In { account, op } => {
            let (resource, tags) = commands::resource(&Scope::new(state, account), op);
            let iamd = matches!(op, Op::Quota(_)) || op.is_internal();
            target(op.name(), iamd, resource, tags)
        }
    }
}

/// The authorization request of a query.
pub fn query_target(state: &dyn StateRead, query: &Query) -> Target {
    match query {
        Query::ListAccounts => target(query.name(), true, account_arn(None), &[]),
        Query::GetAccount { account_id } => {
            target(query.name(), true, account_arn(Some(account_id)), &[])
        }
        Query::In { account, q } => {
            let resource = queries::resource(&Scope::new(state, account), q);
            let iamd = matches!(q, Q::Quota(_)) || query.is_internal();
            target(query.name(), iamd, resource, &[])
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

fn target(name: &str, iamd: bool, resource: String, tags: &[Tag]) -> Target {
    let service = if iamd || IAMD_ACTIONS.contains(&name) {
        "iamd"
    } else {
        "iam"
    };
    Target {
        action: format!("{service}:{name}"),
        resource,
        request_tags: tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect(),
    }
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

/// Reads the state of one account to name resources.
struct Scope<'a> {
    txn: Txn<'a>,
    account: &'a str,
}

impl<'a> Scope<'a> {
    fn new(state: &'a dyn StateRead, account: &'a str) -> Self {
        Self {
            txn: Txn::new(state),
            account,
        }
    }

    /// `arn:aws:iam::ACCT:{kind}{path}{name}`.
    fn arn(&self, kind: &str, path: &str, name: &str) -> String {
        arn::entity_arn(self.account, kind, path, name)
    }

    /// An existing entity's ARN from its stored path and name; `/` and the requested name
    /// when it does not exist.
    fn existing(&self, kind: &str, found: Option<(String, String)>, name: &str) -> String {
        match found {
            Some((path, stored)) => self.arn(kind, &path, &stored),
            None => self.arn(kind, "/", name),
        }
    }

    fn user(&self, name: &str) -> String {
        let found = users::load(&self.txn, self.account, name).ok();
        self.existing("user", found.map(|u| (u.path, u.name)), name)
    }

    fn group(&self, name: &str) -> String {
        let found = groups::load(&self.txn, self.account, name).ok();
        self.existing("group", found.map(|g| (g.path, g.name)), name)
    }

    fn role(&self, name: &str) -> String {
        let found = roles::load(&self.txn, self.account, name).ok();
        self.existing("role", found.map(|r| (r.path, r.name)), name)
    }

    fn instance_profile(&self, name: &str) -> String {
        let found = instance_profiles::load(&self.txn, self.account, name).ok();
        self.existing("instance-profile", found.map(|p| (p.path, p.name)), name)
    }

    /// A user, group or role that a policy op names.
    fn principal(&self, kind: EntityKind, name: &str) -> String {
        match kind {
            EntityKind::User => self.user(name),
            EntityKind::Group => self.group(name),
            EntityKind::Role => self.role(name),
        }
    }

    /// An account-wide list: `{kind}{path_prefix}*`.
    fn listing(&self, kind: &str, path_prefix: &str) -> String {
        self.arn(kind, path_prefix, "*")
    }

    fn root(&self) -> String {
        arn::root_arn(self.account)
    }

    /// The owner of an MFA device an op or query names: a user, or the root for
    /// [`mfa::ROOT`].
    fn mfa_owner(&self, user_name: &str) -> String {
        if user_name == mfa::ROOT {
            self.root()
        } else {
            self.user(user_name)
        }
    }

    /// The owner of a key: the user the request names, else the key record's (only a key
    /// of this account counts).
    fn key_owner(&self, user_name: Option<&str>, access_key_id: &str) -> KeyOwner {
        if let Some(name) = user_name {
            return KeyOwner::named(name);
        }
        match access_keys::lookup(self.txn.base(), access_key_id) {
            Some(k) if k.account == self.account => KeyOwner::named(&k.user_name),
            _ => KeyOwner::Unknown,
        }
    }

    /// The resource of an access-key call: the owning user, else the account root.
    fn key_resource(&self, owner: KeyOwner) -> String {
        match owner {
            KeyOwner::User(name) => self.user(&name),
            KeyOwner::Root | KeyOwner::Unknown => self.root(),
        }
    }
}
