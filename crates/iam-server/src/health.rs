//! Health endpoints, split as etcd and Kubernetes do: `/livez` (the process is not wedged:
//! restart it if this fails) and `/readyz` (send it traffic: it knows a leader it can reach,
//! is caught up, can serve a linearizable read, its clock is in line with the cluster's,
//! and, failing closed, an audit sink is writing). Both take `?verbose` (one line per check) and `?exclude=<check>`
//! (repeatable, or comma separated), and need no credentials:
//! they reveal nothing but the checks' names and outcomes. `/health` and `/ready` are the
//! older names of the two.

use crate::api::ApiState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use std::time::Duration;

/// How long a check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// How many committed entries a ready node may still have to apply.
pub(crate) const READY_APPLY_LAG: u64 = 1_000;

/// How long a linearizable readiness read is reused: anyone can ask `/readyz` (no
/// credentials), so a flood of probes costs the leader at most one read-index round per
/// this interval per node, not one per probe.
const PROBE_REUSE: Duration = Duration::from_millis(500);

/// The last linearizable readiness read and when it finished. Probes wait for the lock, so
/// concurrent ones share the read in flight.
#[derive(Default)]
pub(crate) struct ProbeCache {
    last: tokio::sync::Mutex<Option<(tokio::time::Instant, Result<String, String>)>>,
}

impl ProbeCache {
    async fn read(&self, s: &ApiState) -> Result<String, String> {
        let mut last = self.last.lock().await;
        if let Some((at, outcome)) = last.as_ref() {
            if at.elapsed() < PROBE_REUSE {
                return outcome.clone();
            }
        }
        let outcome = s
            .node
            .can_read_linearizably(CHECK_TIMEOUT)
            .await
            .map(|i| format!("at index {i}"));
        *last = Some((tokio::time::Instant::now(), outcome.clone()));
        outcome
    }
}

/// One check's name and outcome.
type Outcome = (&'static str, Result<String, String>);

/// What `?verbose` and `?exclude=` asked for.
struct Query {
    verbose: bool,
    exclude: Vec<String>,
}

fn parse_query(raw: Option<&str>) -> Query {
    let mut q = Query {
        verbose: false,
        exclude: Vec::new(),
    };
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "verbose" => q.verbose = v != "false" && v != "0",
            "exclude" => q
                .exclude
                .extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned)),
            _ => {}
        }
    }
    q
}

/// Renders checks the Kubernetes way: `[+]name ok` / `[-]name failed: reason`, then
/// `livez check passed` or `readyz check failed`; status 200 or 503.
fn render(what: &str, checks: Vec<Outcome>, q: &Query) -> (StatusCode, String) {
    let mut out = String::new();
    let mut failed = false;
    for (name, outcome) in checks {
        if q.exclude.iter().any(|e| e == name) {
            if q.verbose {
                out.push_str(&format!("[+]{name} excluded: ok\n"));
            }
            continue;
        }
        match outcome {
            Ok(detail) if q.verbose => out.push_str(&format!("[+]{name} ok: {detail}\n")),
            Ok(_) => {}
            Err(reason) => {
                failed = true;
                out.push_str(&format!("[-]{name} failed: {reason}\n"));
            }
        }
    }
    if failed {
        out.push_str(&format!("{what} check failed\n"));
        (StatusCode::SERVICE_UNAVAILABLE, out)
    } else {
        out.push_str(&format!("{what} check passed\n"));
        (StatusCode::OK, out)
    }
}

/// The process is not wedged: its Raft core answers.
async fn live_checks(s: &ApiState) -> Vec<Outcome> {
    let core = match tokio::time::timeout(CHECK_TIMEOUT, s.node.standing()).await {
        Ok(Ok(_)) => Ok("answers".to_owned()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
    };
    vec![("raft", core)]
}

/// It can serve: a leader known, caught up, a linearizable read possible.
pub(crate) async fn ready_checks(s: &ApiState, exclude: &[String]) -> Vec<Outcome> {
    let m = s.node.metrics();
    let leader = match m.current_leader {
        Some(id) => Ok(format!("node {id}, term {}", m.current_term)),
        None => Err("no leader known".to_owned()),
    };
    let applied = m.last_applied.map_or(0, |l| l.index);
    let committed = m.local_committed.map_or(0, |l| l.index);
    let lag = committed.saturating_sub(applied);
    let caught_up = if lag <= READY_APPLY_LAG {
        Ok(format!("applied {applied}, committed {committed}"))
    } else {
        Err(format!(
            "applied {applied} is {lag} entries behind the committed {committed} (at most {READY_APPLY_LAG})"
        ))
    };
    // The read proves what the metrics cannot: the leader is reachable and still has a
    // quorum (a follower's metrics keep naming a leader that died until an election).
    let read = if exclude.iter().any(|e| e == "linearizable_read") {
        Ok(String::new())
    } else {
        s.ready_probe.read(s).await
    };
    // A node whose clock is off refuses every request (see `iam_raft::clock`).
    let status = s.node.clock_status();
    let clock = if status.ok {
        Ok(status.detail)
    } else {
        Err(status.detail)
    };
    vec![
        ("leader", leader),
        ("applied", caught_up),
        ("linearizable_read", read),
        ("clock", clock),
        ("audit", s.audit.readiness()),
    ]
}

pub(crate) async fn livez(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> (StatusCode, String) {
    let q = parse_query(raw.as_deref());
    render("livez", live_checks(&s).await, &q)
}

pub(crate) async fn readyz(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
) -> (StatusCode, String) {
    let q = parse_query(raw.as_deref());
    render("readyz", ready_checks(&s, &q.exclude).await, &q)
}

/// `/ready`, the older form: every readiness check, and a one-line summary.
pub(crate) async fn ready(State(s): State<ApiState>) -> (StatusCode, String) {
    let checks = ready_checks(&s, &[]).await;
    if let Some((name, Err(reason))) = checks.iter().find(|(_, r)| r.is_err()) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {name}: {reason}\n"),
        );
    }
    let m = s.node.metrics();
    (
        StatusCode::OK,
        format!(
            "ready: leader {}, applied {}, voters {}\n",
            m.current_leader.unwrap_or(0),
            s.node.applied_index(),
            s.node
                .members()
                .iter()
                .filter(|(_, _, voter)| *voter)
                .count()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_render_like_kubernetes_and_exclusions_are_honoured() {
        let checks = || {
            vec![
                ("leader", Ok("node 1".to_owned())),
                ("linearizable_read", Err("no answer".to_owned())),
            ]
        };
        let (code, body) = render("readyz", checks(), &parse_query(None));
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            "[-]linearizable_read failed: no answer\nreadyz check failed\n"
        );
        let q = parse_query(Some("verbose&exclude=linearizable_read"));
        let (code, body) = render("readyz", checks(), &q);
        assert_eq!(code, StatusCode::OK);
        assert_eq!(
            body,
            "[+]leader ok: node 1\n[+]linearizable_read excluded: ok\nreadyz check passed\n"
        );
        let q = parse_query(Some("exclude=leader,linearizable_read&verbose=false"));
        assert_eq!(q.exclude, ["leader", "linearizable_read"]);
        assert!(!q.verbose);
        assert_eq!(render("livez", vec![], &q).1, "livez check passed\n");
    }
}
