//! `iamd dev`: a local cluster of separate `iamd serve` processes on loopback, for
//! development and the README's quick start. No external service is needed.

use crate::cli::DevArgs;
use anyhow::{anyhow, bail, Context};
use iam_proto::v1::cluster_client::ClusterClient;
use iam_proto::v1::iam_client::IamClient;
use iam_proto::v1::{CreateAccountRequest, ListAccountsRequest, StatusRequest};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Nodes a dev cluster may have.
const DEV_NODES_MAX: u32 = 9;

struct DevNode {
    id: u32,
    api: String,
    http: String,
    peer: String,
    data_dir: PathBuf,
    child: Child,
}

fn port(base: u16, i: u32, offset: u16) -> anyhow::Result<u16> {
    u16::try_from(u32::from(base) + 10 * (i - 1) + u32::from(offset))
        .map_err(|_| anyhow!("--base-port {base} is too high for {i} nodes"))
}

fn spawn_node(exe: &Path, args: &DevArgs, i: u32) -> anyhow::Result<DevNode> {
    let host = &args.host;
    let api = format!("{host}:{}", port(args.base_port, i, 0)?);
    let http = format!("{host}:{}", port(args.base_port, i, 1)?);
    let peer = format!("{host}:{}", port(args.base_port, i, 2)?);
    let data_dir = args.dir.join(format!("node{i}"));
    let log_path = args.dir.join(format!("node{i}.log"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("serve")
        .args(["--node-id", &i.to_string()])
        .arg("--data-dir")
        .arg(&data_dir)
        .args([
            "--api-listen",
            &api,
            "--http-listen",
            &http,
            "--peer-listen",
            &peer,
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    if args.sandbox {
        cmd.arg("--sandbox");
    }
    if i == 1 {
        cmd.arg("--bootstrap");
    } else {
        cmd.args(["--join", &format!("{host}:{}", port(args.base_port, 1, 2)?)]);
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    Ok(DevNode {
        id: i,
        api,
        http,
        peer,
        data_dir,
        child,
    })
}

async fn wait_ready(nodes: &mut [DevNode], n: usize, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        for node in nodes.iter_mut() {
            if let Some(status) = node.child.try_wait()? {
                bail!(
                    "node {} exited ({status}) during start-up; see its log",
                    node.id
                );
            }
        }
        let mut ready = 0;
        for node in nodes.iter() {
            if let Ok(mut c) = ClusterClient::connect(format!("http://{}", node.api)).await {
                if let Ok(s) = c.status(StatusRequest {}).await {
                    let s = s.into_inner();
                    if s.has_leader && s.members.iter().filter(|m| m.voter).count() == n {
                        ready += 1;
                    }
                }
            }
        }
        if ready == n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the cluster did not become ready within {timeout:?} ({ready}/{n} nodes ready)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Returns the dev account id, creating the account on first start.
async fn dev_account(api: &str, sandbox: bool) -> anyhow::Result<String> {
    let mut c = IamClient::connect(format!("http://{api}")).await?;
    let accounts = c
        .list_accounts(ListAccountsRequest { read: None })
        .await?
        .into_inner()
        .accounts;
    let wanted = |a: &&iam_proto::v1::Account| !sandbox || a.id == crate::config::SANDBOX_ACCOUNT;
    if let Some(a) = accounts.iter().find(wanted) {
        return Ok(a.id.clone());
    }
    let req = CreateAccountRequest {
        write: Some(iam_proto::v1::WriteOptions {
            request_token: "iamd-dev-account".into(),
        }),
        name: if sandbox { "sandbox" } else { "dev" }.into(),
        email: "root@dev.example.com".into(),
        account_id: if sandbox {
            crate::config::SANDBOX_ACCOUNT.into()
        } else {
            String::new()
        },
    };
    let a = c
        .create_account(req)
        .await?
        .into_inner()
        .account
        .ok_or_else(|| anyhow!("no account returned"))?;
    Ok(a.id)
}

fn write_files(dir: &Path, nodes: &[DevNode], account: &str) -> anyhow::Result<PathBuf> {
    let list: Vec<_> = nodes
        .iter()
        .map(|n| {
            json!({
                "id": n.id, "api": format!("http://{}", n.api), "http": format!("http://{}", n.http),
                "peer": n.peer, "pid": n.child.id(), "data_dir": n.data_dir,
            })
        })
        .collect();
    let cluster = json!({ "nodes": list, "account": account });
    std::fs::write(
        dir.join("cluster.json"),
        serde_json::to_string_pretty(&cluster)? + "\n",
    )?;
    let endpoints: Vec<String> = nodes
        .iter()
        .map(|n| format!("\"http://{}\"", n.api))
        .collect();
    let profile = dir.join("iamctl.toml");
    std::fs::write(
        &profile,
        format!(
            "# iamctl profile written by `iamd dev`\nendpoints = [{}]\naccount = \"{account}\"\n",
            endpoints.join(", ")
        ),
    )?;
    Ok(profile)
}

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    if args.nodes == 0 || args.nodes > DEV_NODES_MAX {
        bail!("--nodes must be between 1 and {DEV_NODES_MAX}");
    }
    let ip: std::net::IpAddr = args
        .host
        .parse()
        .with_context(|| format!("--host {:?} is not an IP address", args.host))?;
    if !ip.is_loopback() {
        bail!("--host {ip} is not a loopback address; `iamd dev` is for local development only");
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let exe = std::env::current_exe().context("cannot find the iamd executable")?;
    let mut nodes = Vec::new();
    for i in 1..=args.nodes {
        nodes.push(spawn_node(&exe, &args, i)?);
        if i == 1 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let started = async {
        wait_ready(&mut nodes, args.nodes as usize, Duration::from_secs(60)).await?;
        dev_account(&nodes[0].api, args.sandbox).await
    };
    let account = match started.await {
        Ok(a) => a,
        Err(e) => {
            stop(&mut nodes).await;
            return Err(e.context(format!("logs are in {}/node*.log", args.dir.display())));
        }
    };
    let profile = write_files(&args.dir, &nodes, &account)?;
    println!(
        "iamd dev cluster is up: {} nodes, account {account}",
        nodes.len()
    );
    for n in &nodes {
        println!(
            "  node {}: api http://{}  http http://{}  peer {}  (pid {})",
            n.id,
            n.api,
            n.http,
            n.peer,
            n.child.id().unwrap_or(0)
        );
    }
    println!("cluster file: {}", args.dir.join("cluster.json").display());
    if let Some(n) = nodes.first() {
        println!(
            "AWS CLI / SDKs:  aws --endpoint-url http://{} iam list-users   (any region)",
            n.http
        );
        if args.sandbox {
            println!(
                "SANDBOX (not for production): unknown access keys act as the root of {}; reset all state with: curl -X POST http://{}/_iamd/sandbox/reset",
                crate::config::SANDBOX_ACCOUNT,
                n.http
            );
        }
    }
    let iamctl = exe.with_file_name("iamctl");
    let iamctl = if iamctl.exists() {
        iamctl.display().to_string()
    } else {
        "iamctl".into()
    };
    println!("use it:  export IAMCTL_CONFIG={}", profile.display());
    println!("         {iamctl} cluster status");
    println!("         {iamctl} user create alice && {iamctl} user list");
    println!("The API is open (no authentication yet). Press Ctrl-C to stop the cluster.");
    wait_signal_or_exit(&mut nodes).await;
    stop(&mut nodes).await;
    Ok(())
}

async fn wait_signal_or_exit(nodes: &mut [DevNode]) {
    let signal = super::wait_for_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            _ = &mut signal => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                for n in nodes.iter_mut() {
                    if let Ok(Some(status)) = n.child.try_wait() {
                        eprintln!("iamd dev: node {} exited ({status}); the others keep running", n.id);
                    }
                }
            }
        }
    }
}

/// SIGTERM every node, wait up to 10 s, then kill what is left.
async fn stop(nodes: &mut [DevNode]) {
    for n in nodes.iter() {
        if let Some(pid) = n.child.id() {
            // SAFETY: kill(2) touches no memory; the pid is our own child, not yet reaped
            // (we wait on it below), so it cannot have been reused by another process.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
    }
    for n in nodes.iter_mut() {
        if tokio::time::timeout(Duration::from_secs(10), n.child.wait())
            .await
            .is_err()
        {
            let _ = n.child.kill().await;
        }
    }
    println!("iamd dev: stopped");
}
