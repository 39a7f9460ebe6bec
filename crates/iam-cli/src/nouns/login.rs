//! `iamctl login`: a console-style sign-in (account id or alias, user name, password, MFA
//! code) that saves the session credentials it gets as a profile of the AWS credentials file,
//! where iamctl, the AWS CLI and the SDKs find them (`AWS_PROFILE`).
//!
//! The password is read from the terminal without echo, or with `--password-stdin` from the
//! first line of standard input (the new password, when one is needed, from the next line).

use super::Ctx;
use anyhow::{bail, Context};
use clap::Args;
use iam_proto::v1::LoginRequest;
use serde_json::json;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The IAM user to sign in as (the account comes from the global --account: its
    /// 12-digit id or its alias).
    #[arg(long)]
    user_name: String,
    /// The current code of the user's MFA device.
    #[arg(long)]
    mfa_code: Option<String>,
    /// Choose a new password while signing in (required when the password must change).
    #[arg(long)]
    new_password: bool,
    /// Read the password (and then the new password) from standard input, one per line.
    #[arg(long)]
    password_stdin: bool,
    /// Session length in seconds (900-129600; default 12 hours).
    #[arg(long)]
    duration_seconds: Option<u32>,
    /// The credentials-file profile to save the session as (default: $AWS_PROFILE or
    /// `default`).
    #[arg(long)]
    save_as: Option<String>,
    /// The credentials file to save into (default: $AWS_SHARED_CREDENTIALS_FILE or
    /// ~/.aws/credentials).
    #[arg(long)]
    credentials_file: Option<PathBuf>,
}

/// Reads the passwords: from stdin lines, or prompted on the terminal.
fn passwords(a: &LoginArgs) -> anyhow::Result<(String, String)> {
    let strip = |mut s: String| {
        while s.ends_with('\n') || s.ends_with('\r') {
            s.pop();
        }
        s
    };
    if a.password_stdin {
        let stdin = std::io::stdin();
        let mut lines = stdin.lock().lines();
        let mut next = |what: &str| -> anyhow::Result<String> {
            match lines.next() {
                Some(l) => Ok(strip(l.context("cannot read standard input")?)),
                None => bail!("--password-stdin: standard input ended before the {what}"),
            }
        };
        let password = next("password")?;
        let new = if a.new_password {
            next("new password")?
        } else {
            String::new()
        };
        return Ok((password, new));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password on: pass --password-stdin and write it to standard input");
    }
    let password = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let new = if a.new_password {
        let one =
            rpassword::prompt_password("New password: ").context("cannot read the new password")?;
        let two = rpassword::prompt_password("New password again: ")
            .context("cannot read the new password")?;
        if one != two {
            bail!("the two new passwords differ");
        }
        one
    } else {
        String::new()
    };
    Ok((password, new))
}

fn credentials_path(a: &LoginArgs) -> anyhow::Result<PathBuf> {
    if let Some(p) = &a.credentials_file {
        return Ok(p.clone());
    }
    let non_empty = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let Some(p) = non_empty("AWS_SHARED_CREDENTIALS_FILE") {
        return Ok(PathBuf::from(p));
    }
    match non_empty("HOME") {
        Some(h) => Ok(Path::new(&h).join(".aws/credentials")),
        None => bail!("no HOME to find ~/.aws/credentials in: pass --credentials-file"),
    }
}

pub(crate) async fn run(ctx: &mut Ctx, a: LoginArgs) -> anyhow::Result<u8> {
    let Some(account) = ctx.account.clone().filter(|s| !s.trim().is_empty()) else {
        bail!("which account? pass --account with the account's 12-digit id or alias");
    };
    if let Some(code) = &a.mfa_code {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            bail!("--mfa-code {code:?} must be the 6 digits the device shows");
        }
    }
    let path = credentials_path(&a)?;
    let profile = a
        .save_as
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "default".to_owned());
    if profile.contains(['[', ']', '\n']) {
        bail!("--save-as {profile:?} is not a usable profile name");
    }
    let (password, new_password) = passwords(&a)?;
    let req = LoginRequest {
        account,
        user_name: a.user_name.clone(),
        password,
        mfa_code: a.mfa_code.clone().unwrap_or_default(),
        new_password,
        duration_seconds: a.duration_seconds.unwrap_or(0),
    };
    let r = ctx
        .client()?
        .call(|mut c, _| {
            let req = req.clone();
            async move { c.login(req).await }
        })
        .await?;
    let c = r
        .credentials
        .context("the service answered without credentials")?;
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let expiration = super::sts::iso8601(c.expiration_ms);
    let text = iam_client::with_profile(
        &old,
        &profile,
        &[
            ("aws_access_key_id", &c.access_key_id),
            ("aws_secret_access_key", &c.secret_access_key),
            ("aws_session_token", &c.session_token),
            ("aws_session_expiration", &expiration),
        ],
    );
    super::write_private(&path, text.as_bytes())?;
    let v = json!({
        "arn": r.arn,
        "account": r.account,
        "profile": profile,
        "credentials_file": path.display().to_string(),
        "expiration": expiration,
        "mfa_authenticated": r.mfa_authenticated,
        "password_changed": r.password_changed,
        "password_expires": if r.password_expires_ms == 0 {
            json!(null)
        } else {
            json!(super::sts::iso8601(r.password_expires_ms))
        },
    });
    ctx.show(
        &v,
        &[
            "arn",
            "profile",
            "credentials_file",
            "expiration",
            "mfa_authenticated",
            "password_changed",
            "password_expires",
        ],
    );
    if std::env::var("AWS_PROFILE")
        .ok()
        .as_deref()
        .unwrap_or("default")
        != profile
    {
        eprintln!("To use the session: export AWS_PROFILE={profile}");
    }
    Ok(0)
}
