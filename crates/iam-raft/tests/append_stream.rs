//! The leader's AppendEntries stream (`PeerConnection`) against a scripted follower: each
//! reply answers its own request even after a call was abandoned or timed out, and a peer
//! without the stream RPC is served by unary calls.

use iam_proto::raft::raft_peer_server::{RaftPeer, RaftPeerServer};
use iam_proto::raft::{
    ClusterIdReply, ClusterIdRequest, Payload, ReadIndexReply, ReadIndexRequest,
};
use iam_raft::network::{PeerConnection, PeerNetwork};
use iam_raft::types::{IamNode, NodeId, TypeConfig};
use openraft::error::RaftError;
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse};
use openraft::{CommittedLeaderId, LogId, Vote};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tonic::{Request, Response, Status, Streaming};

/// Answers every AppendEntries with `PartialSuccess(prev_log_id)`, so a reply names the
/// request it answers; a request whose `prev_log_id` index is 1 is answered after 500 ms.
#[derive(Clone)]
struct Follower {
    streams: bool,
    unary_calls: Arc<AtomicU64>,
}

fn log_id(index: u64) -> LogId<NodeId> {
    LogId::new(CommittedLeaderId::new(1, 1), index)
}

fn request(prev: u64) -> AppendEntriesRequest<TypeConfig> {
    AppendEntriesRequest {
        vote: Vote::new_committed(1, 1),
        prev_log_id: Some(log_id(prev)),
        leader_commit: None,
        entries: Vec::new(),
    }
}

async fn answer(p: &Payload) -> Payload {
    let req: AppendEntriesRequest<TypeConfig> = bincode::deserialize(&p.data).unwrap();
    if req.prev_log_id.is_some_and(|l| l.index == 1) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let reply: Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>> =
        Ok(AppendEntriesResponse::PartialSuccess(req.prev_log_id));
    Payload {
        data: bincode::serialize(&reply).unwrap(),
    }
}

#[tonic::async_trait]
impl RaftPeer for Follower {
    async fn append_entries(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.unary_calls.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(answer(req.get_ref()).await))
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
        let replies = futures::stream::unfold(req.into_inner(), |mut inbound| async move {
            let msg = inbound.message().await.ok()??;
            Some((Ok(answer(&msg).await), inbound))
        });
        Ok(Response::new(Box::pin(replies)))
    }
    async fn vote(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("not scripted"))
    }
    async fn install_snapshot(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("not scripted"))
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
}

/// A scripted follower (with or without the stream RPC) and the leader's connection to it.
async fn connect(streams: bool) -> (Follower, PeerConnection) {
    let follower = Follower {
        streams,
        unary_calls: Arc::default(),
    };
    let node = serve(follower.clone()).await;
    let mut net = PeerNetwork {
        cluster_id: "c".into(),
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

fn answered(r: AppendEntriesResponse<NodeId>) -> u64 {
    match r {
        AppendEntriesResponse::PartialSuccess(Some(l)) => l.index,
        other => panic!("unexpected reply {other:?}"),
    }
}

#[tokio::test]
async fn every_reply_answers_its_own_request() {
    let (follower, mut conn) = connect(true).await;
    let ttl = RPCOption::new(Duration::from_secs(5));
    tokio::time::timeout(Duration::from_secs(10), async {
        assert_eq!(
            answered(conn.append_entries(request(7), ttl.clone()).await.unwrap()),
            7
        );
        // openraft abandons a call by dropping it: its reply (due later) must not be taken
        // for the next request's.
        let abandoned = tokio::time::timeout(
            Duration::from_millis(100),
            conn.append_entries(request(1), ttl.clone()),
        );
        assert!(
            abandoned.await.is_err(),
            "the slow request was answered early"
        );
        assert_eq!(
            answered(conn.append_entries(request(8), ttl.clone()).await.unwrap()),
            8
        );
        // The call's own deadline: an error, then the next call is answered correctly.
        let short = RPCOption::new(Duration::from_millis(100));
        assert!(conn.append_entries(request(1), short).await.is_err());
        assert_eq!(
            answered(conn.append_entries(request(9), ttl.clone()).await.unwrap()),
            9
        );
    })
    .await
    .expect("the calls finished in time");
    assert_eq!(
        follower.unary_calls.load(Ordering::SeqCst),
        0,
        "all went by the stream"
    );
}

#[tokio::test]
async fn a_peer_without_the_stream_gets_unary_calls() {
    let (follower, mut conn) = connect(false).await;
    let ttl = RPCOption::new(Duration::from_secs(5));
    tokio::time::timeout(Duration::from_secs(10), async {
        for prev in [3, 4] {
            assert_eq!(
                answered(
                    conn.append_entries(request(prev), ttl.clone())
                        .await
                        .unwrap()
                ),
                prev
            );
        }
    })
    .await
    .expect("the calls finished in time");
    assert_eq!(follower.unary_calls.load(Ordering::SeqCst), 2);
}
