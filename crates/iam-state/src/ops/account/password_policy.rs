//! The account password policy (`pwpol/{a}`): AWS's ranges and defaults, and the check a
//! new password's [`PasswordFacts`] must pass.

use crate::keys;
use crate::ops::login_profiles::PasswordFacts;
use crate::store::Txn;
use iam_model::{ErrorCode, IamError, IamResult, Violations};
use serde::{Deserialize, Serialize};

/// The stored policy. `max_password_age` and `password_reuse_prevention` are 0 when unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_password_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub max_password_age: u32,
    pub password_reuse_prevention: u32,
    pub hard_expiry: bool,
}

/// `UpdateAccountPasswordPolicy`'s input: every field left out goes back to its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicyInput {
    #[serde(default)]
    pub minimum_password_length: Option<u32>,
    #[serde(default)]
    pub require_symbols: bool,
    #[serde(default)]
    pub require_numbers: bool,
    #[serde(default)]
    pub require_uppercase_characters: bool,
    #[serde(default)]
    pub require_lowercase_characters: bool,
    #[serde(default)]
    pub allow_users_to_change_password: bool,
    #[serde(default)]
    pub max_password_age: Option<u32>,
    #[serde(default)]
    pub password_reuse_prevention: Option<u32>,
    #[serde(default)]
    pub hard_expiry: bool,
}

/// `GetAccountPasswordPolicy`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicyView {
    pub minimum_password_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub expire_passwords: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_password_age: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_reuse_prevention: Option<u32>,
    pub hard_expiry: bool,
}

/// `v` when it is within `min..=max`; otherwise the violation is recorded (and `v` returned
/// anyway: the caller reports every violation before using any value).
fn range(errors: &mut Violations, field: &str, v: u32, min: u32, max: u32) -> u32 {
    if v < min {
        errors.add(
            field,
            &v.to_string(),
            &format!("Member must have value greater than or equal to {min}"),
        );
    } else if v > max {
        errors.add(
            field,
            &v.to_string(),
            &format!("Member must have value less than or equal to {max}"),
        );
    }
    v
}

impl PasswordPolicyInput {
    /// The policy this input sets, or a `ValidationError` naming every value out of AWS's
    /// range (in AWS's order: the input shape's member order).
    pub fn to_policy(&self) -> IamResult<PasswordPolicy> {
        let mut errors = Violations::default();
        let mut opt = |field, v: Option<u32>, min, max| match v {
            None => 0,
            Some(v) => range(&mut errors, field, v, min, max),
        };
        let minimum_password_length = match self.minimum_password_length {
            None => 6,
            Some(v) => opt("minimumPasswordLength", Some(v), 6, 128),
        };
        let max_password_age = opt("maxPasswordAge", self.max_password_age, 1, 1095);
        let password_reuse_prevention = opt(
            "passwordReusePrevention",
            self.password_reuse_prevention,
            1,
            24,
        );
        errors.check()?;
        Ok(PasswordPolicy {
            minimum_password_length,
            require_symbols: self.require_symbols,
            require_numbers: self.require_numbers,
            require_uppercase_characters: self.require_uppercase_characters,
            require_lowercase_characters: self.require_lowercase_characters,
            allow_users_to_change_password: self.allow_users_to_change_password,
            max_password_age,
            password_reuse_prevention,
            hard_expiry: self.hard_expiry,
        })
    }
}

impl PasswordPolicy {
    pub fn view(&self) -> PasswordPolicyView {
        let nonzero = |v: u32| (v > 0).then_some(v);
        PasswordPolicyView {
            minimum_password_length: self.minimum_password_length,
            require_symbols: self.require_symbols,
            require_numbers: self.require_numbers,
            require_uppercase_characters: self.require_uppercase_characters,
            require_lowercase_characters: self.require_lowercase_characters,
            allow_users_to_change_password: self.allow_users_to_change_password,
            expire_passwords: self.max_password_age > 0,
            max_password_age: nonzero(self.max_password_age),
            password_reuse_prevention: nonzero(self.password_reuse_prevention),
            hard_expiry: self.hard_expiry,
        }
    }

    /// `PasswordPolicyViolation` naming the first rule the password breaks.
    pub fn check(&self, facts: &PasswordFacts) -> IamResult<()> {
        let rule = if facts.length < self.minimum_password_length {
            Some(format!(
                "Password should have a minimum length of {}",
                self.minimum_password_length
            ))
        } else if self.require_lowercase_characters && !facts.has_lower {
            Some("Password should have at least one lowercase letter".to_owned())
        } else if self.require_uppercase_characters && !facts.has_upper {
            Some("Password should have at least one uppercase letter".to_owned())
        } else if self.require_numbers && !facts.has_digit {
            Some("Password should have at least one number".to_owned())
        } else if self.require_symbols && !facts.has_symbol {
            Some("Password should have at least one symbol".to_owned())
        } else {
            None
        };
        match rule {
            Some(m) => Err(IamError::new(ErrorCode::PasswordPolicyViolation, m)),
            None => Ok(()),
        }
    }
}

/// The account's custom policy, if one is set.
pub fn load(txn: &Txn<'_>, account: &str) -> Option<PasswordPolicy> {
    txn.get_json(&keys::password_policy(account))
}

pub(super) fn no_policy(account: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Password Policy with domain name {account} cannot be found."),
    )
}
