//! AssumeRole's trust decision, made by iam-authz (`iam_authz::AuthzIndex::
//! decide_assume_role`: the role's trust policy together with the caller's identity
//! policies, boundary and session policies, as AWS evaluates them) from one consistent
//! state, and noted for the audit trail.

use crate::api::ApiState;
use crate::auth::Caller;

pub(crate) use iam_authz::AssumeAsk;

/// Whether `caller` may perform `ask.action` on `role`. Any error (a stored policy that
/// does not parse, a caller that cannot be resolved) is a refusal.
pub(crate) fn trust_allows(
    s: &ApiState,
    caller: &Caller,
    role: &iam_model::Role,
    ask: &AssumeAsk<'_>,
) -> bool {
    let who = caller.view();
    let decided = s
        .view
        .consistent(|state, _| s.authz.decide_assume_role(state, &who, role, ask));
    let denial = match &decided {
        Ok(()) => None,
        Err(d) => {
            if let Some(statement) = &d.deciding_statement {
                crate::audit::note_deciding_statement(statement);
            }
            Some(d.error.message.as_str())
        }
    };
    crate::audit::note_decision(ask.action, vec![role.arn.clone()], denial);
    decided.is_ok()
}
