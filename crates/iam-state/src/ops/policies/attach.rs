//! Attaching managed policies to users, groups and roles, and the lists of attachments
//! (per entity, and per policy through the `pent/` index).

use super::super::limits::{self, QuotaKind};
use super::super::paging::{vec_page, PageRequest};
use super::super::{to_json, Ctx};
use super::principal::Principal;
use super::{managed, policy_name_from_arn, EntityFilter, EntityKind, PolicyUsage};
use crate::command::Outcome;
use crate::keys::{self, name_key};
use crate::store::{decode, StateRead};
use iam_model::limits::ATTACHED_POLICIES_PER_GROUP_MAX;
use iam_model::{names, ErrorCode, IamError, IamResult, Role, User};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One item of ListAttached{User,Group,Role}Policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyUser {
    pub user_name: String,
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyGroup {
    pub group_name: String,
    pub group_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRole {
    pub role_name: String,
    pub role_id: String,
}

/// The result of ListEntitiesForPolicy: one page over groups, then roles, then users (each by
/// lowercased name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitiesPage {
    pub policy_groups: Vec<PolicyGroup>,
    pub policy_users: Vec<PolicyUser>,
    pub policy_roles: Vec<PolicyRole>,
    pub is_truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

pub(super) fn attach(
    cx: &mut Ctx<'_, '_>,
    kind: EntityKind,
    entity_name: &str,
    policy_arn: &str,
) -> IamResult<Outcome> {
    let a = cx.account;
    let mut who = Principal::load(cx.txn, a, kind, entity_name)?;
    who.check_modifiable()?;
    let (pkey, mut p) = managed::load(cx.txn, a, policy_arn)?;
    if who.attached().iter().any(|x| x == policy_arn) {
        return Ok(Outcome::Nothing);
    }
    let n = who.attached().len() as u64 + 1;
    match kind {
        EntityKind::User => limits::check(cx.txn, a, QuotaKind::AttachedPoliciesPerUser, n)?,
        EntityKind::Role => limits::check(cx.txn, a, QuotaKind::AttachedPoliciesPerRole, n)?,
        EntityKind::Group => {
            let max = ATTACHED_POLICIES_PER_GROUP_MAX as u64;
            if n > max {
                return Err(IamError::quota("PoliciesPerGroup", max));
            }
        }
    }
    who.attached_mut().push(policy_arn.to_owned());
    who.store(cx.txn, a);
    cx.txn.put(
        keys::policy_entity(a, &p.name, kind, who.name()),
        Vec::new(),
    );
    p.attachment_count = p.attachment_count.saturating_add(1);
    cx.txn.put_json(pkey, &p);
    Ok(Outcome::Nothing)
}

pub(super) fn detach(
    cx: &mut Ctx<'_, '_>,
    kind: EntityKind,
    entity_name: &str,
    policy_arn: &str,
) -> IamResult<Outcome> {
    let a = cx.account;
    let mut who = Principal::load(cx.txn, a, kind, entity_name)?;
    who.check_modifiable()?;
    let i = who
        .attached()
        .iter()
        .position(|x| x == policy_arn)
        .ok_or_else(|| {
            IamError::new(
                ErrorCode::NoSuchEntity,
                format!("Policy {policy_arn} was not found."),
            )
        })?;
    who.attached_mut().remove(i);
    who.store(cx.txn, a);
    let policy_name = policy_name_from_arn(a, policy_arn)?;
    cx.txn
        .delete(keys::policy_entity(a, policy_name, kind, who.name()));
    if let Ok((pkey, mut p)) = managed::load(cx.txn, a, policy_arn) {
        p.attachment_count = p.attachment_count.saturating_sub(1);
        cx.txn.put_json(pkey, &p);
    }
    Ok(Outcome::Nothing)
}

/// The path of a policy from its ARN (`arn:aws:iam::A:policy/a/b/N` → `/a/b/`).
fn policy_path(policy_arn: &str) -> &str {
    let resource = policy_arn.split_once(":policy").map_or("", |(_, r)| r);
    match resource.rfind('/') {
        Some(i) => resource.get(..=i).unwrap_or("/"),
        None => "/",
    }
}

pub(super) fn list_attached(
    state: &dyn StateRead,
    account: &str,
    kind: EntityKind,
    entity_name: &str,
    path_prefix: &str,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    names::validate_path_prefix(path_prefix)?;
    let who = Principal::read(state, account, kind, entity_name)?;
    let items = who
        .attached()
        .iter()
        .filter(|arn| policy_path(arn).starts_with(path_prefix))
        .filter_map(|arn| {
            let name = policy_name_from_arn(account, arn).ok()?;
            Some((
                name_key(name),
                AttachedPolicy {
                    policy_name: name.to_owned(),
                    policy_arn: arn.clone(),
                },
            ))
        })
        .collect();
    Ok(to_json(&vec_page(items, page)?))
}

/// Who uses the policy, by `kind/lowercased name`.
fn entities_using(
    state: &dyn StateRead,
    account: &str,
    policy_name: &str,
    policy_arn: &str,
    usage: Option<PolicyUsage>,
) -> BTreeMap<String, Principal> {
    let mut found = BTreeMap::new();
    if usage != Some(PolicyUsage::PermissionsBoundary) {
        let prefix = keys::policy_entities_prefix(account, policy_name);
        for (k, _) in state.scan(&prefix, None, usize::MAX) {
            let suffix =
                String::from_utf8_lossy(k.get(prefix.len()..).unwrap_or_default()).into_owned();
            let Some((kind, name)) = suffix.split_once('/') else {
                continue;
            };
            let kind = match kind {
                "user" => EntityKind::User,
                "group" => EntityKind::Group,
                "role" => EntityKind::Role,
                _ => continue,
            };
            if let Some(p) = Principal::find(state, account, kind, name) {
                found.insert(suffix, p);
            }
        }
    }
    if usage != Some(PolicyUsage::PermissionsPolicy) {
        let boundary = Some(policy_arn.to_owned());
        for (k, v) in state.scan(&keys::user_prefix(account), None, usize::MAX) {
            if let Some(u) = decode::<User>(&k, &v).filter(|u| u.permissions_boundary == boundary) {
                found.insert(format!("user/{}", name_key(&u.name)), Principal::User(u));
            }
        }
        for (k, v) in state.scan(&keys::prefix("role", account), None, usize::MAX) {
            if let Some(r) = decode::<Role>(&k, &v).filter(|r| r.permissions_boundary == boundary) {
                found.insert(format!("role/{}", name_key(&r.name)), Principal::Role(r));
            }
        }
    }
    found
}

pub(super) fn list_entities(
    state: &dyn StateRead,
    account: &str,
    policy_arn: &str,
    filter: Option<EntityFilter>,
    path_prefix: &str,
    usage: Option<PolicyUsage>,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    names::validate_path_prefix(path_prefix)?;
    let policy = managed::read(state, account, policy_arn)?;
    let wanted = |kind: EntityKind| match filter {
        None => true,
        Some(EntityFilter::User) => kind == EntityKind::User,
        Some(EntityFilter::Group) => kind == EntityKind::Group,
        Some(EntityFilter::Role) => kind == EntityKind::Role,
        Some(EntityFilter::LocalManagedPolicy | EntityFilter::AwsManagedPolicy) => false,
    };
    let items = entities_using(state, account, &policy.name, policy_arn, usage)
        .into_iter()
        .filter(|(_, p)| wanted(p.kind()) && p.path().starts_with(path_prefix))
        .collect();
    let p = vec_page(items, page)?;
    let mut out = EntitiesPage {
        policy_groups: Vec::new(),
        policy_users: Vec::new(),
        policy_roles: Vec::new(),
        is_truncated: p.is_truncated,
        marker: p.marker,
    };
    for e in p.items {
        let (name, id) = (e.name().to_owned(), e.id().to_owned());
        match e.kind() {
            EntityKind::User => out.policy_users.push(PolicyUser {
                user_name: name,
                user_id: id,
            }),
            EntityKind::Group => out.policy_groups.push(PolicyGroup {
                group_name: name,
                group_id: id,
            }),
            EntityKind::Role => out.policy_roles.push(PolicyRole {
                role_name: name,
                role_id: id,
            }),
        }
    }
    Ok(to_json(&out))
}

/// Releases everything a role being deleted by AWS's cleanup holds in this family: its
/// managed policy attachments (the `pent/` index and each policy's attachment count) and its
/// permissions boundary (the policy's boundary usage count). The role's own record is the
/// caller's to delete. Policies that no longer exist are skipped.
pub(crate) fn release_role(cx: &mut Ctx<'_, '_>, role: &Role) -> IamResult<()> {
    let a = cx.account;
    for policy_arn in &role.attached_policies {
        let Ok(policy_name) = policy_name_from_arn(a, policy_arn) else {
            continue;
        };
        cx.txn.delete(keys::policy_entity(
            a,
            policy_name,
            EntityKind::Role,
            &role.name,
        ));
        if let Ok((pkey, mut p)) = managed::load(cx.txn, a, policy_arn) {
            p.attachment_count = p.attachment_count.saturating_sub(1);
            cx.txn.put_json(pkey, &p);
        }
    }
    if let Some(b) = &role.permissions_boundary {
        super::use_as_boundary(cx, b, -1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn policy_paths_come_from_arns() {
        assert_eq!(
            super::policy_path("arn:aws:iam::123456789012:policy/P"),
            "/"
        );
        assert_eq!(
            super::policy_path("arn:aws:iam::123456789012:policy/a/b/P"),
            "/a/b/"
        );
        assert_eq!(super::policy_path("junk"), "/");
    }
}
