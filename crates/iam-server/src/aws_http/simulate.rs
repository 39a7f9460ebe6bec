//! The Query API's simulator answers (`SimulatePrincipalPolicy`, `SimulateCustomPolicy`):
//! the AWS request becomes the core's simulation (`crate::decide`, authorized there by the
//! same rule as the native API's), its results the rows `iam_aws` renders, paged.

use crate::api::ApiState;
use iam_authz::SimulateRequest as AuthzSimulate;
use iam_model::IamError;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub(super) fn simulate(s: &ApiState, sim: iam_aws::Simulate) -> Result<Value, IamError> {
    let custom = sim.policy_source_arn.is_none();
    let req = AuthzSimulate {
        principal_arn: sim.policy_source_arn.clone().or(sim.caller_arn.clone()),
        actions: sim.action_names,
        resources: sim.resource_arns,
        context: sim
            .context_entries
            .into_iter()
            .map(|e| (e.name, e.values))
            .collect(),
        policy_documents: if custom || !sim.policy_input_list.is_empty() {
            Some(sim.policy_input_list)
        } else {
            None
        },
        boundary_document: sim
            .permissions_boundary_policy_input_list
            .into_iter()
            .next(),
        with_explanation: true,
        session_tags: Vec::new(),
    };
    let answer = s.run_simulation(&req)?;
    let results: Vec<(String, Value)> = answer
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let decision = r.decision.as_str();
            let matched: Vec<Value> = r
                .matched
                .iter()
                .chain(r.decided_by.iter())
                .map(|m| m.policy.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|p| json!({"source_policy_id": p, "source_policy_type": if p.starts_with("arn:") { "IAM Policy" } else { "user" }}))
                .collect();
            (
                format!("{i:08}"),
                json!({
                    "eval_action_name": r.action,
                    "eval_resource_name": r.resource,
                    "eval_decision": decision,
                    "matched_statements": matched,
                    "missing_context_values": [],
                }),
            )
        })
        .collect();
    let page = iam_state::ops::paging::vec_page(results, &sim.page)?;
    let mut out = json!({"evaluation_results": page.items, "is_truncated": page.is_truncated});
    if let Some(m) = page.marker {
        out["marker"] = json!(m);
    }
    Ok(out)
}
