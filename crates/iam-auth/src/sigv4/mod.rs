//! AWS Signature Version 4: [`parse`] the authentication out of a request (the
//! `Authorization` header or the presigned query), then [`verify`] it against the secret, the
//! service and the current time. [`sign`] and [`presign`] produce what SDKs send.
//!
//! The request is described by [`SignedRequest`] exactly as it arrived: the request-line path
//! (still percent-encoded), the raw query string, every header (any case, repeats allowed) and
//! the hex SHA-256 of the body. Checks happen in AWS's order: structure ([`parse`]:
//! `MissingAuthenticationToken`, `IncompleteSignature`), then the caller's key lookup
//! (`InvalidClientTokenId`, `ExpiredToken`), then [`verify`]: credential scope, clock skew
//! (±5 minutes; `X-Amz-Expires` for presigned requests) and the constant-time signature
//! comparison (`SignatureDoesNotMatch`, `RequestExpired`).

mod canonical;
mod parse;
mod sign;

pub use canonical::{
    canonical_header_value, canonical_headers, canonical_query, canonical_request, canonical_uri,
    normalize_path, percent_decode, query_pairs, sha256_hex, signature, signing_key,
    string_to_sign, uri_encode, ALGORITHM, EMPTY_SHA256, TERMINATOR,
};
pub use parse::parse;
pub use sign::{presign, sign, SigningParams};

use crate::ct::ct_eq;
use crate::time::format_amz_date;
use crate::{AuthError, AuthErrors};
use iam_model::ErrorCode;

/// The allowed difference between the request's date and the server's clock.
pub const MAX_SKEW_MS: u64 = 5 * 60 * 1000;
/// The longest `X-Amz-Expires` a presigned request may ask for (7 days).
pub const MAX_EXPIRES_SECS: u64 = 604_800;
/// The payload hash a client sends in `x-amz-content-sha256` to leave the body unsigned.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A request as received, for verification (or as about to be sent, for signing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignedRequest {
    /// `GET`, `POST`, ... as on the request line.
    pub method: String,
    /// The path as on the request line (percent-encoded as sent), without the query.
    pub path: String,
    /// The raw query string after `?` (empty if none), not decoded.
    pub query: String,
    /// Every header in the order received; names in any case; a repeated header appears once
    /// per occurrence. Must include `host` (for HTTP/2 and gRPC: the `:authority`).
    pub headers: Vec<(String, String)>,
    /// Lowercase hex SHA-256 of the body as received ([`sha256_hex`]). `None` means the body
    /// was not hashed; the request must then carry `x-amz-content-sha256`, which is trusted
    /// as the body's hash (it is covered by the signature, but not checked against the body;
    /// for a relayed request, whose relying service vouches for it). A server verifying a
    /// request it received itself always hashes the body.
    pub payload_sha256: Option<String>,
}

impl SignedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Where the request carried its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// `X-Amz-Algorithm`, `X-Amz-Credential`, … query parameters (a presigned URL).
    Query,
}

/// What [`parse`] found. Nothing in it is trusted until [`verify`] succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    pub form: AuthForm,
    /// `AKIA…` (long-term key) or `ASIA…` (session; `security_token` must then be present).
    pub access_key_id: String,
    /// The credential scope: `YYYYMMDD`, region, service and terminator as sent.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    /// Lowercase header names, in the order given by the client.
    pub signed_headers: Vec<String>,
    /// The signature as sent (64 lowercase hex characters when well formed).
    pub signature: String,
    /// The request time in ISO-8601 basic form (`X-Amz-Date`, or the `Date` header converted).
    pub amz_date: String,
    /// The request time in milliseconds since the epoch.
    pub request_time_ms: u64,
    /// Which input the date came from: `x-amz-date`, `date` or `X-Amz-Date` (query).
    pub date_source: &'static str,
    /// `X-Amz-Security-Token` (header, or query parameter for presigned requests).
    pub security_token: Option<String>,
    /// `X-Amz-Expires` of a presigned request, in seconds.
    pub expires_secs: Option<u64>,
    /// The client sent `x-amz-content-sha256: UNSIGNED-PAYLOAD`: the body is not covered by
    /// the signature. The server decides whether to accept that (AWS does only for S3).
    pub unsigned_payload: bool,
}

impl ParsedAuth {
    /// `YYYYMMDD/region/service/terminator`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.scope_date, self.region, self.service, self.terminator
        )
    }
}

/// Whether the canonical URI is normalized: every service but S3.
pub fn normalizes_path(service: &str) -> bool {
    service != "s3"
}

/// Whether a client may leave the body out of the signature (`UNSIGNED-PAYLOAD`, chunked
/// `STREAMING-*`): S3 only. Every other AWS service hashes the body it received and signs
/// with that, so a client that signed `UNSIGNED-PAYLOAD` gets `SignatureDoesNotMatch`.
pub fn accepts_unsigned_payload(service: &str) -> bool {
    service == "s3"
}

/// For a service that signs the body ([`accepts_unsigned_payload`] false): no
/// `UNSIGNED-PAYLOAD` or `STREAMING-*`, and an `x-amz-content-sha256` header must be the
/// hash of the body the server received. The canonical request's last line is then the
/// hash of the bytes received, and a body swapped under a valid signature fails. (A
/// request whose body the server did not hash, `payload_sha256: None`, is verified over
/// the header's hash: a relying service that relays a request vouches for it.)
fn check_signed_payload(req: &SignedRequest, service: &str) -> Result<(), AuthError> {
    if accepts_unsigned_payload(service) {
        return Ok(());
    }
    if let Some(h) = req.header("x-amz-content-sha256") {
        let h = h.trim();
        if h == UNSIGNED_PAYLOAD || h.starts_with("STREAMING-") {
            return Err(AuthError::mismatch(format!(
                "x-amz-content-sha256 '{h}' is not accepted: {service} requests must sign \
                 their body (only S3 accepts unsigned or streaming payloads)."
            )));
        }
        if let Some(computed) = &req.payload_sha256 {
            if !ct_eq(h.to_ascii_lowercase().as_bytes(), computed.as_bytes()) {
                return Err(AuthError::mismatch(
                    "The provided 'x-amz-content-sha256' header does not match what was \
                     computed.",
                ));
            }
        }
    }
    Ok(())
}

/// The payload hash that goes on the canonical request's last line.
fn payload_hash(req: &SignedRequest) -> Result<String, AuthError> {
    match (req.header("x-amz-content-sha256"), &req.payload_sha256) {
        (Some(h), computed) => {
            let h = h.trim();
            if h.starts_with("STREAMING-") {
                return Err(AuthError::incomplete(format!(
                    "x-amz-content-sha256 '{h}' (chunked signing) is not supported"
                )));
            }
            if h != UNSIGNED_PAYLOAD {
                if let Some(c) = computed {
                    if !ct_eq(h.to_ascii_lowercase().as_bytes(), c.as_bytes()) {
                        return Err(AuthError::mismatch(
                            "The provided 'x-amz-content-sha256' header does not match what \
                             was computed.",
                        ));
                    }
                }
            }
            Ok(h.to_owned())
        }
        (None, Some(c)) => Ok(c.clone()),
        (None, None) => Err(AuthError::mismatch(
            "The request body was not hashed and no 'x-amz-content-sha256' header was sent.",
        )),
    }
}

/// The canonical request the client should have signed, given what [`parse`] found.
pub fn canonical_request_for(
    req: &SignedRequest,
    auth: &ParsedAuth,
    normalize: bool,
) -> Result<String, AuthError> {
    let skip: &[&str] = match auth.form {
        AuthForm::Header => &[],
        AuthForm::Query => &["X-Amz-Signature"],
    };
    Ok(canonical_request(
        &req.method,
        &canonical_uri(&req.path, normalize),
        &canonical_query(&req.query, skip),
        &canonical_headers(&req.headers, &auth.signed_headers),
        &auth.signed_headers.join(";"),
        &payload_hash(req)?,
    ))
}

/// The hex signature a client holding `secret` computes for this request.
pub fn expected_signature(
    req: &SignedRequest,
    auth: &ParsedAuth,
    secret: &str,
    normalize: bool,
) -> Result<String, AuthError> {
    let creq = canonical_request_for(req, auth, normalize)?;
    let sts = string_to_sign(&auth.amz_date, &auth.scope(), &creq);
    let key = signing_key(secret, &auth.scope_date, &auth.region, &auth.service);
    Ok(signature(&key, &sts))
}

/// Checks the credential scope against `service` (any region is accepted), the request
/// time against `now_ms`, the payload (signed, unless the service is S3), and the
/// signature against the one recomputed with `secret`.
pub fn verify(
    req: &SignedRequest,
    auth: &ParsedAuth,
    secret: &str,
    service: &str,
    now_ms: u64,
) -> Result<(), AuthError> {
    check_unverifiable(req, auth, service, now_ms)?;
    let expected = expected_signature(req, auth, secret, normalizes_path(service))?;
    if ct_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::signature_does_not_match())
    }
}

/// Every check of [`verify`] that needs no secret: credential scope, clock, payload. A
/// sandbox uses it to accept a never-seen key's request only when it is well formed.
pub fn check_unverifiable(
    req: &SignedRequest,
    auth: &ParsedAuth,
    service: &str,
    now_ms: u64,
) -> Result<(), AuthError> {
    check_scope(auth, service)?;
    check_time(auth, now_ms)?;
    check_signed_payload(req, service)
}

fn check_scope(auth: &ParsedAuth, service: &str) -> Result<(), AuthError> {
    if auth.terminator != TERMINATOR {
        return Err(AuthError::mismatch(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
            auth.terminator
        )));
    }
    let region_ok = !auth.region.is_empty()
        && auth
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        return Err(AuthError::mismatch(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region
        )));
    }
    if auth.service != service {
        return Err(AuthError::mismatch(format!(
            "Credential should be scoped to correct service: '{service}'."
        )));
    }
    let day = auth.amz_date.get(..8).unwrap_or_default();
    if auth.scope_date != day {
        return Err(AuthError::mismatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{day}', from '{}'.",
            auth.scope_date, auth.date_source
        )));
    }
    Ok(())
}

fn check_time(auth: &ParsedAuth, now_ms: u64) -> Result<(), AuthError> {
    let t = auth.request_time_ms;
    if t > now_ms.saturating_add(MAX_SKEW_MS) {
        return Err(AuthError::mismatch(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            auth.amz_date,
            format_amz_date(now_ms.saturating_add(MAX_SKEW_MS)),
            format_amz_date(now_ms)
        )));
    }
    match auth.expires_secs {
        Some(expires) => {
            if now_ms > t.saturating_add(expires.saturating_mul(1000)) {
                return Err(AuthError::new(
                    ErrorCode::RequestExpired,
                    format!(
                        "Request has expired: {} + {expires} s is earlier than {}",
                        auth.amz_date,
                        format_amz_date(now_ms)
                    ),
                ));
            }
        }
        None => {
            if t.saturating_add(MAX_SKEW_MS) < now_ms {
                return Err(AuthError::mismatch(format!(
                    "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                    auth.amz_date,
                    format_amz_date(now_ms.saturating_sub(MAX_SKEW_MS)),
                    format_amz_date(now_ms)
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
