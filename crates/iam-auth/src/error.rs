//! [`AuthError`]: an authentication failure is an [`IamError`] (the one error type: an AWS
//! code, whose HTTP and gRPC statuses are the code's own, and AWS's wording), made with the
//! [`AuthErrors`] constructors.

use iam_model::{ErrorCode, IamError};

/// An authentication failure: `code` is what the server puts in `<Code>`, `message` is AWS's
/// wording where known.
pub type AuthError = IamError;

/// AWS's authentication failures, in AWS's words (`AuthError::invalid_client_token_id()`
/// with this trait in scope).
pub trait AuthErrors {
    /// No `Authorization` header and no `X-Amz-Algorithm` query parameter.
    fn missing_authentication_token() -> Self;
    /// An unknown, inactive or deleted access key, or a session token that does not open.
    /// The server returns this itself when the access key id is not in its state.
    fn invalid_client_token_id() -> Self;
    /// A session token past its expiry.
    fn expired_token() -> Self;
    /// The authentication is incomplete or malformed (`IncompleteSignature`).
    fn incomplete(message: impl Into<String>) -> Self;
    /// The request does not match what was signed (`SignatureDoesNotMatch`).
    fn mismatch(message: impl Into<String>) -> Self;
    /// The recomputed signature differs from the one sent.
    fn signature_does_not_match() -> Self;
}

impl AuthErrors for IamError {
    fn missing_authentication_token() -> Self {
        Self::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        )
    }

    fn invalid_client_token_id() -> Self {
        Self::new(
            ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid.",
        )
    }

    fn expired_token() -> Self {
        Self::new(
            ErrorCode::ExpiredToken,
            "The security token included in the request is expired",
        )
    }

    fn incomplete(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::IncompleteSignature, message)
    }

    fn mismatch(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SignatureDoesNotMatch, message)
    }

    fn signature_does_not_match() -> Self {
        Self::mismatch(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        )
    }
}
