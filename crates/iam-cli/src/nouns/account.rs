//! `iamctl account ...`: accounts (create, get, list) and account-wide settings of the
//! current account (alias, summary).

use super::{Ctx, PageArgs};
use crate::output::print;
use anyhow::Context;
use clap::Subcommand;
use iam_proto::v1::{
    Account, CreateAccountRequest, GetAccountRequest, ListAccountsRequest, WriteOptions,
};
use iam_state::ops::account::{AccountOp, AccountQuery};
use iam_state::ops::policies::EntityFilter;
use iam_state::ops::PageRequest;
use serde_json::{json, Value};

#[derive(Debug, Subcommand)]
pub(crate) enum AccountCmd {
    /// Create an account (random 12-digit id unless --id).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        id: Option<String>,
    },
    /// Show an account.
    Get { id: String },
    /// List accounts.
    List,
    /// Set the current account's alias (CreateAccountAlias; one per account).
    SetAlias {
        /// 3-63 lowercase letters, digits and single hyphens.
        #[arg(long)]
        alias: String,
    },
    /// Remove the current account's alias (DeleteAccountAlias).
    DeleteAlias {
        #[arg(long)]
        alias: String,
    },
    /// List the current account's aliases (ListAccountAliases).
    ListAliases {
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Entity counts and quotas of the current account (GetAccountSummary).
    Summary,
    /// Every user, group, role and managed policy of the current account with its inline
    /// documents, attachments, groups and instance profiles (GetAccountAuthorizationDetails).
    AuthorizationDetails {
        /// Only these lists: User, Group, Role, LocalManagedPolicy, AWSManagedPolicy
        /// (repeat the flag or separate with commas).
        #[arg(long, value_delimiter = ',')]
        filter: Vec<String>,
        #[command(flatten)]
        paging: PageArgs,
    },
}

/// The four lists of GetAccountAuthorizationDetails' answer, with the kind each row shows.
const DETAIL_LISTS: [(&str, &str); 4] = [
    ("users", "user"),
    ("groups", "group"),
    ("roles", "role"),
    ("policies", "policy"),
];

/// All pages of GetAccountAuthorizationDetails merged (or one page with --no-paginate).
async fn authorization_details(
    ctx: &mut Ctx,
    filter: Vec<String>,
    paging: &PageArgs,
) -> anyhow::Result<Value> {
    let filter: Vec<EntityFilter> = filter
        .iter()
        .map(|f| {
            serde_json::from_value(json!(f)).map_err(|_| {
                anyhow::anyhow!(
                    "--filter {f:?} is not one of User, Group, Role, LocalManagedPolicy, AWSManagedPolicy"
                )
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut all = json!({"users": [], "groups": [], "roles": [], "policies": []});
    let mut marker = paging.starting_token.clone();
    loop {
        let page = PageRequest {
            marker: marker.clone(),
            max_items: paging.max_items,
        };
        let v = ctx
            .read(AccountQuery::GetAuthorizationDetails {
                filter: filter.clone(),
                page,
            })
            .await?;
        for (list, _) in DETAIL_LISTS {
            if let (Some(into), Some(from)) = (
                all[list].as_array_mut(),
                v.get(list).and_then(Value::as_array),
            ) {
                into.extend(from.iter().cloned());
            }
        }
        let next = v
            .get("marker")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|_| v.get("is_truncated") == Some(&Value::Bool(true)));
        match next {
            Some(m) if !paging.no_paginate => marker = Some(m),
            next => {
                if let Some(m) = next {
                    all["marker"] = json!(m);
                }
                return Ok(all);
            }
        }
    }
}

/// One table row per entity: kind, name, ARN, inline documents, attached policies.
fn detail_rows(v: &Value) -> Value {
    let mut items = Vec::new();
    for (list, kind) in DETAIL_LISTS {
        for e in v.get(list).and_then(Value::as_array).into_iter().flatten() {
            let e = e.get("role").unwrap_or(e);
            let count = |field: &str| {
                e.get(field)
                    .map(|f| {
                        f.as_object()
                            .map_or_else(|| f.as_array().map_or(0, Vec::len), |o| o.len())
                    })
                    .unwrap_or(0)
            };
            let inline = if kind == "policy" {
                count("versions")
            } else {
                count("inline_policies")
            };
            items.push(json!({
                "kind": kind,
                "name": e.get("name").cloned().unwrap_or_default(),
                "arn": e.get("arn").cloned().unwrap_or_default(),
                "inline_or_versions": inline,
                "attached": count("attached_policies"),
            }));
        }
    }
    let mut out = json!({ "items": items });
    if let Some(m) = v.get("marker") {
        out["marker"] = m.clone();
    }
    out
}

fn account_row(a: &Account) -> Vec<String> {
    vec![
        a.id.clone(),
        a.name.clone(),
        a.email.clone(),
        a.root_arn.clone(),
    ]
}

fn account_json(a: &Account) -> Value {
    json!({"id": a.id, "name": a.name, "email": a.email, "root_arn": a.root_arn, "created_ms": a.created_ms})
}

const ACCOUNT_HEADERS: [&str; 4] = ["ID", "NAME", "EMAIL", "ROOT_ARN"];

pub(crate) async fn run(ctx: &mut Ctx, c: AccountCmd) -> anyhow::Result<u8> {
    let read = Some(ctx.read);
    match c {
        AccountCmd::Create { name, email, id } => {
            let req = CreateAccountRequest {
                write: Some(WriteOptions {
                    request_token: ctx.token.clone(),
                }),
                name,
                email,
                account_id: id.unwrap_or_default(),
            };
            let r = ctx
                .client()?
                .call(|mut c, _| {
                    let req = req.clone();
                    async move { c.create_account(req).await }
                })
                .await?;
            let a = r.account.context("no account in reply")?;
            let mut j = account_json(&a);
            j["log_index"] = json!(r.log_index);
            print(ctx.output, &ACCOUNT_HEADERS, &[account_row(&a)], &j);
        }
        AccountCmd::Get { id } => {
            let req = GetAccountRequest {
                read,
                account_id: id,
            };
            let r = ctx
                .client()?
                .call(|mut c, _| {
                    let req = req.clone();
                    async move { c.get_account(req).await }
                })
                .await?;
            let a = r.account.context("no account in reply")?;
            print(
                ctx.output,
                &ACCOUNT_HEADERS,
                &[account_row(&a)],
                &account_json(&a),
            );
        }
        AccountCmd::List => {
            let r = ctx
                .client()?
                .call(|mut c, _| async move { c.list_accounts(ListAccountsRequest { read }).await })
                .await?;
            let rows: Vec<_> = r.accounts.iter().map(account_row).collect();
            let list: Vec<_> = r.accounts.iter().map(account_json).collect();
            print(
                ctx.output,
                &ACCOUNT_HEADERS,
                &rows,
                &json!({"accounts": list}),
            );
        }
        AccountCmd::SetAlias { alias } => {
            let v = ctx.write(AccountOp::CreateAlias { alias }).await?;
            ctx.done(&v);
        }
        AccountCmd::DeleteAlias { alias } => {
            let v = ctx.write(AccountOp::DeleteAlias { alias }).await?;
            ctx.done(&v);
        }
        AccountCmd::ListAliases { paging } => {
            let v = ctx
                .read_all(&paging, |page| AccountQuery::ListAliases { page }.into())
                .await?;
            // Aliases are plain strings: show them as one-column rows.
            let items: Vec<Value> = v["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| json!({ "alias": a }))
                .collect();
            let mut shown = json!({ "items": items });
            if let Some(m) = v.get("marker") {
                shown["marker"] = m.clone();
            }
            match ctx.output {
                crate::output::OutputFormat::Json => ctx.show(&v, &[]),
                crate::output::OutputFormat::Table => ctx.show_list(&shown, &["alias"]),
            }
        }
        AccountCmd::AuthorizationDetails { filter, paging } => {
            let v = authorization_details(ctx, filter, &paging).await?;
            match ctx.output {
                crate::output::OutputFormat::Json => ctx.show(&v, &[]),
                crate::output::OutputFormat::Table => ctx.show_list(
                    &detail_rows(&v),
                    &["kind", "name", "arn", "inline_or_versions", "attached"],
                ),
            }
        }
        AccountCmd::Summary => {
            let v = ctx.read(AccountQuery::GetSummary {}).await?;
            let keys: Vec<&str> = v
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            ctx.show(&v, &keys);
        }
    }
    Ok(0)
}
