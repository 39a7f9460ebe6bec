//! Groups and memberships.

use super::{Ctx, Env};
use crate::command::Outcome;
use crate::store::StateRead;
use iam_model::IamResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupOp {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupQuery {}

impl GroupOp {
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub(crate) fn prepare(&mut self, _env: &mut dyn Env) {}
}

impl GroupQuery {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}

pub(crate) fn apply(_cx: &mut Ctx<'_, '_>, op: &GroupOp) -> IamResult<Outcome> {
    match *op {}
}

pub(crate) fn query(
    _state: &dyn StateRead,
    _account: &str,
    q: &GroupQuery,
) -> IamResult<serde_json::Value> {
    match *q {}
}
