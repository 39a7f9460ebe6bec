//! [`AuthError`]: an AWS authentication error code plus AWS's wording.

use iam_model::{ErrorCode, IamError};

/// An authentication failure. `code` is what the server puts in `<Code>` (its HTTP status is
/// `code.http_status()`), `message` is AWS's wording where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AuthError {
    pub code: ErrorCode,
    pub message: String,
}

impl AuthError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// No `Authorization` header and no `X-Amz-Algorithm` query parameter.
    pub fn missing_authentication_token() -> Self {
        Self::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        )
    }

    /// An unknown, inactive or deleted access key, or a session token that does not open.
    /// The server returns this itself when the access key id is not in its state.
    pub fn invalid_client_token_id() -> Self {
        Self::new(
            ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid.",
        )
    }

    /// A session token past its expiry.
    pub fn expired_token() -> Self {
        Self::new(
            ErrorCode::ExpiredToken,
            "The security token included in the request is expired",
        )
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::IncompleteSignature, message)
    }

    pub(crate) fn mismatch(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SignatureDoesNotMatch, message)
    }

    /// The recomputed signature differs from the one sent.
    pub fn signature_does_not_match() -> Self {
        Self::mismatch(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        )
    }
}

impl From<AuthError> for IamError {
    fn from(e: AuthError) -> Self {
        IamError::new(e.code, e.message)
    }
}
