//! The leader's side of the peer streams against a scripted follower: AppendEntries
//! (`PeerConnection::stream_append`) are pipelined (sent before earlier ones are answered),
//! replies come back in order, and a peer without the stream RPC is served by unary calls; a
//! snapshot (`full_snapshot`) arrives whole, in chunks, after its header.

use futures::StreamExt;
use iam_proto::raft::raft_peer_server::{RaftPeer, RaftPeerServer};
use iam_proto::raft::{
    ClusterIdReply, ClusterIdRequest, Payload, ReadIndexReply, ReadIndexRequest,
};
use iam_raft::network::{
    PeerConnection, PeerNetwork, SnapshotHeader, SnapshotReply, SNAPSHOT_CHUNK_BYTES,
};
use iam_raft::types::{
    Entry, EntryPayload, IamNode, LeaderId, LogId, Snapshot, SnapshotMeta, TypeConfig, Vote,
};
use openraft::error::RaftError;
use openraft::network::{RPCOption, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, StreamAppendResult, VoteRequest,
};
use openraft::vote::RaftLeaderId;
use openraft::RaftNetworkV2;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::{Request, Response, Status, Streaming};

/// Requests the scripted follower reads before it answers the first one.
const PIPELINE: usize = 3;

/// Answers every AppendEntries with success up to its `prev_log_id`, so a reply names the
/// request it answers. On the stream it answers nothing until [`PIPELINE`] requests arrived.
#[derive(Clone)]
struct Follower {
    streams: bool,
    unary_calls: Arc<AtomicU64>,
    /// AppendEntries received on streams.
    stream_requests: Arc<AtomicU64>,
    snapshot: Arc<Mutex<Option<Received>>>,
}

/// A snapshot the follower received: its header, its bytes and how many chunks carried them.
type Received = (SnapshotHeader, Vec<u8>, usize);

fn log_id(index: u64) -> LogId {
    LogId::new(LeaderId::new(1, 1), index)
}

fn request(prev: u64) -> AppendEntriesRequest<TypeConfig> {
    AppendEntriesRequest {
        vote: Vote::new_committed(1, 1),
        prev_log_id: Some(log_id(prev)),
        leader_commit: None,
        entries: Vec::new(),
    }
}

fn decode(p: &Payload) -> AppendEntriesRequest<TypeConfig> {
    iam_raft::format::decode("x", &p.data).unwrap()
}

#[tonic::async_trait]
impl RaftPeer for Follower {
    async fn append_entries(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.unary_calls.fetch_add(1, Ordering::SeqCst);
        let req = decode(req.get_ref());
        let reply: Result<AppendEntriesResponse<TypeConfig>, RaftError<TypeConfig>> =
            Ok(AppendEntriesResponse::PartialSuccess(req.prev_log_id));
        Ok(Response::new(Payload {
            data: iam_raft::format::encode("x", &reply).unwrap(),
        }))
    }
    type AppendStreamStream =
        std::pin::Pin<Box<dyn futures::Stream<Item = Result<Payload, Status>> + Send>>;
    async fn append_stream(
        &self,
        req: Request<Streaming<Payload>>,
    ) -> Result<Response<Self::AppendStreamStream>, Status> {
        if !self.streams {
            return Err(Status::unimplemented("no AppendStream here"));
        }
        let mut inbound = req.into_inner();
        let received = self.stream_requests.clone();
        let replies = async_stream(move |tx| async move {
            let mut held = Vec::new();
            let mut ended = false;
            while !ended {
                match inbound.message().await {
                    Ok(Some(msg)) => {
                        received.fetch_add(1, Ordering::SeqCst);
                        held.push(decode(&msg));
                        if held.len() < PIPELINE {
                            continue;
                        }
                    }
                    // The leader closed its side: answer what is left.
                    _ => ended = true,
                }
                for req in held.drain(..) {
                    // As a follower that appended them: success up to the last entry sent.
                    let last = req.entries.last().map(|e| e.log_id).or(req.prev_log_id);
                    let result: StreamAppendResult<TypeConfig> = Ok(last);
                    let data = iam_raft::format::encode("x", &result).unwrap();
                    if tx.send(Ok(Payload { data })).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(replies))
    }
    async fn vote(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
    async fn pre_vote(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("an iamd from before Pre-Vote"))
    }
    async fn install_snapshot(
        &self,
        req: Request<Streaming<Payload>>,
    ) -> Result<Response<Payload>, Status> {
        let mut parts = req.into_inner();
        let first = parts.message().await?.expect("a header");
        let header: SnapshotHeader = iam_raft::format::decode("x", &first.data).unwrap();
        let (mut data, mut chunks) = (Vec::new(), 0);
        while let Some(chunk) = parts.message().await? {
            assert!(chunk.data.len() <= SNAPSHOT_CHUNK_BYTES);
            data.extend_from_slice(&chunk.data);
            chunks += 1;
        }
        let reply: SnapshotReply = Ok(SnapshotResponse::new(header.0));
        *self.snapshot.lock().unwrap() = Some((header, data, chunks));
        Ok(Response::new(Payload {
            data: iam_raft::format::encode("x", &reply).unwrap(),
        }))
    }
    async fn forward(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
    async fn forward_writes(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
    async fn read_index(
        &self,
        _: Request<ReadIndexRequest>,
    ) -> Result<Response<ReadIndexReply>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
    async fn cluster_id(
        &self,
        _: Request<ClusterIdRequest>,
    ) -> Result<Response<ClusterIdReply>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
    async fn clock(
        &self,
        _: Request<iam_proto::raft::ClockRequest>,
    ) -> Result<Response<iam_proto::raft::ClockReply>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
    async fn release(
        &self,
        _: Request<iam_proto::raft::ReleaseRequest>,
    ) -> Result<Response<iam_proto::raft::ReleaseReply>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
}

/// A scripted follower (with or without the stream RPC) and the leader's connection to it.
async fn connect(streams: bool) -> (Follower, PeerConnection) {
    let follower = Follower {
        streams,
        unary_calls: Arc::default(),
        stream_requests: Arc::default(),
        snapshot: Arc::default(),
    };
    let node = serve(follower.clone()).await;
    let mut net = PeerNetwork {
        cluster_id: "c".into(),
        node_id: 1,
        connector: iam_tls::Connector::new(None),
    };
    let conn = net.new_client(2, &node).await;
    (follower, conn)
}

/// Serves `follower` on a loopback port; returns the node record to dial it.
async fn serve(follower: Follower) -> IamNode {
    let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
        .unwrap()
        .with_nodelay(Some(true));
    let addr = incoming.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(RaftPeerServer::new(follower))
            .serve_with_incoming(incoming),
    );
    IamNode {
        peer: addr.to_string(),
        ..IamNode::default()
    }
}

/// A stream fed by a task: what `f` sends on its channel.
fn async_stream<F, Fut>(
    f: F,
) -> std::pin::Pin<Box<dyn futures::Stream<Item = Result<Payload, Status>> + Send>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Payload, Status>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|p| (p, rx))
    }))
}

/// Runs one replication session over `conn` with requests for `prevs`; the index each reply
/// acknowledged, in order.
async fn session(conn: &mut PeerConnection, prevs: &[u64]) -> Vec<u64> {
    run_session(conn, prevs.iter().map(|p| request(*p)).collect()).await
}

/// Runs one replication session over `conn` with `requests`; the index each reply
/// acknowledged, in order.
async fn run_session(
    conn: &mut PeerConnection,
    requests: Vec<AppendEntriesRequest<TypeConfig>>,
) -> Vec<u64> {
    let input = futures::stream::iter(requests);
    let option = RPCOption::new(Duration::from_secs(5));
    let replies = conn
        .stream_append(input, option)
        .await
        .expect("session opens");
    replies
        .map(|r| match r {
            Ok(Ok(Some(l))) => l.index,
            other => panic!("unexpected reply {other:?}"),
        })
        .collect()
        .await
}

#[tokio::test]
async fn requests_are_pipelined_and_answered_in_order() {
    let (follower, mut conn) = connect(true).await;
    // The follower answers only once it holds three requests: a leader that waited for each
    // reply before sending the next request would never get one.
    let acked = tokio::time::timeout(Duration::from_secs(10), session(&mut conn, &[4, 5, 6]))
        .await
        .expect("the replies came in time");
    assert_eq!(acked, vec![4, 5, 6]);
    let again = tokio::time::timeout(Duration::from_secs(10), session(&mut conn, &[7, 8, 9]))
        .await
        .expect("a second session works too");
    assert_eq!(again, vec![7, 8, 9]);
    assert_eq!(
        follower.unary_calls.load(Ordering::SeqCst),
        0,
        "all went by the stream"
    );
}

/// A request that appends entry `index` after `index - 1`, committing `commit`.
fn appending(index: u64, commit: Option<u64>) -> AppendEntriesRequest<TypeConfig> {
    AppendEntriesRequest {
        entries: vec![Entry {
            log_id: log_id(index),
            payload: EntryPayload::Blank,
        }],
        leader_commit: commit.map(log_id),
        ..request(index - 1)
    }
}

#[tokio::test]
async fn a_commit_only_request_rides_with_the_next_one_and_is_still_answered() {
    let (follower, mut conn) = connect(true).await;
    let mut commit_only = request(5);
    commit_only.leader_commit = Some(log_id(5));
    let requests = vec![appending(5, None), commit_only, appending(6, Some(5))];
    let acked = tokio::time::timeout(Duration::from_secs(10), run_session(&mut conn, requests))
        .await
        .expect("the replies came in time");
    // Three replies for three requests, the commit-only one answered at its position...
    assert_eq!(acked, vec![5, 5, 6]);
    // ...though only two requests went on the wire.
    assert_eq!(follower.stream_requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_peer_without_pre_vote_counts_as_granting_and_an_unreachable_one_does_not() {
    let option = || RPCOption::new(Duration::from_secs(5));
    let ask = VoteRequest::new(Vote::new(2, 1), Some(log_id(3)));
    let (_follower, mut conn) = connect(true).await;
    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        conn.pre_vote(ask.clone(), option()),
    )
    .await
    .expect("answered in time")
    .expect("an older peer is not an error");
    assert!(reply.vote_granted);
    assert_eq!(reply.vote, ask.vote);
    // Nothing listens on this port: no grant, or an isolated node would elect itself.
    let nobody = IamNode {
        peer: format!("127.0.0.1:{}", free_port()),
        ..IamNode::default()
    };
    let mut net = PeerNetwork {
        cluster_id: "c".into(),
        node_id: 1,
        connector: iam_tls::Connector::new(None),
    };
    let mut gone = net.new_client(3, &nobody).await;
    let reply = tokio::time::timeout(Duration::from_secs(10), gone.pre_vote(ask, option()))
        .await
        .expect("answered in time");
    assert!(reply.is_err(), "{reply:?}");
}

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_peer_without_the_stream_gets_unary_calls() {
    let (follower, mut conn) = connect(false).await;
    tokio::time::timeout(Duration::from_secs(10), async {
        // The first session learns the peer lacks the stream: its first request goes by a
        // unary call and the session ends; openraft starts the next one.
        assert_eq!(session(&mut conn, &[3, 4]).await, vec![3]);
        assert_eq!(session(&mut conn, &[4, 5]).await, vec![4, 5]);
    })
    .await
    .expect("the calls finished in time");
    assert_eq!(follower.unary_calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_snapshot_arrives_whole_in_chunks_after_its_header() {
    let (follower, mut conn) = connect(true).await;
    // Two and a half chunks of bytes that differ by position, so a lost, repeated or
    // reordered chunk shows.
    let data: Vec<u8> = (0..SNAPSHOT_CHUNK_BYTES * 5 / 2)
        .map(|i| (i % 251) as u8)
        .collect();
    let meta = SnapshotMeta {
        last_log_id: Some(log_id(42)),
        last_membership: Default::default(),
    };
    let vote = Vote::new_committed(3, 1);
    let snapshot = Snapshot {
        meta: meta.clone(),
        snapshot: data.clone(),
    };
    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        conn.full_snapshot(
            vote,
            snapshot,
            std::future::pending(),
            RPCOption::new(Duration::from_secs(5)),
        ),
    )
    .await
    .expect("sent in time")
    .expect("the follower accepted it");
    assert_eq!(reply.vote, vote);
    let (header, received, chunks) = follower.snapshot.lock().unwrap().take().expect("received");
    assert_eq!(header, (vote, meta, data.len() as u64));
    assert_eq!(chunks, 3);
    assert!(received == data, "the bytes arrived changed");
}
