//! Negative controls: runs in which the anomaly is made to happen on purpose, so that a
//! checker that cannot see it fails the suite instead of passing it.
//!
//! - *stale read*: a follower is cut off, a write is acknowledged by the majority, and the
//!   follower answers a `local` read with the old value (allowed by design); the register
//!   checker must call that history non-linearizable, and the same history without the local
//!   read (the follower's linearizable and at-least reads only) linearizable.
//! - *retry without a token*: a quota acquire whose response is lost and which is retried
//!   under a fresh request token applies twice; the quota checker must report the
//!   double count, and the same retries under one token must pass.

use crate::cluster::Cluster;
use crate::workload::quota::{change, usage};
use crate::workload::register::{read, write};
use crate::workload::{at_least, linearizable, local, Env};
use iamd_chaos::check::linear::{check, RegInput, RegOp, RegOutput, RegisterModel, Verdict};
use iamd_chaos::check::quota::{check_quota, QuotaInput, QuotaOutput};
use iamd_chaos::history::{History, Outcome};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Default, serde::Serialize)]
pub struct Controls {
    /// The stale local read happened and the checker flagged it.
    pub stale_read_flagged: bool,
    /// The same history without the local read passed.
    pub strong_reads_passed: bool,
    /// What the follower's local read returned vs the acknowledged value.
    pub stale_read: String,
    /// Retries without a token: the checker reported the double count.
    pub double_count_flagged: bool,
    /// Retries under one token passed.
    pub token_retries_passed: bool,
    pub quota_detail: Vec<String>,
}

impl Controls {
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.stale_read_flagged {
            p.push(format!(
                "negative control: the stale local read was not flagged ({})",
                self.stale_read
            ));
        }
        if !self.strong_reads_passed {
            p.push(
                "control: linearizable/at-least reads of the control key failed the check".into(),
            );
        }
        if !self.double_count_flagged {
            p.push(
                "negative control: retries without a token were not caught double-counting".into(),
            );
        }
        if !self.token_retries_passed {
            p.push("control: retries under one token failed the quota check".into());
        }
        p
    }
}

/// The stale-read control on register `key` (a user made by the register setup).
async fn stale_read(c: &mut Cluster, env: &Env, key: usize, out: &mut Controls) {
    let Some(leader) = c.leader().await else {
        out.stale_read = "no leader".into();
        return;
    };
    let Some(follower) = c.members().into_iter().find(|m| *m != leader) else {
        return;
    };
    let url = |id: u64| c.nodes[&id].url();
    let (leader_url, follower_url) = (url(leader), url(follower));
    let full: History<RegOp, RegOutput> = History::new();
    let strong: History<RegOp, RegOutput> = History::with_origin(full.origin());
    let op = |o: RegInput| RegOp {
        key: "ctl".into(),
        op: o,
    };
    let record =
        |h: &[&History<RegOp, RegOutput>], input: RegInput, outcome, output: Option<RegOutput>| {
            for h in h {
                let p = h.invoke(0, op(input));
                h.complete(p, outcome, output);
            }
        };
    c.net.isolate(follower);
    let mut lc = env.client_at(&leader_url, &env.creds);
    let value = 1_000_000 + rand::random::<u32>() as i64;
    // The write (a few tries: the cut may cost the leader a moment).
    let mut index = None;
    for _ in 0..20 {
        let p = (
            full.invoke(0, op(RegInput::Write(value))),
            strong.invoke(0, op(RegInput::Write(value))),
        );
        match write(&mut lc, &env.account, key, value).await {
            Ok(i) => {
                full.complete(p.0, Outcome::Ok, Some(RegOutput::Written));
                strong.complete(p.1, Outcome::Ok, Some(RegOutput::Written));
                index = Some(i);
                break;
            }
            Err(_) => {
                full.complete(p.0, Outcome::Info, None);
                strong.complete(p.1, Outcome::Info, None);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let Some(index) = index else {
        out.stale_read = "the control write was never acknowledged".into();
        c.net.heal();
        return;
    };
    let fc = env.client_at(&follower_url, &env.creds);
    let fast = iam_client::Client::new(std::slice::from_ref(&follower_url), Duration::from_secs(2))
        .expect("endpoint")
        .with_credentials(env.creds.clone());
    // The follower's local read: stale by design.
    match read(&fc, &env.account, key, local()).await {
        Ok(v) => {
            out.stale_read =
                format!("local read on cut-off node {follower}: {v:?}, acknowledged {value}");
            record(
                &[&full],
                RegInput::Read,
                Outcome::Ok,
                Some(RegOutput::Read(v)),
            );
        }
        Err(e) => out.stale_read = format!("local read failed: {e}"),
    }
    // Its strong reads must not answer stale (they fail while it is cut off).
    for opts in [linearizable(), at_least(index)] {
        match read(&fast, &env.account, key, opts).await {
            Ok(v) => record(
                &[&full, &strong],
                RegInput::Read,
                Outcome::Ok,
                Some(RegOutput::Read(v)),
            ),
            Err(_) => record(&[&full, &strong], RegInput::Read, Outcome::Fail, None),
        }
    }
    c.net.heal();
    // After the heal, the follower's linearizable read sees the write.
    for _ in 0..50 {
        if let Ok(v) = read(&fc, &env.account, key, linearizable()).await {
            record(
                &[&full, &strong],
                RegInput::Read,
                Outcome::Ok,
                Some(RegOutput::Read(v)),
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    out.stale_read_flagged = matches!(
        check(&RegisterModel, &full.entries(), 1_000_000),
        Verdict::NotLinearizable { .. }
    );
    out.strong_reads_passed = check(&RegisterModel, &strong.entries(), 1_000_000).is_linearizable();
}

/// The retry control: `n` acquires of one unit on each of two caps, each acquire's first
/// response thrown away (as if lost on the way back) and the acquire retried.
async fn retries(env: &Env, out: &mut Controls) {
    let n = 10u64;
    let mut limits = BTreeMap::new();
    let mut finals = BTreeMap::new();
    for (cap, one_token) in [("ctl-token", true), ("ctl-notoken", false)] {
        if crate::workload::quota::set_limit(env, cap, 1_000)
            .await
            .is_err()
        {
            out.quota_detail
                .push(format!("{cap}: could not create the cap"));
            return;
        }
        limits.insert(cap.to_owned(), 1_000);
        let h: History<QuotaInput, QuotaOutput> = History::new();
        let mut node = 0;
        for _ in 0..n {
            let p = h.invoke(
                0,
                QuotaInput::Acquire {
                    cap: cap.into(),
                    amount: 1,
                },
            );
            let token = iam_client::Client::new_token();
            // First attempt: applied, but its answer is "lost".
            let _ = change(env, &mut node, cap, 1, true, Some(token.clone())).await;
            // The retry: the same token, or (negative control) a fresh one.
            let (outcome, output) =
                change(env, &mut node, cap, 1, true, one_token.then_some(token)).await;
            h.complete(p, outcome, output);
        }
        let (_, mut c) = env.client(0);
        let Ok((used, _)) = usage(&mut c, &env.account, cap, linearizable()).await else {
            out.quota_detail
                .push(format!("{cap}: final usage unreadable"));
            return;
        };
        finals.insert(cap.to_owned(), used);
        let one = BTreeMap::from([(cap.to_owned(), used)]);
        let lim = BTreeMap::from([(cap.to_owned(), 1_000u64)]);
        let report = check_quota(&h.entries(), &one, &lim);
        let v = report.violations();
        out.quota_detail.push(format!(
            "{cap}: used {used} after {n} acknowledged acquires: {v:?}"
        ));
        if one_token {
            out.token_retries_passed = v.is_empty();
        } else {
            out.double_count_flagged = v.iter().any(|m| m.contains("double"));
        }
    }
}

pub async fn run(c: &mut Cluster, env: &Env, control_key: usize) -> Controls {
    let mut out = Controls::default();
    stale_read(c, env, control_key, &mut out).await;
    retries(env, &mut out).await;
    out
}
