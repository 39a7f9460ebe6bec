//! Groups and memberships. A membership is recorded twice: in the member's
//! [`User::groups`] (sorted by lowercased group name, at most
//! [`GROUPS_PER_USER_MAX`]) and in the index `gmem/{a}/{group}/{user}` (a group's users).

use super::limits::{self, Counter, QuotaKind};
use super::paging::{scan_page, vec_page, PageRequest};
use super::users::{self, conflict, default_path, move_attachments, move_key};
use super::{to_json, Ctx, Env};
use crate::command::Outcome;
use crate::keys::{self, EntityKind};
use crate::store::{decode, StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::limits::GROUPS_PER_USER_MAX;
use iam_model::{arn, names, ErrorCode, Group, IamError, IamResult, User};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupOp {
    Create {
        name: String,
        #[serde(default = "default_path")]
        path: String,
        /// Chosen by the proposing node.
        #[serde(default)]
        group_id: String,
        /// Only in a build of the next release (the rolling-upgrade test's stand-in, see
        /// [`crate::release`]): refused until the cluster runs it, as an older member would
        /// create the group without it.
        #[cfg(feature = "release-next")]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// UpdateGroup: rename and/or move to another path.
    Update {
        name: String,
        #[serde(default)]
        new_name: Option<String>,
        #[serde(default)]
        new_path: Option<String>,
    },
    Delete {
        name: String,
    },
    AddUser {
        group_name: String,
        user_name: String,
    },
    RemoveUser {
        group_name: String,
        user_name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupQuery {
    /// GetGroup: `{"group": Group, "users": [User], "is_truncated": bool, "marker"?: str}`.
    Get {
        name: String,
        #[serde(default)]
        page: PageRequest,
    },
    List {
        #[serde(default = "default_path")]
        path_prefix: String,
        #[serde(default)]
        page: PageRequest,
    },
    ListForUser {
        user_name: String,
        #[serde(default)]
        page: PageRequest,
    },
}

impl GroupOp {
    /// CreateGroup (`group_id` is replaced by the proposing node).
    pub fn create(
        name: impl Into<String>,
        path: impl Into<String>,
        group_id: impl Into<String>,
    ) -> Self {
        Self::Create {
            name: name.into(),
            path: path.into(),
            group_id: group_id.into(),
            #[cfg(feature = "release-next")]
            note: None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateGroup",
            Self::Update { .. } => "UpdateGroup",
            Self::Delete { .. } => "DeleteGroup",
            Self::AddUser { .. } => "AddUserToGroup",
            Self::RemoveUser { .. } => "RemoveUserFromGroup",
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Create { group_id, .. } = self {
            *group_id = env.unique_id(IdPrefix::Group);
        }
    }
}

impl GroupQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetGroup",
            Self::List { .. } => "ListGroups",
            Self::ListForUser { .. } => "ListGroupsForUser",
        }
    }
}

fn group_arn(account: &str, path: &str, name: &str) -> String {
    arn::entity_arn(account, "group", path, name)
}

/// Loads a group or fails with AWS's `NoSuchEntity`.
pub fn load(txn: &Txn<'_>, account: &str, name: &str) -> IamResult<Group> {
    txn.get_json(&keys::group(account, name))
        .ok_or_else(|| IamError::no_such("group", name))
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &GroupOp) -> IamResult<Outcome> {
    match op {
        GroupOp::Create {
            name,
            path,
            group_id,
            #[cfg(feature = "release-next")]
            note,
        } => {
            #[cfg(feature = "release-next")]
            if note.is_some() {
                crate::release::require(&*cx.txn, crate::release::RELEASE, "CreateGroup's note")?;
            }
            create(cx, name, path, group_id, |_g| {
                #[cfg(feature = "release-next")]
                {
                    _g.note = note.clone();
                }
            })
        }
        GroupOp::Update {
            name,
            new_name,
            new_path,
        } => update(cx, name, new_name.as_deref(), new_path.as_deref()),
        GroupOp::Delete { name } => delete(cx, name),
        GroupOp::AddUser {
            group_name,
            user_name,
        } => add_user(cx, group_name, user_name),
        GroupOp::RemoveUser {
            group_name,
            user_name,
        } => remove_user(cx, group_name, user_name),
    }
}

fn create(
    cx: &mut Ctx<'_, '_>,
    name: &str,
    path: &str,
    id: &str,
    finish: impl FnOnce(&mut Group),
) -> IamResult<Outcome> {
    names::validate_group_name(name)?;
    names::validate_path("path", path)?;
    let key = keys::group(cx.account, name);
    if cx.txn.exists(&key) {
        return Err(IamError::already_exists("Group", name));
    }
    limits::admit_one(cx.txn, cx.account, QuotaKind::Groups)?;
    let arn = group_arn(cx.account, path, name);
    let mut group = Group::new(cx.account, name, path, id, arn, cx.time_ms);
    finish(&mut group);
    cx.txn.put_json(key, &group);
    Ok(Outcome::record(&group))
}

fn update(
    cx: &mut Ctx<'_, '_>,
    name: &str,
    new_name: Option<&str>,
    new_path: Option<&str>,
) -> IamResult<Outcome> {
    let a = cx.account;
    let mut group = load(cx.txn, a, name)?;
    if let Some(n) = new_name {
        names::validate_group_name(n).map_err(|mut e| {
            e.message = e.message.replacen("'groupName'", "'newGroupName'", 1);
            e
        })?;
    }
    if let Some(p) = new_path {
        names::validate_path("newPath", p)?;
        group.path = p.to_owned();
    }
    let old = group.name.clone();
    if let Some(n) = new_name {
        if keys::name_key(n) != keys::name_key(&old) && cx.txn.exists(&keys::group(a, n)) {
            return Err(IamError::already_exists("Group", n));
        }
        group.name = n.to_owned();
    }
    group.arn = group_arn(a, &group.path, &group.name);
    let new = group.name.clone();
    if new != old {
        let prefix = keys::group_members_prefix(a, &old);
        for (k, _) in cx.txn.scan_all(&prefix) {
            let member =
                String::from_utf8_lossy(k.get(prefix.len()..).unwrap_or_default()).into_owned();
            move_key(cx.txn, &k, keys::group_member(a, &new, &member));
            if let Ok(mut user) = users::load(cx.txn, a, &member) {
                user.groups
                    .retain(|g| keys::name_key(g) != keys::name_key(&old));
                insert_sorted(&mut user.groups, &new);
                cx.txn.put_json(keys::user(a, &member), &user);
            }
        }
        move_attachments(
            cx.txn,
            a,
            EntityKind::Group,
            &group.attached_policies,
            &old,
            &new,
        );
    }
    cx.txn.delete(keys::group(a, &old));
    cx.txn.put_json(keys::group(a, &new), &group);
    Ok(Outcome::record(&group))
}

fn insert_sorted(groups: &mut Vec<String>, name: &str) {
    groups.push(name.to_owned());
    groups.sort_by_key(|g| keys::name_key(g));
}

fn delete(cx: &mut Ctx<'_, '_>, name: &str) -> IamResult<Outcome> {
    let a = cx.account;
    let group = load(cx.txn, a, name)?;
    if !cx
        .txn
        .scan(&keys::group_members_prefix(a, name), None, 1)
        .is_empty()
    {
        return Err(conflict("remove users from group"));
    }
    if !group.inline_policies.is_empty() {
        return Err(conflict("delete policies"));
    }
    if !group.attached_policies.is_empty() {
        return Err(conflict("detach all policies"));
    }
    cx.txn.delete(keys::group(a, name));
    limits::bump(cx.txn, a, Counter::Groups, -1);
    Ok(Outcome::Deleted)
}

fn add_user(cx: &mut Ctx<'_, '_>, group_name: &str, user_name: &str) -> IamResult<Outcome> {
    let a = cx.account;
    let group = load(cx.txn, a, group_name)?;
    let mut user = users::load(cx.txn, a, user_name)?;
    let key = keys::group_member(a, group_name, user_name);
    if cx.txn.exists(&key) {
        return Ok(Outcome::Nothing);
    }
    if user.groups.len() >= GROUPS_PER_USER_MAX {
        return Err(IamError::quota("GroupsPerUser", GROUPS_PER_USER_MAX as u64));
    }
    cx.txn.put(key, Vec::new());
    insert_sorted(&mut user.groups, &group.name);
    cx.txn.put_json(keys::user(a, user_name), &user);
    Ok(Outcome::Nothing)
}

fn remove_user(cx: &mut Ctx<'_, '_>, group_name: &str, user_name: &str) -> IamResult<Outcome> {
    let a = cx.account;
    let group = load(cx.txn, a, group_name)?;
    let mut user = users::load(cx.txn, a, user_name)?;
    let key = keys::group_member(a, group_name, user_name);
    if !cx.txn.exists(&key) {
        return Err(IamError::new(
            ErrorCode::NoSuchEntity,
            format!(
                "The user with name {} is not in the group with name {}.",
                user.name, group.name
            ),
        ));
    }
    cx.txn.delete(key);
    user.groups
        .retain(|g| keys::name_key(g) != keys::name_key(&group.name));
    cx.txn.put_json(keys::user(a, user_name), &user);
    Ok(Outcome::Nothing)
}

fn read(state: &dyn StateRead, account: &str, name: &str) -> IamResult<Group> {
    let key = keys::group(account, name);
    state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| IamError::no_such("group", name))
}

/// GetGroup's answer: the group and one page of its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPage {
    pub group: Group,
    pub users: Vec<User>,
    pub is_truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &GroupQuery,
) -> IamResult<serde_json::Value> {
    match q {
        GroupQuery::Get { name, page } => {
            let group = read(state, account, name)?;
            let prefix = keys::group_members_prefix(account, name);
            let members: Vec<(String, User)> = state
                .scan(&prefix, None, usize::MAX)
                .into_iter()
                .filter_map(|(k, _)| {
                    let member = String::from_utf8_lossy(k.get(prefix.len()..)?).into_owned();
                    let user = users::read(state, account, &member).ok()?;
                    Some((member, user))
                })
                .collect();
            let p = vec_page(members, page)?;
            Ok(to_json(&GroupPage {
                group,
                users: p.items,
                is_truncated: p.is_truncated,
                marker: p.marker,
            }))
        }
        GroupQuery::List { path_prefix, page } => {
            names::validate_path_prefix(path_prefix)?;
            let p = scan_page(state, &keys::prefix("group", account), page, |g: &Group| {
                g.path.starts_with(path_prefix.as_str())
            })?;
            Ok(to_json(&p))
        }
        GroupQuery::ListForUser { user_name, page } => {
            let user = users::read(state, account, user_name)?;
            let groups: Vec<(String, Group)> = user
                .groups
                .iter()
                .filter_map(|g| Some((keys::name_key(g), read(state, account, g).ok()?)))
                .collect();
            Ok(to_json(&vec_page(groups, page)?))
        }
    }
}
