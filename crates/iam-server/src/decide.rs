//! The `Authorize` and `Simulate` calls in the core: policy decisions for other services,
//! answered from this node's state (no message to the leader unless a consistency level
//! asks for one). The gRPC adapter (`crate::grpc::authz`) converts its proto messages into
//! [`Check`]s and [`SimulateAsk`]s and the answers back.

use crate::api::{ApiState, Consistency};
use crate::auth::authorize::Scope;
use crate::auth::Caller;
use crate::errors::invalid;
use iam_auth::sigv4::SignedRequest;
use iam_authz::{
    request_context, AuthzAnswer, AuthzDecision, AuthzRequest, SimulateAnswer, SimulateRequest,
};
use iam_model::{ErrorCode, IamError};
use iam_state::keys::EntityKind;
use iam_state::ops::policies::effective_documents;
use iam_state::ops::target::Target;
use serde_json::Value;
use std::collections::BTreeSet;

/// One question of `Authorize`: may this principal (named, or the verified signer of a
/// request the caller relays) do `action` on `resource`?
pub(crate) struct Check {
    pub principal_arn: String,
    pub signed: Option<Relayed>,
    pub action: String,
    /// Empty: `*`.
    pub resource: String,
    pub context: Vec<(String, Vec<String>)>,
    pub explain: bool,
}

/// A request a relying service received and relays for its signer to be judged.
pub(crate) struct Relayed {
    pub request: SignedRequest,
    /// The service it was signed for (empty: `iam`).
    pub service: String,
    pub source_ip: Option<String>,
}

/// One decision of `Authorize`, with its explanation when asked for.
pub(crate) struct Decided {
    pub answer: AuthzAnswer,
    pub explain: bool,
}

/// `Simulate`: a principal's policies (or none) and documents, against actions and resources.
pub(crate) struct SimulateAsk {
    /// Empty: the documents alone (`SimulateCustomPolicy`).
    pub principal_arn: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub context: Vec<(String, Vec<String>)>,
    pub policy_documents: Vec<String>,
}

/// Context keys as a caller gives them: each 1 to 256 characters.
fn context(entries: Vec<(String, Vec<String>)>) -> Result<Vec<(String, Vec<String>)>, IamError> {
    for (key, _) in &entries {
        if key.is_empty() || key.len() > 256 {
            return Err(invalid(format!(
                "context key {key:?} must be 1 to 256 characters"
            )));
        }
    }
    Ok(entries)
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
    ) -> Result<(), IamError> {
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
    fn may_authorize_for(&self, caller: &Caller, principal_arn: &str) -> Result<(), IamError> {
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
        r: Check,
    ) -> Result<(AuthzRequest, Option<Caller>), IamError> {
        let resource = if r.resource.is_empty() {
            "*".to_owned()
        } else {
            r.resource
        };
        let mut extra = context(r.context)?;
        let (principal_arn, subject) = match r.signed {
            Some(sr) => {
                let service = if sr.service.is_empty() {
                    "iam"
                } else {
                    sr.service.as_str()
                };
                let mut subject =
                    self.auth
                        .authenticate_relayed(&sr.request, service, crate::now_ms())?;
                subject.source_ip = sr.source_ip;
                let target = Target::new(r.action.clone(), resource.clone());
                // The signer's own request context comes first; the caller's extra keys
                // cannot override it.
                let mut ctx = request_context(&subject.view(), &target, crate::now_ms());
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
    ) -> Result<(Vec<Decided>, u64), IamError> {
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
                            if !self.authz.session_allows(
                                state,
                                &subject.view(),
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
            let (answer, explain) = answer?;
            out.push(Decided { answer, explain });
        }
        Ok((out, applied))
    }

    /// `Authorize` and `AuthorizeBatch`: the consistency asked for first (the signer, the
    /// caller and their rights are judged by a state that includes what the caller asked to
    /// see), then every check decided from one state; returns the decisions and the applied
    /// index they reflect.
    pub(crate) async fn authorize(
        &self,
        caller: &Caller,
        consistency: Consistency,
        checks: Vec<Check>,
    ) -> Result<(Vec<Decided>, u64), IamError> {
        if checks.len() > BATCH_MAX {
            return Err(invalid(format!(
                "a batch holds at most {BATCH_MAX} checks, not {}",
                checks.len()
            )));
        }
        self.read(consistency).await?;
        self.revalidate(caller)?;
        let checks = checks
            .into_iter()
            .map(|c| self.prepare_check(caller, c))
            .collect::<Result<Vec<_>, _>>()?;
        self.decide_all(checks)
    }

    /// `Simulate` on the native API: the one rule of [`Self::may_run_simulation`], as
    /// `SimulatePrincipalPolicy` for a principal and `SimulateCustomPolicy` for the documents
    /// alone.
    pub(crate) async fn simulate(
        &self,
        caller: &Caller,
        consistency: Consistency,
        r: SimulateAsk,
    ) -> Result<(SimulateAnswer, u64), IamError> {
        self.read(consistency).await?;
        self.revalidate(caller)?;
        let principal = Some(r.principal_arn.as_str()).filter(|p| !p.is_empty());
        let action = if principal.is_some() {
            "SimulatePrincipalPolicy"
        } else {
            "SimulateCustomPolicy"
        };
        self.may_run_simulation(caller, action, principal, None)?;
        let q = SimulateRequest {
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
        Ok((answer?, applied))
    }

    /// Whether `caller` may run the simulator action `iam:{action}`, on every transport:
    /// on the principal simulated (`principal`: [`Self::may_simulate`], about itself too, as
    /// AWS), or on `*` in the caller's account for the documents alone; a simulated caller
    /// of another account (`CallerArn`: its name and tags become context keys) is a
    /// principal of that account to ask about, the same rule.
    pub(crate) fn may_run_simulation(
        &self,
        caller: &Caller,
        action: &str,
        principal: Option<&str>,
        simulated_caller: Option<&str>,
    ) -> Result<(), IamError> {
        match principal {
            Some(arn) => self.may_simulate(caller, arn, action)?,
            None => self.check(
                caller,
                Scope::Account(&caller.account),
                &Target::new(format!("iam:{action}"), "*"),
                false,
            )?,
        }
        if let Some(arn) = simulated_caller {
            if arn_account(arn) != Some(caller.account.as_str()) {
                self.may_simulate(caller, arn, action)?;
            }
        }
        Ok(())
    }

    /// Evaluates a simulation from one consistent state.
    pub(crate) fn run_simulation(&self, q: &SimulateRequest) -> Result<SimulateAnswer, IamError> {
        self.view
            .consistent(|state, _| self.authz.simulate(state, q))
    }

    /// The condition keys used in `principal`'s policies (a user, group or role of its own
    /// account, under exactly that ARN) and in `documents`, sorted.
    pub(crate) fn context_keys(
        &self,
        principal: Option<&str>,
        documents: &[String],
    ) -> Result<Vec<String>, IamError> {
        let mut docs: Vec<String> = documents.to_vec();
        if let Some(arn) = principal {
            let not_principal = || {
                IamError::new(
                    ErrorCode::InvalidInput,
                    format!("{arn} is not the ARN of a user, group or role."),
                )
            };
            let (kind, name) = principal_of(arn).ok_or_else(not_principal)?;
            let account = arn_account(arn).ok_or_else(not_principal)?;
            if stored_arn(&self.view, account, kind, &name).as_deref() != Some(arn) {
                return Err(IamError::no_such(kind.as_str(), &name));
            }
            let found = effective_documents(&self.view, account, kind, &name)?;
            docs.extend(found.policies.into_iter().map(|d| d.document));
        }
        let mut keys = BTreeSet::new();
        for d in &docs {
            let v: Value = serde_json::from_str(d).map_err(|e| {
                IamError::new(
                    ErrorCode::InvalidInput,
                    format!("a policy document is not JSON: {e}"),
                )
            })?;
            let statements = match &v["Statement"] {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            for st in statements {
                if let Some(ops) = st["Condition"].as_object() {
                    for keys_of_op in ops.values().filter_map(Value::as_object) {
                        keys.extend(keys_of_op.keys().cloned());
                    }
                }
            }
        }
        Ok(keys.into_iter().collect())
    }
}

/// The stored ARN of a user, group or role, if it exists.
fn stored_arn(
    view: &iam_storage::StateView,
    account: &str,
    kind: EntityKind,
    name: &str,
) -> Option<String> {
    use iam_state::ops::{groups, roles, users};
    let txn = iam_state::Txn::new(view);
    match kind {
        EntityKind::User => users::load(&txn, account, name).ok().map(|u| u.arn),
        EntityKind::Group => groups::load(&txn, account, name).ok().map(|g| g.arn),
        EntityKind::Role => roles::load(&txn, account, name).ok().map(|r| r.arn),
    }
}

/// The kind and name of a user, group or role ARN.
fn principal_of(arn: &str) -> Option<(EntityKind, String)> {
    let resource = arn.strip_prefix("arn:aws:iam::")?.split_once(':')?.1;
    let (kind, rest) = resource.split_once('/')?;
    let kind = match kind {
        "user" => EntityKind::User,
        "group" => EntityKind::Group,
        "role" => EntityKind::Role,
        _ => return None,
    };
    Some((kind, rest.rsplit('/').next()?.to_owned()))
}
