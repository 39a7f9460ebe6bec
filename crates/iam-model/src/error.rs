//! AWS error codes and the one error type that business logic returns.
//!
//! The code strings are exactly AWS's (`NoSuchEntity`, `EntityAlreadyExists`, ...) because
//! AWS SDKs map them to exception classes; the HTTP status is AWS's for that code.

use serde::{Deserialize, Serialize};

/// How an error travels over gRPC: the gRPC status codes iamd uses, named here so that the
/// model knows no transport (the server maps each to tonic's `Code`, exhaustively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpcCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Internal,
}

/// Declares [`ErrorCode`] from one table: each code once, with its AWS wire string (the
/// variant's name), the HTTP status AWS answers it with, its gRPC status and whether a
/// client should retry it. Every transport renders a code from here, so neither the list
/// nor a mapping can drift from the enum.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $code:ident => $http:literal, $rpc:ident, $retry:literal;)*) => {
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

            /// AWS's HTTP status for this code (the Query API's answer).
            pub fn http_status(self) -> u16 {
                match self {
                    $(Self::$code => $http,)*
                }
            }

            /// The gRPC status this code travels with.
            pub fn rpc(self) -> RpcCode {
                match self {
                    $(Self::$code => RpcCode::$rpc,)*
                }
            }

            /// Whether the same request may succeed if sent again (to this node later, or
            /// to another): clients retry these, and only these.
            pub fn retryable(self) -> bool {
                match self {
                    $(Self::$code => $retry,)*
                }
            }
        }
    };
}

// New variants go last: the responses of format 0 (bincode) name variants by position.
error_codes! {
    NoSuchEntity => 404, NotFound, false;
    EntityAlreadyExists => 409, AlreadyExists, false;
    LimitExceeded => 409, ResourceExhausted, false;
    DeleteConflict => 409, FailedPrecondition, false;
    ConcurrentModification => 409, FailedPrecondition, false;
    MalformedPolicyDocument => 400, InvalidArgument, false;
    InvalidInput => 400, InvalidArgument, false;
    ValidationError => 400, InvalidArgument, false;
    AccessDenied => 403, PermissionDenied, false;
    ServiceFailure => 500, Internal, false;
    PolicyNotAttachable => 400, InvalidArgument, false;
    UnmodifiableEntity => 400, InvalidArgument, false;
    EntityTemporarilyUnmodifiable => 409, FailedPrecondition, false;
    InvalidAuthenticationCode => 403, PermissionDenied, false;
    PasswordPolicyViolation => 400, InvalidArgument, false;
    ReportNotPresent => 410, NotFound, false;
    ReportExpired => 410, NotFound, false;
    ReportInProgress => 404, FailedPrecondition, false;
    InvalidUserType => 400, InvalidArgument, false;
    PolicyEvaluation => 500, Internal, false;
    // Authentication (SigV4 and session tokens).
    InvalidClientTokenId => 403, Unauthenticated, false;
    SignatureDoesNotMatch => 403, Unauthenticated, false;
    IncompleteSignature => 400, InvalidArgument, false;
    ExpiredToken => 403, Unauthenticated, false;
    MissingAuthenticationToken => 403, Unauthenticated, false;
    RequestExpired => 400, InvalidArgument, false;
    /// A request token was used before by the same caller for a different request:
    /// retrying cannot help.
    IdempotentParameterMismatch => 400, FailedPrecondition, false;
    /// The node cannot serve now (e.g. its clock is off the cluster's, its audit trail
    /// cannot record); another node, or the same later, may.
    ServiceUnavailable => 503, Unavailable, true;
    /// Too many requests from a source (failed authentications, sign-ins) or a busy node:
    /// not retried at once (the source must slow down; AWS SDKs back off and retry).
    Throttling => 400, ResourceExhausted, false;
    // The Query protocol's own refusals (the AWS IAM and STS APIs on the HTTP port).
    /// No `Action` parameter.
    MissingAction => 400, InvalidArgument, false;
    /// An `Action` the API does not have.
    InvalidAction => 400, InvalidArgument, false;
    /// A required parameter is absent (STS).
    MissingParameter => 400, InvalidArgument, false;
    /// The query string or form body cannot be read (a parameter twice, not UTF-8).
    MalformedQueryString => 404, InvalidArgument, false;
    /// A body that is not a form.
    UnsupportedMediaType => 415, InvalidArgument, false;
    /// An AWS operation iamd recognizes but does not implement (not retried by SDKs).
    NotImplemented => 501, Unimplemented, false;
    /// The Query API failed internally.
    InternalFailure => 500, Internal, false;
    /// Session policies and tags too large once packed (STS).
    PackedPolicyTooLarge => 400, InvalidArgument, false;
    // SSH public keys (UploadSSHPublicKey).
    /// The key's encoding is not one IAM reads (not `ssh-rsa` or an RSA PEM key).
    UnrecognizedPublicKeyEncoding => 400, InvalidArgument, false;
    /// The key is malformed or otherwise invalid (an RSA key under 2048 bits).
    InvalidPublicKey => 400, InvalidArgument, false;
    /// The user already has this key.
    DuplicateSSHPublicKey => 400, AlreadyExists, false;
    // Web identity federation (AssumeRoleWithWebIdentity).
    /// The web identity token could not be validated (signature, issuer, audience, form).
    InvalidIdentityToken => 400, InvalidArgument, false;
    /// The web identity token has expired (or is not valid yet).
    ExpiredTokenException => 400, InvalidArgument, false;
    /// The identity provider's keys could not be fetched (unreachable, certificate not
    /// matching a thumbprint, malformed documents). AWS SDKs retry it themselves.
    IDPCommunicationError => 400, FailedPrecondition, false;
    /// The identity provider rejected the claims of the token.
    IDPRejectedClaim => 403, PermissionDenied, false;
    // Signing certificates (UploadSigningCertificate).
    /// The body is not one PEM X.509 certificate (not PEM, not a certificate, trailing data).
    MalformedCertificate => 400, InvalidArgument, false;
    /// The certificate parses but is not valid at the request's time (expired or not yet
    /// valid).
    InvalidCertificate => 400, InvalidArgument, false;
    /// The user already has this certificate.
    DuplicateCertificate => 400, AlreadyExists, false;
    // Server certificates (UploadServerCertificate).
    /// The private key does not belong to the certificate (its public part is not the
    /// certificate's public key).
    KeyPairMismatch => 400, InvalidArgument, false;
}

impl ErrorCode {
    /// The code whose wire string is `code`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
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
        let mut v = Violations::default();
        v.add(field, value, constraint);
        v.into_error().expect("one violation")
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
        assert_eq!(ErrorCode::ALL.len(), 48);
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
        // Only the node's own condition is worth sending again as is.
        let retryable: Vec<_> = ErrorCode::ALL.iter().filter(|c| c.retryable()).collect();
        assert_eq!(retryable, [&ErrorCode::ServiceUnavailable]);
        for code in ErrorCode::ALL {
            let status = code.http_status();
            assert!((400..600).contains(&status), "{code}: {status}");
            // A server-side failure is a 5xx on both transports.
            let internal = matches!(
                code.rpc(),
                super::RpcCode::Internal
                    | super::RpcCode::Unavailable
                    | super::RpcCode::Unimplemented
            );
            assert_eq!(status >= 500, internal, "{code}");
        }
        assert_eq!(ErrorCode::parse("nosuchentity"), None);
        assert_eq!(ErrorCode::parse(""), None);
    }
}

/// Every constraint one request violates, reported together as AWS does: `N validation
/// errors detected: Value 'v' at 'field' failed to satisfy constraint: C; Value …` (`1
/// validation error detected: …` for one).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations(Vec<String>);

impl Violations {
    /// Records that `value` of `field` fails `constraint`.
    pub fn add(&mut self, field: &str, value: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Records that `field` fails `constraint` without quoting its value, as AWS words the
    /// violations of a list's members (`Value at 'thumbprintList' failed to satisfy
    /// constraint: Member must satisfy constraint: [...]`).
    pub fn add_unquoted(&mut self, field: &str, constraint: &str) {
        self.0.push(format!(
            "Value at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// The `ValidationError` naming every violation, or `None` when there is none.
    pub fn into_error(self) -> Option<IamError> {
        let n = self.0.len();
        let (count, noun) = match n {
            0 => return None,
            1 => (n, "error"),
            _ => (n, "errors"),
        };
        Some(IamError::new(
            ErrorCode::ValidationError,
            format!("{count} validation {noun} detected: {}", self.0.join("; ")),
        ))
    }

    /// `Ok` when nothing was violated, else the `ValidationError` naming every violation.
    pub fn check(self) -> IamResult<()> {
        self.into_error().map_or(Ok(()), Err)
    }
}
