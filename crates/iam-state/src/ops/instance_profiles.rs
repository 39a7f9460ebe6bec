//! Instance profiles: containers for at most one role. The profile records its role's name
//! and the index `rprof/{a}/{role}/{profile}` lists the profiles a role is in. Queries return
//! profiles with their roles as full records (as AWS does).

use super::limits::{self, Counter, QuotaKind};
use super::paging::{vec_page, Page, PageRequest};
use super::users::{conflict, default_path, tags};
use super::{roles, to_json, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{decode, StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::limits::{GROUP_NAME_LEN_MAX, ROLES_PER_INSTANCE_PROFILE_MAX};
use iam_model::{arn, names, ErrorCode, IamError, IamResult, InstanceProfile, Role, Tag};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceProfileOp {
    Create {
        name: String,
        #[serde(default = "default_path")]
        path: String,
        #[serde(default)]
        tags: Vec<Tag>,
        /// Chosen by the proposing node.
        #[serde(default)]
        instance_profile_id: String,
    },
    Delete {
        name: String,
    },
    AddRole {
        instance_profile_name: String,
        role_name: String,
    },
    RemoveRole {
        instance_profile_name: String,
        role_name: String,
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
pub enum InstanceProfileQuery {
    Get {
        name: String,
    },
    List {
        #[serde(default = "default_path")]
        path_prefix: String,
        #[serde(default)]
        page: PageRequest,
    },
    ListForRole {
        role_name: String,
        #[serde(default)]
        page: PageRequest,
    },
    ListTags {
        name: String,
        #[serde(default)]
        page: PageRequest,
    },
}

impl InstanceProfileOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateInstanceProfile",
            Self::Delete { .. } => "DeleteInstanceProfile",
            Self::AddRole { .. } => "AddRoleToInstanceProfile",
            Self::RemoveRole { .. } => "RemoveRoleFromInstanceProfile",
            Self::Tag { .. } => "TagInstanceProfile",
            Self::Untag { .. } => "UntagInstanceProfile",
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Create {
            instance_profile_id,
            ..
        } = self
        {
            *instance_profile_id = env.unique_id(IdPrefix::InstanceProfile);
        }
    }
}

impl InstanceProfileQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetInstanceProfile",
            Self::List { .. } => "ListInstanceProfiles",
            Self::ListForRole { .. } => "ListInstanceProfilesForRole",
            Self::ListTags { .. } => "ListInstanceProfileTags",
        }
    }
}

/// An instance profile as queries return it: its roles as full records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfileView {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: u64,
    pub roles: Vec<Role>,
    pub tags: Vec<Tag>,
}

/// Instance profile names: 1–128 characters of `[\w+=,.@-]` (AWS's entity-name rule).
fn validate_name(name: &str) -> IamResult<()> {
    names::check_name("instanceProfileName", name, GROUP_NAME_LEN_MAX)
}

fn no_such(name: &str) -> IamError {
    IamError::no_such("instance profile", name)
}

/// Loads an instance profile or fails with AWS's `NoSuchEntity`.
pub fn load(txn: &Txn<'_>, account: &str, name: &str) -> IamResult<InstanceProfile> {
    txn.get_json(&keys::instance_profile(account, name))
        .ok_or_else(|| no_such(name))
}

fn save(cx: &mut Ctx<'_, '_>, p: &InstanceProfile) {
    cx.txn
        .put_json(keys::instance_profile(cx.account, &p.name), p);
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &InstanceProfileOp) -> IamResult<Outcome> {
    match op {
        InstanceProfileOp::Create {
            name,
            path,
            tags,
            instance_profile_id,
        } => create(cx, name, path, tags, instance_profile_id),
        InstanceProfileOp::Delete { name } => {
            let p = load(cx.txn, cx.account, name)?;
            if !p.roles.is_empty() {
                return Err(conflict("remove roles from instance profile"));
            }
            cx.txn.delete(keys::instance_profile(cx.account, name));
            limits::bump(cx.txn, cx.account, Counter::InstanceProfiles, -1);
            Ok(Outcome::Deleted)
        }
        InstanceProfileOp::AddRole {
            instance_profile_name,
            role_name,
        } => add_role(cx, instance_profile_name, role_name),
        InstanceProfileOp::RemoveRole {
            instance_profile_name,
            role_name,
        } => {
            let a = cx.account;
            let mut p = load(cx.txn, a, instance_profile_name)?;
            let role = roles::load(cx.txn, a, role_name)?;
            let key = keys::role_profile(a, role_name, instance_profile_name);
            if !cx.txn.exists(&key) {
                return Err(IamError::new(
                    ErrorCode::NoSuchEntity,
                    format!(
                        "The role with name {} is not in the instance profile with name {}.",
                        role.name, p.name
                    ),
                ));
            }
            cx.txn.delete(key);
            p.roles
                .retain(|r| keys::name_key(r) != keys::name_key(&role.name));
            save(cx, &p);
            Ok(Outcome::Nothing)
        }
        InstanceProfileOp::Tag { name, tags: new } => {
            let mut p = load(cx.txn, cx.account, name)?;
            tags::tag(&mut p.tags, new)?;
            save(cx, &p);
            Ok(Outcome::Nothing)
        }
        InstanceProfileOp::Untag { name, tag_keys } => {
            let mut p = load(cx.txn, cx.account, name)?;
            tags::untag(&mut p.tags, tag_keys)?;
            save(cx, &p);
            Ok(Outcome::Nothing)
        }
    }
}

fn create(
    cx: &mut Ctx<'_, '_>,
    name: &str,
    path: &str,
    tags: &[Tag],
    id: &str,
) -> IamResult<Outcome> {
    validate_name(name)?;
    names::validate_path("path", path)?;
    names::validate_tags(tags)?;
    let key = keys::instance_profile(cx.account, name);
    if cx.txn.exists(&key) {
        return Err(IamError::already_exists("Instance Profile", name));
    }
    limits::admit_one(cx.txn, cx.account, QuotaKind::InstanceProfiles)?;
    let p = InstanceProfile {
        account: cx.account.to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: id.to_owned(),
        arn: arn::entity_arn(cx.account, "instance-profile", path, name),
        created_ms: cx.time_ms,
        roles: Vec::new(),
        tags: tags.to_vec(),
    };
    cx.txn.put_json(key, &p);
    Ok(Outcome::record(&view(p, Vec::new())))
}

fn add_role(cx: &mut Ctx<'_, '_>, profile: &str, role_name: &str) -> IamResult<Outcome> {
    let a = cx.account;
    let mut p = load(cx.txn, a, profile)?;
    let role = roles::load(cx.txn, a, role_name)?;
    if p.roles
        .iter()
        .any(|r| keys::name_key(r) == keys::name_key(&role.name))
    {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!(
                "Role {} is already in instance profile {}.",
                role.name, p.name
            ),
        ));
    }
    if p.roles.len() >= ROLES_PER_INSTANCE_PROFILE_MAX {
        return Err(IamError::quota(
            "InstanceSessionsPerInstanceProfile",
            ROLES_PER_INSTANCE_PROFILE_MAX as u64,
        ));
    }
    cx.txn
        .put(keys::role_profile(a, &role.name, &p.name), Vec::new());
    p.roles.push(role.name);
    save(cx, &p);
    Ok(Outcome::Nothing)
}

fn view(p: InstanceProfile, roles: Vec<Role>) -> InstanceProfileView {
    InstanceProfileView {
        account: p.account,
        name: p.name,
        path: p.path,
        id: p.id,
        arn: p.arn,
        created_ms: p.created_ms,
        roles,
        tags: p.tags,
    }
}

fn read(state: &dyn StateRead, account: &str, name: &str) -> IamResult<InstanceProfile> {
    let key = keys::instance_profile(account, name);
    state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| no_such(name))
}

fn expand(state: &dyn StateRead, account: &str, p: InstanceProfile) -> InstanceProfileView {
    let roles = p
        .roles
        .iter()
        .filter_map(|r| roles::read(state, account, r).ok())
        .collect();
    view(p, roles)
}

fn expand_page(
    state: &dyn StateRead,
    account: &str,
    p: Page<InstanceProfile>,
) -> Page<InstanceProfileView> {
    Page {
        items: p
            .items
            .into_iter()
            .map(|i| expand(state, account, i))
            .collect(),
        is_truncated: p.is_truncated,
        marker: p.marker,
    }
}

/// The instance profiles `role` is in, by their key names.
fn of_role(state: &dyn StateRead, account: &str, role: &str) -> Vec<(String, InstanceProfile)> {
    let prefix = keys::role_profiles_prefix(account, role);
    state
        .scan(&prefix, None, usize::MAX)
        .into_iter()
        .filter_map(|(k, _)| {
            let name = String::from_utf8_lossy(k.get(prefix.len()..)?).into_owned();
            let p = read(state, account, &name).ok()?;
            Some((name, p))
        })
        .collect()
}

/// The instance profiles `role` is in, as GetInstanceProfile shows them, by name.
pub(crate) fn for_role(
    state: &dyn StateRead,
    account: &str,
    role: &str,
) -> Vec<InstanceProfileView> {
    let mut profiles = of_role(state, account, role);
    profiles.sort_by(|a, b| a.0.cmp(&b.0));
    profiles
        .into_iter()
        .map(|(_, p)| expand(state, account, p))
        .collect()
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &InstanceProfileQuery,
) -> IamResult<serde_json::Value> {
    match q {
        InstanceProfileQuery::Get { name } => {
            let p = read(state, account, name)?;
            Ok(to_json(&expand(state, account, p)))
        }
        InstanceProfileQuery::List { path_prefix, page } => {
            names::validate_path_prefix(path_prefix)?;
            let prefix = keys::prefix("iprof", account);
            let p = super::paging::scan_page(state, &prefix, page, |p: &InstanceProfile| {
                p.path.starts_with(path_prefix.as_str())
            })?;
            Ok(to_json(&expand_page(state, account, p)))
        }
        InstanceProfileQuery::ListForRole { role_name, page } => {
            roles::read(state, account, role_name)?;
            let p = vec_page(of_role(state, account, role_name), page)?;
            Ok(to_json(&expand_page(state, account, p)))
        }
        InstanceProfileQuery::ListTags { name, page } => {
            let p = read(state, account, name)?;
            Ok(to_json(&tags::list(&p.tags, page)?))
        }
    }
}
