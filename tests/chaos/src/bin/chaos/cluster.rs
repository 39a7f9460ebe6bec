//! A cluster of real `iamd` processes on 127.0.0.1 whose every peer link crosses its own
//! fault proxy ([`iamd_chaos::proxy::Net`]): node i dials node j through link (i, j)
//! (`--peer-dial-via`), so any partition shape is a set of links cut.
//!
//! Ids `1..=initial` start as the cluster; ids up to `max` are spares that membership
//! changes add later (their ports and links exist from the start, as every node must know
//! every link it may dial).

use anyhow::{bail, Context};
use iam_client::{Client, Credentials};
use iam_proto::v1::{AddNodeRequest, HashRequest, NodeStatus, RemoveNodeRequest, StatusRequest};
use iamd_chaos::proxy::Net;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The cluster key of chaos runs (loopback test clusters only).
const SECRET_KEY: &str = "9b2e6c1d4a7f0e3b8c5d2a9f6e1b4c7d0a3f8e5b2c9d6a1f4e7b0c3d8a5f2e9b";

pub struct Node {
    pub id: u64,
    pub api: SocketAddr,
    pub http: SocketAddr,
    pub peer: SocketAddr,
    pub data_dir: PathBuf,
    child: Option<Child>,
    pub paused: bool,
    /// Started at least once (a spare that was never added has no data).
    pub started: bool,
    /// Removed from the membership: never started again (ids are not reused).
    pub removed: bool,
}

impl Node {
    pub fn url(&self) -> String {
        format!("http://{}", self.api)
    }

    pub fn running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

pub struct Cluster {
    pub dir: PathBuf,
    bin: PathBuf,
    pub nodes: BTreeMap<u64, Node>,
    pub net: Net,
    pub creds: Credentials,
    /// The operator account.
    pub account: String,
    snapshot_every: u64,
    /// Voters the cluster started with: membership faults keep it between this and two
    /// more, so that a long run stays at its size.
    pub initial: usize,
}

/// A free port below the ephemeral range (where the kernel picks outgoing connections'
/// ports and the proxies' ports, so a spare's port cannot be taken while it waits), kept
/// bound in `held` until every node's ports are chosen.
fn free_addr(held: &mut Vec<std::net::TcpListener>) -> anyhow::Result<SocketAddr> {
    for _ in 0..1000 {
        let port = 20_000 + rand::random::<u16>() % 12_000;
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            let addr = l.local_addr()?;
            held.push(l);
            return Ok(addr);
        }
    }
    bail!("no free port on 127.0.0.1 between 20000 and 32000")
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: sending a signal to a child process we spawned; no memory is touched.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

impl Cluster {
    /// Starts `initial` nodes (ids 1..=initial) and prepares spares up to `max`.
    pub async fn start(
        bin: &Path,
        dir: &Path,
        initial: u64,
        max: u64,
        snapshot_every: u64,
        seed: u64,
    ) -> anyhow::Result<Cluster> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("secret.key"), SECRET_KEY)?;
        let mut nodes = BTreeMap::new();
        let mut held = Vec::new();
        for id in 1..=max {
            nodes.insert(
                id,
                Node {
                    id,
                    api: free_addr(&mut held)?,
                    http: free_addr(&mut held)?,
                    peer: free_addr(&mut held)?,
                    data_dir: dir.join(format!("node{id}")),
                    child: None,
                    paused: false,
                    started: false,
                    removed: false,
                },
            );
        }
        drop(held);
        let peers: Vec<(u64, SocketAddr)> = nodes.values().map(|n| (n.id, n.peer)).collect();
        let net = Net::new(&peers, seed).context("start the link proxies")?;
        let mut c = Cluster {
            dir: dir.to_owned(),
            bin: bin.to_owned(),
            nodes,
            net,
            creds: Credentials {
                access_key_id: String::new(),
                secret_access_key: String::new(),
                session_token: None,
            },
            account: String::new(),
            snapshot_every,
            initial: initial as usize,
        };
        c.spawn(1)?;
        let (creds, account) = wait_credentials(&dir.join("credentials"), Duration::from_secs(30))
            .await
            .with_context(|| {
                format!(
                    "node 1 wrote no root credentials; logs in {}",
                    dir.display()
                )
            })?;
        c.creds = creds;
        c.account = account;
        c.wait(|s| s.has_leader, &[1], Duration::from_secs(30))
            .await?;
        for id in 2..=initial {
            c.spawn(id)?;
        }
        let ids: Vec<u64> = (1..=initial).collect();
        c.wait(
            |s| s.has_leader && s.members.iter().filter(|m| m.voter).count() == initial as usize,
            &ids,
            Duration::from_secs(60),
        )
        .await?;
        Ok(c)
    }

    fn args(&self, id: u64) -> Vec<String> {
        let n = &self.nodes[&id];
        let via: Vec<String> = self
            .net
            .via(id)
            .into_iter()
            .map(|(peer, link)| format!("{peer}={link}"))
            .collect();
        let mut args = vec![
            "serve".to_owned(),
            format!("--node-id={id}"),
            format!("--data-dir={}", n.data_dir.display()),
            format!("--api-listen={}", n.api),
            format!("--http-listen={}", n.http),
            format!("--peer-listen={}", n.peer),
            format!("--snapshot-every={}", self.snapshot_every),
            format!(
                "--secret-key-file={}",
                self.dir.join("secret.key").display()
            ),
            // Three to five nodes share two cores: one runtime thread each, as `iamd dev`.
            "--runtime-threads=1".to_owned(),
            format!("--peer-dial-via={}", via.join(",")),
            // The clock-skew nemesis writes this node's offset here (iamd's test seam).
            format!("--fault-clock-file={}", self.clock_file(id).display()),
        ];
        if id == 1 {
            args.push("--bootstrap".into());
            args.push(format!(
                "--root-credentials-file={}",
                self.dir.join("credentials").display()
            ));
        } else {
            // Join through the links to every node that has run (the seeds answer whoever
            // is reachable).
            let seeds: Vec<String> = self
                .nodes
                .values()
                .filter(|m| m.id != id && m.started && !m.removed)
                .filter_map(|m| self.net.link_addr(id, m.id).map(|a| a.to_string()))
                .collect();
            args.push(format!("--join={}", seeds.join(",")));
        }
        args
    }

    /// Starts node `id`'s process (first start or restart on its data dir).
    pub fn spawn(&mut self, id: u64) -> anyhow::Result<()> {
        let args = self.args(id);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("node{id}.log")))?;
        let child = Command::new(&self.bin)
            .args(&args)
            .env("IAMD_LOG", "info,openraft=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {}", self.bin.display()))?;
        let n = self.nodes.get_mut(&id).context("no such node")?;
        n.child = Some(child);
        n.started = true;
        n.paused = false;
        Ok(())
    }

    fn clock_file(&self, id: u64) -> PathBuf {
        self.dir.join(format!("node{id}.clock-offset"))
    }

    /// Skews node `id`'s wall clock by `offset_ms` (0 puts it right); the node reads the
    /// file every 100 ms.
    pub fn skew_clock(&self, id: u64, offset_ms: i64) -> anyhow::Result<()> {
        let file = self.clock_file(id);
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, offset_ms.to_string())?;
        std::fs::rename(&tmp, &file)?;
        Ok(())
    }

    /// SIGKILL (no flush, no goodbye).
    pub fn kill(&mut self, id: u64) {
        if let Some(n) = self.nodes.get_mut(&id) {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
            n.paused = false;
        }
    }

    pub fn pause(&mut self, id: u64) {
        if let Some(n) = self.nodes.get_mut(&id) {
            if let Some(pid) = n.pid() {
                signal(pid, libc::SIGSTOP);
                n.paused = true;
            }
        }
    }

    pub fn resume(&mut self, id: u64) {
        if let Some(n) = self.nodes.get_mut(&id) {
            if let Some(pid) = n.pid() {
                signal(pid, libc::SIGCONT);
            }
            n.paused = false;
        }
    }

    /// Members that should be running (started, not removed).
    pub fn members(&self) -> Vec<u64> {
        self.nodes
            .values()
            .filter(|n| n.started && !n.removed)
            .map(|n| n.id)
            .collect()
    }

    /// Ids whose process is alive.
    pub fn running(&mut self) -> Vec<u64> {
        self.nodes
            .values_mut()
            .filter_map(|n| n.running().then_some(n.id))
            .collect()
    }

    /// A spare never started, if any.
    pub fn spare(&self) -> Option<u64> {
        self.nodes.values().find(|n| !n.started).map(|n| n.id)
    }

    /// A client of one node, signed as the operator root, with `deadline` per call.
    pub fn client_of(&self, id: u64, deadline: Duration) -> Client {
        Client::new(&[self.nodes[&id].url()], deadline)
            .expect("loopback endpoint")
            .with_credentials(self.creds.clone())
    }

    pub async fn status(&self, id: u64) -> Option<NodeStatus> {
        self.client_of(id, Duration::from_millis(1500))
            .call_one(
                0,
                |_, mut c| async move { c.status(StatusRequest {}).await },
            )
            .await
            .ok()
    }

    /// The leader: of the running nodes that say they lead, the one of the highest term (a
    /// deposed leader cut off from the others may still believe it leads).
    pub async fn leader(&mut self) -> Option<u64> {
        let mut best: Option<(u64, u64)> = None;
        for id in self.running() {
            if self.nodes[&id].paused {
                continue;
            }
            if let Some(s) = self.status(id).await {
                if s.role == "leader" && best.is_none_or(|(term, _)| s.term > term) {
                    best = Some((s.term, s.id));
                }
            }
        }
        best.map(|(_, id)| id)
    }

    /// Waits until each of `ids` answers a status for which `f` holds.
    pub async fn wait(
        &self,
        f: impl Fn(&NodeStatus) -> bool,
        ids: &[u64],
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut ok = 0;
            for id in ids {
                ok += usize::from(self.status(*id).await.as_ref().is_some_and(&f));
            }
            if ok == ids.len() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "nodes {ids:?} not ready within {timeout:?}; logs in {}",
                    self.dir.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Adds spare `id` as a voter: starts it (it joins through the seeds by itself).
    pub async fn add(&mut self, id: u64) -> anyhow::Result<()> {
        self.spawn(id)?;
        Ok(())
    }

    /// Asks the cluster (through any member that answers) to remove `id`.
    pub async fn remove(&mut self, id: u64) -> anyhow::Result<u64> {
        for m in self.members() {
            if m == id || self.nodes[&m].paused {
                continue;
            }
            let r = self
                .client_of(m, Duration::from_secs(10))
                .call_one(0, |_, mut c| async move {
                    c.remove_node(RemoveNodeRequest { id }).await
                })
                .await;
            if let Ok(r) = r {
                if let Some(n) = self.nodes.get_mut(&id) {
                    n.removed = true;
                }
                return Ok(r.log_index);
            }
        }
        bail!("no member removed node {id}")
    }

    /// Re-adds a member explicitly (used when a joining node's own request was lost).
    #[allow(dead_code)]
    pub async fn add_explicit(&self, through: u64, id: u64) -> anyhow::Result<()> {
        let n = &self.nodes[&id];
        let req = AddNodeRequest {
            id,
            peer: n.peer.to_string(),
            api: n.api.to_string(),
            http: n.http.to_string(),
            learner_only: false,
        };
        self.client_of(through, Duration::from_secs(10))
            .call_one(0, move |_, mut c| {
                let req = req.clone();
                async move { c.add_node(req).await }
            })
            .await?;
        Ok(())
    }

    /// Each running member's (applied index, state hash).
    pub async fn hashes(&mut self) -> BTreeMap<u64, (u64, String)> {
        let mut out = BTreeMap::new();
        for id in self.members() {
            let r = self
                .client_of(id, Duration::from_secs(3))
                .call_one(0, |_, mut c| async move { c.hash(HashRequest {}).await })
                .await;
            if let Ok(h) = r {
                out.insert(id, (h.applied_index, h.state_hash));
            }
        }
        out
    }

    /// How many snapshots each running member has installed (its `/metrics` counter of
    /// InstallSnapshot calls served): proof that followers caught up by snapshot.
    pub async fn snapshots_installed(&mut self) -> BTreeMap<u64, u64> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut out = BTreeMap::new();
        for id in self.members() {
            let addr = self.nodes[&id].http;
            let Ok(Ok(mut s)) =
                tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr))
                    .await
            else {
                continue;
            };
            let req = format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n");
            let mut body = String::new();
            let read = async {
                s.write_all(req.as_bytes()).await?;
                s.read_to_string(&mut body).await
            };
            if tokio::time::timeout(Duration::from_secs(2), read)
                .await
                .is_err()
            {
                continue;
            }
            let n = body
                .lines()
                .find_map(|l| {
                    l.strip_prefix("iamd_peer_rpcs_total{kind=\"install_snapshot\"} ")
                        .and_then(|v| v.trim().parse().ok())
                })
                .unwrap_or(0);
            out.insert(id, n);
        }
        out
    }

    /// Stops every process (kept data and logs stay in `dir`).
    pub fn stop_all(&mut self) {
        let ids: Vec<u64> = self.nodes.keys().copied().collect();
        for id in ids {
            self.resume(id);
            self.kill(id);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_all();
    }
}

async fn wait_credentials(path: &Path, limit: Duration) -> anyhow::Result<(Credentials, String)> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            let account = iam_client::profile_values(&text, "default")
                .into_iter()
                .find(|(k, _)| k == "aws_account_id")
                .map(|(_, v)| v);
            if let (Some(c), Some(a)) = (Credentials::from_file_text(&text, "default"), account) {
                return Ok((c, a));
            }
        }
        if Instant::now() > deadline {
            bail!("no credentials in {}", path.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
