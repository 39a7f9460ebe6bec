//! `GetAccessKeyInfo`: the account an access key id belongs to. AWS reads the account out of
//! the id itself, so it answers for any key, of any account; iamd's ids carry no account
//! (`iam_auth::key_id`), so the answer comes from the replicated key table: a key of any
//! account that exists (active or not) is found, a deleted one is not — as AWS warns may
//! happen. Session keys (`ASIA…`) are not in the table: their token is self-contained.
//! The caller needs `sts:GetAccessKeyInfo` (identity policies; AWS's authorization
//! reference lists the action).

use super::{err, StsError};
use crate::api::ApiState;
use crate::auth::Caller;
use iam_authz::Scope;
use iam_aws::Params;
use iam_model::ErrorCode;
use iam_state::ops::target::Target;

/// AWS's bounds of `AccessKeyId` (`accessKeyIdType`: 16–128 word characters).
const ID_MIN: usize = 16;
const ID_MAX: usize = 128;

/// The account of the key `AccessKeyId` names.
pub(crate) async fn get_access_key_info(
    s: &ApiState,
    caller: &Caller,
    params: &Params,
) -> Result<String, StsError> {
    let id = params.get("AccessKeyId").ok_or_else(|| {
        err(
            ErrorCode::MissingParameter,
            "The request must contain the parameter AccessKeyId",
        )
    })?;
    validate(id)?;
    let target = Target::new("sts:GetAccessKeyInfo", "*");
    s.check(caller, Scope::Account(&caller.account), &target, false)?;
    // A key created a moment ago through another node is found here too.
    s.read_linearizable().await?;
    iam_state::ops::access_keys::lookup(&s.view, id)
        .map(|key| key.account)
        .ok_or_else(|| {
            err(
                ErrorCode::InvalidClientTokenId,
                format!("The access key ID {id} does not exist in this cluster's records (session keys and deleted keys are not recorded)."),
            )
        })
}

fn validate(id: &str) -> Result<(), StsError> {
    let constraint = if !(ID_MIN..=ID_MAX).contains(&id.chars().count()) {
        format!("Member must have length between {ID_MIN} and {ID_MAX}")
    } else if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        "Member must satisfy regular expression pattern: [\\w]*".to_owned()
    } else {
        return Ok(());
    };
    // The value is not echoed: it may be a secret pasted by mistake.
    Err(err(
        ErrorCode::ValidationError,
        format!("1 validation error detected: Value at 'accessKeyId' failed to satisfy constraint: {constraint}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn key_ids_are_16_to_128_ascii_word_characters() {
        assert!(validate("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(validate(&"A".repeat(128)).is_ok());
        for bad in [
            "AKIA",
            "AKIA-QQQQQQQQQQQQ",
            "AKIAQQQQQQQQQQQQQQQé",
            &"A".repeat(129),
        ] {
            let e = validate(bad).unwrap_err();
            assert_eq!(e.code, iam_model::ErrorCode::ValidationError, "{bad}");
            assert!(
                !e.message.contains(bad),
                "the value is not echoed: {}",
                e.message
            );
        }
    }
}
