//! `iamctl group ...`: IAM groups and their members.

use super::{Ctx, PageArgs};
use crate::output::OutputFormat;
use clap::Subcommand;
use iam_state::ops::groups::{GroupOp, GroupQuery};
use iam_state::ops::PageRequest;
use serde_json::{json, Value};

#[derive(Debug, Subcommand)]
pub(crate) enum GroupCmd {
    /// Create a group.
    Create {
        name: String,
        #[arg(long, default_value = "/")]
        path: String,
    },
    /// Show a group and its users (all pages unless --no-paginate).
    Get {
        name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// List groups (all pages unless --no-paginate).
    List {
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Rename a group and/or move it to another path.
    Update {
        name: String,
        #[arg(long)]
        new_name: Option<String>,
        #[arg(long)]
        new_path: Option<String>,
    },
    /// Delete a group (refused while it has users or policies).
    Delete { name: String },
    /// Add a user to a group (a user is in at most 10 groups).
    AddUser {
        #[arg(value_name = "GROUP")]
        group: String,
        #[arg(value_name = "USER")]
        user: String,
    },
    /// Remove a user from a group.
    RemoveUser {
        #[arg(value_name = "GROUP")]
        group: String,
        #[arg(value_name = "USER")]
        user: String,
    },
    /// List the groups a user is in.
    ListForUser {
        #[arg(value_name = "USER")]
        user: String,
        #[command(flatten)]
        paging: PageArgs,
    },
}

const FIELDS: &[&str] = &["name", "id", "arn", "path", "created_ms"];
const COLUMNS: &[&str] = &["name", "id", "path", "arn"];

pub(crate) async fn run(ctx: &mut Ctx, cmd: GroupCmd) -> anyhow::Result<u8> {
    match cmd {
        GroupCmd::Create { name, path } => {
            let op = GroupOp::create(name, path, "");
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        GroupCmd::Get { name, paging } => get(ctx, name, &paging).await?,
        GroupCmd::List {
            path_prefix,
            paging,
        } => {
            let v = ctx
                .read_all(&paging, |page| {
                    GroupQuery::List {
                        path_prefix: path_prefix.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, COLUMNS);
        }
        GroupCmd::Update {
            name,
            new_name,
            new_path,
        } => {
            if new_name.is_none() && new_path.is_none() {
                anyhow::bail!("group update: pass --new-name and/or --new-path");
            }
            let op = GroupOp::Update {
                name,
                new_name,
                new_path,
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        GroupCmd::Delete { name } => {
            let v = ctx.write(GroupOp::Delete { name }).await?;
            ctx.done(&v);
        }
        GroupCmd::AddUser { group, user } => {
            let op = GroupOp::AddUser {
                group_name: group,
                user_name: user,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        GroupCmd::RemoveUser { group, user } => {
            let op = GroupOp::RemoveUser {
                group_name: group,
                user_name: user,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        GroupCmd::ListForUser { user, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    GroupQuery::ListForUser {
                        user_name: user.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, COLUMNS);
        }
    }
    Ok(0)
}

/// GetGroup pages through the group's users (the `users` field, not `items`): collects
/// them like `Ctx::read_all` and prints `{"group": .., "users": [..], "marker"?: ..}`.
async fn get(ctx: &mut Ctx, name: String, paging: &PageArgs) -> anyhow::Result<()> {
    let mut users: Vec<Value> = Vec::new();
    let mut marker = paging.starting_token.clone();
    let (group, next) = loop {
        let page = PageRequest {
            marker: marker.clone(),
            max_items: paging.max_items,
        };
        let v = ctx
            .read(GroupQuery::Get {
                name: name.clone(),
                page,
            })
            .await?;
        if let Some(list) = v.get("users").and_then(Value::as_array) {
            users.extend(list.iter().cloned());
        }
        let next = v
            .get("marker")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|_| v.get("is_truncated") == Some(&Value::Bool(true)));
        match next {
            Some(m) if !paging.no_paginate => marker = Some(m),
            next => break (v.get("group").cloned().unwrap_or(Value::Null), next),
        }
    };
    if ctx.output == OutputFormat::Json {
        let mut out = json!({ "group": group, "users": users });
        if let Some(m) = next {
            out["marker"] = json!(m);
        }
        ctx.done(&out);
        return Ok(());
    }
    ctx.show(&group, FIELDS);
    let mut list = json!({ "items": users });
    if let Some(m) = next {
        list["marker"] = json!(m);
    }
    ctx.show_list(&list, &["name", "id", "path", "arn"]);
    Ok(())
}
