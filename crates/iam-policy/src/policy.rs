//! The parsed, validated policy: its kind, version and statements, each already compiled to
//! matchers so that evaluation never re-reads text. Also the per-statement match test.

use crate::arn::ArnPattern;
use crate::condition::Condition;
use crate::context::Context;
use crate::glob::{Case, Matcher};
use crate::principal::{PrincipalMatch, PrincipalSpec};

/// Most characters (whitespace not counted) of a customer managed policy.
pub const MANAGED_POLICY_SIZE_MAX: usize = 6144;
/// Most characters of all inline policies of one user together.
pub const USER_INLINE_SIZE_MAX: usize = 2048;
/// Most characters of all inline policies of one group together.
pub const GROUP_INLINE_SIZE_MAX: usize = 5120;
/// Most characters of all inline policies of one role together.
pub const ROLE_INLINE_SIZE_MAX: usize = 10240;
/// Most characters of a role trust policy (`AssumeRolePolicySizeQuota`).
pub const TRUST_POLICY_SIZE_MAX: usize = 2048;
/// Most characters of a session policy passed to AssumeRole / GetFederationToken.
pub const SESSION_POLICY_SIZE_MAX: usize = 2048;
/// Most characters of any policy string on the wire (the API's transport limit).
pub const POLICY_DOCUMENT_LENGTH_MAX: usize = 131_072;

const _: () = assert!(USER_INLINE_SIZE_MAX <= GROUP_INLINE_SIZE_MAX);
const _: () = assert!(GROUP_INLINE_SIZE_MAX <= ROLE_INLINE_SIZE_MAX);
const _: () = assert!(ROLE_INLINE_SIZE_MAX < POLICY_DOCUMENT_LENGTH_MAX);

/// What a document is for; decides the Principal/Resource rules and the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer managed policy (identity-based), 6144 characters.
    Managed,
    /// A user's inline policy, 2048 characters.
    UserInline,
    /// A group's inline policy, 5120 characters.
    GroupInline,
    /// A role's inline policy, 10240 characters.
    RoleInline,
    /// A role trust policy: Principal required, no Resource, only sts actions; 2048 characters.
    Trust,
    /// Another resource-based policy: Principal and Resource required; only the transport limit.
    Resource,
    /// A permissions boundary (a managed policy used as a boundary), 6144 characters.
    Boundary,
    /// A session policy, 2048 characters.
    Session,
}

impl PolicyKind {
    /// The size limit (characters, whitespace not counted).
    pub fn size_max(self) -> usize {
        match self {
            PolicyKind::Managed | PolicyKind::Boundary => MANAGED_POLICY_SIZE_MAX,
            PolicyKind::UserInline => USER_INLINE_SIZE_MAX,
            PolicyKind::GroupInline => GROUP_INLINE_SIZE_MAX,
            PolicyKind::RoleInline => ROLE_INLINE_SIZE_MAX,
            PolicyKind::Trust => TRUST_POLICY_SIZE_MAX,
            PolicyKind::Session => SESSION_POLICY_SIZE_MAX,
            PolicyKind::Resource => POLICY_DOCUMENT_LENGTH_MAX,
        }
    }

    /// True for identity-based kinds (no Principal allowed).
    pub fn is_identity(self) -> bool {
        !matches!(self, PolicyKind::Trust | PolicyKind::Resource)
    }

    /// True for the kinds AWS creates with CreatePolicy / CreatePolicyVersion, which require
    /// `"Version": "2012-10-17"` ("Policy document must be version 2012-10-17 or greater.").
    /// Inline, trust and session policies may omit it or use `2008-10-17`.
    pub fn requires_version(self) -> bool {
        matches!(self, PolicyKind::Managed | PolicyKind::Boundary)
    }

    /// True for the kinds IAM stores itself, whose Sids must be alphanumeric.
    pub(crate) fn iam_sids(self) -> bool {
        self != PolicyKind::Resource
    }

    /// A lowercase name for messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Managed => "managed",
            PolicyKind::UserInline => "user-inline",
            PolicyKind::GroupInline => "group-inline",
            PolicyKind::RoleInline => "role-inline",
            PolicyKind::Trust => "trust",
            PolicyKind::Resource => "resource",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Session => "session",
        }
    }
}

/// The `Version` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17`: `${...}` is literal text.
    V2008_10_17,
    /// No `Version`: treated like `2008-10-17`.
    Absent,
}

impl Version {
    /// True when `${...}` is a policy variable.
    pub fn has_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// A statement's `Effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    /// `Allow` or `Deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// A Principal or NotPrincipal element.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalClause {
    pub(crate) negated: bool,
    pub(crate) spec: PrincipalSpec,
}

/// An Action or NotAction element.
#[derive(Debug, Clone)]
pub(crate) struct ActionClause {
    pub(crate) negated: bool,
    /// Patterns with literals lowercased; matched ignoring ASCII case.
    pub(crate) patterns: Vec<Matcher>,
    /// Lowercased service prefixes this clause can match, or `None` when it can match any
    /// service (NotAction, `*`, a wildcard in the prefix). Drives the compiled index.
    pub(crate) services: Option<Vec<Box<str>>>,
}

/// A Resource or NotResource element.
#[derive(Debug, Clone)]
pub(crate) struct ResourceClause {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<ArnPattern>,
}

/// One statement, compiled.
#[derive(Debug, Clone)]
pub struct Statement {
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalClause>,
    pub(crate) action: ActionClause,
    pub(crate) resource: Option<ResourceClause>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// The `Sid`, if any.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The `Effect`.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// True when the statement has a Condition element.
    pub fn has_conditions(&self) -> bool {
        !self.conditions.is_empty()
    }

    pub(crate) fn action_matches(&self, action: &str) -> bool {
        let hit = self
            .action
            .patterns
            .iter()
            .any(|m| m.is_match(action, Case::AsciiInsensitive, &EMPTY));
        hit != self.action.negated
    }

    pub(crate) fn resource_matches(&self, resource: &str, ctx: &Context) -> bool {
        match &self.resource {
            None => true,
            Some(r) => r.patterns.iter().any(|p| p.is_match(resource, ctx)) != r.negated,
        }
    }

    /// `None` when the statement does not apply to the caller; identity statements (no
    /// Principal element) apply to whoever holds them and report `Direct`.
    pub(crate) fn principal_matches(&self, caller: &str) -> Option<PrincipalMatch> {
        match &self.principal {
            None => Some(PrincipalMatch::Direct),
            Some(p) if p.negated => match p.spec.matches(caller) {
                Some(_) => None,
                None => Some(PrincipalMatch::Everyone),
            },
            Some(p) => p.spec.matches(caller),
        }
    }

    pub(crate) fn conditions_hold(&self, ctx: &Context) -> bool {
        self.conditions.iter().all(|c| c.holds(ctx))
    }

    /// The full test: how the statement applies to the request, or `None`.
    pub(crate) fn applies(
        &self,
        caller: &str,
        action: &str,
        resource: &str,
        ctx: &Context,
    ) -> Option<PrincipalMatch> {
        if !self.action_matches(action) || !self.resource_matches(resource, ctx) {
            return None;
        }
        let how = self.principal_matches(caller)?;
        self.conditions_hold(ctx).then_some(how)
    }
}

/// Actions never contain variables, so their matchers never read the context.
static EMPTY: Context = Context::empty_static();

/// A parsed and validated policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) kind: PolicyKind,
    pub(crate) version: Version,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
    pub(crate) size: usize,
}

impl Policy {
    /// The kind it was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The `Version` element.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The `Id` element.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The IAM user and role ARNs named under `"AWS"` in any Principal or NotPrincipal
    /// element, each once, in document order. IAM binds these to the principals' unique ids
    /// when a role trust policy is saved (see [`crate::replace_aws_principals`]).
    pub fn named_principals(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for stmt in &self.statements {
            let Some(clause) = &stmt.principal else {
                continue;
            };
            for arn in clause.spec.named_entities() {
                if !out.contains(&arn) {
                    out.push(arn);
                }
            }
        }
        out
    }

    /// Characters in the document, whitespace not counted.
    pub fn size(&self) -> usize {
        self.size
    }
}
