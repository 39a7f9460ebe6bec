//! The Query API's simulator answers (`SimulatePrincipalPolicy`, `SimulateCustomPolicy`):
//! the AWS request becomes the core's simulation (`crate::decide`, authorized there by the
//! same rule as the native API's), its results the rows `iam_aws` renders, paged.

use crate::api::ApiState;
use iam_authz::SimulateRequest as AuthzSimulate;
use iam_aws::{EvaluationResult, StatementSource};
use iam_model::IamError;
use iam_state::ops::Page;
use std::collections::BTreeSet;

pub(super) fn simulate(
    s: &ApiState,
    sim: iam_aws::Simulate,
) -> Result<Page<EvaluationResult>, IamError> {
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
    let results: Vec<(String, EvaluationResult)> = answer
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let matched = r
                .matched
                .iter()
                .chain(r.decided_by.iter())
                .map(|m| m.policy.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|p| StatementSource {
                    source_policy_type: if p.starts_with("arn:") {
                        "IAM Policy"
                    } else {
                        "user"
                    }
                    .to_owned(),
                    source_policy_id: p,
                })
                .collect();
            let result = EvaluationResult {
                eval_action_name: r.action.clone(),
                eval_resource_name: r.resource.clone(),
                eval_decision: r.decision.as_str().to_owned(),
                matched_statements: matched,
                missing_context_values: Vec::new(),
                permissions_boundary_allowed: None,
                eval_decision_details: Default::default(),
            };
            (format!("{i:08}"), result)
        })
        .collect();
    iam_state::ops::paging::vec_page(results, &sim.page)
}
