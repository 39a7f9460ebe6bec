//! `iamctl password-policy ...`: the account password policy. `update` replaces the whole
//! policy: every flag left out goes back to its default, as in AWS.

use super::Ctx;
use clap::Subcommand;
use iam_state::ops::account::password_policy::PasswordPolicyInput;
use iam_state::ops::account::{AccountOp, AccountQuery};

#[derive(Debug, Subcommand)]
pub(crate) enum PasswordPolicyCmd {
    /// Show the policy (NoSuchEntity when none is set).
    Get,
    /// Replace the policy (omitted flags take their defaults).
    Update {
        /// 6-128 (default 6).
        #[arg(long)]
        minimum_password_length: Option<u32>,
        #[arg(long)]
        require_symbols: bool,
        #[arg(long)]
        require_numbers: bool,
        #[arg(long)]
        require_uppercase_characters: bool,
        #[arg(long)]
        require_lowercase_characters: bool,
        #[arg(long)]
        allow_users_to_change_password: bool,
        /// Days a password is valid, 1-1095 (default: never expires).
        #[arg(long)]
        max_password_age: Option<u32>,
        /// How many previous passwords cannot be reused, 1-24.
        #[arg(long)]
        password_reuse_prevention: Option<u32>,
        /// Expired passwords can only be reset by an administrator.
        #[arg(long)]
        hard_expiry: bool,
    },
    /// Remove the policy.
    Delete,
}

const FIELDS: &[&str] = &[
    "minimum_password_length",
    "require_symbols",
    "require_numbers",
    "require_uppercase_characters",
    "require_lowercase_characters",
    "allow_users_to_change_password",
    "expire_passwords",
    "max_password_age",
    "password_reuse_prevention",
    "hard_expiry",
];

pub(crate) async fn run(ctx: &mut Ctx, cmd: PasswordPolicyCmd) -> anyhow::Result<u8> {
    match cmd {
        PasswordPolicyCmd::Get => {
            let v = ctx.read(AccountQuery::GetPasswordPolicy {}).await?;
            ctx.show(&v, FIELDS);
        }
        PasswordPolicyCmd::Update {
            minimum_password_length,
            require_symbols,
            require_numbers,
            require_uppercase_characters,
            require_lowercase_characters,
            allow_users_to_change_password,
            max_password_age,
            password_reuse_prevention,
            hard_expiry,
        } => {
            let policy = PasswordPolicyInput {
                minimum_password_length,
                require_symbols,
                require_numbers,
                require_uppercase_characters,
                require_lowercase_characters,
                allow_users_to_change_password,
                max_password_age,
                password_reuse_prevention,
                hard_expiry,
            };
            let v = ctx
                .write(AccountOp::UpdatePasswordPolicy { policy })
                .await?;
            ctx.done(&v);
        }
        PasswordPolicyCmd::Delete => {
            let v = ctx.write(AccountOp::DeletePasswordPolicy {}).await?;
            ctx.done(&v);
        }
    }
    Ok(0)
}
