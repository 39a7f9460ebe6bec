//! `Authorize`, `AuthorizeBatch` and `Simulate` on the gRPC API: proto in, the core's
//! decisions (`crate::decide`) out.

use super::auth::caller_of;
use super::consistency;
use super::status::status;
use crate::api::ApiState;
use crate::decide::{Check, Decided, Relayed, SimulateAsk};
use iam_auth::sigv4::SignedRequest;
use iam_authz::AuthzDecision;
use iam_proto::v1::*;
use tonic::{Request, Response, Status};

fn context(entries: Vec<ContextEntry>) -> Vec<(String, Vec<String>)> {
    entries.into_iter().map(|e| (e.key, e.values)).collect()
}

fn check(r: AuthorizeRequest) -> Check {
    Check {
        principal_arn: r.principal_arn,
        signed: r.signed_request.map(|sr| Relayed {
            request: SignedRequest {
                method: sr.method,
                path: sr.path,
                query: sr.query,
                headers: sr.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                payload_sha256: Some(sr.body_sha256).filter(|h| !h.is_empty()),
            },
            service: sr.service,
            source_ip: Some(sr.source_ip).filter(|ip| !ip.is_empty()),
        }),
        action: r.action,
        resource: r.resource,
        context: context(r.context),
        explain: r.explain,
    }
}

fn reply(d: &Decided, applied_index: u64) -> AuthorizeReply {
    AuthorizeReply {
        decision: d.answer.decision.as_str().into(),
        allowed: d.answer.decision == AuthzDecision::Allowed,
        explanation_json: if d.explain {
            serde_json::to_string(&d.answer).unwrap_or_default()
        } else {
            String::new()
        },
        applied_index,
    }
}

impl ApiState {
    pub(super) async fn authorize_rpc(
        &self,
        req: Request<AuthorizeRequest>,
    ) -> Result<Response<AuthorizeReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let at = consistency(r.read).map_err(status)?;
        let (decided, applied) = self
            .authorize(&caller, at, vec![check(r)])
            .await
            .map_err(status)?;
        decided
            .first()
            .map(|d| Response::new(reply(d, applied)))
            .ok_or_else(|| status(crate::errors::internal("no decision")))
    }

    pub(super) async fn authorize_batch_rpc(
        &self,
        req: Request<AuthorizeBatchRequest>,
    ) -> Result<Response<AuthorizeBatchReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let at = consistency(r.read).map_err(status)?;
        let checks = r.checks.into_iter().map(check).collect();
        let (decided, applied_index) = self.authorize(&caller, at, checks).await.map_err(status)?;
        Ok(Response::new(AuthorizeBatchReply {
            results: decided.iter().map(|d| reply(d, applied_index)).collect(),
            applied_index,
        }))
    }

    pub(super) async fn simulate_rpc(
        &self,
        req: Request<SimulateRequest>,
    ) -> Result<Response<SimulateReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let ask = SimulateAsk {
            principal_arn: r.principal_arn,
            actions: r.actions,
            resources: r.resources,
            context: context(r.context),
            policy_documents: r.policy_documents,
        };
        let at = consistency(r.read).map_err(status)?;
        let (answer, applied) = self.simulate(&caller, at, ask).await.map_err(status)?;
        let results = answer
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
