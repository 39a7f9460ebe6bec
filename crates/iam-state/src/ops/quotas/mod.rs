//! Quotas: the account's adjustable quotas ([`super::limits::QuotaKind`]) with increase
//! requests an operator approves or denies ([`requests`]), and usage caps — account-wide
//! named counters (`ec2:instances` = 20) that services consume and give back atomically
//! ([`usage`]).
//!
//! JSON shapes (externally tagged, as every family):
//! - `{"RequestQuotaIncrease": {"kind": "roles", "desired_value": 500, "justification": "…"}}`
//!   (`requested_by` is filled by the server with the caller's ARN, `request_id` by
//!   `prepare`) → the [`requests::QuotaRequest`] record;
//! - `{"ApproveQuotaIncrease": {"request_id": "qr-…", "decided_by": "arn:…", "note": "…"}}`,
//!   `{"DenyQuotaIncrease": {"request_id": "qr-…", "decided_by": "arn:…", "reason": "…"}}`
//!   → the decided record;
//! - `{"SetUsageLimit": {"name": "ec2:instances", "limit": 20}}`,
//!   `{"Acquire": {"name": "ec2:instances", "amount": 2}}`,
//!   `{"Release": {"name": "ec2:instances", "amount": 1}}` → the [`usage::UsageCap`];
//!   `{"DeleteUsageCap": {"name": "ec2:instances"}}` → `{}`.
//!
//! Retried acquires and releases are made idempotent by the generic request-token table
//! (`Request::request_token`, see `apply.rs`), not here.

pub mod requests;
pub mod usage;

use super::paging::PageRequest;
use super::{Ctx, Env};
use crate::command::Outcome;
use crate::store::StateRead;
use iam_model::IamResult;
use serde::{Deserialize, Serialize};

pub use requests::{QuotaRequest, RequestStatus};
pub use usage::UsageCap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuotaOp {
    /// Asks for a quota of this account to be raised.
    RequestQuotaIncrease {
        /// A [`super::limits::QuotaKind::as_str`] name: `roles`, `groups`, ...
        kind: String,
        desired_value: u64,
        /// Why (1–1000 characters).
        justification: String,
        /// The caller's ARN; the server fills it.
        #[serde(default)]
        requested_by: String,
        /// Chosen by the proposing node.
        #[serde(default)]
        request_id: String,
    },
    /// Grants a pending request: the quota becomes its desired value (never lowered).
    ApproveQuotaIncrease {
        request_id: String,
        /// The approver's ARN; the server fills it.
        #[serde(default)]
        decided_by: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// Refuses a pending request.
    DenyQuotaIncrease {
        request_id: String,
        /// The decider's ARN; the server fills it.
        #[serde(default)]
        decided_by: String,
        reason: String,
    },
    /// Creates a usage cap or changes its limit (lowering it below the units in use is
    /// allowed: nothing more is granted until usage drops under it).
    SetUsageLimit { name: String, limit: u64 },
    /// Takes `amount` units of a cap, all or nothing.
    Acquire { name: String, amount: u64 },
    /// Gives back `amount` units of a cap.
    Release { name: String, amount: u64 },
    /// Removes a cap with nothing in use.
    DeleteUsageCap { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuotaQuery {
    /// Every quota kind: `[{name, aws_name, value, default, ceiling, adjustable, usage?,
    /// pending_request?}]`.
    ListQuotas,
    /// Increase requests (ordered by id), optionally only those with `status`.
    ListQuotaRequests {
        #[serde(default)]
        status: Option<RequestStatus>,
        #[serde(default)]
        page: PageRequest,
    },
    GetQuotaRequest {
        id: String,
    },
    /// One usage cap: `{name, limit, used, available, updated_ms}`.
    GetUsage {
        name: String,
    },
    /// Every usage cap, ordered by lowercased name.
    ListUsage {
        #[serde(default)]
        page: PageRequest,
    },
}

impl QuotaOp {
    /// Records who asks (requests) or decides (approvals, denials): the authenticated
    /// caller's ARN, filled by the node that receives the call; a value a client sent is
    /// replaced.
    pub fn set_caller(&mut self, caller_arn: &str) {
        match self {
            Self::RequestQuotaIncrease { requested_by, .. } => {
                *requested_by = caller_arn.to_owned()
            }
            Self::ApproveQuotaIncrease { decided_by, .. }
            | Self::DenyQuotaIncrease { decided_by, .. } => *decided_by = caller_arn.to_owned(),
            _ => {}
        }
    }

    /// Whether it decides on an account's request: the operator's, not the account's own
    /// (authorized in the cluster's scope, whatever account it names).
    pub fn is_operator_decision(&self) -> bool {
        matches!(
            self,
            Self::ApproveQuotaIncrease { .. } | Self::DenyQuotaIncrease { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::RequestQuotaIncrease { .. } => "RequestQuotaIncrease",
            Self::ApproveQuotaIncrease { .. } => "ApproveQuotaIncrease",
            Self::DenyQuotaIncrease { .. } => "DenyQuotaIncrease",
            Self::SetUsageLimit { .. } => "SetUsageLimit",
            Self::Acquire { .. } => "AcquireUsage",
            Self::Release { .. } => "ReleaseUsage",
            Self::DeleteUsageCap { .. } => "DeleteUsageCap",
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::RequestQuotaIncrease { request_id, .. } = self {
            *request_id = format!("qr-{}", hex::encode(env.random_bytes(8)));
        }
    }
}

impl QuotaQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListQuotas => "ListQuotas",
            Self::ListQuotaRequests { .. } => "ListQuotaRequests",
            Self::GetQuotaRequest { .. } => "GetQuotaRequest",
            Self::GetUsage { .. } => "GetUsage",
            Self::ListUsage { .. } => "ListUsage",
        }
    }
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &QuotaOp) -> IamResult<Outcome> {
    match op {
        QuotaOp::RequestQuotaIncrease {
            kind,
            desired_value,
            justification,
            requested_by,
            request_id,
        } => requests::request(
            cx,
            kind,
            *desired_value,
            justification,
            requested_by,
            request_id,
        ),
        QuotaOp::ApproveQuotaIncrease {
            request_id,
            decided_by,
            note,
        } => requests::approve(cx, request_id, decided_by, note.as_deref()),
        QuotaOp::DenyQuotaIncrease {
            request_id,
            decided_by,
            reason,
        } => requests::deny(cx, request_id, decided_by, reason),
        QuotaOp::SetUsageLimit { name, limit } => usage::set_limit(cx, name, *limit),
        QuotaOp::Acquire { name, amount } => usage::acquire(cx, name, *amount),
        QuotaOp::Release { name, amount } => usage::release(cx, name, *amount),
        QuotaOp::DeleteUsageCap { name } => usage::delete(cx, name),
    }
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &QuotaQuery,
) -> IamResult<serde_json::Value> {
    match q {
        QuotaQuery::ListQuotas => Ok(requests::list_quotas(state, account)),
        QuotaQuery::ListQuotaRequests { status, page } => {
            requests::list_requests(state, account, *status, page)
        }
        QuotaQuery::GetQuotaRequest { id } => requests::get_request(state, account, id),
        QuotaQuery::GetUsage { name } => usage::get(state, account, name),
        QuotaQuery::ListUsage { page } => usage::list(state, account, page),
    }
}
