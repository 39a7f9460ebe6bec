//! A closed-loop load runner: `clients` tasks each issue one request at a time for a fixed
//! duration; latencies of successful requests are collected exactly (no sampling).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Report {
    pub clients: usize,
    pub ok: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Report {
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(clients: usize, mut all: Vec<Duration>, errors: usize, elapsed: Duration) -> Report {
    all.sort();
    Report {
        clients,
        ok: all.len(),
        errors,
        elapsed,
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        max: all.last().copied().unwrap_or_default(),
    }
}

/// A gRPC call's result as the load generator counts it: done, or an error message.
pub fn outcome<T>(r: Result<T, tonic::Status>) -> Result<(), String> {
    r.map(|_| ()).map_err(|s| s.message().to_owned())
}

/// Runs `op(client_index, sequence)` from `clients` concurrent tasks for `duration`.
pub async fn run<F, Fut>(clients: usize, duration: Duration, op: F) -> Report
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match op(c, seq).await {
                    Ok(()) => lat.push(t.elapsed()),
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("client {c}: {e}");
                        }
                    }
                }
                seq += 1;
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("load task");
        all.extend(lat);
        errors += e;
    }
    report(clients, all, errors, start.elapsed())
}

/// An open-loop run: `op(sequence)` is started at a fixed rate (`per_second` calls, evenly
/// spaced) for `duration`, whether or not earlier calls have answered, so a slow answer
/// cannot slow the offered load down. Returns two views of the same calls: latency from
/// each call's *scheduled* start (no coordinated omission, but including the sender's own
/// lateness: tokio's timer fires at millisecond granularity) and from its actual dispatch.
pub async fn run_at_rate<F, Fut>(per_second: f64, duration: Duration, op: F) -> (Report, Report)
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let op = Arc::new(op);
    let interval = Duration::from_secs_f64(1.0 / per_second.max(1.0));
    let start = Instant::now();
    let total = (duration.as_secs_f64() * per_second) as u64;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sender = tokio::spawn(async move {
        for seq in 0..total {
            let due = start + interval.mul_f64(seq as f64);
            tokio::time::sleep_until(due.into()).await;
            let (op, tx) = (op.clone(), tx.clone());
            tokio::spawn(async move {
                let sent = Instant::now();
                let r = op(seq).await;
                let _ = tx.send(r.map(|()| (due.elapsed(), sent.elapsed())));
            });
        }
    });
    sender.await.expect("open-loop sender");
    let (mut scheduled, mut dispatched) = (Vec::new(), Vec::new());
    let mut errors = 0usize;
    for _ in 0..total {
        match rx.recv().await {
            Some(Ok((from_due, from_sent))) => {
                scheduled.push(from_due);
                dispatched.push(from_sent);
            }
            Some(Err(e)) => {
                errors += 1;
                if errors <= 3 {
                    eprintln!("open loop: {e}");
                }
            }
            None => break,
        }
    }
    let elapsed = start.elapsed();
    (
        report(0, scheduled, errors, elapsed),
        report(0, dispatched, errors, elapsed),
    )
}
