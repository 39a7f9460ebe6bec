//! Durable-write load generator: the same closed-loop workload against a live 3-node iamd
//! cluster (CreateUser) and a live 3-node etcd cluster (Put of a record of similar size), on
//! this machine, one after the other. Prints a markdown table for bench/RESULTS.md.
//!
//! Usage: writes [--iamd target/release/iamd] [--etcd /usr/bin/etcd] [--clients 1,16,64]
//!               [--seconds 10] [--only iamd|etcd] [--threads colocated|default]

use anyhow::Context;
use clap::Parser;
use iam_proto::v1::cluster_client::ClusterClient;
use iam_proto::v1::iam_client::IamClient;
use iam_proto::v1::{CreateAccountRequest, CreateUserRequest, StatusRequest, WriteOptions};
use iam_server::dev::colocated_threads;
use iamd_bench::clusters::{start_etcd, start_iamd};
use iamd_bench::etcd::kv_client::KvClient;
use iamd_bench::etcd::PutRequest;
use iamd_bench::load::{outcome, run, Report};
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
}

impl Args {
    fn node_threads(&self) -> Option<usize> {
        (self.threads == "colocated").then(|| colocated_threads(3))
    }
}

fn row(system: &str, r: &Report) {
    println!(
        "| {system} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
        r.clients,
        r.throughput(),
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        r.max.as_secs_f64() * 1e3,
        r.errors
    );
}

async fn channels(endpoints: &[String]) -> anyhow::Result<Vec<Channel>> {
    let mut v = Vec::new();
    for ep in endpoints {
        v.push(
            Channel::from_shared(ep.clone())?
                .tcp_nodelay(true)
                .connect()
                .await?,
        );
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
        .map(|(ch, ep)| {
            let authority = ep
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned();
            iam_client::Signed::new(ch.clone(), authority, Some(creds.clone()))
        })
        .collect()
}

async fn bench_iamd(args: &Args) -> anyhow::Result<()> {
    let procs = start_iamd(&args.iamd, &args.data, args.node_threads()).await?;
    let creds = procs.creds.clone().context("no root credentials")?;
    let chans = signed(&channels(&procs.endpoints).await?, &procs.endpoints, &creds);
    let mut c = IamClient::new(chans[0].clone());
    let status_chan = chans[0].clone();
    // Accounts per client per round: an account holds at most 5,000 users (AWS's quota).
    const ACCOUNTS_PER_CLIENT: usize = 4;
    let total: usize = args.clients.iter().sum::<usize>() * ACCOUNTS_PER_CLIENT;
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
    for (round, &clients) in args.clients.iter().enumerate() {
        let n = clients * ACCOUNTS_PER_CLIENT;
        let (chans, accounts) = (chans.clone(), accounts[first..first + n].to_vec());
        first += n;
        let r = run(
            clients,
            Duration::from_secs(args.seconds),
            move |ci, seq| {
                let mut c = IamClient::new(chans[ci % chans.len()].clone());
                let req = CreateUserRequest {
                    write: Some(WriteOptions {
                        request_token: format!("r{round}-c{ci}-{seq}"),
                    }),
                    account: accounts[ci * ACCOUNTS_PER_CLIENT
                        + (seq as usize / 4_500).min(ACCOUNTS_PER_CLIENT - 1)]
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
            },
        )
        .await;
        row("iamd", &r);
        // A leader change during a round shows as a stall in its max column; say so.
        let status = ClusterClient::new(status_chan.clone())
            .status(StatusRequest {})
            .await?
            .into_inner();
        eprintln!(
            "iamd after {clients} clients: leader {} in term {}",
            status.leader_id, status.term
        );
    }
    Ok(())
}

async fn bench_etcd(args: &Args) -> anyhow::Result<()> {
    let procs = start_etcd(&args.etcd, &args.data, args.node_threads()).await?;
    let chans = channels(&procs.endpoints).await?;
    // A value the size of an iamd user record with its request token (~350 bytes).
    let value = vec![b'x'; 350];
    for (round, &clients) in args.clients.iter().enumerate() {
        let (chans, value) = (chans.clone(), value.clone());
        let r = run(
            clients,
            Duration::from_secs(args.seconds),
            move |ci, seq| {
                let mut c = KvClient::new(chans[ci % chans.len()].clone());
                let req = PutRequest {
                    key: format!("user/r{round}-c{ci}-u{seq}").into_bytes(),
                    value: value.clone(),
                    lease: 0,
                    prev_kv: false,
                };
                async move { outcome(c.put(req).await) }
            },
        )
        .await;
        row("etcd 3.4", &r);
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
    println!("| system | clients | writes/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|");
    if args.only.as_deref() != Some("etcd") {
        bench_iamd(&args).await?;
    }
    if args.only.as_deref() != Some("iamd") {
        bench_etcd(&args).await?;
    }
    Ok(())
}
