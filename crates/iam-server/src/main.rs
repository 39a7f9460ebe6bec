//! `iamd`: run a node (`iamd serve`) or a local development cluster (`iamd dev`).

use clap::Parser;
use iam_server::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("iamd: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => iam_server::serve_main(*args).await,
            Command::Dev(args) => iam_server::dev::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iamd: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
