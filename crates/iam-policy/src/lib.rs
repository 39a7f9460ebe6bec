//! The AWS IAM policy language for iamd: parsing and validation of policy documents,
//! compiled evaluation with AWS's decision logic, explanations, an offline case runner and
//! the validation report behind `iamctl policy validate`.
//!
//! The crate is pure: no IO, no clock, no randomness. Evaluation never panics and never
//! fails — malformed documents are rejected by [`parse`] when they are written.
//!
//! # Using it
//!
//! ```
//! use std::sync::Arc;
//! use iam_policy::{parse, evaluate, CompiledSet, Context, Policies, PolicyKind, Request, Verdict};
//!
//! // When a principal's policies change: parse (validates) and compile once.
//! let doc = r#"{"Version": "2012-10-17", "Statement": {
//!     "Effect": "Allow", "Action": "s3:GetObject",
//!     "Resource": "arn:aws:s3:::home/${aws:username}/*",
//!     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}}"#;
//! let policy = Arc::new(parse(doc, PolicyKind::Managed)?);
//! let identity = CompiledSet::new([("ReadHome", policy)]);
//!
//! // Per request: build the context and evaluate (no allocation inside `evaluate`).
//! let ctx = Context::new().with("aws:username", "bob").with("aws:SourceIp", "10.1.2.3");
//! let req = Request::new("arn:aws:iam::111122223333:user/bob", "s3:GetObject",
//!     "arn:aws:s3:::home/bob/notes.txt", &ctx);
//! let decision = evaluate(&req, &Policies::new(&identity));
//! assert_eq!(decision.verdict, Verdict::Allow);
//! # Ok::<(), iam_policy::PolicyError>(())
//! ```
//!
//! # Public API
//!
//! - [`parse`] / [`parse_with`]: text + [`PolicyKind`] → [`Policy`] or [`PolicyError`]
//!   (`code()` is `MalformedPolicyDocument` or `LimitExceeded`; `aws_message()` is exactly
//!   AWS IAM's text, `message()` adds iamd's detail and the zero-based statement index and
//!   Sid). Documents are checked with AWS's rules in AWS's order (`VALIDATION.md`).
//! - [`policy_size`] and the `*_SIZE_MAX` constants: AWS's size measure (whitespace not
//!   counted) and limits per kind.
//! - [`CompiledSet::new`]: labelled policies → an indexed set (by service prefix, denies apart).
//! - [`Context`]: condition keys (case-insensitive) → one value or a list.
//! - [`Request`], [`Policies`], [`evaluate`] → [`Decision`] (verdict, [`Reason`], one deciding
//!   statement); [`explain`] → [`Explanation`] with every statement behind the decision.
//! - [`validate_document`], [`validate_document_auto`], [`guess_kind`] → [`ValidationReport`]
//!   (errors and warnings, serializable for `iamctl policy validate --json`).
//! - [`run_case_line`], [`run_cases`] (→ [`CaseStats`]): the offline JSON-lines case runner.
//!
//! There is no separate "identity" kind: use [`PolicyKind::Managed`] for an identity policy
//! whose storage is not known, or the inline kind for its tighter size limit (the limits of
//! inline policies apply to the sum of a principal's inline policies: check that sum with
//! [`policy_size`]). [`ParseOptions::enforce_size`] turns size limits off for simulations.
//!
//! # Cost
//!
//! `parse` compiles every element once (lowercased action patterns, ARN parts split, CIDRs,
//! numbers, dates and base64 decoded). [`CompiledSet`] indexes statements by service prefix
//! with a bucket for statements that can match any service, and keeps Deny statements apart,
//! so [`evaluate`] looks only at statements that can match the action, looks for denies
//! first and stops at the first sufficient allow. It does not allocate, except to decode a
//! request value for `BinaryEquals` and to substitute variables in a `Bool` value or in an
//! `Arn*` value that is a variable as a whole. [`Context`] is a sorted vector
//! searched by binary search.
//!
//! # Semantics worth knowing
//!
//! - Explicit Deny anywhere wins (except for the account root, which is always allowed in its
//!   own account). Identity ∪ resource-based grants, ∩ boundary, ∩ session. In the caller's
//!   own account a resource-policy grant depends on how it names the caller
//!   ([`PrincipalMatch`]): its own user, session or federated-user ARN, or `"*"`, stands
//!   alone (no identity allow, not cut by the boundary or session policy); its role's ARN
//!   needs no identity allow but is cut by the boundary and session policy; its account only
//!   delegates to the identity policies, which must allow. Across accounts
//!   ([`Policies::cross_account`]) the resource policy and the caller's own side must both
//!   allow.
//! - In a role trust policy ([`PolicyKind::Trust`] as the resource layer) the trust policy
//!   must allow the caller, by one of the forms above.
//! - Conditions tell a missing key from a multivalued key present with no values:
//!   `...IfExists` applies only to the first; `ForAllValues` holds and `ForAnyValue` fails for
//!   both; `Null` sees both as null.
//! - [`replace_aws_principals`] rewrites the user and role ARNs of a trust policy to the
//!   unique ids they were bound to (what IAM shows after such a principal is deleted).
//! - NotPrincipal applies to every caller that none of its values match (account values cover
//!   every principal of the account).
//! - Actions ignore case; resources are case-sensitive and matched per ARN part (`*` never
//!   crosses a `:` before the resource part; in the resource part it swallows `/`).
//! - Policy variables are substituted as literal text (a `*` in a tag value is not a
//!   wildcard); a missing or multi-valued key makes that pattern match nothing. Only
//!   `Version: 2012-10-17` documents have variables.
//! - Statement indexes in messages and explanations are zero-based.

mod arn;
mod bind;
mod cases;
mod compile;
mod condition;
mod context;
mod error;
mod eval;
mod explain;
mod glob;
mod json;
mod legacy;
mod operator;
mod parse;
mod policy;
mod principal;
mod report;
mod resource_arn;
mod scalar;
mod syntax;
mod validate;
mod variables;

pub use bind::replace_aws_principals;
pub use cases::{run_case_line, run_cases, CaseStats};
pub use compile::{CompiledSet, StatementIndex};
pub use context::Context;
pub use error::{ErrorKind, Location, PolicyError};
pub use eval::{evaluate, explain, is_root_arn, Policies, Request};
pub use explain::{Decision, Explanation, Layer, MatchedStatement, Reason, StatementRef, Verdict};
pub use operator::{BaseOp, Operator, Qualifier};
pub use parse::{parse, parse_with, ParseOptions};
pub use policy::{
    Effect, Policy, PolicyKind, Statement, Version, GROUP_INLINE_SIZE_MAX, MANAGED_POLICY_SIZE_MAX,
    POLICY_DOCUMENT_LENGTH_MAX, ROLE_INLINE_SIZE_MAX, SESSION_POLICY_SIZE_MAX,
    TRUST_POLICY_SIZE_MAX, USER_INLINE_SIZE_MAX,
};
pub use principal::PrincipalMatch;
pub use report::{
    guess_kind, validate_document, validate_document_auto, Finding, ValidationReport,
};
pub use validate::policy_size;
