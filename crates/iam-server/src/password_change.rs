//! `ChangePassword`'s step on the proposing node: only a user for their own password, the
//! old password checked (argon2 is too slow for apply) after the attempt is reserved
//! cluster-wide, and what was found filled into the command for apply to judge.

use crate::api::ApiState;
use crate::auth::Caller;
use iam_model::{ErrorCode, IamError};
use iam_state::Command;
use std::sync::atomic::Ordering;

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
    ) -> Result<bool, IamError> {
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
            return Err(IamError::new(
                ErrorCode::InvalidUserType,
                "Only an IAM user can change their own password, with their own credentials.",
            ));
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
        crate::password::CHECKS
            .change
            .fetch_add(1, Ordering::Relaxed);
        let found =
            tokio::task::spawn_blocking(move || crate::password::check_change(&hashes, &old, &new))
                .await
                .map_err(|e| crate::errors::internal(format!("password check failed: {e}")))?;
        if found.old_matches {
            let forget = profile_op(|user_name| LoginProfileOp::ForgetFailures { user_name });
            if let Err(e) = self.execute_internal(forget).await {
                tracing::warn!("could not forget failed password attempts: {}", e.message);
            }
        }
        *check = Some(found);
        Ok(implicit)
    }
}
