//! `iamctl ssh-key ...`: SSH public keys of IAM users (`ssh-rsa` or PEM RSA keys of at
//! least 2048 bits, at most five per user).

use super::access_key::StatusArg;
use super::{Ctx, PageArgs};
use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use iam_state::ops::ssh_keys::{SshKeyOp, SshKeyQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EncodingArg {
    /// OpenSSH (`ssh-rsa AAAA…`).
    Ssh,
    /// PEM (`-----BEGIN PUBLIC KEY-----`).
    Pem,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SshKeyCmd {
    /// Upload a user's SSH public key (`ssh-rsa AAAA…` or PEM); prints its id and
    /// fingerprint.
    Upload {
        #[arg(long)]
        user_name: String,
        /// The key itself.
        #[arg(
            long,
            visible_alias = "ssh-public-key-body",
            conflicts_with = "body_file",
            required_unless_present = "body_file"
        )]
        body: Option<String>,
        /// A file holding the key (e.g. ~/.ssh/id_rsa.pub).
        #[arg(long)]
        body_file: Option<std::path::PathBuf>,
    },
    /// Show a key, its body in OpenSSH (default) or PEM encoding.
    Get {
        #[arg(long)]
        user_name: String,
        #[arg(long, visible_alias = "ssh-public-key-id")]
        key_id: String,
        #[arg(long, value_enum, ignore_case = true, default_value = "ssh")]
        encoding: EncodingArg,
    },
    /// List a user's SSH public keys (metadata only).
    List {
        #[arg(long)]
        user_name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Activate or deactivate a key.
    Update {
        #[arg(long)]
        user_name: String,
        #[arg(long, visible_alias = "ssh-public-key-id")]
        key_id: String,
        #[arg(long, value_enum, ignore_case = true)]
        status: StatusArg,
    },
    /// Delete a key.
    Delete {
        #[arg(long)]
        user_name: String,
        #[arg(long, visible_alias = "ssh-public-key-id")]
        key_id: String,
    },
}

const FIELDS: &[&str] = &[
    "ssh_public_key_id",
    "user_name",
    "fingerprint",
    "status",
    "upload_ms",
    "body",
];

pub(crate) async fn run(ctx: &mut Ctx, cmd: SshKeyCmd) -> anyhow::Result<u8> {
    match cmd {
        SshKeyCmd::Upload {
            user_name,
            body,
            body_file,
        } => {
            let body = match (body, body_file) {
                (Some(b), _) => b,
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
                (None, None) => anyhow::bail!("--body or --body-file is required"),
            };
            let op = SshKeyOp::Upload {
                user_name,
                body,
                ssh_public_key_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        SshKeyCmd::Get {
            user_name,
            key_id,
            encoding,
        } => {
            let encoding = match encoding {
                EncodingArg::Ssh => "SSH",
                EncodingArg::Pem => "PEM",
            };
            let v = ctx
                .read(SshKeyQuery::Get {
                    user_name,
                    ssh_public_key_id: key_id,
                    encoding: encoding.to_owned(),
                })
                .await?;
            ctx.show(&v, FIELDS);
        }
        SshKeyCmd::List { user_name, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    SshKeyQuery::List {
                        user_name: user_name.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(
                &v,
                &["ssh_public_key_id", "status", "upload_ms", "user_name"],
            );
        }
        SshKeyCmd::Update {
            user_name,
            key_id,
            status,
        } => {
            let status = match status {
                StatusArg::Active => "Active",
                StatusArg::Inactive => "Inactive",
            };
            let op = SshKeyOp::Update {
                user_name,
                ssh_public_key_id: key_id,
                status: status.to_owned(),
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        SshKeyCmd::Delete { user_name, key_id } => {
            let op = SshKeyOp::Delete {
                user_name,
                ssh_public_key_id: key_id,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Noun};
    use clap::Parser;

    #[test]
    fn ssh_key_commands_parse() {
        let cli = Cli::try_parse_from([
            "iamctl",
            "ssh-key",
            "upload",
            "--user-name",
            "bob",
            "--body",
            "ssh-rsa AAAA",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::SshKey(SshKeyCmd::Upload { ref body, .. }) if body.as_deref() == Some("ssh-rsa AAAA")
        ));
        let cli = Cli::try_parse_from([
            "iamctl",
            "ssh-key",
            "get",
            "--user-name",
            "bob",
            "--ssh-public-key-id",
            "APKAEXAMPLE",
            "--encoding",
            "PEM",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::SshKey(SshKeyCmd::Get {
                encoding: EncodingArg::Pem,
                ..
            })
        ));
        // An upload names a key; a body and a file are not both given.
        assert!(
            Cli::try_parse_from(["iamctl", "ssh-key", "upload", "--user-name", "bob"]).is_err()
        );
        assert!(Cli::try_parse_from([
            "iamctl",
            "ssh-key",
            "upload",
            "--user-name",
            "bob",
            "--body",
            "x",
            "--body-file",
            "f",
        ])
        .is_err());
    }
}
