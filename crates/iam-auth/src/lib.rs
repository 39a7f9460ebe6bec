//! The cryptographic core of authentication: AWS Signature Version 4 ([`sigv4`]) and
//! self-contained STS session tokens ([`token`]).
//!
//! Pure: no IO, no clock (callers pass `now_ms`), no randomness (callers pass nonces), no
//! async runtime. Every function returns an [`AuthError`] carrying the AWS error code the
//! server should answer with, and none panics on any input.
//!
//! How a server authenticates a request with it:
//! 1. [`sigv4::parse`] the request (header or presigned-query form). No auth at all gives
//!    `MissingAuthenticationToken`; a malformed `Authorization` gives `IncompleteSignature`.
//! 2. Find the secret for [`sigv4::ParsedAuth::access_key_id`]:
//!    - `AKIA…`: look the key up in the state; unknown or inactive → `InvalidClientTokenId`
//!      ([`AuthErrors::invalid_client_token_id`]).
//!    - `ASIA…`: the request must carry a security token; [`token::authenticate_session`]
//!      opens it, checks it belongs to that key and has not expired, and re-derives the
//!      session's secret (nothing is looked up or written).
//! 3. [`sigv4::verify`] with that secret, the expected service and the current time.

pub mod jwt;
pub mod key_id;
pub mod secret_box;
pub mod sigv4;
pub mod token;

mod ct;
mod error;
mod time;

pub use ct::ct_eq;
pub use error::{AuthError, AuthErrors};
pub use time::{format_amz_date, parse_amz_date};
