//! The core's own refusals, as [`IamError`]s: the one error type every step of a request
//! returns, whatever transport it came by. Each transport renders it at its edge only (gRPC:
//! `crate::grpc::status`; the Query API and STS: `iam_aws::render_error`), by the code's own
//! HTTP status and gRPC code (`iam_model::ErrorCode`).

use iam_model::{ErrorCode, IamError};
use iam_raft::RaftNodeError;

/// A replication error.
pub fn from_raft(e: &RaftNodeError) -> IamError {
    let code = match e {
        RaftNodeError::NoLeader
        | RaftNodeError::Unreachable(_)
        | RaftNodeError::Behind { .. }
        | RaftNodeError::MembershipBusy(_)
        | RaftNodeError::LeaderChanged(_)
        | RaftNodeError::Timeout(_) => ErrorCode::ServiceUnavailable,
        RaftNodeError::UnknownNode { .. } => ErrorCode::NoSuchEntity,
        RaftNodeError::NodeExists { .. } => ErrorCode::EntityAlreadyExists,
        RaftNodeError::Membership(_) => ErrorCode::InvalidInput,
        RaftNodeError::Fatal(_) => ErrorCode::ServiceFailure,
    };
    IamError::new(code, e.to_string())
}

/// A request that is malformed before it reaches the model (e.g. an unknown option).
pub fn invalid(message: impl Into<String>) -> IamError {
    IamError::new(ErrorCode::ValidationError, message)
}

/// A failure of the node itself (a blocking task that did not finish, an outcome of the
/// wrong kind): the request may be retried.
pub fn internal(message: impl Into<String>) -> IamError {
    IamError::new(ErrorCode::ServiceFailure, message)
}
