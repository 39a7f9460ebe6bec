//! AWS's evaluation logic over compiled sets: explicit deny anywhere wins; then a grant from
//! the identity policies or a resource-based policy (union), cut by the permissions boundary
//! and the session policy (intersection) unless a resource policy named the caller directly
//! (or everyone); a resource policy naming the caller's account only delegates to its
//! identity policies. Across accounts both sides must allow. The rules follow the IAM User
//! Guide's "Policy evaluation logic" (the table of resource-based grants by principal type)
//! and "AWS JSON policy elements: Principal".

use crate::compile::{CompiledSet, StatementIndex};
use crate::context::Context;
use crate::explain::{
    Decision, Explanation, Layer, MatchedStatement, Reason, StatementRef, Verdict,
};
use crate::policy::Effect;
use crate::principal::PrincipalMatch;

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller's ARN: `arn:aws:iam::A:user/...`, `arn:aws:sts::A:assumed-role/R/S`,
    /// `arn:aws:sts::A:federated-user/N`, `arn:aws:iam::A:root`, or a service principal.
    pub principal: &'a str,
    /// The caller is the account root user (allowed everything).
    pub is_account_root: bool,
    /// `service:Action`, any case.
    pub action: &'a str,
    /// The resource ARN (case-sensitive), or `*`.
    pub resource: &'a str,
    /// Condition keys and values; also the source of policy variables.
    pub context: &'a Context,
}

impl<'a> Request<'a> {
    /// A request; `is_account_root` is set when `principal` is `arn:<partition>:iam::<acct>:root`.
    pub fn new(
        principal: &'a str,
        action: &'a str,
        resource: &'a str,
        context: &'a Context,
    ) -> Self {
        Request {
            principal,
            is_account_root: is_root_arn(principal),
            action,
            resource,
            context,
        }
    }
}

/// True for `arn:<partition>:iam::<account>:root`.
pub fn is_root_arn(arn: &str) -> bool {
    let mut it = arn.splitn(6, ':');
    matches!(
        (it.next(), it.next(), it.next(), it.next(), it.next(), it.next()),
        (Some("arn"), Some(_), Some("iam"), Some(""), Some(acct), Some("root")) if !acct.is_empty()
    )
}

/// The policy sets that apply to a request.
///
/// - `identity`: the caller's identity policies (for a user: its own inline and managed
///   policies and those of all its groups; for a role session: the role's).
/// - `boundary`: the permissions boundary, if one is set.
/// - `session`: the session policies, if the session was created with any. A federated-user
///   session created without one has no permissions: pass an empty set.
/// - `resource`: the resource-based policy. In the caller's own account a grant in it
///   depends on how it names the caller ([`PrincipalMatch`]): its own ARN or `"*"` stands
///   alone; its role's ARN needs no identity allow but is cut by the boundary and session
///   policy; its account only delegates (the identity policies must allow). A set made only
///   of [`crate::PolicyKind::Trust`] policies follows trust-policy rules: the trust policy
///   itself must allow the caller.
/// - `cross_account`: the resource belongs to another account than the caller. Then the
///   resource-based policy must allow (any way it names the caller) *and* the caller's own
///   side (identity ∩ boundary ∩ session) must allow.
#[derive(Debug, Clone, Copy)]
pub struct Policies<'a> {
    pub identity: &'a CompiledSet,
    pub boundary: Option<&'a CompiledSet>,
    pub session: Option<&'a CompiledSet>,
    pub resource: Option<&'a CompiledSet>,
    pub cross_account: bool,
}

impl<'a> Policies<'a> {
    /// Identity policies only.
    pub fn new(identity: &'a CompiledSet) -> Self {
        Policies {
            identity,
            boundary: None,
            session: None,
            resource: None,
            cross_account: false,
        }
    }

    /// With a permissions boundary.
    pub fn boundary(mut self, set: &'a CompiledSet) -> Self {
        self.boundary = Some(set);
        self
    }

    /// With session policies.
    pub fn session(mut self, set: &'a CompiledSet) -> Self {
        self.session = Some(set);
        self
    }

    /// With a resource-based (or trust) policy.
    pub fn resource(mut self, set: &'a CompiledSet) -> Self {
        self.resource = Some(set);
        self
    }

    /// The resource belongs to another account than the caller (see [`Policies`]).
    pub fn cross_account(mut self) -> Self {
        self.cross_account = true;
        self
    }

    fn layers(&self) -> [(Layer, Option<&'a CompiledSet>); 4] {
        [
            (Layer::Identity, Some(self.identity)),
            (Layer::Boundary, self.boundary),
            (Layer::Session, self.session),
            (Layer::Resource, self.resource),
        ]
    }
}

/// Decides a request. Never fails and never allocates.
pub fn evaluate(req: &Request<'_>, policies: &Policies<'_>) -> Decision {
    run(req, policies, None)
}

/// Decides a request and lists the statements behind the decision (see [`Explanation`]).
pub fn explain(req: &Request<'_>, policies: &Policies<'_>) -> Explanation {
    let mut all = Vec::new();
    let decision = run(req, policies, Some(&mut all));
    let keep = |effect: Effect| match decision.verdict {
        _ if decision.reason == Reason::AccountRoot => true,
        Verdict::ExplicitDeny => effect == Effect::Deny,
        Verdict::Allow | Verdict::ImplicitDeny => effect == Effect::Allow,
    };
    let mut matched: Vec<MatchedStatement> = all
        .into_iter()
        .filter_map(|(r, effect)| {
            if !keep(effect) {
                return None;
            }
            let set = policies.layers()[layer_slot(r.layer)].1?;
            let stmt = set.statement(r.at)?;
            Some(MatchedStatement {
                layer: r.layer,
                policy: set.label(r.at.policy)?.clone(),
                policy_index: r.at.policy,
                statement: r.at.statement,
                sid: stmt.sid().map(str::to_owned),
                effect,
            })
        })
        .collect();
    matched.sort_by_key(|m| (m.layer, m.policy_index, m.statement));
    matched.dedup_by_key(|m| (m.layer, m.policy_index, m.statement));
    Explanation {
        verdict: decision.verdict,
        reason: decision.reason,
        matched,
    }
}

fn layer_slot(layer: Layer) -> usize {
    match layer {
        Layer::Identity => 0,
        Layer::Boundary => 1,
        Layer::Session => 2,
        Layer::Resource => 3,
    }
}

type Sink<'s> = Option<&'s mut Vec<(StatementRef, Effect)>>;

/// Finds matching statements of one effect in one set. Without a sink, stops at the first
/// (or, for resource allows, at the first grant that stands alone).
fn scan(
    req: &Request<'_>,
    layer: Layer,
    set: &CompiledSet,
    effect: Effect,
    sink: &mut Sink<'_>,
) -> Option<(StatementIndex, PrincipalMatch)> {
    let mut best: Option<(StatementIndex, PrincipalMatch)> = None;
    for at in set.candidates(req.action, effect) {
        let Some(stmt) = set.statement(at) else {
            continue;
        };
        let Some(how) = stmt.applies(req.principal, req.action, req.resource, req.context) else {
            continue;
        };
        if best.is_none_or(|(_, b)| how > b) {
            best = Some((at, how));
        }
        match sink {
            Some(out) => out.push((StatementRef { layer, at }, effect)),
            None if layer != Layer::Resource || how.stands_alone() => return best,
            None => {}
        }
    }
    best
}

fn run(req: &Request<'_>, policies: &Policies<'_>, mut sink: Sink<'_>) -> Decision {
    let collecting = sink.is_some();
    // The root is allowed everything in its own account; across accounts it is the caller's
    // side only, and the resource-based policy must still grant.
    let root_here = req.is_account_root && !policies.cross_account;
    if root_here && !collecting {
        return decision(Verdict::Allow, Reason::AccountRoot, None);
    }
    let mut first_deny = None;
    for (layer, set) in policies.layers() {
        let Some(set) = set else { continue };
        if let Some((at, _)) = scan(req, layer, set, Effect::Deny, &mut sink) {
            first_deny = first_deny.or(Some(StatementRef { layer, at }));
            if !collecting {
                break;
            }
        }
    }
    let allow = |layer: Layer, set: Option<&CompiledSet>, sink: &mut Sink<'_>| {
        set.and_then(|s| scan(req, layer, s, Effect::Allow, sink))
            .map(|(at, how)| (StatementRef { layer, at }, how))
    };
    // Without a sink, the allows are only looked for when no deny was found.
    if first_deny.is_some() && !collecting {
        return decision(Verdict::ExplicitDeny, Reason::ExplicitDeny, first_deny);
    }
    let resource = allow(Layer::Resource, policies.resource, &mut sink);
    let identity = allow(Layer::Identity, Some(policies.identity), &mut sink);
    let boundary = allow(Layer::Boundary, policies.boundary, &mut sink);
    let session = allow(Layer::Session, policies.session, &mut sink);
    if root_here {
        return decision(Verdict::Allow, Reason::AccountRoot, None);
    }
    if first_deny.is_some() {
        return decision(Verdict::ExplicitDeny, Reason::ExplicitDeny, first_deny);
    }
    let trust = policies.resource.is_some_and(CompiledSet::is_trust);
    // The caller's own side: identity ∩ boundary ∩ session (the root: everything).
    let own_side = || -> Result<Option<StatementRef>, Reason> {
        if req.is_account_root {
            return Ok(None);
        }
        let Some((r, _)) = identity else {
            return Err(Reason::NoAllow);
        };
        cut(policies, boundary, session)?;
        Ok(Some(r))
    };
    if policies.cross_account {
        // Across accounts the resource-based policy must grant (however it names the
        // caller: its ARN, its role, its account or everyone) *and* the caller's own
        // account must allow (IAM User Guide, "Cross-account policy evaluation logic").
        let Some((r, _)) = resource else {
            return implicit(if trust {
                Reason::TrustPolicyNoAllow
            } else {
                Reason::NoAllow
            });
        };
        return match own_side() {
            Ok(_) => decision(Verdict::Allow, Reason::CrossAccountAllow, Some(r)),
            Err(reason) => implicit(reason),
        };
    }
    match resource {
        // Named directly (or everyone): the grant stands on its own.
        Some((r, how)) if how.stands_alone() => decision(
            Verdict::Allow,
            Reason::ResourceAllow { direct: true },
            Some(r),
        ),
        // Through the role ARN: no identity allow needed, but the boundary and the session
        // policy cut it.
        Some((r, PrincipalMatch::Role)) => match cut(policies, boundary, session) {
            Ok(()) => decision(
                Verdict::Allow,
                Reason::ResourceAllow { direct: false },
                Some(r),
            ),
            Err(reason) => implicit(reason),
        },
        // A role trust policy must allow the caller itself.
        None if trust => implicit(Reason::TrustPolicyNoAllow),
        // Through the account (a delegation) or not at all: the identity policies decide.
        _ => match own_side() {
            Ok(r) => decision(Verdict::Allow, Reason::IdentityAllow, r),
            Err(reason) => implicit(reason),
        },
    }
}

type Found = Option<(StatementRef, PrincipalMatch)>;

/// The permissions boundary and the session policy, when present, must allow too.
fn cut(policies: &Policies<'_>, boundary: Found, session: Found) -> Result<(), Reason> {
    if policies.boundary.is_some() && boundary.is_none() {
        return Err(Reason::BoundaryNoAllow);
    }
    if policies.session.is_some() && session.is_none() {
        return Err(Reason::SessionNoAllow);
    }
    Ok(())
}

fn decision(verdict: Verdict, reason: Reason, decided_by: Option<StatementRef>) -> Decision {
    Decision {
        verdict,
        reason,
        decided_by,
    }
}

fn implicit(reason: Reason) -> Decision {
    decision(Verdict::ImplicitDeny, reason, None)
}
