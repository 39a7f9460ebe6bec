//! Workloads: concurrent clients over the real gRPC API (SigV4-signed), each call recorded
//! in a history as invoke / ok / fail / info.

pub mod probe;
pub mod quota;
pub mod register;
pub mod revoke;
pub mod set;

use iam_client::{Client, ClientError, Credentials};
use iam_proto::v1::{Consistency, ReadOptions};
use iamd_chaos::history::Outcome;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What every workload client needs: the nodes' API URLs, the operator's credentials, the
/// account it works in, and the stop flag.
#[derive(Clone)]
pub struct Env {
    /// (node id, API URL) of every node a client may talk to.
    pub nodes: Vec<(u64, String)>,
    pub creds: Credentials,
    pub account: String,
    pub stop: Arc<AtomicBool>,
    /// Deadline of one call.
    pub deadline: Duration,
}

impl Env {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// A client of node number `i` (mod the node count) only: no failover, so the history
    /// says which node answered.
    pub fn client(&self, i: usize) -> (u64, Client) {
        let (id, url) = &self.nodes[i % self.nodes.len()];
        (*id, self.client_at(url, &self.creds))
    }

    pub fn client_at(&self, url: &str, creds: &Credentials) -> Client {
        Client::new(&[url.to_owned()], self.deadline)
            .expect("loopback endpoint")
            .with_credentials(creds.clone())
    }
}

pub fn linearizable() -> ReadOptions {
    ReadOptions {
        consistency: Consistency::Linearizable as i32,
        at_least_index: 0,
    }
}

pub fn at_least(index: u64) -> ReadOptions {
    ReadOptions {
        consistency: Consistency::AtLeast as i32,
        at_least_index: index,
    }
}

pub fn local() -> ReadOptions {
    ReadOptions {
        consistency: Consistency::Local as i32,
        at_least_index: 0,
    }
}

/// One attempt of a write on the client's one node, with `token` (no retry: `Client::write`
/// retries on its own, and a retry's error — "connection refused" once the node died —
/// would hide that the first attempt may have been applied).
pub async fn write_once(
    c: &Client,
    command: &iam_state::Command,
    token: &str,
) -> Result<(serde_json::Value, u64), ClientError> {
    let call = iam_proto::v1::WriteCall {
        write: Some(iam_proto::v1::WriteOptions {
            request_token: token.to_owned(),
        }),
        command_json: serde_json::to_string(command).expect("commands serialize"),
    };
    let r = c
        .call_one(0, move |mut i, _| {
            let call = call.clone();
            async move { i.write(call).await }
        })
        .await?;
    let v = serde_json::from_str(&r.outcome_json)
        .map_err(|e| ClientError::Internal(format!("outcome is not JSON: {e}")))?;
    Ok((v, r.log_index))
}

/// How a failed write is recorded: a refusal by the service (not found, exists, limit,
/// denied) wrote nothing (iamd's business rejections write nothing); anything else
/// (timeout, lost connection, leader change, internal error) may or may not have taken
/// effect. Even "connection refused" is unknown: the chaos suite saw a write whose node was
/// killed while it was in flight come back as a refused reconnection, yet be committed by
/// the next leader.
pub fn write_failure(e: &ClientError) -> Outcome {
    match e {
        ClientError::Refused { .. } | ClientError::Usage(_) => Outcome::Fail,
        _ => Outcome::Info,
    }
}

/// A read that failed had no effect; recording it as Fail drops it from the check.
pub fn read_failure(_: &ClientError) -> Outcome {
    Outcome::Fail
}

/// The error code of a refusal, if it is one.
pub fn refusal(e: &ClientError) -> Option<&str> {
    match e {
        ClientError::Refused { code, .. } => Some(code),
        _ => None,
    }
}

/// A short pause after a failed call, so that a client of a dead node does not spin.
pub async fn backoff() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}
