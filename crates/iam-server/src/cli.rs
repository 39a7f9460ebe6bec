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
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// TOML config file; its keys are the flag names with `_` for `-` (node_id, data_dir, ...).
    #[arg(long, env = "IAMD_CONFIG")]
    pub config: Option<PathBuf>,
    /// This node's id (a positive integer, unique in the cluster, never reused).
    #[arg(long, env = "IAMD_NODE_ID")]
    pub node_id: Option<u64>,
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
}
