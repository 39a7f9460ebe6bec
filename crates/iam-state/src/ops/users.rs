//! Users: create, get, list (by path prefix), update (rename and move, see [`rename`]),
//! delete (refused while anything still hangs off the user) and tags (see [`tags`], shared
//! with roles and instance profiles).

pub(crate) mod rename;
pub(crate) mod tags;

use super::limits::{self, Counter, QuotaKind};
use super::paging::{scan_page, PageRequest};
use super::{policies, to_json, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{decode, StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::{arn, names, ErrorCode, IamError, IamResult, Tag, User};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserOp {
    Create {
        name: String,
        #[serde(default = "default_path")]
        path: String,
        #[serde(default)]
        tags: Vec<Tag>,
        #[serde(default)]
        permissions_boundary: Option<String>,
        /// Chosen by the proposing node.
        #[serde(default)]
        user_id: String,
    },
    Delete {
        name: String,
    },
    /// UpdateUser: rename and/or move to another path.
    Update {
        name: String,
        #[serde(default)]
        new_name: Option<String>,
        #[serde(default)]
        new_path: Option<String>,
    },
    Tag {
        name: String,
        tags: Vec<Tag>,
    },
    Untag {
        name: String,
        tag_keys: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserQuery {
    Get {
        name: String,
    },
    List {
        #[serde(default = "default_path")]
        path_prefix: String,
        #[serde(default)]
        page: PageRequest,
    },
    ListTags {
        name: String,
        #[serde(default)]
        page: PageRequest,
    },
}

pub fn default_path() -> String {
    "/".to_owned()
}

impl UserOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateUser",
            Self::Delete { .. } => "DeleteUser",
            Self::Update { .. } => "UpdateUser",
            Self::Tag { .. } => "TagUser",
            Self::Untag { .. } => "UntagUser",
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Create { user_id, .. } = self {
            *user_id = env.unique_id(IdPrefix::User);
        }
    }
}

impl UserQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetUser",
            Self::List { .. } => "ListUsers",
            Self::ListTags { .. } => "ListUserTags",
        }
    }
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &UserOp) -> IamResult<Outcome> {
    match op {
        UserOp::Create {
            name,
            path,
            tags,
            permissions_boundary,
            user_id,
        } => {
            let user = User {
                account: cx.account.to_owned(),
                name: name.clone(),
                path: path.clone(),
                id: user_id.clone(),
                arn: arn::user_arn(cx.account, path, name),
                created_ms: cx.time_ms,
                tags: tags.clone(),
                permissions_boundary: permissions_boundary.clone(),
                groups: Vec::new(),
                attached_policies: Vec::new(),
                inline_policies: Default::default(),
            };
            create(cx, user)
        }
        UserOp::Delete { name } => delete(cx, name),
        UserOp::Update {
            name,
            new_name,
            new_path,
        } => rename::update(cx, name, new_name.as_deref(), new_path.as_deref()),
        UserOp::Tag { name, tags: new } => {
            let mut user = load(cx.txn, cx.account, name)?;
            tags::tag(&mut user.tags, new)?;
            cx.txn.put_json(keys::user(cx.account, name), &user);
            Ok(Outcome::Nothing)
        }
        UserOp::Untag { name, tag_keys } => {
            let mut user = load(cx.txn, cx.account, name)?;
            tags::untag(&mut user.tags, tag_keys)?;
            cx.txn.put_json(keys::user(cx.account, name), &user);
            Ok(Outcome::Nothing)
        }
    }
}

fn create(cx: &mut Ctx<'_, '_>, user: User) -> IamResult<Outcome> {
    names::validate_user_name(&user.name)?;
    names::validate_path("path", &user.path)?;
    names::validate_tags(&user.tags)?;
    let key = keys::user(cx.account, &user.name);
    if cx.txn.exists(&key) {
        return Err(IamError::already_exists("User", &user.name));
    }
    if let Some(b) = &user.permissions_boundary {
        policies::use_as_boundary(cx, b, 1)?;
    }
    limits::admit_one(cx.txn, cx.account, QuotaKind::Users)?;
    cx.txn.put_json(key, &user);
    Ok(Outcome::User(user))
}

/// Loads a user or fails with AWS's `NoSuchEntity`.
pub fn load(txn: &Txn<'_>, account: &str, name: &str) -> IamResult<User> {
    txn.get_json(&keys::user(account, name))
        .ok_or_else(|| IamError::no_such("user", name))
}

/// AWS's `DeleteConflict`: "Cannot delete entity, must {what} first."
pub(crate) fn conflict(what: &str) -> IamError {
    IamError::new(
        ErrorCode::DeleteConflict,
        format!("Cannot delete entity, must {what} first."),
    )
}

/// Moves the value at `old` to `new` (nothing when `old` is absent or the keys are equal).
pub(crate) fn move_key(txn: &mut Txn<'_>, old: &[u8], new: Vec<u8>) {
    if old == new.as_slice() {
        return;
    }
    if let Some(v) = txn.get(old) {
        txn.delete(old.to_vec());
        txn.put(new, v);
    }
}

/// Moves the `pent/{a}/{policy}/{kind}/{entity}` keys of `attached` (policy ARNs) from the
/// entity's old name to its new one.
pub(crate) fn move_attachments(
    txn: &mut Txn<'_>,
    account: &str,
    kind: keys::EntityKind,
    attached: &[String],
    old: &str,
    new: &str,
) {
    for policy_arn in attached {
        // Only this account's policies have attachment keys.
        if let Ok(policy) = policies::policy_name_from_arn(account, policy_arn) {
            let from = keys::policy_entity(account, policy, kind, old);
            let to = keys::policy_entity(account, policy, kind, new);
            move_key(txn, &from, to);
        }
    }
}

fn delete(cx: &mut Ctx<'_, '_>, name: &str) -> IamResult<Outcome> {
    let user = load(cx.txn, cx.account, name)?;
    let a = cx.account;
    if cx.txn.exists(&keys::login_profile(a, name)) {
        return Err(conflict("delete login profile"));
    }
    if !cx
        .txn
        .scan(&keys::user_keys_prefix(a, name), None, 1)
        .is_empty()
    {
        return Err(conflict("delete access keys"));
    }
    if !cx
        .txn
        .scan(&keys::user_mfa_prefix(a, name), None, 1)
        .is_empty()
    {
        return Err(conflict("delete MFA device"));
    }
    if !cx
        .txn
        .scan(&keys::user_ssh_keys_prefix(a, name), None, 1)
        .is_empty()
    {
        return Err(conflict("delete SSH public keys"));
    }
    if !cx
        .txn
        .scan(&keys::user_signing_certs_prefix(a, name), None, 1)
        .is_empty()
    {
        return Err(conflict("delete signing certificates"));
    }
    if !user.inline_policies.is_empty() {
        return Err(conflict("delete policies"));
    }
    if !user.attached_policies.is_empty() {
        return Err(conflict("detach all policies"));
    }
    if !user.groups.is_empty() {
        return Err(conflict("remove user from all groups"));
    }
    if let Some(b) = &user.permissions_boundary {
        policies::use_as_boundary(cx, b, -1)?;
    }
    cx.txn.delete(keys::user(a, name));
    limits::bump(cx.txn, a, Counter::Users, -1);
    Ok(Outcome::Deleted)
}

/// Reads a user for a query.
pub(crate) fn read(state: &dyn StateRead, account: &str, name: &str) -> IamResult<User> {
    let key = keys::user(account, name);
    state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| IamError::no_such("user", name))
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &UserQuery,
) -> IamResult<serde_json::Value> {
    match q {
        UserQuery::Get { name } => Ok(to_json(&read(state, account, name)?)),
        UserQuery::List { path_prefix, page } => {
            names::validate_path_prefix(path_prefix)?;
            let p = scan_page(state, &keys::user_prefix(account), page, |u: &User| {
                u.path.starts_with(path_prefix.as_str())
            })?;
            Ok(to_json(&p))
        }
        UserQuery::ListTags { name, page } => {
            let user = read(state, account, name)?;
            Ok(to_json(&tags::list(&user.tags, page)?))
        }
    }
}
