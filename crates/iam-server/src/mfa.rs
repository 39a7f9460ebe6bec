//! MFA codes on the node. Seeds are sealed with the cluster key in the log and the state, so
//! the node that receives codes opens the seed, checks them and proposes its verdict; apply
//! judges the verdict against the device at its log index — same seed, fresh step, and for
//! sign-in codes the per-device lockout — in one step (`iam_state::ops::mfa::checked`).
//!
//! - STS (`GetSessionToken`/`AssumeRole` with `SerialNumber` + `TokenCode`) and sign-in
//!   propose [`MfaOp::CheckCode`]: at most `CODE_FAILURES_MAX` wrong codes per device are
//!   answered as wrong per window, cluster-wide, then every code is refused until the window
//!   passes.
//! - `EnableMFADevice` and `ResyncMFADevice` become [`MfaOp::EnableChecked`] /
//!   [`MfaOp::ResyncChecked`] before they are proposed ([`ApiState::check_mfa_codes`]).
//! - The reply to `CreateVirtualMFADevice` carries the sealed seed as apply wrote it (the
//!   request-token table keeps only that); [`reveal_seed`] opens it for the creator.

use crate::api::ApiState;
use iam_auth::secret_box::SecretBox;
use iam_model::{ErrorCode, IamError};
use iam_state::ops::mfa::checked::{self, CodeCheck};
use iam_state::ops::mfa::{self, totp, MfaOp, VirtualMfaDevice};
use iam_state::{Command, Op};

/// Opens a stored seed: a sealed one with the cluster key, one stored in clear by an older
/// version as it is. `None` if it does not open (another cluster key) or is malformed.
pub(crate) fn open_seed(secrets: &SecretBox, stored: &str) -> Option<Vec<u8>> {
    let text = if checked::is_sealed(stored) {
        secrets.open(stored).ok()?
    } else {
        stored.to_owned()
    };
    totp::base32_decode(&text).filter(|s| s.len() >= checked::SEED_LEN_MIN)
}

/// Shows a new device's seed to its creator: opens the sealed `base32_string_seed` of a
/// `CreateVirtualMFADevice` reply and puts the plain one in the `qr_code_uri` too.
pub(crate) fn reveal_seed(secrets: &SecretBox, reply: &mut serde_json::Value) {
    let Some(sealed) = reply
        .get("base32_string_seed")
        .and_then(serde_json::Value::as_str)
        .filter(|s| checked::is_sealed(s))
        .map(str::to_owned)
    else {
        return;
    };
    let Ok(plain) = secrets.open(&sealed) else {
        return;
    };
    if let Some(serde_json::Value::String(uri)) = reply.get_mut("qr_code_uri") {
        *uri = uri.replace(&sealed, &plain);
    }
    reply["base32_string_seed"] = plain.into();
}

fn unopenable(serial: &str) -> IamError {
    IamError::new(
        ErrorCode::ServiceFailure,
        format!("the seed of MFA device {serial} cannot be opened with this node's cluster key"),
    )
}

impl ApiState {
    /// The device `serial` names, from this node's state, or — when this node does not have
    /// it (yet) — after catching up with the leader.
    async fn mfa_device(
        &self,
        account: &str,
        serial: &str,
    ) -> Result<Option<VirtualMfaDevice>, IamError> {
        if let Some(d) = mfa::device(&self.view, account, serial) {
            return Ok(Some(d));
        }
        self.read_linearizable().await?;
        Ok(mfa::device(&self.view, account, serial))
    }

    /// Checks one sign-in code of the device `serial` enabled for `user_name` (the root for
    /// `mfa::ROOT`) and records the verdict cluster-wide. `Ok(Some(ms))`: accepted (and
    /// consumed) at `ms`; `Ok(None)`: wrong, and counted; `Err`: refused without judging
    /// the code (no such device for the user, or the device is locked).
    pub(crate) async fn check_mfa_code(
        &self,
        account: &str,
        user_name: &str,
        serial: &str,
        code: &str,
    ) -> Result<Option<u64>, IamError> {
        let device = self.mfa_device(account, serial).await?;
        let now = crate::now_ms();
        let (seed_check, step) = match &device {
            // Known locked here already: refused without a write (apply would refuse too).
            Some(d) if checked::is_locked(d, now) => {
                return Err(checked::locked(serial));
            }
            Some(d) => {
                let seed =
                    open_seed(self.auth.secrets(), &d.seed).ok_or_else(|| unopenable(serial))?;
                let step = mfa::verify_totp(&seed, code, now, d.last_step);
                (checked::seed_check(&d.seed), step)
            }
            // Apply answers that no such device is enabled for the user.
            None => (String::new(), None),
        };
        let cmd = Command::in_account(
            account,
            MfaOp::CheckCode {
                user_name: user_name.to_owned(),
                serial_number: serial.to_owned(),
                seed_check,
                step,
            },
        );
        let (outcome, _) = self.execute_internal(cmd).await?;
        let check: CodeCheck = serde_json::from_value(outcome.to_json())
            .map_err(|e| crate::errors::internal(format!("unexpected MFA check outcome: {e}")))?;
        Ok(check.authenticated_ms)
    }

    /// `EnableMFADevice` and `ResyncMFADevice` (already authorized): checks the two codes
    /// against the opened seed and replaces the op by its checked form, which carries the
    /// verdict instead of the codes. Other commands are left as they are.
    pub(crate) async fn check_mfa_codes(&self, command: &mut Command) -> Result<(), IamError> {
        let Command::In {
            account,
            op: Op::Mfa(op),
        } = command
        else {
            return Ok(());
        };
        let (user_name, serial_number, c1, c2, window) = match op {
            MfaOp::Enable {
                user_name,
                serial_number,
                authentication_code1,
                authentication_code2,
            } => (
                user_name,
                serial_number,
                authentication_code1,
                authentication_code2,
                mfa::ENABLE_WINDOW_STEPS,
            ),
            MfaOp::Resync {
                user_name,
                serial_number,
                authentication_code1,
                authentication_code2,
            } => (
                user_name,
                serial_number,
                authentication_code1,
                authentication_code2,
                mfa::RESYNC_WINDOW_STEPS,
            ),
            _ => return Ok(()),
        };
        mfa::validate_code("authenticationCode1", c1)?;
        mfa::validate_code("authenticationCode2", c2)?;
        let device = self.mfa_device(account, serial_number).await?;
        let (seed_check, step) = match &device {
            Some(d) => {
                let seed = open_seed(self.auth.secrets(), &d.seed)
                    .ok_or_else(|| unopenable(serial_number))?;
                let step = totp::verify_pair(&seed, c1, c2, crate::now_ms(), window, d.last_step);
                (checked::seed_check(&d.seed), step)
            }
            // Apply answers NoSuchEntity.
            None => (String::new(), None),
        };
        let (user_name, serial_number) = (user_name.clone(), serial_number.clone());
        *op = if matches!(op, MfaOp::Enable { .. }) {
            MfaOp::EnableChecked {
                user_name,
                serial_number,
                seed_check,
                step,
            }
        } else {
            MfaOp::ResyncChecked {
                user_name,
                serial_number,
                seed_check,
                step,
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sealed_prefix_is_the_secret_box_s() {
        assert_eq!(checked::SEALED_PREFIX, iam_auth::secret_box::SEALED_PREFIX);
    }

    #[test]
    fn seeds_open_sealed_or_in_clear_and_replies_show_the_plain_seed() {
        let b = SecretBox::new(&[9; 32]);
        let plain = totp::base32_encode(&[7u8; 20]);
        let sealed = b.seal(&plain, [1; 12]);
        assert!(checked::is_sealed(&sealed) && !sealed.contains(&plain));
        assert_eq!(open_seed(&b, &sealed), Some(vec![7u8; 20]));
        // A device created before seeds were sealed keeps working.
        assert_eq!(open_seed(&b, &plain), Some(vec![7u8; 20]));
        // Another cluster's key opens nothing; nor does garbage.
        assert_eq!(open_seed(&SecretBox::new(&[8; 32]), &sealed), None);
        assert_eq!(open_seed(&b, "sealed1:xyz"), None);
        assert_eq!(open_seed(&b, "not base32!"), None);

        let mut reply = serde_json::json!({
            "serial_number": "arn:aws:iam::123456789012:mfa/phone",
            "base32_string_seed": sealed,
            "qr_code_uri": format!("otpauth://totp/phone@123456789012?secret={sealed}"),
        });
        reveal_seed(&b, &mut reply);
        assert_eq!(reply["base32_string_seed"], plain.as_str());
        assert_eq!(
            reply["qr_code_uri"],
            format!("otpauth://totp/phone@123456789012?secret={plain}")
        );
    }
}
