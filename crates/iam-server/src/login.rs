//! Console-style sign-in (`Login` on the gRPC API, `iamctl login`): an IAM user's password,
//! then the code of their MFA device if they have one, gives session credentials for the
//! user, as the AWS console's sign-in does.
//!
//! - Every password check of a user with a login profile is reserved through Raft before it
//!   runs (`LoginProfileOp::ReserveAttempt`): apply counts it as a failure, or refuses it
//!   when [`SIGN_IN_FAILURES_MAX`] are counted within [`SIGN_IN_FAILURE_WINDOW_MS`], in one
//!   step. So at most that many passwords are ever checked per window, cluster-wide, however
//!   many sign-ins arrive at once; a completed sign-in forgets the count (`RecordUse`).
//!   Names without a login profile are limited on each node alone (nothing to protect,
//!   nothing to write; `password::FailedAttempts`).
//! - Every refusal of the credentials reads the same — wrong account, user or password, no
//!   login profile, or too many attempts — and takes about as long: a refused attempt waits
//!   as long as a reservation and a check typically take ([`Typical`]), a name without a
//!   profile is checked against a decoy hash.
//! - MFA codes are checked per device with their own lockout (`crate::mfa`); a sign-in whose
//!   code fails stays counted against the user too.
//! - A password that must change (reset required, or older than the policy's
//!   `MaxPasswordAge`) signs in only with a new one, set through the user's own
//!   `ChangePassword` (so the password policy, reuse prevention and the user's permission to
//!   change it apply); with `HardExpiry`, an expired password signs in no more.

use crate::api::ApiState;
use crate::auth::{Caller, CallerKind};
use crate::errors::{internal, invalid};
use iam_auth::token::{issue, IssuedCredentials};
use iam_model::{ErrorCode, IamError};
use iam_state::ops::login_profiles::{LoginProfile, LoginProfileOp, SignIn, PASSWORD_LEN_MAX};
use iam_state::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[cfg(doc)]
use iam_state::ops::login_profiles::{SIGN_IN_FAILURES_MAX, SIGN_IN_FAILURE_WINDOW_MS};

/// Session length when the request names none (the console's 12 hours).
const DEFAULT_SESSION_S: u64 = 43_200;
const MIN_SESSION_S: u64 = 900;
const MAX_SESSION_S: u64 = 129_600;

/// A sign-in as the user asks for it.
pub(crate) struct SignInRequest {
    /// The account's id or alias.
    pub account: String,
    pub user_name: String,
    pub password: String,
    /// Empty: no change.
    pub new_password: String,
    /// Empty: none.
    pub mfa_code: String,
    /// 0: [`DEFAULT_SESSION_S`].
    pub duration_seconds: u32,
}

/// A completed sign-in: the user's session credentials and what the user should know.
pub(crate) struct SignedIn {
    pub credentials: IssuedCredentials,
    pub arn: String,
    pub account: String,
    pub mfa_authenticated: bool,
    pub password_changed: bool,
    /// When the password expires under the account's policy, if it does.
    pub password_expires_ms: Option<u64>,
}

/// What sign-in needs from the state, read in one go (a transaction must not live across an
/// await).
struct Found {
    account: String,
    user_name: String,
    user_arn: String,
    profile: LoginProfile,
    policy: Option<iam_state::ops::account::password_policy::PasswordPolicy>,
    mfa_serials: Vec<String>,
}

fn refused(message: &str) -> IamError {
    IamError::new(ErrorCode::AccessDenied, message)
}

/// The one answer to every refused credential (see the module documentation).
fn incorrect() -> IamError {
    refused(
        "Your authentication information is incorrect, or this user made too many failed attempts: check the account, user name and password, or try again in a few minutes.",
    )
}

/// How long something typically takes on this node (the median of its last few times), so
/// that an attempt refused without doing it can take as long.
struct Typical {
    recent: std::sync::Mutex<std::collections::VecDeque<Duration>>,
}

impl Typical {
    /// Times kept.
    const KEPT: usize = 15;

    const fn new() -> Self {
        Self {
            recent: std::sync::Mutex::new(std::collections::VecDeque::new()),
        }
    }

    fn note(&self, took: Duration) {
        if let Ok(mut r) = self.recent.lock() {
            if r.len() == Self::KEPT {
                r.pop_front();
            }
            r.push_back(took);
        }
    }

    fn get(&self) -> Duration {
        let Ok(r) = self.recent.lock() else {
            return Duration::ZERO;
        };
        let mut times: Vec<Duration> = r.iter().copied().collect();
        times.sort();
        times.get(times.len() / 2).copied().unwrap_or_default()
    }
}

/// A password check (argon2) on this node.
static CHECK_TAKES: Typical = Typical::new();
/// Reserving an attempt (a Raft write).
static RESERVE_TAKES: Typical = Typical::new();

/// The decoy hash, made off the async workers the first time.
async fn decoy() -> Result<&'static str, IamError> {
    tokio::task::spawn_blocking(decoy_hash)
        .await
        .map_err(|e| internal(format!("password check failed: {e}")))
}

/// How long a password check typically takes here (the decoy's hashing is the first
/// estimate).
async fn check_takes() -> Result<Duration, IamError> {
    decoy().await?;
    Ok(CHECK_TAKES.get())
}

/// Password checks running at once on this node (argon2 takes a core for tens of ms).
const CHECKS_AT_ONCE: usize = 2;

fn checking() -> &'static tokio::sync::Semaphore {
    static SEM: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CHECKS_AT_ONCE);
    &SEM
}

/// A hash to check wrong names against, so a sign-in takes as long whether or not the user
/// exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let started = Instant::now();
        let h = crate::password::hash("iamd-decoy-password");
        // Hashing takes what a check takes: a first estimate.
        CHECK_TAKES.note(started.elapsed());
        h
    })
}

fn validate(r: &SignInRequest) -> Result<u64, IamError> {
    if r.account.trim().is_empty() {
        return Err(invalid("the account (id or alias) is required"));
    }
    if r.user_name.trim().is_empty() {
        return Err(invalid("the user name is required"));
    }
    if r.password.is_empty() {
        return Err(invalid("the password is required"));
    }
    let too_long = |p: &str| p.chars().count() > PASSWORD_LEN_MAX as usize;
    if too_long(&r.password) || too_long(&r.new_password) {
        return Err(invalid(format!(
            "a password has at most {PASSWORD_LEN_MAX} characters"
        )));
    }
    if !r.mfa_code.is_empty()
        && (r.mfa_code.len() != 6 || !r.mfa_code.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid(
            "the MFA code must be the 6 digits the device shows",
        ));
    }
    let d = match u64::from(r.duration_seconds) {
        0 => DEFAULT_SESSION_S,
        d => d,
    };
    if !(MIN_SESSION_S..=MAX_SESSION_S).contains(&d) {
        return Err(invalid(format!(
            "the session duration must be between {MIN_SESSION_S} and {MAX_SESSION_S} seconds, not {d}"
        )));
    }
    Ok(d)
}

impl ApiState {
    fn find_sign_in(&self, account: &str, user_name: &str) -> Option<Found> {
        let txn = iam_state::Txn::new(&self.view);
        let account = iam_state::ops::account::resolve(&txn, account)?;
        let user = iam_state::ops::users::load(&txn, &account, user_name).ok()?;
        let profile = iam_state::ops::login_profiles::load(&txn, &account, &user.name)?;
        Some(Found {
            policy: iam_state::ops::account::password_policy::load(&txn, &account),
            mfa_serials: iam_state::ops::mfa::enabled_serials(&txn, &account, &user.name),
            user_arn: user.arn,
            user_name: user.name,
            account,
            profile,
        })
    }

    /// Runs one argon2 check (a few at a time on this node).
    async fn check_password(&self, password: &str, stored: String) -> Result<bool, IamError> {
        // A few argon2 checks at a time: sign-ins with made-up names must not take every
        // core from the node's other work.
        let _permit = checking()
            .acquire()
            .await
            .map_err(|e| internal(format!("password check failed: {e}")))?;
        let password = password.to_owned();
        let started = Instant::now();
        let ok = tokio::task::spawn_blocking(move || crate::password::verify(&password, &stored))
            .await
            .map_err(|e| internal(format!("password check failed: {e}")))?;
        CHECK_TAKES.note(started.elapsed());
        Ok(ok)
    }

    /// Whether `password` is the user's: reserved cluster-wide first, so a locked user's
    /// password is never checked (the refusal then takes as long as a check would).
    async fn user_password_matches(
        &self,
        found: &Found,
        password: &str,
        now: u64,
    ) -> Result<bool, IamError> {
        if found.profile.locked_out(now) {
            // This node already knows: no need to ask the leader.
            tokio::time::sleep(RESERVE_TAKES.get() + check_takes().await?).await;
            return Ok(false);
        }
        let reserve = Command::in_account(
            &found.account,
            LoginProfileOp::ReserveAttempt {
                user_name: found.user_name.clone(),
            },
        );
        let started = Instant::now();
        let reserved = self.execute_internal(reserve).await;
        RESERVE_TAKES.note(started.elapsed());
        match reserved {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::LimitExceeded => {
                tokio::time::sleep(check_takes().await?).await;
                return Ok(false);
            }
            Err(e) => return Err(e),
        }
        crate::password::CHECKS
            .sign_in
            .fetch_add(1, Ordering::Relaxed);
        self.check_password(password, found.profile.password_hash.clone())
            .await
    }

    /// A name without a login profile: limited on this node, checked against the decoy hash
    /// after as long as a reservation takes, so that it answers as a user's would.
    async fn decoy_check(&self, who: &str, password: &str, now: u64) -> Result<(), IamError> {
        let decoy = decoy().await?.to_owned();
        if !self.failed_passwords.try_reserve(who, now) {
            tokio::time::sleep(RESERVE_TAKES.get() + check_takes().await?).await;
            return Ok(());
        }
        tokio::time::sleep(RESERVE_TAKES.get()).await;
        crate::password::CHECKS
            .decoy
            .fetch_add(1, Ordering::Relaxed);
        self.check_password(password, decoy).await?;
        Ok(())
    }

    /// `Login`: see the module documentation. A source whose sign-ins keep being refused
    /// is throttled.
    pub(crate) async fn sign_in(
        &self,
        r: SignInRequest,
        source: Option<std::net::IpAddr>,
    ) -> Result<SignedIn, IamError> {
        if let Some(ip) = source {
            if !self.sign_in_throttle.allowed(ip) {
                return Err(IamError::new(
                    ErrorCode::Throttling,
                    "Rate exceeded: too many failed sign-ins from this source; try again in a minute",
                ));
            }
        }
        crate::audit::note_params(|| {
            Some(serde_json::json!({
                "account": r.account,
                "user_name": r.user_name,
                "password": r.password,
                "mfa_code": r.mfa_code,
                "new_password": r.new_password,
                "duration_seconds": r.duration_seconds,
            }))
        });
        let answer = self
            .sign_in_checked(r, source.map(|ip| ip.to_string()))
            .await;
        if let (Err(e), Some(ip)) = (&answer, source) {
            if e.code.rpc() == iam_model::RpcCode::PermissionDenied {
                self.sign_in_throttle.failed(ip);
            }
        }
        let denial = answer.as_ref().err().map(|e| e.message.clone());
        crate::audit::note(|e| {
            e.action = Some("iamd:Login".to_owned());
            e.decision = Some(if denial.is_none() {
                "allowed"
            } else {
                "denied"
            });
            e.deny_reason = denial;
        });
        answer
    }

    /// [`Self::sign_in`]'s checks and session.
    async fn sign_in_checked(
        &self,
        r: SignInRequest,
        source_ip: Option<String>,
    ) -> Result<SignedIn, IamError> {
        let duration_s = validate(&r)?;
        // Lockout windows, TOTP steps and the session's times all read the clock.
        self.auth.clock_in_line()?;
        let who = format!(
            "login:{}/{}",
            r.account.trim().to_ascii_lowercase(),
            r.user_name.trim().to_ascii_lowercase()
        );
        // Decide on the latest password and failures, not a lagging copy.
        self.read_linearizable().await?;
        let now = crate::now_ms();
        let found = self.find_sign_in(&r.account, r.user_name.trim());
        let matches = match &found {
            Some(f) => self.user_password_matches(f, &r.password, now).await?,
            None => {
                self.decoy_check(&who, &r.password, now).await?;
                false
            }
        };
        if let Some(f) = &found {
            crate::audit::note(|e| {
                e.principal = Some(f.user_arn.clone());
                e.account = Some(f.account.clone());
                e.resources = vec![f.user_arn.clone()];
            });
        }
        let found = match found {
            Some(f) if matches => f,
            _ => {
                tracing::info!(account = %r.account, user = %r.user_name, "sign-in refused");
                return Err(incorrect());
            }
        };
        // Whether the password must change is told before an MFA code is spent on a sign-in
        // that cannot complete.
        let must_change = match found.profile.sign_in(found.policy.as_ref(), now) {
            SignIn::Expired => {
                return Err(refused(
                    "Your password has expired and the account's password policy (HardExpiry) lets only an administrator set a new one.",
                ))
            }
            SignIn::MustChange => true,
            SignIn::Current => false,
        };
        if must_change && r.new_password.is_empty() {
            return Err(IamError::new(
                ErrorCode::PasswordPolicyViolation,
                "Your password must be changed before you sign in: sign in again with a new password.",
            ));
        }
        let mfa_ms = self.sign_in_mfa(&found, &r.mfa_code).await?;
        let user = Caller {
            account: found.account.clone(),
            arn: found.user_arn.clone(),
            kind: CallerKind::User {
                name: found.user_name.clone(),
            },
            access_key_id: String::new(),
            session: None,
            region: String::new(),
            source_ip,
            secure_transport: self.secure_transport,
        };
        let changed = !r.new_password.is_empty();
        if changed {
            // The password and code were right: forget this sign-in's reserved attempt, so
            // that the change's own check of the old password has room.
            let forget = Command::in_account(
                &found.account,
                LoginProfileOp::ForgetFailures {
                    user_name: found.user_name.clone(),
                },
            );
            self.execute_internal(forget).await?;
            let change = Command::in_account(
                &found.account,
                LoginProfileOp::ChangePassword {
                    user_name: found.user_name.clone(),
                    old_password: r.password.clone(),
                    new_password: r.new_password.clone(),
                    facts: None,
                    password_hash: String::new(),
                    check: None,
                },
            );
            self.execute_as(&user, None, change).await?;
        }
        let used = Command::in_account(
            &found.account,
            LoginProfileOp::RecordUse {
                user_name: found.user_name.clone(),
            },
        );
        self.execute_internal(used).await?;
        let ring = self.auth.key_ring()?;
        let issued_ms = crate::now_ms();
        let mut claims = crate::sts::own_session(
            &found.account,
            &found.user_arn,
            issued_ms,
            duration_s,
            mfa_ms,
        );
        claims.principal_id = crate::sts::principal_id_of(self, &found.user_arn);
        let c = issue(&ring, &claims, rand::random());
        let changed_ms = if changed {
            issued_ms
        } else {
            found.profile.password_last_changed_ms
        };
        let expires = LoginProfile {
            password_last_changed_ms: changed_ms,
            ..found.profile.clone()
        }
        .expires_ms(found.policy.as_ref());
        tracing::info!(user = %found.user_arn, mfa = mfa_ms.is_some(), "signed in");
        Ok(SignedIn {
            credentials: c,
            arn: found.user_arn,
            account: found.account,
            mfa_authenticated: mfa_ms.is_some(),
            password_changed: changed,
            password_expires_ms: expires,
        })
    }

    /// The MFA step: required for a user with a device; the code is consumed cluster-wide,
    /// and wrong codes count against the device (`crate::mfa`).
    async fn sign_in_mfa(&self, found: &Found, code: &str) -> Result<Option<u64>, IamError> {
        let Some(serial) = found.mfa_serials.first() else {
            if !code.is_empty() {
                return Err(invalid(format!(
                    "{} has no MFA device enabled: sign in without an MFA code",
                    found.user_name
                )));
            }
            return Ok(None);
        };
        if code.is_empty() {
            return Err(refused(&format!(
                "{} signs in with an MFA code: give the current code of {serial}",
                found.user_name
            )));
        }
        // Any enabled device's code will do.
        let mut refusal = None;
        for serial in &found.mfa_serials {
            match self
                .check_mfa_code(&found.account, &found.user_name, serial, code)
                .await
            {
                Ok(Some(ms)) => return Ok(Some(ms)),
                Ok(None) => {}
                Err(e) => refusal = Some(e),
            }
        }
        // A locked device says so, when no device took the code.
        Err(refusal.unwrap_or_else(|| {
            refused("MultiFactorAuthentication failed with invalid MFA one time pass code.")
        }))
    }
}
