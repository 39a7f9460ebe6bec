//! The policy simulator's actions, returned as data ([`Call::Simulate`],
//! [`Call::ContextKeys`]) for the server to answer with its authorization index.

use super::{Call, ContextKeys, Cx, Simulate};
use crate::error::AwsError;

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let p = cx.p;
    let call = match action {
        "SimulatePrincipalPolicy" | "SimulateCustomPolicy" => {
            let principal = action == "SimulatePrincipalPolicy";
            let policy_source_arn = if principal {
                Some(cx.req("PolicySourceArn")?)
            } else {
                None
            };
            let policy_input_list = if principal {
                p.list("PolicyInputList")
            } else {
                p.required_list("PolicyInputList")?
            };
            let action_names = p.required_list("ActionNames")?;
            let mut resource_arns = p.list("ResourceArns");
            if resource_arns.is_empty() {
                resource_arns.push("*".to_owned());
            }
            Call::Simulate(Simulate {
                account: cx.account.to_owned(),
                policy_source_arn,
                policy_input_list,
                permissions_boundary_policy_input_list: p
                    .list("PermissionsBoundaryPolicyInputList"),
                action_names,
                resource_arns,
                resource_policy: cx.opt("ResourcePolicy"),
                resource_owner: cx.opt("ResourceOwner"),
                caller_arn: cx.opt("CallerArn"),
                context_entries: p.context_entries("ContextEntries"),
                resource_handling_option: cx.opt("ResourceHandlingOption"),
                page: cx.page()?,
            })
        }
        "GetContextKeysForPrincipalPolicy" => Call::ContextKeys(ContextKeys {
            account: cx.account.to_owned(),
            policy_source_arn: Some(cx.req("PolicySourceArn")?),
            policy_input_list: p.list("PolicyInputList"),
        }),
        "GetContextKeysForCustomPolicy" => Call::ContextKeys(ContextKeys {
            account: cx.account.to_owned(),
            policy_source_arn: None,
            policy_input_list: p.required_list("PolicyInputList")?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}
