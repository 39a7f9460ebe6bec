//! `simulate`: every action × resource of a request, with the principal's policies or with
//! caller-supplied identity documents (as SimulateCustomPolicy).

use crate::api::*;
use crate::authorize::{check_action, check_resource, invalid, principal_sets, Caller, Sets};
use crate::index::AuthzIndex;
use crate::principal::{PolicySource, SourceKind};
use iam_model::IamResult;
use iam_policy::{CompiledSet, Context, PolicyKind};
use iam_state::StateRead;

impl AuthzIndex {
    /// Answers every action × resource, with the principal's policies or with caller-supplied
    /// documents (see [`SimulateRequest`]).
    pub fn simulate(
        &self,
        state: &dyn StateRead,
        req: &SimulateRequest,
    ) -> IamResult<SimulateAnswer> {
        let star = [star()];
        let resources: &[String] = if req.resources.is_empty() {
            &star
        } else {
            &req.resources
        };
        if req.actions.is_empty() {
            return Err(invalid("Simulation needs at least one action.".to_owned()));
        }
        if req.actions.len().saturating_mul(resources.len()) > SIMULATE_PAIRS_MAX {
            return Err(invalid(format!(
                "Simulation is limited to {SIMULATE_PAIRS_MAX} action and resource pairs."
            )));
        }
        req.actions.iter().try_for_each(|a| check_action(a))?;
        resources.iter().try_for_each(|r| check_resource(r))?;
        let caller = match &req.principal_arn {
            Some(arn) => self.caller(state, arn)?,
            None if req.policy_documents.is_some() => Caller {
                eval_arn: String::new(),
                account: String::new(),
                policies: None,
                session: None,
            },
            None => {
                return Err(invalid(
                    "Simulation needs a principal ARN or policy documents.".to_owned(),
                ))
            }
        };
        let custom = self.custom_sets(req)?;
        let empty = CompiledSet::empty();
        let sets = match &custom {
            Some(c) => Sets {
                identity: &c.0,
                sources: &c.1,
                boundary: c.2.as_ref(),
                boundary_source: c.3.as_ref(),
                extra: Layers::default(),
            },
            None => principal_sets(&caller, &empty),
        };
        let ctx = if req.principal_arn.is_some() {
            caller.context(&req.context, &req.session_tags)
        } else {
            let mut ctx = Context::new();
            for (k, vs) in &req.context {
                match vs.as_slice() {
                    [one] => ctx.insert(k, one.clone()),
                    _ => ctx.insert_list(k, vs.iter().cloned()),
                };
            }
            ctx
        };
        let mut results = Vec::with_capacity(req.actions.len() * resources.len());
        for action in &req.actions {
            for resource in resources {
                let o = sets.decide(&caller, &ctx, action, resource, req.with_explanation, false);
                results.push(SimulateResult {
                    action: action.clone(),
                    resource: resource.clone(),
                    decision: o.decision,
                    reason: o.reason,
                    decided_by: o.decided_by,
                    matched: o.matched,
                });
            }
        }
        Ok(SimulateAnswer {
            principal: req.principal_arn.as_ref().map(|_| caller.info()),
            results,
        })
    }

    #[allow(clippy::type_complexity)]
    fn custom_sets(
        &self,
        req: &SimulateRequest,
    ) -> IamResult<
        Option<(
            CompiledSet,
            Vec<PolicySource>,
            Option<CompiledSet>,
            Option<PolicySource>,
        )>,
    > {
        let Some(docs) = &req.policy_documents else {
            return Ok(None);
        };
        if docs.len() > SIMULATE_DOCUMENTS_MAX {
            return Err(invalid(format!(
                "Simulation takes at most {SIMULATE_DOCUMENTS_MAX} policy documents."
            )));
        }
        let parse = |text: &str, kind: PolicyKind| self.custom_document(text, kind);
        let mut policies = Vec::new();
        let mut sources = Vec::new();
        for (i, text) in docs.iter().enumerate() {
            let label = format!("custom#{i}");
            policies.push((label.clone(), parse(text, PolicyKind::Managed)?));
            sources.push(custom_source(label));
        }
        let boundary = match &req.boundary_document {
            Some(text) => Some((
                CompiledSet::new([("custom-boundary", parse(text, PolicyKind::Boundary)?)]),
                custom_source("custom-boundary".to_owned()),
            )),
            None => None,
        };
        let (b, bs) = boundary.map_or((None, None), |(b, s)| (Some(b), Some(s)));
        Ok(Some((CompiledSet::new(policies), sources, b, bs)))
    }
}

fn custom_source(name: String) -> PolicySource {
    PolicySource {
        kind: SourceKind::Custom,
        name,
        via: None,
        arn: None,
        version: None,
    }
}
