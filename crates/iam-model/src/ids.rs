//! Account ids and AWS-style unique ids (`AIDA…`, `AKIA…`).

use crate::error::{IamError, IamResult};
use crate::limits::ACCOUNT_ID_LEN;
use serde::{Deserialize, Serialize};

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// Parses and validates a 12-digit account id.
    pub fn parse(s: &str) -> IamResult<Self> {
        if s.len() == ACCOUNT_ID_LEN && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IamError::validation(
                "accountId",
                s,
                "Member must be exactly 12 digits",
            ))
        }
    }

    /// Builds an account id from a number (used when the caller draws random digits).
    pub fn from_number(n: u64) -> Self {
        Self(format!("{:012}", n % 1_000_000_000_000))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 4-character prefixes AWS gives its unique ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPrefix {
    User,
    Group,
    Role,
    Policy,
    InstanceProfile,
    AccessKey,
    TemporaryAccessKey,
    /// An SSH public key (`APKA` + 16 characters, as AWS's `SSHPublicKeyId`).
    SshPublicKey,
    /// A server certificate (`ASCA` + 17 characters, as AWS's `ServerCertificateId`).
    ServerCertificate,
}

impl IdPrefix {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "AIDA",
            Self::Group => "AGPA",
            Self::Role => "AROA",
            Self::Policy => "ANPA",
            Self::InstanceProfile => "AIPA",
            Self::AccessKey => "AKIA",
            Self::TemporaryAccessKey => "ASIA",
            Self::SshPublicKey => "APKA",
            Self::ServerCertificate => "ASCA",
        }
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Characters after the prefix in ids AWS issues for entities (21 chars in all).
pub const UNIQUE_ID_SUFFIX_LEN: usize = 17;

/// `len` base32 characters (`A`–`Z`, `2`–`7`) from caller-supplied random bytes, one
/// character per byte: the ids AWS issues without a prefix (a signing certificate's
/// `CertificateId`). `random` must hold at least `len` bytes.
pub fn random_id(random: &[u8], len: usize) -> String {
    assert!(random.len() >= len, "random_id needs {len} random bytes");
    random[..len]
        .iter()
        .map(|b| BASE32[usize::from(*b) % 32] as char)
        .collect()
}

/// Makes an id such as `AIDA` + 17 base32 characters from caller-supplied random bytes.
/// `random` must hold at least `suffix_len` bytes; each byte picks one character.
pub fn unique_id(prefix: IdPrefix, random: &[u8], suffix_len: usize) -> String {
    assert!(
        random.len() >= suffix_len,
        "unique_id needs {suffix_len} random bytes"
    );
    let mut out = String::with_capacity(4 + suffix_len);
    out.push_str(prefix.as_str());
    out.push_str(&random_id(random, suffix_len));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        assert!(AccountId::parse("12345678901").is_err());
        assert!(AccountId::parse("12345678901a").is_err());
        assert_eq!(AccountId::from_number(42).as_str(), "000000000042");
    }

    #[test]
    fn unique_ids_have_prefix_and_length() {
        let id = unique_id(
            IdPrefix::User,
            &[
                0u8, 1, 2, 31, 32, 255, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
            ],
            17,
        );
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDAABC7A7H"), "{id}");
    }

    #[test]
    fn random_ids_are_uppercase_base32_without_prefix() {
        let bytes: Vec<u8> = (0u8..24).map(|i| i.wrapping_mul(37)).collect();
        let id = random_id(&bytes, 24);
        assert_eq!(id.len(), 24);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
        assert_eq!(random_id(&bytes, 3), "AFK");
    }
}
