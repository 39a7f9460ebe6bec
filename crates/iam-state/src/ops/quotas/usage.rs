//! Usage caps: account-wide named counters (`ec2:instances` = 20) that services consume
//! ([`acquire`]) and give back ([`release`]). An acquire is atomic — it fails with
//! `LimitExceeded` and changes nothing when it would take usage past the limit — and because
//! apply is serialized by the log, concurrent clients can never push usage over the limit.
//! Names are case-insensitive (stored lowercased in the key, spelled as first given in the
//! record). An account holds at most [`USAGE_CAPS_MAX`] caps.

use crate::command::Outcome;
use crate::keys;
use crate::ops::paging::{scan_page, PageRequest};
use crate::ops::{to_json, Ctx};
use crate::store::{decode, StateRead};
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// Longest cap name.
pub const NAME_LEN_MAX: usize = 64;
/// Caps per account.
pub const USAGE_CAPS_MAX: u64 = 1000;
/// The `count/{a}/…` counter of an account's caps.
pub const CAPS_COUNTER: &str = "usage-caps";

/// A usage cap (`cap/{a}/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageCap {
    pub name: String,
    pub limit: u64,
    /// Units currently acquired and not released.
    pub used: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
}

/// What queries and writes return: the cap plus what is still available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    pub name: String,
    pub limit: u64,
    pub used: u64,
    /// `limit - used`, 0 when the limit was lowered below the usage.
    pub available: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
}

impl From<&UsageCap> for UsageView {
    fn from(c: &UsageCap) -> Self {
        Self {
            name: c.name.clone(),
            limit: c.limit,
            used: c.used,
            available: c.limit.saturating_sub(c.used),
            created_ms: c.created_ms,
            updated_ms: c.updated_ms,
        }
    }
}

/// Checks a cap name: 1–64 characters of `[A-Za-z0-9:._-]`.
pub fn validate_name(name: &str) -> IamResult<()> {
    if name.is_empty() || name.len() > NAME_LEN_MAX {
        return Err(IamError::validation(
            "name",
            name,
            "Member must have length between 1 and 64",
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'_' | b'-'))
    {
        return Err(IamError::validation(
            "name",
            name,
            "Member must satisfy regular expression pattern: [A-Za-z0-9:._-]+",
        ));
    }
    Ok(())
}

fn validate_amount(amount: u64) -> IamResult<()> {
    if amount == 0 {
        return Err(IamError::validation(
            "amount",
            "0",
            "Member must have value greater than or equal to 1",
        ));
    }
    Ok(())
}

fn not_found(name: &str) -> IamError {
    IamError::no_such("usage cap", name)
}

fn load(cx: &Ctx<'_, '_>, name: &str) -> IamResult<UsageCap> {
    cx.txn
        .get_json(&keys::usage_cap(cx.account, name))
        .ok_or_else(|| not_found(name))
}

fn store(cx: &mut Ctx<'_, '_>, cap: &UsageCap) -> Outcome {
    cx.txn.put_json(keys::usage_cap(cx.account, &cap.name), cap);
    Outcome::record(&UsageView::from(cap))
}

pub(crate) fn set_limit(cx: &mut Ctx<'_, '_>, name: &str, limit: u64) -> IamResult<Outcome> {
    validate_name(name)?;
    let cap = match cx
        .txn
        .get_json::<UsageCap>(&keys::usage_cap(cx.account, name))
    {
        Some(cap) => UsageCap {
            limit,
            updated_ms: cx.time_ms,
            ..cap
        },
        None => {
            let counter = keys::count(cx.account, CAPS_COUNTER);
            if cx.txn.counter(&counter) >= USAGE_CAPS_MAX {
                return Err(IamError::quota("UsageCapsPerAccount", USAGE_CAPS_MAX));
            }
            cx.txn.add_counter(counter, 1);
            UsageCap {
                name: name.to_owned(),
                limit,
                used: 0,
                created_ms: cx.time_ms,
                updated_ms: cx.time_ms,
            }
        }
    };
    Ok(store(cx, &cap))
}

pub(crate) fn acquire(cx: &mut Ctx<'_, '_>, name: &str, amount: u64) -> IamResult<Outcome> {
    validate_name(name)?;
    validate_amount(amount)?;
    let mut cap = load(cx, name)?;
    match cap.used.checked_add(amount) {
        Some(next) if next <= cap.limit => cap.used = next,
        _ => return Err(IamError::quota(&cap.name, cap.limit)),
    }
    cap.updated_ms = cx.time_ms;
    Ok(store(cx, &cap))
}

pub(crate) fn release(cx: &mut Ctx<'_, '_>, name: &str, amount: u64) -> IamResult<Outcome> {
    validate_name(name)?;
    validate_amount(amount)?;
    let mut cap = load(cx, name)?;
    if amount > cap.used {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!(
                "Cannot release {amount} units of {}: only {} in use.",
                cap.name, cap.used
            ),
        ));
    }
    cap.used -= amount;
    cap.updated_ms = cx.time_ms;
    Ok(store(cx, &cap))
}

pub(crate) fn delete(cx: &mut Ctx<'_, '_>, name: &str) -> IamResult<Outcome> {
    validate_name(name)?;
    let cap = load(cx, name)?;
    if cap.used > 0 {
        return Err(IamError::new(
            ErrorCode::DeleteConflict,
            format!(
                "Cannot delete entity, must release all {} units of {} in use first.",
                cap.used, cap.name
            ),
        ));
    }
    cx.txn.delete(keys::usage_cap(cx.account, name));
    cx.txn
        .add_counter(keys::count(cx.account, CAPS_COUNTER), -1);
    Ok(Outcome::Deleted)
}

pub(crate) fn get(
    state: &dyn StateRead,
    account: &str,
    name: &str,
) -> IamResult<serde_json::Value> {
    validate_name(name)?;
    let key = keys::usage_cap(account, name);
    let cap: UsageCap = state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| not_found(name))?;
    Ok(to_json(&UsageView::from(&cap)))
}

pub(crate) fn list(
    state: &dyn StateRead,
    account: &str,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    let p = scan_page(
        state,
        &keys::prefix("cap", account),
        page,
        |_: &UsageCap| true,
    )?;
    let views = crate::ops::Page {
        items: p.items.iter().map(UsageView::from).collect::<Vec<_>>(),
        is_truncated: p.is_truncated,
        marker: p.marker,
    };
    Ok(to_json(&views))
}
