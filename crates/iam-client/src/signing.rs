//! Request signing: every gRPC call is signed with AWS Signature Version 4 over the HTTP/2
//! request (method `POST`, the gRPC path, the `:authority` as `host`, `x-amz-date`, the
//! SHA-256 of the whole request body, service `iam`), exactly as an AWS SDK signs an HTTP
//! request, so a node verifies it with the same code that verifies the AWS Query API.

use bytes::Bytes;
use http_body_util::BodyExt;
use iam_auth::sigv4::{sha256_hex, sign, SignedRequest, SigningParams};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::transport::Channel;

/// The SigV4 service name of iamd's native API (the same as AWS IAM's).
pub const SERVICE: &str = "iam";
/// The region put in the credential scope (any region is accepted).
pub const REGION: &str = "us-east-1";

/// AWS credentials: an access key and its secret, plus the session token of temporary ones.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// A channel that signs each request with the credentials it carries (or sends it unsigned
/// when it has none: the server then refuses it with `MissingAuthenticationToken`).
#[derive(Clone)]
pub struct Signed {
    inner: Channel,
    authority: String,
    creds: Option<Arc<Credentials>>,
}

impl Signed {
    /// A signing wrapper around `inner`, a channel to `authority` (`host:port`).
    pub fn new(inner: Channel, authority: String, creds: Option<Arc<Credentials>>) -> Self {
        Self {
            inner,
            authority,
            creds,
        }
    }
}

/// The `key = value` entries of section `[profile]` of an AWS credentials file.
pub fn profile_values(text: &str, profile: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
        } else if section == profile {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
    }
    out
}

impl Credentials {
    /// The credentials of section `[profile]` of an AWS credentials file's text.
    pub fn from_file_text(text: &str, profile: &str) -> Option<Self> {
        let values = profile_values(text, profile);
        let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        Some(Self {
            access_key_id: get("aws_access_key_id")?,
            secret_access_key: get("aws_secret_access_key")?,
            session_token: get("aws_session_token"),
        })
    }
}

/// `text` (an AWS credentials file) with section `[profile]` replaced by `entries` (or
/// added at the end); every other section, comment and line is kept as it was.
pub fn with_profile(text: &str, profile: &str, entries: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let section = |out: &mut String| {
        out.push_str(&format!("[{profile}]\n"));
        for (k, v) in entries {
            out.push_str(&format!("{k} = {v}\n"));
        }
    };
    let mut written = false;
    let mut skipping = false;
    for line in text.lines() {
        if let Some(name) = line
            .trim()
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
        {
            skipping = name.trim() == profile;
            if skipping && !written {
                section(&mut out);
                written = true;
            }
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !written {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        section(&mut out);
    }
    out
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error's message followed by its causes (a transport error then says why: connection
/// refused, certificate not trusted...).
pub(crate) fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    fn say(e: &(dyn std::error::Error + 'static)) -> String {
        match e.downcast_ref::<tonic::Status>() {
            Some(s) => s.message().to_owned(),
            None => e.to_string(),
        }
    }
    let mut text = say(e);
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = say(c);
        if !text.contains(&c_text) {
            text.push_str(": ");
            text.push_str(&c_text);
        }
        cause = c.source();
    }
    text
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The SigV4 headers (`x-amz-date`, `x-amz-security-token`, `x-amz-content-sha256`,
/// `authorization`) for a request to `path` at `authority` with this body. The body's hash
/// travels signed in `x-amz-content-sha256`, so the server verifies the signature before it
/// reads the body (and then checks the body against the hash).
pub fn sign_grpc(
    creds: &Credentials,
    authority: &str,
    path: &str,
    body: &[u8],
    time_ms: u64,
) -> Result<Vec<(String, String)>, String> {
    let hash = sha256_hex(body);
    let mut req = SignedRequest {
        method: "POST".into(),
        path: path.to_owned(),
        query: String::new(),
        headers: vec![
            ("host".into(), authority.to_owned()),
            ("x-amz-content-sha256".into(), hash.clone()),
        ],
        payload_sha256: Some(hash),
    };
    let auth = sign(
        &mut req,
        &SigningParams {
            access_key_id: &creds.access_key_id,
            secret_access_key: &creds.secret_access_key,
            session_token: creds.session_token.as_deref(),
            region: REGION,
            service: SERVICE,
            time_ms,
        },
    )
    .map_err(|e| e.to_string())?;
    // `sign` added x-amz-date, the session token and authorization; host is the authority.
    let mut out: Vec<(String, String)> = req
        .headers
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .filter(|(n, _)| n != "host" && n != "authorization")
        .collect();
    out.push(("authorization".into(), auth));
    Ok(out)
}

impl tower_service::Service<http::Request<Body>> for Signed {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        tower_service::Service::poll_ready(&mut self.inner, cx)
            .map_err(|e| Box::new(tonic::Status::unavailable(with_causes(&e))) as BoxError)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        // The ready clone stays here; the call uses the one that was polled ready.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let creds = self.creds.clone();
        let authority = self.authority.clone();
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let bytes: Bytes = body
                .collect()
                .await
                .map_err(|e| Box::new(tonic::Status::internal(e.to_string())) as BoxError)?
                .to_bytes();
            if let Some(c) = &creds {
                let headers = sign_grpc(c, &authority, parts.uri.path(), &bytes, now_ms())
                    .map_err(|e| Box::new(tonic::Status::internal(e)) as BoxError)?;
                for (name, value) in headers {
                    let name =
                        http::header::HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
                            Box::new(tonic::Status::internal(e.to_string())) as BoxError
                        })?;
                    let value = http::header::HeaderValue::from_str(&value).map_err(|e| {
                        Box::new(tonic::Status::internal(e.to_string())) as BoxError
                    })?;
                    parts.headers.insert(name, value);
                }
            }
            let req = http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)));
            tower_service::Service::call(&mut inner, req)
                .await
                .map_err(|e| Box::new(tonic::Status::unavailable(with_causes(&e))) as BoxError)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iam_auth::sigv4::{parse, verify};

    fn received(headers: &[(String, String)], body: &[u8]) -> SignedRequest {
        let mut h = vec![("host".to_owned(), "127.0.0.1:7100".to_owned())];
        h.extend(headers.iter().cloned());
        h.push(("content-type".into(), "application/grpc".into()));
        SignedRequest {
            method: "POST".into(),
            path: "/iam.v1.Iam/Write".into(),
            query: String::new(),
            headers: h,
            payload_sha256: Some(sha256_hex(body)),
        }
    }

    #[test]
    fn a_profile_is_replaced_or_added_and_the_rest_kept() {
        let text = "# mine\n[default]\naws_access_key_id = AKIAD\naws_secret_access_key = d\n\n[login]\naws_access_key_id = OLD\naws_secret_access_key = old\naws_session_token = t0\n\n[other]\naws_access_key_id = AKIAO\naws_secret_access_key = o\n";
        let new = [
            ("aws_access_key_id", "ASIANEW"),
            ("aws_secret_access_key", "s"),
            ("aws_session_token", "t1"),
        ];
        let out = with_profile(text, "login", &new);
        let c = Credentials::from_file_text(&out, "login").unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.session_token.as_deref()),
            ("ASIANEW", Some("t1"))
        );
        assert!(!out.contains("OLD") && out.starts_with("# mine\n[default]"));
        assert_eq!(
            Credentials::from_file_text(&out, "other")
                .unwrap()
                .access_key_id,
            "AKIAO"
        );
        assert_eq!(
            Credentials::from_file_text(&out, "default")
                .unwrap()
                .access_key_id,
            "AKIAD"
        );
        // Absent: appended; empty file: just the section.
        let added = with_profile(text, "fresh", &new);
        assert!(added.starts_with(text));
        assert_eq!(
            Credentials::from_file_text(&added, "fresh")
                .unwrap()
                .access_key_id,
            "ASIANEW"
        );
        let only = with_profile("", "default", &new[..2]);
        assert_eq!(
            only,
            "[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = s\n"
        );
    }

    #[test]
    fn a_signed_call_verifies_and_a_changed_body_or_path_does_not() {
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("token".into()),
        };
        let now = 1_700_000_000_000;
        let body = b"\0\0\0\0\x05hello";
        let headers = sign_grpc(&creds, "127.0.0.1:7100", "/iam.v1.Iam/Write", body, now).unwrap();
        assert!(headers.iter().any(|(n, _)| n == "x-amz-security-token"));
        let req = received(&headers, body);
        let auth = parse(&req).unwrap();
        assert_eq!(auth.service, SERVICE);
        verify(&req, &auth, &creds.secret_access_key, SERVICE, now).unwrap();
        // The signed x-amz-content-sha256 lets a server verify before it reads the body.
        let mut headers_only = received(&headers, body);
        headers_only.payload_sha256 = None;
        verify(&headers_only, &auth, &creds.secret_access_key, SERVICE, now).unwrap();
        let tampered = received(&headers, b"\0\0\0\0\x05hellO");
        assert!(verify(&tampered, &auth, &creds.secret_access_key, SERVICE, now).is_err());
        let mut other_path = received(&headers, body);
        other_path.path = "/iam.v1.Iam/Read".into();
        assert!(verify(&other_path, &auth, &creds.secret_access_key, SERVICE, now).is_err());
        assert!(verify(&req, &auth, "wrong", SERVICE, now).is_err());
        // Six minutes later the same signature is stale.
        assert!(verify(
            &req,
            &auth,
            &creds.secret_access_key,
            SERVICE,
            now + 360_000
        )
        .is_err());
    }
}
