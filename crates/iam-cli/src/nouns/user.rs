//! `iamctl user ...`: IAM users.

use super::{parse_tags, Ctx, PageArgs};
use clap::Subcommand;
use iam_state::ops::users::{UserOp, UserQuery};

#[derive(Debug, Subcommand)]
pub(crate) enum UserCmd {
    /// Create a user.
    Create {
        name: String,
        #[arg(long, default_value = "/")]
        path: String,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// ARN of a managed policy to use as the permissions boundary.
        #[arg(long)]
        permissions_boundary: Option<String>,
    },
    /// Show a user.
    Get { name: String },
    /// List users (all pages unless --no-paginate).
    List {
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Delete a user (refused while it has keys, groups, policies or a login profile).
    Delete { name: String },
}

const FIELDS: &[&str] = &[
    "name",
    "id",
    "arn",
    "path",
    "created_ms",
    "permissions_boundary",
];

pub(crate) async fn run(ctx: &mut Ctx, cmd: UserCmd) -> anyhow::Result<u8> {
    match cmd {
        UserCmd::Create {
            name,
            path,
            tags,
            permissions_boundary,
        } => {
            let op = UserOp::Create {
                name,
                path,
                tags: parse_tags("--tag", &tags)?,
                permissions_boundary,
                user_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        UserCmd::Get { name } => {
            let v = ctx.read(UserQuery::Get { name }).await?;
            ctx.show(&v, FIELDS);
        }
        UserCmd::List {
            path_prefix,
            paging,
        } => {
            let v = ctx
                .read_all(&paging, |page| {
                    UserQuery::List {
                        path_prefix: path_prefix.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["name", "id", "path", "arn"]);
        }
        UserCmd::Delete { name } => {
            let v = ctx.write(UserOp::Delete { name }).await?;
            ctx.done(&v);
        }
    }
    Ok(0)
}
