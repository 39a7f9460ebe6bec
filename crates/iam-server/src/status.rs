//! The one place where errors become `tonic::Status`. The AWS error code travels in the
//! `x-iam-error-code` metadata header so clients can show it and choose an exit code.

use iam_model::{ErrorCode, IamError};
use iam_raft::RaftNodeError;
use tonic::{Code, Status};

pub use iam_proto::ERROR_CODE_HEADER;

pub(crate) fn with_code(mut s: Status, code: &str) -> Status {
    if let Ok(v) = code.parse() {
        s.metadata_mut().insert(ERROR_CODE_HEADER, v);
    }
    s
}

/// A business error from apply or validation.
pub fn from_iam(e: &IamError) -> Status {
    // Exhaustive on purpose: a new AWS code must choose its gRPC status here.
    let code = match e.code {
        ErrorCode::NoSuchEntity | ErrorCode::ReportNotPresent | ErrorCode::ReportExpired => {
            Code::NotFound
        }
        ErrorCode::EntityAlreadyExists => Code::AlreadyExists,
        ErrorCode::LimitExceeded => Code::ResourceExhausted,
        ErrorCode::DeleteConflict
        | ErrorCode::ConcurrentModification
        | ErrorCode::EntityTemporarilyUnmodifiable
        | ErrorCode::ReportInProgress => Code::FailedPrecondition,
        ErrorCode::MalformedPolicyDocument
        | ErrorCode::InvalidInput
        | ErrorCode::ValidationError
        | ErrorCode::PolicyNotAttachable
        | ErrorCode::UnmodifiableEntity
        | ErrorCode::PasswordPolicyViolation
        | ErrorCode::InvalidUserType
        | ErrorCode::IncompleteSignature
        | ErrorCode::RequestExpired => Code::InvalidArgument,
        // The token was used for another request: retrying cannot help (unlike Aborted).
        ErrorCode::IdempotentParameterMismatch => Code::FailedPrecondition,
        ErrorCode::ServiceUnavailable => Code::Unavailable,
        ErrorCode::AccessDenied | ErrorCode::InvalidAuthenticationCode => Code::PermissionDenied,
        ErrorCode::InvalidClientTokenId
        | ErrorCode::SignatureDoesNotMatch
        | ErrorCode::ExpiredToken
        | ErrorCode::MissingAuthenticationToken => Code::Unauthenticated,
        ErrorCode::ServiceFailure | ErrorCode::PolicyEvaluation => Code::Internal,
    };
    with_code(Status::new(code, e.message.clone()), e.code.as_str())
}

/// A replication error.
pub fn from_raft(e: &RaftNodeError) -> Status {
    let (code, aws) = match e {
        RaftNodeError::NoLeader
        | RaftNodeError::Unreachable(_)
        | RaftNodeError::Behind { .. }
        | RaftNodeError::MembershipBusy(_)
        | RaftNodeError::LeaderChanged(_) => (Code::Unavailable, "ServiceUnavailable"),
        RaftNodeError::Timeout(_) => (Code::DeadlineExceeded, "ServiceUnavailable"),
        RaftNodeError::UnknownNode { .. } => (Code::NotFound, "NoSuchEntity"),
        RaftNodeError::NodeExists { .. } => (Code::AlreadyExists, "EntityAlreadyExists"),
        RaftNodeError::Membership(_) => (Code::FailedPrecondition, "InvalidInput"),
        RaftNodeError::Fatal(_) => (Code::Internal, "ServiceFailure"),
    };
    with_code(Status::new(code, e.to_string()), aws)
}

/// A request that is malformed before it reaches the model (e.g. an unknown enum value).
pub fn invalid(message: impl Into<String>) -> Status {
    with_code(Status::invalid_argument(message.into()), "ValidationError")
}
