//! `GetFederationToken`: temporary credentials for a *federated user* — a name the calling
//! IAM user (or the root) chooses for someone it authenticated itself (a proxy application's
//! end user). As AWS documents it: the caller must use long-term credentials; the IAM user
//! needs `sts:GetFederationToken` on `arn:aws:sts::A:federated-user/NAME`; the session lasts
//! 15 minutes to 36 hours (default 12 hours; a root's session at most 1 hour, longer
//! requests are cut to it); its permissions are the intersection of the caller's policies
//! and the session policies passed (`Policy`, `PolicyArns`; none passed: no permissions);
//! and the session can call no IAM operation and no STS operation but `GetCallerIdentity`
//! (`auth::authorize` refuses them), so in iamd it proves an identity
//! (`arn:aws:sts::A:federated-user/NAME`, user id `A:NAME`) rather than grants IAM rights.

use super::{err, members, new_session_key, principal_id_of, session_policies, StsError};
use crate::api::ApiState;
use crate::auth::authorize::Scope;
use crate::auth::{Caller, CallerKind};
use iam_auth::token::{issue, SessionClaims};
use iam_aws::{Params, StsResult};
use iam_model::{ErrorCode, IamError};
use iam_state::ops::target::Target;

const MIN_S: u64 = 900;
const MAX_S: u64 = 129_600;
const DEFAULT_S: u64 = 43_200;
const ROOT_MAX_S: u64 = 3600;

/// `Name`: 2 to 32 characters of `[\w+=,.@-]`.
fn federated_name(params: &Params) -> Result<String, StsError> {
    let name = super::required(params, "Name")?;
    let constraint = if name.len() < 2 {
        Some("Member must have length greater than or equal to 2")
    } else if name.len() > 32 {
        Some("Member must have length less than or equal to 32")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        Some("Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    } else {
        None
    };
    match constraint {
        Some(c) => Err(IamError::validation("name", name, c)),
        None => Ok(name.to_owned()),
    }
}

/// `DurationSeconds`: 900 to 129,600 (AWS's message out of range); a root's is cut to 1 hour.
fn federation_duration(params: &Params, root: bool) -> Result<u64, StsError> {
    let d = match params.get("DurationSeconds") {
        None => DEFAULT_S,
        Some(text) => {
            let d: u64 = text.parse().map_err(|_| {
                IamError::validation("durationSeconds", text, "Member must be a number")
            })?;
            if !(MIN_S..=MAX_S).contains(&d) {
                let c = if d < MIN_S {
                    "Member must have value greater than or equal to 900"
                } else {
                    "Member must have value less than or equal to 129600"
                };
                return Err(IamError::validation("durationSeconds", text, c));
            }
            d
        }
    };
    Ok(if root { d.min(ROOT_MAX_S) } else { d })
}

/// `GetFederationToken` (parameters as AWS names them).
pub(crate) async fn get_federation_token(
    s: &ApiState,
    caller: &Caller,
    params: &Params,
) -> Result<StsResult, StsError> {
    if caller.session.is_some()
        || !matches!(caller.kind, CallerKind::User { .. } | CallerKind::Root)
    {
        return Err(err(
            ErrorCode::AccessDenied,
            "Cannot call GetFederationToken with session credentials",
        ));
    }
    let name = federated_name(params)?;
    let d = federation_duration(params, caller.is_root())?;
    let (policy, policy_arns) = session_policies(params)?;
    let tags: Vec<(String, String)> = members(params, "Tags", "Key")
        .into_iter()
        .zip(members(params, "Tags", "Value"))
        .collect();
    let account = caller.account.clone();
    let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
    s.check(
        caller,
        Scope::Account(&account),
        &Target::new("sts:GetFederationToken", arn.clone()),
        false,
    )?;
    if !tags.is_empty() {
        s.check(
            caller,
            Scope::Account(&account),
            &Target {
                request_tags: tags.clone(),
                ..Target::new("sts:TagSession", arn.clone())
            },
            false,
        )?;
    }
    let ring = s.auth.key_ring()?;
    let now = crate::now_ms();
    let claims = SessionClaims {
        access_key_id: new_session_key(),
        account: account.clone(),
        principal_arn: caller.arn.clone(),
        session_arn: arn.clone(),
        session_name: name.clone(),
        issued_ms: now,
        expires_ms: now + d * 1000,
        mfa_authenticated_ms: None,
        source_identity: None,
        session_policy: policy,
        session_policy_arns: policy_arns,
        session_tags: tags,
        transitive_tag_keys: Vec::new(),
        role_chained: false,
        source_key: Some(caller.access_key_id.clone()),
        // The session ends with the user that made it (not with a new one of its name).
        principal_id: principal_id_of(s, &caller.arn),
    };
    Ok(StsResult::FederationToken {
        credentials: issue(&ring, &claims, rand::random()),
        federated_user_id: format!("{account}:{name}"),
        arn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Params::from_request(b"", body.join("&").as_bytes()).unwrap()
    }

    #[test]
    fn names_and_durations_follow_aws_constraints() {
        assert_eq!(federated_name(&params(&[("Name", "bob")])).unwrap(), "bob");
        for bad in ["b", "a-name-that-is-longer-than-thirty-two", "bad%20name"] {
            let e = federated_name(&params(&[("Name", bad)])).unwrap_err();
            assert_eq!(e.code, ErrorCode::ValidationError, "{bad}");
            assert!(e.message.contains("at 'name'"), "{}", e.message);
        }
        assert_eq!(
            federated_name(&params(&[])).unwrap_err().code,
            ErrorCode::MissingParameter
        );
        assert_eq!(federation_duration(&params(&[]), false).unwrap(), 43_200);
        assert_eq!(federation_duration(&params(&[]), true).unwrap(), 3600);
        let long = params(&[("DurationSeconds", "129600")]);
        assert_eq!(federation_duration(&long, false).unwrap(), 129_600);
        assert_eq!(federation_duration(&long, true).unwrap(), 3600);
        for bad in ["899", "129601", "x"] {
            let e = federation_duration(&params(&[("DurationSeconds", bad)]), false).unwrap_err();
            assert_eq!(e.code, ErrorCode::ValidationError, "{bad}");
        }
    }
}
