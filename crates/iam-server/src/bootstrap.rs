//! A new cluster's first moments: once the bootstrapping node leads, it records this
//! build's release as the cluster's, creates the operator account (the first account,
//! which administers the cluster) with a root access key (and, in sandbox mode, the
//! sandbox user: `crate::sandbox`), and the first STS token key. The root credentials exist in the clear only here, once: they
//! are written to `--root-credentials-file` or printed on stderr.

use crate::api::{reveal, ApiState};
use iam_state::ops::access_keys::{AccessKeyOp, ROOT};
use iam_state::{Command, Outcome};
use std::path::PathBuf;
use std::time::Duration;

/// The operator account's name and email.
const OPERATOR_NAME: &str = "operator";
const OPERATOR_EMAIL: &str = "root@iamd.local";

/// Runs in the background of a `--bootstrap` node; retries until done or two minutes pass.
/// A restarted bootstrap node finds the operator account and only makes sure a token key
/// exists. Each write carries a request token chosen at random once per run (in the node's
/// own token scope), so a retry after a failover returns the first result (the same
/// account, the same key) instead of creating another, and nobody can guess or use it.
pub(crate) async fn run(s: ApiState, credentials_file: Option<PathBuf>) {
    let mut fresh = None;
    let run_id = format!("{:032x}", rand::random::<u128>());
    for _ in 0..600 {
        // Whether the cluster is fresh is decided on a state that includes every committed
        // write (a restarted node's state may lag: it must not take the cluster for new).
        if sees_every_commit(&s).await {
            let is_fresh = *fresh
                .get_or_insert_with(|| iam_state::system::operator_account(&s.view).is_none());
            match step(&s, is_fresh, credentials_file.as_ref(), &run_id).await {
                Ok(()) => return,
                Err(e) => tracing::debug!(error = %e, "bootstrap not done yet"),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tracing::error!("could not create the operator account and token key in 2 minutes");
}

/// Whether a leader is known and this node's state now holds every write committed before
/// this call (a linearizable barrier): what a decision on "is the state empty" needs.
pub(crate) async fn sees_every_commit(s: &ApiState) -> bool {
    s.node.metrics().current_leader.is_some()
        && s.node
            .read_barrier(iam_raft::Consistency::Linearizable)
            .await
            .is_ok()
}

async fn step(
    s: &ApiState,
    fresh: bool,
    credentials_file: Option<&PathBuf>,
    run_id: &str,
) -> Result<(), String> {
    let write = |what: &'static str, cmd: Command| async move {
        s.execute_internal_with_token(&format!("iamd-bootstrap-{run_id}-{what}"), cmd)
            .await
            .map(|(o, _)| o)
            .map_err(|e| e.message)
    };
    if iam_state::system::key_ring(&s.view).keys.is_empty() {
        write(
            "token-key",
            Command::RotateTokenKey {
                sealed_key: String::new(),
            },
        )
        .await?;
    }
    if !fresh {
        if s.sandbox {
            // A sandbox made by an older build has no sandbox user yet.
            crate::sandbox::ensure_user(s, &format!("iamd-bootstrap-{run_id}")).await?;
        }
        return Ok(());
    }
    // A new cluster runs this build's release from the start (an upgraded one only once the
    // operator finalizes it: `iamctl cluster finalize-upgrade`).
    let release = iam_state::release::RELEASE;
    if iam_state::release::cluster_release(&s.view) < release {
        write("release", Command::FinalizeRelease { release }).await?;
    }
    let outcome = write(
        "operator-account",
        Command::CreateAccount {
            // A sandbox's operator account is the sandbox account itself.
            account_id: if s.sandbox {
                crate::config::SANDBOX_ACCOUNT.into()
            } else {
                String::new()
            },
            name: if s.sandbox { "sandbox" } else { OPERATOR_NAME }.into(),
            email: OPERATOR_EMAIL.into(),
        },
    )
    .await?;
    let Outcome::Account(account) = outcome else {
        return Err(format!("unexpected outcome {outcome:?}"));
    };
    let key = write(
        "root-key",
        Command::in_account(
            &account.id,
            AccessKeyOp::Create {
                user_name: ROOT.into(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            },
        ),
    )
    .await?;
    let key: iam_state::ops::access_keys::AccessKey =
        serde_json::from_value(reveal(s.auth.secrets(), &key))
            .map_err(|_| "the new root key does not read as an access key".to_owned())?;
    let (id, secret) = (&key.access_key_id, &key.secret_access_key);
    let text = format!(
        "# iamd operator account {acct} (root). Keep this file secret.\n[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_account_id = {acct}\n",
        acct = account.id
    );
    if s.sandbox {
        crate::sandbox::ensure_user(s, &format!("iamd-bootstrap-{run_id}")).await?;
    }
    match credentials_file {
        Some(path) => match crate::config::write_private(path, &text) {
            Ok(()) => tracing::info!(
                account = %account.id,
                path = %path.display(),
                "created the operator account; its root credentials are in the file"
            ),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot write the root credentials");
                eprintln!("{text}");
            }
        },
        None => {
            tracing::info!(account = %account.id, "created the operator account");
            eprintln!(
                "\n=== root credentials of the operator account {} (shown once) ===\n{text}",
                account.id
            );
        }
    }
    Ok(())
}

/// How often the node records the access-key uses it authenticated (`GetAccessKeyLastUsed`
/// is at most this much behind, plus AWS's 15-minute granularity).
pub(crate) const KEY_USE_FLUSH: Duration = Duration::from_secs(30);

/// Proposes the recorded key uses every [`KEY_USE_FLUSH`], for the life of the node.
pub(crate) async fn record_key_uses(s: ApiState) {
    loop {
        tokio::time::sleep(KEY_USE_FLUSH).await;
        for (key, u) in s.auth.take_uses() {
            let cmd = Command::in_account(
                &u.account,
                AccessKeyOp::RecordUse {
                    access_key_id: key,
                    service: u.service,
                    region: u.region,
                },
            );
            if let Err(e) = s.execute_internal(cmd).await {
                tracing::debug!(error = %e.message, "could not record an access key use");
            }
        }
    }
}
