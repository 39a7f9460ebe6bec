//! `iamctl simulate`: what a principal (or a set of policy documents) may do, decided by the
//! answering node's authorization index — the same evaluation as `Authorize`.

use super::{read_document, Ctx};
use anyhow::bail;
use clap::Args;
use iam_proto::v1::{ContextEntry, SimulateRequest};
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Principal ARN (user, role, assumed-role session or root). Optional with --policy.
    #[arg(long)]
    principal: Option<String>,
    /// Action to check, e.g. s3:GetObject (repeatable).
    #[arg(long = "action", required = true)]
    actions: Vec<String>,
    /// Resource ARN (repeatable; default *).
    #[arg(long = "resource")]
    resources: Vec<String>,
    /// Request context as key=value[,value...] (repeatable), e.g. aws:SourceIp=10.1.2.3.
    #[arg(long = "context")]
    context: Vec<String>,
    /// Evaluate these identity policy documents instead of the principal's (file://path,
    /// @path, - or inline JSON; repeatable).
    #[arg(long = "policy")]
    policies: Vec<String>,
}

fn context(args: &[String]) -> anyhow::Result<Vec<ContextEntry>> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(ContextEntry {
                key: k.to_owned(),
                values: v.split(',').map(str::to_owned).collect(),
            }),
            _ => bail!(
                "--context {a:?} is not key=value (for example --context aws:SourceIp=10.0.0.1)"
            ),
        })
        .collect()
}

pub(crate) async fn run(ctx: &mut Ctx, a: SimulateArgs) -> anyhow::Result<u8> {
    if a.principal.is_none() && a.policies.is_empty() {
        bail!("give --principal ARN, --policy DOCUMENT, or both");
    }
    let policy_documents = a
        .policies
        .iter()
        .map(|p| read_document("--policy", p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let req = SimulateRequest {
        read: Some(ctx.read),
        principal_arn: a.principal.unwrap_or_default(),
        actions: a.actions,
        resources: a.resources,
        context: context(&a.context)?,
        policy_documents,
    };
    let r = ctx
        .client()?
        .call(|mut c, _| {
            let req = req.clone();
            async move { c.simulate(req).await }
        })
        .await?;
    let results: Vec<Value> = r
        .results
        .iter()
        .map(|res| {
            let explanation: Value =
                serde_json::from_str(&res.explanation_json).unwrap_or(Value::Null);
            json!({
                "action": res.action,
                "resource": res.resource,
                "decision": res.decision,
                "reason": explanation.get("reason").cloned().unwrap_or(Value::Null),
                "decided_by": explanation.get("decided_by").cloned().unwrap_or(Value::Null),
                "matched": explanation.get("matched").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    let out = json!({"items": results, "applied_index": r.applied_index});
    ctx.show_list(
        &out,
        &[
            "action",
            "resource",
            "decision",
            "decided_by.policy",
            "reason",
        ],
    );
    Ok(0)
}
