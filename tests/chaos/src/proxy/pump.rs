//! The tasks behind a [`Link`](super::Link): the listener, one supervisor per connection and,
//! per direction, a reader that stamps each chunk with a deadline and a writer that delivers
//! the chunks in order when their deadline comes.
//!
//! Task ownership makes `Drop` simple: the listener task owns a `JoinSet` of connection
//! supervisors, each supervisor owns a `JoinSet` of its four pumps, and the pumps own the socket
//! halves. Aborting the listener drops them all, closing every socket.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Fault, Shared, State, MAX_BUFFERED};

/// Largest chunk one read takes.
const CHUNK: usize = 64 << 10;

/// How a pump ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Its direction finished cleanly (EOF forwarded).
    Done,
    /// The connection is broken: close both sockets.
    Broken,
}

/// Accepts connections until aborted; each one gets a supervisor task.
pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.accepted.fetch_add(1, Ordering::Relaxed);
                    conns.spawn(connection(stream, shared.clone()));
                }
                // Out of descriptors and the like: let it pass rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Counts a connection as open for as long as it lives (aborts included).
struct OpenGuard(Arc<Shared>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One accepted connection, from accept to close.
async fn connection(dialer: TcpStream, shared: Arc<Shared>) {
    shared.open.fetch_add(1, Ordering::Relaxed);
    let _open = OpenGuard(shared.clone());
    let mut state = shared.state.subscribe();
    let start = *state.borrow_and_update();
    let _ = dialer.set_nodelay(true);
    if start.fault == Fault::Blackhole {
        // The SYN made it into the partition, nothing more: do not dial the target.
        return swallow(dialer, &shared, state, start.generation).await;
    }
    let Ok(target) = TcpStream::connect(shared.target).await else {
        return; // the target is down: the dialer sees its connection closed
    };
    let _ = target.set_nodelay(true);
    let (dialer_rd, dialer_wr) = dialer.into_split();
    let (target_rd, target_wr) = target.into_split();
    let mut pumps = JoinSet::new();
    let gen = start.generation;
    for (rd, wr, count) in [
        (dialer_rd, target_wr, Counter::ToTarget),
        (target_rd, dialer_wr, Counter::ToDialer),
    ] {
        let (tx, rx) = mpsc::unbounded_channel();
        let budget = Arc::new(Semaphore::new(MAX_BUFFERED));
        pumps.spawn(read_side(rd, tx, shared.clone(), gen, budget));
        let sub = shared.state.subscribe();
        pumps.spawn(write_side(wr, rx, shared.clone(), sub, gen, count));
    }
    loop {
        tokio::select! {
            changed = state.changed() => {
                if changed.is_err() || state.borrow_and_update().generation != gen {
                    return; // lived through a blackhole: broken, close it
                }
            }
            ended = pumps.join_next() => match ended {
                None => return,
                Some(Ok(End::Done)) => {}
                Some(Ok(End::Broken) | Err(_)) => return,
            },
        }
    }
}

/// A connection accepted during a blackhole: read and discard until the link leaves it.
async fn swallow(
    mut dialer: TcpStream,
    shared: &Shared,
    mut state: watch::Receiver<State>,
    gen: u64,
) {
    let mut buf = vec![0; CHUNK];
    let mut open = true;
    loop {
        tokio::select! {
            changed = state.changed() => {
                if changed.is_err() || state.borrow_and_update().generation != gen {
                    return;
                }
            }
            read = dialer.read(&mut buf), if open => match read {
                Ok(0) | Err(_) => open = false, // the FIN is lost in the partition too
                Ok(n) => {
                    shared.discarded.fetch_add(n as u64, Ordering::Relaxed);
                }
            },
        }
    }
}

/// Which byte counter a direction feeds.
#[derive(Clone, Copy)]
enum Counter {
    ToTarget,
    ToDialer,
}

impl Counter {
    fn of(self, shared: &Shared) -> &AtomicU64 {
        match self {
            Counter::ToTarget => &shared.to_target,
            Counter::ToDialer => &shared.to_dialer,
        }
    }
}

/// What crosses from a reader to its writer.
struct Item {
    /// Not delivered before this (unless the link passes by then).
    deadline: Instant,
    /// The bytes, or `None` for end of stream.
    data: Option<(Vec<u8>, OwnedSemaphorePermit)>,
}

/// Reads one direction, discarding under a blackhole, otherwise queueing each chunk with its
/// deadline. Deadlines never decrease, so the writer never reorders the stream.
async fn read_side(
    mut src: OwnedReadHalf,
    tx: mpsc::UnboundedSender<Item>,
    shared: Arc<Shared>,
    gen: u64,
    budget: Arc<Semaphore>,
) -> End {
    let mut buf = vec![0; CHUNK];
    let mut last = Instant::now();
    loop {
        let n = src.read(&mut buf).await.unwrap_or(0);
        let state = *shared.state.borrow();
        if state.generation != gen {
            return End::Broken;
        }
        if state.fault == Fault::Blackhole {
            if n == 0 {
                return End::Done; // the FIN is lost too; the writer idles
            }
            shared.discarded.fetch_add(n as u64, Ordering::Relaxed);
            continue;
        }
        let deadline = (Instant::now() + shared.hold(state.fault)).max(last);
        last = deadline;
        let data = if n == 0 {
            None
        } else {
            // Backpressure: with MAX_BUFFERED bytes in flight, stop reading until some drain.
            let Ok(permit) = budget.clone().acquire_many_owned(n as u32).await else {
                return End::Broken;
            };
            Some((buf[..n].to_vec(), permit))
        };
        let eof = data.is_none();
        if tx.send(Item { deadline, data }).is_err() {
            return End::Broken;
        }
        if eof {
            return End::Done;
        }
    }
}

/// Delivers one direction's chunks in order, each at its deadline — at once if the link now
/// passes, never if it is now blackholed.
async fn write_side(
    mut dst: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Item>,
    shared: Arc<Shared>,
    mut state: watch::Receiver<State>,
    gen: u64,
    counter: Counter,
) -> End {
    while let Some(item) = rx.recv().await {
        let deliver = loop {
            let now = *state.borrow_and_update();
            if now.generation != gen {
                return End::Broken;
            }
            match now.fault {
                Fault::Blackhole => break false,
                Fault::Pass => break true,
                Fault::Delay { .. } | Fault::Loss { .. } => {}
            }
            if Instant::now() >= item.deadline {
                break true;
            }
            tokio::select! {
                () = tokio::time::sleep_until(item.deadline) => break true,
                changed = state.changed() => if changed.is_err() { return End::Broken },
            }
        };
        match item.data {
            Some((bytes, _permit)) if deliver => {
                if dst.write_all(&bytes).await.is_err() {
                    return End::Broken;
                }
                counter
                    .of(&shared)
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            Some((bytes, _permit)) => {
                shared
                    .discarded
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            None if deliver => {
                let _ = dst.shutdown().await;
                return End::Done;
            }
            None => break,
        }
    }
    // The stream's end was lost in a blackhole: keep the socket open (dropping the write half
    // would send a FIN) until the connection is closed for having been blackholed.
    std::future::pending().await
}
