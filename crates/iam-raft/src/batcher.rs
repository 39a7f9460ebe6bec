//! The leader's proposal batcher. Writes proposed while earlier entries are still in
//! flight are gathered into the next log entry: N concurrent writes cost one log entry (one
//! record to append, replicate and apply, and one apply batch on every node) instead of N.
//! One entry carries at most [`MAX_BATCH`] writes, at most [`IN_FLIGHT`] entries are in
//! flight at once, and a write alone is proposed at once (no waiting to fill a batch), so a
//! single client sees no added latency.

use crate::error::{write_error, RaftNodeError};
use crate::types::{Raft, Requests, StateMachine};
use iam_state::{Request, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Most writes in one log entry.
pub(crate) const MAX_BATCH: usize = 256;
/// Entries proposed and not yet applied, at most.
pub(crate) const IN_FLIGHT: usize = 2;

type Reply = Result<(u64, Response), RaftNodeError>;
type Pending = (Request, oneshot::Sender<Reply>);

pub(crate) struct Batcher {
    tx: mpsc::UnboundedSender<Pending>,
}

impl Batcher {
    /// Starts the batching task for `raft`; each entry may take `timeout` to commit.
    pub(crate) fn start<SM: StateMachine>(raft: Raft<SM>, timeout: Duration) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(raft, timeout, rx));
        Self { tx }
    }

    /// Proposes `req` on this node (which believes it leads); returns the index of the entry
    /// it committed in and its response.
    pub(crate) async fn propose(&self, req: Request) -> Reply {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((req, tx))
            .map_err(|_| RaftNodeError::Fatal("the proposal batcher stopped".into()))?;
        rx.await
            .map_err(|_| RaftNodeError::Fatal("the proposal batcher dropped a write".into()))?
    }
}

/// The next batch: waits for an item, then for one of `slots` (what arrives meanwhile joins
/// the batch), then takes what else is queued, up to `max` in all. `None` once the senders
/// are gone. Shared by the leader's batcher and the follower's forwarder.
pub(crate) async fn gather<T>(
    rx: &mut mpsc::UnboundedReceiver<T>,
    slots: &Arc<Semaphore>,
    max: usize,
) -> Option<(OwnedSemaphorePermit, Vec<T>)> {
    let first = rx.recv().await?;
    let slot = slots.clone().acquire_owned().await.ok()?;
    let mut batch = vec![first];
    while batch.len() < max {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    Some((slot, batch))
}

async fn run<SM: StateMachine>(
    raft: Raft<SM>,
    timeout: Duration,
    mut rx: mpsc::UnboundedReceiver<Pending>,
) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some((slot, batch)) = gather(&mut rx, &slots, MAX_BATCH).await {
        let raft = raft.clone();
        tokio::spawn(async move {
            let (requests, replies): (Vec<Request>, Vec<oneshot::Sender<Reply>>) =
                batch.into_iter().unzip();
            let written =
                tokio::time::timeout(timeout, raft.client_write(Requests::new(requests))).await;
            drop(slot);
            match written {
                Ok(Ok(r)) => {
                    let index = r.log_id.index;
                    let mut responses = r.data.into_iter();
                    for reply in replies {
                        let answer = responses.next().map(|resp| (index, resp)).ok_or_else(|| {
                            RaftNodeError::Fatal(
                                "an entry's apply returned too few responses".into(),
                            )
                        });
                        let _ = reply.send(answer);
                    }
                }
                Ok(Err(e)) => {
                    let e = write_error(e);
                    for reply in replies {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
                Err(_) => {
                    let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
                    for reply in replies {
                        let _ = reply.send(Err(RaftNodeError::Timeout(ms)));
                    }
                }
            }
        });
    }
}
