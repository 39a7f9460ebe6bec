//! The validated configuration of one node, merged from flags, environment and TOML file.

use crate::cli::ServeArgs;
use anyhow::{bail, Context};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What a TOML config file may contain (unknown keys are an error).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    node_id: Option<FileNodeId>,
    data_dir: Option<PathBuf>,
    peer_listen: Option<String>,
    api_listen: Option<String>,
    http_listen: Option<String>,
    peer_advertise: Option<String>,
    api_advertise: Option<String>,
    http_advertise: Option<String>,
    bootstrap: Option<bool>,
    join: Option<Vec<String>>,
    log_format: Option<String>,
    snapshot_every: Option<u64>,
    snapshot_interval: Option<String>,
    snapshot_retain: Option<usize>,
    snapshot_dir: Option<PathBuf>,
    max_clock_offset_ms: Option<u64>,
    runtime_threads: Option<usize>,
    sandbox: Option<bool>,
    sandbox_allow_remote: Option<bool>,
    audit_file: Option<PathBuf>,
    audit_stdout: Option<bool>,
    audit_mode: Option<String>,
    audit_timeout_ms: Option<u64>,
    event_history_max_events: Option<u64>,
    event_history_days: Option<u64>,
    secret_key_file: Option<PathBuf>,
    root_credentials_file: Option<PathBuf>,
    restore_from: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    insecure_plaintext: Option<bool>,
    peer_cert: Option<PathBuf>,
    peer_key: Option<PathBuf>,
    peer_ca: Option<PathBuf>,
    peer_allowed_names: Option<Vec<String>>,
    peer_dial_via: Option<Vec<String>>,
    max_connections: Option<usize>,
    max_connections_per_source: Option<usize>,
    allowed_hosts: Option<Vec<String>>,
    oidc_resolve: Option<Vec<String>>,
    oidc_allow_private_networks: Option<bool>,
}

/// `node_id` in a config file: a number, or a string (`"auto"`, or digits).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileNodeId {
    Number(u64),
    Text(String),
}

impl FileNodeId {
    fn into_text(self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(t) => t,
        }
    }
}

/// The largest `--max-clock-offset-ms` (one minute: more would let a node run minutes off).
const MAX_CLOCK_OFFSET_MS_MAX: u64 = 60_000;

/// The most an `auto` node id may be: ids stay exact as JSON numbers (2^53).
const AUTO_NODE_ID_MAX: u64 = (1 << 53) - 1;

/// The node id `--node-id auto` stands for: the one recorded in `data_dir` by an earlier
/// start, or a new random one.
fn auto_node_id(data_dir: &std::path::Path) -> anyhow::Result<u64> {
    if let Some(id) = iam_storage::recorded_node_id(data_dir)? {
        return Ok(id);
    }
    Ok(1 + rand::random::<u64>() % AUTO_NODE_ID_MAX)
}

/// A certificate and its key (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The peer port's TLS material from the operator's PKI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
    pub allowed_names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A node's validated configuration.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub node_id: u64,
    pub data_dir: PathBuf,
    pub peer_listen: SocketAddr,
    pub api_listen: SocketAddr,
    pub http_listen: SocketAddr,
    pub peer_advertise: String,
    pub api_advertise: String,
    pub http_advertise: String,
    pub bootstrap: bool,
    pub join: Vec<String>,
    pub log_format: LogFormat,
    pub snapshot_every: u64,
    /// Scheduled backups (`--snapshot-interval`), if asked for.
    pub backups: Option<crate::backups::Schedule>,
    /// See `--max-clock-offset-ms`.
    pub max_clock_offset_ms: u64,
    /// The test seam `--fault-clock-file`.
    pub fault_clock_file: Option<PathBuf>,
    /// Async runtime threads: 0 = one per core, 1 = a single-threaded runtime.
    pub runtime_threads: usize,
    /// Sandbox mode (see `--sandbox`).
    pub sandbox: bool,
    /// The audit trail's sinks and mode (`--audit-*`).
    pub audit: crate::audit::Settings,
    /// The event history's bounds: most events, oldest in ms (`--event-history-*`).
    pub history_bounds: (u64, u64),
    pub secret_key_file: Option<PathBuf>,
    pub root_credentials_file: Option<PathBuf>,
    /// A backup file the new cluster starts from (`--restore-from`).
    pub restore_from: Option<PathBuf>,
    /// TLS on the API and HTTP ports.
    pub tls: Option<TlsFiles>,
    /// The peer port's certificates from the operator's PKI; `None`: a CA derived from the
    /// cluster secret key (the peer port is mutual TLS either way).
    pub peer_tls: Option<PeerTlsFiles>,
    /// Peer addresses dialed through another (`--peer-dial-via`): advertised → dialed.
    pub peer_dial_via: std::collections::HashMap<String, String>,
    /// Bounds on each port's connections.
    pub limits: crate::listen::Limits,
    /// More names the node answers to (`--allowed-hosts`), besides its addresses.
    pub allowed_hosts: Vec<String>,
    /// Where AssumeRoleWithWebIdentity may fetch identity providers' keys from.
    pub oidc_fetch: crate::sts::FetchPolicy,
}

/// Most async runtime threads a node may be given.
pub const RUNTIME_THREADS_MAX: usize = 1024;

/// Environment variable holding the cluster secret key itself (hex).
pub const SECRET_KEY_ENV: &str = "IAMD_SECRET_KEY";

impl ServeConfig {
    /// The names signed requests may be addressed to (see [`crate::auth::hosts`]).
    pub fn host_names(&self) -> crate::auth::hosts::AllowedHosts {
        crate::auth::hosts::AllowedHosts::new(
            &[
                &self.api_advertise,
                &self.http_advertise,
                &self.peer_advertise,
            ],
            &[self.api_listen, self.http_listen, self.peer_listen],
            &self.allowed_hosts,
        )
    }

    /// The cluster secret key: `--secret-key-file`, else `IAMD_SECRET_KEY`, else
    /// `<data-dir>/secret.key`; a bootstrapping node with none creates that file.
    pub fn load_secret_key(&self) -> anyhow::Result<iam_auth::secret_box::SecretBox> {
        use iam_auth::secret_box::SecretBox;
        if let Some(path) = &self.secret_key_file {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the cluster secret key file {}", path.display())
            })?;
            return SecretBox::from_hex(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        }
        if let Ok(hex) = std::env::var(SECRET_KEY_ENV) {
            return SecretBox::from_hex(&hex).map_err(|e| anyhow::anyhow!("{SECRET_KEY_ENV}: {e}"));
        }
        let default = self.data_dir.join("secret.key");
        if default.exists() {
            let text = std::fs::read_to_string(&default)
                .with_context(|| format!("cannot read {}", default.display()))?;
            return SecretBox::from_hex(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", default.display()));
        }
        if !self.bootstrap || !self.join.is_empty() {
            bail!(
                "no cluster secret key: give the cluster's key with --secret-key-file (or {SECRET_KEY_ENV}); \
                 a node started with --bootstrap alone and no key wrote it to <its data dir>/secret.key \
                 (with --bootstrap and --join every node needs the key given)"
            );
        }
        let key: [u8; 32] = rand::random();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&default, &format!("{hex}\n"))?;
        tracing::warn!(
            path = %default.display(),
            "created the cluster secret key; give the same key to every other node (--secret-key-file)"
        );
        Ok(SecretBox::new(&key))
    }
}

/// Writes a file only its owner can read (0600), durably.
pub fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The account a sandbox acts in for unknown access keys (AWS's documentation account).
pub const SANDBOX_ACCOUNT: &str = "123456789012";

fn parse_addr(flag: &str, value: &str) -> anyhow::Result<SocketAddr> {
    value.parse().with_context(|| {
        format!("--{flag} {value:?} is not a host:port address like 127.0.0.1:7100")
    })
}

/// `PEER=VIA` pairs of host:port addresses.
fn parse_dial_via(pairs: &[String]) -> anyhow::Result<std::collections::HashMap<String, String>> {
    let mut map = std::collections::HashMap::new();
    for pair in pairs.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let Some((peer, via)) = pair.split_once('=') else {
            bail!("--peer-dial-via {pair:?} is not PEER=VIA (two host:port addresses)");
        };
        for (what, addr) in [("PEER", peer), ("VIA", via)] {
            let ok = addr
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                bail!("--peer-dial-via {pair:?}: {what} {addr:?} is not a host:port address");
            }
        }
        if map.insert(peer.to_owned(), via.to_owned()).is_some() {
            bail!("--peer-dial-via names {peer} twice");
        }
    }
    Ok(map)
}

impl ServeConfig {
    /// Merges flags/environment (already merged by clap) over the TOML file and validates.
    pub fn from_args(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            None => FileConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("config file {} is invalid", path.display()))?
            }
        };
        let Some(node_id) = args.node_id.or(file.node_id.map(FileNodeId::into_text)) else {
            bail!("--node-id is required (or node_id in the config file, or IAMD_NODE_ID)");
        };
        let data_dir = args.data_dir.or(file.data_dir);
        let (node_id, data_dir) = match node_id.trim() {
            "auto" => {
                let Some(dir) = data_dir else {
                    bail!(
                        "--node-id auto keeps the chosen id in the data dir: give --data-dir too"
                    );
                };
                (auto_node_id(&dir)?, dir)
            }
            digits => {
                let id: u64 = digits.parse().map_err(|_| {
                    anyhow::anyhow!("--node-id {digits:?} is neither a positive integer nor `auto`")
                })?;
                if id == 0 {
                    bail!("--node-id must be a positive integer (0 is reserved)");
                }
                let dir = data_dir.unwrap_or_else(|| PathBuf::from(format!("./iamd-data-{id}")));
                (id, dir)
            }
        };
        let peer = args
            .peer_listen
            .or(file.peer_listen)
            .unwrap_or_else(|| "127.0.0.1:7102".into());
        let api = args
            .api_listen
            .or(file.api_listen)
            .unwrap_or_else(|| "127.0.0.1:7100".into());
        let http = args
            .http_listen
            .or(file.http_listen)
            .unwrap_or_else(|| "127.0.0.1:7101".into());
        let peer_listen = parse_addr("peer-listen", &peer)?;
        let api_listen = parse_addr("api-listen", &api)?;
        let http_listen = parse_addr("http-listen", &http)?;
        let distinct = [peer_listen, api_listen, http_listen];
        if distinct[0] == distinct[1] || distinct[0] == distinct[2] || distinct[1] == distinct[2] {
            bail!(
                "--peer-listen, --api-listen and --http-listen must be three different addresses"
            );
        }
        let log_format = match args.log_format.or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("--log-format {other:?} is not one of: text, json"),
        };
        let join: Vec<String> = if args.join.is_empty() {
            file.join.unwrap_or_default()
        } else {
            args.join
        };
        let join: Vec<String> = join
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        // With --join too, --bootstrap means "the first seed bootstraps" (see lifecycle.rs).
        let bootstrap = args.bootstrap || file.bootstrap.unwrap_or(false);
        let restore_from = args.restore_from.or(file.restore_from);
        if restore_from.is_some() && !bootstrap {
            bail!("--restore-from creates a new cluster from a backup: give --bootstrap too");
        }
        let snapshot_every = args
            .snapshot_every
            .or(file.snapshot_every)
            .unwrap_or(iam_raft::DEFAULT_SNAPSHOT_EVERY);
        if snapshot_every == 0 {
            bail!("--snapshot-every must be at least 1");
        }
        let snapshot_retain = args.snapshot_retain.or(file.snapshot_retain);
        let snapshot_dir = args.snapshot_dir.or(file.snapshot_dir);
        let backups = match args.snapshot_interval.or(file.snapshot_interval) {
            None => {
                if snapshot_retain.is_some() || snapshot_dir.is_some() {
                    bail!("--snapshot-retain and --snapshot-dir apply to scheduled backups: give --snapshot-interval too");
                }
                None
            }
            Some(text) => {
                let interval = crate::backups::parse_interval(&text)
                    .map_err(|e| anyhow::anyhow!("--snapshot-interval {e}"))?;
                if interval < std::time::Duration::from_secs(1) {
                    bail!("--snapshot-interval must be at least 1s");
                }
                let retain = snapshot_retain.unwrap_or(7);
                if retain == 0 {
                    bail!(
                        "--snapshot-retain must be at least 1 (the newest backup is always kept)"
                    );
                }
                Some(crate::backups::Schedule {
                    interval,
                    retain,
                    dir: snapshot_dir.unwrap_or_else(|| data_dir.join("backups")),
                })
            }
        };
        let max_clock_offset_ms = args
            .max_clock_offset_ms
            .or(file.max_clock_offset_ms)
            .unwrap_or(iam_raft::DEFAULT_MAX_CLOCK_OFFSET_MS);
        if max_clock_offset_ms > MAX_CLOCK_OFFSET_MS_MAX {
            bail!(
                "--max-clock-offset-ms {max_clock_offset_ms} is more than {MAX_CLOCK_OFFSET_MS_MAX} (SigV4 refuses requests 15 minutes off; 0 turns the check off)"
            );
        }
        let runtime_threads = args.runtime_threads.or(file.runtime_threads).unwrap_or(0);
        if runtime_threads > RUNTIME_THREADS_MAX {
            bail!(
                "--runtime-threads {runtime_threads} is more than {RUNTIME_THREADS_MAX} (0 means one per CPU core)"
            );
        }
        let oidc_fetch = crate::sts::FetchPolicy {
            resolve: crate::sts::FetchPolicy::parse_resolve(&if args.oidc_resolve.is_empty() {
                file.oidc_resolve.clone().unwrap_or_default()
            } else {
                args.oidc_resolve.clone()
            })
            .map_err(anyhow::Error::msg)?,
            allow_private: args.oidc_allow_private_networks
                || file.oidc_allow_private_networks.unwrap_or(false),
        };
        let sandbox = args.sandbox || file.sandbox.unwrap_or(false);
        let allow_remote = args.sandbox_allow_remote || file.sandbox_allow_remote.unwrap_or(false);
        if sandbox && !allow_remote {
            for (flag, addr) in [
                ("peer-listen", peer_listen),
                ("api-listen", api_listen),
                ("http-listen", http_listen),
            ] {
                if !addr.ip().is_loopback() {
                    bail!(
                        "--sandbox accepts unknown credentials as an administrator and must not be reachable from other hosts: --{flag} {addr} is not a loopback address (use 127.0.0.1, or --sandbox-allow-remote if you really mean it)"
                    );
                }
            }
        }
        let audit = audit_settings(
            args.audit_file.or(file.audit_file),
            args.audit_stdout || file.audit_stdout.unwrap_or(false),
            args.audit_mode.or(file.audit_mode),
            args.audit_timeout_ms.or(file.audit_timeout_ms),
        )?;
        let history_bounds = history_bounds(
            args.event_history_max_events
                .or(file.event_history_max_events),
            args.event_history_days.or(file.event_history_days),
        )?;
        let tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together: give both or neither"),
        };
        let insecure = args.insecure_plaintext || file.insecure_plaintext.unwrap_or(false);
        if tls.is_none() && !insecure {
            for (flag, addr) in [("api-listen", api_listen), ("http-listen", http_listen)] {
                if !addr.ip().is_loopback() {
                    bail!(
                        "--{flag} {addr} is not a loopback address and the port has no TLS: give --tls-cert and --tls-key \
                         (`iamd cert` makes them), or --insecure-plaintext to send secrets in clear anyway"
                    );
                }
            }
        }
        let allowed_names: Vec<String> = if args.peer_allowed_names.is_empty() {
            file.peer_allowed_names.unwrap_or_default()
        } else {
            args.peer_allowed_names
        };
        let allowed_names: Vec<String> = allowed_names
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let peer_tls = match (
            args.peer_cert.or(file.peer_cert),
            args.peer_key.or(file.peer_key),
            args.peer_ca.or(file.peer_ca),
        ) {
            (Some(cert), Some(key), Some(ca)) => Some(PeerTlsFiles {
                cert,
                key,
                ca,
                allowed_names,
            }),
            (None, None, None) if allowed_names.is_empty() => None,
            (None, None, None) => bail!(
                "--peer-allowed-names needs --peer-cert, --peer-key and --peer-ca (the derived cluster CA names every node alike)"
            ),
            _ => bail!(
                "--peer-cert, --peer-key and --peer-ca go together: give all three, or none to use the CA derived from the cluster secret key"
            ),
        };
        let dial_via = if args.peer_dial_via.is_empty() {
            file.peer_dial_via.unwrap_or_default()
        } else {
            args.peer_dial_via
        };
        let peer_dial_via = parse_dial_via(&dial_via)?;
        let mut limits = crate::listen::Limits::default();
        if let Some(n) = args.max_connections.or(file.max_connections) {
            if n == 0 {
                bail!("--max-connections must be at least 1");
            }
            limits.connections = n;
        }
        if let Some(n) = args
            .max_connections_per_source
            .or(file.max_connections_per_source)
        {
            if n == 0 {
                bail!("--max-connections-per-source must be at least 1");
            }
            limits.per_source = n;
        }
        Ok(Self {
            tls,
            peer_tls,
            peer_dial_via,
            limits,
            node_id,
            data_dir,
            peer_advertise: args
                .peer_advertise
                .or(file.peer_advertise)
                .unwrap_or_else(|| peer_listen.to_string()),
            api_advertise: args
                .api_advertise
                .or(file.api_advertise)
                .unwrap_or_else(|| api_listen.to_string()),
            http_advertise: args
                .http_advertise
                .or(file.http_advertise)
                .unwrap_or_else(|| http_listen.to_string()),
            peer_listen,
            api_listen,
            http_listen,
            bootstrap,
            join,
            log_format,
            snapshot_every,
            backups,
            max_clock_offset_ms,
            fault_clock_file: args.fault_clock_file,
            runtime_threads,
            sandbox,
            audit,
            history_bounds,
            secret_key_file: args.secret_key_file.or(file.secret_key_file),
            root_credentials_file: args.root_credentials_file.or(file.root_credentials_file),
            restore_from,
            allowed_hosts: if args.allowed_hosts.is_empty() {
                file.allowed_hosts.unwrap_or_default()
            } else {
                args.allowed_hosts
            }
            .into_iter()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect(),
            oidc_fetch,
        })
    }
}

#[cfg(test)]
mod tests;

/// Largest `--audit-timeout-ms` (a minute: a request waits no longer for its audit line).
const AUDIT_TIMEOUT_MS_MAX: u64 = 60_000;

fn audit_settings(
    file: Option<PathBuf>,
    stdout: bool,
    mode: Option<String>,
    timeout_ms: Option<u64>,
) -> anyhow::Result<crate::audit::Settings> {
    let mode = match mode {
        None => crate::audit::Mode::Open,
        Some(m) => {
            crate::audit::Mode::parse(&m).map_err(|e| anyhow::anyhow!("--audit-mode: {e}"))?
        }
    };
    if mode == crate::audit::Mode::Closed && file.is_none() && !stdout {
        bail!("--audit-mode closed refuses every request unless an audit sink records it: give --audit-file or --audit-stdout");
    }
    let timeout_ms = timeout_ms.unwrap_or(2000);
    if timeout_ms == 0 || timeout_ms > AUDIT_TIMEOUT_MS_MAX {
        bail!("--audit-timeout-ms must be 1 to {AUDIT_TIMEOUT_MS_MAX}, not {timeout_ms}");
    }
    Ok(crate::audit::Settings {
        file,
        stdout,
        mode,
        timeout: std::time::Duration::from_millis(timeout_ms),
    })
}

/// The event history's largest bounds: ten million events, ten years.
const HISTORY_EVENTS_MAX: u64 = 10_000_000;
const HISTORY_DAYS_MAX: u64 = 3650;

fn history_bounds(max_events: Option<u64>, days: Option<u64>) -> anyhow::Result<(u64, u64)> {
    let max_events = max_events.unwrap_or(iam_state::events::DEFAULT_MAX_EVENTS);
    if max_events == 0 || max_events > HISTORY_EVENTS_MAX {
        bail!("--event-history-max-events must be 1 to {HISTORY_EVENTS_MAX}, not {max_events}");
    }
    let max_age_ms = match days {
        None => iam_state::events::DEFAULT_MAX_AGE_MS,
        Some(d) if (1..=HISTORY_DAYS_MAX).contains(&d) => d * 24 * 3600 * 1000,
        Some(d) => bail!("--event-history-days must be 1 to {HISTORY_DAYS_MAX}, not {d}"),
    };
    Ok((max_events, max_age_ms))
}
