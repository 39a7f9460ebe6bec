//! `iamctl login-profile ...`: console passwords of IAM users. The password travels to the
//! server, which hashes it before it enters the log.

use super::Ctx;
use anyhow::{bail, Context};
use clap::Subcommand;
use iam_state::ops::login_profiles::{LoginProfileOp, LoginProfileQuery};

#[derive(Debug, Subcommand)]
pub(crate) enum LoginProfileCmd {
    /// Give a user a console password.
    Create {
        #[arg(long)]
        user_name: String,
        /// The password, or `-` to read one line from standard input.
        #[arg(long)]
        password: String,
        /// Make the user choose a new password at the next sign-in.
        #[arg(long)]
        password_reset_required: bool,
    },
    /// Show a user's login profile (never the password).
    Get {
        #[arg(long)]
        user_name: String,
    },
    /// Change a user's password and/or the reset-required flag.
    Update {
        #[arg(long)]
        user_name: String,
        /// The new password, or `-` to read one line from standard input.
        #[arg(long)]
        password: Option<String>,
        #[arg(long, conflicts_with = "no_password_reset_required")]
        password_reset_required: bool,
        #[arg(long)]
        no_password_reset_required: bool,
    },
    /// Remove a user's console password.
    Delete {
        #[arg(long)]
        user_name: String,
    },
}

/// `--password -` reads a line from standard input (keeps it out of shell history).
fn password_arg(arg: String) -> anyhow::Result<String> {
    if arg != "-" {
        return Ok(arg);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("--password -: cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        bail!("--password -: standard input held no password");
    }
    Ok(pw)
}

const FIELDS: &[&str] = &[
    "user_name",
    "created_ms",
    "password_reset_required",
    "password_last_changed_ms",
];

pub(crate) async fn run(ctx: &mut Ctx, cmd: LoginProfileCmd) -> anyhow::Result<u8> {
    match cmd {
        LoginProfileCmd::Create {
            user_name,
            password,
            password_reset_required,
        } => {
            let op = LoginProfileOp::Create {
                user_name,
                password: password_arg(password)?,
                password_reset_required,
                facts: None,
                password_hash: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        LoginProfileCmd::Get { user_name } => {
            let v = ctx.read(LoginProfileQuery::Get { user_name }).await?;
            ctx.show(&v, FIELDS);
        }
        LoginProfileCmd::Update {
            user_name,
            password,
            password_reset_required,
            no_password_reset_required,
        } => {
            let reset = match (password_reset_required, no_password_reset_required) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            if password.is_none() && reset.is_none() {
                bail!("nothing to update: pass --password and/or --password-reset-required / --no-password-reset-required");
            }
            let op = LoginProfileOp::Update {
                user_name,
                password: password.map(password_arg).transpose()?,
                password_reset_required: reset,
                facts: None,
                password_hash: None,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        LoginProfileCmd::Delete { user_name } => {
            let v = ctx.write(LoginProfileOp::Delete { user_name }).await?;
            ctx.done(&v);
        }
    }
    Ok(0)
}
