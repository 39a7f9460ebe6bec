//! What a decision says: the verdict, the rule of AWS's evaluation logic that produced it,
//! and the statements behind it — cheap references for the per-request path, labelled
//! statements for admins who ask why.

use std::sync::Arc;

use crate::compile::StatementIndex;
use crate::policy::Effect;

/// The three outcomes of AWS policy evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Allow,
    /// A matching Deny statement somewhere.
    ExplicitDeny,
    /// No Deny, but no sufficient Allow either.
    ImplicitDeny,
}

impl Verdict {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "Allow",
            Verdict::ExplicitDeny => "ExplicitDeny",
            Verdict::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The account root user is allowed everything.
    AccountRoot,
    /// An identity policy allowed it (and the boundary and session policy, if any, too).
    IdentityAllow,
    /// A resource-based policy allowed it. `direct` when it named the caller's own ARN (or
    /// everyone), a grant that boundary and session policies cannot cut; otherwise it named
    /// the caller's role and the boundary and session policy allowed it too.
    ResourceAllow { direct: bool },
    /// Across accounts: the resource-based policy and the caller's own policies (identity,
    /// boundary, session) both allowed it.
    CrossAccountAllow,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Neither an identity policy nor a resource-based policy allowed it.
    NoAllow,
    /// A role trust policy is present and does not allow the caller.
    TrustPolicyNoAllow,
    /// The permissions boundary has no matching Allow.
    BoundaryNoAllow,
    /// The session policy has no matching Allow.
    SessionNoAllow,
}

impl Reason {
    /// A short lowercase explanation for people.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::AccountRoot => "the account root user is always allowed",
            Reason::IdentityAllow => "allowed by an identity-based policy",
            Reason::ResourceAllow { direct: true } => {
                "allowed by a resource-based policy naming the caller directly"
            }
            Reason::ResourceAllow { direct: false } => "allowed by a resource-based policy",
            Reason::CrossAccountAllow => {
                "allowed by the resource-based policy and the caller's own policies"
            }
            Reason::ExplicitDeny => "denied by a Deny statement",
            Reason::NoAllow => "no identity-based or resource-based policy allows it",
            Reason::TrustPolicyNoAllow => "the role trust policy does not allow the caller",
            Reason::BoundaryNoAllow => "the permissions boundary does not allow it",
            Reason::SessionNoAllow => "the session policy does not allow it",
        }
    }
}

/// The policy layers of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Identity,
    Boundary,
    Session,
    Resource,
}

impl Layer {
    /// A lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Identity => "identity",
            Layer::Boundary => "boundary",
            Layer::Session => "session",
            Layer::Resource => "resource",
        }
    }
}

/// A statement of one layer's [`crate::CompiledSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatementRef {
    pub layer: Layer,
    pub at: StatementIndex,
}

/// The result of [`crate::evaluate`]: no heap allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: Reason,
    /// One statement that decided: the first Deny found, or an Allow that granted. `None`
    /// for the account root and for implicit denies.
    pub decided_by: Option<StatementRef>,
}

impl Decision {
    /// True for [`Verdict::Allow`].
    pub fn is_allowed(&self) -> bool {
        self.verdict == Verdict::Allow
    }
}

/// One statement in an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub layer: Layer,
    /// The label the policy was compiled with.
    pub policy: Arc<str>,
    /// The policy's position in its set.
    pub policy_index: usize,
    /// Zero-based statement index in the document.
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: Effect,
}

/// The result of [`crate::explain`]: the decision and every statement behind it, in layer
/// order (identity, boundary, session, resource), then policy and statement order.
///
/// `matched` holds, for an allow, the Allow statements that matched in every layer; for an
/// explicit deny, the Deny statements that matched; for an implicit deny, the Allow
/// statements that matched somewhere (showing what the cut-off layer did not allow); for the
/// account root, every matching statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub verdict: Verdict,
    pub reason: Reason,
    pub matched: Vec<MatchedStatement>,
}
