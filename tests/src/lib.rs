//! Test harness: real `iamd` processes on 127.0.0.1 with ports chosen below the ephemeral
//! range, killed (SIGKILL) or stopped (SIGTERM) on demand, and always reaped on drop.
//!
//! The binaries are found next to the test executable's directory (`target/<profile>/`);
//! the test command builds them first (`cargo build --bins`).

pub mod iamctl;
pub mod load;
mod observe;
mod pki;

use iam_client::Credentials;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Writes `input` to the child's standard input and closes it. A child may exit before it
/// reads its input (it found a usage error first): the closed pipe is then not the test's
/// failure; the child's exit code and message tell what happened.
pub fn give_input(child: &mut Child, input: &str) {
    use std::io::Write;
    let mut stdin = child.stdin.take().expect("the child's stdin is piped");
    match stdin.write_all(input.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.expect("write the child's input"),
    }
}

/// Path of a workspace binary (`iamd`, `iamctl`) built into the same target dir as the tests.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build it first with `cargo build --bins`",
        path.display()
    );
    path
}

/// A free TCP port on 127.0.0.1 below the ephemeral range, never one handed out before in
/// this test process (a port is free until its node binds it: two draws in a row could
/// otherwise give the same one, and a node would get it for two listeners).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    for _ in 0..1000 {
        let p = 20_000 + rand::random::<u16>() % 12_000;
        if !given.contains(&p) && TcpListener::bind(("127.0.0.1", p)).is_ok() {
            given.push(p);
            return p;
        }
    }
    panic!("no free port found");
}

pub struct Node {
    pub id: u64,
    pub api: String,
    pub http: String,
    pub peer: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    /// The API and HTTP ports serve TLS.
    pub tls: bool,
    child: Option<Child>,
}

impl Node {
    pub fn api_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.api)
    }

    pub fn http_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.http)
    }

    fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }
}

/// A cluster of iamd processes; dropping it kills every process and removes its files.
pub struct Cluster {
    dir: Option<tempfile::TempDir>,
    pub nodes: Vec<Node>,
    pub snapshot_every: u64,
    /// The operator account's root credentials, written by the bootstrap node.
    pub creds: Option<Credentials>,
    /// The operator account (the first account, created by the bootstrap node).
    pub account: String,
    /// With TLS on the API and HTTP ports: the CA bundle that verifies them.
    pub ca_bundle: Option<PathBuf>,
    /// Flags every node is started with besides the harness's own.
    pub extra_args: Vec<String>,
    /// The peer port uses certificates of a test CA (`--peer-cert/--peer-key/--peer-ca`,
    /// see [`Cluster::peer_pki`]) instead of the CA derived from the cluster key.
    pub peer_pki: bool,
    /// Started as [`Options::uniform`] says.
    pub uniform: bool,
    /// See [`Options::restore_from`].
    pub restore_from: Option<PathBuf>,
    /// See [`Options::fault_clocks`].
    pub fault_clocks: bool,
    /// See [`Options::audit`].
    pub audit: bool,
}

/// How a test cluster is started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub snapshot_every: Option<u64>,
    /// TLS on the API and HTTP ports (certificates of a test CA).
    pub api_tls: bool,
    /// Peer certificates of a test CA instead of the derived cluster CA.
    pub peer_pki: bool,
    /// More flags for every node.
    pub extra: Vec<String>,
    /// Every node gets the same flags, `--node-id auto --bootstrap --join <every peer>` (the
    /// first seed creates the cluster, the others join), as a StatefulSet or a Compose file
    /// starts them; all start at once. Harness ids are then labels, not node ids.
    pub uniform: bool,
    /// Node 1 creates the cluster from this backup file (`--restore-from`); the harness then
    /// waits for a leader, not for new root credentials (the backup holds the operator's).
    pub restore_from: Option<PathBuf>,
    /// The operator's root credentials and account, known before the start (a restored
    /// cluster's come from its backup).
    pub root: Option<(Credentials, String)>,
    /// Every node's clock can be skewed ([`Cluster::skew_clock`], iamd's test seam).
    pub fault_clocks: bool,
    /// Every node writes its audit trail to a file of its own ([`Cluster::audit_path`]).
    pub audit: bool,
}

/// The cluster secret key every test node gets (tests only).
pub const TEST_SECRET_KEY: &str =
    "3f1c9a7e5b2d4f6081a3c5e7f9b1d3e5a7c9e1f3b5d7f9a1c3e5f7a9b1d3e5f7";

/// Reads `[default]` credentials and `aws_account_id` from an AWS credentials file.
pub fn read_credentials(path: &Path) -> Option<(Credentials, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let account = iam_client::profile_values(&text, "default")
        .into_iter()
        .find(|(k, _)| k == "aws_account_id")?
        .1;
    Some((Credentials::from_file_text(&text, "default")?, account))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        // Keep the logs and data of a failed test for inspection.
        if std::thread::panicking() {
            if let Some(dir) = self.dir.take() {
                eprintln!("cluster files kept in {}", dir.keep().display());
            }
        }
    }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: sending a signal to a child process we own; no memory is touched.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

impl Cluster {
    /// Starts `n` nodes: node 1 bootstraps, the others join through it; waits until all vote.
    pub async fn start(n: u64) -> Cluster {
        Self::start_with(n, 10_000).await
    }

    pub async fn start_with(n: u64, snapshot_every: u64) -> Cluster {
        Self::start_opts(
            n,
            Options {
                snapshot_every: Some(snapshot_every),
                ..Options::default()
            },
        )
        .await
    }

    /// Starts `n` nodes that all get `extra` flags (e.g. `--max-connections-per-source`).
    pub async fn start_with_args(n: u64, extra: &[&str]) -> Cluster {
        Self::start_opts(
            n,
            Options {
                extra: extra.iter().map(|s| (*s).to_owned()).collect(),
                ..Options::default()
            },
        )
        .await
    }

    /// Starts `n` nodes whose API and HTTP ports serve TLS with certificates of a CA made
    /// for the test (`ca_bundle`); clients and iamctl verify them.
    pub async fn start_tls(n: u64) -> Cluster {
        Self::start_opts(
            n,
            Options {
                api_tls: true,
                ..Options::default()
            },
        )
        .await
    }

    /// Starts `n` nodes as `opts` says.
    pub async fn start_opts(n: u64, opts: Options) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("iamd-test-")
            .tempdir()
            .expect("temp dir");
        std::fs::write(dir.path().join("secret.key"), TEST_SECRET_KEY).expect("secret key");
        let tls_dir = dir.path().join("tls");
        std::fs::create_dir_all(&tls_dir).expect("tls dir");
        let new_ca = |name: &str, file: &str| {
            let ca = iam_tls::gen::new_ca(name, 30).expect("test CA");
            std::fs::write(tls_dir.join(format!("{file}.pem")), &ca.cert).expect("CA file");
            std::fs::write(tls_dir.join(format!("{file}-key.pem")), &ca.key).expect("CA key");
        };
        let ca_bundle = opts.api_tls.then(|| {
            new_ca("iamd test CA", "ca");
            tls_dir.join("ca.pem")
        });
        if opts.peer_pki {
            new_ca("iamd test peer CA", "peer-ca");
        }
        let mut c = Cluster {
            dir: Some(dir),
            nodes: Vec::new(),
            snapshot_every: opts.snapshot_every.unwrap_or(10_000),
            creds: opts.root.as_ref().map(|(c, _)| c.clone()),
            account: opts.root.map(|(_, a)| a).unwrap_or_default(),
            ca_bundle,
            extra_args: opts.extra,
            peer_pki: opts.peer_pki,
            uniform: opts.uniform,
            restore_from: opts.restore_from,
            fault_clocks: opts.fault_clocks,
            audit: opts.audit,
        };
        if c.uniform {
            for id in 1..=n {
                c.add_node(id);
            }
            for id in 1..=n {
                c.start_node(id);
            }
            c.wait_credentials(Duration::from_secs(60)).await;
            c.wait_voters(n as usize, Duration::from_secs(60)).await;
            return c;
        }
        for id in 1..=n {
            c.spawn_new(id);
            if id == 1 {
                if c.restore_from.is_none() {
                    c.wait_credentials(Duration::from_secs(30)).await;
                }
                c.wait_for(|s| s.has_leader, Duration::from_secs(20)).await;
            }
        }
        c.wait_voters(n as usize, Duration::from_secs(30)).await;
        c
    }

    /// Waits for the bootstrap node to write the operator's root credentials.
    async fn wait_credentials(&mut self, timeout: Duration) {
        let path = self.credentials_path();
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((creds, account)) = read_credentials(&path) {
                self.creds = Some(creds);
                self.account = account;
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the bootstrap node wrote no credentials in {timeout:?}; logs in {}",
                self.dir().display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The operator's root credentials file (AWS format).
    pub fn credentials_path(&self) -> PathBuf {
        self.dir().join("credentials")
    }

    /// The operator's root credentials.
    pub fn root_credentials(&self) -> Credentials {
        self.creds.clone().expect("credentials")
    }

    fn node_args(&self, node: &Node) -> Vec<String> {
        let mut args = vec![
            "serve".into(),
            "--node-id".into(),
            if self.uniform {
                "auto".into()
            } else {
                node.id.to_string()
            },
            "--data-dir".into(),
            node.data_dir.display().to_string(),
            "--api-listen".into(),
            node.api.clone(),
            "--http-listen".into(),
            node.http.clone(),
            "--peer-listen".into(),
            node.peer.clone(),
            "--snapshot-every".into(),
            self.snapshot_every.to_string(),
            "--secret-key-file".into(),
            self.dir().join("secret.key").display().to_string(),
            // Even-numbered nodes run single-threaded (as `iamd dev` runs its nodes on small
            // machines), odd ones on tokio's default pool: every cluster test, failovers
            // included, covers both runtimes.
            "--runtime-threads".into(),
            if node.id.is_multiple_of(2) { "1" } else { "0" }.into(),
        ];
        args.extend(self.extra_args.iter().cloned());
        if self.audit {
            args.push("--audit-file".into());
            args.push(self.audit_path(node.id).display().to_string());
        }
        if self.fault_clocks {
            args.push("--fault-clock-file".into());
            args.push(self.clock_file(node.id).display().to_string());
        }
        if self.peer_pki {
            let tls = self.dir().join("tls");
            args.extend([
                "--peer-cert".into(),
                tls.join(format!("node{}-peer.pem", node.id))
                    .display()
                    .to_string(),
                "--peer-key".into(),
                tls.join(format!("node{}-peer-key.pem", node.id))
                    .display()
                    .to_string(),
                "--peer-ca".into(),
                tls.join(format!("node{}-peer-ca.pem", node.id))
                    .display()
                    .to_string(),
            ]);
        }
        if self.ca_bundle.is_some() {
            let (cert, key) = self.node_cert(node.id);
            args.extend([
                "--tls-cert".into(),
                cert.display().to_string(),
                "--tls-key".into(),
                key.display().to_string(),
            ]);
        }
        if self.uniform {
            let peers: Vec<&str> = self.nodes.iter().map(|n| n.peer.as_str()).collect();
            args.extend([
                "--bootstrap".into(),
                "--join".into(),
                peers.join(","),
                "--root-credentials-file".into(),
                self.credentials_path().display().to_string(),
            ]);
        } else if node.id == 1 {
            if let Some(backup) = &self.restore_from {
                args.push("--restore-from".into());
                args.push(backup.display().to_string());
            }
            args.push("--bootstrap".into());
            args.push("--root-credentials-file".into());
            args.push(self.credentials_path().display().to_string());
        } else if let Some(first) = self.nodes.first() {
            args.push("--join".into());
            args.push(first.peer.clone());
        }
        args
    }

    /// The directory holding every node's data dir and log.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("cluster dir").path()
    }

    /// Spawns a brand-new node with an empty data dir.
    pub fn spawn_new(&mut self, id: u64) {
        self.add_node(id);
        self.start_node(id);
    }

    /// Makes node `id`'s addresses and files, without starting it.
    fn add_node(&mut self, id: u64) {
        let node = Node {
            id,
            api: format!("127.0.0.1:{}", free_port()),
            http: format!("127.0.0.1:{}", free_port()),
            peer: format!("127.0.0.1:{}", free_port()),
            data_dir: self.dir().join(format!("node{id}")),
            log: self.dir().join(format!("node{id}.log")),
            tls: self.ca_bundle.is_some(),
            child: None,
        };
        if node.tls {
            self.issue_node_cert(id);
        }
        if self.peer_pki {
            self.issue_peer_cert(id, "peer-ca");
            self.set_peer_bundle(id, &["peer-ca"]);
        }
        self.nodes.push(node);
    }

    /// Deletes node `id`'s data dir (the node must not run): a lost disk.
    pub fn wipe(&mut self, id: u64) {
        assert!(self.node(id).child.is_none(), "node {id} still runs");
        let dir = self.node(id).data_dir.clone();
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("wipe {}: {e}", dir.display()));
    }

    /// (Re)starts an existing node's process on its data dir.
    pub fn start_node(&mut self, id: u64) {
        self.start_node_with(id, &bin("iamd"));
    }

    /// (Re)starts node `id` with another build of iamd (`binary`), same command line.
    pub fn start_node_with(&mut self, id: u64, binary: &Path) {
        let idx = self.index(id);
        let args = self.node_args(&self.nodes[idx]);
        let node = &mut self.nodes[idx];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .expect("log file");
        let child = Command::new(binary)
            .args(&args)
            .env("IAMD_LOG", "info,openraft=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn iamd");
        node.child = Some(child);
    }

    fn index(&self, id: u64) -> usize {
        self.nodes
            .iter()
            .position(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node {id}"))
    }

    pub fn node(&self, id: u64) -> &Node {
        &self.nodes[self.index(id)]
    }

    /// The process id of node `id`, while it runs.
    pub fn pid(&self, id: u64) -> Option<u32> {
        self.node(id).child.as_ref().map(Child::id)
    }

    /// The resident memory of node `id` in KiB (`VmRSS`).
    pub fn rss_kib(&self, id: u64) -> u64 {
        let pid = self.pid(id).expect("node runs");
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .expect("VmRSS")
    }

    /// SIGKILL: the process dies without any chance to flush.
    pub fn kill(&mut self, id: u64) {
        let idx = self.index(id);
        if let Some(mut c) = self.nodes[idx].child.take() {
            signal(&c, libc::SIGKILL);
            let _ = c.wait();
        }
    }

    /// SIGSTOP: the process is frozen (as a stalled VM or a long GC pause would leave it).
    pub fn pause(&mut self, id: u64) {
        if let Some(c) = &self.nodes[self.index(id)].child {
            signal(c, libc::SIGSTOP);
        }
    }

    /// SIGCONT: a paused process runs again, its timers long past due.
    pub fn resume(&mut self, id: u64) {
        if let Some(c) = &self.nodes[self.index(id)].child {
            signal(c, libc::SIGCONT);
        }
    }

    /// SIGTERM and wait for a clean exit; returns the exit status.
    pub fn stop(&mut self, id: u64) -> Option<std::process::ExitStatus> {
        let idx = self.index(id);
        let mut c = self.nodes[idx].child.take()?;
        signal(&c, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(s)) = c.try_wait() {
                return Some(s);
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                return c.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn running_ids(&mut self) -> Vec<u64> {
        self.nodes
            .iter_mut()
            .filter_map(|n| if n.is_running() { Some(n.id) } else { None })
            .collect()
    }

    fn clock_file(&self, id: u64) -> PathBuf {
        self.dir().join(format!("node{id}.clock-offset"))
    }

    /// Skews node `id`'s wall clock by `offset_ms` (0 puts it right; the node reads its
    /// file every 100 ms). Needs [`Options::fault_clocks`].
    pub fn skew_clock(&self, id: u64, offset_ms: i64) {
        assert!(
            self.fault_clocks,
            "start the cluster with Options::fault_clocks"
        );
        std::fs::write(self.clock_file(id), offset_ms.to_string()).expect("clock file");
    }

    /// Node `id`'s audit file (with [`Options::audit`]).
    pub fn audit_path(&self, id: u64) -> PathBuf {
        self.dir().join(format!("node{id}-audit.log"))
    }

    /// The lines of node `id`'s audit file, parsed (each must be JSON).
    pub fn audit_lines(&self, id: u64) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.audit_path(id)).unwrap_or_default();
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l}: {e}")))
            .collect()
    }

    pub fn log_of(&self, id: u64) -> String {
        std::fs::read_to_string(&self.node(id).log).unwrap_or_default()
    }
}

/// Bounds a test's time: panics if `f` does not finish within `limit`.
pub async fn within<T>(limit: Duration, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("test exceeded its {limit:?} bound"))
}
