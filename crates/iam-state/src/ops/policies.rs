//! Customer managed policies, versions, attachments, inline policies and permissions boundaries.

use super::{Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::StateRead;
use iam_model::IamResult;
use iam_model::{ErrorCode, IamError, ManagedPolicy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyOp {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyQuery {}

impl PolicyOp {
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub(crate) fn prepare(&mut self, _env: &mut dyn Env) {}
}

impl PolicyQuery {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}

pub(crate) fn apply(_cx: &mut Ctx<'_, '_>, op: &PolicyOp) -> IamResult<Outcome> {
    match *op {}
}

pub(crate) fn query(
    _state: &dyn StateRead,
    _account: &str,
    q: &PolicyQuery,
) -> IamResult<serde_json::Value> {
    match *q {}
}

/// Splits a customer managed policy ARN of `account` into its name; AWS managed and other
/// accounts' policies are not attachable here.
pub fn policy_name_from_arn<'a>(account: &str, policy_arn: &'a str) -> IamResult<&'a str> {
    let not_attachable = || {
        IamError::new(
            ErrorCode::NoSuchEntity,
            format!("Policy {policy_arn} does not exist or is not attachable."),
        )
    };
    let rest = policy_arn.strip_prefix("arn:aws:iam::").ok_or_else(|| {
        IamError::new(
            ErrorCode::InvalidInput,
            format!("ARN {policy_arn} is not valid."),
        )
    })?;
    let (acct, resource) = rest.split_once(':').ok_or_else(|| {
        IamError::new(
            ErrorCode::InvalidInput,
            format!("ARN {policy_arn} is not valid."),
        )
    })?;
    let path_name = resource.strip_prefix("policy/").ok_or_else(|| {
        IamError::new(
            ErrorCode::InvalidInput,
            format!("ARN {policy_arn} is not valid."),
        )
    })?;
    if acct != account {
        return Err(not_attachable());
    }
    let name = path_name.rsplit('/').next().unwrap_or(path_name);
    if name.is_empty() {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!("ARN {policy_arn} is not valid."),
        ));
    }
    Ok(name)
}

/// Records that a user or role starts (`delta` = 1) or stops (-1) using a managed policy as
/// its permissions boundary; fails with `NoSuchEntity` when the policy does not exist.
pub(crate) fn use_as_boundary(cx: &mut Ctx<'_, '_>, policy_arn: &str, delta: i64) -> IamResult<()> {
    let name = policy_name_from_arn(cx.account, policy_arn)?;
    let key = keys::policy(cx.account, name);
    let mut p = match cx.txn.get_json::<ManagedPolicy>(&key) {
        Some(p) if p.arn == policy_arn => p,
        Some(_) | None if delta < 0 => return Ok(()),
        _ => {
            return Err(IamError::new(
                ErrorCode::NoSuchEntity,
                format!("Policy {policy_arn} does not exist or is not attachable."),
            ))
        }
    };
    p.boundary_usage_count = p.boundary_usage_count.saturating_add_signed(delta as i32);
    cx.txn.put_json(key, &p);
    Ok(())
}
