//! HTTP on each node: `/livez` and `/readyz` (see [`crate::health`]; `/health` and `/ready`
//! are their older names), `/metrics` (Prometheus text format), and the AWS Query API.

use crate::api::ApiState;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub(crate) fn router(state: ApiState) -> Router {
    Router::new()
        .route("/livez", get(crate::health::livez))
        .route("/readyz", get(crate::health::readyz))
        .route("/health", get(crate::health::livez))
        .route("/ready", get(crate::health::ready))
        .route("/metrics", get(metrics))
        .route(
            "/_iamd/sandbox/reset",
            axum::routing::post(crate::aws_http::sandbox_reset),
        )
        // The AWS IAM Query API (AWS CLI, SDKs).
        .route(
            "/",
            axum::routing::post(crate::aws_http::handle).get(crate::aws_http::handle),
        )
        .with_state(state)
}

async fn metrics(State(s): State<ApiState>) -> String {
    let m = s.node.metrics();
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, v: u64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
    };
    gauge("iamd_raft_term", "Current Raft term.", m.current_term);
    gauge(
        "iamd_raft_last_log_index",
        "Index of the last log entry.",
        m.last_log_index.unwrap_or(0),
    );
    gauge(
        "iamd_raft_applied_index",
        "Index of the last applied entry.",
        m.last_applied.map_or(0, |l| l.index),
    );
    gauge(
        "iamd_raft_snapshot_index",
        "Index covered by the last snapshot.",
        m.snapshot.map_or(0, |l| l.index),
    );
    gauge(
        "iamd_raft_committed_index",
        "Index of the last entry this node knows committed.",
        m.local_committed.map_or(0, |l| l.index),
    );
    gauge(
        "iamd_raft_is_leader",
        "1 if this node is the leader.",
        u64::from(s.node.is_leader()),
    );
    gauge(
        "iamd_raft_has_leader",
        "1 if this node knows a leader.",
        u64::from(m.current_leader.is_some()),
    );
    let clock = s.node.clock_status();
    gauge(
        "iamd_clock_in_line",
        "1 unless this node's clock is off a quorum of voters' clocks by more than --max-clock-offset-ms (it then refuses requests).",
        u64::from(clock.ok),
    );
    let tokens = {
        use iam_state::StateRead;
        s.view
            .get(iam_state::keys::TOKEN_COUNT)
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    gauge(
        "iamd_request_tokens",
        "Request tokens remembered (bounded by count and by log window).",
        tokens,
    );
    gauge(
        "iamd_raft_members",
        "Number of cluster members.",
        s.node.members().len() as u64,
    );
    let _ = writeln!(
        out,
        "# HELP iamd_clock_offset_ms This node's clock minus the voters' median clock, as measured by the leader.\n# TYPE iamd_clock_offset_ms gauge\niamd_clock_offset_ms {}",
        clock.offset_ms
    );
    let c = &s.counters;
    let _ = writeln!(out, "# HELP iamd_peer_rpcs_total Peer RPCs served, by kind.\n# TYPE iamd_peer_rpcs_total counter");
    for (kind, v) in [
        ("append_entries", &c.append_entries),
        ("vote", &c.vote),
        ("pre_vote", &c.pre_vote),
        ("install_snapshot", &c.install_snapshot),
        ("forward", &c.forward),
        ("read_index", &c.read_index),
    ] {
        let _ = writeln!(
            out,
            "iamd_peer_rpcs_total{{kind=\"{kind}\"}} {}",
            v.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP iamd_forwarded_writes_total Writes followers forwarded to this node (many per forward call).\n# TYPE iamd_forwarded_writes_total counter\niamd_forwarded_writes_total {}",
        c.forwarded_writes.load(Ordering::Relaxed)
    );
    crate::password::write_metrics(&mut out);
    crate::metrics::render(&mut out);
    crate::audit::sink::render(&mut out);
    crate::backups::render(&mut out);
    iam_raft::metrics::render(&mut out);
    out
}
