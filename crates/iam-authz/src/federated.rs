//! The trust decision of `AssumeRoleWithWebIdentity` (and, later, `AssumeRoleWithSAML`):
//! the caller is a federated principal — the identity provider's ARN, as a trust policy
//! names it (`"Principal": {"Federated": "arn:aws:iam::A:oidc-provider/host/path"}`) — which
//! has no identity policies, boundary or session of its own. So the role's trust policy
//! alone decides (IAM User Guide, "Policy evaluation logic": a resource-based policy that
//! names a principal grants on its own), with the request context AWS derives for such a
//! call: the time, transport and source address, `aws:FederatedProvider`,
//! `sts:RoleSessionName`, and the provider's claim keys (`host/path:aud`, `…:sub`, …).

use crate::call::{request_context, CallerView, Denial};
use crate::trust::trust_set;
use crate::{AuthzIndex, MatchedStatement};
use iam_model::{ErrorCode, IamError};
use iam_policy::{evaluate, explain, CompiledSet, Context, Effect, Policies, Request, Verdict};
use iam_state::ops::target::{resource_tag_keys, Target};
use iam_state::StateRead;

/// What a federated AssumeRole request asks.
#[derive(Debug, Clone, Copy)]
pub struct FederatedAsk<'a> {
    /// `sts:AssumeRoleWithWebIdentity`.
    pub action: &'a str,
    /// The identity provider's ARN: the `Federated` principal.
    pub provider_arn: &'a str,
    /// The provider's claim keys and their values (`host/path:aud`, `host/path:sub`, …).
    pub claims: &'a [(String, Vec<String>)],
    pub session_name: &'a str,
    /// `aws:SourceIp`, `aws:SecureTransport`.
    pub source_ip: Option<&'a str>,
    pub secure_transport: bool,
    pub now: u64,
}

impl AuthzIndex {
    /// Whether the role's trust policy lets the federated principal of `ask` assume `role`
    /// (see the module docs). A stored trust policy that does not parse refuses.
    pub fn decide_federated_assume(
        &self,
        state: &dyn StateRead,
        role: &iam_model::Role,
        ask: &FederatedAsk<'_>,
    ) -> Result<(), Denial> {
        let trust = trust_set(state, role)?;
        let view = CallerView {
            account: &role.account,
            arn: ask.provider_arn,
            root: false,
            session: None,
            region: "",
            source_ip: ask.source_ip,
            secure_transport: ask.secure_transport,
            session_tags: &[],
        };
        let target = Target {
            context: resource_tag_keys(&role.tags, true),
            ..Target::new(ask.action, role.arn.clone())
        };
        let mut ctx = Context::new();
        for (k, v) in request_context(&view, &target, ask.now) {
            ctx.insert_list(&k, v);
        }
        ctx.insert("aws:FederatedProvider", ask.provider_arn);
        ctx.insert("sts:RoleSessionName", ask.session_name);
        for (k, v) in ask.claims {
            ctx.insert_list(k, v.iter().cloned());
        }
        let empty = CompiledSet::empty();
        let policies = Policies::new(&empty).resource(&trust);
        let req = Request::new(ask.provider_arn, ask.action, &role.arn, &ctx);
        let decision = evaluate(&req, &policies);
        let refused = |reason: &str| IamError::new(ErrorCode::AccessDenied, reason);
        match decision.verdict {
            Verdict::Allow => Ok(()),
            Verdict::ImplicitDeny => Err(refused(decision.reason.describe()).into()),
            Verdict::ExplicitDeny => {
                let deciding = explain(&req, &policies)
                    .matched
                    .into_iter()
                    .find(|m| m.effect == Effect::Deny)
                    .map(|m| MatchedStatement {
                        layer: m.layer.as_str().to_owned(),
                        policy: m.policy.to_string(),
                        source: None,
                        statement: m.statement,
                        sid: m.sid,
                        effect: "Deny".to_owned(),
                    });
                Err(Denial {
                    error: refused(decision.reason.describe()),
                    deciding_statement: deciding.map(Box::new),
                })
            }
        }
    }
}
