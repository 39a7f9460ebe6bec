//! May this caller make this call? The answer for every API call, from this node's state.

use super::{Caller, CallerKind};
use iam_authz::{AuthzDecision, AuthzIndex, AuthzRequest, SimulateRequest};
use iam_model::{ErrorCode, IamError};
use iam_state::ops::target::Target;
use iam_state::StateRead;
use iam_storage::StateView;

/// Where a call acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Inside one account: only that account's principals.
    Account(&'a str),
    /// The cluster and its accounts (membership, snapshots, accounts, the token key ring):
    /// only principals of the operator account (the first account created).
    Cluster,
}

/// The resource of cluster administration calls.
pub const CLUSTER_RESOURCE: &str = "arn:aws:iamd:::cluster";

fn denied(caller: &Caller, target: &Target, why: &str) -> IamError {
    denied_on(caller, target, &target.resource, why)
}

/// AWS's `AccessDenied` wording for `resource`, one of the target's resources.
fn denied_on(caller: &Caller, target: &Target, resource: &str, why: &str) -> IamError {
    IamError::new(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {} on resource: {resource} {why}",
            caller.arn, target.action
        ),
    )
}

/// The request context AWS derives from the caller and the request (aws-iam-facts §3), with
/// the keys the target's resource and op supply (`Target::context`: `aws:ResourceTag/*`,
/// `iam:PermissionsBoundary`, `iam:PolicyARN`, `aws:TagKeys` of `Untag*`...). The
/// principal's own keys (`aws:username`, `aws:PrincipalArn`, tags...) are added by the
/// policy engine from the state.
pub fn request_context(
    caller: &Caller,
    target: &Target,
    now_ms: u64,
) -> Vec<(String, Vec<String>)> {
    let one = |k: &str, v: String| (k.to_owned(), vec![v]);
    let mut ctx = vec![
        one("aws:CurrentTime", iso8601(now_ms)),
        one("aws:EpochTime", (now_ms / 1000).to_string()),
        one("aws:SecureTransport", caller.secure_transport.to_string()),
        one("aws:PrincipalIsAWSService", "false".into()),
    ];
    if !caller.region.is_empty() {
        ctx.push(one("aws:RequestedRegion", caller.region.clone()));
    }
    if let Some(ip) = &caller.source_ip {
        ctx.push(one("aws:SourceIp", ip.clone()));
    }
    if let Some(s) = &caller.session {
        ctx.push(one("aws:TokenIssueTime", iso8601(s.issued_ms)));
        match s.mfa_authenticated_ms {
            Some(at) => {
                ctx.push(one("aws:MultiFactorAuthPresent", "true".into()));
                ctx.push(one(
                    "aws:MultiFactorAuthAge",
                    (now_ms.saturating_sub(at) / 1000).to_string(),
                ));
            }
            None => ctx.push(one("aws:MultiFactorAuthPresent", "false".into())),
        }
        if let Some(si) = &s.source_identity {
            ctx.push(one("aws:SourceIdentity", si.clone()));
        }
        if !s.session_name.is_empty() {
            ctx.push(one("aws:RoleSessionName", s.session_name.clone()));
        }
    }
    if !target.request_tags.is_empty() {
        for (k, v) in &target.request_tags {
            ctx.push(one(&format!("aws:RequestTag/{k}"), v.clone()));
        }
        ctx.push((
            "aws:TagKeys".to_owned(),
            target.request_tags.iter().map(|(k, _)| k.clone()).collect(),
        ));
    }
    ctx.extend(target.context.iter().cloned());
    ctx
}

/// `2024-01-02T03:04:05Z` (AWS's timestamps and date condition values).
pub fn iso8601(ms: u64) -> String {
    iam_aws::timestamp(ms)
}

/// Whether `caller` may make the call `target` in `scope`; `AccessDenied` with AWS's wording
/// otherwise. `root_credentials`: the call changes the account root's own access keys.
pub fn check(
    view: &StateView,
    authz: &AuthzIndex,
    caller: &Caller,
    scope: Scope<'_>,
    target: &Target,
    root_credentials: bool,
    now_ms: u64,
) -> Result<(), IamError> {
    let operator = || iam_state::system::operator_account(view);
    match scope {
        Scope::Account(a) if a != caller.account => {
            // The operator account's root is the cluster's superuser: it administers every
            // account (creates them, then their users and keys). Nobody else crosses accounts.
            let superuser = caller.kind == CallerKind::Root
                && caller.session.is_none()
                && operator().as_deref() == Some(caller.account.as_str());
            if !superuser {
                return Err(denied(
                    caller,
                    target,
                    "because the resource belongs to another account",
                ));
            }
            return Ok(());
        }
        Scope::Cluster => {
            if operator().as_deref() != Some(caller.account.as_str()) {
                return Err(denied(
                    caller,
                    target,
                    "because only principals of the operator account administer the cluster",
                ));
            }
        }
        Scope::Account(_) => {}
    }
    if caller.kind == CallerKind::Root
        && caller
            .session
            .as_ref()
            .is_none_or(|s| s.session_policy.is_none())
    {
        return Ok(());
    }
    if root_credentials && caller.kind != CallerKind::Root {
        return Err(denied(
            caller,
            target,
            "because only the account root manages its own credentials",
        ));
    }
    let context = request_context(caller, target, now_ms);
    // Every resource the call acts on must be allowed (UpdateUser: the old and the new ARN).
    let resources = target
        .resources()
        .filter(|_| caller.kind != CallerKind::Root);
    for resource in resources {
        match identity_decision(view, authz, caller, target, resource, &context)? {
            AuthzDecision::Allowed => {}
            AuthzDecision::ExplicitDeny => {
                return Err(denied_on(
                    caller,
                    target,
                    resource,
                    "with an explicit deny in an identity-based policy",
                ))
            }
            AuthzDecision::ImplicitDeny => {
                return Err(denied_on(
                    caller,
                    target,
                    resource,
                    &format!(
                        "because no identity-based policy allows the {} action",
                        target.action
                    ),
                ))
            }
        }
    }
    session_policy(view, authz, caller, target, context)
}

/// The policy engine's decision for `caller` doing `target`'s action on `resource`.
fn identity_decision(
    view: &StateView,
    authz: &AuthzIndex,
    caller: &Caller,
    target: &Target,
    resource: &str,
    context: &[(String, Vec<String>)],
) -> Result<AuthzDecision, IamError> {
    let req = AuthzRequest {
        principal_arn: caller.arn.clone(),
        action: target.action.clone(),
        resource: resource.to_owned(),
        context: context.to_vec(),
        session_tags: caller.session_tags(),
        with_explanation: false,
        identity_only: false,
    };
    let answer = view.consistent(|state, _| authz.authorize(state, &req))?;
    if answer.decision == AuthzDecision::ExplicitDeny {
        if let Some(statement) = &answer.decided_by {
            crate::audit::note_deciding_statement(statement);
        }
    }
    Ok(answer.decision)
}

/// For a call the caller may make without a grant (a user changing their own password when
/// the account's password policy allows it): refused only by an explicit deny in the
/// caller's policies, which wins over any allow, implicit ones included.
pub fn check_explicit_deny(
    view: &StateView,
    authz: &AuthzIndex,
    caller: &Caller,
    target: &Target,
    now_ms: u64,
) -> Result<(), IamError> {
    if caller.kind == CallerKind::Root {
        return Ok(());
    }
    let context = request_context(caller, target, now_ms);
    for resource in target.resources() {
        if identity_decision(view, authz, caller, target, resource, &context)?
            == AuthzDecision::ExplicitDeny
        {
            return Err(denied_on(
                caller,
                target,
                resource,
                "with an explicit deny in an identity-based policy",
            ));
        }
    }
    Ok(())
}

/// A session policy (AssumeRole/GetSessionToken's `Policy` and `PolicyArns`) narrows what
/// the session may do: the call must also be allowed by it.
fn session_policy(
    view: &StateView,
    authz: &AuthzIndex,
    caller: &Caller,
    target: &Target,
    context: Vec<(String, Vec<String>)>,
) -> Result<(), IamError> {
    if view.consistent(|state, _| session_allows(state, authz, caller, target, context))? {
        Ok(())
    } else {
        Err(denied(
            caller,
            target,
            "because no session policy allows the action",
        ))
    }
}

/// Whether the caller's session policies (if any) allow `target` (on every one of its
/// resources).
pub fn session_allows(
    state: &dyn StateRead,
    authz: &AuthzIndex,
    caller: &Caller,
    target: &Target,
    context: Vec<(String, Vec<String>)>,
) -> Result<bool, IamError> {
    let Some(s) = &caller.session else {
        return Ok(true);
    };
    if s.session_policy.is_none() && s.session_policy_arns.is_empty() {
        return Ok(true);
    }
    let mut documents: Vec<String> = s.session_policy.iter().cloned().collect();
    for arn in &s.session_policy_arns {
        if let Some(doc) = iam_state::ops::policies::default_document(state, &caller.account, arn) {
            documents.push(doc);
        }
    }
    if documents.is_empty() {
        // Only policy ARNs that do not exist: they allow nothing.
        return Ok(false);
    }
    // The principal supplies its context keys (aws:PrincipalArn, aws:username, its tags...)
    // to the session policy's conditions, as to its identity policies.
    let req = SimulateRequest {
        principal_arn: Some(caller.arn.clone()),
        actions: vec![target.action.clone()],
        resources: target.resources().map(str::to_owned).collect(),
        context,
        policy_documents: Some(documents),
        boundary_document: None,
        with_explanation: false,
        session_tags: caller.session_tags(),
    };
    let answer = authz.simulate(state, &req)?;
    Ok(!answer.results.is_empty()
        && answer
            .results
            .iter()
            .all(|r| r.decision == AuthzDecision::Allowed))
}
