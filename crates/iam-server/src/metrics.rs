//! The server's own figures for `/metrics`: authentication failures by AWS error code, and
//! authorization decisions by outcome with their latency — for `Authorize` (decisions made
//! for other services) and for iamd's own calls (`api="iam"`). Raft, storage and proposal
//! figures live in `iam_raft::metrics`.

use iam_model::ErrorCode;
use iam_raft::metrics::{Counter, Histogram};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Authentication failures by AWS error code (a small, fixed set of codes).
static AUTH_FAILURES: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());

pub(crate) fn auth_failed(code: ErrorCode) {
    let mut m = AUTH_FAILURES.lock().unwrap_or_else(|p| p.into_inner());
    *m.entry(code.as_str()).or_default() += 1;
}

/// Where a decision was made.
#[derive(Clone, Copy)]
pub(crate) enum Api {
    /// `Authorize` / `AuthorizeBatch`: decisions for other services.
    Authorize,
    /// iamd's own access control on its API calls.
    Iam,
}

/// A decision's outcome.
#[derive(Clone, Copy)]
pub(crate) enum Outcome {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
    /// iamd's own checks report a denial without saying which kind.
    Denied,
}

struct Decisions {
    authorize: [Counter; 3],
    iam_allowed: Counter,
    iam_denied: Counter,
    authorize_seconds: Histogram,
    iam_seconds: Histogram,
}

static DECISIONS: Decisions = Decisions {
    authorize: [Counter::new(), Counter::new(), Counter::new()],
    iam_allowed: Counter::new(),
    iam_denied: Counter::new(),
    authorize_seconds: Histogram::new(),
    iam_seconds: Histogram::new(),
};

pub(crate) fn decided(api: Api, outcome: Outcome, took: Duration) {
    let d = &DECISIONS;
    match api {
        Api::Authorize => {
            let i = match outcome {
                Outcome::Allowed => 0,
                Outcome::ExplicitDeny => 1,
                Outcome::ImplicitDeny | Outcome::Denied => 2,
            };
            d.authorize[i].inc();
            d.authorize_seconds.observe(took);
        }
        Api::Iam => {
            match outcome {
                Outcome::Allowed => d.iam_allowed.inc(),
                _ => d.iam_denied.inc(),
            }
            d.iam_seconds.observe(took);
        }
    }
}

pub(crate) fn render(out: &mut String) {
    let _ = writeln!(
        out,
        "# HELP iamd_auth_failures_total Requests whose authentication failed, by AWS error code.\n# TYPE iamd_auth_failures_total counter"
    );
    let failures = AUTH_FAILURES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    for (code, n) in failures {
        let _ = writeln!(out, "iamd_auth_failures_total{{code=\"{code}\"}} {n}");
    }
    let d = &DECISIONS;
    let _ = writeln!(
        out,
        "# HELP iamd_authz_decisions_total Authorization decisions, by API and outcome.\n# TYPE iamd_authz_decisions_total counter"
    );
    for (api, outcome, c) in [
        ("authorize", "allowed", &d.authorize[0]),
        ("authorize", "explicit_deny", &d.authorize[1]),
        ("authorize", "implicit_deny", &d.authorize[2]),
        ("iam", "allowed", &d.iam_allowed),
        ("iam", "denied", &d.iam_denied),
    ] {
        let _ = writeln!(
            out,
            "iamd_authz_decisions_total{{api=\"{api}\",outcome=\"{outcome}\"}} {}",
            c.get()
        );
    }
    let name = "iamd_authz_decision_duration_seconds";
    d.authorize_seconds.render(
        out,
        name,
        "Time to decide one authorization (policy evaluation from the node's state).",
        "api=\"authorize\"",
        true,
    );
    d.iam_seconds.render(out, name, "", "api=\"iam\"", false);
}
