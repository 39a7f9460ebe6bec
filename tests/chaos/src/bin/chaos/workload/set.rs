//! *set*: unique creations. Users `set-c<client>-<n>` (path `/set/`) from clients spread
//! over the nodes; and roles `q-c<client>-<n>` (path `/quota/`) past the account's role
//! quota (250): at the end every acknowledged creation is on every node, nothing is there
//! that was never attempted, nothing refused is there, and no more roles than the quota.

use super::{backoff, write_failure, Env};
use iam_client::{Client, ClientError};
use iam_proto::v1::ReadOptions;
use iam_state::ops::roles::{RoleOp, RoleQuery};
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::PageRequest;
use iam_state::{Command, Query};
use iamd_chaos::history::Outcome;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Which entity a set workload creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Users,
    Roles,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Users => "set",
            Kind::Roles => "q",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Users => "/set/",
            Kind::Roles => "/quota/",
        }
    }

    fn command(self, account: &str, name: String) -> Command {
        match self {
            Kind::Users => Command::in_account(
                account,
                UserOp::Create {
                    name,
                    path: self.path().into(),
                    tags: vec![],
                    permissions_boundary: None,
                    user_id: String::new(),
                },
            ),
            Kind::Roles => Command::in_account(
                account,
                RoleOp::Create {
                    name,
                    path: self.path().into(),
                    assume_role_policy_document: TRUST.into(),
                    description: None,
                    max_session_duration: None,
                    permissions_boundary: None,
                    tags: vec![],
                    role_id: String::new(),
                },
            ),
        }
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// One creation attempt; times in ns since the run's origin.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub name: String,
    pub outcome: Outcome,
    pub invoked_ns: u64,
    /// When it was acknowledged (Ok only).
    pub ok_ns: Option<u64>,
    /// What went wrong (not Ok), as the client saw it.
    pub error: Option<String>,
}

/// Every attempt of a set workload.
pub type Attempts = Arc<Mutex<Vec<Attempt>>>;

/// Runs `clients` creators until `env.stop` or, for roles, until `limit` attempts were made
/// in all. `now_ns` gives the run's clock (for liveness figures).
pub async fn run(
    env: Env,
    kind: Kind,
    clients: usize,
    limit: Option<usize>,
    attempts: Attempts,
    now_ns: impl Fn() -> u64 + Clone + Send + Sync + 'static,
) {
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (env, attempts, counter, now_ns) = (
            env.clone(),
            attempts.clone(),
            counter.clone(),
            now_ns.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut node = i;
            let mut n = 0;
            while !env.stopped() {
                let total = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if limit.is_some_and(|l| total >= l) {
                    // Done: keep the task alive (no busy loop) until the run stops.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                let name = format!("{}-c{i}-{n}", kind.prefix());
                n += 1;
                let (_, mut c) = env.client(node);
                let invoked_ns = now_ns();
                let r = c
                    .write(
                        &kind.command(&env.account, name.clone()),
                        &Client::new_token(),
                    )
                    .await;
                let (outcome, at) = match &r {
                    Ok(_) => (Outcome::Ok, Some(now_ns())),
                    Err(e) => (write_failure(e), None),
                };
                attempts.lock().expect("attempts").push(Attempt {
                    name,
                    outcome,
                    invoked_ns,
                    ok_ns: at,
                    error: r.as_ref().err().map(|e| format!("{e:?}")),
                });
                if r.is_err() {
                    node += 1;
                    backoff().await;
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// The names of `kind` on one node, read with `read` consistency.
pub async fn list(
    c: &mut Client,
    account: &str,
    kind: Kind,
    read: ReadOptions,
) -> Result<BTreeSet<String>, ClientError> {
    let mut names = BTreeSet::new();
    let mut marker = None;
    loop {
        let page = PageRequest {
            marker: marker.clone(),
            max_items: Some(1000),
        };
        let q = match kind {
            Kind::Users => Query::in_account(
                account,
                UserQuery::List {
                    path_prefix: kind.path().into(),
                    page,
                },
            ),
            Kind::Roles => Query::in_account(
                account,
                RoleQuery::List {
                    path_prefix: kind.path().into(),
                    page,
                },
            ),
        };
        let (v, _) = c.read(&q, read).await?;
        for item in v["items"].as_array().into_iter().flatten() {
            if let Some(n) = item["name"].as_str() {
                names.insert(n.to_owned());
            }
        }
        match v["marker"].as_str() {
            Some(m) if v["is_truncated"].as_bool() == Some(true) => marker = Some(m.to_owned()),
            _ => return Ok(names),
        }
    }
}
