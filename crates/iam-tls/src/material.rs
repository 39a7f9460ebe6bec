//! Reading PEM files: certificate chains, private keys and CA bundles, with errors that name
//! the file and what is wrong with it.

use crate::TlsError;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

fn read(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path)
        .map_err(|e| TlsError::new(format!("cannot read {what} {}: {e}", path.display())))
}

/// The certificates of a PEM file, in order (a chain: the end-entity certificate first).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path, "certificate file")?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            TlsError::new(format!(
                "certificate file {} is not valid PEM: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(TlsError::new(format!(
            "certificate file {} holds no CERTIFICATE block",
            path.display()
        )));
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path, "private key file")?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        TlsError::new(format!(
            "private key file {} holds no usable PEM private key: {e}",
            path.display()
        ))
    })
}

/// The CA certificates of a PEM bundle, as trust anchors.
pub fn load_roots(path: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let certs = load_certs(path)?;
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots.add(cert).map_err(|e| {
            TlsError::new(format!(
                "CA bundle {}: certificate #{} is not a usable trust anchor: {e}",
                path.display(),
                i + 1
            ))
        })?;
    }
    Ok(Arc::new(roots))
}
