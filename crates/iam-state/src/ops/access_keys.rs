//! Access keys: at most two per user (`ACCESS_KEYS_PER_USER_MAX`), and two for the account
//! root (a key whose `user_name` is empty: [`ROOT`]). The secret is chosen by the proposing
//! node, sealed with the cluster's secret key before it enters the log ([`Env::seal_secret`]),
//! and returned (unsealed by the server) only by `CreateAccessKey`; lists and last-used
//! queries show metadata only. [`AccessKeyQuery::Lookup`] and [`lookup`] return the whole record for
//! request authentication and must never be reachable from the API.

use super::paging::{vec_page, PageRequest};
use super::{to_json, users, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::limits::ACCESS_KEYS_PER_USER_MAX;
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// Characters after `AKIA` in an access key id (20 characters in all, like AWS's).
pub const KEY_ID_SUFFIX_LEN: usize = 16;
/// Length of a secret access key.
pub const SECRET_LEN: usize = 40;
/// Only the first use of a key within this window is recorded (AWS: 15 minutes).
pub const USE_GRANULARITY_MS: u64 = 15 * 60 * 1000;

/// The `user_name` of the account root's own keys.
pub const ROOT: &str = "";

const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyOp {
    /// `CreateAccessKey`; `user_name` [`ROOT`] (empty) creates a key of the account root.
    Create {
        user_name: String,
        /// Chosen by the proposing node.
        #[serde(default)]
        access_key_id: String,
        /// Chosen by the proposing node.
        #[serde(default)]
        secret_access_key: String,
    },
    /// `UpdateAccessKey`: `status` is `Active` or `Inactive`. Without `user_name` the key
    /// may belong to any user of the account.
    Update {
        #[serde(default)]
        user_name: Option<String>,
        access_key_id: String,
        status: String,
    },
    /// `DeleteAccessKey`.
    Delete {
        #[serde(default)]
        user_name: Option<String>,
        access_key_id: String,
    },
    /// iamd's: records that an authenticated request used the key (only the first use in
    /// each [`USE_GRANULARITY_MS`] window changes the state).
    RecordUse {
        access_key_id: String,
        #[serde(default)]
        service: String,
        #[serde(default)]
        region: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyQuery {
    /// `ListAccessKeys`: metadata only, never the secret.
    List {
        user_name: String,
        #[serde(default)]
        page: PageRequest,
    },
    /// `GetAccessKeyLastUsed`.
    GetLastUsed { access_key_id: String },
    /// INTERNAL, for request authentication only: the whole record of a key, secret included,
    /// whatever account it belongs to. The API must never expose this query.
    Lookup { access_key_id: String },
}

/// Whether a key may sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    /// AWS's name of the status (`Active`, `Inactive`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }

    pub fn parse(s: &str) -> IamResult<Self> {
        match s {
            "Active" => Ok(Self::Active),
            "Inactive" => Ok(Self::Inactive),
            _ => Err(IamError::validation(
                "status",
                s,
                "Member must satisfy enum value set: [Active, Inactive]",
            )),
        }
    }
}

/// The last authenticated use of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUsed {
    pub time_ms: u64,
    pub service: String,
    pub region: String,
}

/// The stored record (`akey/{id}`), indexed per user under `ukey/{a}/{user}/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub account: String,
    pub user_name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub status: AccessKeyStatus,
    pub created_ms: u64,
    pub last_used: Option<LastUsed>,
}

/// What `ListAccessKeys` shows of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyMetadata {
    pub user_name: String,
    pub access_key_id: String,
    pub status: AccessKeyStatus,
    pub created_ms: u64,
}

impl From<&AccessKey> for AccessKeyMetadata {
    fn from(k: &AccessKey) -> Self {
        Self {
            user_name: k.user_name.clone(),
            access_key_id: k.access_key_id.clone(),
            status: k.status,
            created_ms: k.created_ms,
        }
    }
}

impl AccessKeyOp {
    /// Ops only the server itself proposes (usage bookkeeping after authentication).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::RecordUse { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateAccessKey",
            Self::Update { .. } => "UpdateAccessKey",
            Self::Delete { .. } => "DeleteAccessKey",
            Self::RecordUse { .. } => "RecordAccessKeyUse",
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Create {
            access_key_id,
            secret_access_key,
            ..
        } = self
        {
            *access_key_id = env.access_key_id();
            let plain: String = env
                .random_bytes(SECRET_LEN)
                .iter()
                .map(|b| char::from(SECRET_ALPHABET[usize::from(*b) % 64]))
                .collect();
            *secret_access_key = env.seal_secret(&plain);
        }
    }
}

impl AccessKeyQuery {
    /// Queries only the server itself may run ([`AccessKeyQuery::Lookup`]): the API must
    /// refuse them from clients (see [`crate::Query::is_internal`]).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Lookup { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::List { .. } => "ListAccessKeys",
            Self::GetLastUsed { .. } => "GetAccessKeyLastUsed",
            Self::Lookup { .. } => "LookupAccessKey",
        }
    }
}

/// AccessKeyId: 16–128 word characters.
fn validate_key_id(id: &str) -> IamResult<()> {
    let len = id.chars().count();
    if !(16..=128).contains(&len) || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(IamError::validation(
            "accessKeyId",
            id,
            "Member must have length between 16 and 128 and satisfy regular expression pattern: [\\w]+",
        ));
    }
    Ok(())
}

fn no_such_key(id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Access Key with id {id} cannot be found."),
    )
}

/// Loads a key of `account` (and of `user`, when given) or fails with `NoSuchEntity`.
fn load_in(txn: &Txn<'_>, account: &str, user: Option<&str>, id: &str) -> IamResult<AccessKey> {
    validate_key_id(id)?;
    if let Some(u) = user.filter(|u| *u != ROOT) {
        users::load(txn, account, u)?;
    }
    txn.get_json::<AccessKey>(&keys::access_key(id))
        .filter(|k| k.account == account)
        .filter(|k| user.is_none_or(|u| keys::name_key(u) == keys::name_key(&k.user_name)))
        .ok_or_else(|| no_such_key(id))
}

/// The keys of one user, oldest first (the credential report's key 1 and key 2).
pub fn user_keys(txn: &Txn<'_>, account: &str, user: &str) -> Vec<AccessKey> {
    let prefix = keys::user_keys_prefix(account, user);
    let mut out: Vec<AccessKey> = txn
        .scan_all(&prefix)
        .into_iter()
        .filter_map(|(k, _)| {
            let id = String::from_utf8_lossy(k.get(prefix.len()..)?).into_owned();
            txn.get_json::<AccessKey>(&keys::access_key(&id))
        })
        .collect();
    out.sort_by(|a, b| (a.created_ms, &a.access_key_id).cmp(&(b.created_ms, &b.access_key_id)));
    out
}

/// INTERNAL, for request authentication: the whole record of a key, secret included. Never
/// return this through the API.
pub fn lookup(state: &dyn StateRead, access_key_id: &str) -> Option<AccessKey> {
    Txn::new(state).get_json(&keys::access_key(access_key_id))
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &AccessKeyOp) -> IamResult<Outcome> {
    match op {
        AccessKeyOp::Create {
            user_name,
            access_key_id,
            secret_access_key,
        } => create(cx, user_name, access_key_id, secret_access_key),
        AccessKeyOp::Update {
            user_name,
            access_key_id,
            status,
        } => {
            let status = AccessKeyStatus::parse(status)?;
            let mut key = load_in(cx.txn, cx.account, user_name.as_deref(), access_key_id)?;
            key.status = status;
            cx.txn.put_json(keys::access_key(access_key_id), &key);
            Ok(Outcome::Nothing)
        }
        AccessKeyOp::Delete {
            user_name,
            access_key_id,
        } => {
            let key = load_in(cx.txn, cx.account, user_name.as_deref(), access_key_id)?;
            cx.txn.delete(keys::access_key(access_key_id));
            cx.txn
                .delete(keys::user_key(cx.account, &key.user_name, access_key_id));
            Ok(Outcome::Deleted)
        }
        AccessKeyOp::RecordUse {
            access_key_id,
            service,
            region,
        } => {
            let mut key = load_in(cx.txn, cx.account, None, access_key_id)?;
            let due = key
                .last_used
                .as_ref()
                .is_none_or(|u| cx.time_ms >= u.time_ms.saturating_add(USE_GRANULARITY_MS));
            if due {
                let text = |s: &str| {
                    let s: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
                    if s.is_empty() {
                        "N/A".to_owned()
                    } else {
                        s
                    }
                };
                key.last_used = Some(LastUsed {
                    time_ms: cx.time_ms,
                    service: text(service),
                    region: text(region),
                });
                cx.txn.put_json(keys::access_key(access_key_id), &key);
            }
            Ok(Outcome::Nothing)
        }
    }
}

fn create(cx: &mut Ctx<'_, '_>, user_name: &str, id: &str, secret: &str) -> IamResult<Outcome> {
    let owner = if user_name == ROOT {
        ROOT.to_owned()
    } else {
        users::load(cx.txn, cx.account, user_name)?.name
    };
    if validate_key_id(id).is_err() || !id.starts_with(IdPrefix::AccessKey.as_str()) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "the access key id was not chosen before proposing",
        ));
    }
    // The secret arrives sealed (longer than SECRET_LEN) or, without a cluster key, plain.
    if secret.chars().count() < SECRET_LEN {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "the secret access key was not chosen before proposing",
        ));
    }
    let existing = cx
        .txn
        .scan(
            &keys::user_keys_prefix(cx.account, &owner),
            None,
            ACCESS_KEYS_PER_USER_MAX,
        )
        .len();
    if existing >= ACCESS_KEYS_PER_USER_MAX {
        return Err(IamError::quota(
            "AccessKeysPerUser",
            ACCESS_KEYS_PER_USER_MAX as u64,
        ));
    }
    if cx.txn.exists(&keys::access_key(id)) {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!("Access key with id {id} already exists."),
        ));
    }
    let key = AccessKey {
        account: cx.account.to_owned(),
        user_name: owner.clone(),
        access_key_id: id.to_owned(),
        secret_access_key: secret.to_owned(),
        status: AccessKeyStatus::Active,
        created_ms: cx.time_ms,
        last_used: None,
    };
    cx.txn.put_json(keys::access_key(id), &key);
    cx.txn
        .put(keys::user_key(cx.account, &owner, id), Vec::new());
    Ok(Outcome::record(&key))
}

/// `GetAccessKeyLastUsed`'s answer: `last_used_ms` is absent and service and region are
/// `N/A` for a key that was never used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUsedView {
    pub user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_ms: Option<u64>,
    pub service_name: String,
    pub region: String,
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &AccessKeyQuery,
) -> IamResult<serde_json::Value> {
    let txn = Txn::new(state);
    match q {
        AccessKeyQuery::List { user_name, page } => {
            let owner = if user_name == ROOT {
                ROOT.to_owned()
            } else {
                users::load(&txn, account, user_name)?.name
            };
            let items = user_keys(&txn, account, &owner)
                .iter()
                .map(|k| (k.access_key_id.clone(), AccessKeyMetadata::from(k)))
                .collect();
            Ok(to_json(&vec_page(items, page)?))
        }
        AccessKeyQuery::GetLastUsed { access_key_id } => {
            let key = load_in(&txn, account, None, access_key_id)?;
            let view = match key.last_used {
                Some(u) => LastUsedView {
                    user_name: key.user_name,
                    last_used_ms: Some(u.time_ms),
                    service_name: u.service,
                    region: u.region,
                },
                None => LastUsedView {
                    user_name: key.user_name,
                    last_used_ms: None,
                    service_name: "N/A".to_owned(),
                    region: "N/A".to_owned(),
                },
            };
            Ok(to_json(&view))
        }
        AccessKeyQuery::Lookup { access_key_id } => {
            validate_key_id(access_key_id)?;
            let key = lookup(state, access_key_id).ok_or_else(|| no_such_key(access_key_id))?;
            Ok(to_json(&key))
        }
    }
}
