//! `iamctl policy ...`: customer managed policies and their versions, attachments, inline
//! policies, permissions boundaries and tags (against a cluster), plus the offline
//! `validate` and `eval` verbs (no cluster needed; `crate::policy_cmd` runs them).

use super::{parse_tags, read_document, Ctx, PageArgs};
use crate::output;
use crate::output::OutputFormat;
use anyhow::bail;
use iam_state::ops::policies::{EntityFilter, PolicyOp, PolicyQuery, Scope};
use iam_state::ops::PageRequest;
use serde_json::{json, Value};

mod args;

pub(crate) use args::*;

const FIELDS: &[&str] = &[
    "policy_name",
    "policy_id",
    "arn",
    "path",
    "default_version_id",
    "attachment_count",
    "permissions_boundary_usage_count",
    "description",
    "created_ms",
    "updated_ms",
];

/// A policy ARN as given, or the ARN of the policy of that name at path `/`.
fn policy_arn(flag: &str, account: &str, arg: &str) -> anyhow::Result<String> {
    if arg.starts_with("arn:") {
        return Ok(arg.to_owned());
    }
    if arg.is_empty() || arg.contains(['/', ':']) {
        bail!("{flag} {arg:?} is neither a policy ARN (arn:aws:iam::<account>:policy/...) nor a policy name");
    }
    Ok(format!("arn:aws:iam::{account}:policy/{arg}"))
}

/// [`policy_arn`] in the command's account.
fn arn(ctx: &Ctx, flag: &str, arg: &str) -> anyhow::Result<String> {
    policy_arn(flag, &ctx.account()?, arg)
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: PolicyCmd) -> anyhow::Result<u8> {
    match cmd {
        PolicyCmd::Offline(c) => return crate::policy_cmd::run(c, ctx.output),
        PolicyCmd::Create {
            policy_name,
            policy_document,
            path,
            description,
            tags,
        } => {
            let op = PolicyOp::Create {
                policy_name,
                path,
                policy_document: read_document("--policy-document", &policy_document)?,
                description,
                tags: parse_tags("--tag", &tags)?,
                policy_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        PolicyCmd::Get { policy_arn } => {
            let policy_arn = arn(ctx, "--policy-arn", &policy_arn)?;
            let v = ctx.read(PolicyQuery::Get { policy_arn }).await?;
            ctx.show(&v, FIELDS);
        }
        PolicyCmd::List {
            scope,
            only_attached,
            path_prefix,
            policy_usage_filter,
            paging,
        } => {
            let scope = match scope {
                ScopeArg::All => Scope::All,
                ScopeArg::Local => Scope::Local,
                ScopeArg::Aws => Scope::Aws,
            };
            let usage = usage(policy_usage_filter);
            let v = ctx
                .read_all(&paging, |page| {
                    PolicyQuery::List {
                        scope,
                        only_attached,
                        path_prefix: path_prefix.clone(),
                        policy_usage_filter: usage,
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(
                &v,
                &[
                    "policy_name",
                    "default_version_id",
                    "attachment_count",
                    "arn",
                ],
            );
        }
        PolicyCmd::Delete { policy_arn } => {
            let policy_arn = arn(ctx, "--policy-arn", &policy_arn)?;
            let v = ctx.write(PolicyOp::Delete { policy_arn }).await?;
            ctx.done(&v);
        }
        PolicyCmd::CreateVersion {
            policy_arn,
            policy_document,
            set_as_default,
        } => {
            let op = PolicyOp::CreateVersion {
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
                policy_document: read_document("--policy-document", &policy_document)?,
                set_as_default,
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, &["version_id", "is_default_version", "created_ms"]);
        }
        PolicyCmd::GetVersion {
            policy_arn,
            version_id,
        } => {
            let q = PolicyQuery::GetVersion {
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
                version_id,
            };
            let v = ctx.read(q).await?;
            ctx.show(
                &v,
                &["version_id", "is_default_version", "created_ms", "document"],
            );
        }
        PolicyCmd::ListVersions { policy_arn, paging } => {
            let policy_arn = arn(ctx, "--policy-arn", &policy_arn)?;
            let v = ctx
                .read_all(&paging, |page| {
                    PolicyQuery::ListVersions {
                        policy_arn: policy_arn.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["version_id", "is_default_version", "created_ms"]);
        }
        PolicyCmd::DeleteVersion {
            policy_arn,
            version_id,
        } => {
            let op = PolicyOp::DeleteVersion {
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
                version_id,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::SetDefaultVersion {
            policy_arn,
            version_id,
        } => {
            let op = PolicyOp::SetDefaultVersion {
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
                version_id,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::Attach { policy_arn, entity } => {
            let (entity, entity_name) = entity.split();
            let op = PolicyOp::Attach {
                entity,
                entity_name,
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::Detach { policy_arn, entity } => {
            let (entity, entity_name) = entity.split();
            let op = PolicyOp::Detach {
                entity,
                entity_name,
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::ListAttached {
            entity,
            path_prefix,
            paging,
        } => {
            let (entity, entity_name) = entity.split();
            let v = ctx
                .read_all(&paging, |page| {
                    PolicyQuery::ListAttached {
                        entity,
                        entity_name: entity_name.clone(),
                        path_prefix: path_prefix.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["policy_name", "policy_arn"]);
        }
        PolicyCmd::ListEntities {
            policy_arn,
            entity_filter,
            path_prefix,
            policy_usage_filter,
            paging,
        } => {
            let policy_arn = arn(ctx, "--policy-arn", &policy_arn)?;
            let entity_filter = entity_filter.map(|f| match f {
                EntityFilterArg::User => EntityFilter::User,
                EntityFilterArg::Role => EntityFilter::Role,
                EntityFilterArg::Group => EntityFilter::Group,
                EntityFilterArg::LocalManagedPolicy => EntityFilter::LocalManagedPolicy,
                EntityFilterArg::AwsManagedPolicy => EntityFilter::AwsManagedPolicy,
            });
            let usage = usage(policy_usage_filter);
            let q = |page| PolicyQuery::ListEntities {
                policy_arn: policy_arn.clone(),
                entity_filter,
                path_prefix: path_prefix.clone(),
                policy_usage_filter: usage,
                page,
            };
            list_entities(ctx, &paging, q).await?;
        }
        PolicyCmd::PutInline {
            entity,
            policy_name,
            policy_document,
        } => {
            let (entity, entity_name) = entity.split();
            let op = PolicyOp::PutInline {
                entity,
                entity_name,
                policy_name,
                policy_document: read_document("--policy-document", &policy_document)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::GetInline {
            entity,
            policy_name,
        } => {
            let (entity, entity_name) = entity.split();
            let q = PolicyQuery::GetInline {
                entity,
                entity_name,
                policy_name,
            };
            let v = ctx.read(q).await?;
            ctx.show(
                &v,
                &["entity", "entity_name", "policy_name", "policy_document"],
            );
        }
        PolicyCmd::DeleteInline {
            entity,
            policy_name,
        } => {
            let (entity, entity_name) = entity.split();
            let op = PolicyOp::DeleteInline {
                entity,
                entity_name,
                policy_name,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::ListInline { entity, paging } => {
            let (entity, entity_name) = entity.split();
            let v = ctx
                .read_all(&paging, |page| {
                    PolicyQuery::ListInline {
                        entity,
                        entity_name: entity_name.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            show_names(ctx, &v);
        }
        PolicyCmd::PutBoundary {
            holder,
            permissions_boundary,
        } => {
            let (entity, entity_name) = holder.split();
            let op = PolicyOp::PutBoundary {
                entity,
                entity_name,
                permissions_boundary: arn(ctx, "--permissions-boundary", &permissions_boundary)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::DeleteBoundary { holder } => {
            let (entity, entity_name) = holder.split();
            let v = ctx
                .write(PolicyOp::DeleteBoundary {
                    entity,
                    entity_name,
                })
                .await?;
            ctx.done(&v);
        }
        PolicyCmd::Tag { policy_arn, tags } => {
            let op = PolicyOp::Tag {
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
                tags: parse_tags("--tag", &tags)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::Untag {
            policy_arn,
            tag_keys,
        } => {
            let op = PolicyOp::Untag {
                policy_arn: arn(ctx, "--policy-arn", &policy_arn)?,
                tag_keys,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        PolicyCmd::ListTags { policy_arn, paging } => {
            let policy_arn = arn(ctx, "--policy-arn", &policy_arn)?;
            let v = ctx
                .read_all(&paging, |page| {
                    PolicyQuery::ListTags {
                        policy_arn: policy_arn.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["key", "value"]);
        }
    }
    Ok(0)
}

/// Prints a list of plain names (`{"items": ["a", ...]}`).
fn show_names(ctx: &Ctx, v: &Value) {
    let rows: Vec<Vec<String>> = v
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|s| vec![s.to_owned()])
        .collect();
    output::print(ctx.output, &["POLICY_NAME"], &rows, v);
    if ctx.output == OutputFormat::Table {
        if let Some(m) = v.get("marker").and_then(Value::as_str) {
            output::note(&format!("more results: --starting-token {m}"));
        }
    }
}

const ENTITY_LISTS: [(&str, &str, &str, &str); 3] = [
    ("policy_groups", "group", "group_name", "group_id"),
    ("policy_users", "user", "user_name", "user_id"),
    ("policy_roles", "role", "role_name", "role_id"),
];

/// ListEntitiesForPolicy pages hold three lists; fetch every page (unless --no-paginate)
/// and print `{"policy_groups": [...], "policy_users": [...], "policy_roles": [...]}`.
async fn list_entities(
    ctx: &mut Ctx,
    paging: &PageArgs,
    make: impl Fn(PageRequest) -> PolicyQuery,
) -> anyhow::Result<()> {
    let mut out = json!({"policy_groups": [], "policy_users": [], "policy_roles": []});
    let mut marker = paging.starting_token.clone();
    loop {
        let page = PageRequest {
            marker: marker.clone(),
            max_items: paging.max_items,
        };
        let v = ctx.read(make(page)).await?;
        for (list, ..) in ENTITY_LISTS {
            let items = v.get(list).and_then(Value::as_array).cloned();
            if let (Some(items), Some(acc)) = (items, out[list].as_array_mut()) {
                acc.extend(items);
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
                    out["marker"] = json!(m);
                }
                break;
            }
        }
    }
    let mut rows = Vec::new();
    for (list, kind, name, id) in ENTITY_LISTS {
        for e in out[list].as_array().into_iter().flatten() {
            let cell = |f: &str| e.get(f).and_then(Value::as_str).unwrap_or("-").to_owned();
            rows.push(vec![kind.to_owned(), cell(name), cell(id)]);
        }
    }
    output::print(ctx.output, &["KIND", "NAME", "ID"], &rows, &out);
    if ctx.output == OutputFormat::Table {
        if let Some(m) = out.get("marker").and_then(Value::as_str) {
            output::note(&format!("more results: --starting-token {m}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Noun};
    use crate::policy_cmd::OfflinePolicyCmd;
    use clap::Parser;
    use iam_state::ops::policies::{BoundaryEntity, EntityKind};

    fn parse(args: &[&str]) -> Result<PolicyCmd, clap::Error> {
        let mut all = vec!["iamctl", "policy"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all)?.command {
            Noun::Policy(p) => Ok(p),
            other => panic!("not a policy command: {other:?}"),
        }
    }

    #[test]
    fn verbs_parse_and_flags_are_checked() {
        let a = "arn:aws:iam::123456789012:policy/P";
        match parse(&["attach", "--policy-arn", a, "--group", "devs"]).unwrap() {
            PolicyCmd::Attach { entity, .. } => {
                assert_eq!(entity.split(), (EntityKind::Group, "devs".to_owned()))
            }
            other => panic!("{other:?}"),
        }
        // Exactly one of --user/--group/--role.
        assert!(parse(&["attach", "--policy-arn", a]).is_err());
        assert!(parse(&["detach", "--policy-arn", a, "--user", "u", "--role", "r"]).is_err());
        // Groups have no permissions boundary.
        assert!(parse(&["put-boundary", "--group", "g", "--permissions-boundary", a]).is_err());
        match parse(&["put-boundary", "--role", "r", "--permissions-boundary", a]).unwrap() {
            PolicyCmd::PutBoundary { holder, .. } => {
                assert_eq!(holder.split(), (BoundaryEntity::Role, "r".to_owned()))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            parse(&["create", "--policy-name", "P"]).is_err(),
            "document required"
        );
        assert!(parse(&["list", "--scope", "aws", "--only-attached"]).is_ok());
        assert!(parse(&[
            "list-entities",
            "--policy-arn",
            a,
            "--entity-filter",
            "role"
        ])
        .is_ok());
        assert!(
            parse(&["tag", "--policy-arn", a]).is_err(),
            "a tag is required"
        );
        assert!(parse(&["untag", "--policy-arn", a, "--tag-key", "k"]).is_ok());
        for verb in ["get-version", "delete-version", "set-default-version"] {
            assert!(
                parse(&[verb, "--policy-arn", a, "--version-id", "v2"]).is_ok(),
                "{verb}"
            );
        }
        assert!(parse(&["list-inline", "--role", "r", "--max-items", "5"]).is_ok());
        assert!(parse(&["get-inline", "--user", "u", "--policy-name", "P"]).is_ok());
    }

    #[test]
    fn offline_verbs_still_parse() {
        assert!(matches!(
            parse(&["validate", "p.json", "--kind", "managed"]).unwrap(),
            PolicyCmd::Offline(OfflinePolicyCmd::Validate { .. })
        ));
        assert!(matches!(
            parse(&["eval", "--cases", "c.jsonl"]).unwrap(),
            PolicyCmd::Offline(OfflinePolicyCmd::Eval { .. })
        ));
    }

    #[test]
    fn policy_arns_or_names() {
        let acct = "123456789012";
        assert_eq!(
            policy_arn("--policy-arn", acct, "ReadOnly").unwrap(),
            "arn:aws:iam::123456789012:policy/ReadOnly"
        );
        let full = "arn:aws:iam::123456789012:policy/team/ReadOnly";
        assert_eq!(policy_arn("--policy-arn", acct, full).unwrap(), full);
        let e = policy_arn("--policy-arn", acct, "team/ReadOnly").unwrap_err();
        assert!(e.to_string().contains("--policy-arn"), "{e}");
    }
}
