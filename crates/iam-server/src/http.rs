//! HTTP on each node: `/health` (the process serves), `/ready` (it knows a leader and can
//! answer), `/metrics` (Prometheus text format).

use crate::api::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub(crate) fn router(state: ApiState) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/ready", get(ready))
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

async fn ready(State(s): State<ApiState>) -> (StatusCode, String) {
    let m = s.node.metrics();
    match m.current_leader {
        Some(leader) => (
            StatusCode::OK,
            format!(
                "ready: leader {leader}, applied {}, voters {}\n",
                s.node.applied_index(),
                s.node
                    .members()
                    .iter()
                    .filter(|(_, _, voter)| *voter)
                    .count()
            ),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no leader known\n".into(),
        ),
    }
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
        "iamd_raft_is_leader",
        "1 if this node is the leader.",
        u64::from(s.node.is_leader()),
    );
    gauge(
        "iamd_raft_members",
        "Number of cluster members.",
        s.node.members().len() as u64,
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
    out
}
