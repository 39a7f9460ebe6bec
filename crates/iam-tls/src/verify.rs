//! rustls hooks that consult a [`Reloader`] on every handshake: the certificate this side
//! presents, and the verification of the other side's certificate (chain to the current CA
//! bundle, then the name rules of [`PeerNames`]).

use crate::reload::{Loaded, PeerNames, Reloader};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// The certificate to present, as the reloader has it now.
#[derive(Debug)]
pub(crate) struct ReloadingResolver(pub(crate) Arc<Reloader>);

impl ResolvesServerCert for ReloadingResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.current().certified.clone())
    }
}

impl ResolvesClientCert for ReloadingResolver {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.current().certified.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

fn no_ca() -> Error {
    Error::General("no CA bundle to verify the other side's certificate".into())
}

/// The first allowed name the certificate is valid for.
fn allowed_name<'a>(
    end_entity: &CertificateDer<'_>,
    allowed: &'a [ServerName<'static>],
) -> Result<&'a ServerName<'static>, Error> {
    let ee = webpki::EndEntityCert::try_from(end_entity)
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    allowed
        .iter()
        .find(|n| ee.verify_is_valid_for_subject_name(n).is_ok())
        .ok_or_else(|| {
            Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
                NotAllowed,
            ))))
        })
}

#[derive(Debug)]
struct NotAllowed;

impl std::fmt::Display for NotAllowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the certificate is not valid for any allowed name")
    }
}

impl std::error::Error for NotAllowed {}

/// Verifies client certificates against the reloader's current CA bundle and names.
#[derive(Debug)]
pub(crate) struct ReloadingClientVerifier(pub(crate) Arc<Reloader>);

impl ReloadingClientVerifier {
    fn inner(&self) -> Result<(Arc<Loaded>, Arc<dyn ClientCertVerifier>), Error> {
        let loaded = self.0.current();
        let v = loaded.client_verifier.clone().ok_or_else(no_ca)?;
        Ok((loaded, v))
    }
}

impl ClientCertVerifier for ReloadingClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // The hints would change with the bundle; an empty list asks for any certificate.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let (loaded, v) = self.inner()?;
        let ok = v.verify_client_cert(end_entity, intermediates, now)?;
        match &loaded.names {
            PeerNames::Dialed => {}
            PeerNames::Fixed(name) => {
                allowed_name(end_entity, std::slice::from_ref(name))?;
            }
            PeerNames::AllowList(names) => {
                allowed_name(end_entity, names)?;
            }
        }
        Ok(ok)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?.1.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?.1.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner()
            .map(|(_, v)| v.supported_verify_schemes())
            .unwrap_or_default()
    }
}

/// Verifies server certificates against the reloader's current CA bundle and names.
#[derive(Debug)]
pub(crate) struct ReloadingServerVerifier(pub(crate) Arc<Reloader>);

impl ReloadingServerVerifier {
    fn inner(&self) -> Result<(Arc<Loaded>, Arc<dyn ServerCertVerifier>), Error> {
        let loaded = self.0.current();
        let v = loaded.server_verifier.clone().ok_or_else(no_ca)?;
        Ok((loaded, v))
    }
}

impl ServerCertVerifier for ReloadingServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let (loaded, v) = self.inner()?;
        match &loaded.names {
            PeerNames::Dialed => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
            PeerNames::Fixed(name) => {
                v.verify_server_cert(end_entity, intermediates, name, ocsp, now)
            }
            PeerNames::AllowList(names) => {
                let name = allowed_name(end_entity, names)?;
                v.verify_server_cert(end_entity, intermediates, name, ocsp, now)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?.1.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?.1.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner()
            .map(|(_, v)| v.supported_verify_schemes())
            .unwrap_or_default()
    }
}
