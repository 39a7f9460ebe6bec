//! Command-line flags of `iamd`. Every `serve` flag can also come from the environment
//! (`IAMD_*`) or from a TOML file given with `--config`; flags win over the environment,
//! which wins over the file.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "iamd",
    version,
    about = "A replicated identity and access management store with the AWS IAM model"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one node.
    Serve(Box<ServeArgs>),
    /// Start a local cluster of separate iamd processes on 127.0.0.1 (for development).
    Dev(DevArgs),
    /// Make a CA and the certificates it signs, for TLS without a PKI of your own.
    #[command(subcommand)]
    Cert(CertCmd),
    /// Print the HMAC an audit line shows for a secret value (a password, a key, a code),
    /// to find the requests that carried it. Needs the cluster secret key.
    AuditHash(AuditHashArgs),
}

#[derive(Debug, Args)]
pub struct AuditHashArgs {
    /// File holding the cluster's secret key (or IAMD_SECRET_KEY holds the hex itself).
    #[arg(long, env = "IAMD_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// The value; `-` reads it from the first line of standard input (keeps it out of the
    /// shell history).
    pub value: String,
}

#[derive(Debug, Subcommand)]
pub enum CertCmd {
    /// Create a CA: <out-dir>/ca.pem (give it to clients and to --peer-ca) and
    /// <out-dir>/ca-key.pem (keep it secret; it signs the other certificates).
    Ca {
        /// Directory to write into (created if missing).
        #[arg(long)]
        out_dir: PathBuf,
        /// The CA's common name.
        #[arg(long, default_value = "iamd CA")]
        common_name: String,
        /// Days the CA is valid.
        #[arg(long, default_value_t = 3650)]
        days: u32,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Issue a certificate signed by a CA: <out>.pem and <out>-key.pem.
    Issue {
        /// The CA certificate (PEM).
        #[arg(long)]
        ca: PathBuf,
        /// The CA's private key (PEM).
        #[arg(long)]
        ca_key: PathBuf,
        /// DNS names and IP addresses the certificate is for (repeat or comma separate);
        /// the first is also its common name.
        #[arg(long = "name", required = true, value_delimiter = ',')]
        names: Vec<String>,
        /// server: the API/HTTP ports (--tls-cert); client: a mutual-TLS client; peer:
        /// a node's peer certificate (--peer-cert), used both ways.
        #[arg(long, default_value = "peer")]
        usage: String,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 825)]
        days: u32,
        /// Output path prefix: writes <out>.pem and <out>-key.pem.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// TOML config file; its keys are the flag names with `_` for `-` (node_id, data_dir, ...).
    #[arg(long, env = "IAMD_CONFIG")]
    pub config: Option<PathBuf>,
    /// This node's id: a positive integer, unique in the cluster, never reused; or `auto`,
    /// a random id chosen at first start and kept in the data dir (then --data-dir is
    /// required), so that a node that comes back with an empty data dir gets a new one.
    #[arg(long, env = "IAMD_NODE_ID")]
    pub node_id: Option<String>,
    /// Directory for this node's RocksDB data.
    #[arg(long, env = "IAMD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address for Raft traffic between nodes (host:port).
    #[arg(long, env = "IAMD_PEER_LISTEN")]
    pub peer_listen: Option<String>,
    /// Address for the public gRPC API (host:port).
    #[arg(long, env = "IAMD_API_LISTEN")]
    pub api_listen: Option<String>,
    /// Address for HTTP: health and metrics (host:port).
    #[arg(long, env = "IAMD_HTTP_LISTEN")]
    pub http_listen: Option<String>,
    /// Address other nodes use to reach this node's peer port (default: --peer-listen).
    #[arg(long, env = "IAMD_PEER_ADVERTISE")]
    pub peer_advertise: Option<String>,
    /// Address clients use to reach this node's API (default: --api-listen).
    #[arg(long, env = "IAMD_API_ADVERTISE")]
    pub api_advertise: Option<String>,
    /// Address clients use to reach this node's HTTP port (default: --http-listen).
    #[arg(long, env = "IAMD_HTTP_ADVERTISE")]
    pub http_advertise: Option<String>,
    /// Start a new cluster with this node as its first member (ignored once initialized).
    #[arg(long, env = "IAMD_BOOTSTRAP")]
    pub bootstrap: bool,
    /// Peer addresses of existing members to join through (comma separated).
    #[arg(long, env = "IAMD_JOIN", value_delimiter = ',')]
    pub join: Vec<String>,
    /// Log format: text or json.
    #[arg(long, env = "IAMD_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Build a snapshot every this many log entries (default 100,000).
    #[arg(long, env = "IAMD_SNAPSHOT_EVERY")]
    pub snapshot_every: Option<u64>,
    /// Write a backup of this node's state (the format of `iamctl snapshot save`) every
    /// interval: `3600`, `30m`, `1h`, `1d`. Off by default.
    #[arg(long, env = "IAMD_SNAPSHOT_INTERVAL")]
    pub snapshot_interval: Option<String>,
    /// How many scheduled backups to keep (default 7); older ones are deleted.
    #[arg(long, env = "IAMD_SNAPSHOT_RETAIN")]
    pub snapshot_retain: Option<usize>,
    /// Where scheduled backups go (default `<data-dir>/backups`; better a volume of its own).
    #[arg(long, env = "IAMD_SNAPSHOT_DIR")]
    pub snapshot_dir: Option<PathBuf>,
    /// Largest offset, in ms, of this node's clock from a quorum of the voters' clocks (the
    /// leader measures them every 500 ms) before the node refuses requests with
    /// ServiceUnavailable and reports not ready: request signatures, session expiry and
    /// revocation by issue time all read the clock (default 500; 0 turns the check off).
    #[arg(long, env = "IAMD_MAX_CLOCK_OFFSET_MS")]
    pub max_clock_offset_ms: Option<u64>,
    /// Test seam (chaos suite): skew this process's clock by the signed milliseconds the
    /// file holds, re-read every 100 ms.
    #[arg(long, env = "IAMD_FAULT_CLOCK_FILE", hide = true)]
    pub fault_clock_file: Option<std::path::PathBuf>,
    /// Threads of the node's async runtime: 0 (the default) is one per CPU core; 1 runs the
    /// node on a single thread (cheapest when several nodes share a machine's few cores, as
    /// `iamd dev` does). Heavy storage work (snapshots) runs on separate threads either way.
    #[arg(long, env = "IAMD_RUNTIME_THREADS")]
    pub runtime_threads: Option<usize>,
    /// Sandbox for application test suites, NOT for production: requests with unknown access
    /// keys act as the root of account 123456789012, and `POST /_iamd/sandbox/reset` on the
    /// HTTP port wipes all state. Refused on non-loopback addresses without
    /// --sandbox-allow-remote.
    #[arg(long, env = "IAMD_SANDBOX")]
    pub sandbox: bool,
    /// Append the audit trail (one JSON line per request, secrets replaced by their HMAC) to
    /// this file, created owner-only; reopened on SIGHUP (for logrotate).
    #[arg(long, env = "IAMD_AUDIT_FILE")]
    pub audit_file: Option<PathBuf>,
    /// Write the audit trail to standard output too.
    #[arg(long, env = "IAMD_AUDIT_STDOUT")]
    pub audit_stdout: bool,
    /// `open` (default): when no audit sink can record a request, serve it anyway, count
    /// iamd_audit_failures_total and log an error. `closed`: refuse every request with
    /// ServiceUnavailable until some sink records again. Needs --audit-file or --audit-stdout.
    #[arg(long, env = "IAMD_AUDIT_MODE")]
    pub audit_mode: Option<String>,
    /// Fail-closed: how long a request waits for a sink to write its line (default 2000).
    #[arg(long, env = "IAMD_AUDIT_TIMEOUT_MS")]
    pub audit_timeout_ms: Option<u64>,
    /// The event history (`iamctl audit lookup`) keeps at most this many changes (default
    /// 100000; give every node the same value: each change is pruned by the bounds of the
    /// node that proposed it).
    #[arg(long, env = "IAMD_EVENT_HISTORY_MAX_EVENTS")]
    pub event_history_max_events: Option<u64>,
    /// ...and none older than this many days (default 90).
    #[arg(long, env = "IAMD_EVENT_HISTORY_DAYS")]
    pub event_history_days: Option<u64>,
    /// Allow --sandbox on addresses other than loopback.
    #[arg(long, env = "IAMD_SANDBOX_ALLOW_REMOTE")]
    pub sandbox_allow_remote: bool,
    /// File holding the cluster's secret key (64 hex digits; the same on every node). It
    /// seals access-key secrets and token keys at rest. Alternatively IAMD_SECRET_KEY holds
    /// the hex itself. Default: `<data-dir>/secret.key`, which --bootstrap creates.
    #[arg(long, env = "IAMD_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// With --bootstrap: where to write the first account's root credentials (AWS
    /// credentials-file format, mode 0600) when the cluster creates them. Without it they
    /// are printed once on stderr.
    #[arg(long, env = "IAMD_ROOT_CREDENTIALS_FILE")]
    pub root_credentials_file: Option<PathBuf>,
    /// With --bootstrap, on a node without data: create the new cluster from this backup
    /// file (`iamctl snapshot save`) instead of empty. The cluster gets a new id; the file's
    /// secrets open only with the secret key of the cluster it was saved from.
    #[arg(long, env = "IAMD_RESTORE_FROM")]
    pub restore_from: Option<PathBuf>,
    /// Certificate chain (PEM) for TLS on the API and HTTP ports; with --tls-key. Re-read
    /// when the file changes (no restart needed to rotate it).
    #[arg(long, env = "IAMD_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, env = "IAMD_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Serve the API and HTTP ports without TLS on a non-loopback address. Access-key
    /// secrets, session credentials and passwords then cross the network in clear.
    #[arg(long, env = "IAMD_INSECURE_PLAINTEXT")]
    pub insecure_plaintext: bool,
    /// Peer-port certificate (PEM, valid for server and client use) from your own PKI; with
    /// --peer-key and --peer-ca. Without them, peers use mutual TLS under a CA derived from
    /// the cluster secret key. Files are re-read when they change.
    #[arg(long, env = "IAMD_PEER_CERT")]
    pub peer_cert: Option<PathBuf>,
    /// Private key (PEM) of --peer-cert.
    #[arg(long, env = "IAMD_PEER_KEY")]
    pub peer_key: Option<PathBuf>,
    /// CA bundle (PEM) other nodes' peer certificates must chain to. Several CAs may be
    /// listed (rotate a CA by adding the new one, moving certificates, removing the old).
    #[arg(long, env = "IAMD_PEER_CA")]
    pub peer_ca: Option<PathBuf>,
    /// Dial a peer address through another (comma separated `PEER=VIA`, both host:port):
    /// connections to the peer advertised as PEER go to VIA instead, with the peer's name
    /// still the one checked. For relays and for fault-injection tests, which put a proxy
    /// on each link between two nodes.
    #[arg(long, env = "IAMD_PEER_DIAL_VIA", value_delimiter = ',')]
    pub peer_dial_via: Vec<String>,
    /// DNS names or IPs (comma separated) a peer certificate must be valid for, one of
    /// them; default: the host dialed (servers: any certificate of the CA).
    #[arg(long, env = "IAMD_PEER_ALLOWED_NAMES", value_delimiter = ',')]
    pub peer_allowed_names: Vec<String>,
    /// Most open connections per port (all sources together).
    #[arg(long, env = "IAMD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Most open connections per port from one IP address.
    #[arg(long, env = "IAMD_MAX_CONNECTIONS_PER_SOURCE")]
    pub max_connections_per_source: Option<usize>,
    /// More names clients may address this node by (comma separated): a load balancer's or
    /// DNS name, `name` for any port or `name:port`. Signed requests must be addressed
    /// (Host, :authority) to one of the node's advertise or listen addresses or to one of
    /// these; `*` turns that check off.
    #[arg(long, env = "IAMD_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// Where to connect for an OpenID Connect issuer's host, `HOST=IP:PORT` (comma
    /// separated), as curl's `--resolve`: the issuer URL (and so the token's `iss`) keeps
    /// its name, and the address is the operator's choice (not checked against private
    /// ranges).
    #[arg(long, env = "IAMD_OIDC_RESOLVE", value_delimiter = ',')]
    pub oidc_resolve: Vec<String>,
    /// Let AssumeRoleWithWebIdentity fetch an identity provider's keys from loopback and
    /// private addresses found by DNS (an in-cluster issuer such as Kubernetes'). Link-local
    /// addresses (cloud metadata) are refused regardless.
    #[arg(long, env = "IAMD_OIDC_ALLOW_PRIVATE_NETWORKS")]
    pub oidc_allow_private_networks: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DevArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 3)]
    pub nodes: u32,
    /// Directory for the nodes' data, cluster.json and the iamctl profile.
    #[arg(long, default_value = "./iamd-dev")]
    pub dir: PathBuf,
    /// First port; node i uses base+10*(i-1) for its API, +1 for HTTP and +2 for peers.
    #[arg(long, default_value_t = 7100)]
    pub base_port: u16,
    /// Host to listen on (loopback only, for development).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Sandbox for application test suites (see `iamd serve --sandbox`): account
    /// 123456789012, unknown access keys act as its root, state can be reset over HTTP.
    #[arg(long)]
    pub sandbox: bool,
    /// Serve the API and HTTP ports over TLS: a CA and node certificates are made under
    /// <dir>/tls, and the iamctl profile and printed AWS CLI commands use them.
    #[arg(long)]
    pub tls: bool,
}
