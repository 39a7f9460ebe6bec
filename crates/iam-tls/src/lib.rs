//! TLS for every iamd port.
//!
//! - **Material** ([`Source`]): a certificate chain and its key, and optionally the CA bundle
//!   the other side must chain to. Either operator files (PEM), re-read when they change —
//!   certificates *and* CA bundles rotate without a restart — or, for the peer port when the
//!   operator gives no PKI, a cluster CA derived from the cluster secret key
//!   ([`cluster_ca`]): only a holder of that key can present a certificate the peers accept.
//! - **Servers** ([`server_config`]) resolve their certificate and verify client
//!   certificates through the [`Reloader`] on every handshake, so a new connection always
//!   sees the files as they are now (checked at most once per [`RELOAD_CHECK`]) while
//!   established connections go on undisturbed.
//! - **Clients** ([`Connector`]) dial plain TCP or TLS for tonic channels, again through the
//!   reloader (peers present their own certificate: mutual TLS).
//! - [`gen`] makes a CA and node/client certificates for people without a PKI (`iamd cert`).
//!
//! One crypto provider everywhere: ring ([`provider`]).

pub mod cluster_ca;
mod connector;
pub mod gen;
mod material;
pub mod pinned;
mod reload;
mod verify;

pub use connector::{ClientTls, Connector, TlsStream};
pub use material::{load_certs, load_key, load_roots};
pub use reload::{Reloader, Source, RELOAD_CHECK};
pub use rustls;
pub use rustls_pki_types as pki;
pub use tokio_rustls;

use std::sync::Arc;

/// The crypto provider of every TLS endpoint in iamd. rustls marks ring's provider
/// deprecated because it offers no post-quantum key exchange; aws-lc-rs would need cmake and
/// a C toolchain on every build machine. Revisit when ring gains ML-KEM.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS setup that cannot be used, with a message naming the file or setting at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

impl TlsError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

/// ALPN protocols of a gRPC port (HTTP/2 only).
pub const ALPN_GRPC: &[&[u8]] = &[b"h2"];
/// ALPN protocols of the HTTP port (the AWS Query API, health, metrics).
pub const ALPN_HTTP: &[&[u8]] = &[b"h2", b"http/1.1"];

/// A server configuration whose certificate (and, with `client_auth`, the CA that client
/// certificates must chain to) come from `reloader` on every handshake.
pub fn server_config(
    reloader: Arc<Reloader>,
    client_auth: bool,
    alpn: &[&[u8]],
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| TlsError::new(format!("TLS setup: {e}")))?;
    let builder = if client_auth {
        if !reloader.current().verifies_peers() {
            return Err(TlsError::new(
                "client certificates are required but no CA bundle was given to verify them",
            ));
        }
        builder
            .with_client_cert_verifier(Arc::new(verify::ReloadingClientVerifier(reloader.clone())))
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_cert_resolver(Arc::new(verify::ReloadingResolver(reloader)));
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}
