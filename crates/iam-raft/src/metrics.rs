//! What a node measures for its operator, as process-wide counters and latency histograms
//! in the Prometheus text format (`iamd_*`, named in etcd's style). The storage and server
//! crates record into the statics here; `iam-server`'s `/metrics` renders them.
//!
//! One node runs per process (`iamd serve`; `iamd dev` starts separate processes), so
//! process-wide figures are the node's.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets: 100 µs to 10 s.
const BOUNDS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// A latency histogram with fixed buckets; lock-free.
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub const fn new() -> Self {
        Self {
            buckets: [const { AtomicU64::new(0) }; BOUNDS.len()],
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Appends the histogram as `name` with the given label set (`""` or `kind="x"`); the
    /// HELP/TYPE header only when `header`.
    pub fn render(&self, out: &mut String, name: &str, help: &str, labels: &str, header: bool) {
        if header {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        }
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in BOUNDS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// A counter.
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A gauge that goes up and down (in-flight work).
#[derive(Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Counts one in-flight item until the guard drops.
    pub fn track(&self) -> GaugeGuard<'_> {
        self.0.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(self)
    }
}

pub struct GaugeGuard<'a>(&'a Gauge);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Proposals (client writes) this node made: committed, failed, and in flight.
pub static PROPOSALS_COMMITTED: Counter = Counter::new();
pub static PROPOSALS_FAILED: Counter = Counter::new();
pub static PROPOSALS_PENDING: Gauge = Gauge::new();
/// How long a proposal took, from the call to its applied outcome (forwarding included).
pub static PROPOSAL_SECONDS: Histogram = Histogram::new();
/// Round trips of unary Raft RPCs to peers (votes; AppendEntries to a peer without the
/// replication stream).
pub static PEER_ROUND_TRIP_SECONDS: Histogram = Histogram::new();
/// A follower asking the leader for its read index (the leader confirms its leadership
/// with a quorum first): what a linearizable read on a follower waits for.
pub static READ_INDEX_SECONDS: Histogram = Histogram::new();
/// Durability: the log journal's `fdatasync`.
pub static FSYNC_SECONDS: Histogram = Histogram::new();
/// Applying one committed entry (its requests, written in one batch) to the state machine.
pub static APPLY_SECONDS: Histogram = Histogram::new();
/// Building a snapshot of the state.
pub static SNAPSHOT_BUILD_SECONDS: Histogram = Histogram::new();
/// Size of the last snapshot built or installed.
pub static SNAPSHOT_LAST_BYTES: Gauge = Gauge::new();
/// Times the node saw the leader change (including to "none").
pub static LEADER_CHANGES: Counter = Counter::new();

/// Appends the figures above.
pub fn render(out: &mut String) {
    let mut counter = |name: &str, help: &str, v: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
        );
    };
    counter(
        "iamd_proposals_committed_total",
        "Writes this node proposed that were committed and applied.",
        PROPOSALS_COMMITTED.get(),
    );
    counter(
        "iamd_proposals_failed_total",
        "Writes this node proposed that failed (no leader, timeout, unreachable leader).",
        PROPOSALS_FAILED.get(),
    );
    counter(
        "iamd_leader_changes_seen_total",
        "Leader changes this node saw (a lost leader counts too).",
        LEADER_CHANGES.get(),
    );
    let _ = writeln!(
        out,
        "# HELP iamd_proposals_pending Writes this node proposed that are in flight.\n# TYPE iamd_proposals_pending gauge\niamd_proposals_pending {}",
        PROPOSALS_PENDING.get()
    );
    let _ = writeln!(
        out,
        "# HELP iamd_snapshot_last_bytes Size of the last snapshot built or installed.\n# TYPE iamd_snapshot_last_bytes gauge\niamd_snapshot_last_bytes {}",
        SNAPSHOT_LAST_BYTES.get()
    );
    for (h, name, help) in [
        (
            &PROPOSAL_SECONDS,
            "iamd_proposal_duration_seconds",
            "Time from proposing a write to its applied outcome.",
        ),
        (
            &PEER_ROUND_TRIP_SECONDS,
            "iamd_peer_round_trip_seconds",
            "Round trip of a unary Raft RPC (vote, AppendEntries) to a peer.",
        ),
        (
            &READ_INDEX_SECONDS,
            "iamd_read_index_duration_seconds",
            "A follower asking the leader for its read index (linearizable reads).",
        ),
        (
            &FSYNC_SECONDS,
            "iamd_disk_wal_fsync_duration_seconds",
            "fdatasync of the Raft log journal.",
        ),
        (
            &APPLY_SECONDS,
            "iamd_apply_duration_seconds",
            "Applying one committed entry (one RocksDB write batch) to the state machine.",
        ),
        (
            &SNAPSHOT_BUILD_SECONDS,
            "iamd_snapshot_build_duration_seconds",
            "Building a snapshot of the state.",
        ),
    ] {
        h.render(out, name, help, "", true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_render_cumulative_buckets() {
        let h = Histogram::new();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "X.", "kind=\"a\"", true);
        assert!(out.starts_with("# HELP x_seconds X.\n# TYPE x_seconds histogram\n"));
        assert!(
            out.contains("x_seconds_bucket{kind=\"a\",le=\"0.0001\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{kind=\"a\",le=\"0.005\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{kind=\"a\",le=\"10\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{kind=\"a\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("x_seconds_count{kind=\"a\"} 3\n"), "{out}");
        let g = Gauge::new();
        {
            let _a = g.track();
            let _b = g.track();
            assert_eq!(g.get(), 2);
        }
        assert_eq!(g.get(), 0);
    }
}
