//! "May this caller make this call?" — AWS's whole decision for one request, over the
//! policy engine's per-principal answer ([`AuthzIndex::authorize`]): the account boundary
//! (the operator account's root is the cluster's superuser; nobody else crosses accounts),
//! the account root, the root's own credentials, the request context AWS derives from the
//! caller ([`request_context`]), identity policies and boundary for every resource of the
//! call, then the session's policies. Every transport and the `Authorize` API use it; the
//! role-trust decision of `AssumeRole` is [`crate::trust`].

use crate::{AuthzDecision, AuthzIndex, AuthzRequest, MatchedStatement, SimulateRequest};
use iam_model::{ErrorCode, IamError};
use iam_state::ops::target::Target;
use iam_state::StateRead;

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

/// The caller as the decision sees it: what authentication established (a borrowed view
/// of the server's caller).
#[derive(Debug, Clone, Copy)]
pub struct CallerView<'a> {
    pub account: &'a str,
    /// The ARN policies are evaluated for: the user, the account root, or the assumed-role
    /// session.
    pub arn: &'a str,
    pub root: bool,
    pub session: Option<SessionView<'a>>,
    /// The credential scope's region (`aws:RequestedRegion`); empty: none.
    pub region: &'a str,
    /// `aws:SourceIp`.
    pub source_ip: Option<&'a str>,
    /// `aws:SecureTransport`.
    pub secure_transport: bool,
    /// The session's tags (`aws:PrincipalTag/*` over the principal's own).
    pub session_tags: &'a [(String, String)],
}

/// A session of temporary credentials, as the decision sees it.
#[derive(Debug, Clone, Copy)]
pub struct SessionView<'a> {
    pub issued_ms: u64,
    pub mfa_authenticated_ms: Option<u64>,
    pub source_identity: Option<&'a str>,
    pub session_name: &'a str,
    /// The inline session policy (`Policy`).
    pub policy: Option<&'a str>,
    /// The managed session policies (`PolicyArns`).
    pub policy_arns: &'a [String],
}

impl SessionView<'_> {
    /// Whether the session was created with session policies (which narrow it).
    pub fn has_policies(&self) -> bool {
        self.policy.is_some() || !self.policy_arns.is_empty()
    }
}

/// A refusal, with the statement that decided it when an explicit deny did (for the
/// audit trail).
#[derive(Debug, Clone)]
pub struct Denial {
    pub error: IamError,
    pub deciding_statement: Option<Box<MatchedStatement>>,
}

impl From<IamError> for Denial {
    fn from(error: IamError) -> Self {
        Self {
            error,
            deciding_statement: None,
        }
    }
}

fn denied(caller: &CallerView<'_>, target: &Target, why: &str) -> Denial {
    denied_on(caller, target, &target.resource, why)
}

/// AWS's `AccessDenied` wording for `resource`, one of the target's resources.
fn denied_on(caller: &CallerView<'_>, target: &Target, resource: &str, why: &str) -> Denial {
    IamError::new(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {} on resource: {resource} {why}",
            caller.arn, target.action
        ),
    )
    .into()
}

/// `2024-01-02T03:04:05Z` (AWS's timestamps and date condition values).
fn iso8601(ms: u64) -> String {
    iam_model::time::Utc::from_ms(ms).iso8601()
}

/// The request context AWS derives from the caller and the request, with the keys the
/// target's resource and op supply (`Target::context`: `aws:ResourceTag/*`,
/// `iam:PermissionsBoundary`, `iam:PolicyARN`, `aws:TagKeys` of `Untag*`...). The
/// principal's own keys (`aws:username`, `aws:PrincipalArn`, tags...) are added by the
/// policy engine from the state.
pub fn request_context(
    caller: &CallerView<'_>,
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
        ctx.push(one("aws:RequestedRegion", caller.region.to_owned()));
    }
    if let Some(ip) = caller.source_ip {
        ctx.push(one("aws:SourceIp", ip.to_owned()));
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
        if let Some(si) = s.source_identity {
            ctx.push(one("aws:SourceIdentity", si.to_owned()));
        }
        if !s.session_name.is_empty() {
            ctx.push(one("aws:RoleSessionName", s.session_name.to_owned()));
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

impl AuthzIndex {
    /// Whether `caller` may make the call `target` in `scope`, decided from `state`;
    /// `AccessDenied` with AWS's wording otherwise. `root_credentials`: the call changes the
    /// account root's own access keys.
    pub fn decide_call(
        &self,
        state: &dyn StateRead,
        caller: &CallerView<'_>,
        scope: Scope<'_>,
        target: &Target,
        root_credentials: bool,
        now_ms: u64,
    ) -> Result<(), Denial> {
        let operator = || iam_state::system::operator_account(state);
        match scope {
            Scope::Account(a) if a != caller.account => {
                // The operator account's root is the cluster's superuser: it administers
                // every account (creates them, then their users and keys). Nobody else
                // crosses accounts.
                let superuser = caller.root
                    && caller.session.is_none()
                    && operator().as_deref() == Some(caller.account);
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
                if operator().as_deref() != Some(caller.account) {
                    return Err(denied(
                        caller,
                        target,
                        "because only principals of the operator account administer the cluster",
                    ));
                }
            }
            Scope::Account(_) => {}
        }
        if caller.root && caller.session.is_none_or(|s| s.policy.is_none()) {
            return Ok(());
        }
        if root_credentials && !caller.root {
            return Err(denied(
                caller,
                target,
                "because only the account root manages its own credentials",
            ));
        }
        let context = request_context(caller, target, now_ms);
        // Every resource the call acts on must be allowed (UpdateUser: the old and the new
        // ARN).
        let resources = target.resources().filter(|_| !caller.root);
        for resource in resources {
            self.identity_allows(state, caller, target, resource, &context, false)?;
        }
        if self.session_allows(state, caller, target, context)? {
            Ok(())
        } else {
            Err(denied(
                caller,
                target,
                "because no session policy allows the action",
            ))
        }
    }

    /// For a call the caller may make without a grant (a user changing their own password
    /// when the account's password policy allows it): refused only by an explicit deny in
    /// the caller's policies, which wins over any allow, implicit ones included.
    pub fn decide_explicit_deny(
        &self,
        state: &dyn StateRead,
        caller: &CallerView<'_>,
        target: &Target,
        now_ms: u64,
    ) -> Result<(), Denial> {
        if caller.root {
            return Ok(());
        }
        let context = request_context(caller, target, now_ms);
        for resource in target.resources() {
            self.identity_allows(state, caller, target, resource, &context, true)?;
        }
        Ok(())
    }

    /// The identity decision for `caller` doing `target`'s action on `resource`: allowed,
    /// or the denial (`deny_only`: only an explicit deny refuses).
    fn identity_allows(
        &self,
        state: &dyn StateRead,
        caller: &CallerView<'_>,
        target: &Target,
        resource: &str,
        context: &[(String, Vec<String>)],
        deny_only: bool,
    ) -> Result<(), Denial> {
        let req = AuthzRequest {
            principal_arn: caller.arn.to_owned(),
            action: target.action.clone(),
            resource: resource.to_owned(),
            context: context.to_vec(),
            session_tags: caller.session_tags.to_vec(),
            with_explanation: false,
            identity_only: false,
        };
        let answer = self.authorize(state, &req)?;
        match answer.decision {
            AuthzDecision::Allowed => Ok(()),
            AuthzDecision::ExplicitDeny => Err(Denial {
                deciding_statement: answer.decided_by.map(Box::new),
                ..denied_on(
                    caller,
                    target,
                    resource,
                    "with an explicit deny in an identity-based policy",
                )
            }),
            AuthzDecision::ImplicitDeny if deny_only => Ok(()),
            AuthzDecision::ImplicitDeny => Err(denied_on(
                caller,
                target,
                resource,
                &format!(
                    "because no identity-based policy allows the {} action",
                    target.action
                ),
            )),
        }
    }

    /// Whether the caller's session policies (if any) allow `target` (on every one of its
    /// resources): a session policy (AssumeRole/GetSessionToken's `Policy` and
    /// `PolicyArns`) narrows what the session may do.
    pub fn session_allows(
        &self,
        state: &dyn StateRead,
        caller: &CallerView<'_>,
        target: &Target,
        context: Vec<(String, Vec<String>)>,
    ) -> Result<bool, IamError> {
        let Some(s) = caller.session.filter(SessionView::has_policies) else {
            return Ok(true);
        };
        let mut documents: Vec<String> = s.policy.iter().map(|p| (*p).to_owned()).collect();
        for arn in s.policy_arns {
            if let Some(doc) =
                iam_state::ops::policies::default_document(state, caller.account, arn)
            {
                documents.push(doc);
            }
        }
        if documents.is_empty() {
            // Only policy ARNs that do not exist: they allow nothing.
            return Ok(false);
        }
        // The principal supplies its context keys (aws:PrincipalArn, aws:username, its
        // tags...) to the session policy's conditions, as to its identity policies.
        let req = SimulateRequest {
            principal_arn: Some(caller.arn.to_owned()),
            actions: vec![target.action.clone()],
            resources: target.resources().map(str::to_owned).collect(),
            context,
            policy_documents: Some(documents),
            boundary_document: None,
            with_explanation: false,
            session_tags: caller.session_tags.to_vec(),
        };
        let answer = self.simulate(state, &req)?;
        Ok(!answer.results.is_empty()
            && answer
                .results
                .iter()
                .all(|r| r.decision == AuthzDecision::Allowed))
    }
}
