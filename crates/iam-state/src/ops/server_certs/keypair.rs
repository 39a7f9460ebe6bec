//! The private key `UploadServerCertificate` takes with a certificate: one unencrypted PEM
//! private key — PKCS#1 (`RSA PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`, RSA or EC) or SEC1
//! (`EC PRIVATE KEY`, optionally after OpenSSL's `EC PARAMETERS` block) — whose public part
//! is the certificate's public key:
//!
//! - RSA: the key's modulus and public exponent are the certificate's, and its primes
//!   multiply to the modulus (a key whose numbers do not hold together is malformed);
//! - EC (P-256, P-384): the key's curve is the certificate's, and `ring` accepts the key's
//!   scalar with the certificate's point as one key pair (it computes the point from the
//!   scalar); a public key written in the private key must be the certificate's too. P-521
//!   (which `ring` does not compute) is accepted only when the private key carries its public
//!   key and that is the certificate's.
//!
//! Anything else is AWS's `MalformedCertificate` (not PEM, encrypted, not a private key,
//! another algorithm) or `KeyPairMismatch` (a key of another certificate). This runs on the
//! proposing node only ([`super::ServerCertOp::prepare`]): apply never sees the key in the
//! clear. No message repeats any part of the key, and no input panics.

use super::super::signing_certs::pem::Certificate;
use iam_model::{ErrorCode, IamError, IamResult};
use x509_parser::certificate::X509Certificate;
use x509_parser::pem::parse_x509_pem;
use x509_parser::prelude::FromDer;

/// `PrivateKey`'s longest value.
pub const PRIVATE_KEY_LEN_MAX: usize = 16384;

/// DER of the OID rsaEncryption (1.2.840.113549.1.1.1), content octets.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey (1.2.840.10045.2.1).
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / P-256 (1.2.840.10045.3.1.7).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 / P-384 (1.3.132.0.34).
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// secp521r1 / P-521 (1.3.132.0.35).
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

fn malformed(why: &str) -> IamError {
    IamError::new(
        ErrorCode::MalformedCertificate,
        format!("Unable to parse private key: {why}. The private key must be one unencrypted PEM-encoded RSA or EC private key (PKCS#1, PKCS#8 or SEC1)."),
    )
}

pub fn mismatch() -> IamError {
    IamError::new(
        ErrorCode::KeyPairMismatch,
        "The private key does not match the public key in the certificate.",
    )
}

/// A private key's public part, as read from its encoding.
enum PrivateKey<'a> {
    Rsa {
        n: &'a [u8],
        e: &'a [u8],
        p: &'a [u8],
        q: &'a [u8],
    },
    Ec {
        curve: &'a [u8],
        scalar: &'a [u8],
        /// The uncompressed point, when the key carries it.
        public: Option<&'a [u8]>,
    },
}

/// The certificate's public key.
enum PublicKey<'a> {
    Rsa { n: &'a [u8], e: &'a [u8] },
    Ec { curve: &'a [u8], point: &'a [u8] },
    Other,
}

/// `PrivateKey`'s length and characters, as the model bounds it (the value is never
/// repeated: it is a secret).
pub fn validate_text(key: &str) -> IamResult<()> {
    let len = key.chars().count();
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    if !(1..=PRIVATE_KEY_LEN_MAX).contains(&len) || !key.chars().all(allowed) {
        return Err(IamError::new(
            ErrorCode::ValidationError,
            "1 validation error detected: Value at 'privateKey' failed to satisfy constraint: Member must have length between 1 and 16384 and satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(())
}

/// Whether `key_pem` is a private key of the certificate `cert` (already parsed).
pub fn check(key_pem: &str, cert: &Certificate) -> IamResult<()> {
    validate_text(key_pem)?;
    let der = pem_key(key_pem)?;
    let (label, der) = (der.0, der.1);
    let key = match label.as_str() {
        "RSA PRIVATE KEY" => pkcs1(&der).ok_or_else(|| malformed("not a PKCS#1 RSA key"))?,
        "EC PRIVATE KEY" => sec1(&der, None).ok_or_else(|| malformed("not a SEC1 EC key"))?,
        "PRIVATE KEY" => pkcs8(&der)?,
        _ => return Err(malformed("not a private key")),
    };
    let (_, x509) = X509Certificate::from_der(&cert.der).map_err(|_| super::malformed_body())?;
    let public = spki(x509.public_key().raw).ok_or_else(super::malformed_body)?;
    match (key, public) {
        (PrivateKey::Rsa { n, e, p, q }, PublicKey::Rsa { n: cn, e: ce }) => {
            if unsigned(n) != unsigned(cn) || unsigned(e) != unsigned(ce) {
                return Err(mismatch());
            }
            if multiply(unsigned(p), unsigned(q)) != unsigned(n) {
                return Err(malformed("the RSA key's primes are not its modulus' factors"));
            }
            Ok(())
        }
        (
            PrivateKey::Ec {
                curve,
                scalar,
                public,
            },
            PublicKey::Ec {
                curve: cert_curve,
                point,
            },
        ) => {
            if curve != cert_curve || public.is_some_and(|p| p != point) {
                return Err(mismatch());
            }
            ec_pair(curve, scalar, point, public.is_some())
        }
        (_, PublicKey::Other) => Err(IamError::new(
            ErrorCode::MalformedCertificate,
            "The certificate's public key is neither RSA nor EC: iamd accepts server certificates of RSA and EC (P-256, P-384, P-521) keys.",
        )),
        _ => Err(mismatch()),
    }
}

/// The one PEM block of a private key (after an optional `EC PARAMETERS` block), as its
/// label and DER.
fn pem_key(text: &str) -> IamResult<(String, Vec<u8>)> {
    let text = text.trim();
    let encrypted = text.lines().any(|l| {
        (l.starts_with("-----BEGIN ") || l.starts_with("Proc-Type:")) && l.contains("ENCRYPTED")
    });
    if encrypted {
        return Err(malformed("the key is encrypted"));
    }
    let mut rest = text.as_bytes();
    loop {
        let first = std::str::from_utf8(rest)
            .ok()
            .and_then(|t| t.trim_start().lines().next())
            .map(str::trim_end);
        let label = first
            .and_then(|l| l.strip_prefix("-----BEGIN "))
            .and_then(|l| l.strip_suffix("-----"))
            .ok_or_else(|| malformed("not PEM"))?
            .to_owned();
        let (tail, pem) = parse_x509_pem(rest).map_err(|_| malformed("not PEM"))?;
        if pem.label != label {
            return Err(malformed("not PEM"));
        }
        if label == "EC PARAMETERS" {
            rest = tail;
            continue;
        }
        if !tail.iter().all(u8::is_ascii_whitespace) {
            return Err(malformed("more than one PEM block"));
        }
        return Ok((label, pem.contents));
    }
}

/// One DER element: tag, contents, what follows. Single-byte tags and definite lengths only
/// (all these structures use).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The elements of a SEQUENCE's contents.
fn elements(mut contents: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !contents.is_empty() {
        let (tag, value, rest) = tlv(contents)?;
        out.push((tag, value));
        contents = rest;
    }
    Some(out)
}

/// The SEQUENCE `der` is exactly, as its elements.
fn sequence(der: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    match tlv(der)? {
        (TAG_SEQUENCE, contents, []) => elements(contents),
        _ => None,
    }
}

fn expect<'a>(el: Option<&(u8, &'a [u8])>, tag: u8) -> Option<&'a [u8]> {
    el.filter(|(t, _)| *t == tag).map(|(_, v)| *v)
}

/// An INTEGER's magnitude without leading zero octets.
fn unsigned(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
    &v[start..]
}

/// `RSAPrivateKey` (RFC 8017): version, n, e, d, p, q, ...
fn pkcs1(der: &[u8]) -> Option<PrivateKey<'_>> {
    let els = sequence(der)?;
    if els.len() < 9 || els.iter().take(9).any(|(t, _)| *t != TAG_INTEGER) {
        return None;
    }
    Some(PrivateKey::Rsa {
        n: els[1].1,
        e: els[2].1,
        p: els[4].1,
        q: els[5].1,
    })
}

/// `ECPrivateKey` (RFC 5915): version 1, the scalar, `[0]` the curve, `[1]` the public key.
/// `curve` is the curve a PKCS#8 wrapper named.
fn sec1<'a>(der: &'a [u8], curve: Option<&'a [u8]>) -> Option<PrivateKey<'a>> {
    let els = sequence(der)?;
    if expect(els.first(), TAG_INTEGER)? != [1] {
        return None;
    }
    let scalar = expect(els.get(1), TAG_OCTET_STRING)?;
    let mut named = None;
    let mut public = None;
    for (tag, value) in els.iter().skip(2) {
        match tag {
            0xa0 => match tlv(value)? {
                (TAG_OID, oid, []) => named = Some(oid),
                _ => return None,
            },
            0xa1 => match tlv(value)? {
                (TAG_BIT_STRING, [0, point @ ..], []) => public = Some(point),
                _ => return None,
            },
            _ => return None,
        }
    }
    let curve = match (curve, named) {
        (Some(a), Some(b)) if a != b => return None,
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => return None,
    };
    Some(PrivateKey::Ec {
        curve,
        scalar,
        public,
    })
}

/// `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208, 5958): version, algorithm, key.
fn pkcs8(der: &[u8]) -> IamResult<PrivateKey<'_>> {
    let bad = || malformed("not a PKCS#8 private key");
    let els = sequence(der).ok_or_else(bad)?;
    let version = expect(els.first(), TAG_INTEGER).ok_or_else(bad)?;
    if version != [0] && version != [1] {
        return Err(bad());
    }
    let algorithm = elements(expect(els.get(1), TAG_SEQUENCE).ok_or_else(bad)?).ok_or_else(bad)?;
    let oid = expect(algorithm.first(), TAG_OID).ok_or_else(bad)?;
    let key = expect(els.get(2), TAG_OCTET_STRING).ok_or_else(bad)?;
    if oid == OID_RSA {
        pkcs1(key).ok_or_else(bad)
    } else if oid == OID_EC {
        let curve = expect(algorithm.get(1), TAG_OID).ok_or_else(bad)?;
        sec1(key, Some(curve)).ok_or_else(bad)
    } else {
        Err(malformed("not an RSA or EC key"))
    }
}

/// `SubjectPublicKeyInfo` (RFC 5280).
fn spki(der: &[u8]) -> Option<PublicKey<'_>> {
    let els = sequence(der)?;
    let algorithm = elements(expect(els.first(), TAG_SEQUENCE)?)?;
    let oid = expect(algorithm.first(), TAG_OID)?;
    let bits = match expect(els.get(1), TAG_BIT_STRING)? {
        [0, bits @ ..] => bits,
        _ => return None,
    };
    if oid == OID_RSA {
        let nums = sequence(bits)?;
        Some(PublicKey::Rsa {
            n: expect(nums.first(), TAG_INTEGER)?,
            e: expect(nums.get(1), TAG_INTEGER)?,
        })
    } else if oid == OID_EC {
        Some(PublicKey::Ec {
            curve: expect(algorithm.get(1), TAG_OID)?,
            point: bits,
        })
    } else {
        Some(PublicKey::Other)
    }
}

/// Whether the scalar is the private key of the certificate's point on `curve`.
fn ec_pair(curve: &[u8], scalar: &[u8], point: &[u8], carried: bool) -> IamResult<()> {
    use ring::signature::{
        EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
    };
    let (alg, len) = if curve == OID_P256 {
        (&ECDSA_P256_SHA256_ASN1_SIGNING, 32)
    } else if curve == OID_P384 {
        (&ECDSA_P384_SHA384_ASN1_SIGNING, 48)
    } else if curve == OID_P521 {
        // `ring` cannot compute a P-521 point: the key's own public key (already compared
        // with the certificate's) must vouch for it.
        return if carried {
            Ok(())
        } else {
            Err(malformed(
                "a P-521 key must carry its public key (as OpenSSL writes it)",
            ))
        };
    } else {
        return Err(malformed(
            "an EC key on a curve other than P-256, P-384 and P-521",
        ));
    };
    let scalar = unsigned(scalar);
    if scalar.len() > len {
        return Err(malformed("the EC key's scalar is too long for its curve"));
    }
    let mut padded = vec![0u8; len - scalar.len()];
    padded.extend_from_slice(scalar);
    let rng = ring::rand::SystemRandom::new();
    EcdsaKeyPair::from_private_key_and_public_key(alg, &padded, point, &rng)
        .map(|_| ())
        .map_err(|_| mismatch())
}

/// `a × b`, big-endian magnitudes without leading zeros.
fn multiply(a: &[u8], b: &[u8]) -> Vec<u8> {
    // Little-endian base-256 digits.
    let mut out = vec![0u32; a.len() + b.len() + 1];
    for (i, x) in a.iter().rev().enumerate() {
        let mut carry = 0u32;
        for (j, y) in b.iter().rev().enumerate() {
            let t = out[i + j] + u32::from(*x) * u32::from(*y) + carry;
            out[i + j] = t & 0xff;
            carry = t >> 8;
        }
        let mut k = i + b.len();
        while carry > 0 {
            let t = out[k] + carry;
            out[k] = t & 0xff;
            carry = t >> 8;
            k += 1;
        }
    }
    let be: Vec<u8> = out.iter().rev().map(|d| *d as u8).collect();
    unsigned(&be).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_computed_on_big_endian_magnitudes() {
        assert_eq!(multiply(&[0x01, 0x00], &[0x01, 0x00]), vec![1, 0, 0]);
        assert_eq!(multiply(&[0xff, 0xff], &[0xff]), vec![0xfe, 0xff, 0x01]);
        assert_eq!(multiply(&[0], &[7]), Vec::<u8>::new());
        let a = 0xdead_beef_u64;
        let b = 0x1234_5678_u64;
        let p = u128::from(a) * u128::from(b);
        assert_eq!(
            multiply(&a.to_be_bytes(), &b.to_be_bytes()),
            unsigned(&p.to_be_bytes()).to_vec()
        );
    }

    #[test]
    fn der_lengths_past_the_input_are_refused() {
        assert!(tlv(&[0x30, 0x05, 0x02]).is_none());
        assert!(tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(tlv(&[0x30]).is_none());
        assert_eq!(
            tlv(&[0x02, 0x01, 0x07, 0xaa]),
            Some((0x02, &[7u8][..], &[0xaa][..]))
        );
    }
}
