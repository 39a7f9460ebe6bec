//! A role trust policy's named users and roles are bound to their unique ids when the policy
//! is saved, as IAM does: "If your Principal element in a role trust policy contains an ARN
//! that points to a specific IAM role [or user], then that ARN transforms to the role's
//! unique principal ID when you save the policy … if you delete the role, then you break the
//! relationship. The policy no longer applies, even if you recreate the role" (IAM User
//! Guide, "AWS JSON policy elements: Principal").
//!
//! iamd keeps the document as written and records ARN → unique id beside it
//! ([`iam_model::Role::trust_principal_ids`]). The policy *in force* ([`in_force`]) is the
//! document with every ARN whose principal is gone, or is another principal now, replaced by
//! the id it was bound to — which matches nobody. STS evaluates that document and GetRole /
//! ListRoles show it, as IAM shows the id of a deleted principal. All of it reads only the
//! replicated state, so apply stays deterministic.

use crate::keys;
use crate::store::{decode, StateRead};
use iam_model::{ErrorCode, IamError, IamResult, Role, User};
use std::collections::BTreeMap;

/// The unique id of the IAM user or role whose ARN is exactly `arn` (path included), if
/// there is one now.
pub fn principal_id(state: &dyn StateRead, arn: &str) -> Option<String> {
    principal(state, arn).map(|(id, _)| id)
}

/// The unique id and creation time of the IAM user or role whose ARN is exactly `arn`.
pub fn principal(state: &dyn StateRead, arn: &str) -> Option<(String, u64)> {
    let mut it = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("iam"), Some(""), Some(account), Some(resource)) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return None;
    };
    let (kind, rest) = resource.split_once('/')?;
    let name = rest.rsplit('/').next().filter(|n| !n.is_empty())?;
    match kind {
        "user" => {
            let key = keys::user(account, name);
            let user: User = decode(&key, &state.get(&key)?)?;
            (user.arn == arn).then_some((user.id, user.created_ms))
        }
        "role" => {
            let key = keys::role(account, name);
            let role: Role = decode(&key, &state.get(&key)?)?;
            (role.arn == arn).then_some((role.id, role.created_ms))
        }
        _ => None,
    }
}

/// Binds the users and roles `policy` names to their unique ids. With `require`, a named
/// principal that does not exist is AWS's `MalformedPolicyDocument` ("Invalid principal in
/// policy"); without it (a dry run on a node whose state may lag) it is left out.
pub(crate) fn bind(
    state: &dyn StateRead,
    policy: &iam_policy::Policy,
    require: bool,
) -> IamResult<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    for arn in policy.named_principals() {
        match principal_id(state, arn) {
            Some(id) => {
                ids.insert(arn.to_owned(), id);
            }
            None if require => {
                return Err(IamError::new(
                    ErrorCode::MalformedPolicyDocument,
                    format!("Invalid principal in policy: \"AWS\":\"{arn}\""),
                ))
            }
            None => {}
        }
    }
    Ok(ids)
}

/// The bound ARNs whose principal is gone or is another principal now, with the id each
/// was bound to.
pub fn unbound(state: &dyn StateRead, role: &Role) -> Vec<(String, String)> {
    role.trust_principal_ids
        .iter()
        .flatten()
        .filter(|(arn, id)| principal_id(state, arn).as_deref() != Some(id.as_str()))
        .map(|(arn, id)| (arn.clone(), id.clone()))
        .collect()
}

/// The trust policy in force: the document as saved, with each ARN of [`unbound`] replaced
/// by the unique id it was bound to (unchanged text when every named principal is still
/// the one it was bound to, or for a role saved before iamd bound principals).
pub fn in_force(state: &dyn StateRead, role: &Role) -> String {
    let gone = unbound(state, role);
    if gone.is_empty() {
        return role.assume_role_policy.clone();
    }
    let replace = |arn: &str| {
        gone.iter()
            .find(|(a, _)| a == arn)
            .map(|(_, id)| id.clone())
    };
    iam_policy::replace_aws_principals(&role.assume_role_policy, &replace)
        .unwrap_or_else(|| role.assume_role_policy.clone())
}
