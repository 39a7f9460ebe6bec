//! The key layout of the replicated state. All keys are UTF-8 and `/`-separated; entity names
//! never contain `/` and appear lowercased ([`name_key`]) so that names are unique
//! case-insensitively while records keep the spelling they were created with.
//! `{a}` is the 12-digit account id.
//!
//! | key | value |
//! |---|---|
//! | `acct/{a}` | [`iam_model::Account`] |
//! | `alias/{alias}` | account id owning the alias (aliases are unique across accounts) |
//! | `user/{a}/{user}` | [`iam_model::User`] |
//! | `group/{a}/{group}` | [`iam_model::Group`] |
//! | `gmem/{a}/{group}/{user}` | empty: membership index (a group's users) |
//! | `role/{a}/{role}` | [`iam_model::Role`] |
//! | `iprof/{a}/{profile}` | [`iam_model::InstanceProfile`] |
//! | `rprof/{a}/{role}/{profile}` | empty: the instance profiles a role is in |
//! | `policy/{a}/{policy}` | [`iam_model::ManagedPolicy`] |
//! | `pent/{a}/{policy}/{kind}/{entity}` | empty: entities a policy is attached to (`kind` = `user`, `group`, `role`) |
//! | `akey/{key id}` | access key record (global: key ids are unique across accounts) |
//! | `ukey/{a}/{user}/{key id}` | empty: a user's access keys |
//! | `login/{a}/{user}` | login profile record |
//! | `mfa/{a}/{device}` | virtual MFA device record (`device` = lowercased name) |
//! | `umfa/{a}/{user}/{device}` | empty: MFA devices enabled for a user |
//! | `ssh/{a}/{user}/{key id}` | [`crate::ops::ssh_keys::SshPublicKey`]: a user's SSH public keys |
//! | `cert/{a}/{user}/{certificate id}` | [`crate::ops::signing_certs::SigningCertificate`]: a user's signing certificates |
//! | `scert/{a}/{name}` | [`crate::ops::server_certs::StoredServerCertificate`]: a server certificate (its private key sealed) |
//! | `oidc/{a}/{url}` | [`crate::ops::oidc_providers::OidcProvider`] (`url`: the provider's URL without `https://`, exactly as given; it may hold `/`) |
//! | `slrtask/{a}` | [`crate::ops::roles::service_linked::DeletionTasks`]: the account's most recent service-linked role deletion tasks (from release 5) |
//! | `pwpol/{a}` | the account password policy |
//! | `report/{a}` | the last generated credential report |
//! | `quota/{a}/{kind}` | the account's raised quota for `kind` (absent: the default) |
//! | `qreq/{a}/{id}` | a quota increase request |
//! | `cap/{a}/{name}` | a usage cap (limit and units in use; `name` lowercased) |
//! | `count/{a}/{kind}` | entity count (decimal) |
//! | `tok/{token}` | the [`crate::Response`] first produced for that request token; for a scoped token (`s1:{scope}:{token}`, see [`crate::token`]) that response with the digest of the request it answered |
//! | `tokq/{index:020}/{position:010}` | the token recorded by the request at that position of that log entry (for pruning) |
//! | `tokn` | how many request tokens are recorded |
//! | `qpend/{a}/{kind}` | id of the pending quota increase request for `kind` (at most one) |
//! | `sys/operator` | id of the operator account (the first account created) |
//! | `sys/keyring` | [`crate::system::TokenKeyRing`]: the STS token keys, sealed |
//! | `sys/release` | the release the cluster runs at (decimal; absent: 1; see [`crate::release`]) |
//! | `evt/{index:020}/{position:010}` | [`crate::events::Event`]: the change the request at that position of that log entry made (the event history, before release 5) |
//! | `evt/{index:020}` | `[[time, account, principal, access key id, source IP, request id, action, [resources]]…]`: the changes the requests of that log entry made, in order (the event history, from release 5; the first release-5 builds wrote `{"events": [Event…]}`, still read) |
//! | `evtn` | how many events the history holds |
//! | `evto` | the time (ms) of the oldest event the history holds, where known (from release 4) |

pub use iam_model::names::name_key;

pub const ACCOUNT_PREFIX: &str = "acct/";
/// The operator account's id.
pub const OPERATOR: &str = "sys/operator";
/// The STS token key ring.
pub const KEYRING: &str = "sys/keyring";
/// The release the cluster runs at.
pub const RELEASE: &str = "sys/release";

fn k(parts: &[&str]) -> Vec<u8> {
    parts.join("/").into_bytes()
}

/// `prefix/{a}/` — the start of one account's entries of a kind (lists scan it).
pub fn prefix(kind: &str, account: &str) -> Vec<u8> {
    format!("{kind}/{account}/").into_bytes()
}

pub fn account(id: &str) -> Vec<u8> {
    k(&["acct", id])
}

pub fn alias(alias: &str) -> Vec<u8> {
    k(&["alias", alias])
}

pub fn user(account: &str, name: &str) -> Vec<u8> {
    k(&["user", account, &name_key(name)])
}

pub fn user_prefix(account: &str) -> Vec<u8> {
    prefix("user", account)
}

pub fn group(account: &str, name: &str) -> Vec<u8> {
    k(&["group", account, &name_key(name)])
}

pub fn group_member(account: &str, group: &str, user: &str) -> Vec<u8> {
    k(&["gmem", account, &name_key(group), &name_key(user)])
}

/// All membership entries of one group.
pub fn group_members_prefix(account: &str, group: &str) -> Vec<u8> {
    format!("gmem/{account}/{}/", name_key(group)).into_bytes()
}

pub fn role(account: &str, name: &str) -> Vec<u8> {
    k(&["role", account, &name_key(name)])
}

pub fn instance_profile(account: &str, name: &str) -> Vec<u8> {
    k(&["iprof", account, &name_key(name)])
}

pub fn role_profile(account: &str, role: &str, profile: &str) -> Vec<u8> {
    k(&["rprof", account, &name_key(role), &name_key(profile)])
}

pub fn role_profiles_prefix(account: &str, role: &str) -> Vec<u8> {
    format!("rprof/{account}/{}/", name_key(role)).into_bytes()
}

pub fn policy(account: &str, name: &str) -> Vec<u8> {
    k(&["policy", account, &name_key(name)])
}

/// Principal kinds a managed policy attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    User,
    Group,
    Role,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Role => "role",
        }
    }
}

pub fn policy_entity(account: &str, policy: &str, kind: EntityKind, entity: &str) -> Vec<u8> {
    k(&[
        "pent",
        account,
        &name_key(policy),
        kind.as_str(),
        &name_key(entity),
    ])
}

pub fn policy_entities_prefix(account: &str, policy: &str) -> Vec<u8> {
    format!("pent/{account}/{}/", name_key(policy)).into_bytes()
}

pub fn access_key(key_id: &str) -> Vec<u8> {
    k(&["akey", key_id])
}

pub fn user_key(account: &str, user: &str, key_id: &str) -> Vec<u8> {
    k(&["ukey", account, &name_key(user), key_id])
}

pub fn user_keys_prefix(account: &str, user: &str) -> Vec<u8> {
    format!("ukey/{account}/{}/", name_key(user)).into_bytes()
}

pub fn login_profile(account: &str, user: &str) -> Vec<u8> {
    k(&["login", account, &name_key(user)])
}

pub fn mfa_device(account: &str, name: &str) -> Vec<u8> {
    k(&["mfa", account, &name_key(name)])
}

pub fn user_mfa(account: &str, user: &str, device: &str) -> Vec<u8> {
    k(&["umfa", account, &name_key(user), &name_key(device)])
}

pub fn user_mfa_prefix(account: &str, user: &str) -> Vec<u8> {
    format!("umfa/{account}/{}/", name_key(user)).into_bytes()
}

/// An SSH public key of a user.
pub fn user_ssh_key(account: &str, user: &str, key_id: &str) -> Vec<u8> {
    k(&["ssh", account, &name_key(user), key_id])
}

pub fn user_ssh_keys_prefix(account: &str, user: &str) -> Vec<u8> {
    format!("ssh/{account}/{}/", name_key(user)).into_bytes()
}

/// A signing certificate of a user.
pub fn user_signing_cert(account: &str, user: &str, cert_id: &str) -> Vec<u8> {
    k(&["cert", account, &name_key(user), cert_id])
}

pub fn user_signing_certs_prefix(account: &str, user: &str) -> Vec<u8> {
    format!("cert/{account}/{}/", name_key(user)).into_bytes()
}

/// The service-linked role deletion tasks of an account (one record, bounded).
pub fn service_linked_role_tasks(account: &str) -> Vec<u8> {
    k(&["slrtask", account])
}

/// A server certificate, by its name (lowercased: unique case-insensitively).
pub fn server_cert(account: &str, name: &str) -> Vec<u8> {
    k(&["scert", account, &name_key(name)])
}

/// An OpenID Connect provider, by its URL without `https://` (case and all: a provider's
/// identity is its URL).
pub fn oidc_provider(account: &str, url: &str) -> Vec<u8> {
    format!("oidc/{account}/{url}").into_bytes()
}

pub fn password_policy(account: &str) -> Vec<u8> {
    k(&["pwpol", account])
}

pub fn credential_report(account: &str) -> Vec<u8> {
    k(&["report", account])
}

pub fn quota(account: &str, kind: &str) -> Vec<u8> {
    k(&["quota", account, kind])
}

pub fn quota_request(account: &str, id: &str) -> Vec<u8> {
    k(&["qreq", account, id])
}

pub fn usage_cap(account: &str, name: &str) -> Vec<u8> {
    k(&["cap", account, &name_key(name)])
}

pub fn count(account: &str, kind: &str) -> Vec<u8> {
    k(&["count", account, kind])
}

pub fn token(token: &str) -> Vec<u8> {
    format!("tok/{token}").into_bytes()
}

pub const TOKEN_AT_PREFIX: &str = "tokq/";

/// The number of recorded request tokens (a decimal counter).
pub const TOKEN_COUNT: &[u8] = b"tokn";

/// A log index no recorded request token is older than (a decimal counter; pruning scans
/// the table from there).
pub const TOKEN_FLOOR: &[u8] = b"tokf";

/// The event history ([`crate::events`]), oldest first.
pub const EVENT_PREFIX: &str = "evt/";
/// How many events the history holds.
pub const EVENT_COUNT: &[u8] = b"evtn";
/// The time (ms) of the oldest event kept, from release
/// [`crate::release::EVENT_HISTORY_OLDEST`] on (beside the count: what deletes one deletes
/// the other).
pub const EVENT_OLDEST: &[u8] = b"evto";

/// The event of the request at `position` of entry `index` (the layout before release
/// [`crate::release::EVENTS_PER_ENTRY`]).
pub fn event_at(index: u64, position: u32) -> Vec<u8> {
    format!("evt/{index:020}/{position:010}").into_bytes()
}

/// The events of entry `index`, from release [`crate::release::EVENTS_PER_ENTRY`] on. It
/// sorts among the older [`event_at`] keys by index (both never exist for one index).
pub fn event_entry(index: u64) -> Vec<u8> {
    format!("evt/{index:020}").into_bytes()
}

/// Whether an `evt/` key holds the events of a whole entry ([`event_entry`]) rather than
/// one event ([`event_at`]).
pub fn is_event_entry(key: &[u8]) -> bool {
    key.len() == EVENT_PREFIX.len() + 20
}

pub fn token_at(index: u64, position: u32) -> Vec<u8> {
    format!("tokq/{index:020}/{position:010}").into_bytes()
}

/// The log index of a [`token_at`] key.
pub fn token_at_index(key: &[u8]) -> Option<u64> {
    let digits = key.strip_prefix(TOKEN_AT_PREFIX.as_bytes())?.get(..20)?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The pending increase request of a quota kind (one at a time).
pub fn quota_pending(account: &str, kind: &str) -> Vec<u8> {
    k(&["qpend", account, kind])
}
