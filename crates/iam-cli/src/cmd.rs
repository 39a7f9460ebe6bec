//! Turns parsed arguments into validated client calls and renders the results.

use crate::args::{Cli, ClusterCmd, Noun};
use crate::nouns::Ctx;
use crate::output::print;
use crate::output::OutputFormat;
use ::iam_client::Client;
use anyhow::bail;
use iam_proto::v1::*;
use serde_json::{json, Value};
use std::time::Duration;

fn parse_consistency(s: &str) -> anyhow::Result<ReadOptions> {
    let (consistency, at_least_index) = match s {
        "local" => (Consistency::Local, 0),
        "linearizable" => (Consistency::Linearizable, 0),
        other => match other.strip_prefix("at-least=").map(str::parse::<u64>) {
            Some(Ok(i)) => (Consistency::AtLeast, i),
            _ => bail!(
                "--consistency {other:?} is not one of: local, linearizable, at-least=<log index>"
            ),
        },
    };
    Ok(ReadOptions {
        consistency: consistency as i32,
        at_least_index,
    })
}

pub(crate) async fn run(cli: Cli) -> anyhow::Result<u8> {
    let g = cli.global;
    if let Noun::Completions { shell } = cli.command {
        use clap::CommandFactory;
        clap_complete::generate(
            shell,
            &mut crate::args::Cli::command(),
            "iamctl",
            &mut std::io::stdout(),
        );
        return Ok(0);
    }
    if let Noun::Policy(crate::nouns::policy::PolicyCmd::Offline(p)) = cli.command {
        return crate::policy_cmd::run(p, g.output.unwrap_or(OutputFormat::Table));
    }
    let profile = crate::profile::load(g.config.as_deref())?;
    let endpoints = if g.endpoints.is_empty() {
        profile.endpoints.clone()
    } else {
        g.endpoints.clone()
    };
    let output = match (g.output, profile.output.as_deref()) {
        (Some(o), _) => o,
        (None, Some("json")) => OutputFormat::Json,
        (None, Some("table") | None) => OutputFormat::Table,
        (None, Some(other)) => bail!("profile output {other:?} is not one of: table, json"),
    };
    // Signing in needs no credentials (and must work when the saved ones are stale).
    let creds = if matches!(cli.command, Noun::Login(_)) {
        None
    } else {
        crate::credentials::discover(profile.credentials_file.as_deref())?
    };
    let ca_bundle = g
        .ca_bundle
        .clone()
        .or_else(|| profile.ca_bundle.clone())
        .or_else(|| std::env::var_os("AWS_CA_BUNDLE").map(std::path::PathBuf::from));
    let https = endpoints.iter().any(|e| e.starts_with("https://"));
    let client = if endpoints.is_empty() {
        None
    } else {
        let c = Client::with_ca_bundle(
            &endpoints,
            Duration::from_secs(g.timeout.max(1)),
            ca_bundle.as_deref(),
        )?;
        Some(match creds {
            Some(creds) => c.with_credentials(creds),
            None => c,
        })
    };
    let mut ctx = Ctx {
        client,
        account: g.account.or(profile.account),
        output,
        read: parse_consistency(&g.consistency)?,
        token: g.request_token.unwrap_or_else(Client::new_token),
        ca_bundle,
        https,
    };
    match cli.command {
        Noun::Cluster(c) => cluster(&mut ctx, c).await,
        Noun::Account(c) => crate::nouns::account::run(&mut ctx, c).await,
        Noun::User(c) => crate::nouns::user::run(&mut ctx, c).await,
        Noun::Policy(c) => {
            ctx.resolve_account().await?;
            crate::nouns::policy::run(&mut ctx, c).await
        }
        Noun::Quota(c) => crate::nouns::quota::run(&mut ctx, c).await,
        Noun::Audit(c) => crate::nouns::audit::run(&mut ctx, c).await,
        Noun::AccessKey(c) => crate::nouns::access_key::run(&mut ctx, c).await,
        Noun::LoginProfile(c) => crate::nouns::login_profile::run(&mut ctx, c).await,
        Noun::Mfa(c) => crate::nouns::mfa::run(&mut ctx, c).await,
        Noun::OidcProvider(c) => crate::nouns::oidc_provider::run(&mut ctx, c).await,
        Noun::SshKey(c) => crate::nouns::ssh_key::run(&mut ctx, c).await,
        Noun::SigningCert(c) => crate::nouns::signing_cert::run(&mut ctx, c).await,
        Noun::ServerCert(c) => crate::nouns::server_cert::run(&mut ctx, c).await,
        Noun::PasswordPolicy(c) => crate::nouns::password_policy::run(&mut ctx, c).await,
        Noun::CredentialReport(a) => crate::nouns::credential_report::run(&mut ctx, a).await,
        Noun::Group(c) => crate::nouns::group::run(&mut ctx, c).await,
        Noun::Role(c) => crate::nouns::role::run(&mut ctx, c).await,
        Noun::InstanceProfile(c) => crate::nouns::instance_profile::run(&mut ctx, c).await,
        Noun::Simulate(a) => crate::nouns::simulate::run(&mut ctx, a).await,
        Noun::Snapshot(c) => crate::nouns::snapshot::run(&mut ctx, c).await,
        Noun::Sts(c) => crate::nouns::sts::run(&mut ctx, c).await,
        Noun::Login(a) => crate::nouns::login::run(&mut ctx, a).await,
        Noun::CredentialProcess(a) => crate::nouns::sts::credential_process(&mut ctx, a).await,
        Noun::Agent(a) => crate::nouns::sts::agent(&mut ctx, a).await,
        Noun::Keyring(crate::args::KeyringCmd::Rotate) => {
            let v = ctx
                .write_command(&iam_state::Command::RotateTokenKey {
                    sealed_key: String::new(),
                })
                .await?;
            ctx.done(&v);
            Ok(0)
        }
        Noun::Keyring(crate::args::KeyringCmd::Revoke { key_id }) => {
            let v = ctx
                .write_command(&iam_state::Command::RevokeTokenKey { key_id })
                .await?;
            ctx.done(&v);
            Ok(0)
        }
        Noun::Completions { .. } => Ok(0),
    }
}

fn node_json(s: &NodeStatus) -> Value {
    json!({
        "id": s.id, "api": s.api, "role": s.role, "term": s.term, "last_log_index": s.last_log_index,
        "applied_index": s.applied_index, "snapshot_index": s.snapshot_index, "state_hash": s.state_hash,
        "leader_id": if s.has_leader { json!(s.leader_id) } else { Value::Null },
        "release": s.release, "cluster_release": s.cluster_release,
    })
}

async fn cluster(ctx: &mut Ctx, c: ClusterCmd) -> anyhow::Result<u8> {
    match c {
        ClusterCmd::Status => cluster_status(ctx).await,
        ClusterCmd::Hash => {
            let members = ctx
                .client()?
                .call(|_, mut c| async move { c.status(StatusRequest {}).await })
                .await?
                .members;
            let mut rows = Vec::new();
            let mut list = Vec::new();
            for m in &members {
                let one = ctx.one_node(&m.api, 5)?;
                match one
                    .call_one(0, |_, mut c| async move { c.hash(HashRequest {}).await })
                    .await
                {
                    Ok(h) => {
                        rows.push(vec![
                            h.id.to_string(),
                            m.api.clone(),
                            h.applied_index.to_string(),
                            h.state_hash.clone(),
                        ]);
                        list.push(json!({"id": h.id, "api": m.api, "applied_index": h.applied_index, "state_hash": h.state_hash}));
                    }
                    Err(e) => {
                        rows.push(vec![
                            m.id.to_string(),
                            m.api.clone(),
                            "-".into(),
                            format!("unreachable: {e}"),
                        ]);
                        list.push(json!({"id": m.id, "api": m.api, "error": e.to_string()}));
                    }
                }
            }
            print(
                ctx.output,
                &["ID", "API", "APPLIED", "HASH"],
                &rows,
                &json!({ "nodes": list }),
            );
            Ok(0)
        }
        ClusterCmd::AddNode {
            id,
            peer,
            api,
            http,
            learner,
        } => {
            let req = AddNodeRequest {
                id,
                peer,
                api,
                http,
                learner_only: learner,
            };
            let r = ctx
                .client()?
                .call(|_, mut c| {
                    let req = req.clone();
                    async move { c.add_node(req).await }
                })
                .await?;
            print_members(ctx.output, &r);
            Ok(0)
        }
        ClusterCmd::RemoveNode { id } => {
            let r = ctx
                .client()?
                .call(|_, mut c| async move { c.remove_node(RemoveNodeRequest { id }).await })
                .await?;
            print_members(ctx.output, &r);
            Ok(0)
        }
        ClusterCmd::FinalizeUpgrade => {
            let r = ctx
                .client()?
                .call(|_, mut c| async move { c.finalize_upgrade(FinalizeUpgradeRequest {}).await })
                .await?;
            let rows: Vec<Vec<String>> = r
                .members
                .iter()
                .map(|m| vec![m.id.to_string(), m.release.to_string()])
                .collect();
            let members: Vec<Value> = r
                .members
                .iter()
                .map(|m| json!({"id": m.id, "release": m.release}))
                .collect();
            print(
                ctx.output,
                &["ID", "RELEASE"],
                &rows,
                &json!({"release": r.release, "previous": r.previous, "log_index": r.log_index, "members": members}),
            );
            if ctx.output == OutputFormat::Table {
                #[allow(clippy::print_stdout)]
                {
                    if r.log_index == 0 {
                        println!("the cluster already runs release {}", r.release);
                    } else {
                        println!(
                            "the cluster runs release {} (was {})",
                            r.release, r.previous
                        );
                    }
                }
            }
            Ok(0)
        }
        ClusterCmd::Snapshot => {
            let r = ctx
                .client()?
                .call(|_, mut c| async move { c.snapshot(SnapshotRequest {}).await })
                .await?;
            print(
                ctx.output,
                &["SNAPSHOT_INDEX"],
                &[vec![r.snapshot_index.to_string()]],
                &json!({"snapshot_index": r.snapshot_index}),
            );
            Ok(0)
        }
    }
}

fn print_members(output: OutputFormat, r: &MembershipReply) {
    let rows: Vec<Vec<String>> = r
        .members
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                if m.voter { "voter" } else { "learner" }.into(),
                m.peer.clone(),
                m.api.clone(),
            ]
        })
        .collect();
    let list: Vec<Value> = r
        .members
        .iter()
        .map(
            |m| json!({"id": m.id, "voter": m.voter, "peer": m.peer, "api": m.api, "http": m.http}),
        )
        .collect();
    print(
        output,
        &["ID", "KIND", "PEER", "API"],
        &rows,
        &json!({"members": list, "log_index": r.log_index}),
    );
}

async fn cluster_status(ctx: &mut Ctx) -> anyhow::Result<u8> {
    let first = ctx
        .client()?
        .call(|_, mut c| async move { c.status(StatusRequest {}).await })
        .await?;
    let mut rows = Vec::new();
    let mut nodes = Vec::new();
    let mut all_ok = true;
    for m in &first.members {
        let one = ctx.one_node(&m.api, 3)?;
        match one
            .call_one(
                0,
                |_, mut c| async move { c.status(StatusRequest {}).await },
            )
            .await
        {
            Ok(s) => {
                rows.push(vec![
                    s.id.to_string(),
                    m.api.clone(),
                    s.role.clone(),
                    s.term.to_string(),
                    s.last_log_index.to_string(),
                    s.applied_index.to_string(),
                    s.state_hash.chars().take(16).collect(),
                    format!("{}/{}", s.release, s.cluster_release),
                ]);
                nodes.push(node_json(&s));
            }
            Err(e) => {
                all_ok = false;
                rows.push(vec![
                    m.id.to_string(),
                    m.api.clone(),
                    "unreachable".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]);
                nodes.push(json!({"id": m.id, "api": m.api, "error": e.to_string()}));
            }
        }
    }
    let leader = if first.has_leader {
        json!(first.leader_id)
    } else {
        Value::Null
    };
    match ctx.output {
        OutputFormat::Json => print(
            ctx.output,
            &[],
            &[],
            &json!({"leader_id": leader, "cluster_id": first.cluster_id, "nodes": nodes}),
        ),
        OutputFormat::Table => {
            print(
                ctx.output,
                &[
                    "ID",
                    "API",
                    "ROLE",
                    "TERM",
                    "LAST_LOG",
                    "APPLIED",
                    "STATE_HASH",
                    "RELEASE/CLUSTER",
                ],
                &rows,
                &Value::Null,
            );
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "leader: {}",
                    if first.has_leader {
                        first.leader_id.to_string()
                    } else {
                        "none".into()
                    }
                );
            }
        }
    }
    Ok(if all_ok { 0 } else { 2 })
}
