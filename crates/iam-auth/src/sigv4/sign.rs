//! The client side: [`sign`] adds `X-Amz-Date`, `X-Amz-Security-Token` and `Authorization`
//! headers as botocore does; [`presign`] adds the `X-Amz-*` query parameters instead.

use super::canonical::{self, uri_encode, ALGORITHM, TERMINATOR};
use super::{canonical_query, canonical_uri, normalizes_path, payload_hash, SignedRequest};
use crate::time::format_amz_date;
use crate::{AuthError, AuthErrors};

/// Headers SDKs never sign (a proxy may change them).
const UNSIGNED_HEADERS: &[&str] = &["authorization", "user-agent", "expect", "x-amzn-trace-id"];

/// Who signs, for which region and service, at what time.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// The session token of temporary (`ASIA…`) credentials.
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    /// The signing time in milliseconds since the epoch.
    pub time_ms: u64,
}

impl SigningParams<'_> {
    fn scope(&self, date: &str) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            &date[..8],
            self.region,
            self.service
        )
    }

    fn signature(&self, amz_date: &str, creq: &str) -> String {
        let sts = canonical::string_to_sign(amz_date, &self.scope(amz_date), creq);
        let key = canonical::signing_key(
            self.secret_access_key,
            &amz_date[..8],
            self.region,
            self.service,
        );
        canonical::signature(&key, &sts)
    }
}

/// Lowercase, sorted, deduplicated names of the headers to sign; `host` must be among them.
fn headers_to_sign(req: &SignedRequest) -> Result<Vec<String>, AuthError> {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !UNSIGNED_HEADERS.contains(&n.as_str()))
        .collect();
    names.sort();
    names.dedup();
    if !names.iter().any(|n| n == "host") {
        return Err(AuthError::incomplete(
            "the request to sign has no 'host' header",
        ));
    }
    Ok(names)
}

fn set_header(req: &mut SignedRequest, name: &str, value: &str) {
    req.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    req.headers.push((name.to_owned(), value.to_owned()));
}

/// Signs `req` in place with the `Authorization` header and returns its value. Every header
/// present is signed except `user-agent`, `expect` and `x-amzn-trace-id`. The payload hash is
/// `x-amz-content-sha256` if the request has one, else `payload_sha256` (required then).
pub fn sign(req: &mut SignedRequest, p: &SigningParams<'_>) -> Result<String, AuthError> {
    let amz_date = format_amz_date(p.time_ms);
    req.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    set_header(req, "X-Amz-Date", &amz_date);
    if let Some(t) = p.session_token {
        set_header(req, "X-Amz-Security-Token", t);
    }
    let signed = headers_to_sign(req)?;
    let creq = canonical::canonical_request(
        &req.method,
        &canonical_uri(&req.path, normalizes_path(p.service)),
        &canonical_query(&req.query, &[]),
        &canonical::canonical_headers(&req.headers, &signed),
        &signed.join(";"),
        &payload_hash(req)?,
    );
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
        p.access_key_id,
        p.scope(&amz_date),
        signed.join(";"),
        p.signature(&amz_date, &creq)
    );
    req.headers
        .push(("Authorization".to_owned(), authorization.clone()));
    Ok(authorization)
}

/// Presigns `req`: appends `X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`,
/// `-SignedHeaders`, `-Security-Token` (if any) and finally `X-Amz-Signature` to its query.
pub fn presign(
    req: &mut SignedRequest,
    p: &SigningParams<'_>,
    expires_secs: u64,
) -> Result<(), AuthError> {
    let amz_date = format_amz_date(p.time_ms);
    let signed = headers_to_sign(req)?;
    let credential = format!("{}/{}", p.access_key_id, p.scope(&amz_date));
    let mut params = vec![
        ("X-Amz-Algorithm", ALGORITHM.to_owned()),
        ("X-Amz-Credential", credential),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", expires_secs.to_string()),
        ("X-Amz-SignedHeaders", signed.join(";")),
    ];
    if let Some(t) = p.session_token {
        params.push(("X-Amz-Security-Token", t.to_owned()));
    }
    for (n, v) in params {
        if !req.query.is_empty() {
            req.query.push('&');
        }
        req.query.push_str(n);
        req.query.push('=');
        req.query.push_str(&uri_encode(v.as_bytes(), false));
    }
    let creq = canonical::canonical_request(
        &req.method,
        &canonical_uri(&req.path, normalizes_path(p.service)),
        &canonical_query(&req.query, &[]),
        &canonical::canonical_headers(&req.headers, &signed),
        &signed.join(";"),
        &payload_hash(req)?,
    );
    let sig = p.signature(&amz_date, &creq);
    req.query.push_str("&X-Amz-Signature=");
    req.query.push_str(&sig);
    Ok(())
}
