//! *revocation*: a user with an access key and a policy allowing `iam:GetUser` is shown to
//! be allowed, then loses the right (DeleteAccessKey, UpdateAccessKey Inactive, a policy
//! detach, or — for a session of a role it assumed — `role revoke-sessions`, AWS's inline
//! `AWSRevokeOlderSessions` deny of tokens issued before now, in turn). Once the revocation is acknowledged at log index N, a request signed
//! with that key and asking for `at-least N` — and a linearizable one — on every node must
//! be refused. An answer is a stale allow: a violation. Unanswered probes (a node down or
//! cut off) prove nothing either way and are counted apart.

use super::{at_least, linearizable, refusal, Env};
use iam_client::{Client, ClientError, Credentials};
use iam_proto::v1::{AssumeRoleRequest, GetUserRequest, ReadOptions};
use iam_state::ops::access_keys::AccessKeyOp;
use iam_state::ops::policies::{EntityKind, PolicyOp};
use iam_state::ops::roles::RoleOp;
use iam_state::ops::users::UserOp;
use iam_state::Command;
use std::time::{Duration, Instant};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","sts:AssumeRole"],"Resource":"*"}]}"#;
const ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;

/// `ms` since the epoch as ISO 8601 (UTC, whole seconds), as `aws:TokenIssueTime` compares.
fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
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

/// A session of `role_arn` assumed with `creds` (tried on the nodes in turn for a while).
async fn assume(env: &Env, n: usize, creds: &Credentials, role_arn: &str) -> Option<Credentials> {
    let start = Instant::now();
    let mut node = n;
    let mut last = String::new();
    while start.elapsed() < Duration::from_secs(8) && !env.stopped() {
        let (_, url) = &env.nodes[node % env.nodes.len()];
        let c = env.client_at(url, creds);
        let req = AssumeRoleRequest {
            role_arn: role_arn.to_owned(),
            role_session_name: format!("chaos-{n}"),
            ..Default::default()
        };
        let r = c
            .call_one(0, move |mut i, _| {
                let req = req.clone();
                async move { i.assume_role(req).await }
            })
            .await;
        match r {
            Ok(t) => {
                return Some(Credentials {
                    access_key_id: t.access_key_id,
                    secret_access_key: t.secret_access_key,
                    session_token: Some(t.session_token),
                })
            }
            Err(e) => last = e.to_string(),
        }
        node += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("revocation round {n}: AssumeRole of {role_arn} failed: {last}");
    None
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
                    Err(e) if refusal(&e).is_some() => {
                        eprintln!("revocation round {n}: {} refused: {e}", cmd.name());
                        return None;
                    }
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
    let kind = [
        "delete-key",
        "deactivate-key",
        "detach-policy",
        "revoke-sessions",
    ][n % 4];
    // For revoke-sessions the caller is a session of a role the user assumed.
    let (creds, index) = if kind == "revoke-sessions" {
        let role = format!("rv-role-{n}");
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/rv/{user}"}},"Action":"sts:AssumeRole"}}]}}"#,
            env.account
        );
        run(w(RoleOp::Create {
            name: role.clone(),
            path: "/rv/".into(),
            assume_role_policy_document: trust,
            description: None,
            max_session_duration: None,
            permissions_boundary: None,
            tags: vec![],
            role_id: String::new(),
        }
        .into()))
        .await?;
        let (_, index) = run(w(PolicyOp::PutInline {
            entity: EntityKind::Role,
            entity_name: role.clone(),
            policy_name: "get-user".into(),
            policy_document: ROLE_POLICY.into(),
        }
        .into()))
        .await?;
        let session = assume(
            env,
            n,
            &creds,
            &format!("arn:aws:iam::{}:role/rv/{role}", env.account),
        )
        .await?;
        (session, index)
    } else {
        (creds, index)
    };
    // The credentials must work first, or a refusal later proves nothing.
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
        "detach-policy" => w(PolicyOp::Detach {
            entity: EntityKind::User,
            entity_name: user.clone(),
            policy_arn: policy_arn(&env.account),
        }
        .into()),
        // As `iamctl role revoke-sessions`: deny everything to tokens issued before the
        // whole second after now plus the nodes' clock tolerance (500 ms).
        _ => w(PolicyOp::PutInline {
            entity: EntityKind::Role,
            entity_name: format!("rv-role-{n}"),
            policy_name: "AWSRevokeOlderSessions".into(),
            policy_document: format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{}"}}}}}}]}}"#,
                iso8601(now_ms() + 1500)
            ),
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
