//! `authorize`: resolve the principal ARN to its cached policies, build the
//! request context from the principal (AWS's global keys) and the caller's keys, and
//! evaluate with `iam_policy`.

use crate::api::*;
use crate::index::{bump, AuthzIndex};
use crate::principal::{Loader, PolicySource, PrincipalKind, PrincipalPolicies};
use iam_model::{ErrorCode, IamError, IamResult};
use iam_policy::{
    CompiledSet, Context, Decision, Explanation, Layer, Policies, Reason, Request, StatementRef,
    Verdict,
};
use iam_state::{keys, StateRead};
use std::sync::Arc;

pub(crate) fn invalid(msg: String) -> IamError {
    IamError::new(ErrorCode::InvalidInput, msg)
}

/// A parsed principal ARN.
enum Parsed<'a> {
    Root(&'a str),
    User {
        account: &'a str,
        name: &'a str,
    },
    Role {
        account: &'a str,
        name: &'a str,
    },
    Session {
        account: &'a str,
        role: &'a str,
        session: &'a str,
    },
}

fn parse_principal(arn: &str) -> IamResult<Parsed<'_>> {
    let bad = || {
        invalid(format!(
            "Principal {arn} is not a user, role, role session or account root ARN."
        ))
    };
    let mut it = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some(service), Some(""), Some(account), Some(res)) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return Err(bad());
    };
    if iam_model::AccountId::parse(account).is_err() {
        return Err(bad());
    }
    fn last(rest: &str) -> Option<&str> {
        rest.rsplit('/').next().filter(|n| !n.is_empty())
    }
    let parsed = match (service, res.split_once('/')) {
        ("iam", None) if res == "root" => Some(Parsed::Root(account)),
        ("iam", Some(("user", rest))) => last(rest).map(|name| Parsed::User { account, name }),
        ("iam", Some(("role", rest))) => last(rest).map(|name| Parsed::Role { account, name }),
        ("sts", Some(("assumed-role", rest))) => rest
            .split_once('/')
            .filter(|(r, s)| !r.is_empty() && !s.is_empty() && !s.contains('/'))
            .map(|(role, session)| Parsed::Session {
                account,
                role,
                session,
            }),
        _ => None,
    };
    parsed.ok_or_else(bad)
}

/// The resolved caller of one evaluation.
pub(crate) struct Caller {
    /// The ARN evaluated as the principal.
    pub(crate) eval_arn: String,
    pub(crate) account: String,
    pub(crate) policies: Option<Arc<PrincipalPolicies>>,
    pub(crate) session: Option<String>,
}

impl Caller {
    fn principal_type(&self) -> &'static str {
        match self.policies.as_deref().map(|p| p.kind) {
            None => "Account",
            Some(PrincipalKind::User) => "User",
            Some(PrincipalKind::Role) => "AssumedRole",
        }
    }

    pub(crate) fn info(&self) -> PrincipalInfo {
        let p = self.policies.as_deref();
        PrincipalInfo {
            arn: self.eval_arn.clone(),
            principal_type: self.principal_type().to_owned(),
            account: self.account.clone(),
            name: p.map(|p| p.name.clone()),
            id: p.map(|p| p.id.clone()),
            policy_count: p.map_or(0, |p| p.identity.len()),
            has_boundary: p.is_some_and(|p| p.boundary.is_some()),
            unresolved_policies: p.map(|p| p.unresolved.clone()).unwrap_or_default(),
        }
    }

    /// AWS's principal keys (aws-iam-facts §3) plus the caller's other keys; a role
    /// session's tags override the role's (`aws:PrincipalTag/*`).
    pub(crate) fn context(
        &self,
        caller_keys: &[(String, Vec<String>)],
        session_tags: &[(String, String)],
    ) -> Context {
        let mut ctx = Context::with_capacity(caller_keys.len() + 8);
        for (k, vs) in caller_keys {
            let lower = k.to_ascii_lowercase();
            let reserved = matches!(
                lower.as_str(),
                "aws:username"
                    | "aws:userid"
                    | "aws:principalarn"
                    | "aws:principaltype"
                    | "aws:principalaccount"
            ) || lower.starts_with("aws:principaltag/");
            if reserved {
                continue;
            }
            match vs.as_slice() {
                [one] => ctx.insert(k, one.clone()),
                _ => ctx.insert_list(k, vs.iter().cloned()),
            };
        }
        ctx.insert("aws:PrincipalType", self.principal_type());
        ctx.insert("aws:PrincipalAccount", self.account.clone());
        match self.policies.as_deref() {
            None => {
                ctx.insert("aws:userid", self.account.clone());
                ctx.insert("aws:PrincipalArn", self.eval_arn.clone());
            }
            Some(p) => {
                ctx.insert("aws:PrincipalArn", p.arn.clone());
                match (p.kind, &self.session) {
                    (PrincipalKind::User, _) => {
                        ctx.insert("aws:username", p.name.clone());
                        ctx.insert("aws:userid", p.id.clone());
                    }
                    (PrincipalKind::Role, Some(s)) => {
                        ctx.insert("aws:userid", format!("{}:{s}", p.id));
                    }
                    (PrincipalKind::Role, None) => {
                        ctx.insert("aws:userid", p.id.clone());
                    }
                }
                for t in &p.tags {
                    ctx.insert(&format!("aws:PrincipalTag/{}", t.key), t.value.clone());
                }
                if self.session.is_some() {
                    // (Context keys are case-insensitive: a session tag replaces the role's
                    // tag of the same key whatever its spelling.)
                    for (k, v) in session_tags {
                        ctx.insert(&format!("aws:PrincipalTag/{k}"), v.clone());
                    }
                }
            }
        }
        ctx
    }
}

/// The policy sets of one evaluation and where their policies come from.
pub(crate) struct Sets<'a> {
    pub(crate) identity: &'a CompiledSet,
    pub(crate) sources: &'a [PolicySource],
    pub(crate) boundary: Option<&'a CompiledSet>,
    pub(crate) boundary_source: Option<&'a PolicySource>,
    /// Layers the asker holds itself ([`Layers`]).
    pub(crate) extra: Layers<'a>,
}

impl Sets<'_> {
    fn policies(&self, cross_account: bool) -> Policies<'_> {
        let mut p = Policies::new(self.identity);
        p.boundary = self.boundary;
        p.session = self.extra.session;
        p.resource = self.extra.resource;
        p.cross_account = cross_account;
        p
    }

    fn statement(&self, r: StatementRef) -> Option<MatchedStatement> {
        let (set, source) = match r.layer {
            Layer::Identity => (self.identity, self.sources.get(r.at.policy)),
            Layer::Boundary => (self.boundary?, self.boundary_source),
            Layer::Session => (self.extra.session?, None),
            Layer::Resource => (self.extra.resource?, None),
        };
        let stmt = set.statement(r.at)?;
        Some(MatchedStatement {
            layer: r.layer.as_str().to_owned(),
            policy: set.label(r.at.policy)?.to_string(),
            source: source.cloned(),
            statement: r.at.statement,
            sid: stmt.sid().map(str::to_owned),
            effect: stmt.effect().as_str().to_owned(),
        })
    }

    /// Evaluates one (action, resource).
    pub(crate) fn decide(
        &self,
        caller: &Caller,
        ctx: &Context,
        action: &str,
        resource: &str,
        explain: bool,
        identity_only: bool,
    ) -> Outcome {
        let req = Request::new(&caller.eval_arn, action, resource, ctx);
        // With the resource's own policy, a resource of another account is decided by AWS's
        // cross-account rule (both sides allow) instead of being refused below.
        let foreign = !caller.account.is_empty() && other_account(resource, &caller.account);
        let with_resource = self.extra.resource.is_some();
        let policies = self.policies(foreign && with_resource);
        let (verdict, reason, decided_by, matched) = if explain {
            let Explanation {
                verdict,
                reason,
                matched,
            } = iam_policy::explain(&req, &policies);
            let matched = matched
                .iter()
                .filter_map(|m| {
                    self.statement(StatementRef {
                        layer: m.layer,
                        at: iam_policy::StatementIndex {
                            policy: m.policy_index,
                            statement: m.statement,
                        },
                    })
                })
                .collect();
            let d: Decision = iam_policy::evaluate(&req, &policies);
            (verdict, reason, d.decided_by, matched)
        } else {
            let d = iam_policy::evaluate(&req, &policies);
            (d.verdict, d.reason, d.decided_by, Vec::new())
        };
        let mut out = Outcome {
            decision: match verdict {
                Verdict::Allow => AuthzDecision::Allowed,
                Verdict::ExplicitDeny => AuthzDecision::ExplicitDeny,
                Verdict::ImplicitDeny => AuthzDecision::ImplicitDeny,
            },
            reason: reason.describe().to_owned(),
            decided_by: decided_by.and_then(|r| self.statement(r)),
            matched,
        };
        if out.decision == AuthzDecision::Allowed && !identity_only && !with_resource && foreign {
            out.decision = AuthzDecision::ImplicitDeny;
            out.reason = if reason == Reason::AccountRoot {
                "the account root user is allowed only in its own account"
            } else {
                "the resource belongs to another account and resource-based policies are not \
                 evaluated"
            }
            .to_owned();
        }
        out
    }
}

pub(crate) struct Outcome {
    pub(crate) decision: AuthzDecision,
    pub(crate) reason: String,
    pub(crate) decided_by: Option<MatchedStatement>,
    pub(crate) matched: Vec<MatchedStatement>,
}

/// True when `resource` is an ARN naming a (12-digit) account other than `account`.
fn other_account(resource: &str, account: &str) -> bool {
    let mut it = resource.splitn(6, ':');
    match (it.next(), it.nth(3)) {
        (Some("arn"), Some(a)) => {
            a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) && a != account
        }
        _ => false,
    }
}

pub(crate) fn check_action(action: &str) -> IamResult<()> {
    if action.is_empty() || action.chars().any(char::is_control) {
        return Err(invalid(format!("Action '{action}' is not valid.")));
    }
    Ok(())
}

pub(crate) fn check_resource(resource: &str) -> IamResult<()> {
    if resource.is_empty() || resource.chars().any(char::is_control) {
        return Err(invalid(format!("Resource '{resource}' is not valid.")));
    }
    Ok(())
}

impl AuthzIndex {
    /// The cached policies of the user or role stored at `key`, loading them on a miss.
    fn principal(
        &self,
        state: &dyn StateRead,
        kind: PrincipalKind,
        account: &str,
        name: &str,
    ) -> IamResult<Arc<PrincipalPolicies>> {
        let key = match kind {
            PrincipalKind::User => keys::user(account, name),
            PrincipalKind::Role => keys::role(account, name),
        };
        if let Some(p) = self.cached_principal(&key) {
            return Ok(p);
        }
        let since = self.generation();
        bump(&self.counters.principal_loads);
        let loader = Loader {
            index: self,
            state,
            since,
            deps: Vec::new(),
        };
        let p = Arc::new(match kind {
            PrincipalKind::User => loader.user(account, name)?,
            PrincipalKind::Role => loader.role(account, name)?,
        });
        self.insert_principal(key, p.clone(), since);
        Ok(p)
    }

    pub(crate) fn caller(&self, state: &dyn StateRead, arn: &str) -> IamResult<Caller> {
        let (policies, session, account) = match parse_principal(arn)? {
            Parsed::Root(account) => {
                if state.get(&keys::account(account)).is_none() {
                    return Err(IamError::new(
                        ErrorCode::NoSuchEntity,
                        format!("The account {account} cannot be found."),
                    ));
                }
                (None, None, account)
            }
            Parsed::User { account, name } => {
                let p = self.principal(state, PrincipalKind::User, account, name)?;
                if p.arn != arn {
                    return Err(IamError::no_such("user", name));
                }
                (Some(p), None, account)
            }
            Parsed::Role { account, name } => {
                let p = self.principal(state, PrincipalKind::Role, account, name)?;
                if p.arn != arn {
                    return Err(IamError::no_such("role", name));
                }
                (Some(p), None, account)
            }
            Parsed::Session {
                account,
                role,
                session,
            } => {
                let p = self.principal(state, PrincipalKind::Role, account, role)?;
                (Some(p), Some(session.to_owned()), account)
            }
        };
        Ok(Caller {
            eval_arn: arn.to_owned(),
            account: account.to_owned(),
            policies,
            session,
        })
    }

    /// Answers one question from `state` (the node's own copy) and the caches.
    pub fn authorize(&self, state: &dyn StateRead, req: &AuthzRequest) -> IamResult<AuthzAnswer> {
        self.authorize_with(state, req, Layers::default())
    }

    /// [`AuthzIndex::authorize`] with policy layers the asker holds itself: the resource's
    /// own resource-based policy (a role's trust policy) and the caller's session policies.
    /// They are evaluated together with the principal's identity policies and boundary, by
    /// AWS's rules for each principal form a resource policy may name (`iam_policy`'s
    /// `PrincipalMatch`); a resource of another account then needs both the resource policy
    /// and the caller's own side.
    pub fn authorize_with(
        &self,
        state: &dyn StateRead,
        req: &AuthzRequest,
        extra: Layers<'_>,
    ) -> IamResult<AuthzAnswer> {
        check_action(&req.action)?;
        check_resource(&req.resource)?;
        let caller = self.caller(state, &req.principal_arn)?;
        let empty = CompiledSet::empty();
        let mut sets = principal_sets(&caller, &empty);
        sets.extra = extra;
        let ctx = caller.context(&req.context, &req.session_tags);
        let o = sets.decide(
            &caller,
            &ctx,
            &req.action,
            &req.resource,
            req.with_explanation,
            req.identity_only,
        );
        Ok(AuthzAnswer {
            decision: o.decision,
            reason: o.reason,
            decided_by: o.decided_by,
            matched: o.matched,
            principal: caller.info(),
        })
    }
}

pub(crate) fn principal_sets<'a>(caller: &'a Caller, empty: &'a CompiledSet) -> Sets<'a> {
    match caller.policies.as_deref() {
        Some(p) => Sets {
            identity: &p.identity,
            sources: &p.sources,
            boundary: p.boundary.as_ref(),
            boundary_source: p.boundary_source.as_ref(),
            extra: Layers::default(),
        },
        None => Sets {
            identity: empty,
            sources: &[],
            boundary: None,
            boundary_source: None,
            extra: Layers::default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_arns_parse() {
        assert!(matches!(
            parse_principal("arn:aws:iam::123456789012:root"),
            Ok(Parsed::Root("123456789012"))
        ));
        assert!(matches!(
            parse_principal("arn:aws:iam::123456789012:user/a/b/bob"),
            Ok(Parsed::User { name: "bob", .. })
        ));
        assert!(matches!(
            parse_principal("arn:aws:iam::123456789012:role/ops"),
            Ok(Parsed::Role { name: "ops", .. })
        ));
        assert!(matches!(
            parse_principal("arn:aws:sts::123456789012:assumed-role/ops/s1"),
            Ok(Parsed::Session {
                role: "ops",
                session: "s1",
                ..
            })
        ));
        for bad in [
            "arn:aws:iam::12:root",
            "arn:aws:iam::123456789012:user/",
            "arn:aws:iam::123456789012:group/devs",
            "arn:aws:sts::123456789012:assumed-role/ops",
            "bob",
            "",
        ] {
            assert!(parse_principal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resources_of_other_accounts_are_recognized() {
        assert!(other_account(
            "arn:aws:iam::210987654321:user/x",
            "123456789012"
        ));
        assert!(!other_account(
            "arn:aws:iam::123456789012:user/x",
            "123456789012"
        ));
        assert!(!other_account("arn:aws:s3:::bucket/key", "123456789012"));
        assert!(!other_account("*", "123456789012"));
        assert!(!other_account("arn:aws:iam::*:user/x", "123456789012"));
    }
}
