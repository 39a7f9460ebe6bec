//! Roles: trust policy, description, max session duration, tags.

use super::{Ctx, Env};
use crate::command::Outcome;
use crate::store::StateRead;
use iam_model::IamResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleOp {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleQuery {}

impl RoleOp {
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub(crate) fn prepare(&mut self, _env: &mut dyn Env) {}
}

impl RoleQuery {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}

pub(crate) fn apply(_cx: &mut Ctx<'_, '_>, op: &RoleOp) -> IamResult<Outcome> {
    match *op {}
}

pub(crate) fn query(
    _state: &dyn StateRead,
    _account: &str,
    q: &RoleQuery,
) -> IamResult<serde_json::Value> {
    match *q {}
}
