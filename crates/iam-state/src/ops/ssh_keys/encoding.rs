//! The key formats `UploadSSHPublicKey` accepts and `GetSSHPublicKey` returns: OpenSSH
//! (`ssh-rsa AAAA… [comment]`, read with `ssh-key`) and PEM (`BEGIN PUBLIC KEY`, an X.509
//! SubjectPublicKeyInfo, and `BEGIN RSA PUBLIC KEY`, PKCS#1, read with `spki`/`pkcs1`). Only RSA
//! keys of at least [`RSA_BITS_MIN`] bits, as AWS's rule. No input panics: every failure is
//! AWS's `UnrecognizedPublicKeyEncoding` (not a format or an algorithm IAM reads) or
//! `InvalidPublicKey` (an RSA key that is malformed or too short).

use iam_model::{ErrorCode, IamError, IamResult};
use md5::{Digest, Md5};
use pkcs1::der::{Decode, Encode, EncodePem};
use spki::der::asn1::{AnyRef, BitStringRef, UintRef};
use spki::{AlgorithmIdentifierRef, ObjectIdentifier, SubjectPublicKeyInfoRef};
use ssh_key::public::{KeyData, RsaPublicKey};
use ssh_key::{Mpint, PublicKey};

/// The shortest RSA modulus AWS accepts.
pub const RSA_BITS_MIN: usize = 2048;
/// The longest modulus iamd reads (the body is at most 16384 characters anyway).
const RSA_BITS_MAX: usize = 16384;

/// `rsaEncryption` (PKCS#1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// An RSA public key: modulus and exponent, big-endian without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

pub fn unrecognized() -> IamError {
    IamError::new(
        ErrorCode::UnrecognizedPublicKeyEncoding,
        "The request was rejected because the public key encoding format is unsupported or unrecognized.",
    )
}

pub fn invalid() -> IamError {
    IamError::new(
        ErrorCode::InvalidPublicKey,
        "The request was rejected because the public key is malformed or otherwise invalid.",
    )
}

fn strip(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

fn bits(n: &[u8]) -> usize {
    match n.first() {
        Some(first) => (n.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

impl RsaKey {
    fn new(n: &[u8], e: &[u8]) -> IamResult<Self> {
        let (n, e) = (strip(n), strip(e));
        let size = bits(&n);
        // An exponent must be odd and above 1; a modulus odd and long enough.
        let odd = |v: &[u8]| v.last().is_some_and(|b| b & 1 == 1);
        if !odd(&n) || !odd(&e) || e == [1] || e.len() > n.len() {
            return Err(invalid());
        }
        if !(RSA_BITS_MIN..=RSA_BITS_MAX).contains(&size) {
            return Err(invalid());
        }
        Ok(Self { n, e })
    }

    /// Reads a key body as `UploadSSHPublicKey` receives it.
    pub fn parse(body: &str) -> IamResult<Self> {
        let body = body.trim();
        if body.starts_with("-----BEGIN") {
            return Self::from_pem(body);
        }
        let algorithm = body.split_ascii_whitespace().next().unwrap_or_default();
        if algorithm != "ssh-rsa" {
            return Err(unrecognized());
        }
        let key = PublicKey::from_openssh(body).map_err(|_| invalid())?;
        match key.key_data() {
            KeyData::Rsa(rsa) => Self::new(
                rsa.n.as_positive_bytes().ok_or_else(invalid)?,
                rsa.e.as_positive_bytes().ok_or_else(invalid)?,
            ),
            _ => Err(unrecognized()),
        }
    }

    fn from_pem(body: &str) -> IamResult<Self> {
        let (label, doc) = pkcs1::der::Document::from_pem(body).map_err(|_| unrecognized())?;
        match label {
            "RSA PUBLIC KEY" => Self::from_pkcs1(doc.as_bytes()),
            "PUBLIC KEY" => {
                let info =
                    SubjectPublicKeyInfoRef::from_der(doc.as_bytes()).map_err(|_| invalid())?;
                if info.algorithm.oid != RSA_ENCRYPTION {
                    return Err(unrecognized());
                }
                Self::from_pkcs1(info.subject_public_key.as_bytes().ok_or_else(invalid)?)
            }
            _ => Err(unrecognized()),
        }
    }

    fn from_pkcs1(der: &[u8]) -> IamResult<Self> {
        let key = pkcs1::RsaPublicKey::from_der(der).map_err(|_| invalid())?;
        Self::new(key.modulus.as_bytes(), key.public_exponent.as_bytes())
    }

    fn openssh(&self) -> IamResult<PublicKey> {
        let rsa = RsaPublicKey {
            e: Mpint::from_positive_bytes(&self.e).map_err(|_| invalid())?,
            n: Mpint::from_positive_bytes(&self.n).map_err(|_| invalid())?,
        };
        Ok(PublicKey::new(KeyData::Rsa(rsa), ""))
    }

    /// `ssh-rsa AAAA…` without a comment: the form iamd stores and `Encoding=SSH` returns.
    pub fn to_openssh(&self) -> IamResult<String> {
        let text = self.openssh()?.to_openssh().map_err(|_| invalid())?;
        Ok(text.trim_end().to_owned())
    }

    /// The X.509 SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`) `Encoding=PEM` returns.
    pub fn to_pem(&self) -> IamResult<String> {
        let pkcs1 = pkcs1::RsaPublicKey {
            modulus: UintRef::new(&self.n).map_err(|_| invalid())?,
            public_exponent: UintRef::new(&self.e).map_err(|_| invalid())?,
        }
        .to_der()
        .map_err(|_| invalid())?;
        let info = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: RSA_ENCRYPTION,
                parameters: Some(AnyRef::NULL),
            },
            subject_public_key: BitStringRef::from_bytes(&pkcs1).map_err(|_| invalid())?,
        };
        info.to_pem(pkcs1::der::pem::LineEnding::LF)
            .map_err(|_| invalid())
    }

    /// The MD5 of the key's SSH wire encoding as colon-separated hex, as AWS (and
    /// `ssh-keygen -l -E md5`) shows it.
    pub fn fingerprint(&self) -> IamResult<String> {
        let blob = self.openssh()?.to_bytes().map_err(|_| invalid())?;
        let digest = Md5::digest(&blob);
        Ok(digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"))
    }
}
