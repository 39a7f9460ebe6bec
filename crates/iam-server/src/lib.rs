//! The iamd node: configuration, lifecycle, the public gRPC API, HTTP health and metrics, and
//! the `iamd dev` local cluster.
//!
//! This is the only crate that turns business and Raft errors into `tonic::Status`
//! ([`status`]), and the only one that reads the clock or draws randomness for commands.

pub mod api;
mod api_authz;
mod api_cluster;
mod api_sts;
pub mod auth;
mod aws_http;
mod bootstrap;
pub mod cli;
pub mod config;
pub mod dev;
mod http;
mod lifecycle;
mod login;
pub mod password;
pub mod status;
mod sts;
mod trust;

pub use lifecycle::{run, Shutdown};

use anyhow::Context;

/// `iamd serve`: parse the config, set up logging, run until SIGTERM/SIGINT.
pub async fn serve_main(args: cli::ServeArgs) -> anyhow::Result<()> {
    let config = config::ServeConfig::from_args(args)?;
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
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
