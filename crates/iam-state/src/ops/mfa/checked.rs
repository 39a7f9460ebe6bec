//! Codes checked by the proposing node, judged and recorded by apply.
//!
//! A device's seed is sealed with the cluster key, which apply does not have (apply reads no
//! node-local setting, and a node given a wrong key must refuse codes, not diverge). So the
//! node that receives a code opens the seed, finds the time step the code matches and
//! proposes that verdict with a digest of the stored seed it used ([`seed_check`]). Apply
//! then decides, deterministically and in one step, against the device as it is at that log
//! index: the same seed, a step near the request's time and after the last accepted one, and
//! — for sign-in codes — the lockout: [`CODE_FAILURES_MAX`] wrong codes within
//! [`CODE_FAILURE_WINDOW_MS`] lock the device, and then no code is judged at all, so however
//! many codes arrive at once on however many nodes, at most that many wrong ones are ever
//! answered as wrong per window and the right one is refused while locked.
//!
//! Also here: enabling and resynchronizing once two codes were found right, shared by the
//! ops that check them in apply (seeds in clear) and their checked forms.

use super::{load_assigned, load_serial, owner_name, totp, VirtualMfaDevice, SIGN_IN_WINDOW_STEPS};
use crate::command::Outcome;
use crate::keys;
use crate::ops::limits::{self, Counter};
use crate::ops::Ctx;
use iam_model::limits::MFA_DEVICES_PER_USER_MAX;
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Wrong sign-in codes per device within [`CODE_FAILURE_WINDOW_MS`] before it is locked
/// (as sign-in with passwords: `login_profiles::SIGN_IN_FAILURES_MAX`).
pub const CODE_FAILURES_MAX: usize = 5;
/// The lockout window; the device unlocks when its oldest counted failure leaves it.
pub const CODE_FAILURE_WINDOW_MS: u64 = 5 * 60 * 1000;

/// The prefix of a value sealed with the cluster key (`iam_auth::secret_box::SEALED_PREFIX`;
/// iam-state does not depend on iam-auth, and the server checks the two agree).
pub const SEALED_PREFIX: &str = "sealed1:";
/// The shortest seed accepted (bytes).
pub const SEED_LEN_MIN: usize = 10;

/// [`super::MfaOp::CheckCode`]'s outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCheck {
    /// The request's time when the code was accepted; `None`: it was wrong (and counted).
    pub authenticated_ms: Option<u64>,
}

/// Whether a stored seed is sealed.
pub fn is_sealed(seed: &str) -> bool {
    seed.starts_with(SEALED_PREFIX)
}

/// Whether a seed may be stored: sealed (non-empty after the prefix) or, as written without a
/// cluster key (tests, tools) and by older versions, the base32 of at least
/// [`SEED_LEN_MIN`] bytes.
pub fn is_seed(seed: &str) -> bool {
    match seed.strip_prefix(SEALED_PREFIX) {
        Some(rest) => rest.len() >= 16,
        None => totp::base32_decode(seed).is_some_and(|s| s.len() >= SEED_LEN_MIN),
    }
}

/// What a verdict names the seed it was made against by: a digest of the stored (sealed)
/// seed. A device deleted and created again under the same name has another one.
pub fn seed_check(stored_seed: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"iamd mfa seed check v1\0");
    h.update(stored_seed.as_bytes());
    hex::encode(&h.finalize()[..16])
}

pub(crate) fn not_enabled(user_name: &str, serial_number: &str) -> IamError {
    let who = if user_name == super::ROOT {
        "the account root"
    } else {
        user_name
    };
    IamError::new(
        ErrorCode::AccessDenied,
        format!(
            "MultiFactorAuthentication failed: no MFA device {serial_number} is enabled for {who}."
        ),
    )
}

pub(crate) fn invalid_code() -> IamError {
    IamError::new(
        ErrorCode::AccessDenied,
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    )
}

/// The refusal of a code for a locked device.
pub fn locked(serial_number: &str) -> IamError {
    IamError::new(
        ErrorCode::AccessDenied,
        format!(
            "MultiFactorAuthentication failed: too many invalid codes for MFA device {serial_number} (at most {CODE_FAILURES_MAX} in {} minutes); try again later.",
            CODE_FAILURE_WINDOW_MS / 60_000
        ),
    )
}

fn changed() -> IamError {
    IamError::new(
        ErrorCode::ConcurrentModification,
        "The MFA device changed while its codes were being checked; try again.",
    )
}

/// Whether `step` is within `window` steps of `time_ms`'s.
fn near(step: u64, time_ms: u64, window: u64) -> bool {
    let now = totp::step_of(time_ms);
    step.saturating_add(window) >= now && step <= now.saturating_add(window)
}

/// Enables a device for `user_name` once `judge` (given the device and the request's time)
/// found the step of the second of two consecutive codes.
pub(super) fn enable(
    cx: &mut Ctx<'_, '_>,
    user_name: &str,
    serial_number: &str,
    judge: impl FnOnce(&VirtualMfaDevice, u64) -> IamResult<u64>,
) -> IamResult<Outcome> {
    let a = cx.account;
    let owner = owner_name(cx.txn, a, user_name)?;
    let mut device = load_serial(cx.txn, a, serial_number)?;
    if device.user_name.is_some() {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            "MFA Device is already in use.",
        ));
    }
    let in_use = cx
        .txn
        .scan(
            &keys::user_mfa_prefix(a, &owner),
            None,
            MFA_DEVICES_PER_USER_MAX,
        )
        .len();
    if in_use >= MFA_DEVICES_PER_USER_MAX {
        return Err(IamError::quota(
            "MFADevicesPerUser",
            MFA_DEVICES_PER_USER_MAX as u64,
        ));
    }
    let step = judge(&device, cx.time_ms)?;
    device.user_name = Some(owner.clone());
    device.enable_ms = Some(cx.time_ms);
    device.last_step = Some(step);
    device.failed_codes.clear();
    cx.txn.put_json(keys::mfa_device(a, &device.name), &device);
    cx.txn
        .put(keys::user_mfa(a, &owner, &device.name), Vec::new());
    limits::bump(cx.txn, a, Counter::MfaDevicesInUse, 1);
    Ok(Outcome::Nothing)
}

/// Resynchronizes a device enabled for `user_name` once `judge` found the step of the second
/// of two consecutive codes; the codes prove the device is at hand, so earlier failed codes
/// are forgotten.
pub(super) fn resync(
    cx: &mut Ctx<'_, '_>,
    user_name: &str,
    serial_number: &str,
    judge: impl FnOnce(&VirtualMfaDevice, u64) -> IamResult<u64>,
) -> IamResult<Outcome> {
    let mut device = load_assigned(cx.txn, cx.account, user_name, serial_number)?;
    let step = judge(&device, cx.time_ms)?;
    device.last_step = Some(step);
    device.failed_codes.clear();
    cx.txn
        .put_json(keys::mfa_device(cx.account, &device.name), &device);
    Ok(Outcome::Nothing)
}

/// Judges a node's verdict on two consecutive codes (enable, resync): the step of the second
/// code, if the verdict was made against this device's seed, found a step near the request's
/// time, and both codes are after the last accepted one.
pub(crate) fn judge_pair(
    device: &VirtualMfaDevice,
    seed_check_given: &str,
    step: Option<u64>,
    time_ms: u64,
    window: u64,
) -> IamResult<u64> {
    if seed_check(&device.seed) != seed_check_given {
        return Err(changed());
    }
    step.filter(|&t| {
        t >= 1 && near(t, time_ms, window) && device.last_step.is_none_or(|l| t - 1 > l)
    })
    .ok_or_else(super::bad_codes)
}

/// Applies [`super::MfaOp::CheckCode`] to the device it names (enabled for the user).
pub(crate) fn check_code(
    cx: &mut Ctx<'_, '_>,
    mut device: VirtualMfaDevice,
    seed_check_given: &str,
    step: Option<u64>,
) -> IamResult<Outcome> {
    let now = cx.time_ms;
    if seed_check(&device.seed) != seed_check_given {
        return Err(changed());
    }
    device
        .failed_codes
        .retain(|t| now < t.saturating_add(CODE_FAILURE_WINDOW_MS));
    if device.failed_codes.len() >= CODE_FAILURES_MAX {
        return Err(locked(&device.serial_number));
    }
    let accepted = step
        .filter(|&t| near(t, now, SIGN_IN_WINDOW_STEPS) && device.last_step.is_none_or(|l| t > l));
    match accepted {
        Some(t) => {
            device.last_step = Some(t);
            device.failed_codes.clear();
        }
        None => device.failed_codes.push(now),
    }
    cx.txn
        .put_json(keys::mfa_device(cx.account, &device.name), &device);
    Ok(Outcome::record(&CodeCheck {
        authenticated_ms: accepted.map(|_| now),
    }))
}

/// Whether a device is locked at `now_ms` (a node refuses early, without proposing; apply
/// decides).
pub fn is_locked(device: &VirtualMfaDevice, now_ms: u64) -> bool {
    device
        .failed_codes
        .iter()
        .filter(|t| now_ms < t.saturating_add(CODE_FAILURE_WINDOW_MS))
        .count()
        >= CODE_FAILURES_MAX
}
