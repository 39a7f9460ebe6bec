//! Differential SigV4: what `sign` (header form) and `presign` (query form) produce must
//! `parse` and `verify` with the same secret, and a single-byte change to a signed part must
//! not verify: the body, the method, a signed header's value (a visible character replaced
//! by another one), the signature. A changed path or query byte must fail exactly when it
//! changes the canonical URI or query (some changes, e.g. `%41` for `A`, do not: they are
//! the same request to SigV4).
//!
//! The request is built from the input within what HTTP can carry (token header names,
//! visible-ASCII values, no `#` or space in the target); its query carries no `X-Amz-*`
//! parameter of its own.
#![no_main]

use iam_auth::sigv4::{
    canonical_query, canonical_uri, parse, percent_decode, presign, sha256_hex, sign, verify,
    AuthForm, SignedRequest, SigningParams,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SERVICES: [&str; 3] = ["iam", "sts", "s3"];
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-3", "aws-global"];
/// Header names `sign` sets or removes itself.
const OWN_HEADERS: [&str; 3] = ["authorization", "x-amz-date", "x-amz-security-token"];

fn string_of(u: &mut Unstructured<'_>, max: usize, ok: impl Fn(u8) -> bool) -> Result<String> {
    let len = u.int_in_range(0..=max)?;
    let mut s = String::new();
    for _ in 0..len {
        let b: u8 = u.arbitrary()?;
        if ok(b) {
            s.push(char::from(b));
        }
    }
    Ok(s)
}

fn tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn visible(b: u8) -> bool {
    b.is_ascii_graphic()
}

fn target_char(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'#' && b != b'?'
}

struct Case {
    req: SignedRequest,
    body: Vec<u8>,
    service: &'static str,
    region: &'static str,
    time_ms: u64,
    token: Option<String>,
    expires: u64,
    presigned: bool,
}

fn case(u: &mut Unstructured<'_>) -> Result<Case> {
    let method = string_of(u, 8, |b| b.is_ascii_uppercase())?;
    let method = if method.is_empty() {
        "POST".to_owned()
    } else {
        method
    };
    let path = format!("/{}", string_of(u, 40, target_char)?);
    let query = string_of(u, 60, |b| target_char(b) || b == b'?')?;
    let mut headers = vec![("Host".to_owned(), "iam.amazonaws.com".to_owned())];
    for _ in 0..u.int_in_range(0..=4)? {
        let name = string_of(u, 20, tchar)?;
        let value = string_of(u, 40, |b| visible(b) || b == b' ' || b == b'\t')?;
        if !name.is_empty() && !OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            headers.push((name, value));
        }
    }
    let body: Vec<u8> = u.arbitrary()?;
    let service = *u.choose(&SERVICES)?;
    let region = *u.choose(&REGIONS)?;
    // 2001 to 2100.
    let time_ms = u.int_in_range(978_307_200_000..=4_102_444_800_000u64)?;
    let token = if u.arbitrary()? {
        Some(string_of(u, 60, visible)?)
    } else {
        None
    };
    let expires = u.int_in_range(1..=604_800)?;
    let presigned = u.arbitrary()?;
    let req = SignedRequest {
        method,
        path,
        query,
        headers,
        payload_sha256: Some(sha256_hex(&body)),
    };
    Ok(Case {
        req,
        body,
        service,
        region,
        time_ms,
        token,
        expires,
        presigned,
    })
}

/// Parses and verifies at the signing time.
fn verifies(req: &SignedRequest, c: &Case) -> bool {
    match parse(req) {
        Ok(auth) => verify(req, &auth, SECRET, c.service, c.time_ms).is_ok(),
        Err(_) => false,
    }
}

/// Replaces byte `at` (mod len) of `s` with a different byte allowed by `ok`, chosen from
/// `pick`. None when `s` has no byte that may change.
fn mutate(
    s: &str,
    at: usize,
    pick: u8,
    changeable: impl Fn(u8) -> bool,
    ok: impl Fn(u8) -> bool,
) -> Option<String> {
    let positions: Vec<usize> = s
        .bytes()
        .enumerate()
        .filter(|(_, b)| changeable(*b))
        .map(|(i, _)| i)
        .collect();
    let &i = positions.get(at % positions.len().max(1))?;
    let old = s.as_bytes()[i];
    let new = (0..=255u8)
        .cycle()
        .skip(usize::from(pick))
        .take(256)
        .find(|&b| b != old && ok(b))?;
    let mut bytes = s.as_bytes().to_vec();
    bytes[i] = new;
    String::from_utf8(bytes).ok()
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let c = case(u)?;
    let has_own_query_auth = c.req.query.split('&').any(|p| {
        let name = p.split_once('=').map_or(p, |(n, _)| n);
        percent_decode(name).starts_with(b"X-Amz-")
    });
    if has_own_query_auth {
        return Ok(());
    }
    let params = SigningParams {
        access_key_id: KEY_ID,
        secret_access_key: SECRET,
        session_token: c.token.as_deref(),
        region: c.region,
        service: c.service,
        time_ms: c.time_ms,
    };
    let mut signed = c.req.clone();
    let done = if c.presigned {
        presign(&mut signed, &params, c.expires)
    } else {
        sign(&mut signed, &params).map(|_| ())
    };
    if done.is_err() {
        // Only a request whose x-amz-content-sha256 disagrees with its body cannot be signed.
        assert!(
            signed.header("x-amz-content-sha256").is_some(),
            "sign failed: {done:?} for {signed:?}"
        );
        return Ok(());
    }
    // Refused by design: a header the verifier reads once, sent twice with different values
    // (parse: IncompleteSignature), and an unsigned body outside S3 (verify).
    let repeated = ["host", "date", "x-amz-content-sha256"].iter().any(|h| {
        let mut values = signed
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(h))
            .map(|(_, v)| v.trim());
        values
            .next()
            .is_some_and(|first| values.any(|v| v != first))
    });
    let auth = match parse(&signed) {
        Ok(auth) => {
            assert!(
                !repeated,
                "a request repeating a single header parses: {signed:?}"
            );
            auth
        }
        Err(e) if repeated => {
            assert_eq!(e.code, iam_model::ErrorCode::IncompleteSignature, "{e:?}");
            return Ok(());
        }
        Err(e) => panic!("signed request does not parse: {e:?}\n{signed:?}"),
    };
    if auth.unsigned_payload && c.service != "s3" {
        assert!(verify(&signed, &auth, SECRET, c.service, c.time_ms).is_err());
        return Ok(());
    }
    assert_eq!(
        auth.form,
        if c.presigned {
            AuthForm::Query
        } else {
            AuthForm::Header
        }
    );
    assert_eq!(auth.access_key_id, KEY_ID);
    assert_eq!(
        (auth.region.as_str(), auth.service.as_str()),
        (c.region, c.service)
    );
    // An empty token is no token (parse drops it).
    let token = c.token.as_deref().filter(|t| !t.is_empty());
    assert_eq!(auth.security_token.as_deref(), token);
    if let Err(e) = verify(&signed, &auth, SECRET, c.service, c.time_ms) {
        panic!("signed request does not verify: {e:?}\n{signed:?}");
    }
    assert!(verify(&signed, &auth, "another secret", c.service, c.time_ms).is_err());

    let at: usize = u.arbitrary()?;
    let pick: u8 = u.arbitrary()?;
    let mut m = signed.clone();
    match u.int_in_range(0..=5u8)? {
        // The body.
        0 => {
            let mut body = c.body.clone();
            if body.is_empty() {
                body.push(pick);
            } else {
                let i = at % body.len();
                body[i] = body[i].wrapping_add(pick.max(1));
            }
            m.payload_sha256 = Some(sha256_hex(&body));
            // `x-amz-content-sha256: UNSIGNED-PAYLOAD` leaves the body unsigned by design
            // (S3); the server decides whether to accept that.
            if !auth.unsigned_payload {
                assert!(!verifies(&m, &c), "a changed body verifies: {m:?}");
            }
        }
        // The method.
        1 => {
            let Some(method) = mutate(&m.method, at, pick, |_| true, |b| b.is_ascii_uppercase())
            else {
                return Ok(());
            };
            m.method = method;
            assert!(!verifies(&m, &c), "a changed method verifies: {m:?}");
        }
        // A signed header's value (a visible character for another).
        2 => {
            let signed_names = &auth.signed_headers;
            let candidates: Vec<usize> = (0..m.headers.len())
                .filter(|&i| signed_names.contains(&m.headers[i].0.to_ascii_lowercase()))
                .filter(|&i| m.headers[i].1.bytes().any(visible))
                .collect();
            let Some(&i) = candidates.get(at % candidates.len().max(1)) else {
                return Ok(());
            };
            let Some(v) = mutate(&m.headers[i].1, at / 7, pick, visible, visible) else {
                return Ok(());
            };
            m.headers[i].1 = v;
            assert!(!verifies(&m, &c), "a changed signed header verifies: {m:?}");
        }
        // The signature.
        3 => {
            if c.presigned {
                let (rest, sig) = m.query.rsplit_once("X-Amz-Signature=").unwrap_or_default();
                let Some(sig) = mutate(
                    sig,
                    at,
                    pick,
                    |_| true,
                    |b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
                ) else {
                    return Ok(());
                };
                m.query = format!("{rest}X-Amz-Signature={sig}");
            } else {
                let Some(i) = m.headers.iter().position(|(n, _)| n == "Authorization") else {
                    unreachable!("sign adds Authorization")
                };
                let (rest, sig) = m.headers[i].1.rsplit_once("Signature=").unwrap_or_default();
                let Some(sig) = mutate(
                    sig,
                    at,
                    pick,
                    |_| true,
                    |b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
                ) else {
                    return Ok(());
                };
                m.headers[i].1 = format!("{rest}Signature={sig}");
            }
            assert!(!verifies(&m, &c), "a changed signature verifies: {m:?}");
        }
        // The path: fails exactly when the canonical URI changes.
        4 => {
            let Some(path) = mutate(&m.path, at, pick, |_| true, target_char) else {
                return Ok(());
            };
            let normalize = c.service != "s3";
            let same = canonical_uri(&path, normalize) == canonical_uri(&m.path, normalize);
            m.path = path;
            assert_eq!(
                verifies(&m, &c),
                same,
                "path change, same canonical URI: {same}: {m:?}"
            );
        }
        // The query: fails exactly when the canonical query (less the signature) or the
        // parsed authentication changes.
        _ => {
            let Some(query) = mutate(&m.query, at, pick, |_| true, target_char) else {
                return Ok(());
            };
            let before = canonical_query(&m.query, &["X-Amz-Signature"]);
            let old_auth = parse(&m);
            let old_params = iam_aws::Params::from_request(m.query.as_bytes(), &c.body);
            m.query = query;
            let same = canonical_query(&m.query, &["X-Amz-Signature"]) == before
                && parse(&m).ok() == old_auth.ok();
            assert_eq!(
                verifies(&m, &c),
                same,
                "query change, same canonical query: {same}: {m:?}"
            );
            // What still verifies is executed with the same parameters (query and body
            // merged, as the HTTP port does): the signature covers what runs.
            if same {
                let params = iam_aws::Params::from_request(m.query.as_bytes(), &c.body);
                // Errors compare by code (their messages quote the bytes sent).
                let outcome = |p: &Result<iam_aws::Params, iam_aws::AwsError>| match p {
                    Ok(params) => Ok(params.clone()),
                    Err(e) => Err(e.code.clone()),
                };
                assert_eq!(
                    outcome(&params),
                    outcome(&old_params),
                    "one signature, two parameter sets: {m:?}"
                );
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
