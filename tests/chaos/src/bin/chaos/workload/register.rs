//! *register*: one register per key — the tag `v` of user `reg-<k>` — written with TagUser
//! (unique values) and read with linearizable GetUser, from clients spread over the nodes.
//! Checked for linearizability per key.

use super::{backoff, linearizable, read_failure, write_failure, Env};
use iam_proto::v1::GetUserRequest;
use iam_state::ops::users::UserOp;
use iam_state::Command;
use iamd_chaos::check::linear::{RegInput, RegOp, RegOutput};
use iamd_chaos::history::{History, Outcome};
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub type RegHistory = History<RegOp, RegOutput>;

pub fn user(key: usize) -> String {
    format!("reg-{key}")
}

/// Creates the users whose tags are the registers.
pub async fn setup(env: &Env, keys: usize) -> anyhow::Result<()> {
    let (_, mut c) = env.client(0);
    for k in 0..keys {
        let cmd = Command::in_account(
            &env.account,
            UserOp::Create {
                name: user(k),
                path: "/reg/".into(),
                tags: vec![],
                permissions_boundary: None,
                user_id: String::new(),
            },
        );
        c.write(&cmd, &iam_client::Client::new_token()).await?;
    }
    Ok(())
}

/// Reads the register of `key` through `client` with `read` consistency.
pub async fn read(
    c: &iam_client::Client,
    account: &str,
    key: usize,
    read: iam_proto::v1::ReadOptions,
) -> Result<Option<i64>, iam_client::ClientError> {
    let req = GetUserRequest {
        read: Some(read),
        account: account.to_owned(),
        name: user(key),
    };
    let r = c
        .call_one(0, move |mut c, _| {
            let req = req.clone();
            async move { c.get_user(req).await }
        })
        .await?;
    Ok(r.user
        .and_then(|u| u.tags.into_iter().find(|t| t.key == "v"))
        .and_then(|t| t.value.parse().ok()))
}

/// Writes `value` into the register of `key`.
pub async fn write(
    c: &mut iam_client::Client,
    account: &str,
    key: usize,
    value: i64,
) -> Result<u64, iam_client::ClientError> {
    let cmd = Command::in_account(
        account,
        UserOp::Tag {
            name: user(key),
            tags: vec![iam_model::Tag {
                key: "v".into(),
                value: value.to_string(),
            }],
        },
    );
    super::write_once(c, &cmd, &iam_client::Client::new_token())
        .await
        .map(|(_, index)| index)
}

/// Runs `clients` clients until `env.stop`; client `i` starts on node `i` and moves to the
/// next node after a failure. A client whose write's outcome is unknown continues as a new
/// process (its old one may still be in flight, as Jepsen does).
pub async fn run(env: Env, history: RegHistory, clients: usize, keys: usize, seed: u64) {
    let next_value = Arc::new(AtomicI64::new(1));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (env, history, next_value) = (env.clone(), history.clone(), next_value.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ (i as u64 * 7919));
            let mut node = i;
            let mut process = i;
            while !env.stopped() {
                let (_, mut c) = env.client(node);
                let key = rng.gen_range(0..keys);
                if rng.gen_bool(0.5) {
                    let value = next_value.fetch_add(1, Ordering::Relaxed);
                    let p = history.invoke(
                        process,
                        RegOp {
                            key: key.to_string(),
                            op: RegInput::Write(value),
                        },
                    );
                    match write(&mut c, &env.account, key, value).await {
                        Ok(_) => history.complete(p, Outcome::Ok, Some(RegOutput::Written)),
                        Err(e) => {
                            let outcome = write_failure(&e);
                            history.complete(p, outcome, None);
                            if outcome == Outcome::Info {
                                process += clients;
                            }
                            node += 1;
                            backoff().await;
                        }
                    }
                } else {
                    let p = history.invoke(
                        process,
                        RegOp {
                            key: key.to_string(),
                            op: RegInput::Read,
                        },
                    );
                    match read(&c, &env.account, key, linearizable()).await {
                        Ok(v) => history.complete(p, Outcome::Ok, Some(RegOutput::Read(v))),
                        Err(e) => {
                            history.complete(p, read_failure(&e), None);
                            node += 1;
                            backoff().await;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}
