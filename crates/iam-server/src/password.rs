//! Password hashing for login profiles: argon2id with the crate's recommended parameters and
//! a random salt, stored in the PHC string format (`$argon2id$v=19$...`); the checks a node
//! makes before proposing a `ChangePassword` (old password, reuse, attempts reserved
//! cluster-wide); the per-node limit for names without a login profile; and the counts of
//! password checks run.

use crate::api::ApiState;
use crate::auth::Caller;
use crate::status::from_iam;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use iam_model::{ErrorCode, IamError};
use iam_state::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use tonic::Status;

/// Hashes a password for storage.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        // Hashing fails only for parameters or salts out of argon2's ranges, which the
        // defaults and a generated salt never are.
        .unwrap_or_default()
}

/// Checks a password against a stored hash (false for malformed hashes).
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// What the proposing node checks for a `ChangePassword` (see
/// `iam_state::ops::login_profiles::ChangeCheck`): the old password against the current
/// hash, the new one against the current hash and the history. `None` without a login
/// profile (apply then answers NoSuchEntity).
pub fn check_change(
    hashes: &[String],
    old: &str,
    new: &str,
) -> iam_state::ops::login_profiles::ChangeCheck {
    let current = hashes.first().cloned().unwrap_or_default();
    iam_state::ops::login_profiles::ChangeCheck {
        old_matches: verify(old, &current),
        reused_at: hashes
            .iter()
            .position(|h| verify(new, h))
            .and_then(|i| u32::try_from(i).ok()),
        current_hash: current,
    }
}

/// Password checks for names that have no login profile (an unknown account or user, or a
/// user without a password), limited on this node alone: nothing to protect, nothing to
/// write, but the same answers as a user's limit so that the answer does not tell the
/// difference. [`FailedAttempts::try_reserve`] counts an attempt before the check runs, so a
/// burst cannot pass the limit either. A user with a login profile is limited across the
/// cluster (`LoginProfileOp::ReserveAttempt`).
#[derive(Default)]
pub struct FailedAttempts {
    by_user: std::sync::Mutex<std::collections::HashMap<String, Vec<u64>>>,
}

pub const FAILURES_MAX: usize = 5;
pub const FAILURE_WINDOW_MS: u64 = 5 * 60 * 1000;

impl FailedAttempts {
    /// Counts an attempt of `who` now, unless [`FAILURES_MAX`] are counted within
    /// [`FAILURE_WINDOW_MS`] (then `false`: refuse it).
    pub fn try_reserve(&self, who: &str, now_ms: u64) -> bool {
        let Ok(mut m) = self.by_user.lock() else {
            return false;
        };
        if m.len() > 100_000 {
            m.retain(|_, list| {
                list.iter()
                    .any(|t| now_ms < t.saturating_add(FAILURE_WINDOW_MS))
            });
        }
        let list = m.entry(who.to_owned()).or_default();
        list.retain(|t| now_ms < t.saturating_add(FAILURE_WINDOW_MS));
        if list.len() >= FAILURES_MAX {
            return false;
        }
        list.push(now_ms);
        true
    }
}

/// Password checks (argon2) this node ran, by purpose: what the lockout bounds
/// (`iamd_password_checks_total` on `/metrics`).
pub(crate) struct CheckCounts {
    pub sign_in: AtomicU64,
    /// Against the decoy hash, for names without a login profile.
    pub decoy: AtomicU64,
    /// `ChangePassword`'s old password.
    pub change: AtomicU64,
}

pub(crate) static CHECKS: CheckCounts = CheckCounts {
    sign_in: AtomicU64::new(0),
    decoy: AtomicU64::new(0),
    change: AtomicU64::new(0),
};

/// Appends the password-check counters to a `/metrics` page.
pub(crate) fn write_metrics(out: &mut String) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "# HELP iamd_password_checks_total Password checks (argon2) run, by purpose.\n# TYPE iamd_password_checks_total counter"
    );
    for (kind, v) in [
        ("sign_in", &CHECKS.sign_in),
        ("decoy", &CHECKS.decoy),
        ("change", &CHECKS.change),
    ] {
        let _ = writeln!(
            out,
            "iamd_password_checks_total{{kind=\"{kind}\"}} {}",
            v.load(Ordering::Relaxed)
        );
    }
}

/// Whether a refusal carries the AWS error `code`.
pub(crate) fn has_code(s: &Status, code: &str) -> bool {
    s.metadata()
        .get(crate::status::ERROR_CODE_HEADER)
        .and_then(|v| v.to_str().ok())
        == Some(code)
}

impl ApiState {
    /// `ChangePassword`: only a user for their own password; fills in what the node found
    /// (argon2 is too slow for apply). The old-password check is reserved through Raft
    /// first (`LoginProfileOp::ReserveAttempt`, shared with sign-in), so at most a few wrong
    /// old passwords are ever checked per window, cluster-wide, however many requests run at
    /// once; a right one forgets the count. Returns whether the account's password policy
    /// allows it without a policy grant (`AllowUsersToChangePassword`, as AWS).
    pub(crate) async fn check_password_change(
        &self,
        caller: &Caller,
        command: &mut Command,
    ) -> Result<bool, Status> {
        use iam_state::ops::login_profiles::{stored_hashes, LoginProfileOp};
        let Command::In {
            account,
            op:
                iam_state::Op::LoginProfile(LoginProfileOp::ChangePassword {
                    user_name,
                    old_password,
                    new_password,
                    check,
                    ..
                }),
        } = command
        else {
            return Ok(false);
        };
        let own = caller.account == *account
            && caller
                .user_name()
                .is_some_and(|u| u.eq_ignore_ascii_case(user_name));
        if !own {
            return Err(from_iam(&IamError::new(
                ErrorCode::InvalidUserType,
                "Only an IAM user can change their own password, with their own credentials.",
            )));
        }
        // What the node found is filled in below; nothing a client put there counts.
        *check = None;
        // Check against the latest password, not a lagging copy of it.
        self.read_linearizable().await?;
        let policy = iam_state::ops::account::password_policy::load(
            &iam_state::Txn::new(&self.view),
            account,
        );
        let implicit = policy.is_some_and(|p| p.allow_users_to_change_password);
        // Without a login profile apply answers NoSuchEntity.
        let Some(hashes) = stored_hashes(&self.view, account, user_name) else {
            return Ok(implicit);
        };
        let profile_op =
            |op: fn(String) -> LoginProfileOp| Command::in_account(account, op(user_name.clone()));
        self.execute_internal(profile_op(|user_name| LoginProfileOp::ReserveAttempt {
            user_name,
        }))
        .await?;
        let (old, new) = (old_password.clone(), new_password.clone());
        CHECKS.change.fetch_add(1, Ordering::Relaxed);
        let found =
            tokio::task::spawn_blocking(move || crate::password::check_change(&hashes, &old, &new))
                .await
                .map_err(|e| Status::internal(format!("password check failed: {e}")))?;
        if found.old_matches {
            let forget = profile_op(|user_name| LoginProfileOp::ForgetFailures { user_name });
            if let Err(e) = self.execute_internal(forget).await {
                tracing::warn!("could not forget failed password attempts: {}", e.message());
            }
        }
        *check = Some(found);
        Ok(implicit)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn change_checks_find_the_old_password_and_reuse() {
        let h1 = super::hash("one-pass");
        let h2 = super::hash("two-pass");
        let hashes = vec![h2.clone(), h1];
        let c = super::check_change(&hashes, "two-pass", "one-pass");
        assert!(c.old_matches);
        assert_eq!(c.reused_at, Some(1));
        assert_eq!(c.current_hash, h2);
        let c = super::check_change(&hashes, "nope", "fresh-pass");
        assert!(!c.old_matches);
        assert_eq!(c.reused_at, None);
    }

    #[test]
    fn attempts_are_counted_before_they_run_and_limited_per_name_within_a_window() {
        let f = super::FailedAttempts::default();
        for i in 0..super::FAILURES_MAX as u64 {
            assert!(f.try_reserve("a/alice", i));
        }
        assert!(!f.try_reserve("a/alice", 10));
        assert!(f.try_reserve("a/bob", 10));
        // The first attempt leaves the window: one more may run.
        assert!(f.try_reserve("a/alice", super::FAILURE_WINDOW_MS));
        assert!(!f.try_reserve("a/alice", super::FAILURE_WINDOW_MS));
    }

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = super::hash("correct horse");
        let b = super::hash("correct horse");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", &a));
        assert!(!super::verify("wrong", &a));
        assert!(!super::verify("x", "not a hash"));
    }
}
