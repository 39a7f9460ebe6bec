//! The AWS IAM Query API on each node's HTTP port (`POST /`, form-encoded `Action=...`), as
//! the AWS CLI and SDKs speak it: `iam_aws` turns the form into a native command or query and
//! the result into AWS's XML; this module resolves the account, runs the call on this node
//! (writes go through Raft like gRPC writes; reads are linearizable, so a script that writes
//! through one node and reads through another sees its writes) and answers.
//!
//! Every request is authenticated (SigV4, `crate::auth`) and authorized like a gRPC call:
//! the caller's account is the account the request acts in.
//!
//! What is signed is what is executed: the parameters are those of the query string and
//! of the form body together (AWS's Query protocol merges them), decoded by the decoder
//! SigV4's canonical query uses, each given once (`Params::from_request`); the query is
//! covered by the canonical request and the body by its SHA-256, which IAM and STS always
//! compute themselves (`UNSIGNED-PAYLOAD` is refused: `iam_auth::sigv4::verify`). A POST's
//! body must be `application/x-www-form-urlencoded`; a GET has none. The request must be
//! addressed to one of this node's names (`auth::hosts`).
//!
//! Sandbox mode (`--sandbox`, a test tool): a request signed with an access key id the
//! cluster has never issued (a test suite's made-up credentials) acts as the sandbox
//! account's administrator user (`crate::sandbox`), provided it could only have come from an SDK, never from a web page
//! the developer happens to open: a `POST` with a form body, signed in the `Authorization`
//! header (a browser sends that header cross-origin only after a CORS preflight, which
//! iamd never grants), well formed (scope, clock, body hash: everything but the signature
//! itself), without a browser's `Origin`, to one of the node's names (no DNS rebinding).
//! Unsigned and presigned requests are not accepted as that user, and a key the cluster knows
//! (in its state whatever its status, or issued by it and since deleted:
//! `iam_auth::key_id`) is verified as on any node.

use crate::api::ApiState;
use crate::auth::preauth::ReadError;
use crate::auth::CallerKind;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use iam_auth::sigv4::{self, sha256_hex, SignedRequest};
use iam_aws::{Answer, Call, Caller, Params};
use iam_model::{ErrorCode, IamError};
use serde_json::Value;
use std::net::SocketAddr;

mod sandbox;
mod simulate;

pub(crate) use sandbox::reset_endpoint as sandbox_reset;

/// `POST /` (and `GET /?Action=...`): the Query API and STS, through their audit edge.
pub(crate) async fn handle(
    State(s): State<ApiState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let st = s.clone();
    audited(&st, peer, "", move |rid| {
        serve(s, peer, method, uri, headers, body, rid)
    })
    .await
}

/// The audit edge of the HTTP port's API: the request runs in the scope of its audit
/// event, whose line is written once its answer is known (fail-closed: a request no sink
/// recorded is answered `ServiceUnavailable`, and none runs while no sink can).
async fn audited<F, Fut>(s: &ApiState, peer: SocketAddr, operation: &str, serve: F) -> Response
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let audit = s.audit.clone();
    if !audit.enabled() {
        let rid = crate::audit::request_id();
        return crate::audit::with_request_id(rid.clone(), serve(rid)).await;
    }
    let mut event = crate::audit::Event::new("query", operation);
    event.source_ip = Some(peer.ip().to_string());
    let rid = event.request_id.clone();
    if !audit.admits() {
        audit.record_refusal(event);
        return xml_error(
            ErrorCode::ServiceUnavailable,
            crate::audit::UNRECORDED,
            &rid,
        );
    }
    let (answer, event) = crate::audit::scoped(event, serve(rid.clone())).await;
    match audit.record(event).await {
        Ok(()) => answer,
        Err(()) => xml_error(
            ErrorCode::ServiceUnavailable,
            crate::audit::UNRECORDED,
            &rid,
        ),
    }
}

/// One Query API or STS request (see [`handle`]).
async fn serve(
    s: ApiState,
    peer: SocketAddr,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
    rid: String,
) -> Response {
    let ip = peer.ip();
    crate::audit::note(|e| {
        e.access_key_id = claimed_key_id(&signed_request(&method, &uri, &headers, None));
    });
    let limits = &s.preauth;
    if !limits.throttle.allowed(ip) {
        return xml_error(ErrorCode::Throttling, THROTTLED, &rid);
    }
    // Nothing of the body is read before the headers show a well-formed signature by a key
    // this node knows (a sandbox also takes keys it does not know: it checks the rest) —
    // except for a small request without any signature, which may only be one of the STS
    // actions AWS serves unsigned (`sts::is_unsigned_action`): its body (at most
    // `UNSIGNED_BODY_MAX`, within the pre-authentication budget) is read to learn its
    // action, and any other action is refused as unauthenticated after it.
    let unsigned = is_unsigned(&uri, &headers);
    let small =
        method == Method::GET || declared_length(&headers).is_some_and(|n| n <= UNSIGNED_BODY_MAX);
    if !s.sandbox && !(unsigned && small) {
        let headers_only = signed_request(&method, &uri, &headers, None);
        if let Err(e) = s.auth.precheck(&headers_only, crate::now_ms()) {
            if e.code != ErrorCode::ServiceUnavailable {
                limits.throttle.failed(ip);
            }
            return xml_error(e.code, &e.message, &rid);
        }
    }
    let max = if unsigned {
        UNSIGNED_BODY_MAX
    } else {
        HTTP_BODY_MAX
    };
    let body = match crate::auth::preauth::read_body(body, max, limits).await {
        Ok((bytes, _permit)) => bytes,
        Err(ReadError::Busy) => return xml_error(ErrorCode::Throttling, THROTTLED, &rid),
        Err(e) => return xml_error(ErrorCode::MalformedQueryString, &e.to_string(), &rid),
    };
    let raw_query = uri.query().unwrap_or_default().to_owned();
    if let Err(e) = check_shape(&method, &headers, &body) {
        return xml_error(e.code, &e.message, &rid);
    }
    let params = match Params::from_request(raw_query.as_bytes(), &body) {
        Ok(p) => p,
        Err(e) => {
            return xml_error(e.code, &e.message, &rid);
        }
    };
    let action = params.get("Action").unwrap_or_default().to_owned();
    let signed = signed_request(&method, &uri, &headers, Some(&body));
    let service = signed_service(&signed, &action);
    crate::audit::note(|e| {
        e.operation.clone_from(&action);
        if service == "sts" {
            e.transport = "sts";
        }
    });
    crate::audit::note_params(|| {
        let pairs = params
            .pairs()
            .filter(|(k, _)| *k != "Action" && *k != "Version")
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())));
        Some(Value::Object(pairs.collect()))
    });
    if unsigned && crate::sts::is_unsigned_action(&action) {
        crate::audit::note(|e| {
            e.transport = "sts";
            e.action = Some(format!("sts:{action}"));
        });
        let ip_text = ip.to_string();
        return match crate::sts::handle_unsigned(&s, &params, &ip_text).await {
            Ok(result) => xml(200, iam_aws::render_sts(&result, &rid), &rid),
            Err(e) => {
                if matches!(
                    e.code,
                    ErrorCode::InvalidIdentityToken | ErrorCode::ExpiredTokenException
                ) {
                    limits.throttle.failed(ip);
                }
                xml_error(e.code, &e.message, &rid)
            }
        };
    }
    let mut caller = match authenticate(&s, &signed, service) {
        Ok(c) => c,
        Err(e) => {
            if e.code != ErrorCode::ServiceUnavailable {
                limits.throttle.failed(ip);
            }
            return xml_error(e.code, &e.message, &rid);
        }
    };
    caller.source_ip = Some(peer.ip().to_string());
    caller.secure_transport = s.secure_transport;
    crate::audit::note_caller(&caller);
    if service == "sts" {
        return match crate::sts::handle(&s, &caller, &params).await {
            Ok(result) => xml(200, iam_aws::render_sts(&result, &rid), &rid),
            Err(e) => xml_error(e.code, &e.message, &rid),
        };
    }
    let as_aws = match &caller.kind {
        CallerKind::Root => Caller::Root,
        CallerKind::User { name } => Caller::User(name),
        CallerKind::Role { .. } | CallerKind::Federated { .. } => Caller::Other,
    };
    let call = match iam_aws::route_as(&caller.account, as_aws, &params) {
        Ok(c) => c,
        Err(e) => {
            return xml_error(e.code, &e.message, &rid);
        }
    };
    let rendered = match run(&s, &caller, &action, call).await {
        // A result that does not read as its action's type is a bug: loud, never a
        // response missing elements.
        Ok(answer) => iam_aws::render(&action, &answer, &rid)
            .inspect_err(|e| tracing::error!(%action, "{}", e.message)),
        Err(e) => Err(e),
    };
    match rendered {
        Ok(body) => xml(200, body, &rid),
        Err(e) => xml_error(e.code, &e.message, &rid),
    }
}

/// A request that carries no signature at all (no `Authorization` header, no presigned
/// query).
fn is_unsigned(uri: &Uri, headers: &HeaderMap) -> bool {
    let presigned = uri.query().is_some_and(|q| {
        q.split('&').any(|p| {
            let name = p.split('=').next().unwrap_or_default();
            name.eq_ignore_ascii_case("X-Amz-Signature")
                || name.eq_ignore_ascii_case("X-Amz-Algorithm")
                || name.eq_ignore_ascii_case("X-Amz-Credential")
        })
    });
    !headers.contains_key(http::header::AUTHORIZATION) && !presigned
}

/// The `Content-Length` a request declares (none for a chunked body).
fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Largest body of an unsigned request: an `AssumeRoleWithWebIdentity` (a token of at most
/// 20,000 characters, a session policy of 2,048, ARNs) URL-encoded with room to spare.
const UNSIGNED_BODY_MAX: usize = 96 * 1024;

/// Largest body of an AWS Query API request (axum's default limit for a body).
const HTTP_BODY_MAX: usize = 2 * 1024 * 1024;

const THROTTLED: &str =
    "Rate exceeded: too many requests from this source failed authentication, or the node is busy; retry later";

/// The request as SigV4 sees it. Over HTTP/2 the host is the `:authority`. `body`: `None`
/// before it is read (the header checks need none).
fn signed_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> SignedRequest {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    if !hs.iter().any(|(n, _)| n == "host") {
        if let Some(a) = uri.authority() {
            hs.push(("host".into(), a.to_string()));
        }
    }
    SignedRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers: hs,
        payload_sha256: body.map(sha256_hex),
    }
}

/// Whether a `Content-Type` is `application/x-www-form-urlencoded` (any parameters).
fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// A POST's parameters are a form body; a GET's are in its query string alone.
fn check_shape(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<(), CallError> {
    let content_type = headers
        .get("content-type")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if *method == Method::GET && !body.is_empty() {
        return Err(IamError::new(
            ErrorCode::MalformedQueryString,
            "A GET request carries its parameters in the query string; this one has a body.",
        ));
    }
    if *method == Method::POST && !body.is_empty() && !is_form(content_type.as_deref()) {
        return Err(IamError::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "The body of a POST must be application/x-www-form-urlencoded, not '{}'.",
                content_type.as_deref().unwrap_or("(no Content-Type)")
            ),
        ));
    }
    Ok(())
}

/// The service a request is for: its credential scope's, else STS for the STS actions AWS
/// accepts unsigned, else IAM.
fn signed_service(req: &SignedRequest, action: &str) -> &'static str {
    match sigv4::parse(req) {
        Ok(a) if a.service == "sts" => "sts",
        Ok(_) => "iam",
        Err(_) if crate::sts::is_sts_action(action) => "sts",
        Err(_) => "iam",
    }
}

/// The verified caller; in sandbox mode, a never-issued key's well-formed request acts as
/// the sandbox user ([`sandbox::caller`]).
fn authenticate(
    s: &ApiState,
    req: &SignedRequest,
    service: &str,
) -> Result<crate::auth::Caller, CallError> {
    let now = crate::now_ms();
    match s.auth.authenticate(req, service, now) {
        Ok(c) => Ok(c),
        Err(e) if s.sandbox && e.code == ErrorCode::InvalidClientTokenId => {
            sandbox::caller(s, req, service, now).map_err(|e| IamError::new(e.code, e.message))
        }
        Err(e) => Err(IamError::new(e.code, e.message)),
    }
}

type CallError = IamError;

async fn run(
    s: &ApiState,
    caller: &crate::auth::Caller,
    action: &str,
    call: Call,
) -> Result<Answer, CallError> {
    match call {
        Call::Write(cmd) => {
            let (outcome, _) = s.execute_as(caller, None, cmd).await?;
            Ok(Answer::State(crate::api::reveal(
                s.auth.secrets(),
                &outcome,
            )))
        }
        Call::Read(q) => {
            let (v, _) = s
                .query_as(caller, crate::api::Consistency::Linearizable, q)
                .await?;
            Ok(Answer::State(v))
        }
        Call::Answer(a) => Ok(a),
        Call::Simulate(sim) => {
            s.may_run_simulation(
                caller,
                action,
                sim.policy_source_arn.as_deref(),
                sim.caller_arn.as_deref(),
            )?;
            s.read_linearizable().await?;
            simulate::simulate(s, sim).map(Answer::Simulation)
        }
        Call::ContextKeys(ck) => {
            s.may_run_simulation(caller, action, ck.policy_source_arn.as_deref(), None)?;
            s.read_linearizable().await?;
            let keys = s.context_keys(ck.policy_source_arn.as_deref(), &ck.policy_input_list)?;
            Ok(Answer::ContextKeys(keys))
        }
    }
}

fn xml_error(code: ErrorCode, message: &str, rid: &str) -> Response {
    crate::audit::note(|e| e.failed(code.as_str(), message));
    let (status, body) = iam_aws::render_error(code.as_str(), message, rid);
    xml(status, body, rid)
}

/// The access key id a request claims (from its `Credential=`), before it is verified: an
/// authentication failure is recorded with it.
fn claimed_key_id(signed: &SignedRequest) -> Option<String> {
    let auth = sigv4::parse(signed).ok()?;
    Some(auth.access_key_id)
}

fn xml(status: u16, body: String, rid: &str) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(rid) {
        h.insert("x-amzn-requestid", v);
    }
    r
}
