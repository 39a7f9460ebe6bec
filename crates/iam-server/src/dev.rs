//! `iamd dev`: a local cluster of separate `iamd serve` processes on loopback, for
//! development and the README's quick start. No external service is needed.

use crate::cli::DevArgs;
use anyhow::{anyhow, bail, Context};
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

/// Runtime threads for each of `nodes` nodes that share this machine: its cores divided
/// among them, at least one (then each node runs single-threaded, which costs least when
/// nodes outnumber cores; see `iam_server::build_runtime`).
pub fn colocated_threads(nodes: u32) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    (cores / (nodes.max(1) as usize)).max(1)
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
        .arg("--secret-key-file")
        .arg(args.dir.join(SECRET_KEY_FILE))
        .args([
            "--runtime-threads",
            &colocated_threads(args.nodes).to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    if args.sandbox {
        cmd.arg("--sandbox");
    }
    if args.tls {
        let (cert, key) = node_cert_paths(&args.dir, i);
        cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
    }
    if i == 1 {
        cmd.arg("--bootstrap")
            .arg("--root-credentials-file")
            .arg(args.dir.join(CREDENTIALS_FILE));
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

/// The cluster secret key `iamd dev` gives every node, and the operator's credentials file.
const SECRET_KEY_FILE: &str = "secret.key";
const CREDENTIALS_FILE: &str = "credentials";
/// With `--tls`: the directory of the dev CA and node certificates, and the CA bundle.
const TLS_DIR: &str = "tls";
const CA_FILE: &str = "tls/ca.pem";

fn node_cert_paths(dir: &Path, i: u32) -> (PathBuf, PathBuf) {
    let tls = dir.join(TLS_DIR);
    (
        tls.join(format!("node{i}.pem")),
        tls.join(format!("node{i}-key.pem")),
    )
}

/// With `--tls`: a dev CA (made once) and a certificate per node for the loopback names.
fn ensure_certificates(args: &DevArgs) -> anyhow::Result<()> {
    use iam_tls::gen;
    let tls = args.dir.join(TLS_DIR);
    let (ca_cert, ca_key) = (tls.join("ca.pem"), tls.join("ca-key.pem"));
    if !ca_cert.exists() || !ca_key.exists() {
        let ca = gen::new_ca("iamd dev CA", 3650)?;
        std::fs::create_dir_all(&tls)
            .with_context(|| format!("cannot create {}", tls.display()))?;
        std::fs::write(&ca_cert, &ca.cert)?;
        crate::config::write_private(&ca_key, &ca.key)?;
    }
    let ca_pem = std::fs::read_to_string(&ca_cert)?;
    let ca_key_pem = std::fs::read_to_string(&ca_key)?;
    let names = vec![args.host.clone(), "localhost".to_owned()];
    for i in 1..=args.nodes {
        let (cert, key) = node_cert_paths(&args.dir, i);
        let pem = gen::issue(&ca_pem, &ca_key_pem, &names, gen::Usage::Server, 825)?;
        std::fs::write(&cert, &pem.cert)?;
        crate::config::write_private(&key, &pem.key)?;
    }
    Ok(())
}

/// `http` or `https`, as the cluster serves.
fn scheme(tls: bool) -> &'static str {
    if tls {
        "https"
    } else {
        "http"
    }
}

/// Waits until every node's `/ready` reports a leader and `n` voters.
async fn wait_ready(
    nodes: &mut [DevNode],
    n: usize,
    timeout: Duration,
    connector: &iam_tls::Connector,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let want = format!("voters {n}\n");
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
            if http_get(connector, &node.http, "/ready")
                .await
                .is_some_and(|b| b.starts_with("ready:") && b.ends_with(&want))
            {
                ready += 1;
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

/// An HTTP/1.1 GET on loopback (over TLS when the connector has it); the body, if the
/// answer is 200.
async fn http_get(connector: &iam_tls::Connector, addr: &str, path: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (host, port) = addr.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let mut s = tokio::time::timeout(Duration::from_secs(2), connector.connect(host, port))
        .await
        .ok()?
        .ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// The operator account, once the bootstrap node has written its root credentials.
async fn dev_account(dir: &Path, timeout: Duration) -> anyhow::Result<String> {
    let path = dir.join(CREDENTIALS_FILE);
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Some(id) = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("aws_account_id"))
                .and_then(|rest| rest.trim().strip_prefix('='))
            {
                return Ok(id.trim().to_owned());
            }
        }
        if Instant::now() > deadline {
            bail!(
                "the bootstrap node did not write {} within {timeout:?}",
                path.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The cluster secret key file, created on first start.
fn ensure_secret_key(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(SECRET_KEY_FILE);
    if path.exists() {
        return Ok(());
    }
    let key: [u8; 32] = rand::random();
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    crate::config::write_private(&path, &format!("{hex}\n"))
}

fn write_files(dir: &Path, nodes: &[DevNode], account: &str, tls: bool) -> anyhow::Result<PathBuf> {
    let sc = scheme(tls);
    let list: Vec<_> = nodes
        .iter()
        .map(|n| {
            json!({
                "id": n.id, "api": format!("{sc}://{}", n.api), "http": format!("{sc}://{}", n.http),
                "peer": n.peer, "pid": n.child.id(), "data_dir": n.data_dir,
            })
        })
        .collect();
    let mut cluster = json!({ "nodes": list, "account": account });
    if tls {
        cluster["ca_bundle"] = json!(dir.join(CA_FILE));
    }
    std::fs::write(
        dir.join("cluster.json"),
        serde_json::to_string_pretty(&cluster)? + "\n",
    )?;
    let endpoints: Vec<String> = nodes
        .iter()
        .map(|n| format!("\"{sc}://{}\"", n.api))
        .collect();
    let profile = dir.join("iamctl.toml");
    let ca = if tls {
        format!("ca_bundle = \"{CA_FILE}\"\n")
    } else {
        String::new()
    };
    std::fs::write(
        &profile,
        format!(
            "# iamctl profile written by `iamd dev`\nendpoints = [{}]\naccount = \"{account}\"\ncredentials_file = \"{CREDENTIALS_FILE}\"\n{ca}",
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
    ensure_secret_key(&args.dir)?;
    let connector = if args.tls {
        ensure_certificates(&args)?;
        iam_tls::Connector::new(Some(iam_tls::ClientTls::trusting(Some(
            &args.dir.join(CA_FILE),
        ))?))
    } else {
        iam_tls::Connector::new(None)
    };
    let exe = std::env::current_exe().context("cannot find the iamd executable")?;
    let mut nodes = Vec::new();
    for i in 1..=args.nodes {
        nodes.push(spawn_node(&exe, &args, i)?);
        if i == 1 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let started = async {
        wait_ready(
            &mut nodes,
            args.nodes as usize,
            Duration::from_secs(60),
            &connector,
        )
        .await?;
        dev_account(&args.dir, Duration::from_secs(30)).await
    };
    let account = match started.await {
        Ok(a) => a,
        Err(e) => {
            stop(&mut nodes).await;
            return Err(e.context(format!("logs are in {}/node*.log", args.dir.display())));
        }
    };
    let profile = write_files(&args.dir, &nodes, &account, args.tls)?;
    let sc = scheme(args.tls);
    println!(
        "iamd dev cluster is up: {} nodes, account {account}",
        nodes.len()
    );
    for n in &nodes {
        println!(
            "  node {}: api {sc}://{}  http {sc}://{}  peer {}  (pid {})",
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
            "root credentials of the operator account: {}",
            args.dir.join(CREDENTIALS_FILE).display()
        );
        let ca = if args.tls {
            format!(" --ca-bundle {}", args.dir.join(CA_FILE).display())
        } else {
            String::new()
        };
        println!(
            "AWS CLI / SDKs:  AWS_SHARED_CREDENTIALS_FILE={} aws --endpoint-url {sc}://{}{ca} iam list-users   (any region)",
            args.dir.join(CREDENTIALS_FILE).display(),
            n.http
        );
        if args.sandbox {
            println!(
                "SANDBOX (not for production): unknown access keys act as the administrator user arn:aws:iam::{}:user/{}; reset all state with: curl -X POST {sc}://{}/_iamd/sandbox/reset",
                crate::config::SANDBOX_ACCOUNT,
                crate::sandbox::USER,
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
    println!("Every call is signed and authorized; the profile uses the root credentials. Press Ctrl-C to stop the cluster.");
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
