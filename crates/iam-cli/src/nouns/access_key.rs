//! `iamctl access-key ...`: access keys of IAM users (at most two per user). The secret is
//! shown once, by `create`.

use super::{Ctx, PageArgs};
use clap::{Subcommand, ValueEnum};
use iam_state::ops::access_keys::{AccessKeyOp, AccessKeyQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusArg {
    Active,
    Inactive,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AccessKeyCmd {
    /// Create an access key for a user (or, without --user-name, for the account root: root
    /// credentials only); prints the secret (the only time it is shown).
    Create {
        #[arg(long)]
        user_name: Option<String>,
    },
    /// List a user's access keys (metadata only).
    List {
        #[arg(long)]
        user_name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Activate or deactivate a key.
    Update {
        #[arg(long)]
        access_key_id: String,
        #[arg(long, value_enum, ignore_case = true)]
        status: StatusArg,
        /// The key's user (default: whichever user of the account owns it).
        #[arg(long)]
        user_name: Option<String>,
    },
    /// Delete a key.
    Delete {
        #[arg(long)]
        access_key_id: String,
        #[arg(long)]
        user_name: Option<String>,
    },
    /// When, where and for what service a key was last used (GetAccessKeyLastUsed).
    LastUsed {
        #[arg(long)]
        access_key_id: String,
    },
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: AccessKeyCmd) -> anyhow::Result<u8> {
    match cmd {
        AccessKeyCmd::Create { user_name } => {
            let op = AccessKeyOp::Create {
                user_name: user_name.unwrap_or_default(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(
                &v,
                &[
                    "user_name",
                    "access_key_id",
                    "secret_access_key",
                    "status",
                    "created_ms",
                ],
            );
        }
        AccessKeyCmd::List { user_name, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    AccessKeyQuery::List {
                        user_name: user_name.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["access_key_id", "status", "created_ms", "user_name"]);
        }
        AccessKeyCmd::Update {
            access_key_id,
            status,
            user_name,
        } => {
            let status = match status {
                StatusArg::Active => "Active",
                StatusArg::Inactive => "Inactive",
            };
            let op = AccessKeyOp::Update {
                user_name,
                access_key_id,
                status: status.to_owned(),
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        AccessKeyCmd::Delete {
            access_key_id,
            user_name,
        } => {
            let op = AccessKeyOp::Delete {
                user_name,
                access_key_id,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        AccessKeyCmd::LastUsed { access_key_id } => {
            let v = ctx
                .read(AccessKeyQuery::GetLastUsed { access_key_id })
                .await?;
            ctx.show(&v, &["user_name", "last_used_ms", "service_name", "region"]);
        }
    }
    Ok(0)
}
