//! Account-wide settings: alias, password policy, summary, credential report.

use super::{Ctx, Env};
use crate::command::Outcome;
use crate::store::StateRead;
use iam_model::IamResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountOp {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountQuery {}

impl AccountOp {
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub(crate) fn prepare(&mut self, _env: &mut dyn Env) {}
}

impl AccountQuery {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}

pub(crate) fn apply(_cx: &mut Ctx<'_, '_>, op: &AccountOp) -> IamResult<Outcome> {
    match *op {}
}

pub(crate) fn query(
    _state: &dyn StateRead,
    _account: &str,
    q: &AccountQuery,
) -> IamResult<serde_json::Value> {
    match *q {}
}
