//! `chaos`: runs a seeded chaos test against a real iamd cluster and judges it.
//!
//!     chaos --seed 42 --nodes 5 --duration 600          # the long run
//!     chaos --seed 7 --nodes 3 --duration 60 --smoke    # what CI runs
//!
//! A run starts `--nodes` iamd processes (plus spares for membership changes) whose peer
//! links all cross fault proxies, runs the workloads from concurrent clients while the
//! nemesis applies the seed's fault schedule, heals everything, runs the negative controls,
//! reads the final state from every node and checks the histories. It prints its seed, a
//! report, and exits 0 only if every check passed and every control was caught. A failing
//! run keeps its directory: histories (JSONL), each node's log and data dir.

// A binary's items are reachable from nowhere else: `pub` marks what its modules share.
#![allow(unreachable_pub)]

mod cluster;
mod controls;
mod liveness;
mod nemesis;
mod report;
mod workload;

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug, Clone)]
#[command(about = "Seeded chaos run against a real iamd cluster")]
pub struct Args {
    /// The seed of the fault schedule and the clients' choices (default: random, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Voters the cluster starts with (3 or 5).
    #[arg(long, default_value_t = 3)]
    pub nodes: u64,
    /// Spare nodes the membership faults may add (ids are never reused, so a long run
    /// with many membership faults needs several).
    #[arg(long, default_value_t = 6)]
    pub spares: u64,
    /// Seconds of faults under load.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Fault kinds (comma separated; default: all). See `--list-nemeses`.
    #[arg(long, value_delimiter = ',')]
    pub nemesis: Vec<String>,
    /// The smoke run's kinds: kill, pause, the leader in a minority, one node isolated, a
    /// clock jump.
    #[arg(long)]
    pub smoke: bool,
    /// Print the fault kinds and exit.
    #[arg(long)]
    pub list_nemeses: bool,
    /// Build a snapshot every this many entries (small: followers catch up by snapshot).
    #[arg(long, default_value_t = 100)]
    pub snapshot_every: u64,
    /// Clients per workload.
    #[arg(long, default_value_t = 3)]
    pub clients: usize,
    /// Register keys.
    #[arg(long, default_value_t = 4)]
    pub keys: usize,
    /// How long a fault is held, in ms (min,max).
    #[arg(long, value_delimiter = ',', default_values_t = [1500u64, 4000])]
    pub hold_ms: Vec<u64>,
    /// Where the run keeps its files (default: a new dir under /var/tmp).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the run's dir even when it passes.
    #[arg(long)]
    pub keep: bool,
    /// The iamd binary (default: beside this one).
    #[arg(long)]
    pub iamd: Option<PathBuf>,
    /// Write the run's summary as JSON here too.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

fn iamd_path(args: &Args) -> anyhow::Result<PathBuf> {
    if let Some(p) = &args.iamd {
        return Ok(p.clone());
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("no parent dir")?;
    for candidate in [dir.join("iamd"), dir.join("../iamd")] {
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    anyhow::bail!(
        "no iamd beside {}: build it (cargo build --bins) or give --iamd",
        exe.display()
    )
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if args.list_nemeses {
        for k in nemesis::Kind::ALL {
            println!("{}", k.name());
        }
        return std::process::ExitCode::SUCCESS;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(report::run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("chaos: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The fault kinds of a run.
pub fn kinds(args: &Args) -> anyhow::Result<Vec<nemesis::Kind>> {
    use nemesis::Kind;
    if args.smoke {
        return Ok(vec![
            Kind::KillLeader,
            Kind::KillAny,
            Kind::PauseAny,
            Kind::LeaderInMinority,
            Kind::IsolateAny,
            Kind::ClockSkew,
        ]);
    }
    if args.nemesis.is_empty() {
        return Ok(Kind::ALL.to_vec());
    }
    args.nemesis
        .iter()
        .map(|n| {
            Kind::parse(n.trim())
                .with_context(|| format!("unknown nemesis {n:?} (see --list-nemeses)"))
        })
        .collect()
}

/// One call's deadline in workloads.
pub const CALL_DEADLINE: Duration = Duration::from_secs(3);
