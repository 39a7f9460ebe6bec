//! Pieces of the IAM-model benchmark: an `iamd` node process that can be killed and
//! restarted on the same data dir, and the in-process apply-throughput measurement.

use anyhow::{bail, Context};
use iam_proto::v1::SnapshotRequest;
use iam_raft::types::{Entry, EntryPayload, LeaderId, LogId, Requests};
use iam_state::{Command, Request};
use iam_storage::RocksStateMachine;
use openraft::vote::RaftLeaderId;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

/// One `iamd serve` process on loopback; killed on drop.
pub struct Node {
    pub id: u64,
    pub api: String,
    pub http: String,
    pub peer: String,
    pub data_dir: PathBuf,
    bin: PathBuf,
    log_dir: PathBuf,
    join: Option<String>,
    child: Option<Child>,
}

impl Node {
    /// Starts node `id` under `dir`; without `join` it bootstraps a new cluster.
    pub fn start(bin: &Path, dir: &Path, id: u64, join: Option<String>) -> anyhow::Result<Node> {
        let port = crate::clusters::free_port;
        let mut node = Node {
            id,
            api: format!("127.0.0.1:{}", port()),
            http: format!("127.0.0.1:{}", port()),
            peer: format!("127.0.0.1:{}", port()),
            data_dir: dir.join(format!("n{id}")),
            bin: bin.to_owned(),
            log_dir: dir.to_owned(),
            join,
            child: None,
        };
        node.restart()?;
        Ok(node)
    }

    /// (Re)starts the process on the same data dir and addresses.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_dir.join(format!("n{}.log", self.id)))?;
        let mut cmd = Process::new(&self.bin);
        cmd.arg("serve")
            .args(["--node-id", &self.id.to_string()])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--api-listen", &self.api])
            .args(["--http-listen", &self.http])
            .args(["--peer-listen", &self.peer])
            .arg("--secret-key-file")
            .arg(crate::clusters::secret_key_file(&self.log_dir)?)
            .env("IAMD_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        match &self.join {
            None => {
                cmd.arg("--bootstrap")
                    .arg("--root-credentials-file")
                    .arg(self.log_dir.join("credentials"));
            }
            Some(seed) => {
                cmd.args(["--join", seed]);
            }
        }
        self.child = Some(
            cmd.spawn()
                .with_context(|| format!("start {}", self.bin.display()))?,
        );
        Ok(())
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.api)
    }

    /// Waits until `/ready` answers 200 (the node knows a leader and serves).
    pub async fn wait_ready(&self, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            if http_status(&self.http, "/ready").await == Some(200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("node {} not ready after {limit:?}", self.id);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The applied index, from `/ready` (cheap: `Status` also hashes the whole state).
    pub async fn applied(&self) -> anyhow::Result<u64> {
        let body = http_get(&self.http, "/ready")
            .await
            .context("no answer from /ready")?;
        body.split("applied ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("unexpected /ready answer {body:?}"))
    }

    /// Waits until the node has applied `index`.
    pub async fn wait_applied(&self, index: u64, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            if self.applied().await.unwrap_or(0) >= index {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("node {} did not apply {index} within {limit:?}", self.id);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The operator's root credentials (written by the bootstrap node into the cluster dir).
    pub async fn credentials(&self) -> anyhow::Result<iam_client::Credentials> {
        crate::clusters::wait_credentials(
            &self.log_dir.join("credentials"),
            Duration::from_secs(60),
        )
        .await
    }

    /// A client of this node, signed with the operator's root credentials.
    pub async fn client(&self) -> anyhow::Result<iam_client::Client> {
        Ok(
            iam_client::Client::new(&[self.url()], Duration::from_secs(60))?
                .with_credentials(self.credentials().await?),
        )
    }

    pub async fn snapshot(&self) -> anyhow::Result<u64> {
        Ok(self
            .client()
            .await?
            .call_one(
                0,
                |_, mut c| async move { c.snapshot(SnapshotRequest {}).await },
            )
            .await?
            .snapshot_index)
    }

    /// Size of the node's current snapshot file.
    pub fn snapshot_bytes(&self) -> u64 {
        std::fs::metadata(self.data_dir.join("snapshot.bin")).map_or(0, |m| m.len())
    }

    /// Resident set size of the process (Linux `/proc`).
    pub fn rss_mib(&self) -> anyhow::Result<f64> {
        let pid = self.child.as_ref().context("not running")?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS")?;
        Ok(kb / 1024.0)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A plain HTTP GET on loopback (e.g. `/metrics`); the body, if any.
/// `GET path` from an HTTP port: plain, or TLS verified against `ca_bundle` when given.
pub async fn get(addr: &str, path: &str, ca_bundle: Option<&std::path::Path>) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tls = match ca_bundle {
        Some(ca) => Some(iam_tls::ClientTls::trusting(Some(ca)).ok()?),
        None => None,
    };
    let (host, port) = addr.rsplit_once(':')?;
    let mut s = iam_tls::Connector::new(tls)
        .connect(host, port.parse().ok()?)
        .await
        .ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut out = Vec::new();
    // A TLS server may close without close_notify after a complete HTTP/1.0 answer.
    let _ = s.read_to_end(&mut out).await;
    (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned())
}

pub(crate) async fn http_get(addr: &str, path: &str) -> Option<String> {
    get(addr, path, None).await
}

async fn http_status(addr: &str, path: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut buf = vec![0u8; 64];
    let n = s.read(&mut buf).await.ok()?;
    let head = std::str::from_utf8(buf.get(..n)?).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

/// Applies `n` commands made by `make` (after the account and, for attachments, the users
/// and policies they need) to a fresh RocksDB state machine in batches of 64; returns
/// entries per second for the measured commands only.
pub async fn apply_throughput(
    account: &str,
    name: &str,
    make: &dyn Fn(usize) -> Command,
    n: usize,
) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let store = iam_storage::open(dir.path(), 1)?;
    let mut sm = RocksStateMachine::new(store.db.clone(), dir.path());
    let mut index = 0u64;
    let mut entries = |cmds: Vec<Command>| -> Vec<Entry> {
        cmds.into_iter()
            .map(|command| {
                index += 1;
                Entry {
                    log_id: LogId::new(LeaderId::new(1, 1), index),
                    payload: EntryPayload::Normal(Requests::new(vec![Request {
                        request_token: Some(format!("t{index}")),
                        time_ms: 1_700_000_000_000 + index,
                        command,
                        origin: None,
                    }])),
                }
            })
            .collect()
    };
    let mut setup = vec![Command::CreateAccount {
        account_id: account.into(),
        name: "bench".into(),
        email: "root@bench.example.com".into(),
    }];
    let raise = match name {
        "CreateRole" => Some("roles"),
        "CreatePolicy" => Some("policies"),
        _ => None,
    };
    if let Some(kind) = raise {
        // Past the default quota: an approved increase to the maximum.
        use iam_state::ops::quotas::QuotaOp;
        setup.push(Command::in_account(
            account,
            QuotaOp::RequestQuotaIncrease {
                kind: kind.into(),
                desired_value: 5000,
                justification: "benchmark".into(),
                requested_by: format!("arn:aws:iam::{account}:root"),
                request_id: "qr-bench".into(),
            },
        ));
        setup.push(Command::in_account(
            account,
            QuotaOp::ApproveQuotaIncrease {
                request_id: "qr-bench".into(),
                decided_by: format!("arn:aws:iam::{account}:root"),
                note: None,
            },
        ));
    }
    if name == "AttachUserPolicy" {
        // Users and policies to attach (as CreateUser/CreatePolicy make them).
        let mut env = SeqEnv(0);
        for i in 0..n {
            let mut c = crate::model::user_command(account, i);
            c.prepare(&mut env);
            setup.push(c);
        }
        for i in 0..1000.min(n) {
            let mut c = crate::model::policy_command(account, i);
            c.prepare(&mut env);
            setup.push(c);
        }
    }
    for chunk in entries(setup).chunks(64) {
        let out = sm.apply_entries(chunk.to_vec())?;
        if let Some(e) = out.iter().flatten().find_map(|r| r.result.as_ref().err()) {
            bail!("setup for {name} failed: {e}");
        }
    }
    let measured = entries((0..n).map(make).collect());
    let t = Instant::now();
    for chunk in measured.chunks(64) {
        let out = sm.apply_entries(chunk.to_vec())?;
        if let Some(e) = out.iter().flatten().find_map(|r| r.result.as_ref().err()) {
            bail!("{name} failed during the benchmark: {e}");
        }
    }
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

struct SeqEnv(u64);

impl iam_state::Env for SeqEnv {
    fn unique_id(&mut self, prefix: iam_model::ids::IdPrefix) -> String {
        self.0 += 1;
        iam_model::ids::unique_id(prefix, &self.0.to_le_bytes().repeat(4), 17)
    }
    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        vec![7; n]
    }
    fn hash_password(&mut self, _: &str) -> String {
        String::new()
    }
}

/// `CreateUser user-{i}` in `/staff/`.
pub fn user_command(account: &str, i: usize) -> Command {
    Command::in_account(
        account,
        iam_state::ops::users::UserOp::Create {
            name: format!("user-{i:05}"),
            path: "/staff/".into(),
            tags: vec![],
            permissions_boundary: None,
            user_id: String::new(),
        },
    )
}

/// `CreatePolicy policy-{i}` with a one-statement conditional document.
pub fn policy_command(account: &str, i: usize) -> Command {
    Command::in_account(
        account,
        iam_state::ops::policies::PolicyOp::Create {
            policy_name: format!("policy-{i:05}"),
            path: "/".into(),
            policy_document: policy_document(i),
            description: String::new(),
            tags: vec![],
            policy_id: String::new(),
        },
    )
}

/// A realistic managed policy document (two actions, two resources, a condition).
pub fn policy_document(i: usize) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Read{i}","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-{i}","arn:aws:s3:::bucket-{i}/*"],"Condition":{{"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}]}}"#
    )
}
