//! Password hashing for login profiles: argon2id with the crate's recommended parameters and
//! a random salt, stored in the PHC string format (`$argon2id$v=19$...`); what a node finds
//! for a `ChangePassword` (old password, reuse); the per-node limit for names without a
//! login profile; and the counts of password checks run. Pure helpers: the request steps
//! that use them are `crate::password_change` and `crate::login`.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::atomic::{AtomicU64, Ordering};

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
