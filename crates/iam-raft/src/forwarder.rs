//! A follower's write forwarder: the follower-side twin of the leader's [`crate::batcher`].
//! Writes made on a follower travel to the leader over the peer port; one RPC per write cost
//! both nodes an HTTP/2 request each way for every write. Here, writes that arrive while
//! earlier forward calls are still in flight go to the leader together in one
//! `ForwardWrites` call (at most [`MAX_BATCH`] writes, at most [`IN_FLIGHT`] calls at once);
//! a write alone is sent at once. The leader proposes each write of a call on its own (so
//! they join its entry batches) and answers each with its own result.
//!
//! Failure semantics are those of a single forwarded write: when the call fails the outcome
//! of every write in it is unknown (`Unreachable`), and the caller retries only writes that
//! carry a request token.

use crate::batcher::gather;
use crate::error::RaftNodeError;
use crate::forward::{call_peer, ForwardResult};
use crate::network::{PeerClient, PeerRpc};
use iam_state::Request;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Most writes in one forward call.
pub(crate) const MAX_BATCH: usize = 256;
/// Forward calls to the leader in flight at once, at most.
pub(crate) const IN_FLIGHT: usize = 4;

struct Pending {
    request: Request,
    deadline: Instant,
    reply: oneshot::Sender<ForwardResult>,
}

/// Forwards writes to one peer (the leader as this node last knew it).
pub(crate) struct Forwarder {
    addr: String,
    tx: mpsc::UnboundedSender<Pending>,
}

impl Forwarder {
    pub(crate) fn start(addr: &str, peer: PeerClient) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(addr.to_owned(), peer, rx));
        Self {
            addr: addr.to_owned(),
            tx,
        }
    }

    /// Sends `request` to the peer with the writes forwarded alongside it; its result, or
    /// `Unreachable` when no answer came by `deadline`.
    pub(crate) async fn forward(&self, request: Request, deadline: Instant) -> ForwardResult {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Pending {
                request,
                deadline,
                reply,
            })
            .map_err(|_| RaftNodeError::Fatal("the write forwarder stopped".into()))?;
        let unanswered = || {
            RaftNodeError::Unreachable(format!(
                "{}: no answer from the leader in time; the write may or may not have been applied",
                self.addr
            ))
        };
        match tokio::time::timeout_at(deadline.into(), rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) | Err(_) => Err(unanswered()),
        }
    }
}

async fn run(addr: String, peer: PeerClient, mut rx: mpsc::UnboundedReceiver<Pending>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some((slot, mut batch)) = gather(&mut rx, &slots, MAX_BATCH).await {
        // Callers whose deadline passed have given up; do not send their writes.
        let now = Instant::now();
        batch.retain(|p| p.deadline > now && !p.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let peer = peer.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            let results = send(&peer, &addr, &batch).await;
            drop(slot);
            match results {
                Ok(results) => {
                    let mut results = results.into_iter();
                    for p in batch {
                        let r = results.next().unwrap_or_else(|| {
                            Err(RaftNodeError::Fatal(format!(
                                "{addr}: the leader answered fewer writes than were forwarded"
                            )))
                        });
                        let _ = p.reply.send(r);
                    }
                }
                Err(e) => {
                    for p in batch {
                        let _ = p.reply.send(Err(e.clone()));
                    }
                }
            }
        });
    }
}

/// One `ForwardWrites` call with every write of `batch`, bounded by the latest deadline.
async fn send(
    peer: &PeerClient,
    addr: &str,
    batch: &[Pending],
) -> Result<Vec<ForwardResult>, RaftNodeError> {
    // Encoded as the `Requests` the receiver decodes, without copying the requests.
    #[derive(serde::Serialize)]
    struct RequestRefs<'a>(#[serde(with = "iam_state::codec::cbor")] Vec<&'a Request>);
    let requests = RequestRefs(batch.iter().map(|p| &p.request).collect());
    let latest = batch
        .iter()
        .map(|p| p.deadline)
        .max()
        .unwrap_or_else(Instant::now);
    call_peer(peer, addr, PeerRpc::ForwardWrites, &requests, latest).await
}
