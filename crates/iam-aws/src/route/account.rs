//! Account-wide settings: alias, password policy, summary, credential report.

use super::{Call, Cx};
use crate::error::AwsError;
use iam_state::ops::account::password_policy::PasswordPolicyInput;
use iam_state::ops::account::{AccountOp, AccountQuery};
use iam_state::ops::policies::EntityFilter;

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let p = cx.p;
    let call = match action {
        "CreateAccountAlias" => cx.write(AccountOp::CreateAlias {
            alias: cx.req("AccountAlias")?,
        }),
        "DeleteAccountAlias" => cx.write(AccountOp::DeleteAlias {
            alias: cx.req("AccountAlias")?,
        }),
        "ListAccountAliases" => cx.read(AccountQuery::ListAliases { page: cx.page()? }),
        "UpdateAccountPasswordPolicy" => {
            let flag = |name| p.bool(name).map(Option::unwrap_or_default);
            cx.write(AccountOp::UpdatePasswordPolicy {
                policy: PasswordPolicyInput {
                    minimum_password_length: p.u32("MinimumPasswordLength")?,
                    require_symbols: flag("RequireSymbols")?,
                    require_numbers: flag("RequireNumbers")?,
                    require_uppercase_characters: flag("RequireUppercaseCharacters")?,
                    require_lowercase_characters: flag("RequireLowercaseCharacters")?,
                    allow_users_to_change_password: flag("AllowUsersToChangePassword")?,
                    max_password_age: p.u32("MaxPasswordAge")?,
                    password_reuse_prevention: p.u32("PasswordReusePrevention")?,
                    hard_expiry: flag("HardExpiry")?,
                },
            })
        }
        "GetAccountPasswordPolicy" => cx.read(AccountQuery::GetPasswordPolicy {}),
        "DeleteAccountPasswordPolicy" => cx.write(AccountOp::DeletePasswordPolicy {}),
        "GetAccountSummary" => cx.read(AccountQuery::GetSummary {}),
        "GetAccountAuthorizationDetails" => cx.read(AccountQuery::GetAuthorizationDetails {
            filter: entity_filters(cx)?,
            page: cx.page()?,
        }),
        "GenerateCredentialReport" => cx.write(AccountOp::GenerateCredentialReport {}),
        // `now_ms` is filled by `Query::prepare` on the answering node.
        "GetCredentialReport" => cx.read(AccountQuery::GetCredentialReport { now_ms: 0 }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}

/// GetAccountAuthorizationDetails' `Filter.member.N`.
fn entity_filters(cx: &Cx<'_>) -> Result<Vec<EntityFilter>, AwsError> {
    cx.p.list("Filter")
        .iter()
        .map(|v| super::policies::entity_type("Filter", v))
        .collect()
}
