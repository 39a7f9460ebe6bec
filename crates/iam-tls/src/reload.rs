//! TLS material that follows its files: a [`Reloader`] re-reads the certificate, key and CA
//! bundle when a handshake finds them changed (looked at most once per [`RELOAD_CHECK`]), so
//! certificates and CA bundles rotate without a restart. A change that does not load (a
//! half-copied file, a key that does not match its certificate) is refused with a warning
//! and the last good material stays in use.

use crate::material::{load_certs, load_key, load_roots};
use crate::{provider, TlsError};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;
use rustls_pki_types::ServerName;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a handshake may look at the files for changes.
pub const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// Where TLS material comes from.
#[derive(Clone)]
pub enum Source {
    /// PEM files, re-read when they change. `ca`: the bundle the other side's certificate
    /// must chain to (mutual TLS, or a client verifying servers). `allowed_names`: the DNS or
    /// IP subject alternative names the other side's certificate must be valid for (one of
    /// them); empty means the dialed host name (clients) or any name (servers).
    Files {
        cert: PathBuf,
        key: PathBuf,
        ca: Option<PathBuf>,
        allowed_names: Vec<String>,
    },
    /// Material made in memory (the cluster CA derived from the cluster secret key).
    Fixed(Arc<Loaded>),
}

/// Which names the other side's certificate must be valid for.
#[derive(Debug, Clone)]
pub(crate) enum PeerNames {
    /// The host name the client dialed (ordinary server authentication); servers accept any
    /// client certificate that chains to the CA.
    Dialed,
    /// Exactly this name, whatever was dialed (the derived cluster CA issues every node the
    /// same name).
    Fixed(ServerName<'static>),
    /// Any one of these.
    AllowList(Vec<ServerName<'static>>),
}

/// One loaded set of TLS material.
pub struct Loaded {
    pub(crate) certified: Arc<CertifiedKey>,
    pub(crate) client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    pub(crate) server_verifier: Option<Arc<dyn ServerCertVerifier>>,
    pub(crate) names: PeerNames,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("verifies_peers", &self.verifies_peers())
            .field("names", &self.names)
            .finish()
    }
}

impl Loaded {
    /// Material from a certificate chain and key, verifying the other side against `roots`.
    pub(crate) fn new(
        certified: CertifiedKey,
        roots: Option<Arc<RootCertStore>>,
        names: PeerNames,
    ) -> Result<Self, TlsError> {
        let (client_verifier, server_verifier) = match roots {
            None => (None, None),
            Some(roots) => {
                let c = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
                    .build()
                    .map_err(|e| TlsError::new(format!("CA bundle: {e}")))?;
                let s = WebPkiServerVerifier::builder_with_provider(roots, provider())
                    .build()
                    .map_err(|e| TlsError::new(format!("CA bundle: {e}")))?;
                (Some(c), Some(s as Arc<dyn ServerCertVerifier>))
            }
        };
        Ok(Self {
            certified: Arc::new(certified),
            client_verifier,
            server_verifier,
            names,
        })
    }

    /// Whether this material can verify the other side (it has a CA bundle).
    pub fn verifies_peers(&self) -> bool {
        self.client_verifier.is_some()
    }

    /// The end-entity certificate this side presents (DER).
    pub fn certificate(&self) -> &[u8] {
        self.certified.cert.first().map_or(&[], |c| c.as_ref())
    }
}

fn parse_names(names: &[String]) -> Result<Vec<ServerName<'static>>, TlsError> {
    names
        .iter()
        .map(|n| {
            ServerName::try_from(n.clone()).map_err(|_| {
                TlsError::new(format!(
                    "allowed name {n:?} is neither a DNS name nor an IP address"
                ))
            })
        })
        .collect()
}

/// Reads and parses the files of a [`Source::Files`]; returns the material and a digest of
/// the bytes it was made from.
fn load_files(source: &Source) -> Result<(Arc<Loaded>, [u8; 32]), TlsError> {
    let Source::Files {
        cert,
        key,
        ca,
        allowed_names,
    } = source
    else {
        return Err(TlsError::new("not a file source"));
    };
    let digest = digest_files(source);
    let chain = load_certs(cert)?;
    let key_der = load_key(key)?;
    let certified = CertifiedKey::from_der(chain, key_der, &provider()).map_err(|e| {
        TlsError::new(format!(
            "private key {} does not fit certificate {}: {e}",
            key.display(),
            cert.display()
        ))
    })?;
    let roots = match ca {
        Some(ca) => Some(load_roots(ca)?),
        None => None,
    };
    let names = if allowed_names.is_empty() {
        PeerNames::Dialed
    } else {
        PeerNames::AllowList(parse_names(allowed_names)?)
    };
    Ok((Arc::new(Loaded::new(certified, roots, names)?), digest))
}

/// A digest of the source's file contents (missing files digest as empty).
fn digest_files(source: &Source) -> [u8; 32] {
    let mut h = Sha256::new();
    if let Source::Files { cert, key, ca, .. } = source {
        for path in [Some(cert), Some(key), ca.as_ref()].into_iter().flatten() {
            let bytes = std::fs::read(path).unwrap_or_default();
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(&bytes);
        }
    }
    h.finalize().into()
}

struct State {
    checked: Instant,
    /// Digest of the files the current material came from.
    digest: [u8; 32],
    /// Digest of files that failed to load (warned about once).
    failed: Option<[u8; 32]>,
    current: Arc<Loaded>,
    /// How many times new material was loaded after the first.
    reloads: u64,
}

/// TLS material that follows its source (see the module docs).
pub struct Reloader {
    source: Source,
    what: String,
    state: Mutex<State>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reloader({})", self.what)
    }
}

impl Reloader {
    /// Loads the material once; a source that does not load is an error. `what` names the
    /// port in warnings ("peer", "api").
    pub fn new(what: &str, source: Source) -> Result<Self, TlsError> {
        let (current, digest) = match &source {
            Source::Fixed(loaded) => (loaded.clone(), [0; 32]),
            files => load_files(files).map_err(|e| TlsError::new(format!("{what} TLS: {e}")))?,
        };
        Ok(Self {
            source,
            what: what.to_owned(),
            state: Mutex::new(State {
                checked: Instant::now(),
                digest,
                failed: None,
                current,
                reloads: 0,
            }),
        })
    }

    /// The material to use now: re-reads the files when [`RELOAD_CHECK`] has passed since
    /// the last look and their contents changed.
    pub fn current(&self) -> Arc<Loaded> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(self.source, Source::Files { .. }) && st.checked.elapsed() >= RELOAD_CHECK {
            st.checked = Instant::now();
            self.refresh(&mut st);
        }
        st.current.clone()
    }

    /// Looks at the files now, whatever the time since the last look.
    pub fn check_now(&self) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.checked = Instant::now();
        self.refresh(&mut st);
    }

    /// How many times changed files were loaded since start.
    pub fn reloads(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).reloads
    }

    fn refresh(&self, st: &mut State) {
        if !matches!(self.source, Source::Files { .. }) {
            return;
        }
        let digest = digest_files(&self.source);
        if digest == st.digest || st.failed == Some(digest) {
            return;
        }
        match load_files(&self.source) {
            Ok((loaded, digest)) => {
                st.current = loaded;
                st.digest = digest;
                st.failed = None;
                st.reloads += 1;
                tracing::info!(port = %self.what, "TLS certificate files changed: loaded");
            }
            Err(e) => {
                st.failed = Some(digest);
                tracing::warn!(port = %self.what, error = %e, "TLS certificate files changed but do not load; keeping the previous ones");
            }
        }
    }
}
