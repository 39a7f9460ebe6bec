//! Virtual MFA devices (`mfa/{a}/{device}`) and their assignment to users
//! (`umfa/{a}/{user}/{device}`): create, enable with two consecutive TOTP codes, resync,
//! deactivate, delete, list. The seed is returned only by `CreateVirtualMFADevice`.
//!
//! The account root has MFA devices too: an empty `user_name` ([`ROOT`], as for root access
//! keys) names the root in enable, resync, deactivate, authenticate and list. AWS enables
//! root MFA only in its console; iamd's console is iamctl (`mfa enable --root`).
//!
//! Seeds are secrets: the proposing node seals them with the cluster key
//! ([`Env::seal_secret`]) before they enter the log, so apply cannot compute a code. The node
//! that receives codes opens the seed, checks them and proposes its verdict (the `*Checked`
//! ops, see [`checked`]); apply judges the verdict against the device at its log index
//! (same seed, fresh step, lockout) and records it. Devices written before seeds were
//! sealed keep their seed in clear and still work.

pub mod checked;
pub(crate) mod queries;
pub mod tags;
pub mod totp;

use super::limits::{self, Counter, QuotaKind};
use super::paging::PageRequest;
use super::users::default_path;
use super::{users, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{StateRead, Txn};
use iam_model::limits::MFA_DEVICES_PER_USER_MAX;
use iam_model::{arn, names, ErrorCode, IamError, IamResult, Tag};
use serde::{Deserialize, Serialize};

/// The `user_name` that names the account root.
pub const ROOT: &str = super::access_keys::ROOT;

/// Bytes of a device seed.
pub const SEED_LEN: usize = 20;
/// Longest virtual MFA device name.
pub const DEVICE_NAME_LEN_MAX: usize = 226;
/// How far (in 30-second steps) enabling accepts codes from the current step.
pub const ENABLE_WINDOW_STEPS: u64 = 2;
/// How far resynchronizing looks for a drifted device's codes (10 minutes).
pub const RESYNC_WINDOW_STEPS: u64 = 20;
/// How far [`verify_totp`] accepts one code from the current step.
pub const SIGN_IN_WINDOW_STEPS: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MfaOp {
    /// `CreateVirtualMFADevice`.
    CreateVirtual {
        name: String,
        #[serde(default = "default_path")]
        path: String,
        #[serde(default)]
        tags: Vec<Tag>,
        /// Base32 of the seed, chosen by the proposing node.
        #[serde(default)]
        seed: String,
    },
    /// `EnableMFADevice`.
    Enable {
        user_name: String,
        serial_number: String,
        authentication_code1: String,
        authentication_code2: String,
    },
    /// `DeactivateMFADevice`.
    Deactivate {
        user_name: String,
        serial_number: String,
    },
    /// `ResyncMFADevice`.
    Resync {
        user_name: String,
        serial_number: String,
        authentication_code1: String,
        authentication_code2: String,
    },
    /// `DeleteVirtualMFADevice`.
    DeleteVirtual { serial_number: String },
    /// iamd's, proposed by the server only, by versions that kept seeds in clear (now
    /// [`MfaOp::CheckCode`]; kept so that their log entries apply as they did): checks one
    /// code of a device enabled for the user at the proposer's time and consumes it, so the
    /// same code is never accepted twice, on any node. A sealed seed never matches.
    Authenticate {
        user_name: String,
        serial_number: String,
        code: String,
    },
    /// iamd's, proposed by the server only (STS with `SerialNumber`/`TokenCode`, sign-in):
    /// the proposing node opened the device's seed and found the code to match time step
    /// `step` (`None`: no step near its time). Apply accepts it once (a step after the last
    /// accepted one, near the request's time, the seed the node checked against:
    /// `seed_check`) and forgets earlier failures; any other verdict counts a failure on
    /// the device, and a device with [`checked::CODE_FAILURES_MAX`] failures within
    /// [`checked::CODE_FAILURE_WINDOW_MS`] refuses every code, right or wrong. A wrong code
    /// is a successful outcome ([`checked::CodeCheck`]) so that its failure is written; the
    /// lockout is a rejection (nothing to write). One step in apply: concurrent codes on any
    /// nodes are counted one after another, and past the limit none is judged.
    CheckCode {
        user_name: String,
        serial_number: String,
        seed_check: String,
        step: Option<u64>,
    },
    /// `EnableMFADevice` as the server proposes it: the node checked the two codes against
    /// the opened seed; `step` is the step of the second code (`None`: they match no pair
    /// of steps near its time). Apply re-checks the step against the device.
    EnableChecked {
        user_name: String,
        serial_number: String,
        seed_check: String,
        step: Option<u64>,
    },
    /// `ResyncMFADevice` as the server proposes it (see [`MfaOp::EnableChecked`]).
    ResyncChecked {
        user_name: String,
        serial_number: String,
        seed_check: String,
        step: Option<u64>,
    },
    /// `TagMFADevice` (from release [`crate::release::MFA_DEVICE_TAGS`]).
    Tag {
        serial_number: String,
        tags: Vec<Tag>,
    },
    /// `UntagMFADevice` (from release [`crate::release::MFA_DEVICE_TAGS`]).
    Untag {
        serial_number: String,
        tag_keys: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MfaQuery {
    /// `ListVirtualMFADevices`: `assignment_status` is `Assigned`, `Unassigned` or `Any`.
    ListVirtual {
        #[serde(default)]
        assignment_status: Option<String>,
        #[serde(default)]
        page: PageRequest,
    },
    /// `ListMFADevices`: the devices enabled for a user.
    List {
        user_name: String,
        #[serde(default)]
        page: PageRequest,
    },
    /// `GetMFADevice`: one device enabled for a user ([`ROOT`]: the account root), or
    /// `NoSuchEntity`.
    Get {
        user_name: String,
        serial_number: String,
    },
    /// `ListMFADeviceTags`: a virtual device's tags.
    ListTags {
        serial_number: String,
        #[serde(default)]
        page: PageRequest,
    },
}

/// The stored device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualMfaDevice {
    pub account: String,
    pub name: String,
    pub path: String,
    pub serial_number: String,
    /// The seed: sealed with the cluster key (`sealed1:…`, see [`SEALED_PREFIX`]), or the
    /// base32 of it for devices created before seeds were sealed.
    pub seed: String,
    pub created_ms: u64,
    pub tags: Vec<Tag>,
    /// The user the device is enabled for.
    pub user_name: Option<String>,
    pub enable_ms: Option<u64>,
    /// The last time step whose code was accepted (codes at or before it are refused).
    pub last_step: Option<u64>,
    /// When recent sign-in codes were wrong (oldest first, at most
    /// [`checked::CODE_FAILURES_MAX`]); see [`MfaOp::CheckCode`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_codes: Vec<u64>,
}

/// What lists show of a device (never the seed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaDeviceView {
    pub serial_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ms: Option<u64>,
    pub created_ms: u64,
    pub tags: Vec<Tag>,
}

/// `CreateVirtualMFADevice`'s answer: the only place the seed is shown. As apply writes it
/// (and the request-token table keeps it) the seed is sealed, in both fields; the server
/// opens it for the creator's reply only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedDevice {
    pub serial_number: String,
    pub base32_string_seed: String,
    /// `otpauth://totp/<name>@<account>?secret=<base32>` (what the QR code encodes).
    pub qr_code_uri: String,
    pub created_ms: u64,
    pub tags: Vec<Tag>,
}

impl MfaOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateVirtual { .. } => "CreateVirtualMFADevice",
            Self::Enable { .. } => "EnableMFADevice",
            Self::Deactivate { .. } => "DeactivateMFADevice",
            Self::Resync { .. } => "ResyncMFADevice",
            Self::DeleteVirtual { .. } => "DeleteVirtualMFADevice",
            Self::Authenticate { .. } | Self::CheckCode { .. } => "AuthenticateMFA",
            Self::EnableChecked { .. } => "EnableMFADevice",
            Self::ResyncChecked { .. } => "ResyncMFADevice",
            Self::Tag { .. } => "TagMFADevice",
            Self::Untag { .. } => "UntagMFADevice",
        }
    }

    /// Ops only the server proposes: the code checks, whose verdicts a client must not
    /// write.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Authenticate { .. }
                | Self::CheckCode { .. }
                | Self::EnableChecked { .. }
                | Self::ResyncChecked { .. }
        )
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::CreateVirtual { seed, .. } = self {
            let plain = totp::base32_encode(&env.random_bytes(SEED_LEN));
            *seed = env.seal_secret(&plain);
        }
    }
}

impl MfaQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListVirtual { .. } => "ListVirtualMFADevices",
            Self::List { .. } => "ListMFADevices",
            Self::Get { .. } => "GetMFADevice",
            Self::ListTags { .. } => "ListMFADeviceTags",
        }
    }
}

/// Checks one sign-in code (GetSessionToken, AssumeRole with MFA) against a device seed at
/// `time_ms`: the step it matches within one step of the current one, if that step is
/// after `last_step` (the caller must then store it as the device's new `last_step`).
pub fn verify_totp(seed: &[u8], code: &str, time_ms: u64, last_step: Option<u64>) -> Option<u64> {
    if !totp::is_code(code) {
        return None;
    }
    let now = totp::step_of(time_ms);
    (now.saturating_sub(SIGN_IN_WINDOW_STEPS)..=now.saturating_add(SIGN_IN_WINDOW_STEPS))
        .find(|&t| last_step.is_none_or(|l| t > l) && totp::code_at(seed, t) == code)
}

/// The device a serial number names in `account`, as stored (sealed seed included), if any.
pub fn device(state: &dyn StateRead, account: &str, serial: &str) -> Option<VirtualMfaDevice> {
    load_serial(&Txn::new(state), account, serial).ok()
}

/// The serial numbers of the MFA devices enabled for a user (sign-in asks for a code of one).
pub fn enabled_serials(txn: &Txn<'_>, account: &str, user_name: &str) -> Vec<String> {
    let prefix = keys::user_mfa_prefix(account, user_name);
    txn.scan(&prefix, None, MFA_DEVICES_PER_USER_MAX)
        .into_iter()
        .filter_map(|(k, _)| {
            let device = String::from_utf8_lossy(k.get(prefix.len()..)?).into_owned();
            let d: VirtualMfaDevice = txn.get_json(&keys::mfa_device(account, &device))?;
            Some(d.serial_number)
        })
        .collect()
}

fn validate_device_name(name: &str) -> IamResult<()> {
    let len = name.chars().count();
    let ok = (1..=DEVICE_NAME_LEN_MAX).contains(&len)
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
        });
    if !ok {
        return Err(IamError::validation(
            "virtualMFADeviceName",
            name,
            "Member must have length between 1 and 226 and satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

pub(crate) fn validate_serial(serial: &str) -> IamResult<()> {
    let len = serial.chars().count();
    let ok = (9..=256).contains(&len)
        && serial.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '+' | '=' | '/' | ':' | ',' | '.' | '@' | '-')
        });
    if !ok {
        return Err(IamError::validation(
            "serialNumber",
            serial,
            "Member must have length between 9 and 256 and satisfy regular expression pattern: [\\w+=/:,.@-]+",
        ));
    }
    Ok(())
}

/// A code parameter must be six digits (AWS's wording on failure).
pub fn validate_code(field: &str, code: &str) -> IamResult<()> {
    if !totp::is_code(code) {
        return Err(IamError::validation(
            field,
            code,
            "Member must have length 6 and satisfy regular expression pattern: [\\d]+",
        ));
    }
    Ok(())
}

/// Loads the device a serial number names in `account`, or `NoSuchEntity`.
pub(crate) fn load_serial(
    txn: &Txn<'_>,
    account: &str,
    serial: &str,
) -> IamResult<VirtualMfaDevice> {
    validate_serial(serial)?;
    let missing = || {
        IamError::new(
            ErrorCode::NoSuchEntity,
            format!("VirtualMFADevice with serial number {serial} doesn't exist."),
        )
    };
    let name = serial.rsplit('/').next().unwrap_or_default();
    let device: VirtualMfaDevice = txn
        .get_json(&keys::mfa_device(account, name))
        .ok_or_else(missing)?;
    if device.serial_number != serial {
        return Err(missing());
    }
    Ok(device)
}

/// The stored spelling of a device owner: the user's name, or [`ROOT`] for the root.
pub(crate) fn owner_name(txn: &Txn<'_>, account: &str, user_name: &str) -> IamResult<String> {
    if user_name == ROOT {
        Ok(ROOT.to_owned())
    } else {
        Ok(users::load(txn, account, user_name)?.name)
    }
}

/// Loads a device that is enabled for `user_name` (the root for [`ROOT`]), or
/// `NoSuchEntity`.
pub(crate) fn load_assigned(
    txn: &Txn<'_>,
    account: &str,
    user_name: &str,
    serial: &str,
) -> IamResult<VirtualMfaDevice> {
    let owner = owner_name(txn, account, user_name)?;
    let device = load_serial(txn, account, serial)?;
    let assigned = device
        .user_name
        .as_deref()
        .is_some_and(|u| keys::name_key(u) == keys::name_key(&owner));
    if !assigned {
        let who = if owner == ROOT {
            "the account root".to_owned()
        } else {
            format!("user {user_name}")
        };
        return Err(IamError::new(
            ErrorCode::NoSuchEntity,
            format!("MFA Device with serial number {serial} is not enabled for {who}."),
        ));
    }
    Ok(device)
}

pub(crate) fn bad_codes() -> IamError {
    IamError::new(
        ErrorCode::InvalidAuthenticationCode,
        "Authentication code for device is not valid.",
    )
}

/// The seed of a device created before seeds were sealed; `None` for a sealed seed (only a
/// node with the cluster key opens it) or a malformed one, which then matches no code.
fn clear_seed(device: &VirtualMfaDevice) -> Option<Vec<u8>> {
    if checked::is_sealed(&device.seed) {
        return None;
    }
    totp::base32_decode(&device.seed).filter(|s| s.len() >= checked::SEED_LEN_MIN)
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &MfaOp) -> IamResult<Outcome> {
    let a = cx.account;
    match op {
        MfaOp::Tag {
            serial_number,
            tags,
        } => tags::tag(cx, serial_number, tags),
        MfaOp::Untag {
            serial_number,
            tag_keys,
        } => tags::untag(cx, serial_number, tag_keys),
        MfaOp::CreateVirtual {
            name,
            path,
            tags,
            seed,
        } => {
            validate_device_name(name)?;
            names::validate_path("path", path)?;
            names::validate_tags(tags)?;
            if !checked::is_seed(seed) {
                return Err(IamError::new(
                    ErrorCode::InvalidInput,
                    "the device seed was not chosen before proposing",
                ));
            }
            let key = keys::mfa_device(a, name);
            if cx.txn.exists(&key) {
                return Err(IamError::new(
                    ErrorCode::EntityAlreadyExists,
                    "MFADevice entity at the same path and name already exists.",
                ));
            }
            // Virtual MFA devices (assigned or not) are bounded by the user quota.
            let limit = limits::quota(cx.txn, a, QuotaKind::Users);
            if limits::count(cx.txn, a, Counter::MfaDevices) >= limit {
                return Err(IamError::quota("VirtualMFADevicesPerAccount", limit));
            }
            limits::bump(cx.txn, a, Counter::MfaDevices, 1);
            let device = VirtualMfaDevice {
                account: a.to_owned(),
                name: name.clone(),
                path: path.clone(),
                serial_number: arn::entity_arn(a, "mfa", path, name),
                seed: seed.clone(),
                created_ms: cx.time_ms,
                tags: tags.clone(),
                user_name: None,
                enable_ms: None,
                last_step: None,
                failed_codes: Vec::new(),
            };
            cx.txn.put_json(key, &device);
            // The seed as stored (sealed): the server opens it for the creator's reply.
            Ok(Outcome::record(&CreatedDevice {
                qr_code_uri: format!("otpauth://totp/{name}@{a}?secret={seed}"),
                serial_number: device.serial_number,
                base32_string_seed: device.seed,
                created_ms: device.created_ms,
                tags: device.tags,
            }))
        }
        MfaOp::Enable {
            user_name,
            serial_number,
            authentication_code1,
            authentication_code2,
        } => {
            validate_code("authenticationCode1", authentication_code1)?;
            validate_code("authenticationCode2", authentication_code2)?;
            checked::enable(cx, user_name, serial_number, |device, time_ms| {
                let seed = clear_seed(device).ok_or_else(bad_codes)?;
                totp::verify_pair(
                    &seed,
                    authentication_code1,
                    authentication_code2,
                    time_ms,
                    ENABLE_WINDOW_STEPS,
                    device.last_step,
                )
                .ok_or_else(bad_codes)
            })
        }
        MfaOp::EnableChecked {
            user_name,
            serial_number,
            seed_check,
            step,
        } => checked::enable(cx, user_name, serial_number, |device, time_ms| {
            checked::judge_pair(device, seed_check, *step, time_ms, ENABLE_WINDOW_STEPS)
        }),
        MfaOp::Deactivate {
            user_name,
            serial_number,
        } => {
            let mut device = load_assigned(cx.txn, a, user_name, serial_number)?;
            let user = device.user_name.take().unwrap_or_default();
            device.enable_ms = None;
            cx.txn.delete(keys::user_mfa(a, &user, &device.name));
            cx.txn.put_json(keys::mfa_device(a, &device.name), &device);
            limits::bump(cx.txn, a, Counter::MfaDevicesInUse, -1);
            Ok(Outcome::Nothing)
        }
        MfaOp::Resync {
            user_name,
            serial_number,
            authentication_code1,
            authentication_code2,
        } => {
            validate_code("authenticationCode1", authentication_code1)?;
            validate_code("authenticationCode2", authentication_code2)?;
            checked::resync(cx, user_name, serial_number, |device, time_ms| {
                let seed = clear_seed(device).ok_or_else(bad_codes)?;
                totp::verify_pair(
                    &seed,
                    authentication_code1,
                    authentication_code2,
                    time_ms,
                    RESYNC_WINDOW_STEPS,
                    device.last_step,
                )
                .ok_or_else(bad_codes)
            })
        }
        MfaOp::ResyncChecked {
            user_name,
            serial_number,
            seed_check,
            step,
        } => checked::resync(cx, user_name, serial_number, |device, time_ms| {
            checked::judge_pair(device, seed_check, *step, time_ms, RESYNC_WINDOW_STEPS)
        }),
        MfaOp::Authenticate {
            user_name,
            serial_number,
            code,
        } => {
            let mut device = load_assigned(cx.txn, a, user_name, serial_number)
                .map_err(|_| checked::not_enabled(user_name, serial_number))?;
            let step = clear_seed(&device)
                .and_then(|seed| verify_totp(&seed, code, cx.time_ms, device.last_step))
                .ok_or_else(checked::invalid_code)?;
            device.last_step = Some(step);
            cx.txn.put_json(keys::mfa_device(a, &device.name), &device);
            Ok(Outcome::record(
                &serde_json::json!({ "authenticated_ms": cx.time_ms }),
            ))
        }
        MfaOp::CheckCode {
            user_name,
            serial_number,
            seed_check,
            step,
        } => {
            let device = load_assigned(cx.txn, a, user_name, serial_number)
                .map_err(|_| checked::not_enabled(user_name, serial_number))?;
            checked::check_code(cx, device, seed_check, *step)
        }
        MfaOp::DeleteVirtual { serial_number } => {
            let device = load_serial(cx.txn, a, serial_number)?;
            if device.user_name.is_some() {
                return Err(IamError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete entity, must deactivate MFA device first.",
                ));
            }
            cx.txn.delete(keys::mfa_device(a, &device.name));
            limits::bump(cx.txn, a, Counter::MfaDevices, -1);
            Ok(Outcome::Deleted)
        }
    }
}
