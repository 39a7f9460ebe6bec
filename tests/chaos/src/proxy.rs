//! Fault-injecting TCP proxies: the network of a chaos cluster.
//!
//! Every `iamd` node dials each peer's peer port through its own [`Link`]: link (i, j) listens
//! on `127.0.0.1:<port>` and forwards to node j's real peer port. Each connection node i opens to
//! node j crosses link (i, j) — i's requests to j *and* j's responses — so a link is the
//! directed edge "i can reach j". [`Net`] holds the n·(n − 1) links of a cluster and sets them
//! into the shapes of Jepsen's network nemeses; [`Fault`] is what one link does to its bytes.
//!
//! Jepsen acts on packets (iptables, `tc netem`); a proxy sees a byte stream, so each fault is
//! the stream-level effect the packet fault has on TCP:
//!
//! | Jepsen                                   | here                                     |
//! |------------------------------------------|------------------------------------------|
//! | `partition` nemeses (iptables `DROP`)    | [`Fault::Blackhole`] via [`Net`] shapes  |
//! | `net/slow!` (`tc netem delay`)           | [`Fault::Delay`]                         |
//! | `net/flaky!` (`tc netem loss`)           | [`Fault::Loss`] (retransmission stalls)  |
//! | `net/heal!`                              | [`Net::heal`] ([`Fault::Pass`])          |
//!
//! Everything is on loopback: a link binds and dials `127.0.0.1` only. Randomness comes from one
//! seeded [`StdRng`] per link, so the choices a run makes are replayable (the timing of the
//! chunks a read returns is not).

mod net;
#[cfg(test)]
mod net_tests;
mod pump;
#[cfg(test)]
mod tests;

pub use net::Net;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What a [`Link`] does to the bytes crossing it, in both directions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Fault {
    /// Normal: bytes are forwarded as soon as they are read.
    Pass,
    /// A partition (Jepsen's iptables `DROP`): bytes in both directions are read and thrown
    /// away — neither forwarded nor refused, so the sender sees silence, as with dropped
    /// packets. New connections are accepted (the target is not dialed), then nothing flows.
    /// When the link leaves `Blackhole`, every connection that lived through it is closed: its
    /// stream lost bytes, so it is broken, and closing it makes the nodes reconnect cleanly.
    Blackhole,
    /// Latency (Jepsen's `net/slow!`, `tc netem delay`): each chunk read is delivered after a
    /// hold drawn uniformly from `[mean − jitter, mean + jitter]` (floored at zero). Holds are
    /// per crossing, so a request/response round trip over one link costs about `2 · mean`.
    /// A chunk is never delivered before the one read ahead of it in the same direction: jitter
    /// shapes timing, never reorders a stream (TCP would not either).
    Delay {
        /// Mean one-way hold.
        mean: Duration,
        /// Half-width of the uniform spread around `mean`.
        jitter: Duration,
    },
    /// Packet loss as TCP shows it (Jepsen's `net/flaky!`, `tc netem loss`): TCP cannot lose
    /// bytes, it stalls. Each chunk is "lost" with probability `p` and held for a
    /// retransmission timeout, 200 ms; the retransmission is lost again with probability `p`,
    /// doubling the timeout each time up to 1.6 s, for at most 8 consecutive losses of one chunk.
    /// Order is preserved: a held chunk holds everything behind it (head-of-line blocking).
    /// `p` is clamped to `[0, 1]`.
    Loss {
        /// Probability that one transmission of a chunk is lost.
        p: f64,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Pass => write!(f, "pass"),
            Fault::Blackhole => write!(f, "blackhole"),
            Fault::Delay { mean, jitter } => write!(f, "delay({mean:?}±{jitter:?})"),
            Fault::Loss { p } => write!(f, "loss(p={p})"),
        }
    }
}

/// The first retransmission timeout of [`Fault::Loss`].
const RTO_MIN: Duration = Duration::from_millis(200);
/// The largest retransmission timeout of [`Fault::Loss`].
const RTO_MAX: Duration = Duration::from_millis(1600);
/// At most this many consecutive losses of one chunk (then it gets through).
const MAX_LOSSES: u32 = 8;
/// Bytes one direction of one connection may hold back before it stops reading.
pub const MAX_BUFFERED: usize = 16 << 20;

/// Counters of one [`Link`] since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStats {
    /// Connections accepted.
    pub accepted: u64,
    /// Connections currently open.
    pub open: u64,
    /// Bytes forwarded from the dialing node to the target (requests).
    pub to_target: u64,
    /// Bytes forwarded from the target back to the dialing node (responses).
    pub to_dialer: u64,
    /// Bytes thrown away (by [`Fault::Blackhole`]), both directions.
    pub discarded: u64,
}

/// The fault of a link plus how many times it has left [`Fault::Blackhole`]: a connection that
/// saw another generation than the one it started in lived through a blackhole and is closed.
#[derive(Clone, Copy, Debug)]
struct State {
    fault: Fault,
    generation: u64,
}

/// What the listener, the connections and the [`Link`] handle share.
struct Shared {
    target: SocketAddr,
    state: watch::Sender<State>,
    rng: Mutex<StdRng>,
    accepted: AtomicU64,
    open: AtomicU64,
    to_target: AtomicU64,
    to_dialer: AtomicU64,
    discarded: AtomicU64,
}

impl Shared {
    /// How long to hold a chunk read now under `fault`.
    fn hold(&self, fault: Fault) -> Duration {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        match fault {
            Fault::Pass | Fault::Blackhole => Duration::ZERO,
            Fault::Delay { mean, jitter } => {
                let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
                let (mean, jitter) = (nanos(mean), nanos(jitter));
                let lo = mean.saturating_sub(jitter);
                let hi = mean.saturating_add(jitter);
                Duration::from_nanos(rng.gen_range(lo..=hi))
            }
            Fault::Loss { p } => {
                let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
                let (mut hold, mut rto) = (Duration::ZERO, RTO_MIN);
                for _ in 0..MAX_LOSSES {
                    if !rng.gen_bool(p) {
                        break;
                    }
                    hold += rto;
                    rto = (rto * 2).min(RTO_MAX);
                }
                hold
            }
        }
    }
}

/// One directed proxy: everything a node sends to `target` through [`Link::addr`], and the
/// replies, under the link's current [`Fault`].
///
/// Dropping a `Link` stops its listener and aborts every connection (both sockets closed).
pub struct Link {
    addr: SocketAddr,
    shared: Arc<Shared>,
    listener: JoinHandle<()>,
}

impl Link {
    /// Listens on `127.0.0.1:0` and forwards each accepted connection to `target`, byte for
    /// byte in both directions (TCP_NODELAY on both sides), starting in [`Fault::Pass`].
    /// `seed` seeds the link's random choices.
    ///
    /// # Panics
    /// Outside a tokio runtime (the proxy's tasks are spawned on the current one).
    pub fn start(target: SocketAddr, seed: u64) -> io::Result<Link> {
        if !target.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("link target {target} is not on loopback"),
            ));
        }
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let addr = listener.local_addr()?;
        let (state, _) = watch::channel(State {
            fault: Fault::Pass,
            generation: 0,
        });
        let shared = Arc::new(Shared {
            target,
            state,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            accepted: AtomicU64::new(0),
            open: AtomicU64::new(0),
            to_target: AtomicU64::new(0),
            to_dialer: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
        });
        let listener = tokio::spawn(pump::accept_loop(listener, shared.clone()));
        Ok(Link {
            addr,
            shared,
            listener,
        })
    }

    /// Where to dial instead of the target.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The real address the link forwards to.
    pub fn target(&self) -> SocketAddr {
        self.shared.target
    }

    /// Changes the behaviour of existing and new connections at once. Leaving
    /// [`Fault::Blackhole`] closes every connection that was open during it.
    pub fn set(&self, fault: Fault) {
        self.shared.state.send_modify(|s| {
            if s.fault == Fault::Blackhole && fault != Fault::Blackhole {
                s.generation += 1;
            }
            s.fault = fault;
        });
    }

    /// The current fault.
    pub fn fault(&self) -> Fault {
        self.shared.state.borrow().fault
    }

    /// The counters so far.
    pub fn stats(&self) -> LinkStats {
        let s = &self.shared;
        LinkStats {
            accepted: s.accepted.load(Ordering::Relaxed),
            open: s.open.load(Ordering::Relaxed),
            to_target: s.to_target.load(Ordering::Relaxed),
            to_dialer: s.to_dialer.load(Ordering::Relaxed),
            discarded: s.discarded.load(Ordering::Relaxed),
        }
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("addr", &self.addr)
            .field("target", &self.shared.target)
            .field("fault", &self.fault())
            .finish()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // The listener task owns the connections' JoinSet: aborting it drops the set, which
        // aborts every connection, which drops its pumps and so both sockets.
        self.listener.abort();
    }
}
