//! Console-style sign-in (`Login` on the gRPC API, `iamctl login`): an IAM user's password,
//! then the code of their MFA device if they have one, gives session credentials for the
//! user, as the AWS console's sign-in does.
//!
//! - Failed sign-ins (wrong password or MFA code) are recorded in the user's login profile
//!   with a Raft write, so the limit ([`SIGN_IN_FAILURES_MAX`] per
//!   [`SIGN_IN_FAILURE_WINDOW_MS`]) holds across the cluster; names that have no login
//!   profile are limited on each node alone (nothing to protect, nothing to write).
//! - A password that must change (reset required, or older than the policy's
//!   `MaxPasswordAge`) signs in only with a new one, set through the user's own
//!   `ChangePassword` (so the password policy, reuse prevention and the user's permission to
//!   change it apply); with `HardExpiry`, an expired password signs in no more.
//! - Every refusal of the credentials themselves reads the same, so the answer does not tell
//!   which of account, user or password was wrong.

use crate::api::ApiState;
use crate::auth::{Caller, CallerKind};
use crate::status::from_iam;
use iam_auth::token::issue;
use iam_model::{ErrorCode, IamError};
use iam_proto::v1::{Consistency, LoginReply, LoginRequest, ReadOptions, TemporaryCredentials};
use iam_state::ops::login_profiles::{LoginProfile, LoginProfileOp, SignIn, PASSWORD_LEN_MAX};
use iam_state::ops::mfa::MfaOp;
use iam_state::Command;
use tonic::Status;

use iam_state::ops::login_profiles::{SIGN_IN_FAILURES_MAX, SIGN_IN_FAILURE_WINDOW_MS};

/// Session length when the request names none (the console's 12 hours).
const DEFAULT_SESSION_S: u64 = 43_200;
const MIN_SESSION_S: u64 = 900;
const MAX_SESSION_S: u64 = 129_600;

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

fn refused(message: &str) -> Status {
    from_iam(&IamError::new(ErrorCode::AccessDenied, message))
}

fn incorrect() -> Status {
    refused(
        "Your authentication information is incorrect: check the account, user name and password.",
    )
}

fn invalid(message: impl Into<String>) -> Status {
    from_iam(&IamError::new(ErrorCode::ValidationError, message))
}

fn too_many() -> Status {
    from_iam(&IamError::new(
        ErrorCode::LimitExceeded,
        format!(
            "Too many failed sign-in attempts for this user: at most {SIGN_IN_FAILURES_MAX} in {} minutes; try again later.",
            SIGN_IN_FAILURE_WINDOW_MS / 60_000
        ),
    ))
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
    DECOY.get_or_init(|| crate::password::hash("iamd-decoy-password"))
}

fn validate(r: &LoginRequest) -> Result<u64, Status> {
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

    async fn record_failure(&self, found: &Found) {
        let cmd = Command::in_account(
            &found.account,
            LoginProfileOp::RecordFailure {
                user_name: found.user_name.clone(),
            },
        );
        if let Err(e) = self.execute_internal(cmd).await {
            tracing::warn!(user = %found.user_arn, "could not record a failed sign-in: {}", e.message());
        }
    }

    /// `Login`: see the module documentation.
    pub(crate) async fn sign_in(
        &self,
        r: LoginRequest,
        source_ip: Option<String>,
    ) -> Result<LoginReply, Status> {
        let duration_s = validate(&r)?;
        let who = format!(
            "login:{}/{}",
            r.account.trim().to_ascii_lowercase(),
            r.user_name.trim().to_ascii_lowercase()
        );
        let now = crate::now_ms();
        if !self.failed_passwords.allowed(&who, now) {
            return Err(too_many());
        }
        // Decide on the latest password and failures, not a lagging copy.
        self.read(Some(ReadOptions {
            consistency: Consistency::Linearizable as i32,
            at_least_index: 0,
        }))
        .await?;
        let found = self.find_sign_in(&r.account, r.user_name.trim());
        if found.as_ref().is_some_and(|f| f.profile.locked_out(now)) {
            return Err(too_many());
        }
        let stored = found.as_ref().map_or_else(
            || decoy_hash().to_owned(),
            |f| f.profile.password_hash.clone(),
        );
        let password = r.password.clone();
        let matches = {
            // A few argon2 checks at a time: sign-ins with made-up names must not take every
            // core from the node's other work.
            let _permit = checking()
                .acquire()
                .await
                .map_err(|e| Status::internal(format!("password check failed: {e}")))?;
            tokio::task::spawn_blocking(move || crate::password::verify(&password, &stored))
                .await
                .map_err(|e| Status::internal(format!("password check failed: {e}")))?
        };
        let found = match found {
            Some(f) if matches => f,
            other => {
                self.failed_passwords.failed(&who, now);
                if let Some(f) = &other {
                    self.record_failure(f).await;
                }
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
            return Err(from_iam(&IamError::new(
                ErrorCode::PasswordPolicyViolation,
                "Your password must be changed before you sign in: sign in again with a new password.",
            )));
        }
        let mfa_ms = self.sign_in_mfa(&found, &r.mfa_code, &who, now).await?;
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
        let ring = self
            .auth
            .key_ring()
            .map_err(|e| from_iam(&IamError::new(e.code, e.message)))?;
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
        Ok(LoginReply {
            credentials: Some(TemporaryCredentials {
                access_key_id: c.access_key_id,
                secret_access_key: c.secret_access_key,
                session_token: c.session_token,
                expiration_ms: c.expiration_ms,
                assumed_role_arn: String::new(),
                assumed_role_id: String::new(),
            }),
            arn: found.user_arn,
            account: found.account,
            mfa_authenticated: mfa_ms.is_some(),
            password_changed: changed,
            password_expires_ms: expires.unwrap_or(0),
        })
    }

    /// The MFA step: required for a user with a device; the code is consumed cluster-wide.
    async fn sign_in_mfa(
        &self,
        found: &Found,
        code: &str,
        who: &str,
        now: u64,
    ) -> Result<Option<u64>, Status> {
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
        for serial in &found.mfa_serials {
            let cmd = Command::in_account(
                &found.account,
                MfaOp::Authenticate {
                    user_name: found.user_name.clone(),
                    serial_number: serial.clone(),
                    code: code.to_owned(),
                },
            );
            if let Ok((outcome, _)) = self.execute_internal(cmd).await {
                return Ok(outcome.to_json()["authenticated_ms"].as_u64());
            }
        }
        self.failed_passwords.failed(who, now);
        self.record_failure(found).await;
        Err(refused(
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        ))
    }
}
