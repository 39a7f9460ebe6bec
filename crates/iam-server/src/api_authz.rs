//! The `Authorize` and `Simulate` calls: policy decisions for other services, answered from
//! this node's state (no message to the leader unless a consistency level asks for one).

use crate::api::ApiState;
use crate::auth::authorize::Scope;
use crate::auth::authorize::{request_context, session_allows};
use crate::auth::grpc::caller_of;
use crate::auth::Caller;
use crate::status::{from_iam, invalid};
use iam_auth::sigv4::SignedRequest;
use iam_authz::{AuthzDecision, AuthzRequest, SimulateRequest as AuthzSimulate};
use iam_proto::v1::*;
use iam_state::ops::target::Target;
use tonic::{Request, Response, Status};

fn context(entries: Vec<ContextEntry>) -> Result<Vec<(String, Vec<String>)>, Status> {
    entries
        .into_iter()
        .map(|e| {
            if e.key.is_empty() || e.key.len() > 256 {
                return Err(invalid(format!(
                    "context key {:?} must be 1 to 256 characters",
                    e.key
                )));
            }
            Ok((e.key, e.values))
        })
        .collect()
}

/// Most checks in one `AuthorizeBatch`.
pub(crate) const BATCH_MAX: usize = 1000;

/// The account named in an ARN (`arn:aws:iam::ACCT:...`).
pub(crate) fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    parts.nth(3).filter(|a| !a.is_empty())
}

impl ApiState {
    /// Whether `caller` may ask about `principal_arn`'s policies with `iam:{action}`
    /// (`SimulatePrincipalPolicy`, `GetContextKeysForPrincipalPolicy`, or
    /// `SimulateCustomPolicy` naming a `CallerArn`), on both APIs: the principal's account
    /// is the scope of the check, so within it the caller's policies decide (with the
    /// principal's tags as `aws:ResourceTag`), and across accounts only the operator
    /// account's root may, as for every other call. The answer is decided before anything
    /// of another account is read, so it never tells whether a name exists there.
    pub(crate) fn may_simulate(
        &self,
        caller: &Caller,
        principal_arn: &str,
        action: &str,
    ) -> Result<(), Status> {
        let account = arn_account(principal_arn)
            .ok_or_else(|| invalid(format!("{principal_arn:?} is not a principal ARN")))?;
        let target = if account == caller.account {
            iam_state::ops::target::principal_target(&self.view, account, action, principal_arn)
        } else {
            Target::new(format!("iam:{action}"), principal_arn)
        };
        self.check(caller, Scope::Account(account), &target, false)
    }

    /// Whether `caller` may ask what `principal_arn` may do with `iamd:Authorize`: about
    /// itself always; about others of its account with `iamd:Authorize` on the principal;
    /// about other accounts' principals only from the operator account (the relying
    /// services of the cluster).
    fn may_authorize_for(&self, caller: &Caller, principal_arn: &str) -> Result<(), Status> {
        if principal_arn == caller.arn {
            return Ok(());
        }
        let account = arn_account(principal_arn)
            .ok_or_else(|| invalid(format!("{principal_arn:?} is not a principal ARN")))?;
        let target = Target::new("iamd:Authorize", principal_arn);
        let scope = if account == caller.account {
            Scope::Account(account)
        } else {
            Scope::Cluster
        };
        self.check(caller, scope, &target, false)
    }

    /// Resolves one check into the policy question it asks: for a signed request, the
    /// verified signer (any account; no extra permission: the signer asked for this action
    /// by signing); for a principal ARN, after checking the caller may ask about it.
    fn prepare_check(
        &self,
        caller: &Caller,
        r: AuthorizeRequest,
    ) -> Result<(AuthzRequest, Option<Caller>), Status> {
        let resource = if r.resource.is_empty() {
            "*".to_owned()
        } else {
            r.resource
        };
        let mut extra = context(r.context)?;
        let (principal_arn, subject) = match r.signed_request {
            Some(sr) => {
                let signed = SignedRequest {
                    method: sr.method,
                    path: sr.path,
                    query: sr.query,
                    headers: sr.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                    payload_sha256: Some(sr.body_sha256).filter(|h| !h.is_empty()),
                };
                let service = if sr.service.is_empty() {
                    "iam"
                } else {
                    sr.service.as_str()
                };
                let mut subject = self
                    .auth
                    .authenticate_relayed(&signed, service, crate::now_ms())
                    .map_err(|e| from_iam(&iam_model::IamError::new(e.code, e.message)))?;
                subject.source_ip = Some(sr.source_ip).filter(|ip| !ip.is_empty());
                let target = Target::new(r.action.clone(), resource.clone());
                // The signer's own request context comes first; the caller's extra keys
                // cannot override it.
                let mut ctx = request_context(&subject, &target, crate::now_ms());
                extra.retain(|(k, _)| !ctx.iter().any(|(c, _)| c.eq_ignore_ascii_case(k)));
                ctx.append(&mut extra);
                extra = ctx;
                (subject.arn.clone(), Some(subject))
            }
            None => {
                self.may_authorize_for(caller, &r.principal_arn)?;
                (r.principal_arn, None)
            }
        };
        Ok((
            AuthzRequest {
                principal_arn,
                action: r.action,
                resource,
                context: extra,
                session_tags: subject
                    .as_ref()
                    .map(Caller::session_tags)
                    .unwrap_or_default(),
                with_explanation: r.explain,
                identity_only: false,
            },
            subject,
        ))
    }

    /// Decides prepared checks from one consistent state; returns the replies and the
    /// applied index they reflect.
    fn decide_all(
        &self,
        checks: Vec<(AuthzRequest, Option<Caller>)>,
    ) -> Result<(Vec<AuthorizeReply>, u64), Status> {
        let (answers, applied) = self.view.consistent(|state, applied| {
            let answers: Vec<_> = checks
                .iter()
                .map(|(q, subject)| {
                    let started = std::time::Instant::now();
                    let mut a = self.authz.authorize(state, q)?;
                    // A session's policy narrows what its signer may do.
                    if a.decision == AuthzDecision::Allowed {
                        if let Some(subject) = subject {
                            let target = Target::new(q.action.clone(), q.resource.clone());
                            if !session_allows(
                                state,
                                &self.authz,
                                subject,
                                &target,
                                q.context.clone(),
                            )? {
                                a.decision = AuthzDecision::ImplicitDeny;
                            }
                        }
                    }
                    let outcome = match a.decision {
                        AuthzDecision::Allowed => crate::metrics::Outcome::Allowed,
                        AuthzDecision::ExplicitDeny => crate::metrics::Outcome::ExplicitDeny,
                        AuthzDecision::ImplicitDeny => crate::metrics::Outcome::ImplicitDeny,
                    };
                    crate::metrics::decided(
                        crate::metrics::Api::Authorize,
                        outcome,
                        started.elapsed(),
                    );
                    Ok::<_, iam_model::IamError>((a, q.with_explanation))
                })
                .collect();
            (answers, applied)
        });
        let mut out = Vec::with_capacity(answers.len());
        for answer in answers {
            let (a, explain) = answer.map_err(|e| from_iam(&e))?;
            out.push(AuthorizeReply {
                decision: a.decision.as_str().into(),
                allowed: a.decision == AuthzDecision::Allowed,
                explanation_json: if explain {
                    serde_json::to_string(&a).unwrap_or_default()
                } else {
                    String::new()
                },
                applied_index: applied,
            });
        }
        Ok((out, applied))
    }

    pub(crate) async fn authorize_rpc(
        &self,
        req: Request<AuthorizeRequest>,
    ) -> Result<Response<AuthorizeReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        // The consistency asked for first: the signer, the caller and their rights are
        // judged by a state that includes what the caller asked to see.
        self.read(r.read).await?;
        self.revalidate(&caller)?;
        let check = self.prepare_check(&caller, r)?;
        let (mut replies, _) = self.decide_all(vec![check])?;
        replies
            .pop()
            .map(Response::new)
            .ok_or_else(|| Status::internal("no decision"))
    }

    pub(crate) async fn authorize_batch_rpc(
        &self,
        req: Request<AuthorizeBatchRequest>,
    ) -> Result<Response<AuthorizeBatchReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        if r.checks.len() > BATCH_MAX {
            return Err(invalid(format!(
                "a batch holds at most {BATCH_MAX} checks, not {}",
                r.checks.len()
            )));
        }
        self.read(r.read).await?;
        self.revalidate(&caller)?;
        let checks = r
            .checks
            .into_iter()
            .map(|c| self.prepare_check(&caller, c))
            .collect::<Result<Vec<_>, _>>()?;
        let (results, applied_index) = self.decide_all(checks)?;
        Ok(Response::new(AuthorizeBatchReply {
            results,
            applied_index,
        }))
    }

    pub(crate) async fn simulate_rpc(
        &self,
        req: Request<SimulateRequest>,
    ) -> Result<Response<SimulateReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        self.read(r.read).await?;
        self.revalidate(&caller)?;
        if r.principal_arn.is_empty() {
            let target = Target::new("iam:SimulateCustomPolicy", "*");
            self.check(&caller, Scope::Account(&caller.account), &target, false)?;
        } else if r.principal_arn != caller.arn {
            // (About itself a caller needs no permission on this API.)
            self.may_simulate(&caller, &r.principal_arn, "SimulatePrincipalPolicy")?;
        }
        let q = AuthzSimulate {
            principal_arn: Some(r.principal_arn).filter(|p| !p.is_empty()),
            actions: r.actions,
            resources: r.resources,
            context: context(r.context)?,
            policy_documents: Some(r.policy_documents).filter(|d| !d.is_empty()),
            boundary_document: None,
            with_explanation: true,
            session_tags: Vec::new(),
        };
        let (answer, applied) = self
            .view
            .consistent(|state, applied| (self.authz.simulate(state, &q), applied));
        let a = answer.map_err(|e| from_iam(&e))?;
        let results = a
            .results
            .iter()
            .map(|res| SimulateResult {
                action: res.action.clone(),
                resource: res.resource.clone(),
                decision: res.decision.as_str().into(),
                explanation_json: serde_json::to_string(res).unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(SimulateReply {
            results,
            applied_index: applied,
        }))
    }
}
