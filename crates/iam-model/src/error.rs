//! AWS error codes and the one error type that business logic returns.
//!
//! The code strings are exactly AWS's (`NoSuchEntity`, `EntityAlreadyExists`, ...) because
//! AWS SDKs map them to exception classes; the HTTP status is AWS's for that code.

use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] and its list of every code from one list of names: each variant's
/// name is its exact AWS wire string, so neither the list nor the strings can drift from the
/// enum.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $code:ident,)*) => {
        /// An AWS IAM/STS error code. The `Display` form is the exact wire string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $($(#[$doc])* $code,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$code,)*];

            /// The exact string AWS puts in `<Code>`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$code => stringify!($code),)*
                }
            }
        }
    };
}

error_codes! {
    NoSuchEntity,
    EntityAlreadyExists,
    LimitExceeded,
    DeleteConflict,
    ConcurrentModification,
    MalformedPolicyDocument,
    InvalidInput,
    ValidationError,
    AccessDenied,
    ServiceFailure,
    PolicyNotAttachable,
    UnmodifiableEntity,
    EntityTemporarilyUnmodifiable,
    InvalidAuthenticationCode,
    PasswordPolicyViolation,
    ReportNotPresent,
    ReportExpired,
    ReportInProgress,
    InvalidUserType,
    PolicyEvaluation,
    // Authentication (SigV4 and session tokens).
    InvalidClientTokenId,
    SignatureDoesNotMatch,
    IncompleteSignature,
    ExpiredToken,
    MissingAuthenticationToken,
    RequestExpired,
    /// A request token was used before by the same caller for a different request (new
    /// variants go last: responses travel in bincode).
    IdempotentParameterMismatch,
    /// The node cannot serve now (e.g. its clock is off the cluster's); another node may.
    ServiceUnavailable,
}

impl ErrorCode {
    /// The code whose wire string is `code`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// AWS's HTTP status for this code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::NoSuchEntity => 404,
            Self::EntityAlreadyExists
            | Self::LimitExceeded
            | Self::DeleteConflict
            | Self::ConcurrentModification
            | Self::EntityTemporarilyUnmodifiable => 409,
            Self::MalformedPolicyDocument
            | Self::InvalidInput
            | Self::ValidationError
            | Self::PolicyNotAttachable
            | Self::UnmodifiableEntity
            | Self::PasswordPolicyViolation
            | Self::InvalidUserType
            | Self::IncompleteSignature
            | Self::RequestExpired
            | Self::IdempotentParameterMismatch => 400,
            Self::AccessDenied
            | Self::InvalidAuthenticationCode
            | Self::InvalidClientTokenId
            | Self::SignatureDoesNotMatch
            | Self::ExpiredToken
            | Self::MissingAuthenticationToken => 403,
            Self::ReportNotPresent | Self::ReportExpired => 410,
            Self::ReportInProgress => 404,
            Self::ServiceFailure | Self::PolicyEvaluation => 500,
            Self::ServiceUnavailable => 503,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A business error: an AWS code plus a message meant for the person who sent the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IamError {
    pub code: ErrorCode,
    pub message: String,
}

impl IamError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The `NoSuchEntity` error in AWS's wording, e.g. "The user with name bob cannot be found."
    pub fn no_such(kind: &str, name: &str) -> Self {
        Self::new(
            ErrorCode::NoSuchEntity,
            format!("The {kind} with name {name} cannot be found."),
        )
    }

    /// The `EntityAlreadyExists` error in AWS's wording.
    pub fn already_exists(kind: &str, name: &str) -> Self {
        Self::new(
            ErrorCode::EntityAlreadyExists,
            format!("{kind} with name {name} already exists."),
        )
    }

    /// AWS's `ValidationError` wording for a field that fails a constraint.
    pub fn validation(field: &str, value: &str, constraint: &str) -> Self {
        Self::new(
            ErrorCode::ValidationError,
            format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy \
                 constraint: {constraint}"
            ),
        )
    }

    /// AWS's `LimitExceeded` wording for a quota.
    pub fn quota(name: &str, value: u64) -> Self {
        Self::new(
            ErrorCode::LimitExceeded,
            format!("Cannot exceed quota for {name}: {value}"),
        )
    }
}

pub type IamResult<T> = Result<T, IamError>;

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_parses_from_its_wire_string_and_nothing_else_does() {
        assert_eq!(ErrorCode::ALL.len(), 28);
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::parse("nosuchentity"), None);
        assert_eq!(ErrorCode::parse(""), None);
    }
}
