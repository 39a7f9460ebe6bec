//! The event history: the applied changes of the cluster, replicated with the state and
//! bounded, looked up like CloudTrail's `LookupEvents` (`iamctl audit lookup`).
//!
//! A request proposed for a client carries its [`Origin`] (who asked, from where, which
//! action on which resources, under which request id, and the history's bounds), chosen by
//! the proposing node. Apply records one [`Event`] for each request that changed the state
//! (a refusal records nothing; a replay of a request token is not a new change) — from
//! release [`crate::release::EVENTS_PER_ENTRY`] all of an entry's in one record under
//! `evt/{index:020}`, before it each under `evt/{index:020}/{position:010}` — and drops the
//! oldest events past the bounds (the oldest record keeps what is not due). Requests
//! of the node itself (bootstrap, bookkeeping) carry no origin and are not recorded.
//!
//! Release: an older build would apply a request with an origin without recording it, and
//! the replicas would differ, so a node attaches origins only once the cluster runs
//! [`crate::release::EVENT_HISTORY`] or later.

use crate::keys;
use crate::store::{decode, encode, StateRead, Txn, WriteSet};
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// Who asked for a change, as the proposing node authenticated and authorized it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Origin {
    /// The account acted in.
    pub account: String,
    /// The caller's ARN.
    pub principal: String,
    #[serde(default)]
    pub access_key_id: String,
    #[serde(default)]
    pub source_ip: String,
    #[serde(default)]
    pub request_id: String,
    /// `iam:CreateUser`.
    pub action: String,
    #[serde(default)]
    pub resources: Vec<String>,
    /// The history keeps at most this many events...
    pub max_events: u64,
    /// ...none older than this (ms before the request's time).
    pub max_age_ms: u64,
}

/// One applied change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub index: u64,
    pub time_ms: u64,
    pub account: String,
    pub principal: String,
    pub access_key_id: String,
    pub source_ip: String,
    pub request_id: String,
    pub action: String,
    pub resources: Vec<String>,
}

/// The history's bounds when a node is not told otherwise: 90 days or 100,000 events,
/// whichever is smaller (CloudTrail's LookupEvents keeps 90 days).
pub const DEFAULT_MAX_EVENTS: u64 = 100_000;
pub const DEFAULT_MAX_AGE_MS: u64 = 90 * 24 * 3600 * 1000;

/// Events an entry may drop per change it recorded (more than one, so the history
/// shrinks back under lowered bounds).
const PRUNE_PER_EVENT: usize = 16;

/// An [`Event`] as it is written: the same record, borrowing the origin's fields (apply
/// records one per change, on every replica).
#[derive(Serialize)]
struct EventRef<'a> {
    index: u64,
    time_ms: u64,
    account: &'a str,
    principal: &'a str,
    access_key_id: &'a str,
    source_ip: &'a str,
    request_id: &'a str,
    action: &'a str,
    resources: &'a [String],
}

/// Records the change a request at `position` of entry `index` made, as its own record
/// (before release [`crate::release::EVENTS_PER_ENTRY`]).
pub(crate) fn record(txn: &mut Txn<'_>, index: u64, position: u32, time_ms: u64, origin: &Origin) {
    txn.put(
        keys::event_at(index, position),
        encode(&event_ref(index, time_ms, origin)),
    );
    txn.add_counter(keys::EVENT_COUNT.to_vec(), 1);
}

/// Records the changes the requests of entry `index` made (`(time, origin)` in request
/// order) as one record (from release [`crate::release::EVENTS_PER_ENTRY`]).
pub(crate) fn record_entry(txn: &mut Txn<'_>, index: u64, changes: &[(u64, &Origin)]) {
    if changes.is_empty() {
        return;
    }
    let events: Vec<CompactRef<'_>> = changes
        .iter()
        .map(|(time_ms, o)| {
            (
                *time_ms,
                &o.account[..],
                &o.principal[..],
                &o.access_key_id[..],
                &o.source_ip[..],
                &o.request_id[..],
                &o.action[..],
                &o.resources[..],
            )
        })
        .collect();
    txn.put(keys::event_entry(index), encode(&events));
    txn.add_counter(keys::EVENT_COUNT.to_vec(), changes.len() as i64);
}

/// One event of an entry's record as written: a JSON array in [`Compact`]'s order, without
/// field names or the index (the key has it) — a third fewer bytes per change than the
/// object form of the first release-5 builds, which is still read (`bench/RESULTS.md`,
/// eighteenth session: ~5 % of the CPU per write at 64 clients).
type CompactRef<'a> = (
    u64,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a [String],
);

/// An entry record's event as read: time, account, principal, access key id, source IP,
/// request id, action, resources.
type Compact = (
    u64,
    String,
    String,
    String,
    String,
    String,
    String,
    Vec<String>,
);

/// An entry record's events in the compact form, if it is in that form.
fn compact_events(key: &[u8], value: &[u8]) -> Option<Vec<Event>> {
    let list: Vec<Compact> = serde_json::from_slice(value).ok()?;
    let index = std::str::from_utf8(key.get(keys::EVENT_PREFIX.len()..)?)
        .ok()?
        .parse()
        .ok()?;
    Some(
        list.into_iter()
            .map(
                |(
                    time_ms,
                    account,
                    principal,
                    access_key_id,
                    source_ip,
                    request_id,
                    action,
                    resources,
                )| Event {
                    index,
                    time_ms,
                    account,
                    principal,
                    access_key_id,
                    source_ip,
                    request_id,
                    action,
                    resources,
                },
            )
            .collect(),
    )
}

/// `events` as an entry record in the compact form.
fn encode_compact(events: &[Event]) -> Vec<u8> {
    let list: Vec<CompactRef<'_>> = events
        .iter()
        .map(|e| {
            (
                e.time_ms,
                &e.account[..],
                &e.principal[..],
                &e.access_key_id[..],
                &e.source_ip[..],
                &e.request_id[..],
                &e.action[..],
                &e.resources[..],
            )
        })
        .collect();
    encode(&list)
}

fn event_ref(index: u64, time_ms: u64, origin: &Origin) -> EventRef<'_> {
    EventRef {
        index,
        time_ms,
        account: &origin.account,
        principal: &origin.principal,
        access_key_id: &origin.access_key_id,
        source_ip: &origin.source_ip,
        request_id: &origin.request_id,
        action: &origin.action,
        resources: &origin.resources,
    }
}

/// The record of one entry's events (`keys::event_entry`) as the first release-5 builds
/// wrote it (read still; written in the compact form now).
#[derive(Serialize, Deserialize)]
struct EntryEvents<E> {
    events: Vec<E>,
}

/// The events an `evt/` record holds, in order: one for a record of one change, those of
/// the entry for an entry's record. A record that does not decode holds one event of
/// unknown time (pruning drops it first).
fn events_of(key: &[u8], value: &[u8]) -> Vec<Option<Event>> {
    if keys::is_event_entry(key) {
        if let Some(events) = compact_events(key, value) {
            return events.into_iter().map(Some).collect();
        }
        match decode::<EntryEvents<Event>>(key, value) {
            Some(entry) => entry.events.into_iter().map(Some).collect(),
            None => vec![None],
        }
    } else {
        vec![decode::<Event>(key, value)]
    }
}

/// Drops the oldest events while more than `origin.max_events` are kept or the oldest is
/// older than `origin.max_age_ms` before `now_ms`: at most `recorded * PRUNE_PER_EVENT`.
///
/// From release [`crate::release::EVENT_HISTORY_OLDEST`] the history keeps its oldest
/// event's time beside its count (`keys::EVENT_OLDEST`), and an entry under both bounds
/// decides from the two without reading the history (the common case: this runs on every
/// entry that records a change). The time is written wherever pruning stops at an event it
/// keeps, and removed where it does not know the oldest event (a budget used up, an empty
/// history), so that the next entry reads the history again. Before that release every
/// entry reads the oldest event, as older builds do.
pub(crate) fn prune(state: &Txn<'_>, now_ms: u64, origin: &Origin, recorded: usize) -> WriteSet {
    const CHUNK: usize = 16;
    let mut txn = Txn::new(state);
    let mut count = txn.counter(keys::EVENT_COUNT);
    let cutoff = now_ms.saturating_sub(origin.max_age_ms);
    let keeps_oldest =
        crate::release::cluster_release(state) >= crate::release::EVENT_HISTORY_OLDEST;
    let oldest = txn
        .get(keys::EVENT_OLDEST)
        .and_then(|v| std::str::from_utf8(&v).ok()?.parse::<u64>().ok());
    if keeps_oldest && count <= origin.max_events && oldest.is_some_and(|t| t >= cutoff) {
        return txn.into_writes();
    }
    let budget = recorded.saturating_mul(PRUNE_PER_EVENT);
    let mut pruned = 0;
    let mut after: Option<Vec<u8>> = None;
    // The time of the oldest event kept, once pruning stopped at it.
    let mut kept: Option<u64> = None;
    // Under the count bound only age can make the oldest event due: look at that one
    // event first, and scan on in chunks only once it turned out to be due.
    let mut chunk_len = if count <= origin.max_events { 1 } else { CHUNK };
    'scan: while pruned < budget {
        let want = chunk_len.min(budget - pruned);
        chunk_len = CHUNK;
        let chunk = state.scan(keys::EVENT_PREFIX.as_bytes(), after.as_deref(), want);
        let exhausted = chunk.len() < want;
        for (key, value) in chunk {
            let mut events = events_of(&key, &value);
            let mut dropped = 0;
            for event in &events {
                if pruned >= budget {
                    break;
                }
                let time = event.as_ref().map(|e| e.time_ms);
                let old = time.is_none_or(|t| t < cutoff);
                if count <= origin.max_events && !old {
                    kept = time;
                    break;
                }
                dropped += 1;
                count = count.saturating_sub(1);
                pruned += 1;
            }
            if dropped == events.len() {
                txn.delete(key.clone());
                after = Some(key);
                continue;
            }
            if dropped > 0 {
                // Part of an entry's events are due: the record keeps the rest.
                let rest: Vec<Event> = events.drain(dropped..).flatten().collect();
                txn.put(key, encode_compact(&rest));
            }
            break 'scan;
        }
        if exhausted {
            break;
        }
    }
    if pruned > 0 {
        txn.add_counter(keys::EVENT_COUNT.to_vec(), -(pruned as i64));
    }
    if keeps_oldest {
        match kept {
            Some(t) if oldest != Some(t) => {
                txn.put(keys::EVENT_OLDEST.to_vec(), t.to_string().into_bytes());
            }
            Some(_) => {}
            None if oldest.is_some() => txn.delete(keys::EVENT_OLDEST.to_vec()),
            None => {}
        }
    }
    txn.into_writes()
}

/// `LookupEvents`: the newest events of an account, optionally only those of one principal
/// or action, or since a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventQuery {
    Lookup {
        #[serde(default)]
        principal: Option<String>,
        #[serde(default)]
        action: Option<String>,
        #[serde(default)]
        since_ms: Option<u64>,
        #[serde(default)]
        max_results: Option<u32>,
    },
}

/// The most events one lookup returns (and its default).
pub const LOOKUP_MAX: u32 = 1000;
pub const LOOKUP_DEFAULT: u32 = 50;

impl EventQuery {
    pub fn name(&self) -> &'static str {
        "LookupEvents"
    }
}

/// What a lookup answers: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    pub events: Vec<Event>,
    /// More events matched than `max_results`.
    pub truncated: bool,
}

pub fn query(state: &dyn StateRead, account: &str, q: &EventQuery) -> IamResult<serde_json::Value> {
    let EventQuery::Lookup {
        principal,
        action,
        since_ms,
        max_results,
    } = q;
    let max = max_results.unwrap_or(LOOKUP_DEFAULT);
    if max == 0 || max > LOOKUP_MAX {
        return Err(IamError::new(
            ErrorCode::ValidationError,
            format!("max results must be 1 to {LOOKUP_MAX}, not {max}"),
        ));
    }
    let action = action.as_deref().map(str::to_ascii_lowercase);
    let matches = |e: &Event| {
        e.account == account
            && principal.as_ref().is_none_or(|p| &e.principal == p)
            && action.as_ref().is_none_or(|a| {
                let have = e.action.to_ascii_lowercase();
                // `CreateUser` or `iam:CreateUser`.
                have == *a || have.split_once(':').is_some_and(|(_, name)| name == a)
            })
            && since_ms.is_none_or(|s| e.time_ms >= s)
    };
    // The history is bounded; keep the newest `max` matches of one pass in key order.
    const CHUNK: usize = 1024;
    let mut newest = std::collections::VecDeque::with_capacity(max as usize + 1);
    let mut truncated = false;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let chunk = state.scan(keys::EVENT_PREFIX.as_bytes(), after.as_deref(), CHUNK);
        let exhausted = chunk.len() < CHUNK;
        for (key, value) in chunk {
            for e in events_of(&key, &value).into_iter().flatten() {
                if matches(&e) {
                    newest.push_back(e);
                    if newest.len() > max as usize {
                        newest.pop_front();
                        truncated = true;
                    }
                }
            }
            after = Some(key);
        }
        if exhausted {
            break;
        }
    }
    let events: Vec<Event> = newest.into_iter().rev().collect();
    Ok(crate::ops::to_json(&Lookup { events, truncated }))
}
