//! The AWS IAM Query API (version 2010-05-08) as a translation layer over iamd's native
//! operations. Pure: no IO, no clock, no async.
//!
//! A request goes through three steps:
//! 1. [`Params::from_form`] decodes the form body (`Action=CreateUser&UserName=bob&...`,
//!    with AWS's `Name.member.N` list encodings);
//! 2. [`route`] (or [`route_as`]) maps it to a [`Call`]: a `Command` to propose, a `Query`
//!    to run, a result known up front, or a simulation the server answers itself;
//! 3. [`render`] turns the typed result ([`Answer`]) into AWS's XML response for that
//!    action, and
//!    [`render_error`] / [`AwsError::render`] turn an error into `<ErrorResponse>`.
//!
//! # What the server does around it
//! - authenticates the request (SigV4) and resolves the account and the caller ([`Caller`]:
//!   root, an IAM user by name, or another principal);
//! - authorizes `iam:{Action}` (the request's `Action`, not the native command's name);
//! - for [`Call::Write`]: `Command::prepare` then propose; for [`Call::Read`]:
//!   `Query::prepare(now)` then run; refuses internal commands/queries as for any API;
//! - for [`Call::Simulate`] / [`Call::ContextKeys`]: evaluates with its authorization index
//!   and answers with [`Answer::Simulation`] / [`Answer::ContextKeys`];
//! - chooses the request id (a UUID) and also sends it as `x-amzn-RequestId`.
//!
//! Errors are `IamError`s ([`AwsError`] names it here): business errors from the state
//! machine and the adapter's own refusals ([`AwsErrors`]) alike, each code with its own HTTP
//! status.

mod error;
mod params;
pub mod qr;
mod render;
mod route;
mod xml;

pub use error::{field_name, render_error, status_of, AwsError, AwsErrors};
pub use params::{parse_form, ContextEntry, Params};
pub use render::sts::{render_sts, StsResult, STS_XMLNS};
pub use render::{render, result_body, Answer, EvaluationResult, StatementSource};
pub use route::{
    is_supported, route, route_as, Call, Caller, ContextKeys, Simulate, API_VERSION, SUPPORTED,
    UNSUPPORTED,
};
pub use xml::{timestamp, url_encode, XMLNS};
