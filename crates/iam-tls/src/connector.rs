//! The client side: TLS client configurations and a connector that tonic channels dial
//! through (plain TCP or TLS, Nagle off), plus the stream type both sides use.

use crate::material::load_roots;
use crate::reload::Reloader;
use crate::verify::{ReloadingResolver, ReloadingServerVerifier};
use crate::{provider, TlsError, ALPN_GRPC};
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Client TLS configurations.
pub struct ClientTls;

/// Where a CA bundle is looked for when none is given (Debian/Ubuntu, then RHEL).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

impl ClientTls {
    /// Mutual TLS for a peer: present the reloader's certificate, verify the server against
    /// its CA bundle and names (both followed as they change).
    pub fn mutual(reloader: Arc<Reloader>) -> Result<Arc<ClientConfig>, TlsError> {
        if !reloader.current().verifies_peers() {
            return Err(TlsError::new(
                "peer TLS needs a CA bundle to verify the other nodes",
            ));
        }
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .map_err(|e| TlsError::new(format!("TLS setup: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ReloadingServerVerifier(reloader.clone())))
            .with_client_cert_resolver(Arc::new(ReloadingResolver(reloader)));
        config.alpn_protocols = ALPN_GRPC.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }

    /// A client that trusts the CA certificates of `ca_bundle` (PEM), or of the system's
    /// bundle when none is given, and checks the server's name as dialed.
    pub fn trusting(ca_bundle: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
        let roots = match ca_bundle {
            Some(path) => load_roots(path)?,
            None => {
                let found = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.exists());
                match found {
                    Some(path) => load_roots(path)?,
                    None => {
                        return Err(TlsError::new(
                            "an https endpoint needs a CA bundle to verify the server: give --ca-bundle (or AWS_CA_BUNDLE)",
                        ))
                    }
                }
            }
        };
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .map_err(|e| TlsError::new(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = ALPN_GRPC.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// Dials plain TCP, or TLS when it has a client configuration, for a tonic channel
/// (`Endpoint::connect_with_connector_lazy`). The channel's URI gives host and port; with TLS
/// the host is also the server name checked (unless the configuration's names say
/// otherwise).
#[derive(Clone)]
pub struct Connector {
    tls: Option<Arc<ClientConfig>>,
    /// `host:port` → the `host:port` actually dialed for it (a relay or a test's proxy).
    via: Arc<HashMap<String, String>>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_tls() {
            "Connector(tls)"
        } else {
            "Connector(plain)"
        })
    }
}

impl Connector {
    pub fn new(tls: Option<Arc<ClientConfig>>) -> Self {
        Self {
            tls,
            via: Arc::default(),
        }
    }

    /// Connections to each `host:port` key of `via` go to its value instead; TLS still
    /// checks the name of the host asked for.
    pub fn dialing_via(mut self, via: HashMap<String, String>) -> Self {
        self.via = Arc::new(via);
        self
    }

    /// Whether connections are made with TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Opens one connection to `host:port`.
    pub async fn connect(&self, host: &str, port: u16) -> io::Result<TlsStream> {
        let asked = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let tcp = match self.via.get(&asked) {
            Some(via) => TcpStream::connect(via.as_str()).await?,
            None => TcpStream::connect((host, port)).await?,
        };
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => Ok(TlsStream::Plain(tcp)),
            Some(config) => {
                let name = ServerName::try_from(host.to_owned()).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{host:?} is not a valid TLS server name"),
                    )
                })?;
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await?;
                Ok(TlsStream::Client(Box::new(tls)))
            }
        }
    }
}

type Connecting =
    Pin<Box<dyn Future<Output = io::Result<hyper_util::rt::TokioIo<TlsStream>>> + Send>>;

impl tower_service::Service<http::Uri> for Connector {
    type Response = hyper_util::rt::TokioIo<TlsStream>;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "URI without a host"))?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri
                .port_u16()
                .unwrap_or(if this.is_tls() { 443 } else { 80 });
            this.connect(&host, port)
                .await
                .map(hyper_util::rt::TokioIo::new)
        })
    }
}

/// A connection: plain TCP, or TLS as client or server.
#[derive(Debug)]
pub enum TlsStream {
    Plain(TcpStream),
    Client(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Server(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl TlsStream {
    /// The TCP connection underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Client(s) => s.get_ref().0,
            Self::Server(s) => s.get_ref().0,
        }
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Self::Plain(_))
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Client(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Server(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Client(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Server(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Client(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            Self::Server(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Client(s) => s.is_write_vectored(),
            Self::Server(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Client(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Server(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Client(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Server(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn dialing_via_goes_to_the_relay_address() {
        let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay_addr = relay.local_addr().unwrap().to_string();
        // Nothing listens on the asked-for port: only the relay can answer.
        let asked = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let server = tokio::spawn(async move {
            let (mut s, _) = relay.accept().await.unwrap();
            tokio::io::AsyncWriteExt::write_all(&mut s, b"relay")
                .await
                .unwrap();
        });
        let via = HashMap::from([(format!("127.0.0.1:{asked}"), relay_addr)]);
        let c = Connector::new(None).dialing_via(via);
        let mut s = c.connect("127.0.0.1", asked).await.unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "relay");
        server.await.unwrap();
        // Without the map the same address is refused.
        assert!(Connector::new(None)
            .connect("127.0.0.1", asked)
            .await
            .is_err());
    }
}
