//! The server side of the peer port: openraft's RPCs, forwarded writes and membership
//! changes, the leader's read index, and the cluster id. The port is served over mutual TLS
//! (only members connect: see `iam-tls`); requests without this cluster's id in the
//! `x-iamd-cluster` header are refused as well.

use crate::forward::ForwardRequest;
use crate::network::{SnapshotHeader, SnapshotReply};
use crate::node::RaftNode;
use crate::types::{Snapshot, StateMachine};
use crate::CLUSTER_HEADER;
use futures::StreamExt;
use iam_proto::raft::raft_peer_server::{RaftPeer, RaftPeerServer};
use iam_proto::raft::{
    ClockReply, ClockRequest, ClusterIdReply, ClusterIdRequest, Payload, ReadIndexReply,
    ReadIndexRequest, ReleaseReply, ReleaseRequest,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tonic::{Request, Response, Status, Streaming};

/// Counts of peer RPCs served, by kind (exported as metrics).
#[derive(Debug, Default)]
pub struct PeerCounters {
    pub append_entries: AtomicU64,
    pub vote: AtomicU64,
    /// Pre-Vote questions answered (a candidate asking before it stands).
    pub pre_vote: AtomicU64,
    pub install_snapshot: AtomicU64,
    pub forward: AtomicU64,
    /// Writes carried by `ForwardWrites` calls (each call counts once in `forward`).
    pub forwarded_writes: AtomicU64,
    pub read_index: AtomicU64,
}

pub struct PeerService<SM: StateMachine> {
    node: Arc<RaftNode<SM>>,
    counters: Arc<PeerCounters>,
}

impl<SM: StateMachine> PeerService<SM> {
    /// Refuses a Raft RPC meant for another node id: this process serves an address a
    /// replaced member had, and must not answer for that member's log.
    fn check_node<T>(&self, req: &Request<T>) -> Result<(), Status> {
        let me = self.node.id();
        match req
            .metadata()
            .get(crate::NODE_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            Some(wanted) if wanted != me.to_string() => Err(Status::failed_precondition(format!(
                "this is node {me}, not node {wanted}: that member was replaced at this address"
            ))),
            _ => Ok(()),
        }
    }

    pub fn new(node: Arc<RaftNode<SM>>, counters: Arc<PeerCounters>) -> RaftPeerServer<Self> {
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
            Some(theirs) if theirs == ours => self.check_node(req),
            Some(theirs) => Err(Status::permission_denied(format!(
                "peer belongs to cluster {theirs:?} but this node belongs to cluster {ours:?}"
            ))),
            None => Err(Status::permission_denied(format!(
                "missing {CLUSTER_HEADER} header"
            ))),
        }
    }
}

/// Most bytes reserved for an incoming snapshot before its chunks arrive (more is allocated
/// as they do).
const SNAPSHOT_RESERVE_MAX: usize = 64 << 20;
/// The largest snapshot a node accepts (snapshots are held in memory whole; see
/// ARCHITECTURE.md: 100k users are tens of MB).
pub const SNAPSHOT_BYTES_MAX: usize = 16 << 30;

/// Most bytes of a vote, pre-vote or snapshot header (a vote request is tens of bytes).
const SMALL_MESSAGE_BYTES_MAX: usize = 64 * 1024;
/// Most bytes of a forwarded write or batch of them: `MAX_BATCH` writes, each far below
/// this share (a policy document is at most a few KiB).
const FORWARD_BYTES_MAX: usize = 16 * 1024 * 1024;

/// [`decode`] for a message kind that is never large: a bigger one is refused before it is
/// decoded (decoding takes up to ~16 times a message's size in memory).
fn decode_small<T: serde::de::DeserializeOwned>(p: &Payload, max: usize) -> Result<T, Status> {
    if p.data.len() > max {
        return Err(Status::invalid_argument(format!(
            "a peer message of {} bytes is larger than this kind of message may be ({max})",
            p.data.len()
        )));
    }
    decode(p)
}

fn decode<T: serde::de::DeserializeOwned>(p: &Payload) -> Result<T, Status> {
    crate::format::decode("a peer message", &p.data).map_err(|e| match e {
        // This node cannot read the sender's format: the sender must wait for it (a
        // rolling upgrade in the wrong order, or an iamd from before formats).
        crate::format::FormatError::Newer { .. }
        | crate::format::FormatError::Unversioned { .. } => {
            Status::failed_precondition(e.to_string())
        }
        e => Status::invalid_argument(e.to_string()),
    })
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Response<Payload>, Status> {
    crate::format::encode("a peer reply", v)
        .map(|data| Response::new(Payload { data }))
        .map_err(|e| Status::internal(format!("cannot encode reply: {e}")))
}

#[tonic::async_trait]
impl<SM: StateMachine> RaftPeer for PeerService<SM> {
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

    /// Serves one replication session: the leader's AppendEntries go to openraft's pipelined
    /// `stream_append` as they arrive, and its results come back in order. The stream ends
    /// when the leader closes it, at the first undecodable message, or when this node's Raft
    /// stops.
    async fn append_stream(
        &self,
        req: Request<Streaming<Payload>>,
    ) -> Result<Response<Self::AppendStreamStream>, Status> {
        self.check_cluster(&req)?;
        let counters = self.counters.clone();
        let inbound = req
            .into_inner()
            .map(move |msg| {
                counters.append_entries.fetch_add(1, Ordering::Relaxed);
                // The leader going away ends the session; an undecodable message is worth a
                // warning (the leader will open a new session).
                let msg = msg.ok()?;
                decode(&msg)
                    .map_err(|e| tracing::warn!(error = %e.message(), "AppendStream ends"))
                    .ok()
            })
            .take_while(|r| std::future::ready(r.is_some()))
            .filter_map(std::future::ready);
        let results = self.node.raft().stream_append(inbound).map(|r| match r {
            Ok(result) => crate::format::encode("an AppendStream reply", &result)
                .map(|data| Payload { data })
                .map_err(|e| Status::internal(format!("cannot encode reply: {e}"))),
            Err(fatal) => Err(Status::unavailable(format!("raft stopped: {fatal}"))),
        });
        Ok(Response::new(Box::pin(results)))
    }

    async fn vote(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters.vote.fetch_add(1, Ordering::Relaxed);
        let r = self
            .node
            .raft()
            .vote(decode_small(req.get_ref(), SMALL_MESSAGE_BYTES_MAX)?)
            .await;
        encode(&r)
    }

    /// Answers a Pre-Vote: whether this node would vote for the candidate, changing nothing.
    async fn pre_vote(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters.pre_vote.fetch_add(1, Ordering::Relaxed);
        let r = self
            .node
            .raft()
            .pre_vote(decode_small(req.get_ref(), SMALL_MESSAGE_BYTES_MAX)?)
            .await;
        encode(&r)
    }

    /// Receives a snapshot (a [`SnapshotHeader`], then its bytes in chunks) and installs it.
    async fn install_snapshot(
        &self,
        req: Request<Streaming<Payload>>,
    ) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters
            .install_snapshot
            .fetch_add(1, Ordering::Relaxed);
        let mut parts = req.into_inner();
        let header = parts
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("empty snapshot stream"))?;
        let (vote, meta, size): SnapshotHeader = decode_small(&header, SMALL_MESSAGE_BYTES_MAX)?;
        // The announced size bounds what is buffered; room for it up front (bounded too).
        let announced = usize::try_from(size).unwrap_or(usize::MAX);
        if announced > SNAPSHOT_BYTES_MAX {
            return Err(Status::invalid_argument(format!(
                "a snapshot of {size} bytes is more than this node accepts ({SNAPSHOT_BYTES_MAX})"
            )));
        }
        let mut data = Vec::with_capacity(announced.min(SNAPSHOT_RESERVE_MAX));
        while let Some(chunk) = parts.message().await? {
            if data.len() + chunk.data.len() > announced {
                return Err(Status::invalid_argument(format!(
                    "the snapshot is longer than the {size} bytes its header announced"
                )));
            }
            data.extend_from_slice(&chunk.data);
        }
        let snapshot = Snapshot {
            meta,
            snapshot: data,
        };
        let reply: SnapshotReply = self
            .node
            .raft()
            .install_full_snapshot(vote, snapshot)
            .await
            .map_err(|e| e.to_string());
        encode(&reply)
    }

    async fn forward(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        self.counters.forward.fetch_add(1, Ordering::Relaxed);
        let call: ForwardRequest = decode_small(req.get_ref(), FORWARD_BYTES_MAX)?;
        let r = self.node.handle_forward(call).await;
        encode(&r)
    }

    async fn forward_writes(&self, req: Request<Payload>) -> Result<Response<Payload>, Status> {
        self.check_cluster(&req)?;
        let crate::types::Requests(writes) = decode_small(req.get_ref(), FORWARD_BYTES_MAX)?;
        let writes = writes.into_inner();
        if writes.len() > crate::forwarder::MAX_BATCH {
            return Err(Status::invalid_argument(format!(
                "{} forwarded writes in one call; a node sends at most {}",
                writes.len(),
                crate::forwarder::MAX_BATCH
            )));
        }
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

    async fn release(
        &self,
        req: Request<ReleaseRequest>,
    ) -> Result<Response<ReleaseReply>, Status> {
        self.check_cluster(&req)?;
        Ok(Response::new(ReleaseReply {
            release: self.node.config.release,
        }))
    }

    /// A leader measures this node's clock and tells it every member's offset (see
    /// `crate::clock::offsets`).
    async fn clock(&self, req: Request<ClockRequest>) -> Result<Response<ClockReply>, Status> {
        self.check_cluster(&req)?;
        let offsets = req.into_inner().offsets_ms;
        if offsets.len() > crate::clock::offsets::TABLE_ENTRIES_MAX {
            return Err(Status::invalid_argument(format!(
                "a clock table of {} entries is larger than any cluster ({} at most)",
                offsets.len(),
                crate::clock::offsets::TABLE_ENTRIES_MAX
            )));
        }
        let now = crate::clock::offsets::Anchor::now();
        self.node
            .clock()
            .receive(offsets.into_iter().collect(), now);
        Ok(Response::new(ClockReply {
            wall_ms: now.wall_ms,
        }))
    }
}
