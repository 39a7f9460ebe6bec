//! Rendering: an operation's typed result as AWS's XML success response.
//!
//! `<{Action}Response xmlns=…><{Action}Result>…</{Action}Result><ResponseMetadata>
//! <RequestId>…</RequestId></ResponseMetadata></{Action}Response>`, with AWS's element names
//! and member order (botocore's IAM model), lists as `<member>`, timestamps as
//! `2024-01-02T03:04:05Z`, policy documents URL-encoded and blobs base64-encoded. Actions
//! whose AWS output has no members (DeleteUser, Attach*, Put*Policy, ...) get no `Result`
//! element; UpdateRole, whose output shape is empty, gets an empty one (botocore looks the
//! wrapper up by name for every operation that has an output shape).
//!
//! Every element comes from a field of a typed record: what iam-state answered is read
//! ([`read`]) as the type the action returns there (`iam_model::User`,
//! `iam_state::ops::Page<PolicyView>`, …), so a field is named once, by its type, and a
//! result of the wrong shape is an error (`ServiceFailure`), never an element silently left
//! out.

mod credentials;
mod details;
mod policies;
mod principals;
mod providers;
mod server_certs;
mod signing_certs;
mod ssh_keys;
pub(crate) mod sts;

use crate::error::AwsError;
use crate::xml::{escape, Xml, XMLNS};
use iam_model::ErrorCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What an IAM call answered, for [`render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A write's outcome (its secrets revealed to the caller) or a query's result, in
    /// iam-state's serialized form.
    State(Value),
    /// SimulatePrincipalPolicy / SimulateCustomPolicy: one result per action × resource.
    Simulation(iam_state::ops::Page<EvaluationResult>),
    /// GetContextKeysForPrincipalPolicy / GetContextKeysForCustomPolicy.
    ContextKeys(Vec<String>),
}

/// One `EvaluationResult` of a simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationResult {
    pub eval_action_name: String,
    pub eval_resource_name: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub eval_decision: String,
    pub matched_statements: Vec<StatementSource>,
    pub missing_context_values: Vec<String>,
    /// `PermissionsBoundaryDecisionDetail`, when a boundary took part.
    pub permissions_boundary_allowed: Option<bool>,
    /// `EvalDecisionDetails` (left out when empty).
    pub eval_decision_details: BTreeMap<String, String>,
}

/// A policy a simulation's statement came from (`MatchedStatements` member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementSource {
    pub source_policy_id: String,
    /// `IAM Policy` (a managed policy) or `user` (a document of the request).
    pub source_policy_type: String,
}

/// The XML success response for `action` from what it answered.
pub fn render(action: &str, answer: &Answer, request_id: &str) -> Result<String, AwsError> {
    let body = result_body(action, answer)?;
    let action = escape(action);
    let mut out = format!("<{action}Response xmlns=\"{XMLNS}\">");
    if let Some(body) = body {
        out.push_str(&format!("<{action}Result>{body}</{action}Result>"));
    }
    out.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    ));
    Ok(out)
}

/// The content of `{Action}Result`, or `None` for actions AWS answers without one.
pub fn result_body(action: &str, answer: &Answer) -> Result<Option<String>, AwsError> {
    let mut x = Xml::new();
    let mine = match answer {
        Answer::State(v) => {
            principals::body(&mut x, action, v)?
                || policies::body(&mut x, action, v)?
                || credentials::body(&mut x, action, v)?
                || providers::body(&mut x, action, v)?
                || ssh_keys::body(&mut x, action, v)?
                || signing_certs::body(&mut x, action, v)?
                || details::body(&mut x, action, v)?
                || server_certs::body(&mut x, action, v)?
        }
        Answer::Simulation(page) => {
            x.page("EvaluationResults", page, credentials::evaluation);
            true
        }
        Answer::ContextKeys(keys) => {
            x.strings("ContextKeyNames", keys);
            true
        }
    };
    Ok(mine.then(|| x.finish()))
}

/// `v` read as `T`, the type iam-state answers `action` with. The refusal names a missing
/// field but never quotes a value (a result may hold a secret shown to its creator only).
pub(crate) fn read<T: serde::de::DeserializeOwned>(action: &str, v: &Value) -> Result<T, AwsError> {
    T::deserialize(v).map_err(|e| {
        let e = e.to_string();
        let detail = if e.starts_with("missing field") {
            format!(": {e}")
        } else {
            String::new()
        };
        AwsError::new(
            ErrorCode::ServiceFailure,
            format!("The result of {action} could not be rendered{detail}"),
        )
    })
}

/// `PermissionsBoundary` of a user or role record, when it has one.
pub(crate) fn boundary(x: &mut Xml, arn: Option<&str>) {
    if let Some(arn) = arn {
        x.open("PermissionsBoundary")
            .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
            .text("PermissionsBoundaryArn", arn)
            .close("PermissionsBoundary");
    }
}
