//! SigV4 unit tests: AWS's IAM ListUsers example, parse and verify errors in AWS's order and
//! wording, sign/presign round trips, and inputs that must never panic.

use super::*;
use crate::time::parse_amz_date;
use iam_model::ErrorCode;
use proptest::prelude::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn t0() -> u64 {
    parse_amz_date("20150830T123600Z").unwrap()
}

/// The IAM example from AWS's "Create a signed AWS API request" page.
fn list_users() -> SignedRequest {
    SignedRequest {
        method: "GET".into(),
        path: "/".into(),
        query: "Action=ListUsers&Version=2010-05-08".into(),
        headers: vec![
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
            ("Host".into(), "iam.amazonaws.com".into()),
            ("X-Amz-Date".into(), "20150830T123600Z".into()),
            (
                "Authorization".into(),
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                    .into(),
            ),
        ],
        payload_sha256: Some(EMPTY_SHA256.into()),
    }
}

fn params(service: &'static str, time_ms: u64) -> SigningParams<'static> {
    SigningParams {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: None,
        region: "us-east-1",
        service,
        time_ms,
    }
}

#[test]
fn aws_iam_list_users_example() {
    let req = list_users();
    let auth = parse(&req).unwrap();
    assert_eq!(auth.access_key_id, AKID);
    assert_eq!(auth.scope(), "20150830/us-east-1/iam/aws4_request");
    let creq = canonical_request_for(&req, &auth, true).unwrap();
    assert_eq!(
        sha256_hex(creq.as_bytes()),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    assert_eq!(
        hex::encode(signing_key(SECRET, "20150830", "us-east-1", "iam")),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    verify(&req, &auth, SECRET, "iam", t0()).unwrap();
    // The same request signed by us carries the documented signature.
    let mut unsigned = req.clone();
    unsigned
        .headers
        .retain(|(n, _)| n != "Authorization" && n != "X-Amz-Date");
    let authz = sign(&mut unsigned, &params("iam", t0())).unwrap();
    assert_eq!(authz, req.header("authorization").unwrap());
}

fn code(r: Result<impl std::fmt::Debug, AuthError>) -> (ErrorCode, String) {
    let e = r.unwrap_err();
    (e.code, e.message)
}

#[test]
fn verify_errors_in_aws_order() {
    let req = list_users();
    let auth = parse(&req).unwrap();
    let (c, m) = code(verify(&req, &auth, "wrong", "iam", t0()));
    assert_eq!(c, ErrorCode::SignatureDoesNotMatch);
    assert!(m.starts_with("The request signature we calculated"), "{m}");

    let (c, m) = code(verify(&req, &auth, SECRET, "sts", t0()));
    assert_eq!(c, ErrorCode::SignatureDoesNotMatch);
    assert_eq!(m, "Credential should be scoped to correct service: 'sts'.");

    let mut bad = auth.clone();
    bad.terminator = "aws5_request".into();
    let (_, m) = code(verify(&req, &bad, SECRET, "iam", t0()));
    assert!(
        m.contains("valid terminator: 'aws4_request', not 'aws5_request'"),
        "{m}"
    );

    let mut bad = auth.clone();
    bad.scope_date = "20150831".into();
    let (c, m) = code(verify(&req, &bad, SECRET, "iam", t0()));
    assert_eq!(c, ErrorCode::SignatureDoesNotMatch);
    assert!(
        m.contains("'20150831' != '20150830', from 'x-amz-date'"),
        "{m}"
    );

    // Any region verifies (the signature covers it).
    let mut other = req.clone();
    other
        .headers
        .retain(|(n, _)| n != "Authorization" && n != "X-Amz-Date");
    let p = SigningParams {
        region: "eu-north-1",
        ..params("iam", t0())
    };
    sign(&mut other, &p).unwrap();
    verify(&other, &parse(&other).unwrap(), SECRET, "iam", t0()).unwrap();
}

#[test]
fn clock_skew_is_five_minutes_either_way() {
    let req = list_users();
    let auth = parse(&req).unwrap();
    let five = 5 * 60 * 1000;
    verify(&req, &auth, SECRET, "iam", t0() + five).unwrap();
    verify(&req, &auth, SECRET, "iam", t0() - five).unwrap();
    let (c, m) = code(verify(&req, &auth, SECRET, "iam", t0() + five + 1000));
    assert_eq!(c, ErrorCode::SignatureDoesNotMatch);
    assert_eq!(
        m,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z \
         (20150830T124101Z - 5 min.)"
    );
    let (c, m) = code(verify(&req, &auth, SECRET, "iam", t0() - five - 1000));
    assert_eq!(c, ErrorCode::SignatureDoesNotMatch);
    assert!(
        m.starts_with("Signature not yet current: 20150830T123600Z is still later than"),
        "{m}"
    );
    // Before the epoch plus five minutes: no underflow.
    assert!(verify(&req, &auth, SECRET, "iam", 0).is_err());
}

#[test]
fn parse_errors() {
    let mut req = list_users();
    req.headers.retain(|(n, _)| n != "Authorization");
    assert_eq!(code(parse(&req)).0, ErrorCode::MissingAuthenticationToken);

    let with_auth = |v: &str| {
        let mut r = list_users();
        r.headers.retain(|(n, _)| n != "Authorization");
        r.headers.push(("authorization".into(), v.into()));
        parse(&r)
    };
    let (c, m) = code(with_auth("AWS4-HMAC-SHA256 SignedHeaders=host"));
    assert_eq!(c, ErrorCode::IncompleteSignature);
    assert!(
        m.starts_with(
            "Authorization header requires 'Credential' parameter. Authorization header requires \
         'Signature' parameter. Authorization="
        ),
        "{m}"
    );
    let (c, m) = code(with_auth("AWS AKID:sig"));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::IncompleteSignature,
            "Unsupported AWS 'algorithm': 'AWS'."
        )
    );
    assert!(code(with_auth("AWS4-HMAC-SHA256 Credential"))
        .1
        .contains("missing equal-sign"));
    let (_, m) = code(with_auth(
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request,SignedHeaders=x-amz-date,Signature=00",
    ));
    assert!(m.contains("'Host' or ':authority'"), "{m}");
    let (_, m) = code(with_auth(
        "AWS4-HMAC-SHA256 Credential=A/20150830/iam/aws4_request,SignedHeaders=host,Signature=00",
    ));
    assert!(m.starts_with("Credential should be of the form"), "{m}");
    // No spaces after the commas is fine.
    let ok = with_auth(
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request,SignedHeaders=Host;X-Amz-Date,Signature=00",
    )
    .unwrap();
    assert_eq!(ok.signed_headers, ["host", "x-amz-date"]);

    let mut no_date = list_users();
    no_date.headers.retain(|(n, _)| n != "X-Amz-Date");
    let (c, m) = code(parse(&no_date));
    assert_eq!(c, ErrorCode::IncompleteSignature);
    assert!(
        m.contains("either a 'X-Amz-Date' or a 'Date' header"),
        "{m}"
    );
    no_date
        .headers
        .push(("X-Amz-Date".into(), "2015-08-30T12:36:00Z".into()));
    assert!(code(parse(&no_date))
        .1
        .starts_with("Date must be in ISO-8601 'basic format'"));

    let mut both = list_users();
    both.query.push_str("&X-Amz-Algorithm=AWS4-HMAC-SHA256");
    assert!(code(parse(&both))
        .1
        .starts_with("Only one auth mechanism allowed"));
}

#[test]
fn date_header_is_the_fallback() {
    let mut req = list_users();
    req.headers
        .retain(|(n, _)| n != "Authorization" && n != "X-Amz-Date");
    req.headers
        .push(("Date".into(), "Sun, 30 Aug 2015 12:36:00 GMT".into()));
    // Sign as a client that uses `Date`: the canonical headers carry `date`.
    let auth_template = ParsedAuth {
        form: AuthForm::Header,
        access_key_id: AKID.into(),
        scope_date: "20150830".into(),
        region: "us-east-1".into(),
        service: "iam".into(),
        terminator: TERMINATOR.into(),
        signed_headers: vec!["date".into(), "host".into()],
        signature: String::new(),
        amz_date: "20150830T123600Z".into(),
        request_time_ms: t0(),
        date_source: "date",
        security_token: None,
        expires_secs: None,
        unsigned_payload: false,
    };
    let sig = expected_signature(&req, &auth_template, SECRET, true).unwrap();
    req.headers.push((
        "Authorization".into(),
        format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=date;host, Signature={sig}"),
    ));
    let auth = parse(&req).unwrap();
    assert_eq!(
        (auth.amz_date.as_str(), auth.date_source),
        ("20150830T123600Z", "date")
    );
    verify(&req, &auth, SECRET, "iam", t0()).unwrap();
}

fn sts_post(body: &[u8]) -> SignedRequest {
    SignedRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("Host".into(), "127.0.0.1:8443".into()),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
            ("User-Agent".into(), "botocore/1.44.8".into()),
        ],
        payload_sha256: Some(sha256_hex(body)),
    }
}

#[test]
fn sign_then_verify_with_a_session_token_and_a_body() {
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let mut req = sts_post(body);
    let p = SigningParams {
        session_token: Some("tok/en+=="),
        ..params("sts", t0())
    };
    let authz = sign(&mut req, &p).unwrap();
    assert!(
        authz.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"),
        "{authz}"
    );
    let auth = parse(&req).unwrap();
    assert_eq!(auth.security_token.as_deref(), Some("tok/en+=="));
    verify(&req, &auth, SECRET, "sts", t0() + 1000).unwrap();

    // A changed body, header, path or query no longer verifies.
    let mut other_body = req.clone();
    other_body.payload_sha256 = Some(sha256_hex(b"Action=AssumeRole"));
    assert_eq!(
        code(verify(&other_body, &auth, SECRET, "sts", t0())).0,
        ErrorCode::SignatureDoesNotMatch
    );
    let mut other_header = req.clone();
    other_header.headers[1].1 = "application/json".into();
    assert!(verify(&other_header, &auth, SECRET, "sts", t0()).is_err());
    let mut other_path = req.clone();
    other_path.path = "/x".into();
    assert!(verify(&other_path, &auth, SECRET, "sts", t0()).is_err());
    // Unsigned headers may change (user-agent is not signed).
    let mut ua = req.clone();
    ua.headers[2].1 = "curl".into();
    verify(&ua, &auth, SECRET, "sts", t0()).unwrap();
}

#[test]
fn content_sha256_header_and_unsigned_payload() {
    let body = b"Action=ListUsers";
    let mut req = sts_post(body);
    req.headers
        .push(("x-amz-content-sha256".into(), sha256_hex(body)));
    sign(&mut req, &params("iam", t0())).unwrap();
    let auth = parse(&req).unwrap();
    assert!(!auth.unsigned_payload);
    verify(&req, &auth, SECRET, "iam", t0()).unwrap();
    // The server did not hash the body (a relayed request): the header is used.
    let mut unhashed = req.clone();
    unhashed.payload_sha256 = None;
    verify(&unhashed, &auth, SECRET, "iam", t0()).unwrap();
    // The body does not match the header.
    let mut lying = req.clone();
    lying.payload_sha256 = Some(EMPTY_SHA256.into());
    assert!(code(verify(&lying, &auth, SECRET, "iam", t0()))
        .1
        .contains("x-amz-content-sha256"));

    // UNSIGNED-PAYLOAD: a valid signature over any body. IAM and STS refuse it (only S3
    // accepts unsigned payloads), whatever the body; S3's scope accepts it.
    let mut unsigned = sts_post(body);
    unsigned
        .headers
        .push(("X-Amz-Content-Sha256".into(), UNSIGNED_PAYLOAD.into()));
    sign(&mut unsigned, &params("iam", t0())).unwrap();
    let auth = parse(&unsigned).unwrap();
    assert!(auth.unsigned_payload);
    for service in ["iam", "sts"] {
        let mut r = sts_post(body);
        r.headers
            .push(("X-Amz-Content-Sha256".into(), UNSIGNED_PAYLOAD.into()));
        sign(&mut r, &params(service, t0())).unwrap();
        // Whether or not the server hashed the body.
        let mut unhashed = r.clone();
        unhashed.payload_sha256 = None;
        for r in [r, unhashed] {
            let (c, m) = code(verify(&r, &parse(&r).unwrap(), SECRET, service, t0()));
            assert_eq!(c, ErrorCode::SignatureDoesNotMatch, "{m}");
            assert!(
                m.contains("UNSIGNED-PAYLOAD") && m.contains("only S3"),
                "{m}"
            );
        }
    }
    let mut swapped = unsigned.clone();
    swapped.payload_sha256 = Some(sha256_hex(b"Action=CreateUser&UserName=x"));
    assert!(verify(&swapped, &auth, SECRET, "iam", t0()).is_err());
    let mut s3 = sts_post(body);
    s3.headers
        .push(("X-Amz-Content-Sha256".into(), UNSIGNED_PAYLOAD.into()));
    sign(&mut s3, &params("s3", t0())).unwrap();
    let s3_auth = parse(&s3).unwrap();
    verify(&s3, &s3_auth, SECRET, "s3", t0()).unwrap();

    let mut streaming = unsigned.clone();
    streaming
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-content-sha256"));
    streaming.headers.push((
        "x-amz-content-sha256".into(),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into(),
    ));
    assert_eq!(
        code(verify(&streaming, &auth, SECRET, "iam", t0())).0,
        ErrorCode::SignatureDoesNotMatch
    );
    let mut s3_streaming = s3.clone();
    s3_streaming
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-content-sha256"));
    s3_streaming.headers.push((
        "x-amz-content-sha256".into(),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into(),
    ));
    assert_eq!(
        code(verify(&s3_streaming, &s3_auth, SECRET, "s3", t0())).0,
        ErrorCode::IncompleteSignature
    );

    // Sent twice with two values, the header would be read as one and signed as both:
    // refused. The same value twice means one thing either way.
    let mut twice = req.clone();
    twice
        .headers
        .push(("x-amz-content-sha256".into(), UNSIGNED_PAYLOAD.into()));
    assert_eq!(code(parse(&twice)).0, ErrorCode::IncompleteSignature);
    let mut same = req.clone();
    let auth_value = same.header("authorization").unwrap().to_owned();
    same.headers.push(("Authorization".into(), auth_value));
    parse(&same).unwrap();

    let mut none = sts_post(body);
    none.payload_sha256 = None;
    assert!(sign(&mut none, &params("iam", t0())).is_err());
}

#[test]
fn presign_then_verify_and_expire() {
    let mut req = SignedRequest {
        method: "GET".into(),
        path: "/".into(),
        query: "Action=GetCallerIdentity&Version=2011-06-15".into(),
        headers: vec![("host".into(), "sts.amazonaws.com".into())],
        payload_sha256: Some(EMPTY_SHA256.into()),
    };
    let p = SigningParams {
        session_token: Some("a token"),
        ..params("sts", t0())
    };
    presign(&mut req, &p, 900).unwrap();
    let auth = parse(&req).unwrap();
    assert_eq!(auth.form, AuthForm::Query);
    assert_eq!(
        (auth.expires_secs, auth.security_token.as_deref()),
        (Some(900), Some("a token"))
    );
    verify(&req, &auth, SECRET, "sts", t0()).unwrap();
    // Valid for its whole lifetime (not just five minutes), then RequestExpired.
    verify(&req, &auth, SECRET, "sts", t0() + 900_000).unwrap();
    let (c, _) = code(verify(&req, &auth, SECRET, "sts", t0() + 900_001));
    assert_eq!(c, ErrorCode::RequestExpired);
    assert!(verify(&req, &auth, SECRET, "sts", t0() - 6 * 60 * 1000).is_err());
    // The query is covered: adding a parameter breaks it.
    let mut more = req.clone();
    more.query.push_str("&DurationSeconds=900");
    assert!(verify(&more, &auth, SECRET, "sts", t0()).is_err());

    let mut bad = req.clone();
    bad.query = bad
        .query
        .replace("X-Amz-Expires=900", "X-Amz-Expires=604801");
    assert_eq!(code(parse(&bad)).0, ErrorCode::IncompleteSignature);
    let mut missing = req.clone();
    missing.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256".into();
    let (c, m) = code(parse(&missing));
    assert_eq!(c, ErrorCode::IncompleteSignature);
    assert!(
        m.contains("'X-Amz-Credential'") && m.contains("'X-Amz-Signature'"),
        "{m}"
    );
}

fn arb_request() -> impl Strategy<Value = SignedRequest> {
    let header = prop_oneof![
        Just("Authorization".to_owned()),
        Just("X-Amz-Date".to_owned()),
        Just("Date".to_owned()),
        Just("host".to_owned()),
        Just("x-amz-content-sha256".to_owned()),
        Just("X-Amz-Security-Token".to_owned()),
        "[a-zA-Z-]{1,12}",
    ];
    let value = prop_oneof![
        "\\PC{0,60}",
        Just("AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00".to_owned()),
        "AWS4-HMAC-SHA256 [A-Za-z=/,; 0-9-]{0,80}",
        Just("20150830T123600Z".to_owned()),
        "[0-9TZ]{16}",
    ];
    (
        "[A-Z]{0,7}",
        "\\PC{0,30}",
        prop_oneof![
            "\\PC{0,60}",
            "(X-Amz-[A-Za-z]{0,12}=[%A-Za-z0-9/;-]{0,20}&?){0,7}"
        ],
        proptest::collection::vec((header, value), 0..8),
        proptest::option::of(prop_oneof!["[0-9a-f]{64}", "\\PC{0,10}"]),
    )
        .prop_map(
            |(method, path, query, headers, payload_sha256)| SignedRequest {
                method,
                path,
                query,
                headers,
                payload_sha256,
            },
        )
}

proptest! {
    #[test]
    fn random_requests_never_panic(req in arb_request(), now in any::<u64>(), service in "[a-z0-9]{0,4}") {
        if let Ok(auth) = parse(&req) {
            let _ = verify(&req, &auth, SECRET, &service, now);
            let _ = verify(&req, &auth, SECRET, "iam", auth.request_time_ms);
        }
        let mut r = req.clone();
        let _ = sign(&mut r, &params("iam", now % 253_402_300_799_000));
        let mut r = req;
        let _ = presign(&mut r, &params("iam", now % 253_402_300_799_000), 60);
    }

    #[test]
    fn what_we_sign_verifies(
        path in "(/[a-zA-Z0-9 ._~%-]{0,8}){0,4}",
        query in proptest::collection::vec(("[a-zA-Z0-9 ._~%+=-]{1,8}", "\\PC{0,8}"), 0..4),
        value in "[ -~]{0,20}",
        body in proptest::collection::vec(any::<u8>(), 0..40),
        offset in 0u64..300_000,
    ) {
        let mut req = sts_post(&body);
        req.path = if path.is_empty() { "/".into() } else { path };
        req.query = query
            .iter()
            .map(|(n, v)| format!("{}={}", uri_encode(n.as_bytes(), false), uri_encode(v.as_bytes(), false)))
            .collect::<Vec<_>>()
            .join("&");
        req.headers.push(("X-Custom".into(), value));
        sign(&mut req, &params("iam", t0())).unwrap();
        let auth = parse(&req).unwrap();
        prop_assert!(verify(&req, &auth, SECRET, "iam", t0() + offset).is_ok());
        prop_assert!(verify(&req, &auth, "other", "iam", t0() + offset).is_err());
    }
}

/// A query parameter can be written in several ways that the form decoder reads as the
/// same value (`+` and `%20`). The canonical request must read them the same way, or a
/// signature over `a%2Bb` (value `a+b`) would also cover the raw `a+b` (executed as `a b`).
#[test]
fn the_canonical_query_reads_plus_as_the_form_decoder_does() {
    for (a, b) in [("UserName=a+b", "UserName=a%20b"), ("x=%2b", "x=%2B")] {
        assert_eq!(canonical_query(a, &[]), canonical_query(b, &[]), "{a} {b}");
    }
    assert_ne!(
        canonical_query("UserName=a+b", &[]),
        canonical_query("UserName=a%2Bb", &[])
    );
    // Signed with `%2B` (a literal plus), a raw `+` no longer verifies.
    let mut req = sts_post(b"");
    req.method = "GET".into();
    req.query = "Action=GetUser&UserName=a%2Bb".into();
    sign(&mut req, &params("iam", t0())).unwrap();
    let auth = parse(&req).unwrap();
    verify(&req, &auth, SECRET, "iam", t0()).unwrap();
    let mut plus = req.clone();
    plus.query = "Action=GetUser&UserName=a+b".into();
    assert_eq!(
        code(verify(&plus, &auth, SECRET, "iam", t0())).0,
        ErrorCode::SignatureDoesNotMatch
    );
}

#[test]
fn repeated_presigned_parameters_are_refused() {
    let mut req = sts_post(b"");
    req.method = "GET".into();
    req.query = "Action=GetCallerIdentity&Version=2011-06-15".into();
    presign(&mut req, &params("sts", t0()), 60).unwrap();
    parse(&req).unwrap();
    let mut twice = req.clone();
    twice
        .query
        .push_str("&X-Amz-Credential=AKIDOTHER%2F20150830%2Fus-east-1%2Fsts%2Faws4_request");
    let (c, m) = code(parse(&twice));
    assert_eq!(c, ErrorCode::IncompleteSignature);
    assert!(m.contains("X-Amz-Credential"), "{m}");
}
