//! The account-scoped command and query families. Each family module owns its operations
//! (`XxxOp` for writes, `XxxQuery` for reads), the records only it stores, its apply logic
//! and its queries; this module routes to them and holds what they share: the apply context
//! ([`Ctx`]), the proposer's environment ([`Env`]) and list paging ([`Page`]).
//!
//! Rules every family follows:
//! - apply validates everything again (the server's early checks are only for fast errors)
//!   and returns AWS's error code on rejection; a rejection writes nothing;
//! - apply reads no clock or randomness: time is `Ctx::time_ms`, ids come in the op (filled
//!   by `prepare` on the proposing node);
//! - names are unique per account case-insensitively ([`crate::keys`] lowercases them).

pub mod access_keys;
pub mod account;
pub mod groups;
pub mod instance_profiles;
pub mod limits;
pub mod login_profiles;
pub mod mfa;
pub mod oidc_providers;
pub mod paging;
pub mod policies;
pub mod quotas;
pub mod roles;
pub mod server_certs;
pub mod signing_certs;
pub mod ssh_keys;
pub mod target;
pub mod users;

use crate::command::Outcome;
use crate::store::{StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::IamResult;
use serde::{Deserialize, Serialize};

pub use paging::{Page, PageRequest};

/// What the proposing node supplies before a command enters the log.
pub trait Env {
    /// A fresh AWS-style unique id (`AIDA…`, `AKIA…`, ...).
    fn unique_id(&mut self, prefix: IdPrefix) -> String;
    /// Fresh random bytes (secrets, seeds).
    fn random_bytes(&mut self, n: usize) -> Vec<u8>;
    /// A password hash (argon2id in the server) for a login profile.
    fn hash_password(&mut self, password: &str) -> String;
    /// A secret as it may enter the log and the state: the server seals it with the
    /// cluster's secret key (and unseals it to answer the creator, or to verify a
    /// signature). Tests and tools without a key keep it as is.
    fn seal_secret(&mut self, plaintext: &str) -> String {
        plaintext.to_owned()
    }
    /// A fresh access key id (`AKIA` + 16 characters). The server's tags the id as its
    /// cluster's (`iam_auth::key_id`), so a sandbox can tell its keys from made-up ones;
    /// by default, 16 random base32 characters.
    fn access_key_id(&mut self) -> String {
        let bytes = self.random_bytes(access_keys::KEY_ID_SUFFIX_LEN);
        if bytes.len() >= access_keys::KEY_ID_SUFFIX_LEN {
            iam_model::ids::unique_id(
                iam_model::ids::IdPrefix::AccessKey,
                &bytes,
                access_keys::KEY_ID_SUFFIX_LEN,
            )
        } else {
            String::new()
        }
    }
}

/// What a family's apply sees: the transaction over the state at this log index, the
/// account the command acts in, and the proposer's time.
pub struct Ctx<'a, 'b> {
    pub txn: &'a mut Txn<'b>,
    pub account: &'a str,
    pub time_ms: u64,
    pub index: u64,
}

impl Ctx<'_, '_> {
    /// True in [`crate::dry_run`] (index 0: no log entry carrying requests has it), where
    /// the state may lag the log and only what the input alone decides may be refused.
    pub fn is_dry_run(&self) -> bool {
        self.index == 0
    }
}

/// An account-scoped state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    User(users::UserOp),
    Group(groups::GroupOp),
    Role(roles::RoleOp),
    InstanceProfile(instance_profiles::InstanceProfileOp),
    Policy(policies::PolicyOp),
    AccessKey(access_keys::AccessKeyOp),
    LoginProfile(login_profiles::LoginProfileOp),
    Mfa(mfa::MfaOp),
    Account(account::AccountOp),
    Quota(quotas::QuotaOp),
    /// OpenID Connect providers (from release [`crate::release::OIDC_PROVIDERS`]; added
    /// last).
    OidcProvider(oidc_providers::OidcProviderOp),
    /// SSH public keys (from release [`crate::release::SSH_PUBLIC_KEYS`]; added last).
    SshKey(ssh_keys::SshKeyOp),
    /// Signing certificates (from release [`crate::release::SIGNING_CERTIFICATES`]; added
    /// last).
    SigningCert(signing_certs::SigningCertOp),
    /// Server certificates (from release [`crate::release::SERVER_CERTIFICATES`]; added
    /// last).
    ServerCert(server_certs::ServerCertOp),
}

impl Op {
    /// Ops only the server itself may propose (e.g. recording an access key's use after
    /// authenticating a request): the API must refuse them from clients.
    pub fn is_internal(&self) -> bool {
        match self {
            Self::AccessKey(o) => o.is_internal(),
            Self::LoginProfile(o) => o.is_internal(),
            Self::Mfa(o) => o.is_internal(),
            _ => false,
        }
    }

    /// The operation's name (AWS's where AWS has the operation).
    pub fn name(&self) -> &'static str {
        match self {
            Self::User(o) => o.name(),
            Self::Group(o) => o.name(),
            Self::Role(o) => o.name(),
            Self::InstanceProfile(o) => o.name(),
            Self::Policy(o) => o.name(),
            Self::AccessKey(o) => o.name(),
            Self::LoginProfile(o) => o.name(),
            Self::Mfa(o) => o.name(),
            Self::Account(o) => o.name(),
            Self::Quota(o) => o.name(),
            Self::OidcProvider(o) => o.name(),
            Self::SshKey(o) => o.name(),
            Self::SigningCert(o) => o.name(),
            Self::ServerCert(o) => o.name(),
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        match self {
            Self::User(o) => o.prepare(env),
            Self::Group(o) => o.prepare(env),
            Self::Role(o) => o.prepare(env),
            Self::InstanceProfile(o) => o.prepare(env),
            Self::Policy(o) => o.prepare(env),
            Self::AccessKey(o) => o.prepare(env),
            Self::LoginProfile(o) => o.prepare(env),
            Self::Mfa(o) => o.prepare(env),
            Self::Account(o) => o.prepare(env),
            Self::Quota(o) => o.prepare(env),
            Self::OidcProvider(o) => o.prepare(env),
            Self::SshKey(o) => o.prepare(env),
            Self::SigningCert(o) => o.prepare(env),
            Self::ServerCert(o) => o.prepare(env),
        }
    }

    pub(crate) fn apply(&self, cx: &mut Ctx<'_, '_>) -> IamResult<Outcome> {
        match self {
            Self::User(o) => users::apply(cx, o),
            Self::Group(o) => groups::apply(cx, o),
            Self::Role(o) => roles::apply(cx, o),
            Self::InstanceProfile(o) => instance_profiles::apply(cx, o),
            Self::Policy(o) => policies::apply(cx, o),
            Self::AccessKey(o) => access_keys::apply(cx, o),
            Self::LoginProfile(o) => login_profiles::apply(cx, o),
            Self::Mfa(o) => mfa::apply(cx, o),
            Self::Account(o) => account::apply(cx, o),
            Self::Quota(o) => quotas::apply(cx, o),
            Self::OidcProvider(o) => oidc_providers::apply(cx, o),
            Self::SshKey(o) => ssh_keys::apply(cx, o),
            Self::SigningCert(o) => signing_certs::apply(cx, o),
            Self::ServerCert(o) => server_certs::apply(cx, o),
        }
    }
}

macro_rules! op_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for Op {
            fn from(op: $ty) -> Self {
                Op::$variant(op)
            }
        })*
    };
}

op_from!(
    User(users::UserOp),
    Group(groups::GroupOp),
    Role(roles::RoleOp),
    InstanceProfile(instance_profiles::InstanceProfileOp),
    Policy(policies::PolicyOp),
    AccessKey(access_keys::AccessKeyOp),
    LoginProfile(login_profiles::LoginProfileOp),
    Mfa(mfa::MfaOp),
    Account(account::AccountOp),
    Quota(quotas::QuotaOp),
    OidcProvider(oidc_providers::OidcProviderOp),
    SshKey(ssh_keys::SshKeyOp),
    SigningCert(signing_certs::SigningCertOp),
    ServerCert(server_certs::ServerCertOp),
);

macro_rules! q_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for Q {
            fn from(q: $ty) -> Self {
                Q::$variant(q)
            }
        })*
    };
}

q_from!(
    User(users::UserQuery),
    Group(groups::GroupQuery),
    Role(roles::RoleQuery),
    InstanceProfile(instance_profiles::InstanceProfileQuery),
    Policy(policies::PolicyQuery),
    AccessKey(access_keys::AccessKeyQuery),
    LoginProfile(login_profiles::LoginProfileQuery),
    Mfa(mfa::MfaQuery),
    Account(account::AccountQuery),
    Quota(quotas::QuotaQuery),
    Events(crate::events::EventQuery),
    OidcProvider(oidc_providers::OidcProviderQuery),
    SshKey(ssh_keys::SshKeyQuery),
    SigningCert(signing_certs::SigningCertQuery),
    ServerCert(server_certs::ServerCertQuery),
);

impl Query {
    /// Fills in what the answering node supplies: the current time, for queries whose answer
    /// depends on it. Whatever a client put there is replaced.
    pub fn prepare(&mut self, now_ms: u64) {
        if let Self::In {
            q: Q::Account(account::AccountQuery::GetCredentialReport { now_ms: n }),
            ..
        } = self
        {
            *n = now_ms;
        }
    }

    /// An account-scoped query.
    pub fn in_account(account: &str, q: impl Into<Q>) -> Self {
        Self::In {
            account: account.to_owned(),
            q: q.into(),
        }
    }
}

/// A read. Results are the JSON the API returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Query {
    ListAccounts,
    GetAccount {
        account_id: String,
    },
    /// Every other query reads inside one account.
    In {
        account: String,
        q: Q,
    },
}

/// An account-scoped read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Q {
    User(users::UserQuery),
    Group(groups::GroupQuery),
    Role(roles::RoleQuery),
    InstanceProfile(instance_profiles::InstanceProfileQuery),
    Policy(policies::PolicyQuery),
    AccessKey(access_keys::AccessKeyQuery),
    LoginProfile(login_profiles::LoginProfileQuery),
    Mfa(mfa::MfaQuery),
    Account(account::AccountQuery),
    Quota(quotas::QuotaQuery),
    /// The event history (`LookupEvents`).
    Events(crate::events::EventQuery),
    /// OpenID Connect providers.
    OidcProvider(oidc_providers::OidcProviderQuery),
    /// SSH public keys.
    SshKey(ssh_keys::SshKeyQuery),
    /// Signing certificates.
    SigningCert(signing_certs::SigningCertQuery),
    /// Server certificates.
    ServerCert(server_certs::ServerCertQuery),
}

impl Query {
    /// Queries only the server itself may run (e.g. looking up an access key's secret to
    /// authenticate a request): the API must refuse them from clients.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::In { q: Q::AccessKey(q), .. } if q.is_internal())
    }

    /// The operation's name (AWS's where AWS has the operation).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListAccounts => "ListAccounts",
            Self::GetAccount { .. } => "GetAccount",
            Self::In { q, .. } => match q {
                Q::User(q) => q.name(),
                Q::Group(q) => q.name(),
                Q::Role(q) => q.name(),
                Q::InstanceProfile(q) => q.name(),
                Q::Policy(q) => q.name(),
                Q::AccessKey(q) => q.name(),
                Q::LoginProfile(q) => q.name(),
                Q::Mfa(q) => q.name(),
                Q::Account(q) => q.name(),
                Q::Quota(q) => q.name(),
                Q::Events(q) => q.name(),
                Q::OidcProvider(q) => q.name(),
                Q::SshKey(q) => q.name(),
                Q::SigningCert(q) => q.name(),
                Q::ServerCert(q) => q.name(),
            },
        }
    }

    /// Answers the query from `state`.
    pub fn run(&self, state: &dyn StateRead) -> IamResult<serde_json::Value> {
        match self {
            Self::ListAccounts => Ok(to_json(&crate::query::list_accounts(state))),
            Self::GetAccount { account_id } => {
                Ok(to_json(&crate::query::get_account(state, account_id)?))
            }
            Self::In { account, q } => {
                crate::query::get_account(state, account)?;
                match q {
                    Q::User(q) => users::query(state, account, q),
                    Q::Group(q) => groups::query(state, account, q),
                    Q::Role(q) => roles::query(state, account, q),
                    Q::InstanceProfile(q) => instance_profiles::query(state, account, q),
                    Q::Policy(q) => policies::query(state, account, q),
                    Q::AccessKey(q) => access_keys::query(state, account, q),
                    Q::LoginProfile(q) => login_profiles::query(state, account, q),
                    Q::Mfa(q) => mfa::queries::query(state, account, q),
                    Q::Account(q) => account::query(state, account, q),
                    Q::Quota(q) => quotas::query(state, account, q),
                    Q::Events(q) => crate::events::query(state, account, q),
                    Q::OidcProvider(q) => oidc_providers::query(state, account, q),
                    Q::SshKey(q) => ssh_keys::query(state, account, q),
                    Q::SigningCert(q) => signing_certs::query(state, account, q),
                    Q::ServerCert(q) => server_certs::query(state, account, q),
                }
            }
        }
    }
}

/// Serializes a query result.
pub fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("records always serialize")
}

/// Parses a policy document of `kind` with iam-policy's validation, as AWS reports it
/// (`MalformedPolicyDocument` or `LimitExceeded` with AWS's exact message, without iamd's
/// detail and location, which `iamctl policy validate` shows offline). `enforce_size: false`
/// leaves the size check to the caller (for sizes bounded by an adjustable quota or summed
/// over policies).
pub fn parse_policy(
    text: &str,
    kind: iam_policy::PolicyKind,
    enforce_size: bool,
) -> IamResult<iam_policy::Policy> {
    parse_policy_with(
        text,
        kind,
        iam_policy::ParseOptions {
            enforce_size,
            aws_rules: true,
        },
    )
}

/// Parses a document that was accepted when it was stored (or signed into a session token):
/// the grammar only ([`iam_policy::ParseOptions::stored`]), so that a document an earlier
/// build accepted still evaluates under AWS's later-added rules.
pub fn parse_stored_policy(
    text: &str,
    kind: iam_policy::PolicyKind,
) -> IamResult<iam_policy::Policy> {
    parse_policy_with(text, kind, iam_policy::ParseOptions::stored())
}

/// [`parse_policy`] for a document a command stores: AWS's rules of
/// `VALIDATION.md` only once the cluster runs [`crate::release::AWS_POLICY_RULES`] (every
/// replica applies the same rules to the same entry), the grammar alone before.
pub(crate) fn parse_new_policy(
    state: &dyn StateRead,
    text: &str,
    kind: iam_policy::PolicyKind,
    enforce_size: bool,
) -> IamResult<iam_policy::Policy> {
    let aws_rules = crate::release::cluster_release(state) >= crate::release::AWS_POLICY_RULES;
    parse_policy_with(
        text,
        kind,
        iam_policy::ParseOptions {
            enforce_size,
            aws_rules,
        },
    )
}

fn parse_policy_with(
    text: &str,
    kind: iam_policy::PolicyKind,
    options: iam_policy::ParseOptions,
) -> IamResult<iam_policy::Policy> {
    iam_policy::parse_with(text, kind, options).map_err(|e| {
        let code = match e.kind() {
            iam_policy::ErrorKind::Malformed => iam_model::ErrorCode::MalformedPolicyDocument,
            iam_policy::ErrorKind::LimitExceeded => iam_model::ErrorCode::LimitExceeded,
        };
        iam_model::IamError::new(code, e.aws_message())
    })
}
