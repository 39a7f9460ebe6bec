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
    /// [`USE_GRANULARITY_MS`] window changes the state) and forgets failed sign-ins.
    RecordUse { user_name: String },
    /// iamd's, proposed by versions that counted a failed sign-in after checking the
    /// password (now [`LoginProfileOp::ReserveAttempt`] counts it before; kept so that
    /// their log entries apply as they did): records a failed sign-in.
    RecordFailure { user_name: String },
    /// `ChangePassword`: a user replaces their own password. The proposing node checks the
    /// old password and the new one against the stored hashes ([`ChangeCheck`]), then
    /// `prepare` hashes the new one and clears both plaintexts.
    ChangePassword {
        user_name: String,
        #[serde(default)]
        old_password: String,
        #[serde(default)]
        new_password: String,
        #[serde(default)]
        facts: Option<PasswordFacts>,
        #[serde(default)]
        password_hash: String,
        #[serde(default)]
        check: Option<ChangeCheck>,
    },
    /// iamd's: a node reserves one password check (a sign-in, or `ChangePassword`'s old
    /// password) before it runs it. Refused (`LimitExceeded`, nothing written) while
    /// [`SIGN_IN_FAILURES_MAX`] attempts are counted within [`SIGN_IN_FAILURE_WINDOW_MS`];
    /// otherwise the attempt is counted as failed until a success forgets it (`RecordUse`,
    /// [`LoginProfileOp::ForgetFailures`]). Check and count are one step in apply, so
    /// however many attempts arrive at once on however many nodes, at most
    /// [`SIGN_IN_FAILURES_MAX`] passwords are checked per window.
    ReserveAttempt { user_name: String },
    /// iamd's: forgets the counted attempts once a password was found right
    /// (`ChangePassword`'s old password).
    ForgetFailures { user_name: String },
}

/// What the proposing node found when it checked a `ChangePassword` against the stored
/// hashes (argon2 is too slow to run in apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCheck {
    /// The hash the check was made against: apply refuses if the password changed since.
    pub current_hash: String,
    pub old_matches: bool,
    /// The new password equals the current one (0) or the n-th previous one (n).
    pub reused_at: Option<u32>,
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
    /// Earlier hashes, most recent first (at most [`PASSWORD_HISTORY_MAX`]), for the
    /// policy's `PasswordReusePrevention`.
    #[serde(default)]
    pub previous_hashes: Vec<String>,
    /// Recent failed sign-ins and password checks reserved and not (yet) succeeded (times,
    /// oldest first; at most [`SIGN_IN_FAILURES_MAX`] within the window).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_sign_ins: Vec<u64>,
}

/// Failed sign-ins per user allowed within [`SIGN_IN_FAILURE_WINDOW_MS`]; then sign-in is
/// refused until the oldest of them leaves the window.
pub const SIGN_IN_FAILURES_MAX: usize = 5;
pub const SIGN_IN_FAILURE_WINDOW_MS: u64 = 5 * 60 * 1000;

/// Hashes of earlier passwords kept (AWS's largest `PasswordReusePrevention`).
pub const PASSWORD_HISTORY_MAX: usize = 24;

/// Whether a password sign-in may go ahead (see [`LoginProfile::sign_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// The password is current.
    Current,
    /// The user must choose a new password first: an administrator asked for it
    /// (`PasswordResetRequired`) or it is older than the policy's `MaxPasswordAge`.
    MustChange,
    /// Expired under a policy with `HardExpiry`: only an administrator can set a new one.
    Expired,
}

impl LoginProfile {
    /// Too many recent failed sign-ins: refuse until the oldest counted one is older than
    /// the window.
    pub fn locked_out(&self, now_ms: u64) -> bool {
        self.failed_sign_ins
            .iter()
            .filter(|t| now_ms < t.saturating_add(SIGN_IN_FAILURE_WINDOW_MS))
            .count()
            >= SIGN_IN_FAILURES_MAX
    }

    /// When the password expires under `policy` (none without `MaxPasswordAge`).
    pub fn expires_ms(&self, policy: Option<&password_policy::PasswordPolicy>) -> Option<u64> {
        let days = policy.map_or(0, |p| p.max_password_age);
        (days > 0).then(|| {
            self.password_last_changed_ms
                .saturating_add(u64::from(days) * 86_400_000)
        })
    }

    /// What a sign-in with the right password meets at `now_ms`.
    pub fn sign_in(&self, policy: Option<&password_policy::PasswordPolicy>, now_ms: u64) -> SignIn {
        let expired = self.expires_ms(policy).is_some_and(|t| now_ms >= t);
        if expired && policy.is_some_and(|p| p.hard_expiry) {
            SignIn::Expired
        } else if expired || self.password_reset_required {
            SignIn::MustChange
        } else {
            SignIn::Current
        }
    }

    /// Replaces the password hash, keeping the old one in the history.
    fn set_hash(&mut self, hash: &str) {
        let old = std::mem::replace(&mut self.password_hash, hash.to_owned());
        self.previous_hashes.insert(0, old);
        self.previous_hashes.truncate(PASSWORD_HISTORY_MAX);
    }
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
    /// Whether preparing it hashes a password (tens of milliseconds of CPU: the server
    /// prepares these off its async workers).
    pub fn hashes_password(&self) -> bool {
        match self {
            Self::Create { .. } | Self::ChangePassword { .. } => true,
            Self::Update { password, .. } => password.is_some(),
            Self::Delete { .. }
            | Self::RecordUse { .. }
            | Self::RecordFailure { .. }
            | Self::ReserveAttempt { .. }
            | Self::ForgetFailures { .. } => false,
        }
    }

    /// Ops only the server itself proposes (bookkeeping around password checks).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::RecordUse { .. }
                | Self::RecordFailure { .. }
                | Self::ReserveAttempt { .. }
                | Self::ForgetFailures { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateLoginProfile",
            Self::Update { .. } => "UpdateLoginProfile",
            Self::Delete { .. } => "DeleteLoginProfile",
            Self::RecordUse { .. } => "RecordPasswordUse",
            Self::RecordFailure { .. } => "RecordFailedSignIn",
            Self::ChangePassword { .. } => "ChangePassword",
            Self::ReserveAttempt { .. } => "ReservePasswordAttempt",
            Self::ForgetFailures { .. } => "ForgetFailedPasswordAttempts",
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
            Self::ChangePassword {
                old_password,
                new_password,
                facts,
                password_hash,
                ..
            } => {
                *facts = Some(PasswordFacts::of(new_password));
                *password_hash = env.hash_password(new_password);
                *old_password = String::new();
                *new_password = String::new();
            }
            Self::Delete { .. }
            | Self::RecordUse { .. }
            | Self::RecordFailure { .. }
            | Self::ReserveAttempt { .. }
            | Self::ForgetFailures { .. } => {}
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
                previous_hashes: Vec::new(),
                failed_sign_ins: Vec::new(),
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
                    profile.set_hash(h);
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
        LoginProfileOp::ChangePassword {
            user_name,
            old_password,
            new_password,
            facts,
            password_hash,
            check,
        } => change_password(
            cx,
            user_name,
            (old_password, new_password),
            facts.as_ref(),
            password_hash,
            check.as_ref(),
        ),
        LoginProfileOp::RecordUse { user_name } => {
            let mut profile = load_existing(cx.txn, a, user_name)?;
            let due = profile
                .password_last_used_ms
                .is_none_or(|t| cx.time_ms >= t.saturating_add(USE_GRANULARITY_MS));
            if due || !profile.failed_sign_ins.is_empty() {
                if due {
                    profile.password_last_used_ms = Some(cx.time_ms);
                }
                profile.failed_sign_ins.clear();
                cx.txn
                    .put_json(keys::login_profile(a, &profile.user_name), &profile);
            }
            Ok(Outcome::Nothing)
        }
        LoginProfileOp::RecordFailure { user_name } => {
            let mut profile = load_existing(cx.txn, a, user_name)?;
            let now = cx.time_ms;
            profile
                .failed_sign_ins
                .retain(|t| now < t.saturating_add(SIGN_IN_FAILURE_WINDOW_MS));
            profile.failed_sign_ins.push(now);
            let excess = profile
                .failed_sign_ins
                .len()
                .saturating_sub(SIGN_IN_FAILURES_MAX);
            profile.failed_sign_ins.drain(..excess);
            cx.txn
                .put_json(keys::login_profile(a, &profile.user_name), &profile);
            Ok(Outcome::Nothing)
        }
        LoginProfileOp::ReserveAttempt { user_name } => {
            let mut profile = load_existing(cx.txn, a, user_name)?;
            let now = cx.time_ms;
            profile
                .failed_sign_ins
                .retain(|t| now < t.saturating_add(SIGN_IN_FAILURE_WINDOW_MS));
            if profile.failed_sign_ins.len() >= SIGN_IN_FAILURES_MAX {
                return Err(IamError::new(
                    ErrorCode::LimitExceeded,
                    format!(
                        "Too many failed password attempts for this user: at most {SIGN_IN_FAILURES_MAX} in {} minutes; try again later.",
                        SIGN_IN_FAILURE_WINDOW_MS / 60_000
                    ),
                ));
            }
            profile.failed_sign_ins.push(now);
            cx.txn
                .put_json(keys::login_profile(a, &profile.user_name), &profile);
            Ok(Outcome::Nothing)
        }
        LoginProfileOp::ForgetFailures { user_name } => {
            let mut profile = load_existing(cx.txn, a, user_name)?;
            if !profile.failed_sign_ins.is_empty() {
                profile.failed_sign_ins.clear();
                cx.txn
                    .put_json(keys::login_profile(a, &profile.user_name), &profile);
            }
            Ok(Outcome::Nothing)
        }
    }
}

fn change_password(
    cx: &mut Ctx<'_, '_>,
    user_name: &str,
    (old, new): (&str, &str),
    facts: Option<&PasswordFacts>,
    hash: &str,
    check: Option<&ChangeCheck>,
) -> IamResult<Outcome> {
    let a = cx.account;
    let mut profile = load_existing(cx.txn, a, user_name)?;
    let (Some(facts), Some(check)) = (facts, check) else {
        return Err(unprepared());
    };
    if !old.is_empty() || !new.is_empty() || hash.is_empty() {
        return Err(unprepared());
    }
    if check.current_hash != profile.password_hash {
        return Err(IamError::new(
            ErrorCode::EntityTemporarilyUnmodifiable,
            "The password changed while this request was being checked; try again.",
        ));
    }
    if !check.old_matches {
        return Err(IamError::new(
            ErrorCode::AccessDenied,
            "The old password is incorrect.",
        ));
    }
    facts.check(cx.txn, a)?;
    let policy = password_policy::load(cx.txn, a);
    let window = policy.as_ref().map_or(0, |p| p.password_reuse_prevention);
    if let Some(at) = check.reused_at {
        // The current password counts as the most recent one.
        if at < window.max(1) {
            return Err(IamError::new(
                ErrorCode::PasswordPolicyViolation,
                format!(
                    "Policy Error: PasswordReusePrevention: the new password must differ from the last {} passwords.",
                    window.max(1)
                ),
            ));
        }
    }
    profile.set_hash(hash);
    profile.password_last_changed_ms = cx.time_ms;
    profile.password_reset_required = false;
    cx.txn
        .put_json(keys::login_profile(a, &profile.user_name), &profile);
    Ok(Outcome::Nothing)
}

/// The hashes a `ChangePassword` is checked against: the current one, then the history.
pub fn stored_hashes(state: &dyn StateRead, account: &str, user: &str) -> Option<Vec<String>> {
    let txn = Txn::new(state);
    let user = users::load(&txn, account, user).ok()?;
    let p = load(&txn, account, &user.name)?;
    let mut all = vec![p.password_hash];
    all.extend(p.previous_hashes);
    Some(all)
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
