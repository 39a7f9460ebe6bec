//! Commit-only request folding: what goes on the wire (held, folded, sent when the hold ends
//! or the input does, never the first request) and how the replies are matched up again.

use super::*;
use crate::types::{Entry, EntryPayload, LeaderId, Vote};
use futures::channel::mpsc;
use openraft::raft::StreamAppendError;
use openraft::vote::RaftLeaderId;
use std::time::Duration;

fn log_id(index: u64) -> LogId {
    LogId::new(LeaderId::new(1, 1), index)
}

/// A request appending `entries` (indexes) after `prev`, committing `commit`.
fn req(prev: Option<u64>, entries: &[u64], commit: Option<u64>) -> Request {
    AppendEntriesRequest {
        vote: Vote::new_committed(1, 1),
        prev_log_id: prev.map(log_id),
        entries: entries
            .iter()
            .map(|&i| Entry {
                log_id: log_id(i),
                payload: EntryPayload::Blank,
            })
            .collect(),
        leader_commit: commit.map(log_id),
    }
}

/// What identifies a request on the wire in these tests: prev, entries, commit.
fn shape(r: &Request) -> (Option<u64>, Vec<u64>, Option<u64>) {
    (
        r.prev_log_id.map(|l| l.index),
        r.entries.iter().map(|e| e.log_id.index).collect(),
        r.leader_commit.map(|l| l.index),
    )
}

type Sender = mpsc::UnboundedSender<Request>;

fn start(hold: Duration) -> (Sender, Arc<Ledger>, impl Stream<Item = Request> + Unpin) {
    let (tx, rx) = mpsc::unbounded();
    let ledger = Arc::new(Ledger::default());
    let out = Box::pin(hold_commits(rx, ledger.clone(), hold));
    (tx, ledger, out)
}

async fn next_within(
    out: &mut (impl Stream<Item = Request> + Unpin),
    limit: Duration,
) -> Option<Request> {
    tokio::time::timeout(limit, out.next())
        .await
        .expect("the next request came in time")
}

const LONG: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_commit_only_request_is_folded_into_the_next_one() {
    let (tx, ledger, mut out) = start(LONG);
    tx.unbounded_send(req(None, &[1], None)).unwrap();
    tx.unbounded_send(req(Some(1), &[], Some(1))).unwrap();
    tx.unbounded_send(req(Some(1), &[2], Some(1))).unwrap();
    let a = next_within(&mut out, LONG).await.unwrap();
    let b = next_within(&mut out, LONG).await.unwrap();
    assert_eq!(shape(&a), (None, vec![1], None));
    assert_eq!(shape(&b), (Some(1), vec![2], Some(1)));
    assert_eq!(ledger.take_next(), (0, None));
    assert_eq!(ledger.take_next(), (1, Some(log_id(1))));
}

#[tokio::test]
async fn the_first_request_is_never_held() {
    let (tx, _ledger, mut out) = start(LONG);
    tx.unbounded_send(req(Some(4), &[], Some(4))).unwrap();
    let a = next_within(&mut out, Duration::from_secs(2)).await.unwrap();
    assert_eq!(shape(&a), (Some(4), vec![], Some(4)));
}

#[tokio::test]
async fn a_held_request_goes_out_when_the_hold_ends() {
    let hold = Duration::from_millis(50);
    let (tx, ledger, mut out) = start(hold);
    tx.unbounded_send(req(None, &[1], None)).unwrap();
    next_within(&mut out, LONG).await.unwrap();
    let held_at = std::time::Instant::now();
    tx.unbounded_send(req(Some(1), &[], Some(1))).unwrap();
    let c = next_within(&mut out, LONG).await.unwrap();
    assert!(
        held_at.elapsed() >= hold,
        "sent after {:?}",
        held_at.elapsed()
    );
    assert_eq!(shape(&c), (Some(1), vec![], Some(1)));
    // The stream goes on after a hold.
    tx.unbounded_send(req(Some(1), &[2], Some(1))).unwrap();
    let d = next_within(&mut out, LONG).await.unwrap();
    assert_eq!(shape(&d), (Some(1), vec![2], Some(1)));
    ledger.take_next();
    assert_eq!(ledger.take_next(), (0, Some(log_id(1))));
    assert_eq!(ledger.take_next(), (0, Some(log_id(1))));
}

#[tokio::test]
async fn commits_in_a_row_fold_into_one_request_and_do_not_extend_the_hold() {
    let hold = Duration::from_millis(300);
    let (tx, ledger, mut out) = start(hold);
    tx.unbounded_send(req(None, &[1, 2], None)).unwrap();
    next_within(&mut out, LONG).await.unwrap();
    let held_at = std::time::Instant::now();
    tx.unbounded_send(req(Some(2), &[], Some(1))).unwrap();
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        tx.unbounded_send(req(Some(2), &[], Some(2))).unwrap();
        tx
    });
    let c = next_within(&mut out, LONG).await.unwrap();
    let waited = held_at.elapsed();
    assert_eq!(shape(&c), (Some(2), vec![], Some(2)), "the later commit");
    assert!(
        waited >= Duration::from_millis(200),
        "sent after {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(490),
        "the second commit restarted the hold: sent after {waited:?}"
    );
    ledger.take_next();
    assert_eq!(ledger.take_next(), (1, Some(log_id(2))));
    drop(sender.await.unwrap());
}

#[tokio::test]
async fn a_request_that_does_not_continue_from_the_held_one_goes_after_it() {
    let (tx, ledger, mut out) = start(LONG);
    tx.unbounded_send(req(None, &[1, 2], None)).unwrap();
    tx.unbounded_send(req(Some(2), &[], Some(2))).unwrap();
    // A new session's probe, say: another prev_log_id.
    tx.unbounded_send(req(Some(1), &[2], Some(2))).unwrap();
    let shapes: Vec<_> = [
        next_within(&mut out, LONG).await.unwrap(),
        next_within(&mut out, LONG).await.unwrap(),
        next_within(&mut out, LONG).await.unwrap(),
    ]
    .iter()
    .map(shape)
    .collect();
    assert_eq!(
        shapes,
        vec![
            (None, vec![1, 2], None),
            (Some(2), vec![], Some(2)),
            (Some(1), vec![2], Some(2)),
        ]
    );
    let folded: Vec<usize> = (0..3).map(|_| ledger.take_next().0).collect();
    assert_eq!(folded, vec![0, 0, 0]);
}

#[tokio::test]
async fn a_request_of_another_vote_does_not_carry_the_held_one() {
    let (tx, _ledger, mut out) = start(LONG);
    tx.unbounded_send(req(None, &[1], None)).unwrap();
    tx.unbounded_send(req(Some(1), &[], Some(1))).unwrap();
    let mut other = req(Some(1), &[2], Some(1));
    other.vote = Vote::new_committed(2, 1);
    tx.unbounded_send(other).unwrap();
    next_within(&mut out, LONG).await.unwrap();
    let held = next_within(&mut out, LONG).await.unwrap();
    assert_eq!(shape(&held), (Some(1), vec![], Some(1)));
    let next = next_within(&mut out, LONG).await.unwrap();
    assert_eq!(next.vote, Vote::new_committed(2, 1));
}

#[tokio::test]
async fn the_held_request_goes_out_when_the_input_ends() {
    let (tx, _ledger, mut out) = start(LONG);
    tx.unbounded_send(req(None, &[1], None)).unwrap();
    tx.unbounded_send(req(Some(1), &[], Some(1))).unwrap();
    drop(tx);
    next_within(&mut out, LONG).await.unwrap();
    let held = next_within(&mut out, Duration::from_secs(2)).await.unwrap();
    assert_eq!(shape(&held), (Some(1), vec![], Some(1)));
    assert!(next_within(&mut out, Duration::from_secs(2))
        .await
        .is_none());
}

type Reply = Result<StreamAppendResult<TypeConfig>, String>;

async fn expanded(ledger: Vec<(usize, Option<u64>)>, replies: Vec<Reply>) -> Vec<Reply> {
    let l = Arc::new(Ledger::default());
    for (folded, prev) in ledger {
        l.note_sent(folded, prev.map(log_id));
    }
    let out = expand_replies(futures::stream::iter(replies), l);
    tokio::time::timeout(LONG, out.collect::<Vec<_>>())
        .await
        .expect("replies in time")
}

#[tokio::test]
async fn a_folded_request_is_answered_from_the_reply_that_carried_it() {
    let got = expanded(
        vec![(0, None), (2, Some(1))],
        vec![Ok(Ok(Some(log_id(1)))), Ok(Ok(Some(log_id(2))))],
    )
    .await;
    let want: Vec<Reply> = vec![
        Ok(Ok(Some(log_id(1)))),
        Ok(Ok(Some(log_id(1)))),
        Ok(Ok(Some(log_id(1)))),
        Ok(Ok(Some(log_id(2)))),
    ];
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_folded_request_is_never_answered_past_what_the_follower_acknowledged() {
    // A partial success below the folded request's position.
    let got = expanded(vec![(1, Some(5))], vec![Ok(Ok(Some(log_id(3))))]).await;
    assert_eq!(got, vec![Ok(Ok(Some(log_id(3)))), Ok(Ok(Some(log_id(3))))]);
}

#[tokio::test]
async fn an_error_reply_answers_the_first_folded_request_and_ends_the_stream() {
    let conflict: Reply = Ok(Err(StreamAppendError::Conflict(log_id(1))));
    let got = expanded(
        vec![(1, Some(1)), (0, Some(2))],
        vec![conflict.clone(), Ok(Ok(Some(log_id(2))))],
    )
    .await;
    assert_eq!(got, vec![conflict]);
    let lost: Reply = Err("connection reset".into());
    let got = expanded(vec![(3, Some(1))], vec![lost.clone()]).await;
    assert_eq!(got, vec![lost]);
}
