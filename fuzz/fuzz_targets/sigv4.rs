//! Fuzzes SigV4 on the server side: `parse` of any request (the `Authorization` header or the
//! presigned `X-Amz-*` query, whatever the other headers, path and body hold), then `verify`
//! of whatever parses, with a fixed secret, for the scope's own service and for `iam`, at the
//! request's own time (so the clock check passes and the signature is compared) and at a
//! fixed time. Never panics, and every failure carries one of the documented codes.
//!
//! Input: a raw HTTP request in the format of AWS's SigV4 test suite (see
//! `iamd_fuzz::http_request`); the corpus seeds are signed requests from that suite, which
//! verify with the suite's secret.
#![no_main]

use iam_auth::sigv4::{parse, verify};
use iam_auth::AuthError;
use iam_model::ErrorCode;
use libfuzzer_sys::fuzz_target;

/// The secret of the SigV4 test suite's `AKIDEXAMPLE`.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn documented(e: &AuthError) {
    assert!(
        matches!(
            e.code,
            ErrorCode::MissingAuthenticationToken
                | ErrorCode::IncompleteSignature
                | ErrorCode::SignatureDoesNotMatch
                | ErrorCode::RequestExpired
                | ErrorCode::InvalidClientTokenId
                | ErrorCode::ExpiredToken
        ),
        "undocumented code {e:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (req, _body) = iamd_fuzz::http_request(text);
    let auth = match parse(&req) {
        Ok(auth) => auth,
        Err(e) => return documented(&e),
    };
    for service in [auth.service.clone(), "iam".to_owned()] {
        for now in [auth.request_time_ms, iamd_fuzz::T0] {
            if let Err(e) = verify(&req, &auth, SECRET, &service, now) {
                documented(&e);
            }
        }
    }
    // The body hash left out: the request must then carry x-amz-content-sha256.
    let unhashed = iam_auth::sigv4::SignedRequest {
        payload_sha256: None,
        ..req
    };
    if let Err(e) = verify(
        &unhashed,
        &auth,
        SECRET,
        &auth.service,
        auth.request_time_ms,
    ) {
        documented(&e);
    }
});
