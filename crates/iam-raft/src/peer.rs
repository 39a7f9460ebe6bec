//! The server side of the peer port: openraft's RPCs, forwarded writes and membership
//! changes, the leader's read index, and the cluster id. Requests without this cluster's id
//! in the `x-iamd-cluster` header are refused.

use crate::node::{ForwardRequest, RaftNode};
use crate::CLUSTER_HEADER;
use iam_proto::raft::raft_peer_server::{RaftPeer, RaftPeerServer};
use iam_proto::raft::{
    ClusterIdReply, ClusterIdRequest, Payload, ReadIndexReply, ReadIndexRequest,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tonic::{Request, Response, Status, Streaming};

/// Counts of peer RPCs served, by kind (exported as metrics).
#[derive(Debug, Default)]
pub struct PeerCounters {
    pub append_entries: AtomicU64,
    pub vote: AtomicU64,
    pub install_snapshot: AtomicU64,
    pub forward: AtomicU64,
    /// Writes carried by `ForwardWrites` calls (each call counts once in `forward`).
    pub forwarded_writes: AtomicU64,
    pub read_index: AtomicU64,
}

pub struct PeerService {
    node: Arc<RaftNode>,
    counters: Arc<PeerCounters>,
}

impl PeerService {
    pub fn new(node: Arc<RaftNode>, counters: Arc<PeerCounters>) -> RaftPeerServer<Self> {
        RaftPeerServer::new(Self { node, counters })
            .max_decoding_message_size(crate::network::PEER_MESSAGE_BYTES_MAX)
            .max_encoding_message_size(crate::network::PEER_MESSAGE_BYTES_MAX)
    }

    fn check_cluster<T>(&self, req: &Request<T>) -> Result<(), Status> {
        let ours = &self.node.config.cluster_id;
        match req
            .metadata()
            .get(CLUSTER_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            Some(theirs) if theirs == ours => Ok(()),
            Some(theirs) => Err(Status::permission_denied(format!(
                "peer belongs to cluster {theirs:?} but this node belongs to cluster {ours:?}"
            ))),
            None => Err(Status::permission_denied(format!(
                "missing {CLUSTER_HEADER} header"
            ))),
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(p: &Payload) -> Result<T, Status> {
    bincode::deserialize(&p.data)
        .map_err(|e| Status::invalid_argument(format!("undecodable peer payload: {e}")))
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Response<Payload>, Status> {
    bincode::serialize(v)
        .map(|data| Response::new(Payload { data }))
        .map_err(|e| Status::internal(format!("cannot encode reply: {e}")))
}

#[tonic::async_trait]
impl RaftPeer for PeerService {
    async fn append_entries(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters.append_entries.fetch_add(1, Ordering::Relaxed);
        let r = self
            .node
            .raft()
            .append_entries(decode(req.get_ref())?)
            .await;
        encode(&r)
    }

    type AppendStreamStream =
        std::pin::Pin<Box<dyn futures::Stream<Item = Result<Payload, Status>> + Send>>;

    /// Serves one replication session's AppendEntries in order, one reply per request; ends
    /// when the leader closes the stream (or after the first undecodable message).
    async fn append_stream(
        &self,
        req: Request<Streaming<Payload>>,
    ) -> Result<Response<Self::AppendStreamStream>, Status> {
        self.check_cluster(&req)?;
        let (node, counters) = (self.node.clone(), self.counters.clone());
        let replies = futures::stream::unfold(Some(req.into_inner()), move |inbound| {
            let (node, counters) = (node.clone(), counters.clone());
            async move {
                let mut inbound = inbound?;
                let msg = match inbound.message().await {
                    Ok(Some(msg)) => msg,
                    Ok(None) | Err(_) => return None,
                };
                counters.append_entries.fetch_add(1, Ordering::Relaxed);
                let reply = match decode(&msg) {
                    Ok(ae) => {
                        encode(&node.raft().append_entries(ae).await).map(Response::into_inner)
                    }
                    Err(e) => return Some((Err(e), None)),
                };
                Some((reply, Some(inbound)))
            }
        });
        Ok(Response::new(Box::pin(replies)))
    }

    async fn vote(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters.vote.fetch_add(1, Ordering::Relaxed);
        let r = self.node.raft().vote(decode(req.get_ref())?).await;
        encode(&r)
    }

    async fn install_snapshot(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters
            .install_snapshot
            .fetch_add(1, Ordering::Relaxed);
        let r = self
            .node
            .raft()
            .install_snapshot(decode(req.get_ref())?)
            .await;
        encode(&r)
    }

    async fn forward(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters.forward.fetch_add(1, Ordering::Relaxed);
        let call: ForwardRequest = decode(req.get_ref())?;
        let r = self.node.handle_forward(call).await;
        encode(&r)
    }

    async fn forward_writes(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        let writes: Vec<iam_state::Request> = decode(req.get_ref())?;
        self.counters.forward.fetch_add(1, Ordering::Relaxed);
        self.counters
            .forwarded_writes
            .fetch_add(writes.len() as u64, Ordering::Relaxed);
        let r = self.node.handle_forward_writes(writes).await;
        encode(&r)
    }

    async fn read_index(
        &self,
        req: Request<ReadIndexRequest>,
    ) -> Result<Response<ReadIndexReply>, Status> {
        self.check_cluster(&req)?;
        self.counters.read_index.fetch_add(1, Ordering::Relaxed);
        match self.node.local_read_index().await {
            Ok(index) => Ok(Response::new(ReadIndexReply { index })),
            Err(e) => Err(Status::unavailable(e.to_string())),
        }
    }

    async fn cluster_id(
        &self,
        _req: Request<ClusterIdRequest>,
    ) -> Result<Response<ClusterIdReply>, Status> {
        Ok(Response::new(ClusterIdReply {
            cluster_id: self.node.config.cluster_id.clone(),
        }))
    }
}
