//! SigV4 for the gRPC API: a tower layer in front of the `Iam` and `Cluster` services that
//! buffers each (unary) request body, verifies the request's signature over method, gRPC
//! path, `:authority` and the body's SHA-256 (as [`iam_client::signing`] signs it), and
//! hands the verified [`Caller`] to the handler in the request's extensions. A request that
//! does not authenticate never reaches a handler — except [`UNSIGNED_PATH`], the password
//! sign-in, whose credential is the password in its body.
//!
//! What an unauthenticated client can make a node hold is bounded before anything is
//! verified:
//! - a request that declares its body hash (`x-amz-content-sha256`, as iamctl sends) is
//!   verified from its headers first; its body is then read and must match the hash;
//! - any other request must at least carry a well-formed signature by an existing, active
//!   key ([`Authenticator::precheck`]) before its body is read;
//! - bodies read before verification share one budget and must arrive within a deadline
//!   (`crate::auth::preauth`); over the budget a request is refused (`Throttling`);
//! - a source whose requests keep failing authentication is throttled ([`Throttle`]).

use super::status::from_iam;
use crate::auth::preauth::{Limits, ReadError};
use crate::auth::{Authenticator, Caller};
use iam_auth::sigv4::{sha256_hex, SignedRequest};
use iam_model::IamError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;

/// The one call served without a signature: `Login` (see `crate::login`).
pub const UNSIGNED_PATH: &str = "/iam.v1.Iam/Login";

/// Largest request body accepted (a gRPC message plus framing).
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// The backup restore call (`iamctl snapshot restore`), and its largest body: a backup
/// this version restores plus gRPC framing.
pub const RESTORE_PATH: &str = "/iam.v1.Cluster/RestoreSnapshot";
pub const RESTORE_BODY_MAX: usize = crate::restore::RESTORE_BYTES_MAX as usize + (1 << 20);
/// Largest body of the unsigned sign-in call.
pub const LOGIN_BODY_MAX: usize = 64 * 1024;

#[derive(Clone)]
pub struct AuthLayer {
    auth: Arc<Authenticator>,
    /// The port serves TLS (`aws:SecureTransport`).
    secure: bool,
    limits: Arc<Limits>,
}

impl AuthLayer {
    pub fn new(auth: Arc<Authenticator>, secure: bool, limits: Arc<Limits>) -> Self {
        Self {
            auth,
            secure,
            limits,
        }
    }
}

impl<S> tower_layer::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: self.auth.clone(),
            secure: self.secure,
            limits: self.limits.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Arc<Authenticator>,
    secure: bool,
    limits: Arc<Limits>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The caller a handler serves (set by the layer).
pub fn caller_of<T>(req: &tonic::Request<T>) -> Result<Caller, tonic::Status> {
    req.extensions().get::<Caller>().cloned().ok_or_else(|| {
        from_iam(&IamError::new(
            iam_model::ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ))
    })
}

impl<S> tower_service::Service<http::Request<Body>> for AuthService<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        let secure = self.secure;
        let limits = self.limits.clone();
        Box::pin(async move {
            let peer = req
                .extensions()
                .get::<tonic::transport::server::TcpConnectInfo>()
                .and_then(|i| i.remote_addr())
                .map(|a| a.ip());
            if let Some(ip) = peer {
                if !limits.throttle.allowed(ip) {
                    return Ok(throttled().into_http());
                }
            }
            let (mut parts, body) = req.into_parts();
            if parts.uri.path() == UNSIGNED_PATH {
                let bytes = match read_body(body, LOGIN_BODY_MAX, &limits).await {
                    Ok((b, _permit)) => b,
                    Err(s) => return Ok(s.into_http()),
                };
                let req =
                    http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)));
                return inner.call(req).await;
            }
            let now = crate::now_ms();
            // The key the request claims, for the audit line of a refusal.
            if crate::audit::active() {
                if let Ok(claimed) = iam_auth::sigv4::parse(&signed_request(&parts, None)) {
                    crate::audit::note(|e| e.access_key_id = Some(claimed.access_key_id));
                }
            }
            let failed = |e: iam_auth::AuthError| {
                // A node that cannot serve (its clock is off) holds nothing against the caller.
                if e.code != iam_model::ErrorCode::ServiceUnavailable {
                    if let Some(ip) = peer {
                        limits.throttle.failed(ip);
                    }
                }
                from_iam(&IamError::new(e.code, e.message)).into_http()
            };
            // Verify what can be verified before the body is read.
            let declared = declared_hash(&parts);
            let early = match &declared {
                Some(Ok(_)) => Some(auth.authenticate(&signed_request(&parts, None), "iam", now)),
                Some(Err(e)) => return Ok(failed(e.clone())),
                None => {
                    if let Err(e) = auth.precheck(&signed_request(&parts, None), now) {
                        return Ok(failed(e));
                    }
                    None
                }
            };
            let early = match early.transpose() {
                Ok(c) => c,
                Err(e) => return Ok(failed(e)),
            };
            // A restore carries a whole backup; only a principal of the operator account,
            // already authenticated from the headers, may send that much (the handler then
            // requires iamd:RestoreSnapshot). Anyone else is held to MAX_BODY.
            let may_restore = early.as_ref().is_some_and(|c| auth.in_operator_account(c));
            let max = if parts.uri.path() == RESTORE_PATH && may_restore {
                RESTORE_BODY_MAX
            } else {
                MAX_BODY
            };
            let (bytes, permit) = match read_body(body, max, &limits).await {
                Ok(r) => r,
                Err(s) => return Ok(s.into_http()),
            };
            let verified = match (early, declared) {
                (Some(caller), Some(Ok(hash))) => {
                    if iam_auth::ct_eq(sha256_hex(&bytes).as_bytes(), hash.as_bytes()) {
                        Ok(caller)
                    } else {
                        Err(iam_auth::AuthError::new(
                            iam_model::ErrorCode::SignatureDoesNotMatch,
                            "The provided 'x-amz-content-sha256' header does not match what was computed.",
                        ))
                    }
                }
                // A few HMACs and one point read: cheap enough for the async worker.
                _ => auth.authenticate(&signed_request(&parts, Some(&bytes)), "iam", now),
            };
            drop(permit);
            match verified {
                Ok(mut caller) => {
                    caller.source_ip = peer.map(|ip| ip.to_string());
                    caller.secure_transport = secure;
                    crate::audit::note_caller(&caller);
                    parts.extensions.insert(caller);
                }
                Err(e) => return Ok(failed(e)),
            }
            let req = http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)));
            inner.call(req).await
        })
    }
}

fn throttled() -> tonic::Status {
    super::status::refusal(
        iam_model::ErrorCode::Throttling,
        "Rate exceeded: too many requests from this source failed authentication, or the node is busy; retry later",
    )
}

/// The `x-amz-content-sha256` a request declares: a SHA-256 in hex (the body must match
/// it), or an error for the values that would leave the body unsigned.
fn declared_hash(parts: &http::request::Parts) -> Option<Result<String, iam_auth::AuthError>> {
    let v = parts.headers.get("x-amz-content-sha256")?;
    let v = v.to_str().unwrap_or_default().trim().to_ascii_lowercase();
    if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(Ok(v))
    } else {
        Some(Err(iam_auth::AuthError::new(
            iam_model::ErrorCode::IncompleteSignature,
            format!("x-amz-content-sha256 must be the SHA-256 of the body in hex; {v:?} (an unsigned or streamed payload) is not accepted"),
        )))
    }
}

/// Reads a body under the pre-authentication limits; refusals as gRPC statuses.
async fn read_body(
    body: Body,
    max: usize,
    limits: &Limits,
) -> Result<(bytes::Bytes, Option<tokio::sync::OwnedSemaphorePermit>), tonic::Status> {
    crate::auth::preauth::read_body(body, max, limits)
        .await
        .map_err(|e| match e {
            ReadError::Busy => throttled(),
            ReadError::Slow => tonic::Status::deadline_exceeded(e.to_string()),
            ReadError::TooLarge(_) | ReadError::Broken(_) => {
                super::status::refusal(iam_model::ErrorCode::ValidationError, e.to_string())
            }
        })
}

/// The request as SigV4 sees it: `POST`, the gRPC path, `host` = `:authority`, every
/// header, and the body's hash (`None`: not read yet; the declared hash stands for it).
fn signed_request(parts: &http::request::Parts, body: Option<&[u8]>) -> SignedRequest {
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    if !headers.iter().any(|(n, _)| n == "host") {
        if let Some(a) = parts.uri.authority() {
            headers.push(("host".into(), a.to_string()));
        }
    }
    SignedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        payload_sha256: body.map(sha256_hex),
    }
}
