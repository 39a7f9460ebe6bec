//! `iamctl mfa ...`: virtual MFA devices. `create-virtual` prints the seed and the otpauth
//! URI once; `enable` and `resync` take two consecutive codes from the authenticator.

use super::{parse_tags, Ctx, PageArgs};
use clap::{Args, Subcommand, ValueEnum};
use iam_state::ops::mfa::{MfaOp, MfaQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AssignmentArg {
    Assigned,
    Unassigned,
    Any,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MfaCmd {
    /// Create a virtual MFA device; prints its serial number, base32 seed and otpauth URI
    /// (and, with --outfile, writes the QR code PNG or the seed there, as the AWS CLI does).
    CreateVirtual {
        /// The device name (unique in the account).
        #[arg(long = "virtual-mfa-device-name", visible_alias = "name")]
        name: String,
        #[arg(long, default_value = "/")]
        path: String,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Write the bootstrap material to this file (created readable by the owner only).
        #[arg(long, requires = "bootstrap_method")]
        outfile: Option<std::path::PathBuf>,
        /// What --outfile gets: the QR code as a PNG, or the base32 seed.
        #[arg(long, value_enum, requires = "outfile")]
        bootstrap_method: Option<BootstrapMethod>,
    },
    /// Enable a device for a user with two consecutive codes.
    Enable {
        #[command(flatten)]
        owner: Owner,
        #[arg(long)]
        serial_number: String,
        #[arg(long)]
        authentication_code1: String,
        #[arg(long)]
        authentication_code2: String,
    },
    /// Resynchronize a user's device with two consecutive fresh codes.
    Resync {
        #[command(flatten)]
        owner: Owner,
        #[arg(long)]
        serial_number: String,
        #[arg(long)]
        authentication_code1: String,
        #[arg(long)]
        authentication_code2: String,
    },
    /// Disable a device for its user.
    Deactivate {
        #[command(flatten)]
        owner: Owner,
        #[arg(long)]
        serial_number: String,
    },
    /// Delete a virtual MFA device (deactivate it first).
    DeleteVirtual {
        #[arg(long)]
        serial_number: String,
    },
    /// Show one MFA device enabled for a user (serial, user, enable date).
    Get {
        #[command(flatten)]
        owner: Owner,
        #[arg(long)]
        serial_number: String,
    },
    /// Add or replace tags on a virtual MFA device.
    Tag {
        #[arg(long)]
        serial_number: String,
        /// Tags as Key=k,Value=v or k=v (repeatable, at least one).
        #[arg(long = "tag", required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a virtual MFA device (absent keys are ignored).
    Untag {
        #[arg(long)]
        serial_number: String,
        /// Tag key to remove (repeatable, at least one).
        #[arg(long = "tag-key", required = true)]
        tag_keys: Vec<String>,
    },
    /// List a virtual MFA device's tags.
    ListTags {
        #[arg(long)]
        serial_number: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// List the MFA devices enabled for a user.
    List {
        #[command(flatten)]
        owner: Owner,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BootstrapMethod {
    #[value(name = "QRCodePNG")]
    QrCodePng,
    #[value(name = "Base32StringSeed")]
    Base32StringSeed,
}

/// Writes a new device's QR code PNG or seed to `path` (owner-only: it is the device's
/// secret).
fn write_bootstrap(
    path: &std::path::Path,
    method: BootstrapMethod,
    v: &serde_json::Value,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use base64::Engine;
    let bytes = match method {
        BootstrapMethod::QrCodePng => {
            let b64 = v["qr_code_png"]
                .as_str()
                .context("the service sent no QR code")?;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .context("the service sent a QR code that is not base64")?
        }
        BootstrapMethod::Base32StringSeed => v["base32_string_seed"]
            .as_str()
            .context("the service sent no seed")?
            .as_bytes()
            .to_vec(),
    };
    super::write_private(path, &bytes)
}

/// Whose device: a user's (`--user-name`) or the account root's (`--root`).
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Owner {
    /// The IAM user the device is for.
    #[arg(long)]
    user_name: Option<String>,
    /// The account root (only with the root's own credentials).
    #[arg(long)]
    root: bool,
}

impl Owner {
    fn name(self) -> String {
        if self.root {
            iam_state::ops::mfa::ROOT.to_owned()
        } else {
            self.user_name.unwrap_or_default()
        }
    }
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
        MfaCmd::CreateVirtual {
            name,
            path,
            tags,
            outfile,
            bootstrap_method,
        } => {
            let op = MfaOp::CreateVirtual {
                name,
                path,
                tags: parse_tags("--tag", &tags)?,
                seed: String::new(),
            };
            let v = ctx.write(op).await?;
            // Shown first: were the file not writable, the seed must not be lost.
            ctx.show(
                &v,
                &[
                    "serial_number",
                    "base32_string_seed",
                    "qr_code_uri",
                    "created_ms",
                ],
            );
            if let (Some(file), Some(method)) = (&outfile, bootstrap_method) {
                write_bootstrap(file, method, &v)?;
            }
        }
        MfaCmd::Enable {
            owner,
            serial_number,
            authentication_code1,
            authentication_code2,
        } => {
            let op = MfaOp::Enable {
                user_name: owner.name(),
                serial_number,
                authentication_code1: code("--authentication-code1", authentication_code1)?,
                authentication_code2: code("--authentication-code2", authentication_code2)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        MfaCmd::Resync {
            owner,
            serial_number,
            authentication_code1,
            authentication_code2,
        } => {
            let op = MfaOp::Resync {
                user_name: owner.name(),
                serial_number,
                authentication_code1: code("--authentication-code1", authentication_code1)?,
                authentication_code2: code("--authentication-code2", authentication_code2)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        MfaCmd::Deactivate {
            owner,
            serial_number,
        } => {
            let op = MfaOp::Deactivate {
                user_name: owner.name(),
                serial_number,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        MfaCmd::DeleteVirtual { serial_number } => {
            let v = ctx.write(MfaOp::DeleteVirtual { serial_number }).await?;
            ctx.done(&v);
        }
        MfaCmd::Get {
            owner,
            serial_number,
        } => {
            let v = ctx
                .read(MfaQuery::Get {
                    user_name: owner.name(),
                    serial_number,
                })
                .await?;
            ctx.show(&v, &["serial_number", "user_name", "enable_ms"]);
        }
        MfaCmd::Tag {
            serial_number,
            tags,
        } => {
            let tags = parse_tags("--tag", &tags)?;
            let v = ctx
                .write(MfaOp::Tag {
                    serial_number,
                    tags,
                })
                .await?;
            ctx.done(&v);
        }
        MfaCmd::Untag {
            serial_number,
            tag_keys,
        } => {
            let op = MfaOp::Untag {
                serial_number,
                tag_keys,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        MfaCmd::ListTags {
            serial_number,
            paging,
        } => {
            let v = ctx
                .read_all(&paging, |page| {
                    MfaQuery::ListTags {
                        serial_number: serial_number.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, super::user::TAG_COLUMNS);
        }
        MfaCmd::List { owner, paging } => {
            let user_name = owner.name();
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
