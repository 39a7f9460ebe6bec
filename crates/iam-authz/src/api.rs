//! The request and answer types of `authorize` and `simulate` (serde: the JSON the API
//! carries).

use crate::principal::PolicySource;
use iam_policy::CompiledSet;
use serde::{Deserialize, Serialize};

/// Condition keys: (key, values). One value is a single-valued key; several (or none) a
/// multi-valued one.
pub type ContextKeys = Vec<(String, Vec<String>)>;

/// Most (action, resource) pairs one `simulate` evaluates.
pub const SIMULATE_PAIRS_MAX: usize = 1000;
/// Most custom documents one `simulate` takes.
pub const SIMULATE_DOCUMENTS_MAX: usize = 50;

pub(crate) fn star() -> String {
    "*".to_owned()
}

/// One authorization question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthzRequest {
    /// `arn:aws:iam::A:user/…`, `arn:aws:iam::A:role/…`, `arn:aws:sts::A:assumed-role/R/S`
    /// or `arn:aws:iam::A:root`.
    pub principal_arn: String,
    /// `service:Action`.
    pub action: String,
    #[serde(default = "star")]
    pub resource: String,
    /// The caller's condition keys. Keys describing the principal (`aws:username`,
    /// `aws:userid`, `aws:PrincipalArn`, `aws:PrincipalType`, `aws:PrincipalAccount`,
    /// `aws:PrincipalTag/*`) are taken from the state, never from here.
    #[serde(default)]
    pub context: ContextKeys,
    /// The session tags of a role session (`principal_arn` an assumed-role ARN): they give
    /// `aws:PrincipalTag/<key>`, overriding the role's own tag of the same key, as AWS does.
    /// Ignored for other principals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_tags: Vec<(String, String)>,
    /// List every statement behind the decision (slower), not only the deciding one.
    #[serde(default)]
    pub with_explanation: bool,
    /// Decide the identity side alone, also for a resource of another account (whose own
    /// resource-based policy the asker evaluates itself, as STS does with a role's trust
    /// policy). Without it such a resource is denied: resource policies are not evaluated
    /// here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity_only: bool,
}

/// Policy layers an asker evaluates together with the principal's own (see
/// `AuthzIndex::authorize_with`). Not part of the serialized request: the asker compiles
/// them itself (STS: the role's trust policy and the session's policies from its token).
#[derive(Debug, Clone, Copy, Default)]
pub struct Layers<'a> {
    /// The resource-based policy of the resource (a role's trust policy).
    pub resource: Option<&'a CompiledSet>,
    /// The caller's session policies (the inline and managed policies passed when the
    /// session was created).
    pub session: Option<&'a CompiledSet>,
}

/// The three answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthzDecision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl AuthzDecision {
    /// The decision as AWS's simulator spells it (`EvalDecision`), on both APIs: `allowed`,
    /// `explicitDeny`, `implicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::ExplicitDeny => "explicitDeny",
            Self::ImplicitDeny => "implicitDeny",
        }
    }
}

/// A statement behind a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedStatement {
    /// `identity`, `boundary`, or (with [`Layers`]) `session`, `resource`.
    pub layer: String,
    /// The policy's label: the ARN of a managed policy, `user/bob/inline/Name` for an
    /// inline one (the labels `iam_state`'s effective-documents query uses).
    pub policy: String,
    pub source: Option<PolicySource>,
    /// Zero-based statement index in the document.
    pub statement: usize,
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: String,
}

/// Who asked, as the state knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalInfo {
    pub arn: String,
    /// `aws:PrincipalType`: `User`, `AssumedRole` or `Account`.
    pub principal_type: String,
    pub account: String,
    pub name: Option<String>,
    pub id: Option<String>,
    /// Identity policies evaluated.
    pub policy_count: usize,
    pub has_boundary: bool,
    /// Referenced policy ARNs that do not exist in the account (they grant nothing; an
    /// unresolved boundary allows nothing).
    pub unresolved_policies: Vec<String>,
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthzAnswer {
    pub decision: AuthzDecision,
    /// Which rule decided, in words.
    pub reason: String,
    /// One statement that decided (the first Deny, or the granting Allow).
    pub decided_by: Option<MatchedStatement>,
    /// With `with_explanation`: every statement behind the decision (see
    /// `iam_policy::Explanation`).
    pub matched: Vec<MatchedStatement>,
    pub principal: PrincipalInfo,
}

/// A batch of questions: every action × every resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulateRequest {
    /// Whose policies (and principal keys) to use. Optional when `policy_documents` is given.
    #[serde(default)]
    pub principal_arn: Option<String>,
    pub actions: Vec<String>,
    /// Empty means `["*"]`.
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub context: ContextKeys,
    /// Identity policy documents to evaluate *instead of* the principal's (as
    /// SimulateCustomPolicy); the principal, if given, then only supplies context keys.
    #[serde(default)]
    pub policy_documents: Option<Vec<String>>,
    /// With `policy_documents`: a permissions boundary document.
    #[serde(default)]
    pub boundary_document: Option<String>,
    #[serde(default)]
    pub with_explanation: bool,
    /// The session tags of a role session named by `principal_arn` (see
    /// [`AuthzRequest::session_tags`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_tags: Vec<(String, String)>,
}

/// One (action, resource) of a simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulateResult {
    pub action: String,
    pub resource: String,
    pub decision: AuthzDecision,
    pub reason: String,
    pub decided_by: Option<MatchedStatement>,
    pub matched: Vec<MatchedStatement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulateAnswer {
    pub principal: Option<PrincipalInfo>,
    pub results: Vec<SimulateResult>,
}
