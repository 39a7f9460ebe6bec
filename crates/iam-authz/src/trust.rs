//! AssumeRole's trust decision: the role's trust policy (as in force: its named users and
//! roles bound to their unique ids) evaluated *together with* the caller's identity
//! policies, permissions boundary and session policies, in one policy-engine evaluation, as
//! AWS does (IAM User Guide, "Policy evaluation logic"):
//!
//! - same account: the trust policy must allow the caller. Naming the caller's own user or
//!   session ARN (or `"*"`) is enough alone; naming its role's ARN needs no identity allow
//!   but is cut by the caller's boundary and session policy; naming its account delegates:
//!   the identity policies must allow `sts:AssumeRole` too (then cut by boundary and session
//!   policy). So a session restricted by its session policy cannot shed the restriction by
//!   assuming a role again.
//! - across accounts: the trust policy (any form naming the caller) and the caller's own
//!   side (identity ∩ boundary ∩ session) must both allow.

use crate::call::{request_context, CallerView, Denial};
use crate::{AuthzDecision, AuthzIndex, AuthzRequest, Layers};
use iam_model::{ErrorCode, IamError, IamResult};
use iam_policy::{CompiledSet, PolicyKind};
use iam_state::ops::target::{resource_tag_keys, Target};
use iam_state::StateRead;
use std::sync::Arc;

/// What an AssumeRole request asks, beyond the caller and the role.
#[derive(Debug, Clone, Copy)]
pub struct AssumeAsk<'a> {
    /// `sts:AssumeRole`, or `sts:TagSession` (also required when the request passes tags).
    pub action: &'a str,
    pub external_id: Option<&'a str>,
    pub source_identity: Option<&'a str>,
    pub session_name: &'a str,
    pub tags: &'a [(String, String)],
    /// When this request's MFA code was verified.
    pub mfa_ms: Option<u64>,
    pub now: u64,
}

impl AuthzIndex {
    /// Whether `caller` may perform `ask.action` on `role` (see the module docs). Any error
    /// (a stored policy that does not parse, a caller that cannot be resolved) is a
    /// refusal; the denial's message is the engine's reason.
    pub fn decide_assume_role(
        &self,
        state: &dyn StateRead,
        caller: &CallerView<'_>,
        role: &iam_model::Role,
        ask: &AssumeAsk<'_>,
    ) -> Result<(), Denial> {
        let refused = |reason: &str| IamError::new(ErrorCode::AccessDenied, reason);
        if caller.root {
            // Roles may not be assumed by root users (refused before this is asked).
            return Err(refused("the account root may not assume a role").into());
        }
        let target = Target {
            request_tags: ask.tags.to_vec(),
            // The role's tags: `aws:ResourceTag/*` and `iam:ResourceTag/*`.
            context: resource_tag_keys(&role.tags, true),
            ..Target::new(ask.action, role.arn.clone())
        };
        // The request's keys; the principal's own keys (aws:PrincipalArn — the role's ARN
        // for a session —, aws:userid, aws:PrincipalTag/*, ...) are added by the engine
        // from the state.
        let mut context = request_context(caller, &target, ask.now);
        if let Some(e) = ask.external_id {
            context.push(("sts:ExternalId".into(), vec![e.to_owned()]));
        }
        if let Some(si) = ask.source_identity {
            context.push(("sts:SourceIdentity".into(), vec![si.to_owned()]));
        }
        context.push((
            "sts:RoleSessionName".into(),
            vec![ask.session_name.to_owned()],
        ));
        if let Some(at) = ask.mfa_ms {
            // This very request was authenticated with an MFA code.
            context.retain(|(k, _)| !k.starts_with("aws:MultiFactorAuth"));
            context.push(("aws:MultiFactorAuthPresent".into(), vec!["true".into()]));
            context.push((
                "aws:MultiFactorAuthAge".into(),
                vec![(ask.now.saturating_sub(at) / 1000).to_string()],
            ));
        }
        let req = AuthzRequest {
            principal_arn: caller.arn.to_owned(),
            action: ask.action.into(),
            resource: role.arn.clone(),
            context,
            session_tags: caller.session_tags.to_vec(),
            with_explanation: false,
            identity_only: false,
        };
        let trust = trust_set(state, role)?;
        let session = session_set(state, caller)?;
        let layers = Layers {
            resource: Some(&trust),
            session: session.as_ref(),
        };
        let answer = self.authorize_with(state, &req, layers)?;
        match answer.decision {
            AuthzDecision::Allowed => Ok(()),
            AuthzDecision::ExplicitDeny => Err(Denial {
                error: refused(&answer.reason),
                deciding_statement: answer.decided_by.map(Box::new),
            }),
            AuthzDecision::ImplicitDeny => Err(refused(&answer.reason).into()),
        }
    }
}

/// The role's trust policy as in force (named principals deleted or recreated since it was
/// saved replaced by the unique id they were bound to), compiled.
pub(crate) fn trust_set(state: &dyn StateRead, role: &iam_model::Role) -> IamResult<CompiledSet> {
    let text = iam_state::ops::roles::trust_binding::in_force(state, role);
    let policy = iam_state::ops::parse_stored_policy(&text, PolicyKind::Trust)
        .map_err(|e| stored(&format!("trust policy of role {}", role.name), &e))?;
    Ok(CompiledSet::new([("trust", Arc::new(policy))]))
}

/// The caller's session policies (the inline `Policy` and the managed `PolicyArns` its
/// session was created with), compiled; `None` when the session has none. Policy ARNs that
/// no longer resolve allow nothing.
fn session_set(state: &dyn StateRead, caller: &CallerView<'_>) -> IamResult<Option<CompiledSet>> {
    let Some(session) = caller.session.filter(|s| s.has_policies()) else {
        return Ok(None);
    };
    let mut policies = Vec::new();
    if let Some(text) = session.policy {
        let p = iam_state::ops::parse_stored_policy(text, PolicyKind::Session)
            .map_err(|e| stored("session policy", &e))?;
        policies.push(("session".to_owned(), Arc::new(p)));
    }
    for arn in session.policy_arns {
        if let Some(text) = iam_state::ops::policies::default_document(state, caller.account, arn) {
            let p = iam_state::ops::parse_stored_policy(&text, PolicyKind::Session)
                .map_err(|e| stored(arn, &e))?;
            policies.push((arn.clone(), Arc::new(p)));
        }
    }
    Ok(Some(CompiledSet::new(policies)))
}

fn stored(what: &str, e: &IamError) -> IamError {
    IamError::new(
        ErrorCode::PolicyEvaluation,
        format!("The {what} could not be parsed: {}", e.message),
    )
}
