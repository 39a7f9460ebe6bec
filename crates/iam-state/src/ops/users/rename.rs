//! UpdateUser: a new path and/or a new name. A rename moves every key that names the user
//! (its record, group memberships, policy attachments, access-key, login-profile and MFA
//! index keys) and rewrites the `user_name` field of the records other families keep about
//! the user (access keys, login profile, MFA devices). Those records are rewritten
//! generically through their JSON so this module does not depend on their types.

use super::{load, move_attachments, move_key};
use crate::command::Outcome;
use crate::keys::{self, EntityKind};
use crate::ops::Ctx;
use crate::store::Txn;
use iam_model::{arn, names, IamError, IamResult};

pub(crate) fn update(
    cx: &mut Ctx<'_, '_>,
    name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> IamResult<Outcome> {
    let a = cx.account;
    let mut user = load(cx.txn, a, name)?;
    if let Some(n) = new_name {
        names::validate_user_name(n).map_err(|mut e| {
            e.message = e.message.replacen("'userName'", "'newUserName'", 1);
            e
        })?;
    }
    if let Some(p) = new_path {
        names::validate_path("newPath", p)?;
        user.path = p.to_owned();
    }
    let old = user.name.clone();
    if let Some(n) = new_name {
        if keys::name_key(n) != keys::name_key(&old) && cx.txn.exists(&keys::user(a, n)) {
            return Err(IamError::already_exists("User", n));
        }
        user.name = n.to_owned();
    }
    user.arn = arn::user_arn(a, &user.path, &user.name);
    let new = user.name.clone();
    if new != old {
        move_references(cx.txn, a, &old, &new, &user.groups, &user.attached_policies);
    }
    cx.txn.delete(keys::user(a, &old));
    cx.txn.put_json(keys::user(a, &new), &user);
    Ok(Outcome::User(user))
}

fn move_references(
    txn: &mut Txn<'_>,
    a: &str,
    old: &str,
    new: &str,
    groups: &[String],
    attached: &[String],
) {
    for g in groups {
        move_key(
            txn,
            &keys::group_member(a, g, old),
            keys::group_member(a, g, new),
        );
    }
    move_attachments(txn, a, EntityKind::User, attached, old, new);
    // Access keys: the index moves, the global record names the user.
    let prefix = keys::user_keys_prefix(a, old);
    for (k, v) in txn.scan_all(&prefix) {
        let id = String::from_utf8_lossy(k.get(prefix.len()..).unwrap_or_default()).into_owned();
        rewrite_at(txn, k, keys::user_key(a, new, &id), v, new);
        rewrite_in_place(txn, keys::access_key(&id), new);
    }
    let login = keys::login_profile(a, old);
    if let Some(v) = txn.get(&login) {
        rewrite_at(txn, login, keys::login_profile(a, new), v, new);
    }
    // SSH public keys: the records move and name the user.
    let prefix = keys::user_ssh_keys_prefix(a, old);
    for (k, v) in txn.scan_all(&prefix) {
        let id = String::from_utf8_lossy(k.get(prefix.len()..).unwrap_or_default()).into_owned();
        rewrite_at(txn, k, keys::user_ssh_key(a, new, &id), v, new);
    }
    // Signing certificates: the records move and name the user.
    let prefix = keys::user_signing_certs_prefix(a, old);
    for (k, v) in txn.scan_all(&prefix) {
        let id = String::from_utf8_lossy(k.get(prefix.len()..).unwrap_or_default()).into_owned();
        rewrite_at(txn, k, keys::user_signing_cert(a, new, &id), v, new);
    }
    // MFA devices in use: the index moves, the device record names the user.
    let prefix = keys::user_mfa_prefix(a, old);
    for (k, v) in txn.scan_all(&prefix) {
        let device =
            String::from_utf8_lossy(k.get(prefix.len()..).unwrap_or_default()).into_owned();
        rewrite_at(txn, k, keys::user_mfa(a, new, &device), v, new);
        rewrite_in_place(txn, keys::mfa_device(a, &device), new);
    }
}

/// Stores `value` (with its `user_name` rewritten) at `to` instead of `from`.
fn rewrite_at(txn: &mut Txn<'_>, from: Vec<u8>, to: Vec<u8>, value: Vec<u8>, new: &str) {
    let value = with_user_name(&value, new).unwrap_or(value);
    if from != to {
        txn.delete(from);
    }
    txn.put(to, value);
}

fn rewrite_in_place(txn: &mut Txn<'_>, key: Vec<u8>, new: &str) {
    if let Some(v) = txn.get(&key).and_then(|v| with_user_name(&v, new)) {
        txn.put(key, v);
    }
}

/// The record with its top-level `user_name` set to `new`, when it is a JSON object that
/// has that field.
fn with_user_name(value: &[u8], new: &str) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_slice(value).ok()?;
    let field = v.as_object_mut()?.get_mut("user_name")?;
    *field = serde_json::Value::String(new.to_owned());
    serde_json::to_vec(&v).ok()
}
