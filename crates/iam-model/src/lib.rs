//! The IAM vocabulary every other crate speaks: account ids, entity names and paths with
//! AWS's rules, ARNs, unique ids, the stored entity records, the `*_MAX` limits and the AWS
//! error codes.
//!
//! This crate does no IO and holds no clock or randomness: where an id needs random bytes,
//! the caller passes them in.

pub mod arn;
pub mod entity;
pub mod error;
pub mod ids;
pub mod limits;
pub mod names;
pub mod time;

pub use entity::{
    Account, Group, InlinePolicies, InstanceProfile, ManagedPolicy, PolicyVersion, Role, Tag, User,
};
pub use error::{ErrorCode, IamError, IamResult, RpcCode, Violations};
pub use ids::AccountId;
