//! Quota increase requests: an account asks for one of its [`QuotaKind`]s to be raised
//! (above its current value, at most the kind's ceiling); an operator approves (the quota
//! becomes the desired value, never lowered) or denies it. At most one request per kind is
//! pending at a time (`qpend/{a}/{kind}` names it), which bounds what an account can pile up.

use crate::command::Outcome;
use crate::keys;
use crate::ops::limits::{self, QuotaKind};
use crate::ops::paging::{scan_page, PageRequest};
use crate::ops::{to_json, Ctx};
use crate::store::{decode, StateRead, Txn};
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// Longest justification, note or reason.
pub const TEXT_LEN_MAX: usize = 1000;
/// Longest request id, and longest ARN recorded as requester or decider.
const ID_LEN_MAX: usize = 64;
const ARN_LEN_MAX: usize = 2048;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Approved => "Approved",
            Self::Denied => "Denied",
        }
    }
}

/// A quota increase request (`qreq/{a}/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaRequest {
    pub id: String,
    /// The [`QuotaKind::as_str`] name.
    pub kind: String,
    pub desired_value: u64,
    pub justification: String,
    /// ARN of the caller who asked.
    pub requested_by: String,
    pub status: RequestStatus,
    pub created_ms: u64,
    pub decided_by: Option<String>,
    pub decided_ms: Option<u64>,
    /// The approver's note or the denial's reason.
    pub note: Option<String>,
}

fn invalid(message: String) -> IamError {
    IamError::new(ErrorCode::InvalidInput, message)
}

fn parse_kind(kind: &str) -> IamResult<QuotaKind> {
    QuotaKind::parse(kind).ok_or_else(|| {
        let names: Vec<&str> = QuotaKind::ALL.iter().map(|k| k.as_str()).collect();
        invalid(format!(
            "Unknown quota {kind}: expected one of {}.",
            names.join(", ")
        ))
    })
}

fn validate_text(field: &str, text: &str) -> IamResult<()> {
    let n = text.chars().count();
    if n == 0 || n > TEXT_LEN_MAX {
        return Err(IamError::validation(
            field,
            text,
            "Member must have length between 1 and 1000",
        ));
    }
    Ok(())
}

fn validate_arn(field: &str, arn: &str) -> IamResult<()> {
    if arn.is_empty() || arn.len() > ARN_LEN_MAX || arn.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{field} must be the ARN of the caller (1-{ARN_LEN_MAX} characters)."
        )));
    }
    Ok(())
}

fn validate_id(id: &str) -> IamResult<()> {
    let ok = !id.is_empty()
        && id.len() <= ID_LEN_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(IamError::validation(
            "requestId",
            id,
            "Member must satisfy regular expression pattern: [A-Za-z0-9_-]{1,64}",
        ));
    }
    Ok(())
}

fn not_found(id: &str) -> IamError {
    IamError::no_such("quota increase request", id)
}

pub(crate) fn request(
    cx: &mut Ctx<'_, '_>,
    kind: &str,
    desired: u64,
    justification: &str,
    requested_by: &str,
    id: &str,
) -> IamResult<Outcome> {
    let quota_kind = parse_kind(kind)?;
    validate_text("justification", justification)?;
    validate_arn("requested_by", requested_by)?;
    validate_id(id)?;
    let current = limits::quota(cx.txn, cx.account, quota_kind);
    let ceiling = quota_kind.ceiling();
    if desired <= current {
        return Err(invalid(format!(
            "The desired value {desired} for quota {} must be above its current value {current}.",
            quota_kind.as_str()
        )));
    }
    if desired > ceiling {
        return Err(IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "Cannot exceed quota for {}: the desired value {desired} is above the maximum {ceiling}.",
                quota_kind.aws_name()
            ),
        ));
    }
    let key = keys::quota_request(cx.account, id);
    if cx.txn.exists(&key) {
        return Err(IamError::already_exists("Quota increase request", id));
    }
    let pending_key = keys::quota_pending(cx.account, quota_kind.as_str());
    if let Some(other) = cx.txn.get(&pending_key) {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!(
                "A quota increase request for {} is already pending: {}.",
                quota_kind.as_str(),
                String::from_utf8_lossy(&other)
            ),
        ));
    }
    let record = QuotaRequest {
        id: id.to_owned(),
        kind: quota_kind.as_str().to_owned(),
        desired_value: desired,
        justification: justification.to_owned(),
        requested_by: requested_by.to_owned(),
        status: RequestStatus::Pending,
        created_ms: cx.time_ms,
        decided_by: None,
        decided_ms: None,
        note: None,
    };
    cx.txn.put_json(key, &record);
    cx.txn.put(pending_key, id.as_bytes().to_vec());
    Ok(Outcome::record(&record))
}

/// Loads a request that is still pending.
fn load_pending(txn: &Txn<'_>, account: &str, id: &str) -> IamResult<QuotaRequest> {
    let r: QuotaRequest = txn
        .get_json(&keys::quota_request(account, id))
        .ok_or_else(|| not_found(id))?;
    if r.status != RequestStatus::Pending {
        return Err(invalid(format!(
            "Quota increase request {id} is not pending: it is already {}.",
            r.status.as_str()
        )));
    }
    Ok(r)
}

fn decide(
    cx: &mut Ctx<'_, '_>,
    mut r: QuotaRequest,
    status: RequestStatus,
    decided_by: &str,
    note: Option<&str>,
) -> IamResult<Outcome> {
    r.status = status;
    r.decided_by = Some(decided_by.to_owned());
    r.decided_ms = Some(cx.time_ms);
    r.note = note.map(str::to_owned);
    cx.txn.put_json(keys::quota_request(cx.account, &r.id), &r);
    cx.txn.delete(keys::quota_pending(cx.account, &r.kind));
    Ok(Outcome::record(&r))
}

pub(crate) fn approve(
    cx: &mut Ctx<'_, '_>,
    id: &str,
    decided_by: &str,
    note: Option<&str>,
) -> IamResult<Outcome> {
    validate_arn("decided_by", decided_by)?;
    if let Some(n) = note {
        validate_text("note", n)?;
    }
    let r = load_pending(cx.txn, cx.account, id)?;
    let kind = parse_kind(&r.kind)?;
    if r.desired_value > limits::quota(cx.txn, cx.account, kind) {
        cx.txn.put(
            keys::quota(cx.account, kind.as_str()),
            r.desired_value.to_string().into_bytes(),
        );
    }
    decide(cx, r, RequestStatus::Approved, decided_by, note)
}

pub(crate) fn deny(
    cx: &mut Ctx<'_, '_>,
    id: &str,
    decided_by: &str,
    reason: &str,
) -> IamResult<Outcome> {
    validate_arn("decided_by", decided_by)?;
    validate_text("reason", reason)?;
    let r = load_pending(cx.txn, cx.account, id)?;
    decide(cx, r, RequestStatus::Denied, decided_by, Some(reason))
}

/// One row of `ListQuotas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaInfo {
    pub name: String,
    pub aws_name: String,
    pub value: u64,
    pub default: u64,
    pub ceiling: u64,
    pub adjustable: bool,
    /// The entity count the quota bounds, for per-account entity quotas.
    pub usage: Option<u64>,
    /// The id of the pending increase request, if any.
    pub pending_request: Option<String>,
}

pub(crate) fn list_quotas(state: &dyn StateRead, account: &str) -> serde_json::Value {
    let txn = Txn::new(state);
    let rows: Vec<QuotaInfo> = QuotaKind::ALL
        .into_iter()
        .map(|k| QuotaInfo {
            name: k.as_str().to_owned(),
            aws_name: k.aws_name().to_owned(),
            value: limits::quota(&txn, account, k),
            default: k.default_value(),
            ceiling: k.ceiling(),
            adjustable: k.ceiling() > k.default_value(),
            usage: k.counter().map(|c| limits::count(&txn, account, c)),
            pending_request: txn
                .get(&keys::quota_pending(account, k.as_str()))
                .map(|v| String::from_utf8_lossy(&v).into_owned()),
        })
        .collect();
    to_json(&rows)
}

pub(crate) fn list_requests(
    state: &dyn StateRead,
    account: &str,
    status: Option<RequestStatus>,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    let prefix = keys::prefix("qreq", account);
    let p = scan_page(state, &prefix, page, |r: &QuotaRequest| {
        status.is_none_or(|s| r.status == s)
    })?;
    Ok(to_json(&p))
}

pub(crate) fn get_request(
    state: &dyn StateRead,
    account: &str,
    id: &str,
) -> IamResult<serde_json::Value> {
    let key = keys::quota_request(account, id);
    let r: QuotaRequest = state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| not_found(id))?;
    Ok(to_json(&r))
}
