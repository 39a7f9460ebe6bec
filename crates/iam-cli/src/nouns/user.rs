//! `iamctl user ...`: IAM users (create, get, list, update, delete, tags).

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
    /// Rename a user and/or move it to another path (its keys, groups, policies and MFA
    /// devices follow).
    Update {
        name: String,
        #[arg(long)]
        new_name: Option<String>,
        #[arg(long)]
        new_path: Option<String>,
    },
    /// Delete a user (refused while it has keys, groups, policies or a login profile).
    Delete { name: String },
    /// Add or replace tags on a user.
    Tag {
        name: String,
        /// Tags as Key=k,Value=v or k=v (repeatable, at least one).
        #[arg(long = "tag", required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a user (absent keys are ignored).
    Untag {
        name: String,
        /// Tag key to remove (repeatable, at least one).
        #[arg(long = "tag-key", required = true)]
        tag_keys: Vec<String>,
    },
    /// List a user's tags.
    ListTags {
        name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
}

const FIELDS: &[&str] = &[
    "name",
    "id",
    "arn",
    "path",
    "created_ms",
    "permissions_boundary",
    "groups",
];

/// Columns of a tag list.
pub(super) const TAG_COLUMNS: &[&str] = &["key", "value"];

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
        UserCmd::Update {
            name,
            new_name,
            new_path,
        } => {
            if new_name.is_none() && new_path.is_none() {
                anyhow::bail!("user update: pass --new-name and/or --new-path");
            }
            let op = UserOp::Update {
                name,
                new_name,
                new_path,
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        UserCmd::Delete { name } => {
            let v = ctx.write(UserOp::Delete { name }).await?;
            ctx.done(&v);
        }
        UserCmd::Tag { name, tags } => {
            let tags = parse_tags("--tag", &tags)?;
            let v = ctx.write(UserOp::Tag { name, tags }).await?;
            ctx.done(&v);
        }
        UserCmd::Untag { name, tag_keys } => {
            let v = ctx.write(UserOp::Untag { name, tag_keys }).await?;
            ctx.done(&v);
        }
        UserCmd::ListTags { name, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    UserQuery::ListTags {
                        name: name.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, TAG_COLUMNS);
        }
    }
    Ok(0)
}
