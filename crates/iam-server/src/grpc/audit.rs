//! The audit edge of the gRPC API: the outermost tower layer of the API port (outside
//! authentication, so a request refused there is recorded too). It opens the request's
//! [`Event`], runs the request in its scope, reads the answer's status (an error answer is
//! trailers-only: its status and AWS code are in the headers), writes the line, and — when
//! the node fails closed and no sink wrote it — answers `ServiceUnavailable` instead.

use super::status::{refusal, ERROR_CODE_HEADER};
use crate::audit::{scoped, Audit, Event, UNRECORDED};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;

#[derive(Clone)]
pub struct AuditLayer {
    audit: Arc<Audit>,
}

impl AuditLayer {
    pub fn new(audit: Arc<Audit>) -> Self {
        Self { audit }
    }
}

impl<S> tower_layer::Layer<S> for AuditLayer {
    type Service = AuditService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuditService {
            inner,
            audit: self.audit.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuditService<S> {
    inner: S,
    audit: Arc<Audit>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

fn unavailable() -> tonic::Status {
    refusal(iam_model::ErrorCode::ServiceUnavailable, UNRECORDED)
}

/// The AWS code and message of an error answer, if the answer is one.
fn failure(headers: &http::HeaderMap) -> Option<(String, String)> {
    let status = headers.get("grpc-status")?.to_str().ok()?;
    if status == "0" {
        return None;
    }
    let code = headers
        .get(ERROR_CODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("grpc-{status}"));
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_default();
    Some((code, message))
}

/// gRPC's percent-encoding of `grpc-message`.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl<S> tower_service::Service<http::Request<Body>> for AuditService<S>
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
        let audit = self.audit.clone();
        Box::pin(async move {
            if !audit.enabled() {
                // No line to write, but the request still has an id: the client sees it
                // and the event history records it.
                let rid = crate::audit::request_id();
                let answer = crate::audit::with_request_id(rid.clone(), inner.call(req)).await;
                return answer.map(|a| with_request_id(a, &rid));
            }
            let operation = req.uri().path().trim_start_matches('/').to_owned();
            let mut event = Event::new("grpc", operation);
            event.source_ip = req
                .extensions()
                .get::<tonic::transport::server::TcpConnectInfo>()
                .and_then(|i| i.remote_addr())
                .map(|a| a.ip().to_string());
            let rid = event.request_id.clone();
            if !audit.admits() {
                audit.record_refusal(event);
                return Ok(with_request_id(unavailable().into_http(), &rid));
            }
            let (answer, mut event) = scoped(event, inner.call(req)).await;
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    event.failed("ServiceFailure", "the request failed in transport");
                    let _ = audit.record(event).await;
                    return Err(e);
                }
            };
            if let Some((code, message)) = failure(answer.headers()) {
                event.failed(&code, &message);
            }
            match audit.record(event).await {
                Ok(()) => Ok(with_request_id(answer, &rid)),
                Err(()) => Ok(with_request_id(unavailable().into_http(), &rid)),
            }
        })
    }
}

fn with_request_id(mut r: http::Response<Body>, rid: &str) -> http::Response<Body> {
    if let Ok(v) = http::HeaderValue::from_str(rid) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}
