//! *quota* (bank): clients acquire and release units of a usage cap and read its usage.
//! Every acquire and release carries a request token and is retried with the same token
//! after an ambiguous failure (on the next node), as a careful client does; the cap must
//! never be exceeded and the final usage must equal what was acknowledged.

use super::{backoff, linearizable, read_failure, refusal, write_failure, Env};
use iam_client::{Client, ClientError};
use iam_state::ops::quotas::{QuotaOp, QuotaQuery};
use iam_state::{Command, Query};
use iamd_chaos::check::quota::{QuotaInput, QuotaOutput};
use iamd_chaos::history::{History, Outcome};
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

pub type QuotaHistory = History<QuotaInput, QuotaOutput>;

/// How long a client keeps retrying one operation before recording it as unknown.
const RETRY_FOR: Duration = Duration::from_secs(4);

/// Creates `cap` with `limit` (or sets its limit), through the first node that takes it.
pub async fn set_limit(env: &Env, cap: &str, limit: u64) -> anyhow::Result<()> {
    let cmd = Command::in_account(
        &env.account,
        QuotaOp::SetUsageLimit {
            name: cap.into(),
            limit,
        },
    );
    let token = Client::new_token();
    let mut last = None;
    for i in 0..env.nodes.len() {
        let (_, mut c) = env.client(i);
        match c.write(&cmd, &token).await {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(|| anyhow::anyhow!("no nodes"), anyhow::Error::from))
}

/// (used, limit) of `cap`, read through `c`.
pub async fn usage(
    c: &mut Client,
    account: &str,
    cap: &str,
    read: iam_proto::v1::ReadOptions,
) -> Result<(u64, u64), ClientError> {
    let q = Query::in_account(account, QuotaQuery::GetUsage { name: cap.into() });
    let (v, _) = c.read(&q, read).await?;
    Ok((
        v["used"].as_u64().unwrap_or(u64::MAX),
        v["limit"].as_u64().unwrap_or(0),
    ))
}

/// One acquire or release, retried under one token (`token: None`: a fresh token per
/// attempt, the negative control) from node `node` on, until it is decided or `RETRY_FOR`
/// passes. Returns the outcome and the output.
pub async fn change(
    env: &Env,
    node: &mut usize,
    cap: &str,
    amount: u64,
    acquire: bool,
    token: Option<String>,
) -> (Outcome, Option<QuotaOutput>) {
    let op = if acquire {
        QuotaOp::Acquire {
            name: cap.into(),
            amount,
        }
    } else {
        QuotaOp::Release {
            name: cap.into(),
            amount,
        }
    };
    let cmd = Command::in_account(&env.account, op);
    let start = Instant::now();
    // Once an attempt may have been applied, the operation's outcome can no longer be a
    // plain failure.
    let mut ambiguous = false;
    loop {
        let (_, c) = env.client(*node);
        let t = token.clone().unwrap_or_else(Client::new_token);
        match super::write_once(&c, &cmd, &t).await {
            Ok(_) if acquire => return (Outcome::Ok, Some(QuotaOutput::Granted)),
            Ok(_) => return (Outcome::Ok, Some(QuotaOutput::Released)),
            Err(e) if refusal(&e) == Some("LimitExceeded") => {
                return (Outcome::Ok, Some(QuotaOutput::Refused))
            }
            Err(e) => {
                ambiguous |= write_failure(&e) == Outcome::Info;
                let outcome = if ambiguous {
                    Outcome::Info
                } else {
                    Outcome::Fail
                };
                *node += 1;
                if refusal(&e).is_some() {
                    return (outcome, None);
                }
                if start.elapsed() > RETRY_FOR || env.stopped() {
                    return (outcome, None);
                }
                backoff().await;
            }
        }
    }
}

/// Runs `clients` clients on `cap` until `env.stop`.
pub async fn run(env: Env, history: QuotaHistory, cap: String, clients: usize, seed: u64) {
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (env, history, cap) = (env.clone(), history.clone(), cap.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ (i as u64 * 104_729));
            let mut node = i;
            let mut process = i;
            // Units this client was granted and has not released (acknowledged only).
            let mut holds = 0u64;
            while !env.stopped() {
                let roll: f64 = rng.gen();
                if roll < 0.2 {
                    let p = history.invoke(process, QuotaInput::Read { cap: cap.clone() });
                    let (_, mut c) = env.client(node);
                    match usage(&mut c, &env.account, &cap, linearizable()).await {
                        Ok((used, limit)) => history.complete(
                            p,
                            Outcome::Ok,
                            Some(QuotaOutput::Usage { used, limit }),
                        ),
                        Err(e) => {
                            history.complete(p, read_failure(&e), None);
                            node += 1;
                            backoff().await;
                        }
                    }
                    continue;
                }
                let acquire = holds == 0 || roll < 0.65;
                let amount = if acquire {
                    rng.gen_range(1..=3)
                } else {
                    rng.gen_range(1..=holds)
                };
                let input = if acquire {
                    QuotaInput::Acquire {
                        cap: cap.clone(),
                        amount,
                    }
                } else {
                    QuotaInput::Release {
                        cap: cap.clone(),
                        amount,
                    }
                };
                let p = history.invoke(process, input);
                let token = Client::new_token();
                let (outcome, output) =
                    change(&env, &mut node, &cap, amount, acquire, Some(token)).await;
                match (&outcome, &output) {
                    (Outcome::Ok, Some(QuotaOutput::Granted)) => holds += amount,
                    (Outcome::Ok, Some(QuotaOutput::Released)) => holds -= amount,
                    (Outcome::Info, _) if !acquire => {
                        // The release may have happened: do not release those units again.
                        holds -= amount;
                    }
                    _ => {}
                }
                history.complete(p, outcome, output);
                if outcome == Outcome::Info {
                    process += clients;
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}
