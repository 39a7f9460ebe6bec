//! The canonical request, the string to sign, the signing key and the signature, exactly as
//! AWS defines them (checked against AWS's SigV4 test suite in `tests/vectors`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The algorithm name in the `Authorization` header and the string to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// Hex SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lowercase hex SHA-256 of `data`; what goes in `SignedRequest::payload_sha256`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Signing keys derived recently on this thread, by a SHA-256 over the secret and the scope
/// (so no secret is kept as a map key). Deriving a key is four HMACs (16 SHA-256 blocks);
/// the lookup hashes one or two blocks. A client signs, and a node verifies, many requests
/// per key and day, so almost every request hits.
mod key_cache {
    use sha2::{Digest, Sha256};
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// Entries per thread before the map is emptied (keys and days in use at once).
    const MAX_ENTRIES: usize = 512;

    thread_local! {
        static KEYS: RefCell<HashMap<[u8; 32], [u8; 32]>> = RefCell::new(HashMap::new());
    }

    /// The cache key: SHA-256 over each part, length-prefixed (so parts cannot run together).
    pub(super) fn id(parts: [&str; 4]) -> [u8; 32] {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p.as_bytes());
        }
        h.finalize().into()
    }

    pub(super) fn get_or(id: [u8; 32], derive: impl FnOnce() -> [u8; 32]) -> [u8; 32] {
        if let Some(k) = KEYS.with(|m| m.borrow().get(&id).copied()) {
            return k;
        }
        let k = derive();
        KEYS.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(id, k);
        });
        k
    }
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
/// `date` is the credential scope's `YYYYMMDD`. Cached per thread (see `key_cache`).
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    key_cache::get_or(key_cache::id([secret, date, region, service]), || {
        derive_signing_key(secret, date, region, service)
    })
}

fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k = Vec::with_capacity(4 + secret.len());
    k.extend_from_slice(b"AWS4");
    k.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&k, date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

/// Lowercase hex `HMAC(kSigning, string_to_sign)`.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(signing_key, string_to_sign.as_bytes()))
}

/// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical request)>` (no trailing newline).
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// RFC 3986 percent-encoding of every byte except the unreserved ones (and `/` if
/// `keep_slash`), with uppercase hex: AWS's `UriEncode`.
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn decode(s: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hexval(s[i + 1]), hexval(s[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && s[i] == b'+' {
            b' '
        } else {
            s[i]
        });
        i += 1;
    }
    out
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays literal, and `+` stays
/// `+`. For query strings and form bodies use [`query_pairs`], which reads `+` as a space.
pub fn percent_decode(s: &str) -> Vec<u8> {
    decode(s.as_bytes(), false)
}

/// The one decoder of query strings and `application/x-www-form-urlencoded` bodies, shared
/// by the canonical request ([`canonical_query`]), [`super::parse`] and the servers that
/// execute the parameters, so that what is signed and what is executed are the same bytes:
/// pairs split on `&` (empty pieces skipped), name and value split at the first `=` (a
/// piece without one is a name with an empty value), `+` is a space (form encoding, as
/// browsers, curl and `form_urlencoded` read it; SigV4 signers send `%20` and `%2B`), `%XX`
/// is the byte XX, and a `%` not followed by two hex digits stays literal. Pairs come back
/// in the order sent, repeats included (callers decide what a repeat means).
pub fn query_pairs(raw: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = match p.iter().position(|b| *b == b'=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, &p[p.len()..]),
            };
            (decode(n, true), decode(v, true))
        })
        .collect()
}

/// botocore's `remove_dot_segments`: drops empty and `.` segments, resolves `..`, keeps the
/// leading and the trailing slash.
pub fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !out.is_empty() {
        "/"
    } else {
        ""
    };
    format!("{first}{}{last}", out.join("/"))
}

/// The canonical URI: the request-line path (normalized unless `normalize` is false, as for
/// S3), each byte outside the unreserved set and `/` percent-encoded once. A path that
/// arrives percent-encoded is therefore encoded again, which is what SDKs sign for every
/// service but S3.
pub fn canonical_uri(path: &str, normalize: bool) -> String {
    let p = if normalize {
        normalize_path(path)
    } else {
        path.to_owned()
    };
    if p.is_empty() {
        "/".to_owned()
    } else {
        uri_encode(p.as_bytes(), true)
    }
}

/// The canonical query string from a raw query string: each `name=value` pair decoded
/// ([`query_pairs`]: `+` is a space), then encoded per RFC 3986, sorted by name then value,
/// joined with `&`. Pairs whose decoded name is in `skip` (the presigned `X-Amz-Signature`)
/// are left out.
pub fn canonical_query(raw: &str, skip: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw.as_bytes())
        .into_iter()
        .filter(|(name, _)| !skip.iter().any(|s| s.as_bytes() == name.as_slice()))
        .map(|(name, value)| (uri_encode(&name, false), uri_encode(&value, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value as it appears in the canonical request: trimmed, each run of whitespace
/// collapsed to one space.
pub fn canonical_header_value(v: &str) -> String {
    v.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// `name:value\n` for each signed header, in the signed-headers order; a header sent several
/// times has its values joined with commas in the order received.
pub fn canonical_headers(headers: &[(String, String)], signed: &[String]) -> String {
    let mut out = String::new();
    for name in signed {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| canonical_header_value(v))
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// The canonical request's six parts joined with newlines.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_signing_keys_are_the_derived_ones_for_exactly_their_scope() {
        let cases = [
            ("secret", "20150830", "us-east-1", "iam"),
            ("secret", "20150831", "us-east-1", "iam"),
            ("other", "20150830", "us-east-1", "iam"),
            // Parts that would run together if simply concatenated.
            ("secret", "20150830", "a|b", "c"),
            ("secret", "20150830", "a", "b|c"),
        ];
        for _ in 0..2 {
            for (secret, date, region, service) in cases {
                assert_eq!(
                    signing_key(secret, date, region, service),
                    derive_signing_key(secret, date, region, service),
                    "{secret} {date} {region} {service}"
                );
            }
        }
        assert_ne!(
            signing_key("secret", "20150830", "a|b", "c"),
            signing_key("secret", "20150830", "a", "b|c")
        );
        // Past the bound the cache starts over and still answers correctly.
        for i in 0..600 {
            let region = format!("r{i}");
            assert_eq!(
                signing_key("s", "20150830", &region, "iam"),
                derive_signing_key("s", "20150830", &region, "iam")
            );
        }
    }

    #[test]
    fn encodes_like_aws() {
        assert_eq!(uri_encode(b"a b/c~-_.", true), "a%20b/c~-_.");
        assert_eq!(uri_encode(b"a b/c", false), "a%20b%2Fc");
        assert_eq!(uri_encode("ሴ".as_bytes(), false), "%E1%88%B4");
        assert_eq!(percent_decode("%E1%88%B4x%2"), b"\xE1\x88\xB4x%2".to_vec());
        assert_eq!(percent_decode("a+b%zz%"), b"a+b%zz%".to_vec());
        assert_eq!(
            query_pairs(b"a=1+2%2B&&b&c==d&%zz=%4"),
            vec![
                (b"a".to_vec(), b"1 2+".to_vec()),
                (b"b".to_vec(), Vec::new()),
                (b"c".to_vec(), b"=d".to_vec()),
                (b"%zz".to_vec(), b"%4".to_vec()),
            ]
        );
    }

    #[test]
    fn normalizes_like_botocore() {
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/./example"), "/example");
        assert_eq!(normalize_path("/foo/bar/.."), "/foo");
        assert_eq!(canonical_uri("", true), "/");
        assert_eq!(canonical_uri("/a%20b", true), "/a%2520b");
    }

    #[test]
    fn query_is_sorted_and_reencoded() {
        assert_eq!(
            canonical_query(
                "b=2&a=1&a=0&c&X-Amz-Signature=x&d=%7e+%2B",
                &["X-Amz-Signature"]
            ),
            // `+` is a space, as the form decoder that executes the parameters reads it.
            "a=0&a=1&b=2&c=&d=~%20%2B"
        );
        assert_eq!(canonical_query("", &[]), "");
    }
}
