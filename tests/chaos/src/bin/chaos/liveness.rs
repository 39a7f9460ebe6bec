//! Liveness figures of a run, from the prober's acknowledged writes: the time from each
//! fault that loses the leader to the first write sent after it and acknowledged, and the
//! longest gap between acknowledged writes within each kind of fault.

use crate::report::Event;
use crate::workload::probe;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Liveness {
    /// Leader-loss events measured and their times to the next acknowledged write (ms) of
    /// the prober (one client, 1 s deadline, next node after a failure).
    pub leader_loss_events: usize,
    /// Each leader-loss event: (kind, ms to the prober's first acknowledged write sent after it).
    pub recoveries: Vec<(String, f64)>,
    pub recovery_p50_ms: Option<f64>,
    pub recovery_p99_ms: Option<f64>,
    pub recovery_max_ms: Option<f64>,
    /// Longest gap between acknowledged writes during each kind of fault (ms), worst event.
    pub gap_by_kind_ms: BTreeMap<String, f64>,
    /// From the final heal to equal state hashes on every member (ms).
    pub converge_ms: f64,
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(sorted[i.min(sorted.len() - 1)])
}

/// Liveness from the prober's acknowledged writes.
pub fn liveness(events: &[Event], probe: &probe::Acks, converge_ms: f64) -> Liveness {
    let mut acks = probe.lock().expect("acks").clone();
    acks.sort_unstable_by_key(|(_, ack)| *ack);
    let mut recoveries = Vec::new();
    let mut gaps: BTreeMap<String, f64> = BTreeMap::new();
    for e in events.iter().filter(|e| !e.skipped) {
        if e.kind.loses_leader() {
            // The first write sent after the fault and acknowledged: what a client that
            // starts writing at the fault waits for (a write sent before it may have been
            // committed by the old leader).
            if let Some((_, ack)) = acks
                .iter()
                .filter(|(invoked, _)| *invoked >= e.start_ns)
                .min_by_key(|(_, ack)| *ack)
            {
                recoveries.push((e.kind.name().to_owned(), (ack - e.start_ns) as f64 / 1e6));
            }
        }
        // The longest stretch without an acknowledged write from the fault's start to its
        // heal.
        let mut prev = e.start_ns;
        let mut gap = 0u64;
        for (_, t) in acks
            .iter()
            .filter(|(_, t)| *t > e.start_ns && *t <= e.end_ns)
        {
            gap = gap.max(t - prev);
            prev = *t;
        }
        gap = gap.max(e.end_ns.saturating_sub(prev));
        let g = gaps.entry(e.kind.name().to_owned()).or_insert(0.0);
        *g = g.max(gap as f64 / 1e6);
    }
    let mut sorted: Vec<f64> = recoveries.iter().map(|(_, ms)| *ms).collect();
    sorted.sort_by(f64::total_cmp);
    Liveness {
        leader_loss_events: recoveries.len(),
        recoveries,
        recovery_p50_ms: percentile(&sorted, 0.5),
        recovery_p99_ms: percentile(&sorted, 0.99),
        recovery_max_ms: sorted.last().copied(),
        gap_by_kind_ms: gaps,
        converge_ms,
    }
}
