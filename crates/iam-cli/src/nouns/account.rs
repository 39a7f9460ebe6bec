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
