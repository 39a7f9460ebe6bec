//! Clock offsets between members and this node's verdict on its own clock.
//!
//! The leader asks every member for its wall clock every [`ROUND`] (the `Clock` peer RPC)
//! and keeps the offset `peer − leader`, taking the reply to have been made half way
//! through the round trip; a sample whose round trip exceeds the tolerance is dropped (its
//! error, up to half the round trip, would blur the verdict). Each request carries the
//! leader's table of offsets from the previous rounds, so every member knows every
//! member's offset from one reference clock, its own included, without trusting one-way
//! latencies. Between tables a node corrects its own entry for jumps of its own clock:
//! wall-clock time elapsed minus monotonic time elapsed since the reply the leader sampled.
//!
//! The verdict: a node is in line when a quorum of the voters' clocks (its own included)
//! are measured within the tolerance of its own. Assuming a majority of clocks are right,
//! a wrong clock is always found out (by its own node), and a right one is not, whichever
//! node leads. A node whose clock has not been measured yet (just started, or never heard
//! from a leader since) is not in line: it refuses until a leader has measured it, about a
//! second after it hears from one.

use crate::types::NodeId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the leader measures its members' clocks.
pub const ROUND: Duration = Duration::from_millis(500);
/// How long the leader waits for one member's clock.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(1);
/// A leader's sample older than this is left out of its table (that member stopped
/// answering; its last clock says nothing about now).
const SAMPLE_TTL: Duration = Duration::from_secs(10);
/// Most entries a received table may hold (far more members than any cluster has).
pub const TABLE_ENTRIES_MAX: usize = 1000;

/// Where this node's clock stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockStatus {
    /// Not known to be off by more than the tolerance.
    pub ok: bool,
    /// This node's clock minus the median of the voters' clocks (ms; 0 while unknown).
    pub offset_ms: i64,
    /// What was found, for operators (`/readyz?verbose`, the refusal's message).
    pub detail: String,
}

/// The offset of a peer's clock from ours, given our clock when we asked, the round trip,
/// and the peer's answer (taken to be made half way through the round trip).
pub fn sample(sent_wall_ms: u64, round_trip: Duration, peer_wall_ms: u64) -> i64 {
    let half = i64::try_from(round_trip.as_millis() / 2).unwrap_or(i64::MAX);
    (peer_wall_ms as i64).saturating_sub((sent_wall_ms as i64).saturating_add(half))
}

/// This node's clock reading and monotonic instant, taken together.
#[derive(Debug, Clone, Copy)]
pub struct Anchor {
    pub wall_ms: u64,
    pub at: Instant,
}

impl Anchor {
    pub fn now() -> Self {
        Self {
            wall_ms: super::now_ms(),
            at: Instant::now(),
        }
    }

    /// How far this clock jumped between `self` and `later`: wall time elapsed minus
    /// monotonic time elapsed.
    fn jump_until(&self, later: &Anchor) -> i64 {
        let wall = later.wall_ms as i64 - self.wall_ms as i64;
        let mono = i64::try_from(later.at.saturating_duration_since(self.at).as_millis())
            .unwrap_or(i64::MAX);
        wall.saturating_sub(mono)
    }
}

#[derive(Debug)]
struct Table {
    /// Each member's clock minus the reference (the leader's) clock, ms.
    offsets: BTreeMap<NodeId, i64>,
    /// When this node's own entry was true (the reply the leader sampled).
    anchor: Anchor,
    /// When this node got the table (or made it, as leader).
    received: Instant,
}

#[derive(Debug, Default)]
struct Inner {
    /// As leader: offsets measured from this node's clock, with when.
    measured: BTreeMap<NodeId, (i64, Instant)>,
    table: Option<Table>,
    /// When this node last answered a leader's `Clock` call (what the next table's entry
    /// for this node was sampled from).
    last_reply: Option<Anchor>,
    /// The voters, as last told (see [`ClockMonitor::set_voters`]).
    voters: BTreeSet<NodeId>,
}

/// One node's view of the cluster's clocks.
#[derive(Debug)]
pub struct ClockMonitor {
    me: NodeId,
    /// Largest offset tolerated, ms; 0 turns the check off.
    tolerance_ms: u64,
    inner: Mutex<Inner>,
}

impl ClockMonitor {
    pub fn new(me: NodeId, tolerance_ms: u64) -> Self {
        Self {
            me,
            tolerance_ms,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn tolerance(&self) -> Duration {
        Duration::from_millis(self.tolerance_ms)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// As leader: a sample of `peer`'s offset, taken at `at`.
    pub fn record(&self, peer: NodeId, offset_ms: i64, at: Instant) {
        self.lock().measured.insert(peer, (offset_ms, at));
    }

    /// As leader: the table to send (fresh samples, and this node at 0), which also becomes
    /// this node's own table.
    pub fn leader_table(&self, now: Anchor) -> BTreeMap<NodeId, i64> {
        let mut inner = self.lock();
        inner
            .measured
            .retain(|_, (_, at)| now.at.saturating_duration_since(*at) <= SAMPLE_TTL);
        let mut offsets: BTreeMap<NodeId, i64> = inner
            .measured
            .iter()
            .map(|(id, (o, _))| (*id, *o))
            .collect();
        offsets.insert(self.me, 0);
        inner.table = Some(Table {
            offsets: offsets.clone(),
            anchor: now,
            received: now.at,
        });
        offsets
    }

    /// The offsets of this node's current table (empty before it has one).
    pub fn table(&self) -> BTreeMap<NodeId, i64> {
        self.lock()
            .table
            .as_ref()
            .map(|t| t.offsets.clone())
            .unwrap_or_default()
    }

    /// As a member: a leader's table arrived at `now` (and this node answers it now).
    pub fn receive(&self, offsets: BTreeMap<NodeId, i64>, now: Anchor) {
        let mut inner = self.lock();
        // This node's entry was sampled from its previous reply; a jump of its clock since
        // then is corrected for from that moment.
        let anchor = inner.last_reply.unwrap_or(now);
        inner.last_reply = Some(now);
        // A leader new in office has not measured this node yet: its first tables may not
        // list it. The last table that did stays in force for as long as a leader's own
        // samples would (the own entry still corrected for jumps since), so a change of
        // leader does not turn every member away for a round.
        let kept = inner.table.as_ref().is_some_and(|t| {
            t.offsets.contains_key(&self.me)
                && now.at.saturating_duration_since(t.received) <= SAMPLE_TTL
        });
        if !offsets.contains_key(&self.me) && kept {
            return;
        }
        inner.table = Some(Table {
            offsets,
            anchor,
            received: now.at,
        });
    }

    /// The current voters (the node tells the monitor every round, so a request's check
    /// does not read the membership).
    pub fn set_voters(&self, voters: BTreeSet<NodeId>) {
        self.lock().voters = voters;
    }

    /// Where this node's clock stands now among the voters last set.
    pub fn check(&self) -> ClockStatus {
        let voters = self.lock().voters.clone();
        self.status(&voters, Anchor::now())
    }

    /// Where this node's clock stands among `voters`, at `now`.
    pub fn status(&self, voters: &BTreeSet<NodeId>, now: Anchor) -> ClockStatus {
        let unknown = |detail: &str| ClockStatus {
            ok: self.tolerance_ms == 0,
            offset_ms: 0,
            detail: detail.to_owned(),
        };
        if self.tolerance_ms == 0 {
            return unknown("not checked (max clock offset 0)");
        }
        if voters.is_empty() {
            return unknown("not measured yet (no membership known)");
        }
        let inner = self.lock();
        let Some(table) = &inner.table else {
            return unknown("not measured yet (no leader has measured this node's clock)");
        };
        let Some(mine) = table.offsets.get(&self.me) else {
            return unknown("not measured yet (the leader's table does not list this node yet)");
        };
        let mine = mine.saturating_add(table.anchor.jump_until(&now));
        // This node's clock minus each other voter's, for those measured.
        let diffs: Vec<i64> = voters
            .iter()
            .filter(|id| **id != self.me)
            .filter_map(|id| table.offsets.get(id))
            .map(|o| mine.saturating_sub(*o))
            .collect();
        let tolerance = i64::try_from(self.tolerance_ms).unwrap_or(i64::MAX);
        let own_vote = usize::from(voters.contains(&self.me));
        let agreeing = own_vote + diffs.iter().filter(|d| d.abs() <= tolerance).count();
        let quorum = voters.len() / 2 + 1;
        let mut clocks: Vec<i64> = diffs.clone();
        if own_vote == 1 {
            clocks.push(0);
        }
        clocks.sort_unstable();
        let offset_ms = clocks.get(clocks.len() / 2).copied().unwrap_or(0);
        let ok = agreeing >= quorum;
        let detail = if ok {
            format!(
                "{offset_ms} ms from the voters' median; {agreeing} of {} voters within {} ms of this clock",
                voters.len(),
                self.tolerance_ms
            )
        } else {
            format!(
                "this node's clock is {offset_ms} ms off the cluster's: only {agreeing} of {} voters' clocks (a quorum is {quorum}) are within the {} ms tolerated of it",
                voters.len(),
                self.tolerance_ms
            )
        };
        ClockStatus {
            ok,
            offset_ms,
            detail,
        }
    }
}

#[cfg(test)]
mod tests;
