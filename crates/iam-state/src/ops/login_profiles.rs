//! Login profiles (console passwords). The plaintext password never enters the log:
//! `prepare` on the proposing node replaces it with [`PasswordFacts`] (what the password
//! policy needs to know) and a hash, and clears it.

use super::account::password_policy;
use super::{to_json, users, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{StateRead, Txn};
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// Longest password AWS accepts.
pub const PASSWORD_LEN_MAX: u32 = 128;
/// Only the first password use within this window is recorded (AWS: 5 minutes).
pub const USE_GRANULARITY_MS: u64 = 5 * 60 * 1000;
/// AWS's password-policy symbol set.
pub const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// What apply may know about a password: enough to check the password policy, nothing that
/// reveals it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordFacts {
    /// In characters.
    pub length: u32,
    pub has_upper: bool,
    pub has_lower: bool,
    pub has_digit: bool,
    pub has_symbol: bool,
    /// A character outside AWS's set (U+0009, U+000A, U+000D, U+0020–U+00FF).
    #[serde(default)]
    pub has_invalid: bool,
}

impl PasswordFacts {
    pub fn of(password: &str) -> Self {
        let cs = || password.chars();
        Self {
            length: u32::try_from(cs().count()).unwrap_or(u32::MAX),
            has_upper: cs().any(|c| c.is_ascii_uppercase()),
            has_lower: cs().any(|c| c.is_ascii_lowercase()),
            has_digit: cs().any(|c| c.is_ascii_digit()),
            has_symbol: cs().any(|c| SYMBOLS.contains(c)),
            has_invalid: !cs().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')),
        }
    }

    /// The model constraint every password meets (1–128 allowed characters), then the
    /// account's custom policy if it has one.
    fn check(&self, txn: &Txn<'_>, account: &str) -> IamResult<()> {
        if self.length == 0 || self.length > PASSWORD_LEN_MAX || self.has_invalid {
            // AWS redacts the value of a sensitive field.
            return Err(IamError::new(
                ErrorCode::ValidationError,
                "1 validation error detected: Value at 'password' failed to satisfy constraint: \
                 Member must have length between 1 and 128 and satisfy regular expression \
                 pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            ));
        }
        match password_policy::load(txn, account) {
            Some(p) => p.check(self),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginProfileOp {
    /// `CreateLoginProfile`. `password` is cleared by `prepare`.
    Create {
        user_name: String,
        #[serde(default)]
        password: String,
        #[serde(default)]
        password_reset_required: bool,
        /// Filled by `prepare`.
        #[serde(default)]
        facts: Option<PasswordFacts>,
        /// Filled by `prepare`.
        #[serde(default)]
        password_hash: String,
    },
    /// `UpdateLoginProfile`: a new password and/or reset flag.
    Update {
        user_name: String,
        #[serde(default)]
        password: Option<String>,
        #[serde(default)]
        password_reset_required: Option<bool>,
        #[serde(default)]
        facts: Option<PasswordFacts>,
        #[serde(default)]
        password_hash: Option<String>,
    },
    /// `DeleteLoginProfile`.
    Delete { user_name: String },
    /// iamd's: records a console sign-in with the password (only the first use in each
    /// [`USE_GRANULARITY_MS`] window changes the state).
    RecordUse { user_name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginProfileQuery {
    /// `GetLoginProfile` (never the hash).
    Get { user_name: String },
}

/// The stored record (`login/{a}/{user}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    pub account: String,
    pub user_name: String,
    pub password_hash: String,
    pub password_reset_required: bool,
    pub created_ms: u64,
    pub password_last_changed_ms: u64,
    pub password_last_used_ms: Option<u64>,
}

/// What `GetLoginProfile` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfileView {
    pub user_name: String,
    pub created_ms: u64,
    pub password_reset_required: bool,
    pub password_last_changed_ms: u64,
}

impl LoginProfileOp {
    /// Ops only the server itself proposes (usage bookkeeping after a sign-in).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::RecordUse { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateLoginProfile",
            Self::Update { .. } => "UpdateLoginProfile",
            Self::Delete { .. } => "DeleteLoginProfile",
            Self::RecordUse { .. } => "RecordPasswordUse",
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        match self {
            Self::Create {
                password,
                facts,
                password_hash,
                ..
            } => {
                *facts = Some(PasswordFacts::of(password));
                *password_hash = env.hash_password(password);
                *password = String::new();
            }
            Self::Update {
                password,
                facts,
                password_hash,
                ..
            } => {
                if let Some(pw) = password.take() {
                    *facts = Some(PasswordFacts::of(&pw));
                    *password_hash = Some(env.hash_password(&pw));
                } else {
                    *facts = None;
                    *password_hash = None;
                }
            }
            Self::Delete { .. } | Self::RecordUse { .. } => {}
        }
    }
}

impl LoginProfileQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetLoginProfile",
        }
    }
}

/// A user's login profile, if any.
pub fn load(txn: &Txn<'_>, account: &str, user: &str) -> Option<LoginProfile> {
    txn.get_json(&keys::login_profile(account, user))
}

fn load_existing(txn: &Txn<'_>, account: &str, user: &str) -> IamResult<LoginProfile> {
    let user = users::load(txn, account, user)?;
    load(txn, account, &user.name).ok_or_else(|| {
        IamError::new(
            ErrorCode::NoSuchEntity,
            format!("Login Profile for User {} cannot be found.", user.name),
        )
    })
}

fn unprepared() -> IamError {
    IamError::new(
        ErrorCode::InvalidInput,
        "the password was not prepared before proposing",
    )
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &LoginProfileOp) -> IamResult<Outcome> {
    let a = cx.account;
    match op {
        LoginProfileOp::Create {
            user_name,
            password,
            password_reset_required,
            facts,
            password_hash,
        } => {
            let user = users::load(cx.txn, a, user_name)?;
            let facts = match facts {
                Some(f) if password.is_empty() && !password_hash.is_empty() => f,
                _ => return Err(unprepared()),
            };
            if load(cx.txn, a, &user.name).is_some() {
                return Err(IamError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("Login Profile for user {} already exists.", user.name),
                ));
            }
            facts.check(cx.txn, a)?;
            let profile = LoginProfile {
                account: a.to_owned(),
                user_name: user.name.clone(),
                password_hash: password_hash.clone(),
                password_reset_required: *password_reset_required,
                created_ms: cx.time_ms,
                password_last_changed_ms: cx.time_ms,
                password_last_used_ms: None,
            };
            cx.txn
                .put_json(keys::login_profile(a, &user.name), &profile);
            Ok(Outcome::record(&view(&profile)))
        }
        LoginProfileOp::Update {
            user_name,
            password,
            password_reset_required,
            facts,
            password_hash,
        } => {
            let mut profile = load_existing(cx.txn, a, user_name)?;
            if password.is_some() {
                return Err(unprepared());
            }
            match (facts, password_hash) {
                (Some(f), Some(h)) if !h.is_empty() => {
                    f.check(cx.txn, a)?;
                    profile.password_hash = h.clone();
                    profile.password_last_changed_ms = cx.time_ms;
                }
                (None, None) => {}
                _ => return Err(unprepared()),
            }
            if let Some(r) = password_reset_required {
                profile.password_reset_required = *r;
            }
            cx.txn
                .put_json(keys::login_profile(a, &profile.user_name), &profile);
            Ok(Outcome::Nothing)
        }
        LoginProfileOp::Delete { user_name } => {
            let profile = load_existing(cx.txn, a, user_name)?;
            cx.txn.delete(keys::login_profile(a, &profile.user_name));
            Ok(Outcome::Deleted)
        }
        LoginProfileOp::RecordUse { user_name } => {
            let mut profile = load_existing(cx.txn, a, user_name)?;
            let due = profile
                .password_last_used_ms
                .is_none_or(|t| cx.time_ms >= t.saturating_add(USE_GRANULARITY_MS));
            if due {
                profile.password_last_used_ms = Some(cx.time_ms);
                cx.txn
                    .put_json(keys::login_profile(a, &profile.user_name), &profile);
            }
            Ok(Outcome::Nothing)
        }
    }
}

fn view(p: &LoginProfile) -> LoginProfileView {
    LoginProfileView {
        user_name: p.user_name.clone(),
        created_ms: p.created_ms,
        password_reset_required: p.password_reset_required,
        password_last_changed_ms: p.password_last_changed_ms,
    }
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &LoginProfileQuery,
) -> IamResult<serde_json::Value> {
    let txn = Txn::new(state);
    match q {
        LoginProfileQuery::Get { user_name } => {
            Ok(to_json(&view(&load_existing(&txn, account, user_name)?)))
        }
    }
}
