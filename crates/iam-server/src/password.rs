//! Password hashing for login profiles: argon2id with the crate's recommended parameters and
//! a random salt, stored in the PHC string format (`$argon2id$v=19$...`); and the checks a
//! node makes before proposing a `ChangePassword` (old password, reuse, failed attempts).

use crate::api::ApiState;
use crate::auth::Caller;
use crate::status::from_iam;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use iam_model::{ErrorCode, IamError};
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::Command;
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

/// Failed password checks per user on this node: after [`FAILURES_MAX`] within
/// [`FAILURE_WINDOW_MS`], further attempts are refused (`LimitExceeded`) until the window
/// passes, so a password cannot be guessed at speed. A user with a login profile is also
/// limited across the cluster (failures recorded in the profile by a write); this local
/// limit covers names that have none.
#[derive(Default)]
pub struct FailedAttempts {
    by_user: std::sync::Mutex<std::collections::HashMap<String, Vec<u64>>>,
}

pub const FAILURES_MAX: usize = 5;
pub const FAILURE_WINDOW_MS: u64 = 5 * 60 * 1000;

impl FailedAttempts {
    /// Whether `who` may try now.
    pub fn allowed(&self, who: &str, now_ms: u64) -> bool {
        let Ok(mut m) = self.by_user.lock() else {
            return true;
        };
        let list = m.entry(who.to_owned()).or_default();
        list.retain(|t| now_ms < t.saturating_add(FAILURE_WINDOW_MS));
        list.len() < FAILURES_MAX
    }

    pub fn failed(&self, who: &str, now_ms: u64) {
        if let Ok(mut m) = self.by_user.lock() {
            if m.len() > 100_000 {
                m.clear();
            }
            m.entry(who.to_owned()).or_default().push(now_ms);
        }
    }
}

impl ApiState {
    /// `ChangePassword`: only a user for their own password, at most a few wrong old
    /// passwords in a row; fills in what the node found (argon2 is too slow for apply).
    /// Returns whether the account's password policy allows it without a policy grant
    /// (`AllowUsersToChangePassword`, as AWS).
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
        let who = format!("{account}/{}", user_name.to_ascii_lowercase());
        let now = crate::now_ms();
        if !self.failed_passwords.allowed(&who, now) {
            return Err(from_iam(&IamError::new(
                ErrorCode::LimitExceeded,
                "Too many failed password attempts; try again in a few minutes.",
            )));
        }
        // Check against the latest password, not a lagging copy of it.
        self.read(Some(ReadOptions {
            consistency: Consistency::Linearizable as i32,
            at_least_index: 0,
        }))
        .await?;
        // Wrong old passwords count as failed sign-ins, across the cluster (see `login.rs`).
        let locked = iam_state::ops::login_profiles::load(
            &iam_state::Txn::new(&self.view),
            account,
            user_name,
        )
        .is_some_and(|p| p.locked_out(now));
        if locked {
            return Err(from_iam(&IamError::new(
                ErrorCode::LimitExceeded,
                "Too many failed password attempts; try again in a few minutes.",
            )));
        }
        if let Some(hashes) = stored_hashes(&self.view, account, user_name) {
            let (old, new) = (old_password.clone(), new_password.clone());
            let found = tokio::task::spawn_blocking(move || {
                crate::password::check_change(&hashes, &old, &new)
            })
            .await
            .map_err(|e| Status::internal(format!("password check failed: {e}")))?;
            if !found.old_matches {
                self.failed_passwords.failed(&who, now);
                let failure = Command::in_account(
                    account,
                    iam_state::ops::login_profiles::LoginProfileOp::RecordFailure {
                        user_name: user_name.clone(),
                    },
                );
                if let Err(e) = self.execute_internal(failure).await {
                    tracing::warn!("could not record a failed password change: {}", e.message());
                }
            }
            *check = Some(found);
        }
        let policy = iam_state::ops::account::password_policy::load(
            &iam_state::Txn::new(&self.view),
            account,
        );
        Ok(policy.is_some_and(|p| p.allow_users_to_change_password))
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
    fn failed_attempts_are_limited_per_user_within_a_window() {
        let f = super::FailedAttempts::default();
        for i in 0..super::FAILURES_MAX as u64 {
            assert!(f.allowed("a/alice", i));
            f.failed("a/alice", i);
        }
        assert!(!f.allowed("a/alice", 10));
        assert!(f.allowed("a/bob", 10));
        assert!(f.allowed("a/alice", super::FAILURE_WINDOW_MS + 10));
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
