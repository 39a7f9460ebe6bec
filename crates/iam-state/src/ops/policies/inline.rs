//! Inline policies of users, groups and roles: put (create or replace), get, delete, list.
//! The size limit applies to the sum of an entity's inline policies.

use super::super::paging::{vec_page, PageRequest};
use super::super::{parse_new_policy, to_json, Ctx};
use super::principal::Principal;
use super::{validate, EntityKind};
use crate::command::Outcome;
use iam_model::{ErrorCode, IamError, IamResult};
use iam_policy::{
    policy_size, PolicyKind, GROUP_INLINE_SIZE_MAX, ROLE_INLINE_SIZE_MAX, USER_INLINE_SIZE_MAX,
};
use serde::{Deserialize, Serialize};

/// Get{User,Group,Role}Policy's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicyView {
    pub entity: EntityKind,
    pub entity_name: String,
    pub policy_name: String,
    pub policy_document: String,
}

fn policy_kind(kind: EntityKind) -> (PolicyKind, usize) {
    match kind {
        EntityKind::User => (PolicyKind::UserInline, USER_INLINE_SIZE_MAX),
        EntityKind::Group => (PolicyKind::GroupInline, GROUP_INLINE_SIZE_MAX),
        EntityKind::Role => (PolicyKind::RoleInline, ROLE_INLINE_SIZE_MAX),
    }
}

fn no_such(kind: EntityKind, policy_name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!(
            "The {} policy with name {policy_name} cannot be found.",
            kind.as_str()
        ),
    )
}

pub(super) fn put(
    cx: &mut Ctx<'_, '_>,
    kind: EntityKind,
    entity_name: &str,
    policy_name: &str,
    document: &str,
) -> IamResult<Outcome> {
    validate::policy_name(policy_name)?;
    let mut who = Principal::load(cx.txn, cx.account, kind, entity_name)?;
    who.check_modifiable()?;
    let (policy_kind, max) = policy_kind(kind);
    parse_new_policy(cx.txn, document, policy_kind, false)?;
    let others: usize = who
        .inline()
        .iter()
        .filter(|(name, _)| name.as_str() != policy_name)
        .map(|(_, doc)| policy_size(doc))
        .sum();
    if others.saturating_add(policy_size(document)) > max {
        return Err(IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "Maximum policy size of {max} bytes exceeded for {} {}",
                kind.as_str(),
                who.name()
            ),
        ));
    }
    who.inline_mut()
        .insert(policy_name.to_owned(), document.to_owned());
    who.store(cx.txn, cx.account);
    Ok(Outcome::Nothing)
}

pub(super) fn delete(
    cx: &mut Ctx<'_, '_>,
    kind: EntityKind,
    entity_name: &str,
    policy_name: &str,
) -> IamResult<Outcome> {
    validate::policy_name(policy_name)?;
    let mut who = Principal::load(cx.txn, cx.account, kind, entity_name)?;
    who.check_modifiable()?;
    if who.inline_mut().remove(policy_name).is_none() {
        return Err(no_such(kind, policy_name));
    }
    who.store(cx.txn, cx.account);
    Ok(Outcome::Deleted)
}

pub(super) fn get(
    state: &dyn crate::StateRead,
    account: &str,
    kind: EntityKind,
    entity_name: &str,
    policy_name: &str,
) -> IamResult<serde_json::Value> {
    validate::policy_name(policy_name)?;
    let who = Principal::read(state, account, kind, entity_name)?;
    let document = who
        .inline()
        .get(policy_name)
        .ok_or_else(|| no_such(kind, policy_name))?;
    Ok(to_json(&InlinePolicyView {
        entity: kind,
        entity_name: who.name().to_owned(),
        policy_name: policy_name.to_owned(),
        policy_document: document.clone(),
    }))
}

/// The entity's inline policy names, in name order.
pub(super) fn list(
    state: &dyn crate::StateRead,
    account: &str,
    kind: EntityKind,
    entity_name: &str,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    let who = Principal::read(state, account, kind, entity_name)?;
    let items = who
        .inline()
        .keys()
        .map(|name| (name.clone(), name.clone()))
        .collect();
    Ok(to_json(&vec_page(items, page)?))
}
