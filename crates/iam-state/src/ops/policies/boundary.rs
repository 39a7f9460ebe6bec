//! Permissions boundaries of users and roles: set (replacing and releasing any previous
//! boundary) and remove. The policy's `boundary_usage_count` follows.

use super::super::Ctx;
use super::principal::Principal;
use super::{use_as_boundary, BoundaryEntity};
use crate::command::Outcome;
use iam_model::IamResult;

pub(super) fn put(
    cx: &mut Ctx<'_, '_>,
    entity: BoundaryEntity,
    entity_name: &str,
    policy_arn: &str,
) -> IamResult<Outcome> {
    let mut who = Principal::load(cx.txn, cx.account, entity.kind(), entity_name)?;
    who.check_modifiable()?;
    use_as_boundary(cx, policy_arn, 1)?;
    if let Some(slot) = who.boundary_mut() {
        if let Some(old) = slot.replace(policy_arn.to_owned()) {
            use_as_boundary(cx, &old, -1)?;
        }
    }
    who.store(cx.txn, cx.account);
    Ok(Outcome::Nothing)
}

/// Removing a boundary that is not set succeeds and changes nothing.
pub(super) fn delete(
    cx: &mut Ctx<'_, '_>,
    entity: BoundaryEntity,
    entity_name: &str,
) -> IamResult<Outcome> {
    let mut who = Principal::load(cx.txn, cx.account, entity.kind(), entity_name)?;
    who.check_modifiable()?;
    let old = who.boundary_mut().and_then(Option::take);
    if let Some(old) = old {
        use_as_boundary(cx, &old, -1)?;
        who.store(cx.txn, cx.account);
    }
    Ok(Outcome::Nothing)
}
