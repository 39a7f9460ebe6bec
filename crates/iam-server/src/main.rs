//! `iamd`: run a node (`iamd serve`) or a local development cluster (`iamd dev`).

use clap::Parser;
use iam_server::cli::{Cli, Command};
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: at 64 concurrent writers, allocation and free were
/// ~19% of a node's CPU with glibc (`bench/RESULTS.md`, tenth session).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Everything a node or `iamd dev` creates (RocksDB's files, the journal, snapshots,
    // node.json, secret.key, credentials files, cluster.json) is the owner's alone: 0600
    // files in 0700 directories. Set before any thread or file exists.
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    // A node's configuration decides its runtime, so it is read before the runtime starts.
    let (threads, task) = match cli.command {
        Command::Serve(args) => match iam_server::config::ServeConfig::from_args(*args) {
            Ok(config) => (config.runtime_threads, Task::Serve(Box::new(config))),
            Err(e) => return fail(&e),
        },
        Command::Dev(args) => (0, Task::Dev(args)),
        Command::Cert(cmd) => {
            return match iam_server::cert::run(cmd) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
        Command::AuditHash(args) => {
            return match iam_server::audit::hash_command(&args) {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
    };
    let runtime = match iam_server::build_runtime(threads) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("iamd: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match task {
            Task::Serve(config) => iam_server::serve_main(*config).await,
            Task::Dev(args) => iam_server::dev::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

enum Task {
    Serve(Box<iam_server::config::ServeConfig>),
    Dev(iam_server::cli::DevArgs),
}

fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("iamd: error: {e:#}");
    ExitCode::from(2)
}
