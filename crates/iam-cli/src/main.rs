//! `iamctl`: the admin CLI for iamd.
//!
//! Exit codes: 0 done; 1 refused by the service (denied, not found, conflict, limit,
//! invalid input) or, for offline policy commands, a policy with errors; 2 usage,
//! connection or internal error.

mod agent;
mod args;
mod cmd;
mod credentials;
mod nouns;
mod output;
mod policy_cmd;
mod profile;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("iamctl: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(cmd::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("iamctl: error: {e:#}");
            if matches!(
                e.downcast_ref::<iam_client::ClientError>(),
                Some(iam_client::ClientError::Refused { code, .. }) if code == "MissingAuthenticationToken"
            ) {
                eprintln!(
                    "iamctl: no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
                     AWS_PROFILE (in AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), or \
                     credentials_file in the iamctl profile (`iamd dev` writes one)"
                );
            }
            if e.downcast_ref::<nouns::snapshot::SnapshotRefused>()
                .is_some()
            {
                return ExitCode::from(1);
            }
            ExitCode::from(
                e.downcast_ref::<iam_client::ClientError>()
                    .map_or(2, |c| c.exit_code()),
            )
        }
    }
}
