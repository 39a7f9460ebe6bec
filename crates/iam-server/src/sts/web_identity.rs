//! `AssumeRoleWithWebIdentity`: role credentials for the holder of an OpenID Connect ID
//! token (a Kubernetes service-account token, a CI system's token) — unsigned, as in AWS.
//!
//! The steps, as AWS takes them: the token's issuer must be an OpenID Connect provider of
//! the role's account (`CreateOpenIDConnectProvider`); its signature must verify with the
//! provider's published keys (`oidc_keys`: fetched over HTTPS trusted by the provider's
//! thumbprints) and its times hold (`iam_auth::jwt`); its audience (`azp`, else `aud`) must
//! be one of the provider's client ids; then the role's trust policy must allow the
//! provider as `Federated` principal for `sts:AssumeRoleWithWebIdentity`, with the token's
//! claims as condition keys (`<provider url>:aud`, `:sub`, `:amr`) — iam-authz decides
//! (`decide_federated_assume`). The session is the role's, bound to its unique id; its
//! duration, session policies and session name follow AssumeRole's rules.
//!
//! Nothing here trusts the token before its signature verified, except its issuer, which
//! only selects a provider that an account created.

use super::{
    assumed_role_arn, err, new_session_key, required, role_arn_parts, role_duration, session_name,
};
use super::{session_policies, StsError};
use crate::api::ApiState;
use iam_auth::jwt::{self, JwtError};
use iam_auth::token::{issue, SessionClaims};
use iam_authz::FederatedAsk;
use iam_aws::{Params, StsResult};
use iam_model::ErrorCode;

const ACTION: &str = "sts:AssumeRoleWithWebIdentity";

fn not_authorized() -> StsError {
    err(
        ErrorCode::AccessDenied,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )
}

/// Serves one `AssumeRoleWithWebIdentity` from `source_ip` (`secure`: over TLS).
pub(crate) async fn assume_role_with_web_identity(
    s: &ApiState,
    params: &Params,
    source_ip: Option<&str>,
    secure: bool,
) -> Result<StsResult, StsError> {
    let role_arn = required(params, "RoleArn")?.to_owned();
    let session_name = session_name(params)?;
    let token = required(params, "WebIdentityToken")?;
    if params.get("ProviderId").is_some() {
        return Err(err(
            ErrorCode::InvalidIdentityToken,
            "ProviderId names an OAuth 2.0 provider (Login with Amazon, Facebook); iamd federates OpenID Connect providers only: omit it",
        ));
    }
    if !(jwt::TOKEN_LEN_MIN..=jwt::TOKEN_LEN_MAX).contains(&token.len()) {
        return Err(err(ErrorCode::ValidationError,
            format!("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between {} and {}", jwt::TOKEN_LEN_MIN, jwt::TOKEN_LEN_MAX),
        ));
    }
    let (account, role_name) = role_arn_parts(&role_arn)?;
    let (policy, policy_arns) = session_policies(params)?;
    let peeked = jwt::peek(token).map_err(|e| e.to_iam())?;
    let no_provider = || {
        err(
            ErrorCode::InvalidIdentityToken,
            format!(
                "No OpenIDConnect provider found in your account for {}",
                peeked.issuer
            ),
        )
    };
    let url = peeked
        .issuer
        .strip_prefix("https://")
        .ok_or_else(no_provider)?;
    let provider =
        iam_state::ops::oidc_providers::by_url(&s.view, &account, url).ok_or_else(no_provider)?;
    crate::audit::note(|e| {
        e.principal = Some(provider.arn.clone());
        e.account = Some(account.clone());
    });
    let role = iam_state::ops::roles::load(&iam_state::Txn::new(&s.view), &account, &role_name)
        .map_err(|_| not_authorized())?;
    if role.arn != role_arn {
        return Err(not_authorized());
    }
    let d = role_duration(params, &role, false)?;
    // The token: signed by a key of the provider, in its time.
    let keys = s
        .oidc
        .keys(
            &peeked.issuer,
            &provider.thumbprints,
            peeked.key_id.as_deref(),
        )
        .await?;
    let now = crate::now_ms();
    let claims = jwt::verify(token, &keys, now).map_err(|e| e.to_iam())?;
    if claims.issuer != peeked.issuer {
        return Err(JwtError::BadSignature.to_iam());
    }
    let audience = claims
        .authorized_party
        .iter()
        .chain(&claims.audiences)
        .find(|a| provider.client_ids.contains(a))
        .cloned()
        .ok_or_else(|| err(ErrorCode::InvalidIdentityToken, "Incorrect token audience"))?;
    // The role's trust policy, with the token's claims as condition keys.
    let mut claim_keys = vec![
        (format!("{url}:aud"), vec![audience.clone()]),
        (format!("{url}:sub"), vec![claims.subject.clone()]),
    ];
    if !claims.methods.is_empty() {
        claim_keys.push((format!("{url}:amr"), claims.methods.clone()));
    }
    let ask = FederatedAsk {
        action: ACTION,
        provider_arn: &provider.arn,
        claims: &claim_keys,
        session_name: &session_name,
        source_ip,
        secure_transport: secure,
        now,
    };
    let decided = s
        .view
        .consistent(|state, _| s.authz.decide_federated_assume(state, &role, &ask));
    let denial = decided.as_ref().err().map(|d| {
        if let Some(statement) = &d.deciding_statement {
            crate::audit::note_deciding_statement(statement);
        }
        d.error.message.clone()
    });
    crate::audit::note_decision(ACTION, vec![role.arn.clone()], denial.as_deref());
    decided.map_err(|_| not_authorized())?;
    let ring = s.auth.key_ring()?;
    let session_arn = assumed_role_arn(&account, &role.name, &session_name);
    let session = SessionClaims {
        access_key_id: new_session_key(),
        account: account.clone(),
        principal_arn: role.arn.clone(),
        session_arn: session_arn.clone(),
        session_name: session_name.clone(),
        issued_ms: now,
        expires_ms: now + d * 1000,
        mfa_authenticated_ms: None,
        source_identity: None,
        session_policy: policy,
        session_policy_arns: policy_arns,
        session_tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        role_chained: false,
        source_key: None,
        principal_id: Some(role.id.clone()),
    };
    Ok(StsResult::AssumedRoleWithWebIdentity {
        credentials: issue(&ring, &session, rand::random()),
        subject: claims.subject,
        assumed_role_id: format!("{}:{session_name}", role.id),
        arn: session_arn,
        provider: provider.arn,
        audience,
    })
}
