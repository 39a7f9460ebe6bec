//! The iamd node: configuration, lifecycle, the service core every request runs through
//! ([`api`]), its transports — gRPC ([`grpc`]) and the AWS Query API and STS on the HTTP
//! port (`aws_http`) — HTTP health and metrics, and the `iamd dev` local cluster.
//!
//! The core answers `IamError`s ([`errors`]); only [`grpc`] knows tonic and the proto types
//! (turning errors into `tonic::Status` in [`grpc::status`]), only `iam_aws` knows XML. This
//! is the only crate that reads the clock or draws randomness for commands.

pub mod api;
pub mod audit;
pub mod auth;
mod aws_http;
pub mod backups;
mod bootstrap;
pub mod cert;
pub mod cli;
mod cluster_admin;
pub mod config;
mod decide;
pub mod dev;
pub mod errors;
pub mod grpc;
mod health;
mod http;
mod lifecycle;
pub mod listen;
mod login;
mod metrics;
mod mfa;
pub mod password;
mod password_change;
mod request_token;
mod restore;
mod sandbox;
mod sts;
mod trust;

pub use lifecycle::{run, Shutdown};

/// This server's Raft node: iam-raft's facade over the RocksDB state machine.
pub type RaftNode = iam_raft::RaftNode<iam_storage::RocksStateMachine>;

use anyhow::Context;

/// `iamd serve`: parse the config, set up logging, run until SIGTERM/SIGINT.
/// The async runtime for a node with `threads` runtime threads (see `--runtime-threads`):
/// 0 is tokio's default of one worker per core; 1 is a single-threaded runtime, which has no
/// cross-thread wake-ups or work stealing (measured: ~15% more writes per second when three
/// nodes share two cores, `bench/RESULTS.md`); more is a multi-threaded runtime of that many.
pub fn build_runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match threads {
        1 => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    if threads > 1 {
        builder.worker_threads(threads);
    }
    builder.enable_all().build()
}

pub async fn serve_main(config: config::ServeConfig) -> anyhow::Result<()> {
    init_logging(config.log_format);
    let shutdown = Shutdown::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received, draining");
        trigger.trigger();
    });
    run(config, shutdown)
        .await
        .context("node stopped with an error")
}

fn init_logging(format: config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("IAMD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        config::LogFormat::Json => builder.json().try_init(),
        config::LogFormat::Text => builder.try_init(),
    };
}

pub(crate) async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Milliseconds since the Unix epoch (the proposer's clock; apply never reads a clock).
/// Every wall-clock read of the server goes through here (see `iam_raft::clock`).
pub fn now_ms() -> u64 {
    iam_raft::clock::now_ms()
}

#[cfg(test)]
mod tests {
    use tokio::runtime::RuntimeFlavor;

    #[test]
    fn runtime_threads_choose_the_runtime() {
        let one = super::build_runtime(1).unwrap();
        assert_eq!(one.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
        let three = super::build_runtime(3).unwrap();
        assert_eq!(three.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
        assert_eq!(three.metrics().num_workers(), 3);
        let per_core = super::build_runtime(0).unwrap();
        assert_eq!(
            per_core.handle().runtime_flavor(),
            RuntimeFlavor::MultiThread
        );
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(per_core.metrics().num_workers(), cores);
        // Blocking work still has its pool on a single-threaded runtime.
        assert_eq!(
            one.block_on(async { tokio::task::spawn_blocking(|| 7).await.unwrap() }),
            7
        );
    }
}
