//! A client load for tests that change a cluster under it (certificate rotation, node
//! replacement): one writer creating users through a new connection each time, over every
//! node in turn with the others as failover, as a real client would, with a request token so
//! that its retries apply once. It records what was acknowledged and what failed.

use crate::Cluster;
use iam_client::Client;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The pause between two writes of a load.
const PACE: Duration = Duration::from_millis(20);

/// A running load; [`Load::finish`] stops it.
pub struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Report>,
}

/// What a load saw.
#[derive(Debug, Default)]
pub struct Report {
    /// The names of the users whose creation was acknowledged.
    pub created: Vec<String>,
    /// Every write that failed (after the client's own retries), with its error.
    pub errors: Vec<String>,
}

impl Load {
    /// Starts writing users named `{prefix}-{n}` until [`Load::finish`].
    pub fn start(c: &Cluster, prefix: &str) -> Load {
        let endpoints: Vec<String> = c.nodes.iter().map(|n| n.api_url()).collect();
        let creds = c.root_credentials();
        let bundle = c.ca_bundle.clone();
        let prefix = prefix.to_owned();
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let (stopped, acked) = (stop.clone(), ok.clone());
        let task = tokio::spawn(async move {
            let mut report = Report::default();
            let mut i = 0u64;
            while !stopped.load(Ordering::Relaxed) {
                i += 1;
                let name = format!("{prefix}-{i}");
                let mut eps = vec![endpoints[(i as usize) % endpoints.len()].clone()];
                eps.extend(endpoints.iter().cloned());
                let r = async {
                    let mut client =
                        Client::with_ca_bundle(&eps, Duration::from_secs(20), bundle.as_deref())?
                            .with_credentials(creds.clone());
                    let cmd = iam_state::Command::in_account(
                        "",
                        iam_state::ops::users::UserOp::Create {
                            name: name.clone(),
                            path: "/".into(),
                            tags: vec![],
                            permissions_boundary: None,
                            user_id: String::new(),
                        },
                    );
                    client.write(&cmd, &Client::new_token()).await
                }
                .await;
                match r {
                    Ok(_) => {
                        acked.fetch_add(1, Ordering::Relaxed);
                        report.created.push(name);
                    }
                    Err(e) => report.errors.push(format!("{name}: {e}")),
                }
                // About 40 writes a second: a steady client, not a benchmark (a long test
                // would otherwise run into the account's user quota).
                tokio::time::sleep(PACE).await;
            }
            report
        });
        Load { stop, ok, task }
    }

    /// How many writes were acknowledged so far.
    pub fn acknowledged(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }

    /// Stops the load and returns what it saw.
    pub async fn finish(self) -> Report {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the load task")
    }
}

impl Report {
    /// Asserts that no write failed beyond the client's own retries (`during` names what
    /// went on), that at least `min` were acknowledged, and that every acknowledged user is
    /// in `listed` (iamctl's JSON listing of the users, read linearizably after the load).
    pub fn assert_nothing_lost(&self, during: &str, min: usize, listed: &str) {
        eprintln!(
            "load: {} writes acknowledged, {} failed",
            self.created.len(),
            self.errors.len()
        );
        assert!(
            self.errors.is_empty(),
            "{} writes failed during {during}, first: {:?}",
            self.errors.len(),
            &self.errors[..self.errors.len().min(5)]
        );
        assert!(self.created.len() >= min, "{} writes", self.created.len());
        for name in &self.created {
            assert!(
                listed.contains(&format!("\"{name}\"")),
                "acknowledged {name} is lost"
            );
        }
    }
}

impl Cluster {
    /// Every user of the operator's account, as iamctl's JSON, read linearizably.
    pub fn users_listed(&mut self) -> String {
        let (code, out, err) = self.iamctl(&[
            "--consistency",
            "linearizable",
            "-o",
            "json",
            "user",
            "list",
        ]);
        assert_eq!(code, 0, "user list: {err}");
        out
    }
}
