//! Durable-write load generator: the same closed-loop workload against a live 3-node iamd
//! cluster (CreateUser) and a live 3-node etcd cluster (Put of a record of similar size), on
//! this machine, one after the other. Prints a markdown table for bench/RESULTS.md.
//!
//! Usage: writes [--iamd target/release/iamd] [--etcd /usr/bin/etcd] [--clients 1,16,64]
//!               [--rate 2000,4000] [--seconds 10] [--only iamd|etcd]
//!               [--threads colocated|default] [--first-client leader|follower]
//!
//! Each row also gives the CPU time per write of the three server processes together and
//! of this load generator (from `/proc`). Under a closed loop that saturates the machine
//! those only restate the throughput; `--rate` (open loop at fixed rates, instead of the
//! `--clients` rounds) leaves the machine headroom, so its CPU per write compares how much
//! work each system does per write.
//!
//! Closed-loop clients are spread over the nodes starting at the leader (client 0 talks to
//! the leader, client 1 to the next node, ...), so that both systems' single client meets
//! the same role; `--first-client follower` starts at a follower instead (each write is then
//! forwarded to the leader, in both systems). The last column says which it was.

use anyhow::Context;
use clap::Parser;
use iam_proto::v1::cluster_client::ClusterClient;
use iam_proto::v1::iam_client::IamClient;
use iam_proto::v1::{CreateAccountRequest, CreateUserRequest, StatusRequest, WriteOptions};
use iam_server::dev::colocated_threads;
use iamd_bench::clusters::{authority, channel, cpu_seconds_of, start_etcd, start_iamd, Procs};
use iamd_bench::etcd::kv_client::KvClient;
use iamd_bench::etcd::PutRequest;
use iamd_bench::load::{outcome, run, run_at_rate};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
use tonic::transport::Channel;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/iamd")]
    iamd: PathBuf,
    #[arg(long, default_value = "/usr/bin/etcd")]
    etcd: PathBuf,
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// Open-loop rounds at these writes per second instead of the `--clients` rounds.
    #[arg(long, value_delimiter = ',')]
    rate: Vec<u32>,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long)]
    only: Option<String>,
    /// Where the clusters keep their data (same disk for both).
    #[arg(long, default_value = "/var/tmp")]
    data: PathBuf,
    /// Threads per node, the same for both systems: `colocated` divides this machine's cores
    /// among the three nodes as `iamd dev` does (at least one each: iamd's
    /// `--runtime-threads`, etcd's `GOMAXPROCS`); `default` leaves each at one per core.
    #[arg(long, default_value = "colocated", value_parser = ["colocated", "default"])]
    threads: String,
    /// Which node client 0 talks to; the other clients follow round the nodes from it.
    #[arg(long, default_value = "leader", value_parser = ["leader", "follower"])]
    first_client: String,
    /// iamd's API ports serve TLS (the clients verify a CA made for the run); the row says
    /// `iamd tls`. Peers use mutual TLS either way. etcd stays plaintext.
    #[arg(long)]
    tls: bool,
}

impl Args {
    fn node_threads(&self) -> Option<usize> {
        (self.threads == "colocated").then(|| colocated_threads(3))
    }

    /// The rounds to run, in order.
    fn loads(&self) -> Vec<Load> {
        if self.rate.is_empty() {
            self.clients.iter().map(|&c| Load::Clients(c)).collect()
        } else {
            self.rate.iter().map(|&r| Load::Rate(r)).collect()
        }
    }
}

/// One round's offered load: closed-loop clients, or an open-loop rate.
#[derive(Clone, Copy)]
enum Load {
    Clients(usize),
    Rate(u32),
}

impl Load {
    /// Closed-loop tasks, or 1 for an open loop (whose calls are numbered by one sequence).
    fn clients(self) -> usize {
        match self {
            Load::Clients(c) => c,
            Load::Rate(_) => 1,
        }
    }

    /// Which of `nodes` call `seq` of client `ci` goes to, counting from node `first`: a
    /// closed-loop client keeps its node; an open loop spreads its calls over all of them.
    fn node(self, ci: usize, seq: u64, nodes: usize, first: usize) -> usize {
        match self {
            Load::Clients(_) => (first + ci) % nodes,
            Load::Rate(_) => (first + (seq % nodes as u64) as usize) % nodes,
        }
    }

    fn label(self) -> String {
        match self {
            Load::Clients(c) => c.to_string(),
            Load::Rate(r) => format!("{r}/s"),
        }
    }
}

/// Runs one round of `op(node, client, sequence)` and prints its row, with the CPU time per
/// write the cluster's processes and this generator used during the round ("n/a" where
/// `/proc` could not be read), and the role of client 0's node.
async fn run_round<F, Fut>(args: &Args, system: &str, procs: &Procs, load: Load, op: F)
where
    F: Fn(usize, usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let nodes = procs.endpoints.len();
    let leader = procs.leader().await;
    let (first, role) = match (leader, args.first_client.as_str()) {
        (Some(l), "leader") => (l, "leader"),
        (Some(l), _) if nodes > 1 => ((l + 1) % nodes, "follower"),
        (Some(l), _) => (l, "leader"),
        (None, _) => (0, "unknown"),
    };
    let op = move |ci: usize, seq: u64| op(load.node(ci, seq, nodes, first), ci, seq);
    let duration = Duration::from_secs(args.seconds);
    let (servers, generator) = (procs.cpu_seconds(), cpu_seconds_of("self"));
    let r = match load {
        Load::Clients(c) => run(c, duration, op).await,
        // Latency from each call's scheduled start (no coordinated omission).
        Load::Rate(per_second) => {
            run_at_rate(f64::from(per_second), duration, move |seq| op(0, seq))
                .await
                .0
        }
    };
    let per_write = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(b), Some(a)) => format!("{:.0}", (a - b) * 1e6 / r.ok.max(1) as f64),
        _ => "n/a".to_owned(),
    };
    println!(
        "| {system} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {role} |",
        load.label(),
        r.throughput(),
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        r.max.as_secs_f64() * 1e3,
        r.errors,
        per_write(servers, procs.cpu_seconds()),
        per_write(generator, cpu_seconds_of("self")),
    );
}

async fn channels(procs: &Procs) -> anyhow::Result<Vec<Channel>> {
    let mut v = Vec::new();
    for ep in &procs.endpoints {
        v.push(channel(ep, procs.ca_bundle.as_deref()).await?);
    }
    Ok(v)
}

/// iamd channels that sign every call with `creds` (as iamctl does).
fn signed(
    chans: &[Channel],
    endpoints: &[String],
    creds: &iam_client::Credentials,
) -> Vec<iam_client::Signed> {
    let creds = std::sync::Arc::new(creds.clone());
    chans
        .iter()
        .zip(endpoints)
        .map(|(ch, ep)| iam_client::Signed::new(ch.clone(), authority(ep), Some(creds.clone())))
        .collect()
}

async fn bench_iamd(args: &Args) -> anyhow::Result<()> {
    let procs = start_iamd(&args.iamd, &args.data, args.node_threads(), args.tls).await?;
    let creds = procs.creds.clone().context("no root credentials")?;
    let chans = signed(&channels(&procs).await?, &procs.endpoints, &creds);
    let system = if args.tls { "iamd tls" } else { "iamd" };
    let mut c = IamClient::new(chans[0].clone());
    let status_chan = chans[0].clone();
    // Users per account: an account holds at most 5,000 users (AWS's quota). Closed-loop
    // clients get 4 accounts each; an open loop enough for its whole round.
    const USERS_PER_ACCOUNT: usize = 4_500;
    let loads = args.loads();
    let accounts_per_client = |load: Load| match load {
        Load::Clients(_) => 4,
        Load::Rate(r) => r as usize * args.seconds as usize / USERS_PER_ACCOUNT + 1,
    };
    let total: usize = loads
        .iter()
        .map(|&l| l.clients() * accounts_per_client(l))
        .sum();
    let mut accounts = Vec::new();
    for i in 0..total {
        let req = CreateAccountRequest {
            write: None,
            name: format!("bench{i}"),
            email: "b@bench.example.com".into(),
            account_id: String::new(),
        };
        accounts.push(
            c.create_account(req)
                .await?
                .into_inner()
                .account
                .context("account")?
                .id,
        );
    }
    let mut first = 0;
    for (round, &load) in loads.iter().enumerate() {
        let per_client = accounts_per_client(load);
        let n = load.clients() * per_client;
        let (chans, accounts) = (chans.clone(), accounts[first..first + n].to_vec());
        first += n;
        run_round(args, system, &procs, load, move |node, ci, seq| {
            let mut c = IamClient::new(chans[node].clone());
            let req = CreateUserRequest {
                write: Some(WriteOptions {
                    request_token: format!("r{round}-c{ci}-{seq}"),
                }),
                account: accounts
                    [ci * per_client + (seq as usize / USERS_PER_ACCOUNT).min(per_client - 1)]
                .clone(),
                name: format!("r{round}-c{ci}-u{seq}"),
                path: "/bench/".into(),
                tags: vec![iam_proto::v1::Tag {
                    key: "team".into(),
                    value: "load".into(),
                }],
                permissions_boundary: String::new(),
            };
            async move { outcome(c.create_user(req).await) }
        })
        .await;
        // A leader change during a round shows as a stall in its max column; say so.
        let status = ClusterClient::new(status_chan.clone())
            .status(StatusRequest {})
            .await?
            .into_inner();
        eprintln!(
            "iamd after {}: leader {} in term {}",
            load.label(),
            status.leader_id,
            status.term
        );
    }
    Ok(())
}

async fn bench_etcd(args: &Args) -> anyhow::Result<()> {
    let procs = start_etcd(&args.etcd, &args.data, args.node_threads()).await?;
    let chans = channels(&procs).await?;
    // A value the size of an iamd user record with its request token (~350 bytes).
    let value = vec![b'x'; 350];
    for (round, load) in args.loads().into_iter().enumerate() {
        let (chans, value) = (chans.clone(), value.clone());
        run_round(args, "etcd 3.4", &procs, load, move |node, ci, seq| {
            let mut c = KvClient::new(chans[node].clone());
            let req = PutRequest {
                key: format!("user/r{round}-c{ci}-u{seq}").into_bytes(),
                value: value.clone(),
                lease: 0,
                prev_kv: false,
            };
            async move { outcome(c.put(req).await) }
        })
        .await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    eprintln!(
        "threads per node: {}",
        args.node_threads()
            .map_or_else(|| "default (one per core)".to_owned(), |t| t.to_string())
    );
    println!(
        "| system | clients (or rate) | writes/s | p50 ms | p99 ms | max ms | errors | servers' CPU µs/write | generator's CPU µs/write | client 0 at |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    if args.only.as_deref() != Some("etcd") {
        bench_iamd(&args).await?;
    }
    if args.only.as_deref() != Some("iamd") {
        bench_etcd(&args).await?;
    }
    Ok(())
}
