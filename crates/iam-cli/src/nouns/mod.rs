//! The plumbing every IAM-model noun uses: [`Ctx`] (the resolved global flags and the
//! client), `write`/`read` over the generic API, list paging, printing, and argument
//! helpers (policy documents from `file://`/`@` paths, `Key=..,Value=..` tags).
//!
//! A noun module defines a clap `Subcommand` enum and `async fn run(ctx, cmd) -> Result<u8>`;
//! it builds an `iam_state` op or query, sends it with [`Ctx::write`]/[`Ctx::read`] and prints
//! the JSON it gets back with [`Ctx::show`]/[`Ctx::show_list`]. JSON output is the API's JSON
//! exactly; table output picks the named fields.

pub(crate) mod access_key;
pub(crate) mod account;
pub(crate) mod audit;
pub(crate) mod credential_report;
pub(crate) mod group;
pub(crate) mod instance_profile;
pub(crate) mod login;
pub(crate) mod login_profile;
pub(crate) mod mfa;
pub(crate) mod oidc_provider;
pub(crate) mod password_policy;
pub(crate) mod policy;
pub(crate) mod quota;
pub(crate) mod role;
pub(crate) mod server_cert;
pub(crate) mod signing_cert;
pub(crate) mod simulate;
pub(crate) mod snapshot;
pub(crate) mod ssh_key;
pub(crate) mod sts;
pub(crate) mod user;

use crate::output;
use crate::output::OutputFormat;
use anyhow::{anyhow, bail, Context};
use clap::Args;
use iam_client::Client;
use iam_proto::v1::ReadOptions;
use iam_state::ops::{PageRequest, Q};
use iam_state::{Command, Op, Query};
use serde_json::{json, Value};

/// Everything a command needs after the global flags were resolved.
pub(crate) struct Ctx {
    pub(crate) client: Option<Client>,
    pub(crate) account: Option<String>,
    pub(crate) output: OutputFormat,
    pub(crate) read: ReadOptions,
    pub(crate) token: String,
    /// The CA bundle that verifies https endpoints.
    pub(crate) ca_bundle: Option<std::path::PathBuf>,
    /// The endpoints are https: so are the other members' API addresses.
    pub(crate) https: bool,
}

impl Ctx {
    pub(crate) fn client(&mut self) -> anyhow::Result<&mut Client> {
        self.client.as_mut().ok_or_else(|| {
            anyhow!("no endpoints: pass --endpoints http://host:port or --config <profile> (iamd dev writes one)")
        })
    }

    /// The account to act in: `--account`/the profile's, or empty for the credentials'
    /// own account (the server fills it in).
    pub(crate) fn account(&self) -> anyhow::Result<String> {
        Ok(self.account.clone().unwrap_or_default())
    }

    /// Learns the credentials' account from the cluster when none was given (for commands
    /// that build ARNs).
    pub(crate) async fn resolve_account(&mut self) -> anyhow::Result<()> {
        if self.account.is_some() || self.client.is_none() {
            return Ok(());
        }
        let v = self
            .read_query(&Query::GetAccount {
                account_id: String::new(),
            })
            .await?;
        let id = v.get("id").and_then(Value::as_str).ok_or_else(|| {
            anyhow!("the cluster did not say which account the credentials belong to")
        })?;
        self.account = Some(id.to_owned());
        Ok(())
    }

    /// A client of one node with the same credentials (per-node status and hashes). A
    /// member's address without a scheme is dialed as the configured endpoints are.
    pub(crate) fn one_node(&self, api: &str, secs: u64) -> anyhow::Result<iam_client::Client> {
        let url = if api.contains("://") || !self.https {
            api.to_owned()
        } else {
            format!("https://{api}")
        };
        let c = iam_client::Client::with_ca_bundle(
            &[url],
            std::time::Duration::from_secs(secs),
            self.ca_bundle.as_deref(),
        )?;
        Ok(match self.client.as_ref().and_then(|c| c.credentials()) {
            Some(creds) => c.with_credentials(creds.clone()),
            None => c,
        })
    }

    /// Sends an account-scoped command; returns the outcome JSON with `log_index` added
    /// (when the outcome is an object).
    pub(crate) async fn write(&mut self, op: impl Into<Op>) -> anyhow::Result<Value> {
        let command = Command::in_account(&self.account()?, op);
        self.write_command(&command).await
    }

    /// Sends any command (e.g. account creation).
    pub(crate) async fn write_command(&mut self, command: &Command) -> anyhow::Result<Value> {
        let token = self.token.clone();
        let (mut v, index) = self.client()?.write(command, &token).await?;
        if let Value::Object(m) = &mut v {
            m.insert("log_index".into(), json!(index));
        }
        Ok(v)
    }

    /// Runs an account-scoped query at the requested consistency.
    pub(crate) async fn read(&mut self, q: impl Into<Q>) -> anyhow::Result<Value> {
        let query = Query::in_account(&self.account()?, q);
        self.read_query(&query).await
    }

    /// Runs any query.
    pub(crate) async fn read_query(&mut self, query: &Query) -> anyhow::Result<Value> {
        let read = self.read;
        Ok(self.client()?.read(query, read).await?.0)
    }

    /// Runs a paged list query: every page unless `--no-paginate` (then one page and the
    /// marker to continue from). `make` builds the query for a page request. Returns
    /// `{"items": [...], "marker": ...}`.
    pub(crate) async fn read_all<F>(&mut self, paging: &PageArgs, make: F) -> anyhow::Result<Value>
    where
        F: Fn(PageRequest) -> Q,
    {
        let mut items = Vec::new();
        let mut marker = paging.starting_token.clone();
        loop {
            let page = PageRequest {
                marker: marker.clone(),
                max_items: paging.max_items,
            };
            let v = self.read(make(page)).await?;
            if let Some(list) = v.get("items").and_then(Value::as_array) {
                items.extend(list.iter().cloned());
            }
            let next = v
                .get("marker")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .filter(|_| v.get("is_truncated") == Some(&Value::Bool(true)));
            match next {
                Some(m) if !paging.no_paginate => marker = Some(m),
                next => {
                    let mut out = json!({ "items": items });
                    if let Some(m) = next {
                        out["marker"] = json!(m);
                    }
                    return Ok(out);
                }
            }
        }
    }

    /// Prints one record: JSON as is, or a FIELD/VALUE table of `fields` (dotted paths
    /// such as `user.name` reach into nested objects).
    pub(crate) fn show(&self, v: &Value, fields: &[&str]) {
        let rows: Vec<Vec<String>> = fields
            .iter()
            .map(|f| vec![(*f).to_owned(), cell(lookup(v, f))])
            .collect();
        output::print(self.output, &["FIELD", "VALUE"], &rows, v);
    }

    /// Prints a list (`{"items": [...]}` as [`Ctx::read_all`] returns it): JSON as is, or a
    /// table with one column per field; a continuation marker is printed below the table.
    pub(crate) fn show_list(&self, v: &Value, columns: &[&str]) {
        let items = v.get("items").and_then(Value::as_array);
        let rows: Vec<Vec<String>> = items
            .into_iter()
            .flatten()
            .map(|item| columns.iter().map(|c| cell(lookup(item, c))).collect())
            .collect();
        let headers: Vec<String> = columns
            .iter()
            .map(|c| c.replace('.', "_").to_ascii_uppercase())
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        output::print(self.output, &headers, &rows, v);
        if self.output == OutputFormat::Table {
            if let Some(m) = v.get("marker").and_then(Value::as_str) {
                output::note(&format!("more results: --starting-token {m}"));
            }
        }
    }

    /// Prints nothing in table mode (the exit code says it worked), the outcome in JSON.
    pub(crate) fn done(&self, v: &Value) {
        if self.output == OutputFormat::Json {
            output::print(self.output, &[], &[], v);
        }
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, p| v.get(p))
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => other.to_string(),
    }
}

/// `--max-items`, `--starting-token`, `--no-paginate`, as the AWS CLI spells them.
#[derive(Debug, Clone, Args)]
pub(crate) struct PageArgs {
    /// Items per page (1-1000); all pages are fetched unless --no-paginate.
    #[arg(long)]
    pub(crate) max_items: Option<u32>,
    /// Continue from the marker a previous --no-paginate call printed.
    #[arg(long)]
    pub(crate) starting_token: Option<String>,
    /// Fetch one page only and print the marker to continue from.
    #[arg(long)]
    pub(crate) no_paginate: bool,
}

/// A policy document argument: `file://path` (as the AWS CLI), `@path`, `-` (stdin), or
/// the JSON text itself.
#[allow(dead_code)] // used by the policy nouns
pub(crate) fn read_document(flag: &str, arg: &str) -> anyhow::Result<String> {
    let path = arg
        .strip_prefix("file://")
        .or_else(|| arg.strip_prefix('@'));
    if let Some(path) = path {
        return std::fs::read_to_string(path)
            .with_context(|| format!("{flag}: cannot read policy document file {path:?}"));
    }
    if arg == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .with_context(|| format!("{flag}: cannot read the document from standard input"))?;
        return Ok(s);
    }
    if !arg.trim_start().starts_with('{') {
        bail!(
            "{flag} {arg:?} is neither JSON nor a file reference: use file://path, @path, - or inline JSON"
        );
    }
    Ok(arg.to_owned())
}

/// Tags given as `Key=k,Value=v` (the AWS CLI's shorthand) or `k=v`.
pub(crate) fn parse_tags(flag: &str, args: &[String]) -> anyhow::Result<Vec<iam_model::Tag>> {
    args.iter()
        .map(|s| {
            let shorthand = s
                .strip_prefix("Key=")
                .and_then(|rest| rest.split_once(",Value="));
            let (k, v) = match shorthand {
                Some((k, v)) => (k, v),
                None => s.split_once('=').ok_or_else(|| {
                    anyhow!("{flag} {s:?} is not Key=k,Value=v or k=v (for example {flag} team=payments)")
                })?,
            };
            if k.is_empty() {
                bail!("{flag} {s:?} has an empty key");
            }
            Ok(iam_model::Tag {
                key: k.to_owned(),
                value: v.to_owned(),
            })
        })
        .collect()
}

/// Writes `bytes` to `path` (replacing it whole, through a temporary file and a rename)
/// readable by its owner only: credentials and MFA seeds.
pub(crate) fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".iamctl-tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_documents_parse_or_name_the_flag() {
        let t = parse_tags("--tag", &["Key=a,Value=b".into(), "c=d=e".into()]).unwrap();
        assert_eq!((t[0].key.as_str(), t[0].value.as_str()), ("a", "b"));
        assert_eq!((t[1].key.as_str(), t[1].value.as_str()), ("c", "d=e"));
        let e = parse_tags("--tag", &["novalue".into()]).unwrap_err();
        assert!(e.to_string().contains("--tag"), "{e}");
        assert!(read_document("--policy-document", "{}").is_ok());
        let e = read_document("--policy-document", "file:///nonexistent/p.json").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/p.json"), "{e}");
        assert!(read_document("--policy-document", "policy.json").is_err());
    }
}
