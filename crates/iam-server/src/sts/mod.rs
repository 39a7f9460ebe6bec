//! AWS STS (2011-06-15) on the HTTP port: `GetCallerIdentity`, `GetSessionToken`,
//! `AssumeRole` and `GetAccessKeyInfo` (`key_info.rs`). Temporary credentials are
//! self-contained (`iam_auth::token`): the node that issues them writes nothing, and any node
//! verifies them with the replicated key ring.

mod federation;
mod key_info;
mod oidc_keys;
mod params;
mod web_identity;

pub(crate) use oidc_keys::{FetchPolicy, OidcKeys};
use params::{
    duration, members, required, role_arn_parts, role_duration, session_name, session_policies,
};

pub(crate) use key_info::get_access_key_info;

use crate::api::ApiState;
use crate::auth::{Caller, CallerKind};
use crate::trust::{trust_allows, AssumeAsk};
use iam_auth::token::{issue, IssuedCredentials, SessionClaims};
use iam_aws::{Params, StsResult};
use iam_model::ids::{unique_id, IdPrefix};
use iam_model::{ErrorCode, IamError};

/// An STS refusal: its AWS code and message (rendered by the transport that answers).
pub(crate) type StsError = IamError;

/// GetSessionToken: 15 minutes to 36 hours (root: at most 1 hour), default 12 hours.
const SESSION_MIN_S: u64 = 900;
const SESSION_MAX_S: u64 = 129_600;
const ROOT_SESSION_MAX_S: u64 = 3600;
/// A role session created from another role session lasts at most 1 hour.
const CHAINED_MAX_S: u64 = 3600;
/// AssumeRole's `DurationSeconds` range ends at 12 hours (the largest MaxSessionDuration).
const ASSUME_ROLE_MAX_S: u64 = 43_200;
/// The packed (session) policy limit.
const SESSION_POLICY_MAX: usize = 2048;

/// The STS actions, which are routed here even unsigned (AWS accepts a few unsigned).
pub(crate) fn is_sts_action(action: &str) -> bool {
    matches!(
        action,
        "GetCallerIdentity"
            | "GetSessionToken"
            | "AssumeRole"
            | "AssumeRoleWithSAML"
            | "AssumeRoleWithWebIdentity"
            | "GetFederationToken"
            | "DecodeAuthorizationMessage"
            | "GetAccessKeyInfo"
            | "AssumeRoot"
    )
}

/// The STS actions AWS serves without a signature (the token or assertion authenticates).
pub(crate) fn is_unsigned_action(action: &str) -> bool {
    action == "AssumeRoleWithWebIdentity"
}

/// Serves one unsigned STS request (see [`is_unsigned_action`]) from `source_ip`.
pub(crate) async fn handle_unsigned(
    s: &ApiState,
    params: &Params,
    source_ip: &str,
) -> Result<StsResult, StsError> {
    match params.get("Action").unwrap_or_default() {
        "AssumeRoleWithWebIdentity" => {
            web_identity::assume_role_with_web_identity(
                s,
                params,
                Some(source_ip),
                s.secure_transport,
            )
            .await
        }
        other => Err(err(
            ErrorCode::MissingAuthenticationToken,
            format!("{other} must be signed"),
        )),
    }
}

fn err(code: ErrorCode, message: impl Into<String>) -> StsError {
    IamError::new(code, message)
}

/// Serves one STS request of an authenticated caller; returns what it answered (the AWS
/// adapter writes it as XML: `iam_aws::render_sts`).
pub(crate) async fn handle(
    s: &ApiState,
    caller: &Caller,
    params: &Params,
) -> Result<StsResult, StsError> {
    let action = params.get("Action").unwrap_or_default();
    if is_sts_action(action) {
        crate::audit::note(|e| {
            e.action.get_or_insert_with(|| format!("sts:{action}"));
        });
    }
    // A federated user's session may call GetCallerIdentity only (AWS).
    if matches!(caller.kind, CallerKind::Federated { .. })
        && action != "GetCallerIdentity"
        && is_sts_action(action)
    {
        return Err(err(
            ErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: sts:{action}: a federated user's session can call no STS operation but GetCallerIdentity",
                caller.arn
            ),
        ));
    }
    match action {
        "GetCallerIdentity" => {
            let (arn, user_id, account) = identity(s, caller);
            Ok(StsResult::CallerIdentity {
                arn,
                user_id,
                account,
            })
        }
        "GetSessionToken" => Ok(StsResult::SessionToken(
            get_session_token(s, caller, params).await?,
        )),
        "AssumeRole" => {
            let a = assume_role(s, caller, params).await?;
            Ok(StsResult::AssumedRole {
                credentials: a.credentials,
                assumed_role_id: a.assumed_role_id,
                arn: a.arn,
                source_identity: a.source_identity,
            })
        }
        "GetFederationToken" => federation::get_federation_token(s, caller, params).await,
        // Signed needlessly (AWS accepts it either way): the token still decides.
        "AssumeRoleWithWebIdentity" => {
            web_identity::assume_role_with_web_identity(
                s,
                params,
                caller.source_ip.as_deref(),
                caller.secure_transport,
            )
            .await
        }
        "GetAccessKeyInfo" => Ok(StsResult::AccessKeyInfo {
            account: get_access_key_info(s, caller, params).await?,
        }),
        "" => Err(err(ErrorCode::MissingAction, "Missing Action")),
        a if is_sts_action(a) => Err(err(
            ErrorCode::NotImplemented,
            format!("iamd does not implement the STS operation {a}"),
        )),
        a => Err(err(
            ErrorCode::InvalidAction,
            format!("Could not find operation {a} for version 2011-06-15"),
        )),
    }
}

/// `UserId` as AWS reports it: the account for the root, `AIDA…` for users, `AROA…:session`.
fn user_id(s: &ApiState, caller: &Caller) -> String {
    let txn = iam_state::Txn::new(&s.view);
    match &caller.kind {
        CallerKind::Root => caller.account.clone(),
        CallerKind::User { name } => iam_state::ops::users::load(&txn, &caller.account, name)
            .map(|u| u.id)
            .unwrap_or_default(),
        CallerKind::Role { role, session } => {
            let id = iam_state::ops::roles::load(&txn, &caller.account, role)
                .map(|r| r.id)
                .unwrap_or_default();
            format!("{id}:{session}")
        }
        CallerKind::Federated { name } => format!("{}:{name}", caller.account),
    }
}

/// `GetCallerIdentity`: (ARN, UserId, Account).
pub(crate) fn identity(s: &ApiState, caller: &Caller) -> (String, String, String) {
    (
        caller.arn.clone(),
        user_id(s, caller),
        caller.account.clone(),
    )
}

fn new_session_key() -> String {
    unique_id(
        IdPrefix::TemporaryAccessKey,
        &rand::random::<[u8; 32]>(),
        16,
    )
}

/// `GetSessionToken` (parameters as AWS names them).
pub(crate) async fn get_session_token(
    s: &ApiState,
    caller: &Caller,
    params: &Params,
) -> Result<IssuedCredentials, StsError> {
    if caller.session.is_some() {
        return Err(err(
            ErrorCode::AccessDenied,
            "Cannot call GetSessionToken with session credentials",
        ));
    }
    if matches!(caller.kind, CallerKind::Role { .. }) {
        return Err(err(
            ErrorCode::AccessDenied,
            "Roles cannot call GetSessionToken",
        ));
    }
    let mfa_ms = mfa(s, caller, params).await?;
    let max = if caller.is_root() {
        ROOT_SESSION_MAX_S
    } else {
        SESSION_MAX_S
    };
    let d = duration(params, 43_200, max)?;
    let now = crate::now_ms();
    let ring = s.auth.key_ring()?;
    let claims = SessionClaims {
        source_key: Some(caller.access_key_id.clone()),
        principal_id: principal_id_of(s, &caller.arn),
        ..own_session(&caller.account, &caller.arn, now, d, mfa_ms)
    };
    Ok(issue(&ring, &claims, rand::random()))
}

/// The unique id of the user or role at `arn` now (sessions are bound to it; `None` for the
/// root).
pub(crate) fn principal_id_of(s: &ApiState, arn: &str) -> Option<String> {
    iam_state::ops::roles::trust_binding::principal_id(&s.view, arn)
}

/// The claims of a session of a user (or the root) acting as itself (`GetSessionToken`,
/// password sign-in): no role, no session policy, no tags. The caller binds a user's
/// session to the user's unique id (`principal_id`).
pub(crate) fn own_session(
    account: &str,
    arn: &str,
    now_ms: u64,
    duration_s: u64,
    mfa_ms: Option<u64>,
) -> SessionClaims {
    SessionClaims {
        access_key_id: new_session_key(),
        account: account.to_owned(),
        principal_arn: arn.to_owned(),
        session_arn: arn.to_owned(),
        session_name: String::new(),
        issued_ms: now_ms,
        expires_ms: now_ms + duration_s * 1000,
        mfa_authenticated_ms: mfa_ms,
        source_identity: None,
        session_policy: None,
        session_policy_arns: Vec::new(),
        session_tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        role_chained: false,
        source_key: None,
        principal_id: None,
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: a role session's ARN.
fn assumed_role_arn(account: &str, role: &str, session: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")
}

/// What AssumeRole returns.
pub(crate) struct Assumed {
    pub credentials: IssuedCredentials,
    /// `arn:aws:sts::A:assumed-role/R/S`.
    pub arn: String,
    /// `AROA…:S`.
    pub assumed_role_id: String,
    pub source_identity: Option<String>,
}

/// `AssumeRole` (parameters as AWS names them).
pub(crate) async fn assume_role(
    s: &ApiState,
    caller: &Caller,
    params: &Params,
) -> Result<Assumed, StsError> {
    let role_arn = required(params, "RoleArn")?.to_owned();
    let session_name = session_name(params)?;
    // The role: in the caller's account or another one (then both the trust policy and the
    // caller's identity policies must allow it).
    let (account, role_name) = role_arn_parts(&role_arn)?;
    let not_authorized = || {
        err(
            ErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn
            ),
        )
    };
    if caller.is_root() {
        return Err(err(
            ErrorCode::AccessDenied,
            "Roles may not be assumed by root accounts.",
        ));
    }
    if matches!(caller.kind, CallerKind::Federated { .. }) {
        return Err(not_authorized());
    }
    // (The transaction borrows the state: it must not live across an await.)
    let role = iam_state::ops::roles::load(&iam_state::Txn::new(&s.view), &account, &role_name)
        .map_err(|_| not_authorized())?;
    if role.arn != role_arn {
        return Err(not_authorized());
    }
    // Role chaining (a role session assuming a role) is capped at one hour; otherwise the
    // role's MaxSessionDuration is the cap (AWS's messages for both).
    let chained = matches!(caller.kind, CallerKind::Role { .. });
    let d = role_duration(params, &role, chained)?;
    let (policy, policy_arns) = session_policies(params)?;
    let tags: Vec<(String, String)> = members(params, "Tags", "Key")
        .into_iter()
        .zip(members(params, "Tags", "Value"))
        .collect();
    let transitive = (1..=50)
        .map_while(|i| {
            params
                .get(&format!("TransitiveTagKeys.member.{i}"))
                .map(str::to_owned)
        })
        .collect::<Vec<_>>();
    let mfa_ms = mfa(s, caller, params).await?;
    let now = crate::now_ms();
    let external_id = params.get("ExternalId").map(str::to_owned);
    let source_identity = params.get("SourceIdentity").map(str::to_owned);
    let ask = AssumeAsk {
        action: "sts:AssumeRole",
        external_id: external_id.as_deref(),
        source_identity: source_identity.as_deref(),
        session_name: &session_name,
        tags: &tags,
        mfa_ms,
        now,
    };
    trust_allows(s, caller, &role, &ask)
        .then_some(())
        .ok_or_else(not_authorized)?;
    // Passing session tags needs `sts:TagSession` from the trust policy too (AWS).
    if !tags.is_empty() || !transitive.is_empty() {
        let tag_ask = AssumeAsk {
            action: "sts:TagSession",
            ..ask
        };
        if !trust_allows(s, caller, &role, &tag_ask) {
            return Err(err(
                ErrorCode::AccessDenied,
                format!(
                    "User: {} is not authorized to perform: sts:TagSession on resource: {role_arn}",
                    caller.arn
                ),
            ));
        }
    }
    let ring = s.auth.key_ring()?;
    let session_arn = assumed_role_arn(&account, &role.name, &session_name);
    // Role chaining: the calling session's transitive tags carry over (and stay transitive),
    // and so does its source identity; neither may be changed on the way.
    let (session_tags, transitive) = chained_tags(caller, tags, transitive)?;
    let source_identity = chained_source_identity(caller, source_identity)?;
    let claims = SessionClaims {
        access_key_id: new_session_key(),
        account: account.clone(),
        principal_arn: role.arn.clone(),
        session_arn: session_arn.clone(),
        session_name: session_name.clone(),
        issued_ms: now,
        expires_ms: now + d * 1000,
        mfa_authenticated_ms: mfa_ms
            .or(caller.session.as_ref().and_then(|s| s.mfa_authenticated_ms)),
        source_identity: source_identity.clone(),
        session_policy: policy,
        session_policy_arns: policy_arns,
        session_tags,
        transitive_tag_keys: transitive,
        role_chained: chained,
        source_key: Some(caller.access_key_id.clone()),
        // The session is bound to this role, not to whatever role later has its name.
        principal_id: Some(role.id.clone()),
    };
    Ok(Assumed {
        credentials: issue(&ring, &claims, rand::random()),
        arn: session_arn,
        assumed_role_id: format!("{}:{session_name}", role.id),
        source_identity,
    })
}

/// Session tags (key, value) and the keys among them that are transitive.
type SessionTags = (Vec<(String, String)>, Vec<String>);

/// The tags of a session created by `caller`: the request's `tags` and the calling
/// session's transitive tags (which stay transitive). Passing a tag whose key the calling
/// session made transitive is refused: a chained session cannot change an inherited
/// transitive tag (tag keys compare ignoring case).
fn chained_tags(
    caller: &Caller,
    tags: Vec<(String, String)>,
    transitive: Vec<String>,
) -> Result<SessionTags, StsError> {
    let Some(prev) = &caller.session else {
        return Ok((tags, transitive));
    };
    let inherited = |k: &str| {
        prev.transitive_tag_keys
            .iter()
            .any(|t| t.eq_ignore_ascii_case(k))
    };
    if let Some((k, _)) = tags.iter().find(|(k, _)| inherited(k)) {
        return Err(err(ErrorCode::ValidationError,
            format!("The session tag {k} is a transitive tag of the calling session and cannot be changed by role chaining."),
        ));
    }
    let mut session_tags = tags;
    let mut transitive = transitive;
    for (k, v) in &prev.session_tags {
        if inherited(k) {
            session_tags.push((k.clone(), v.clone()));
            if !transitive.iter().any(|t| t.eq_ignore_ascii_case(k)) {
                transitive.push(k.clone());
            }
        }
    }
    Ok((session_tags, transitive))
}

/// The source identity of a session created by `caller`: once set, it persists through
/// role chaining and cannot be changed (AWS, "Monitor and control actions taken with
/// assumed roles").
fn chained_source_identity(
    caller: &Caller,
    requested: Option<String>,
) -> Result<Option<String>, StsError> {
    let Some(set) = caller
        .session
        .as_ref()
        .and_then(|s| s.source_identity.clone())
    else {
        return Ok(requested);
    };
    match requested {
        Some(other) if other != set => Err(err(ErrorCode::ValidationError,
            format!("The source identity of the calling session is {set}; a chained session cannot set another."),
        )),
        _ => Ok(Some(set)),
    }
}

/// Verifies and consumes the request's MFA code (`SerialNumber` + `TokenCode`) with a Raft
/// write, so a code is accepted once in the whole cluster and wrong codes are counted per
/// device (locked after a few: `crate::mfa`); returns when it was verified.
async fn mfa(s: &ApiState, caller: &Caller, params: &Params) -> Result<Option<u64>, StsError> {
    let (serial, code) = match (params.get("SerialNumber"), params.get("TokenCode")) {
        (None, None) => return Ok(None),
        (Some(serial), Some(code)) => (serial, code),
        _ => {
            return Err(err(
                ErrorCode::ValidationError,
                "SerialNumber and TokenCode must be given together",
            ))
        }
    };
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(ErrorCode::ValidationError,
            format!("1 validation error detected: Value '{code}' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*"),
        ));
    }
    // An IAM user's device, or the root's (`mfa::ROOT`).
    let user = match &caller.kind {
        CallerKind::User { name } => name.as_str(),
        CallerKind::Root => iam_state::ops::mfa::ROOT,
        CallerKind::Role { .. } | CallerKind::Federated { .. } => {
            return Err(err(
                ErrorCode::AccessDenied,
                "MultiFactorAuthentication failed: a session has no MFA device of its own",
            ))
        }
    };
    let checked = s
        .check_mfa_code(&caller.account, user, serial, code)
        .await?;
    match checked {
        Some(ms) => Ok(Some(ms)),
        None => Err(err(
            ErrorCode::AccessDenied,
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )),
    }
}
