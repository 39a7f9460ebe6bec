//! *revocation*: a user with an access key and a policy allowing `iam:GetUser` is shown to
//! be allowed, then loses the right (DeleteAccessKey, UpdateAccessKey Inactive, or a policy
//! detach, in turn). Once the revocation is acknowledged at log index N, a request signed
//! with that key and asking for `at-least N` — and a linearizable one — on every node must
//! be refused. An answer is a stale allow: a violation. Unanswered probes (a node down or
//! cut off) prove nothing either way and are counted apart.

use super::{at_least, linearizable, refusal, Env};
use iam_client::{Client, ClientError, Credentials};
use iam_proto::v1::{GetUserRequest, ReadOptions};
use iam_state::ops::access_keys::AccessKeyOp;
use iam_state::ops::policies::{EntityKind, PolicyOp};
use iam_state::ops::users::UserOp;
use iam_state::Command;
use std::time::{Duration, Instant};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;
pub const POLICY_NAME: &str = "chaos-get-user";

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    /// Rounds whose revocation was acknowledged and probed.
    pub rounds: usize,
    /// Rounds skipped: setup or the revocation itself did not complete.
    pub skipped: usize,
    /// Probes refused as they must be, by consistency.
    pub refused_at_least: usize,
    pub refused_linearizable: usize,
    /// Probes with no answer (node down, cut off, timed out).
    pub unanswered: usize,
    /// Stale allows: (round, revocation, node, consistency, log index).
    pub stale_allows: Vec<String>,
    /// By revocation kind: rounds.
    pub by_kind: std::collections::BTreeMap<String, usize>,
}

pub async fn setup(env: &Env) -> anyhow::Result<()> {
    let (_, mut c) = env.client(0);
    let cmd = Command::in_account(
        &env.account,
        PolicyOp::Create {
            policy_name: POLICY_NAME.into(),
            path: "/".into(),
            policy_document: POLICY.into(),
            description: String::new(),
            tags: vec![],
            policy_id: String::new(),
        },
    );
    c.write(&cmd, &Client::new_token()).await?;
    Ok(())
}

fn policy_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:policy/{POLICY_NAME}")
}

/// GetUser of itself signed with `creds` on `url`; Ok(true) = allowed.
async fn probe(
    env: &Env,
    url: &str,
    creds: &Credentials,
    user: &str,
    read: ReadOptions,
) -> Result<bool, ClientError> {
    let c = env.client_at(url, creds);
    let req = GetUserRequest {
        read: Some(read),
        account: env.account.clone(),
        name: user.to_owned(),
    };
    match c
        .call_one(0, move |mut c, _| {
            let req = req.clone();
            async move { c.get_user(req).await }
        })
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if refusal(&e).is_some() => Ok(false),
        Err(e) => Err(e),
    }
}

/// One round; `None` when it had to be skipped.
async fn round(env: &Env, n: usize, report: &mut Report) -> Option<()> {
    let (_, mut admin) = env.client(n);
    let user = format!("rv-{n}");
    let w = |op: iam_state::Op| Command::In {
        account: env.account.clone(),
        op,
    };
    // Setup, each step retried with its token across nodes (a careful admin).
    let run = |cmd: Command| {
        let env = env.clone();
        async move {
            let token = Client::new_token();
            let start = Instant::now();
            let mut node = n;
            loop {
                let (_, mut c) = env.client(node);
                match c.write(&cmd, &token).await {
                    Ok(r) => return Some(r),
                    Err(e) if refusal(&e).is_some() => return None,
                    Err(_) if start.elapsed() > Duration::from_secs(8) || env.stopped() => {
                        return None
                    }
                    Err(_) => {
                        node += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    };
    run(w(UserOp::Create {
        name: user.clone(),
        path: "/rv/".into(),
        tags: vec![],
        permissions_boundary: None,
        user_id: String::new(),
    }
    .into()))
    .await?;
    run(w(PolicyOp::Attach {
        entity: EntityKind::User,
        entity_name: user.clone(),
        policy_arn: policy_arn(&env.account),
    }
    .into()))
    .await?;
    let (key, index) = run(w(AccessKeyOp::Create {
        user_name: user.clone(),
        access_key_id: String::new(),
        secret_access_key: String::new(),
    }
    .into()))
    .await?;
    let creds = Credentials {
        access_key_id: key["access_key_id"].as_str()?.to_owned(),
        secret_access_key: key["secret_access_key"].as_str()?.to_owned(),
        session_token: None,
    };
    // The key must work first, or a refusal later proves nothing.
    let (_, url) = &env.nodes[n % env.nodes.len()];
    let mut allowed = false;
    let start = Instant::now();
    while !allowed && start.elapsed() < Duration::from_secs(8) && !env.stopped() {
        allowed = matches!(
            probe(env, url, &creds, &user, at_least(index)).await,
            Ok(true)
        );
        if !allowed {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    if !allowed {
        return None;
    }
    let kind = ["delete-key", "deactivate-key", "detach-policy"][n % 3];
    let revoke = match kind {
        "delete-key" => w(AccessKeyOp::Delete {
            user_name: Some(user.clone()),
            access_key_id: creds.access_key_id.clone(),
        }
        .into()),
        "deactivate-key" => w(AccessKeyOp::Update {
            user_name: Some(user.clone()),
            access_key_id: creds.access_key_id.clone(),
            status: "Inactive".into(),
        }
        .into()),
        _ => w(PolicyOp::Detach {
            entity: EntityKind::User,
            entity_name: user.clone(),
            policy_arn: policy_arn(&env.account),
        }
        .into()),
    };
    // Only a revocation this client saw acknowledged counts (with its index).
    let index = match admin.write(&revoke, &Client::new_token()).await {
        Ok((_, index)) => index,
        Err(_) => return None,
    };
    report.rounds += 1;
    *report.by_kind.entry(kind.to_owned()).or_default() += 1;
    // Every node at once, at once: a follower has usually not applied N yet.
    let mut probes = Vec::new();
    for (id, url) in &env.nodes {
        for (name, read) in [
            ("at-least", at_least(index)),
            ("linearizable", linearizable()),
        ] {
            let (env, url, creds, user, id) =
                (env.clone(), url.clone(), creds.clone(), user.clone(), *id);
            probes.push(tokio::spawn(async move {
                (id, name, probe(&env, &url, &creds, &user, read).await)
            }));
        }
    }
    for p in probes {
        let Ok((id, name, answer)) = p.await else {
            report.unanswered += 1;
            continue;
        };
        match answer {
            Ok(true) => report.stale_allows.push(format!(
                "round {n} ({kind} at index {index}): node {id} allowed a {name} request"
            )),
            Ok(false) if name == "at-least" => report.refused_at_least += 1,
            Ok(false) => report.refused_linearizable += 1,
            Err(_) => report.unanswered += 1,
        }
    }
    Some(())
}

/// Runs rounds one after another until `env.stop`.
pub async fn run(env: Env) -> Report {
    let mut report = Report::default();
    let mut n = 0;
    while !env.stopped() {
        if round(&env, n, &mut report).await.is_none() {
            report.skipped += 1;
        }
        n += 1;
    }
    report
}
