//! The one place where errors become `tonic::Status`: the core answers [`IamError`]s
//! (`crate::errors`), rendered here at the gRPC edge. The AWS error code travels in the
//! `x-iam-error-code` metadata header so clients can show it and choose an exit code.

use iam_model::{ErrorCode, IamError, RpcCode};
use tonic::{Code, Status};

pub use iam_proto::ERROR_CODE_HEADER;

/// A business error from apply or validation, with its AWS code in the metadata. The gRPC
/// status is the code's own (`ErrorCode::rpc`, declared with the code in `iam-model`).
pub fn from_iam(e: &IamError) -> Status {
    let code = match e.code.rpc() {
        RpcCode::InvalidArgument => Code::InvalidArgument,
        RpcCode::NotFound => Code::NotFound,
        RpcCode::AlreadyExists => Code::AlreadyExists,
        RpcCode::PermissionDenied => Code::PermissionDenied,
        RpcCode::ResourceExhausted => Code::ResourceExhausted,
        RpcCode::FailedPrecondition => Code::FailedPrecondition,
        RpcCode::Unauthenticated => Code::Unauthenticated,
        RpcCode::Unavailable => Code::Unavailable,
        RpcCode::Unimplemented => Code::Unimplemented,
        RpcCode::Internal => Code::Internal,
    };
    let mut s = Status::new(code, e.message.clone());
    if let Ok(v) = e.code.as_str().parse() {
        s.metadata_mut().insert(ERROR_CODE_HEADER, v);
    }
    s
}

/// `code` with `message` as a gRPC status.
pub fn refusal(code: ErrorCode, message: impl Into<String>) -> Status {
    from_iam(&IamError::new(code, message))
}

/// [`from_iam`] for an owned error (`map_err(status)`).
pub fn status(e: IamError) -> Status {
    from_iam(&e)
}

/// A request that is malformed before it reaches the core (e.g. JSON that is no command).
pub fn invalid(message: impl Into<String>) -> Status {
    from_iam(&crate::errors::invalid(message))
}
