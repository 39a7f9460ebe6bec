//! Authorization checks served by one follower over gRPC: single `Authorize` calls and
//! `AuthorizeBatch` calls from concurrent clients, with the leader's peer RPC counters read
//! before and after to show that follower checks send nothing to the leader; plus the cost
//! of one SigV4 verification in process.
//!
//! Then, open loop: checks offered at a fixed rate (`--open-loop-rate`, e.g. half the goal)
//! in calls of each size in `--open-loop-batches`, each check's latency being its call's,
//! measured from the call's dispatch and from its scheduled start.
//!
//! Usage: authz [--iamd target/release/iamd] [--clients 1,8,32] [--seconds 10] [--batch 100]
//!              [--users 200] [--open-loop-rate 25000] [--open-loop-batches 1,10,25,100]

use anyhow::Context;
use clap::Parser;
use iam_client::{Client, Signed};
use iam_proto::v1::iam_client::IamClient;
use iam_proto::v1::{
    AuthorizeBatchRequest, AuthorizeRequest, Consistency, ReadOptions, StatusRequest,
};
use iam_state::ops::groups::GroupOp;
use iam_state::ops::policies::{EntityKind, PolicyOp};
use iam_state::ops::users::UserOp;
use iam_state::Command;
use iamd_bench::clusters::{authority, channel, start_iamd};
use iamd_bench::load::{outcome, run, run_at_rate};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/iamd")]
    iamd: PathBuf,
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    clients: Vec<usize>,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 100)]
    batch: usize,
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Checks per second offered open-loop (0: skip the open-loop runs).
    #[arg(long, default_value_t = 0.0)]
    open_loop_rate: f64,
    /// Checks per call in the open-loop runs.
    #[arg(long, value_delimiter = ',', default_value = "1,10,25,100")]
    open_loop_batches: Vec<usize>,
    /// HTTP/2 connections to the follower that the clients share (client i uses
    /// connection i mod N), as a relying service with a connection pool would.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Where the cluster's data goes.
    #[arg(long, default_value = "/var/tmp")]
    data: PathBuf,
    /// The API ports serve TLS (verified against a CA made for the run); peers use mutual
    /// TLS either way.
    #[arg(long)]
    tls: bool,
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data/${aws:username}/*"},
 {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;

fn local() -> Option<ReadOptions> {
    Some(ReadOptions {
        consistency: Consistency::Local as i32,
        at_least_index: 0,
    })
}

async fn leader_counters(http: &str, ca: Option<&Path>) -> anyhow::Result<(u64, u64)> {
    let body = iamd_bench::model::get(http, "/metrics", ca)
        .await
        .context("no /metrics")?;
    let value = |kind: &str| {
        body.lines()
            .find(|l| l.starts_with(&format!("iamd_peer_rpcs_total{{kind=\"{kind}\"}}")))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok((value("forward"), value("read_index")))
}

fn sigv4_cost() -> Duration {
    use iam_auth::sigv4::{parse, sha256_hex, sign, verify, SignedRequest, SigningParams};
    let now = 1_700_000_000_000;
    let body = b"Action=ListUsers&Version=2010-05-08";
    let mut req = SignedRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("host".into(), "127.0.0.1:7101".into()),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        payload_sha256: Some(sha256_hex(body)),
    };
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let auth = sign(
        &mut req,
        &SigningParams {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: secret,
            session_token: None,
            region: "us-east-1",
            service: "iam",
            time_ms: now,
        },
    )
    .expect("sign");
    req.headers.push(("authorization".into(), auth));
    let n = 20_000u32;
    let t = Instant::now();
    for _ in 0..n {
        let mut r = req.clone();
        r.payload_sha256 = Some(sha256_hex(body));
        let p = parse(&r).expect("parse");
        verify(&r, &p, secret, "iam", now).expect("verify");
    }
    t.elapsed() / n
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "SigV4: parse + body hash + verify of a small request: {:.1?} per request (in process)\n",
        sigv4_cost()
    );
    let procs = start_iamd(&args.iamd, &args.data, None, args.tls).await?;
    let ca = procs.ca_bundle.as_deref();
    println!("API: {}\n", if args.tls { "TLS" } else { "plaintext" });
    let creds = procs.creds.clone().context("no root credentials")?;
    let mut admin = Client::with_ca_bundle(&procs.endpoints, Duration::from_secs(60), ca)?
        .with_credentials(creds.clone());
    let account = {
        let (v, _) = admin
            .read(
                &iam_state::Query::GetAccount {
                    account_id: String::new(),
                },
                ReadOptions::default(),
            )
            .await?;
        v["id"].as_str().context("account id")?.to_owned()
    };
    let w = |op: iam_state::Op| Command::In {
        account: account.clone(),
        op,
    };
    let mut setup = vec![
        w(PolicyOp::Create {
            policy_name: "bench".into(),
            path: "/".into(),
            policy_document: POLICY.into(),
            description: String::new(),
            tags: vec![],
            policy_id: String::new(),
        }
        .into()),
        w(GroupOp::create("readers", "/", "").into()),
        w(PolicyOp::Attach {
            entity: EntityKind::Group,
            entity_name: "readers".into(),
            policy_arn: format!("arn:aws:iam::{account}:policy/bench"),
        }
        .into()),
    ];
    for i in 0..args.users {
        setup.push(w(UserOp::Create {
            name: format!("u{i}"),
            path: "/".into(),
            tags: vec![],
            permissions_boundary: None,
            user_id: String::new(),
        }
        .into()));
        setup.push(w(GroupOp::AddUser {
            group_name: "readers".into(),
            user_name: format!("u{i}"),
        }
        .into()));
    }
    for c in &setup {
        admin.write(c, &Client::new_token()).await?;
    }
    // The leader and one follower.
    let mut leader_http = String::new();
    let mut follower = None;
    for (i, ep) in procs.endpoints.iter().enumerate() {
        let one = Client::with_ca_bundle(std::slice::from_ref(ep), Duration::from_secs(5), ca)?
            .with_credentials(creds.clone());
        let s = one
            .call_one(
                0,
                |_, mut c| async move { c.status(StatusRequest {}).await },
            )
            .await?;
        let http = s
            .members
            .iter()
            .find(|m| m.id == s.id)
            .map(|m| m.http.clone())
            .unwrap_or_default();
        if s.role == "leader" {
            leader_http = http;
        } else if follower.is_none() {
            follower = Some(i);
        }
    }
    let f = follower.context("no follower")?;
    let ep = procs.endpoints[f].clone();
    let mut signed = Vec::new();
    for _ in 0..args.connections.max(1) {
        signed.push(Signed::new(
            channel(&ep, ca).await?,
            authority(&ep),
            Some(Arc::new(creds.clone())),
        ));
    }
    let signed = Arc::new(signed);
    let users = args.users;
    let check = move |i: u64| AuthorizeRequest {
        read: None,
        principal_arn: String::new(),
        action: if i % 4 == 3 {
            "s3:DeleteObject"
        } else {
            "s3:GetObject"
        }
        .into(),
        resource: format!("arn:aws:s3:::data/u{}/file{}", i % users as u64, i % 7),
        context: vec![],
        explain: false,
        signed_request: None,
    };
    let acct = account.clone();
    let check = Arc::new(move |i: u64| {
        let mut c = check(i);
        c.principal_arn = format!("arn:aws:iam::{acct}:user/u{}", i % users as u64);
        c
    });
    println!(
        "Follower node {} (endpoint {ep}, {} connection(s)); {} users in a group with one managed policy.\n",
        f + 1,
        signed.len(),
        users
    );
    println!("| mode | clients | checks/s | p50 | p99 | errors | leader forward+read_index RPCs during run |");
    println!("|---|---|---|---|---|---|---|");
    for &clients in &args.clients {
        let before = leader_counters(&leader_http, ca).await?;
        let (s2, c2) = (signed.clone(), check.clone());
        let r = run(
            clients,
            Duration::from_secs(args.seconds),
            move |ci, seq| {
                let mut c = IamClient::new(s2[ci % s2.len()].clone());
                let mut req = c2(seq * 64 + ci as u64);
                req.read = local();
                async move { outcome(c.authorize(req).await) }
            },
        )
        .await;
        let after = leader_counters(&leader_http, ca).await?;
        println!(
            "| single | {clients} | {:.0} | {:.2?} | {:.2?} | {} | {} |",
            r.throughput(),
            r.p50,
            r.p99,
            r.errors,
            (after.0 - before.0) + (after.1 - before.1)
        );
        let before = after;
        let (s2, c2, batch) = (signed.clone(), check.clone(), args.batch);
        let r = run(
            clients,
            Duration::from_secs(args.seconds),
            move |ci, seq| {
                let mut c = IamClient::new(s2[ci % s2.len()].clone());
                let checks = (0..batch as u64)
                    .map(|k| c2(seq * 997 + ci as u64 * 31 + k))
                    .collect();
                let req = AuthorizeBatchRequest {
                    read: local(),
                    checks,
                };
                async move { outcome(c.authorize_batch(req).await) }
            },
        )
        .await;
        let after = leader_counters(&leader_http, ca).await?;
        println!(
            "| batch of {} | {clients} | {:.0} | {:.2?} (per batch) | {:.2?} (per batch) | {} | {} |",
            args.batch,
            r.throughput() * args.batch as f64,
            r.p50,
            r.p99,
            r.errors,
            (after.0 - before.0) + (after.1 - before.1)
        );
    }
    if args.open_loop_rate > 0.0 {
        println!(
            "\nOpen loop: {:.0} checks/s offered for {} s per row; a check's latency is its call's, from the call's scheduled start.\n",
            args.open_loop_rate, args.seconds
        );
        println!("| checks per call | calls/s offered | checks/s answered | p50 / p99 per check from dispatch | p50 / p99 per check from schedule | max (schedule) | errors |");
        println!("|---|---|---|---|---|---|---|");
        for &batch in &args.open_loop_batches {
            let batch = batch.max(1);
            let calls = args.open_loop_rate / batch as f64;
            let (s2, c2) = (signed.clone(), check.clone());
            let (r, sent) = run_at_rate(calls, Duration::from_secs(args.seconds), move |seq| {
                let mut c = IamClient::new(s2[seq as usize % s2.len()].clone());
                let checks: Vec<_> = (0..batch as u64).map(|k| c2(seq * 1009 + k)).collect();
                async move {
                    if batch == 1 {
                        let mut req = checks.into_iter().next().unwrap_or_default();
                        req.read = local();
                        outcome(c.authorize(req).await)
                    } else {
                        let req = AuthorizeBatchRequest {
                            read: local(),
                            checks,
                        };
                        outcome(c.authorize_batch(req).await)
                    }
                }
            })
            .await;
            println!(
                "| {batch} | {calls:.0} | {:.0} | {:.2?} / {:.2?} | {:.2?} / {:.2?} | {:.2?} | {} |",
                r.throughput() * batch as f64,
                sent.p50,
                sent.p99,
                r.p50,
                r.p99,
                r.max,
                r.errors
            );
        }
    }
    Ok(())
}
