//! [`parse`]: the `Authorization` header or the presigned query parameters into a
//! [`ParsedAuth`], with AWS's `IncompleteSignature` wording for what is missing.

use super::canonical::{query_pairs, ALGORITHM};
use super::{AuthForm, ParsedAuth, SignedRequest, MAX_EXPIRES_SECS, UNSIGNED_PAYLOAD};
use crate::time::{format_amz_date, parse_amz_date, parse_http_date};
use crate::{AuthError, AuthErrors};

/// The credential, signed headers and signature as sent, before dates and tokens.
struct Parts {
    credential: String,
    signed_headers: String,
    signature: String,
}

/// Finds the request's SigV4 authentication and splits it into its parts. Checks only
/// structure; nothing is verified here.
pub fn parse(req: &SignedRequest) -> Result<ParsedAuth, AuthError> {
    let query = decode_query(&req.query);
    let q = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let authorization = req.header("authorization");
    if authorization.is_some() || q("X-Amz-Algorithm").is_some() {
        refuse_repeats(req, &query)?;
    }
    let (form, parts, amz_date, date_source, token, expires) =
        match (authorization, q("X-Amz-Algorithm")) {
            (Some(_), Some(_)) => {
                return Err(AuthError::incomplete(
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or \
                 the Authorization header should be specified",
                ))
            }
            (None, None) => return Err(AuthError::missing_authentication_token()),
            (Some(h), None) => {
                let parts = parse_authorization(h)?;
                let (date, source) = match (req.header("x-amz-date"), req.header("date")) {
                    (Some(d), _) => (d.trim().to_owned(), "x-amz-date"),
                    (None, Some(d)) => (d.trim().to_owned(), "date"),
                    (None, None) => {
                        return Err(AuthError::incomplete(format!(
                            "Authorization header requires existence of either a 'X-Amz-Date' or \
                         a 'Date' header. Authorization={h}"
                        )))
                    }
                };
                let token = req
                    .header("x-amz-security-token")
                    .map(|t| t.trim().to_owned());
                (AuthForm::Header, parts, date, source, token, None)
            }
            (None, Some(alg)) => {
                if alg != ALGORITHM {
                    return Err(unsupported_algorithm(alg));
                }
                let mut missing = Vec::new();
                for p in [
                    "X-Amz-Credential",
                    "X-Amz-SignedHeaders",
                    "X-Amz-Signature",
                    "X-Amz-Date",
                ] {
                    if q(p).is_none() {
                        missing.push(format!("AWS query-string parameters must include '{p}'."));
                    }
                }
                if !missing.is_empty() {
                    return Err(AuthError::incomplete(missing.join(" ")));
                }
                let parts = Parts {
                    credential: q("X-Amz-Credential").unwrap_or_default().to_owned(),
                    signed_headers: q("X-Amz-SignedHeaders").unwrap_or_default().to_owned(),
                    signature: q("X-Amz-Signature").unwrap_or_default().to_owned(),
                };
                let expires = match q("X-Amz-Expires") {
                    None => None,
                    Some(e) => match e.parse::<u64>() {
                        Ok(n) if (1..=MAX_EXPIRES_SECS).contains(&n) => Some(n),
                        _ => {
                            return Err(AuthError::incomplete(format!(
                                "X-Amz-Expires must be a number of seconds from 1 to \
                             {MAX_EXPIRES_SECS}, not '{e}'."
                            )))
                        }
                    },
                };
                let token = q("X-Amz-Security-Token").map(str::to_owned).or_else(|| {
                    req.header("x-amz-security-token")
                        .map(|t| t.trim().to_owned())
                });
                let date = q("X-Amz-Date").unwrap_or_default().to_owned();
                (AuthForm::Query, parts, date, "X-Amz-Date", token, expires)
            }
        };

    let (amz_date, request_time_ms) = match date_source {
        "date" => {
            let ms = parse_http_date(&amz_date).ok_or_else(|| bad_date(&amz_date))?;
            (format_amz_date(ms), ms)
        }
        _ => {
            let ms = parse_amz_date(&amz_date).ok_or_else(|| bad_date(&amz_date))?;
            (amz_date, ms)
        }
    };

    let cred: Vec<&str> = parts.credential.split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = cred[..] else {
        return Err(AuthError::incomplete(format!(
            "Credential should be of the form <access key id>/<YYYYMMDD>/<region>/<service>/\
             aws4_request, not '{}'.",
            parts.credential
        )));
    };
    if access_key_id.is_empty() {
        return Err(AuthError::incomplete(
            "Credential has an empty access key id.",
        ));
    }
    let signed_headers: Vec<String> = parts
        .signed_headers
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if signed_headers.iter().any(String::is_empty) {
        return Err(AuthError::incomplete(format!(
            "SignedHeaders '{}' has an empty header name.",
            parts.signed_headers
        )));
    }
    if !signed_headers
        .iter()
        .any(|h| h == "host" || h == ":authority")
    {
        return Err(AuthError::incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let unsigned_payload = req
        .header("x-amz-content-sha256")
        .is_some_and(|h| h.trim() == UNSIGNED_PAYLOAD);
    Ok(ParsedAuth {
        form,
        access_key_id: access_key_id.to_owned(),
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        terminator: terminator.to_owned(),
        signed_headers,
        signature: parts.signature,
        amz_date,
        request_time_ms,
        date_source,
        security_token: token.filter(|t| !t.is_empty()),
        expires_secs: expires,
        unsigned_payload,
    })
}

fn decode_query(raw: &str) -> Vec<(String, String)> {
    query_pairs(raw.as_bytes())
        .into_iter()
        .map(|(n, v)| {
            (
                String::from_utf8_lossy(&n).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect()
}

/// Headers the verifier reads as one value (the first) while the canonical request joins
/// every occurrence: sent twice with different values, the two would disagree, so that is
/// refused (the same value repeated means one thing either way).
const SINGLE_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "x-amz-date",
    "date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// The presigned query's parameters, each read once (the first) by [`parse`].
const SINGLE_QUERY_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
];

/// Whether `values` holds two different values.
fn differ<'a>(mut values: impl Iterator<Item = &'a str>) -> bool {
    let Some(first) = values.next() else {
        return false;
    };
    values.any(|v| v.trim() != first.trim())
}

fn refuse_repeats(req: &SignedRequest, query: &[(String, String)]) -> Result<(), AuthError> {
    for h in SINGLE_HEADERS {
        let values = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(h))
            .map(|(_, v)| v.as_str());
        if differ(values) {
            return Err(AuthError::incomplete(format!(
                "The '{h}' header appears more than once with different values; a signed \
                 request carries it once."
            )));
        }
    }
    for p in SINGLE_QUERY_PARAMS {
        let values = query
            .iter()
            .filter(|(n, _)| n == p)
            .map(|(_, v)| v.as_str());
        if differ(values) {
            return Err(AuthError::incomplete(format!(
                "The query parameter '{p}' appears more than once with different values."
            )));
        }
    }
    Ok(())
}

fn unsupported_algorithm(alg: &str) -> AuthError {
    AuthError::incomplete(format!("Unsupported AWS 'algorithm': '{alg}'."))
}

fn bad_date(d: &str) -> AuthError {
    AuthError::incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{d}'. See \
         http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (any order, `,` with or
/// without spaces).
fn parse_authorization(value: &str) -> Result<Parts, AuthError> {
    let v = value.trim();
    let (alg, rest) = v.split_once(' ').unwrap_or((v, ""));
    if alg != ALGORITHM {
        return Err(unsupported_algorithm(alg));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, val)) = part.split_once('=') else {
            return Err(AuthError::incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization \
                 header: '{v}'."
            )));
        };
        let slot = match k.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(val.trim().to_owned());
        }
    }
    let mut missing = Vec::new();
    for (name, slot) in [
        ("Credential", &credential),
        ("Signature", &signature),
        ("SignedHeaders", &signed_headers),
    ] {
        if slot.is_none() {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if !missing.is_empty() {
        return Err(AuthError::incomplete(format!(
            "{} Authorization={v}",
            missing.join(" ")
        )));
    }
    Ok(Parts {
        credential: credential.unwrap_or_default(),
        signed_headers: signed_headers.unwrap_or_default(),
        signature: signature.unwrap_or_default(),
    })
}
