//! Sandbox mode on the HTTP port (see the parent module's documentation and
//! `crate::sandbox`): made-up credentials acting as the sandbox user, and the reset
//! endpoint.

use super::{audited, is_form};
use crate::api::ApiState;
use crate::auth::{Caller, CallerKind};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use iam_auth::sigv4::{self, AuthForm, SignedRequest};
use iam_auth::{AuthError, AuthErrors};
use iam_model::ErrorCode;
use std::net::SocketAddr;

/// A sandbox's stand-in for a key it has never seen: the sandbox user
/// ([`crate::sandbox::USER`]), when the request is one an SDK sends and a web page cannot
/// (see the parent module's documentation). The host was checked by `authenticate` before
/// the key was looked up.
pub(super) fn caller(
    s: &ApiState,
    req: &SignedRequest,
    service: &str,
    now_ms: u64,
) -> Result<Caller, AuthError> {
    let auth = sigv4::parse(req)?;
    if s.auth.knows_key(&auth.access_key_id) {
        // Deleted, deactivated, not yet replicated here, or a session key: as anywhere.
        return Err(AuthError::invalid_client_token_id());
    }
    let sdk_shaped = auth.form == AuthForm::Header
        && req.method == "POST"
        && is_form(req.header("content-type"))
        && req.header("origin").is_none()
        && req.header("sec-fetch-site").is_none();
    if !sdk_shaped {
        return Err(AuthError::new(
            ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid. (A sandbox lets an \
             unknown access key act as its user only in a POST with a form body, signed in \
             the Authorization header, not sent by a web browser.)",
        ));
    }
    sigv4::check_unverifiable(req, &auth, service, now_ms)?;
    let Some(user) = crate::sandbox::user(&s.view) else {
        return Err(AuthError::new(
            ErrorCode::InvalidClientTokenId,
            format!(
                "The security token included in the request is invalid. (The sandbox user \
                 {} no longer exists: POST /_iamd/sandbox/reset recreates it.)",
                crate::sandbox::USER
            ),
        ));
    };
    let mut caller = Caller::root(crate::sandbox::ACCOUNT);
    caller.arn = user.arn;
    caller.kind = CallerKind::User { name: user.name };
    caller.access_key_id = auth.access_key_id;
    caller.region = auth.region;
    Ok(caller)
}

/// `POST /_iamd/sandbox/reset`: wipes the whole state and recreates the sandbox account
/// and its user (sandbox mode only; 404 otherwise). `curl -X POST` resets; a web browser
/// cannot: a request carrying a browser's `Origin` or `Sec-Fetch-Site` (every cross-site
/// form or `fetch` has one) is refused, and so is one addressed to a name that is not the
/// node's (a page that reached the port through its own DNS name).
pub(crate) async fn reset_endpoint(
    State(s): State<ApiState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let st = s.clone();
    audited(&st, peer, "SandboxReset", move |_| reset(s, headers)).await
}

/// A refusal of the reset endpoint, in plain text, noted for the audit line.
fn reset_refused(status: StatusCode, code: ErrorCode, text: String) -> Response {
    crate::audit::note(|e| e.failed(code.as_str(), text.trim_end()));
    (status, text).into_response()
}

async fn reset(s: ApiState, headers: HeaderMap) -> Response {
    crate::audit::note(|e| e.action = Some("iamd:SandboxReset".to_owned()));
    if !s.sandbox {
        return reset_refused(
            StatusCode::NOT_FOUND,
            ErrorCode::InvalidAction,
            "not a sandbox node\n".to_owned(),
        );
    }
    let host = headers.get("host").and_then(|h| h.to_str().ok());
    if !host.is_some_and(|h| s.auth.hosts().allows(h)) {
        return reset_refused(
            StatusCode::FORBIDDEN,
            ErrorCode::AccessDenied,
            format!(
                "refused: the request is addressed to '{}', which is not a name of this node\n",
                host.unwrap_or_default()
            ),
        );
    }
    if headers.contains_key("origin") || headers.contains_key("sec-fetch-site") {
        return reset_refused(
            StatusCode::FORBIDDEN,
            ErrorCode::AccessDenied,
            "refused: a web browser may not reset a sandbox (the request has an Origin or Sec-Fetch-Site header)\n".to_owned(),
        );
    }
    let cmd = iam_state::Command::SandboxReset {
        account_id: crate::sandbox::ACCOUNT.into(),
        name: "sandbox".into(),
        email: "root@sandbox.example.com".into(),
    };
    let index = match s.write_internal(cmd).await {
        Ok(index) => index,
        Err(e) => {
            return reset_refused(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                format!("reset failed: {}\n", e.message),
            )
        }
    };
    // The reset's own log index makes this attempt's request tokens unique.
    let token = format!("iamd-sandbox-reset-{index}");
    let ensured = match crate::sandbox::create_user(&s, &token).await {
        // Answer once this node has applied it: the next request here authenticates
        // against this node's state.
        Ok(()) => s.read_linearizable().await.map(drop).map_err(|e| e.message),
        Err(e) => Err(e),
    };
    match ensured {
        Ok(()) => (
            StatusCode::OK,
            format!("{{\"reset\":true,\"log_index\":{index}}}\n"),
        )
            .into_response(),
        Err(e) => reset_refused(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            format!("reset done (log index {index}), but {e}; reset again\n"),
        ),
    }
}
