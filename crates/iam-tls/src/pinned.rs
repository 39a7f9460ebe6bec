//! TLS to an OpenID Connect identity provider, trusted the way AWS IAM trusts one: by the
//! *thumbprints* its OIDC provider entity holds — the hex SHA-1 of a certificate of the
//! provider's chain (AWS: the top intermediate CA's). The certificates of the chain the
//! server presents whose thumbprint is listed become the only trust anchors, and the chain
//! must verify up to one of them (signatures, validity, key usage) for the dialed name, as
//! with any CA; no system or other root is trusted. A chain with no listed certificate is
//! refused ([`THUMBPRINT_MISMATCH`] in the error), so an operator sees why.

use crate::{provider, TlsError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha1::{Digest, Sha1};
use std::sync::Arc;

/// Part of the handshake error when no certificate of the chain has a listed thumbprint.
pub const THUMBPRINT_MISMATCH: &str =
    "no certificate of the server's chain has a thumbprint of the provider";

/// The thumbprint AWS lists for a certificate: the lowercase hex SHA-1 of its DER bytes.
pub fn thumbprint(der: &[u8]) -> String {
    Sha1::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A client configuration that trusts exactly the certificates with these thumbprints
/// (40 hex digits each, any case) as roots of the server's chain.
pub fn pinned_client(thumbprints: &[String]) -> Result<Arc<ClientConfig>, TlsError> {
    let verifier = PinnedVerifier {
        thumbprints: thumbprints.iter().map(|t| t.to_ascii_lowercase()).collect(),
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| TlsError::new(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[derive(Debug)]
struct PinnedVerifier {
    thumbprints: Vec<String>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let mut roots = RootCertStore::empty();
        for cert in std::iter::once(end_entity).chain(intermediates) {
            if self.thumbprints.contains(&thumbprint(cert)) {
                // A listed certificate that is not a usable anchor just does not count.
                let _ = roots.add(cert.clone().into_owned());
            }
        }
        if roots.is_empty() {
            return Err(Error::General(THUMBPRINT_MISMATCH.into()));
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| Error::General(format!("TLS setup: {e}")))?;
        webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
