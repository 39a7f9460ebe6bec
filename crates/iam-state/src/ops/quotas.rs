//! Quota increase requests and usage caps.

use super::{Ctx, Env};
use crate::command::Outcome;
use crate::store::StateRead;
use iam_model::IamResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuotaOp {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuotaQuery {}

impl QuotaOp {
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub(crate) fn prepare(&mut self, _env: &mut dyn Env) {}
}

impl QuotaQuery {
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}

pub(crate) fn apply(_cx: &mut Ctx<'_, '_>, op: &QuotaOp) -> IamResult<Outcome> {
    match *op {}
}

pub(crate) fn query(
    _state: &dyn StateRead,
    _account: &str,
    q: &QuotaQuery,
) -> IamResult<serde_json::Value> {
    match *q {}
}
