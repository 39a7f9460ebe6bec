//! Three-node clusters of iamd and of etcd as child processes on 127.0.0.1, stopped on drop.

use anyhow::{bail, Context};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

pub fn free_port() -> u16 {
    for _ in 0..1000 {
        let p = 20_000 + (std::process::id() as u16 ^ rand_u16()) % 12_000;
        if TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
    panic!("no free port");
}

fn rand_u16() -> u16 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.subsec_nanos() ^ (t.subsec_nanos() >> 16)) as u16
}

/// Child processes killed on drop.
pub struct Procs {
    pub children: Vec<Child>,
    pub dir: tempfile::TempDir,
    /// Client endpoints, one per node.
    pub endpoints: Vec<String>,
    /// iamd: the operator's root credentials (written by the bootstrap node).
    pub creds: Option<iam_client::Credentials>,
    /// Each node's Prometheus metrics address (`host:port`, served at `/metrics`) and the
    /// gauge that is 1 on the leader.
    pub metrics: Vec<String>,
    pub leader_gauge: &'static str,
    /// iamd with `api_tls`: the CA (PEM) that signed the nodes' API certificates.
    pub ca_bundle: Option<PathBuf>,
}

/// The cluster secret key file every iamd node of a benchmark gets (created once in `dir`).
pub fn secret_key_file(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("secret.key");
    if !path.exists() {
        let key: [u8; 32] = rand::random();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(&path, hex)?;
    }
    Ok(path)
}

/// A client channel to `endpoint`: plain TCP for `http://`, TLS verified against
/// `ca_bundle` for `https://` (as iamctl connects).
pub async fn channel(endpoint: &str, ca_bundle: Option<&Path>) -> anyhow::Result<Channel> {
    let tls = if endpoint.starts_with("https://") {
        Some(iam_tls::ClientTls::trusting(ca_bundle)?)
    } else {
        None
    };
    Ok(Endpoint::from_shared(endpoint.to_owned())?
        .tcp_nodelay(true)
        .connect_with_connector(iam_tls::Connector::new(tls))
        .await?)
}

/// The `host:port` of an endpoint URL (what SigV4 signs as the host).
pub fn authority(endpoint: &str) -> String {
    endpoint
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_owned()
}

/// Writes a CA and a certificate for 127.0.0.1 it signs into `dir`; returns the paths of
/// the CA, the certificate and its key.
fn api_certificates(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf, PathBuf)> {
    let ca = iam_tls::gen::new_ca("iamd bench CA", 30)?;
    let node = iam_tls::gen::issue(
        &ca.cert,
        &ca.key,
        &["127.0.0.1".to_owned()],
        iam_tls::gen::Usage::Server,
        30,
    )?;
    let paths = (dir.join("ca.pem"), dir.join("api.pem"), dir.join("api.key"));
    std::fs::write(&paths.0, ca.cert)?;
    std::fs::write(&paths.1, node.cert)?;
    std::fs::write(&paths.2, node.key)?;
    Ok(paths)
}

/// Waits for the bootstrap node's root credentials file; returns the credentials.
pub async fn wait_credentials(
    path: &Path,
    limit: Duration,
) -> anyhow::Result<iam_client::Credentials> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(c) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| iam_client::Credentials::from_file_text(&t, "default"))
        {
            return Ok(c);
        }
        if Instant::now() > deadline {
            bail!("no root credentials in {} after {limit:?}", path.display());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// CPU time (user + system) the process `pid` has used, in seconds, from `/proc/<pid>/stat`
/// (`None` if it cannot be read). `/proc` counts in USER_HZ, which Linux fixes at 100.
pub fn cpu_seconds_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start with the state, field 3;
    // utime and stime are fields 14 and 15.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

impl Procs {
    /// Which node (0-based, as in `endpoints`) says it leads, if exactly one does.
    pub async fn leader(&self) -> Option<usize> {
        let mut leaders = Vec::new();
        for (i, addr) in self.metrics.iter().enumerate() {
            let body = crate::model::get(addr, "/metrics", self.ca_bundle.as_deref()).await?;
            let leads = body.lines().any(|l| {
                l.strip_prefix(self.leader_gauge)
                    .is_some_and(|v| v.trim() == "1")
            });
            if leads {
                leaders.push(i);
            }
        }
        match leaders[..] {
            [one] => Some(one),
            _ => None,
        }
    }

    /// CPU seconds all nodes of this cluster have used so far (`None` if any node's cannot
    /// be read, e.g. it exited).
    pub fn cpu_seconds(&self) -> Option<f64> {
        self.children
            .iter()
            .map(|c| cpu_seconds_of(&c.id().to_string()))
            .sum()
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn log_file(dir: &Path, name: &str) -> anyhow::Result<std::fs::File> {
    Ok(std::fs::File::create(dir.join(name))?)
}

/// Starts an iamd cluster of 3 nodes (or `IAMD_BENCH_NODES`, e.g. 1 to measure one node
/// without replication) with `iamd` at `bin`; returns once all of them vote. `threads` is
/// each node's `--runtime-threads` (`None`: iamd's default, one per core). With `api_tls`
/// the API ports serve TLS (`--tls-cert/--tls-key`, a CA made here) and the endpoints are
/// `https://`; the peer port is mutual TLS either way (iamd has no other kind).
pub async fn start_iamd(
    bin: &Path,
    base: &Path,
    threads: Option<usize>,
    api_tls: bool,
) -> anyhow::Result<Procs> {
    let dir = tempfile::Builder::new()
        .prefix("iamd-bench-")
        .tempdir_in(base)?;
    let mut procs = Procs {
        children: Vec::new(),
        dir,
        endpoints: Vec::new(),
        creds: None,
        metrics: Vec::new(),
        leader_gauge: "iamd_raft_is_leader",
        ca_bundle: None,
    };
    let tls_files = if api_tls {
        let (ca, cert, key) = api_certificates(procs.dir.path())?;
        procs.ca_bundle = Some(ca);
        Some((cert, key))
    } else {
        None
    };
    let scheme = if api_tls { "https" } else { "http" };
    let key = secret_key_file(procs.dir.path())?;
    let creds_file = procs.dir.path().join("credentials");
    let mut first_peer = String::new();
    let n: u64 = std::env::var("IAMD_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(3);
    for id in 1..=n {
        let (api, http, peer) = (free_port(), free_port(), free_port());
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .args(["--node-id", &id.to_string()])
            .arg("--data-dir")
            .arg(procs.dir.path().join(format!("n{id}")))
            .args(["--api-listen", &format!("127.0.0.1:{api}")])
            .args(["--http-listen", &format!("127.0.0.1:{http}")])
            .args(["--peer-listen", &format!("127.0.0.1:{peer}")])
            .arg("--secret-key-file")
            .arg(&key)
            .env("IAMD_LOG", "warn")
            .args(threads.map(|t| format!("--runtime-threads={t}")))
            .args(tls_files.iter().flat_map(|(cert, key)| {
                [
                    "--tls-cert".into(),
                    cert.clone().into_os_string(),
                    "--tls-key".into(),
                    key.clone().into_os_string(),
                ]
            }))
            .stdin(Stdio::null())
            .stdout(log_file(procs.dir.path(), &format!("n{id}.log"))?)
            .stderr(log_file(procs.dir.path(), &format!("n{id}.err"))?);
        if id == 1 {
            cmd.arg("--bootstrap")
                .arg("--root-credentials-file")
                .arg(&creds_file);
            first_peer = format!("127.0.0.1:{peer}");
        } else {
            cmd.args(["--join", &first_peer]);
        }
        procs.children.push(
            cmd.spawn()
                .with_context(|| format!("start {}", bin.display()))?,
        );
        procs.endpoints.push(format!("{scheme}://127.0.0.1:{api}"));
        procs.metrics.push(format!("127.0.0.1:{http}"));
        if id == 1 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    procs.creds = Some(wait_credentials(&creds_file, Duration::from_secs(60)).await?);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut ready = 0;
        for http in &procs.metrics {
            if let Some(body) = crate::model::get(http, "/ready", procs.ca_bundle.as_deref()).await
            {
                ready += usize::from(
                    body.contains("ready:") && body.trim_end().ends_with(&format!("voters {n}")),
                );
            }
        }
        if ready == n as usize {
            return Ok(procs);
        }
        if Instant::now() > deadline {
            bail!(
                "iamd cluster not ready; logs in {}",
                procs.dir.path().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Starts a 3-node etcd cluster (fsync on, etcd's defaults) on loopback. `threads` is each
/// node's `GOMAXPROCS` (`None`: Go's default, one per core).
pub async fn start_etcd(bin: &Path, base: &Path, threads: Option<usize>) -> anyhow::Result<Procs> {
    let dir = tempfile::Builder::new()
        .prefix("etcd-bench-")
        .tempdir_in(base)?;
    let mut procs = Procs {
        children: Vec::new(),
        dir,
        endpoints: Vec::new(),
        creds: None,
        metrics: Vec::new(),
        leader_gauge: "etcd_server_is_leader",
        ca_bundle: None,
    };
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let initial: Vec<String> = ports
        .iter()
        .enumerate()
        .map(|(i, (_, peer))| format!("e{i}=http://127.0.0.1:{peer}"))
        .collect();
    for (i, (client, peer)) in ports.iter().enumerate() {
        let data: PathBuf = procs.dir.path().join(format!("e{i}"));
        let mut cmd = Command::new(bin);
        if let Some(t) = threads {
            cmd.env("GOMAXPROCS", t.to_string());
        }
        let child = cmd
            .args(["--name", &format!("e{i}")])
            .arg("--data-dir")
            .arg(&data)
            .args([
                "--listen-client-urls",
                &format!("http://127.0.0.1:{client}"),
            ])
            .args([
                "--advertise-client-urls",
                &format!("http://127.0.0.1:{client}"),
            ])
            .args(["--listen-peer-urls", &format!("http://127.0.0.1:{peer}")])
            .args([
                "--initial-advertise-peer-urls",
                &format!("http://127.0.0.1:{peer}"),
            ])
            .args(["--initial-cluster", &initial.join(",")])
            .args([
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                "bench",
                "--log-level",
                "error",
            ])
            .stdin(Stdio::null())
            .stdout(log_file(procs.dir.path(), &format!("e{i}.log"))?)
            .stderr(log_file(procs.dir.path(), &format!("e{i}.err"))?)
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        procs.children.push(child);
        procs.endpoints.push(format!("http://127.0.0.1:{client}"));
        procs.metrics.push(format!("127.0.0.1:{client}"));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut ok = 0;
        for ep in &procs.endpoints {
            if let Ok(mut c) = crate::etcd::kv_client::KvClient::connect(ep.clone()).await {
                let req = crate::etcd::PutRequest {
                    key: b"warmup".to_vec(),
                    value: b"1".to_vec(),
                    lease: 0,
                    prev_kv: false,
                };
                ok += usize::from(c.put(req).await.is_ok());
            }
        }
        if ok == 3 {
            return Ok(procs);
        }
        if Instant::now() > deadline {
            bail!(
                "etcd cluster not ready; logs in {}",
                procs.dir.path().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
