//! Accepting connections on the three ports: TCP with Nagle off, the TLS handshake (when the
//! port has TLS) in a task of its own with a deadline, and bounds on what one source can
//! hold open — so neither slow handshakes nor floods of connections exhaust a node before a
//! single request is authenticated.

use iam_tls::TlsStream;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};

/// Bounds on the connections of one port.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections, all sources together.
    pub connections: usize,
    /// Open connections from one IP address.
    pub per_source: usize,
    /// TLS handshakes in progress at once.
    pub handshakes: usize,
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connections: 16_384,
            per_source: 1_024,
            handshakes: 256,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Open connections per source address of one port.
#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// Counts a connection as open until dropped.
#[derive(Debug)]
struct Slot {
    open: Arc<Mutex<Open>>,
    source: IpAddr,
}

impl Slot {
    fn take(open: &Arc<Mutex<Open>>, source: IpAddr, limits: &Limits) -> Option<Self> {
        let mut o = open.lock().unwrap_or_else(|p| p.into_inner());
        let mine = o.by_source.get(&source).copied().unwrap_or(0);
        if o.total >= limits.connections || mine >= limits.per_source {
            return None;
        }
        o.total += 1;
        *o.by_source.entry(source).or_insert(0) += 1;
        Some(Self {
            open: open.clone(),
            source,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(|p| p.into_inner());
        o.total = o.total.saturating_sub(1);
        if let Some(n) = o.by_source.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                o.by_source.remove(&self.source);
            }
        }
    }
}

/// An accepted connection (plain or TLS), counted against its port's limits while open.
#[derive(Debug)]
pub struct Conn {
    stream: TlsStream,
    local: Option<SocketAddr>,
    remote: SocketAddr,
    _slot: Slot,
}

impl Conn {
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    pub fn local(&self) -> Option<SocketAddr> {
        self.local
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Counts of refused connections, by reason (exported as metrics).
#[derive(Debug, Default)]
pub struct ListenCounters {
    pub over_limit: std::sync::atomic::AtomicU64,
    pub handshake_failed: std::sync::atomic::AtomicU64,
}

/// Accepts connections on `listener` until the receiver is dropped: each is checked against
/// `limits`, then (with `tls`) handshaken in its own task, and delivered ready to serve.
pub fn accept(
    what: &'static str,
    listener: TcpListener,
    tls: Option<Arc<iam_tls::rustls::ServerConfig>>,
    limits: Limits,
    counters: Arc<ListenCounters>,
) -> mpsc::Receiver<Conn> {
    let (tx, rx) = mpsc::channel::<Conn>(64);
    let open = Arc::new(Mutex::new(Open::default()));
    let handshakes = Arc::new(Semaphore::new(limits.handshakes.max(1)));
    let acceptor = tls.map(iam_tls::tokio_rustls::TlsAcceptor::from);
    let local = listener.local_addr().ok();
    tokio::spawn(async move {
        loop {
            let (tcp, remote) = tokio::select! {
                _ = tx.closed() => return,
                r = listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!(port = what, error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Some(slot) = Slot::take(&open, remote.ip(), &limits) else {
                counters
                    .over_limit
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                drop(tcp);
                continue;
            };
            let _ = tcp.set_nodelay(true);
            match &acceptor {
                None => {
                    let conn = Conn {
                        stream: TlsStream::Plain(tcp),
                        local,
                        remote,
                        _slot: slot,
                    };
                    if tx.send(conn).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let Ok(permit) = handshakes.clone().try_acquire_owned() else {
                        counters
                            .over_limit
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        continue;
                    };
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    let counters = counters.clone();
                    tokio::spawn(async move {
                        let hs =
                            tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp));
                        let tls = match hs.await {
                            Ok(Ok(tls)) => tls,
                            Ok(Err(e)) => {
                                counters
                                    .handshake_failed
                                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                tracing::debug!(port = what, %remote, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                counters
                                    .handshake_failed
                                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                return;
                            }
                        };
                        drop(permit);
                        let conn = Conn {
                            stream: TlsStream::Server(Box::new(tls)),
                            local,
                            remote,
                            _slot: slot,
                        };
                        let _ = tx.send(conn).await;
                    });
                }
            }
        }
    });
    rx
}

/// The accepted connections as a stream, for the gRPC server (`crate::grpc`).
pub fn incoming(rx: mpsc::Receiver<Conn>) -> impl tokio_stream::Stream<Item = io::Result<Conn>> {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok)
}

/// The accepted connections as an axum listener.
pub struct HttpListener {
    rx: mpsc::Receiver<Conn>,
    local: SocketAddr,
}

impl HttpListener {
    pub fn new(rx: mpsc::Receiver<Conn>, local: SocketAddr) -> Self {
        Self { rx, local }
    }
}

impl axum::serve::Listener for HttpListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => {
                let remote = conn.remote;
                (conn, remote)
            }
            // The accept task ended (shutdown): no more connections.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}
