//! AssumeRole's trust decision: the role's trust policy and the caller's identity policies,
//! evaluated together as AWS does (same account: the trust policy naming the caller is
//! enough; across accounts, and for account principals, both sides must allow).

use crate::api::ApiState;
use crate::auth::Caller;
use iam_authz::{AuthzDecision, AuthzRequest};
use iam_policy::{evaluate, parse, CompiledSet, Context, Policies, PolicyKind, Request, Verdict};
use std::sync::Arc;

/// What an AssumeRole request asks, beyond the caller and the role.
#[derive(Clone, Copy)]
pub(crate) struct AssumeAsk<'a> {
    /// `sts:AssumeRole`, or `sts:TagSession` (also required when the request passes tags).
    pub(crate) action: &'a str,
    pub(crate) external_id: Option<&'a str>,
    pub(crate) source_identity: Option<&'a str>,
    pub(crate) session_name: &'a str,
    pub(crate) tags: &'a [(String, String)],
    /// When this request's MFA code was verified.
    pub(crate) mfa_ms: Option<u64>,
    pub(crate) now: u64,
}

/// AWS's rule for AssumeRole in one account: no explicit deny in the caller's identity
/// policies, and the role's trust policy allows the caller — by the caller's own ARN (enough
/// alone), or by the account (then an identity policy must allow `sts:AssumeRole` too).
/// Across accounts (`cross_account`) both sides must allow: the role's trust policy (by the
/// caller's ARN or account) and an identity policy of the caller.
pub(crate) fn trust_allows(
    s: &ApiState,
    caller: &Caller,
    role: &iam_model::Role,
    ask: &AssumeAsk<'_>,
    cross_account: bool,
) -> bool {
    let AssumeAsk {
        action,
        external_id,
        source_identity,
        session_name,
        tags,
        mfa_ms,
        now,
    } = *ask;
    let Ok(trust) = parse(&role.assume_role_policy, PolicyKind::Trust) else {
        return false;
    };
    let trust = CompiledSet::new([("trust", Arc::new(trust))]);
    let target = iam_state::ops::target::Target {
        request_tags: tags.to_vec(),
        // The role's tags: `aws:ResourceTag/*` and `iam:ResourceTag/*`.
        context: iam_state::ops::target::resource_tag_keys(&role.tags, true),
        ..iam_state::ops::target::Target::new(action, role.arn.clone())
    };
    let mut ctx_pairs = crate::auth::authorize::request_context(caller, &target, now);
    if let Some(e) = external_id {
        ctx_pairs.push(("sts:ExternalId".into(), vec![e.to_owned()]));
    }
    if let Some(si) = source_identity {
        ctx_pairs.push(("sts:SourceIdentity".into(), vec![si.to_owned()]));
    }
    ctx_pairs.push(("sts:RoleSessionName".into(), vec![session_name.to_owned()]));
    if let Some(at) = mfa_ms {
        // This very request was authenticated with an MFA code.
        ctx_pairs.retain(|(k, _)| !k.starts_with("aws:MultiFactorAuth"));
        ctx_pairs.push(("aws:MultiFactorAuthPresent".into(), vec!["true".into()]));
        ctx_pairs.push((
            "aws:MultiFactorAuthAge".into(),
            vec![(now.saturating_sub(at) / 1000).to_string()],
        ));
    }
    // The identity layer (explicit denies and allows) from the policy engine.
    let identity = if caller.is_root() {
        AuthzDecision::Allowed
    } else {
        let req = AuthzRequest {
            principal_arn: caller.arn.clone(),
            action: action.into(),
            resource: role.arn.clone(),
            context: ctx_pairs.clone(),
            session_tags: caller.session_tags(),
            with_explanation: false,
            // The role's side is its trust policy, evaluated below.
            identity_only: true,
        };
        let decided = s.view.consistent(|state, _| {
            let a = s.authz.authorize(state, &req)?;
            // A session's own policy narrows what it may assume, too.
            if a.decision == AuthzDecision::Allowed
                && !crate::auth::authorize::session_allows(
                    state,
                    &s.authz,
                    caller,
                    &target,
                    ctx_pairs.clone(),
                )?
            {
                return Ok::<_, iam_model::IamError>(AuthzDecision::ImplicitDeny);
            }
            Ok(a.decision)
        });
        match decided {
            Ok(d) => d,
            Err(_) => return false,
        }
    };
    if identity == AuthzDecision::ExplicitDeny {
        return false;
    }
    // The principal keys the trust policy may test (the engine adds none here).
    ctx_pairs.push((
        "aws:PrincipalArn".into(),
        vec![principal_arn_for_trust(caller)],
    ));
    ctx_pairs.push(("aws:PrincipalAccount".into(), vec![caller.account.clone()]));
    ctx_pairs.push((
        "aws:PrincipalType".into(),
        vec![caller.principal_kind().into()],
    ));
    if let Some(u) = caller.user_name() {
        ctx_pairs.push(("aws:username".into(), vec![u.to_owned()]));
    }
    let mut ctx = Context::new();
    for (k, v) in &ctx_pairs {
        ctx = match v.as_slice() {
            [one] => ctx.with(k, one.clone()),
            many => ctx.with_list(k, many.iter().cloned()),
        };
    }
    let empty = CompiledSet::empty();
    let req = Request::new(&caller.arn, action, &role.arn, &ctx);
    let by_trust_alone = evaluate(&req, &Policies::new(&empty).resource(&trust)).verdict;
    if by_trust_alone == Verdict::Allow && !cross_account {
        return true;
    }
    identity == AuthzDecision::Allowed
        && {
            let allow_all = match parse(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                PolicyKind::Managed,
            ) {
                Ok(p) => CompiledSet::new([("identity", Arc::new(p))]),
                Err(_) => return false,
            };
            evaluate(&req, &Policies::new(&allow_all).resource(&trust)).verdict == Verdict::Allow
        }
}

/// `aws:PrincipalArn`: the user, root, or (for a role session) the role's ARN.
fn principal_arn_for_trust(caller: &Caller) -> String {
    caller
        .session
        .as_ref()
        .map_or_else(|| caller.arn.clone(), |s| s.principal_arn.clone())
}
