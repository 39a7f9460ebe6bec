//! SigV4 for the gRPC API: a tower layer in front of the `Iam` and `Cluster` services that
//! buffers each (unary) request body, verifies the request's signature over method, gRPC
//! path, `:authority` and the body's SHA-256 (as [`iam_client::signing`] signs it), and
//! hands the verified [`Caller`] to the handler in the request's extensions. A request that
//! does not authenticate never reaches a handler — except [`UNSIGNED_PATH`], the password
//! sign-in, whose credential is the password in its body.

use super::{Authenticator, Caller};
use crate::status::from_iam;
use http_body_util::BodyExt;
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

#[derive(Clone)]
pub struct AuthLayer {
    auth: Arc<Authenticator>,
}

impl AuthLayer {
    pub fn new(auth: Arc<Authenticator>) -> Self {
        Self { auth }
    }
}

impl<S> tower_layer::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: self.auth.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Arc<Authenticator>,
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
        Box::pin(async move {
            if req.uri().path() == UNSIGNED_PATH {
                return inner.call(req).await;
            }
            let (mut parts, body) = req.into_parts();
            let limited = http_body_util::Limited::new(body, MAX_BODY);
            let bytes = match limited.collect().await {
                Ok(c) => c.to_bytes(),
                Err(e) => {
                    let s = tonic::Status::invalid_argument(format!(
                        "the request body could not be read (at most {MAX_BODY} bytes): {e}"
                    ));
                    return Ok(s.into_http());
                }
            };
            let signed = signed_request(&parts, &bytes);
            let peer = parts
                .extensions
                .get::<tonic::transport::server::TcpConnectInfo>()
                .and_then(|i| i.remote_addr())
                .map(|a| a.ip().to_string());
            // A few HMACs and one point read: cheap enough for the async worker.
            match auth.authenticate(&signed, "iam", crate::now_ms()) {
                Ok(mut caller) => {
                    caller.source_ip = peer;
                    parts.extensions.insert(caller);
                }
                Err(e) => return Ok(from_iam(&IamError::new(e.code, e.message)).into_http()),
            }
            let req = http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)));
            inner.call(req).await
        })
    }
}

/// The request as SigV4 sees it: `POST`, the gRPC path, `host` = `:authority`, every
/// header, the body's hash.
fn signed_request(parts: &http::request::Parts, body: &[u8]) -> SignedRequest {
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
        payload_sha256: Some(sha256_hex(body)),
    }
}
