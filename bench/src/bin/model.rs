//! The IAM-model benchmark: apply throughput of typical commands (in process, on the
//! RocksDB state machine), then a live 3-node cluster loaded with 100k users, 10k roles and
//! 20k managed policies: resident memory per node, a node's restart-to-serving time, the
//! snapshot's size, and the time for a new node to come up from it. Prints markdown for
//! bench/RESULTS.md.
//!
//! Usage: model [--iamd target/release/iamd] [--accounts 20] [--users 5000] [--roles 500]
//!              [--policies 1000] [--clients 64] [--skip-cluster]

use anyhow::{bail, Context};
use clap::Parser;
use iam_client::Client;
use iam_model::ids::{unique_id, IdPrefix};
use iam_state::ops::policies::PolicyOp;
use iam_state::ops::quotas::QuotaOp;
use iam_state::ops::roles::RoleOp;
use iam_state::{Command, Env};
use iamd_bench::model::{apply_throughput, policy_command, user_command, Node};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/iamd")]
    iamd: PathBuf,
    #[arg(long, default_value_t = 20)]
    accounts: usize,
    #[arg(long, default_value_t = 5000)]
    users: usize,
    #[arg(long, default_value_t = 500)]
    roles: usize,
    #[arg(long, default_value_t = 1000)]
    policies: usize,
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Only the in-process apply throughput.
    #[arg(long)]
    skip_cluster: bool,
    #[arg(long, default_value = "/var/tmp")]
    data: PathBuf,
}

pub(crate) const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct RandEnv;

impl Env for RandEnv {
    fn unique_id(&mut self, prefix: IdPrefix) -> String {
        unique_id(prefix, &rand_bytes(32), 17)
    }
    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        rand_bytes(n)
    }
    fn hash_password(&mut self, _: &str) -> String {
        String::new()
    }
}

fn rand_bytes(n: usize) -> Vec<u8> {
    static SEED: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|_| {
            let x = SEED.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
            (x.wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 56) as u8
        })
        .collect()
}

fn user(account: &str, i: usize) -> Command {
    user_command(account, i)
}

fn role(account: &str, i: usize) -> Command {
    Command::in_account(
        account,
        RoleOp::Create {
            name: format!("role-{i:05}"),
            path: "/".into(),
            assume_role_policy_document: TRUST.into(),
            description: None,
            max_session_duration: None,
            permissions_boundary: None,
            tags: vec![],
            role_id: String::new(),
        },
    )
}

fn policy(account: &str, i: usize) -> Command {
    policy_command(account, i)
}

fn attach(account: &str, i: usize) -> Command {
    Command::in_account(
        account,
        PolicyOp::Attach {
            entity: iam_state::keys::EntityKind::User,
            entity_name: format!("user-{i:05}"),
            policy_arn: format!("arn:aws:iam::{account}:policy/policy-{:05}", i % 1000),
        },
    )
}

fn prepared(mut c: Command) -> Command {
    c.prepare(&mut RandEnv);
    c
}

/// Runs `commands` from `clients` concurrent writers; returns writes per second.
async fn load(
    endpoints: &[String],
    creds: &iam_client::Credentials,
    clients: usize,
    commands: Vec<Command>,
    label: &str,
) -> anyhow::Result<f64> {
    let n = commands.len();
    let queue = Arc::new(std::sync::Mutex::new(commands));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let endpoint = endpoints[c % endpoints.len()].clone();
        let mut client =
            Client::new(&[endpoint], Duration::from_secs(30))?.with_credentials(creds.clone());
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                let Some(cmd) = next else { break };
                client
                    .write(&cmd, &Client::new_token())
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", cmd.name()))?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    eprintln!(
        "loaded {n} {label} in {:.1?} ({rate:.0}/s)",
        start.elapsed()
    );
    Ok(rate)
}

/// Builds the i-th command of a kind.
type MakeCommand = Box<dyn Fn(usize) -> Command>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!("### Apply throughput (in process, RocksDB state machine, batches of 64)\n");
    println!("| command | entries/s |\n|---|---|");
    let acct = "100000000001";
    let kinds: Vec<(&str, MakeCommand)> = vec![
        ("CreateUser", Box::new(move |i| prepared(user(acct, i)))),
        ("CreateRole", Box::new(move |i| prepared(role(acct, i)))),
        ("CreatePolicy", Box::new(move |i| prepared(policy(acct, i)))),
        ("AttachUserPolicy", Box::new(move |i| attach(acct, i))),
    ];
    for (name, make) in &kinds {
        let rate = apply_throughput(acct, name, make.as_ref(), 4000).await?;
        println!("| {name} | {rate:.0} |");
    }
    if args.skip_cluster {
        return Ok(());
    }
    run_cluster(&args).await
}

async fn run_cluster(args: &Args) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("iamd-model-bench-")
        .tempdir_in(&args.data)?;
    let mut nodes = Vec::new();
    for id in 1..=3u64 {
        let join = nodes.first().map(|n: &Node| n.peer.clone());
        nodes.push(Node::start(&args.iamd, dir.path(), id, join)?);
        if id == 1 {
            nodes[0].wait_ready(Duration::from_secs(30)).await?;
        }
    }
    for n in &nodes {
        n.wait_ready(Duration::from_secs(60)).await?;
    }
    let endpoints: Vec<String> = nodes.iter().map(|n| n.api.clone()).collect();
    let creds = nodes[0].credentials().await?;
    let mut client =
        Client::new(&endpoints, Duration::from_secs(30))?.with_credentials(creds.clone());
    let mut accounts = Vec::new();
    for a in 0..args.accounts {
        let id = format!("{}", 200_000_000_000u64 + a as u64);
        let cmd = Command::CreateAccount {
            account_id: id.clone(),
            name: format!("bench-{a}"),
            email: format!("root@bench-{a}.example.com"),
        };
        client.write(&cmd, &Client::new_token()).await?;
        // Roles past the default quota of 250 need an approved increase.
        if args.roles > 250 {
            let req = Command::in_account(
                &id,
                QuotaOp::RequestQuotaIncrease {
                    kind: "roles".into(),
                    desired_value: args.roles as u64,
                    justification: "benchmark".into(),
                    requested_by: format!("arn:aws:iam::{id}:root"),
                    request_id: String::new(),
                },
            );
            let (r, _) = client.write(&req, &Client::new_token()).await?;
            let approve = Command::in_account(
                &id,
                QuotaOp::ApproveQuotaIncrease {
                    request_id: r["id"].as_str().context("request id")?.to_owned(),
                    decided_by: format!("arn:aws:iam::{id}:root"),
                    note: None,
                },
            );
            client.write(&approve, &Client::new_token()).await?;
        }
        accounts.push(id);
    }
    let mut rates = Vec::new();
    for (label, count, make) in [
        ("users", args.users, user as fn(&str, usize) -> Command),
        ("roles", args.roles, role),
        ("policies", args.policies, policy),
    ] {
        let cmds: Vec<Command> = accounts
            .iter()
            .flat_map(|a| (0..count).map(move |i| make(a, i)))
            .collect();
        let total = cmds.len();
        rates.push((
            label,
            total,
            load(&endpoints, &creds, args.clients, cmds, label).await?,
        ));
    }
    println!(
        "\n### Loading a 3-node cluster ({} clients, through all nodes)\n",
        args.clients
    );
    println!("| entities | count | writes/s |\n|---|---|---|");
    for (label, total, rate) in &rates {
        println!("| {label} | {total} | {rate:.0} |");
    }
    let leader_index = nodes[0].applied().await?;
    for n in &nodes {
        n.wait_applied(leader_index, Duration::from_secs(60))
            .await?;
    }
    println!("\n### Memory, restart, snapshot\n");
    println!("| measure | value |\n|---|---|");
    for n in &nodes {
        println!(
            "| node {} resident memory after load | {:.0} MiB |",
            n.id,
            n.rss_mib()?
        );
    }
    // Restart a follower: kill -9 and time the way back to serving at the leader's index.
    let target = nodes.iter().position(|n| n.id == 3).context("node 3")?;
    nodes[target].kill();
    let t = Instant::now();
    nodes[target].restart()?;
    nodes[target].wait_ready(Duration::from_secs(120)).await?;
    let ready = t.elapsed();
    nodes[target]
        .wait_applied(leader_index, Duration::from_secs(120))
        .await?;
    let caught_up = t.elapsed();
    println!(
        "| restart (kill -9) to /ready | {:.2} s |",
        ready.as_secs_f64()
    );
    println!(
        "| restart to applied = leader's index | {:.2} s |",
        caught_up.as_secs_f64()
    );
    println!(
        "| node 3 resident memory after restart | {:.0} MiB |",
        nodes[target].rss_mib()?
    );
    // Snapshot on node 1 and bring up a new node from the leader's snapshot.
    let t = Instant::now();
    for n in &nodes {
        n.snapshot().await?;
    }
    println!(
        "| snapshot build (3 nodes, one after another) | {:.2} s |",
        t.elapsed().as_secs_f64()
    );
    let size = nodes.iter().map(|n| n.snapshot_bytes()).max().unwrap_or(0);
    println!("| snapshot size | {:.1} MiB |", size as f64 / 1048576.0);
    let t = Instant::now();
    let mut new = Node::start(&args.iamd, dir.path(), 4, Some(nodes[0].peer.clone()))?;
    new.wait_applied(leader_index, Duration::from_secs(300))
        .await?;
    println!(
        "| new node: start to applied = leader's index | {:.2} s |",
        t.elapsed().as_secs_f64()
    );
    println!("| new node resident memory | {:.0} MiB |", new.rss_mib()?);
    new.kill();
    for n in &mut nodes {
        n.kill();
    }
    if size == 0 {
        bail!("no snapshot was written");
    }
    Ok(())
}
