//! The certificates `UploadSigningCertificate` accepts: exactly one PEM X.509 certificate
//! (`-----BEGIN CERTIFICATE-----`), read with `x509-parser`, nothing but whitespace around
//! it. No input panics: every failure is AWS's `MalformedCertificate` (not PEM, not a
//! certificate, trailing data) or `InvalidCertificate` (outside its validity period at the
//! request's time).

use iam_model::{ErrorCode, IamError, IamResult};
use x509_parser::certificate::X509Certificate;
use x509_parser::pem::parse_x509_pem;
use x509_parser::prelude::FromDer;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

pub fn malformed() -> IamError {
    IamError::new(
        ErrorCode::MalformedCertificate,
        "The request was rejected because the certificate was malformed: it must be one PEM-encoded X.509 certificate.",
    )
}

/// One parsed certificate: its DER encoding and its validity period (seconds since the
/// epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
}

impl Certificate {
    /// Reads `body` (the PEM as given); `MalformedCertificate` unless it is exactly one
    /// PEM X.509 certificate.
    pub fn parse(body: &str) -> IamResult<Self> {
        let body = body.trim();
        // x509-parser skips lines before the block and reads past the header on its line:
        // iamd does neither.
        if body.lines().next().map(str::trim_end) != Some(BEGIN) || !body.ends_with(END) {
            return Err(malformed());
        }
        let (rest, pem) = parse_x509_pem(body.as_bytes()).map_err(|_| malformed())?;
        if pem.label != "CERTIFICATE" || !rest.iter().all(u8::is_ascii_whitespace) {
            return Err(malformed());
        }
        let (tail, cert) = X509Certificate::from_der(&pem.contents).map_err(|_| malformed())?;
        if !tail.is_empty() {
            return Err(malformed());
        }
        let validity = cert.validity();
        let (not_before, not_after) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        Ok(Self {
            der: pem.contents.clone(),
            not_before,
            not_after,
        })
    }

    /// `InvalidCertificate` unless the certificate is valid at `time_ms` (both ends
    /// included, as X.509's validity period).
    pub fn check_valid_at(&self, time_ms: u64) -> IamResult<()> {
        let now = i64::try_from(time_ms / 1000).unwrap_or(i64::MAX);
        if now < self.not_before {
            return Err(IamError::new(
                ErrorCode::InvalidCertificate,
                "The request was rejected because the certificate is invalid: it is not valid yet.",
            ));
        }
        if now > self.not_after {
            return Err(IamError::new(
                ErrorCode::InvalidCertificate,
                "The request was rejected because the certificate is invalid: it has expired.",
            ));
        }
        Ok(())
    }
}
