//! `iamctl mfa ...`: virtual MFA devices. `create-virtual` prints the seed and the otpauth
//! URI once; `enable` and `resync` take two consecutive codes from the authenticator.

use super::{parse_tags, Ctx, PageArgs};
use clap::{Subcommand, ValueEnum};
use iam_state::ops::mfa::{MfaOp, MfaQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AssignmentArg {
    Assigned,
    Unassigned,
    Any,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MfaCmd {
    /// Create a virtual MFA device; prints its serial number, base32 seed and otpauth URI.
    CreateVirtual {
        /// The device name (unique in the account).
        #[arg(long = "virtual-mfa-device-name", visible_alias = "name")]
        name: String,
        #[arg(long, default_value = "/")]
        path: String,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Enable a device for a user with two consecutive codes.
    Enable {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        serial_number: String,
        #[arg(long)]
        authentication_code1: String,
        #[arg(long)]
        authentication_code2: String,
    },
    /// Resynchronize a user's device with two consecutive fresh codes.
    Resync {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        serial_number: String,
        #[arg(long)]
        authentication_code1: String,
        #[arg(long)]
        authentication_code2: String,
    },
    /// Disable a device for its user.
    Deactivate {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        serial_number: String,
    },
    /// Delete a virtual MFA device (deactivate it first).
    DeleteVirtual {
        #[arg(long)]
        serial_number: String,
    },
    /// List the MFA devices enabled for a user.
    List {
        #[arg(long)]
        user_name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// List the account's virtual MFA devices.
    ListVirtual {
        #[arg(long, value_enum, default_value = "any")]
        assignment_status: AssignmentArg,
        #[command(flatten)]
        paging: PageArgs,
    },
}

/// A code flag must be six digits (checked here so a typo fails fast with exit 2).
fn code(flag: &str, v: String) -> anyhow::Result<String> {
    if v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v)
    } else {
        anyhow::bail!("{flag} {v:?} must be the 6 digits the authenticator shows")
    }
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: MfaCmd) -> anyhow::Result<u8> {
    match cmd {
        MfaCmd::CreateVirtual { name, path, tags } => {
            let op = MfaOp::CreateVirtual {
                name,
                path,
                tags: parse_tags("--tag", &tags)?,
                seed: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(
                &v,
                &[
                    "serial_number",
                    "base32_string_seed",
                    "qr_code_uri",
                    "created_ms",
                ],
            );
        }
        MfaCmd::Enable {
            user_name,
            serial_number,
            authentication_code1,
            authentication_code2,
        } => {
            let op = MfaOp::Enable {
                user_name,
                serial_number,
                authentication_code1: code("--authentication-code1", authentication_code1)?,
                authentication_code2: code("--authentication-code2", authentication_code2)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        MfaCmd::Resync {
            user_name,
            serial_number,
            authentication_code1,
            authentication_code2,
        } => {
            let op = MfaOp::Resync {
                user_name,
                serial_number,
                authentication_code1: code("--authentication-code1", authentication_code1)?,
                authentication_code2: code("--authentication-code2", authentication_code2)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        MfaCmd::Deactivate {
            user_name,
            serial_number,
        } => {
            let op = MfaOp::Deactivate {
                user_name,
                serial_number,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        MfaCmd::DeleteVirtual { serial_number } => {
            let v = ctx.write(MfaOp::DeleteVirtual { serial_number }).await?;
            ctx.done(&v);
        }
        MfaCmd::List { user_name, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    MfaQuery::List {
                        user_name: user_name.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["serial_number", "user_name", "enable_ms"]);
        }
        MfaCmd::ListVirtual {
            assignment_status,
            paging,
        } => {
            let status = match assignment_status {
                AssignmentArg::Assigned => "Assigned",
                AssignmentArg::Unassigned => "Unassigned",
                AssignmentArg::Any => "Any",
            };
            let v = ctx
                .read_all(&paging, |page| {
                    MfaQuery::ListVirtual {
                        assignment_status: Some(status.to_owned()),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(
                &v,
                &["serial_number", "user_name", "enable_ms", "created_ms"],
            );
        }
    }
    Ok(0)
}
