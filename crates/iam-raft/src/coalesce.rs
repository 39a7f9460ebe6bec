//! Commit-only AppendEntries, held back briefly so that the next request carries them.
//!
//! When the leader's commit index advances and it has no new entries to send, openraft sends
//! each follower an entry-less AppendEntries whose only news is the commit index. With one
//! writer, every write costs such a message and its reply on both followers on top of the
//! entry's own: four of the ten peer and client messages a write makes, and two follower
//! wakeups while the leader is still answering the client. The next request carries the
//! commit index anyway, and under steady writes it follows within a round trip.
//!
//! So [`hold_commits`] keeps an entry-less request back for at most [`COMMIT_HOLD`]: if
//! another request that continues from the same place (same vote, same `prev_log_id`) comes
//! meanwhile, the held one is folded into it and not sent; otherwise it goes out when the hold
//! ends. A follower thus learns of a commit at most [`COMMIT_HOLD`] later than it would have
//! (heartbeats carry the commit index too).
//!
//! openraft expects one reply per request, in order, so [`expand_replies`] answers each
//! folded request just before the reply of the request that carried it, from that reply: a
//! success there is a success at the folded request's `prev_log_id` (the same follower checked
//! the same vote and the same `prev_log_id` later, and a follower's vote only grows); an error
//! there is that error (and the stream ends, as openraft's contract says). A folded request is
//! never answered before a real reply proves what its answer would have been, so the leader
//! never counts a follower as holding anything the follower did not acknowledge.

use crate::types::{LogId, TypeConfig};
use futures::{Stream, StreamExt};
use openraft::raft::{AppendEntriesRequest, StreamAppendResult};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Longest a commit-only request waits for a later request to carry it.
pub(crate) const COMMIT_HOLD: Duration = Duration::from_millis(1);

type Request = AppendEntriesRequest<TypeConfig>;

/// For every request sent, in order: how many held requests were folded into it, and the
/// `prev_log_id` they shared with it. Written by the sending side before the request goes
/// out, read by the reply side, so an entry is always there when its reply arrives.
#[derive(Default)]
pub(crate) struct Ledger {
    sent: Mutex<VecDeque<(usize, Option<LogId>)>>,
}

impl Ledger {
    fn note_sent(&self, folded: usize, prev: Option<LogId>) {
        self.lock().push_back((folded, prev));
    }

    fn take_next(&self) -> (usize, Option<LogId>) {
        self.lock().pop_front().unwrap_or((0, None))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(usize, Option<LogId>)>> {
        // A queue of plain values: a panicking holder leaves it usable.
        self.sent.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether `next` continues from where the held, entry-less `held` would have left the
/// follower, so that sending `next` delivers everything `held` would have.
fn carries(next: &Request, held: &Request) -> bool {
    next.vote == held.vote && next.prev_log_id == held.prev_log_id
}

struct Outbound<S> {
    input: S,
    ledger: Arc<Ledger>,
    hold: Duration,
    /// The held request, how many earlier ones were folded into it, and when it must go.
    held: Option<(Request, usize, Instant)>,
    /// A request read while one was held that did not carry it: it goes out next.
    after: Option<Request>,
    /// Whether a request went out yet (the first one never waits).
    sent_any: bool,
    /// Whether the input ended (what is held then goes out at once).
    ended: bool,
}

impl<S> Outbound<S> {
    fn send(&mut self, req: Request, folded: usize) -> Request {
        self.ledger.note_sent(folded, req.prev_log_id);
        self.sent_any = true;
        req
    }

    /// Takes `req` in: returns it if it goes out now, or holds it (folding in what it carries)
    /// until `deadline`, or for the hold time when it is the first held.
    fn admit(&mut self, req: Request, folded: usize, deadline: Option<Instant>) -> Option<Request> {
        if req.entries.is_empty() && self.sent_any {
            let deadline = deadline.unwrap_or_else(|| Instant::now() + self.hold);
            self.held = Some((req, folded, deadline));
            None
        } else {
            Some(self.send(req, folded))
        }
    }
}

/// The requests of `input` as they should go on the wire, with commit-only requests held up
/// to `hold` and folded into a later request that carries them. Every request sent is noted
/// in `ledger` for [`expand_replies`].
pub(crate) fn hold_commits<S>(
    input: S,
    ledger: Arc<Ledger>,
    hold: Duration,
) -> impl Stream<Item = Request> + Send + 'static
where
    S: Stream<Item = Request> + Send + Unpin + 'static,
{
    let state = Outbound {
        input,
        ledger,
        hold,
        held: None,
        after: None,
        sent_any: false,
        ended: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(req) = st.after.take() {
                if let Some(out) = st.admit(req, 0, None) {
                    return Some((out, st));
                }
                continue;
            }
            let Some(deadline) = st.held.as_ref().map(|(_, _, deadline)| *deadline) else {
                if st.ended {
                    return None;
                }
                match st.input.next().await {
                    Some(req) => match st.admit(req, 0, None) {
                        Some(out) => return Some((out, st)),
                        None => continue,
                    },
                    None => return None,
                }
            };
            let next = if st.ended {
                None
            } else {
                tokio::select! {
                    biased;
                    next = st.input.next() => Some(next),
                    () = tokio::time::sleep_until(deadline) => None,
                }
            };
            let (held, folded, _) = st.held.take()?;
            match next {
                // The hold ended, or the input did: the held request goes out as it is.
                None | Some(None) => {
                    st.ended |= next.is_some();
                    return Some((st.send(held, folded), st));
                }
                Some(Some(req)) if carries(&req, &held) => {
                    if let Some(out) = st.admit(req, folded + 1, Some(deadline)) {
                        return Some((out, st));
                    }
                }
                Some(Some(req)) => {
                    st.after = Some(req);
                    return Some((st.send(held, folded), st));
                }
            }
        }
    })
}

struct Inbound<R, T> {
    replies: R,
    ledger: Arc<Ledger>,
    /// Answers ready to go, in order.
    out: VecDeque<T>,
    /// Whether an error ended the stream.
    done: bool,
}

/// The replies to every request `hold_commits` was given, in order: each real reply of
/// `replies`, preceded by the answers of the requests folded into its request.
pub(crate) fn expand_replies<R, E>(
    replies: R,
    ledger: Arc<Ledger>,
) -> impl Stream<Item = Result<StreamAppendResult<TypeConfig>, E>>
where
    R: Stream<Item = Result<StreamAppendResult<TypeConfig>, E>> + Unpin,
{
    let state = Inbound {
        replies,
        ledger,
        out: VecDeque::new(),
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        if let Some(item) = st.out.pop_front() {
            return Some((item, st));
        }
        if st.done {
            return None;
        }
        let real = st.replies.next().await?;
        let (folded, prev) = st.ledger.take_next();
        match &real {
            Ok(Ok(matching)) => {
                // Never more than the follower acknowledged.
                let answer = prev.min(*matching);
                st.out.extend((0..folded).map(|_| Ok(Ok(answer))));
                st.out.push_back(real);
            }
            Ok(Err(e)) => {
                // The first request still unanswered gets the error; the stream ends there.
                st.out.push_back(Ok(Err(e.clone())));
                st.done = true;
            }
            Err(_) => {
                st.out.push_back(real);
                st.done = true;
            }
        }
        let first = st.out.pop_front()?;
        Some((first, st))
    })
}

#[cfg(test)]
mod tests;
