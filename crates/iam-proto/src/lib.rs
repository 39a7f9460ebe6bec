//! Protobuf types generated from `proto/`, and conversions between them and `iam-model`.
//!
//! Only this crate knows the generated types' layout; the server and client convert at
//! their edges through the functions here.

#![allow(unreachable_pub, clippy::all)]

pub mod v1 {
    tonic::include_proto!("iam.v1");
}

pub mod raft {
    tonic::include_proto!("iam.raft.v1");
}

mod convert;
pub use convert::*;

/// gRPC metadata header with the AWS error code of a failed call (set by the server, read
/// by clients to show it and choose an exit code).
pub const ERROR_CODE_HEADER: &str = "x-iam-error-code";
