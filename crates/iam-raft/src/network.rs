//! The client side of the peer network: openraft's `RaftNetworkV2` over tonic, plus the
//! application peer calls (forward a write, ask for the read index, ask for the cluster id).

use crate::coalesce::{expand_replies, hold_commits, Ledger, COMMIT_HOLD};
use crate::types::{IamNode, NodeId, Snapshot, SnapshotData, TypeConfig, Vote};
use crate::CLUSTER_HEADER;
use futures::{Stream, StreamExt};
use iam_proto::raft::raft_peer_client::RaftPeerClient;
use iam_proto::raft::{ClusterIdRequest, Payload, ReadIndexRequest};
use iam_tls::Connector;
use openraft::base::{BoxFuture, BoxStream};
use openraft::error::{
    NetworkError, RPCError, RaftError, ReplicationClosed, StreamingError, Timeout, Unreachable,
};
use openraft::network::{stream_append_sequential, RPCOption, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, StreamAppendResult, VoteRequest,
    VoteResponse,
};
use openraft::{OptionalSend, RPCTypes, RaftNetworkV2};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// Connection timeout for peer channels.
pub const PEER_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Largest peer message. Snapshots travel in [`SNAPSHOT_CHUNK_BYTES`] chunks.
pub const PEER_MESSAGE_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Size of one snapshot chunk on the `InstallSnapshot` stream.
pub const SNAPSHOT_CHUNK_BYTES: usize = 1024 * 1024;
/// HTTP/2 keepalive on peer connections: a peer that stops answering pings (a paused
/// process, a vanished host) has its connection, and every stream on it, closed after
/// [`PEER_KEEPALIVE`] plus [`PEER_KEEPALIVE_TIMEOUT`], so replication to it starts over
/// rather than waiting on a dead stream.
pub const PEER_KEEPALIVE: Duration = Duration::from_secs(1);
pub const PEER_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(3);

/// A lazily connecting client to one peer.
#[derive(Clone)]
pub struct PeerClient {
    client: RaftPeerClient<Channel>,
    cluster_id: String,
    /// The node id the caller means to reach (Raft's own RPCs), sent as
    /// [`crate::NODE_HEADER`]: a process now serving that address under another id (a
    /// replacement) refuses, instead of answering for a node whose log it does not have.
    target: Option<NodeId>,
}

impl PeerClient {
    /// A client of the peer at `addr` (`host:port`) that dials through `connector` (mutual
    /// TLS in iamd: see `iam-tls`).
    pub fn new(addr: &str, cluster_id: &str, connector: &Connector) -> Result<Self, String> {
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| format!("bad peer address {addr:?}: {e}"))?
            .connect_timeout(PEER_CONNECT_TIMEOUT)
            .http2_keep_alive_interval(PEER_KEEPALIVE)
            .keep_alive_timeout(PEER_KEEPALIVE_TIMEOUT)
            .keep_alive_while_idle(true)
            .tcp_nodelay(true);
        let client = RaftPeerClient::new(endpoint.connect_with_connector_lazy(connector.clone()))
            .max_decoding_message_size(PEER_MESSAGE_BYTES_MAX)
            .max_encoding_message_size(PEER_MESSAGE_BYTES_MAX);
        Ok(Self {
            client,
            cluster_id: cluster_id.to_owned(),
            target: None,
        })
    }

    /// The same client, addressed to node `id` only (its RPCs carry the id: see
    /// [`crate::NODE_HEADER`]).
    pub fn for_node(mut self, id: NodeId) -> Self {
        self.target = Some(id);
        self
    }

    fn request<T>(&self, msg: T, timeout: Option<Duration>) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        if let Ok(v) = self.cluster_id.parse() {
            req.metadata_mut().insert(CLUSTER_HEADER, v);
        }
        if let Some(id) = self.target {
            if let Ok(v) = id.to_string().parse() {
                req.metadata_mut().insert(crate::NODE_HEADER, v);
            }
        }
        if let Some(t) = timeout {
            req.set_timeout(t);
        }
        req
    }

    /// Sends a versioned payload (`crate::format`) to one of the raw-bytes RPCs.
    pub async fn call(
        &self,
        rpc: PeerRpc,
        data: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, tonic::Status> {
        let mut c = self.client.clone();
        let req = self.request(Payload { data }, timeout);
        let started = std::time::Instant::now();
        let resp = match rpc {
            PeerRpc::AppendEntries => c.append_entries(req).await?,
            PeerRpc::Vote => c.vote(req).await?,
            PeerRpc::PreVote => c.pre_vote(req).await?,
            PeerRpc::Forward => c.forward(req).await?,
            PeerRpc::ForwardWrites => c.forward_writes(req).await?,
        };
        if matches!(
            rpc,
            PeerRpc::AppendEntries | PeerRpc::Vote | PeerRpc::PreVote
        ) {
            crate::metrics::PEER_ROUND_TRIP_SECONDS.observe(started.elapsed());
        }
        Ok(resp.into_inner().data)
    }

    /// Opens an AppendEntries stream (`AppendStream` in raft.proto): every payload of
    /// `outbound` is answered, in order, on the returned stream; requests do not wait for
    /// earlier replies. No deadline: the stream lives as long as the replication session.
    pub async fn open_append_stream(
        &self,
        outbound: impl Stream<Item = Payload> + Send + 'static,
    ) -> Result<tonic::Streaming<Payload>, tonic::Status> {
        let mut c = self.client.clone();
        Ok(c.append_stream(self.request(outbound, None))
            .await?
            .into_inner())
    }

    /// Sends a snapshot as a stream of payloads (`InstallSnapshot` in raft.proto) and returns
    /// the reply.
    pub async fn send_snapshot(
        &self,
        parts: impl Stream<Item = Payload> + Send + 'static,
        timeout: Duration,
    ) -> Result<Vec<u8>, tonic::Status> {
        let mut c = self.client.clone();
        let reply = c
            .install_snapshot(self.request(parts, Some(timeout)))
            .await?;
        Ok(reply.into_inner().data)
    }

    /// The leader's read index (the leader confirms its leadership first).
    pub async fn read_index(&self, timeout: Duration) -> Result<u64, tonic::Status> {
        let mut c = self.client.clone();
        let started = std::time::Instant::now();
        let index = c
            .read_index(self.request(ReadIndexRequest {}, Some(timeout)))
            .await?
            .into_inner()
            .index;
        crate::metrics::READ_INDEX_SECONDS.observe(started.elapsed());
        Ok(index)
    }

    /// The peer's wall clock (ms), telling it the leader's table of clock offsets.
    pub async fn clock(
        &self,
        offsets_ms: std::collections::HashMap<NodeId, i64>,
        timeout: Duration,
    ) -> Result<u64, tonic::Status> {
        let mut c = self.client.clone();
        let req = iam_proto::raft::ClockRequest { offsets_ms };
        Ok(c.clock(self.request(req, Some(timeout)))
            .await?
            .into_inner()
            .wall_ms)
    }

    /// The release of the peer's build (see `NodeConfig::release`).
    pub async fn release(&self, timeout: Duration) -> Result<u32, tonic::Status> {
        let mut c = self.client.clone();
        let req = iam_proto::raft::ReleaseRequest {};
        Ok(c.release(self.request(req, Some(timeout)))
            .await?
            .into_inner()
            .release)
    }

    /// The cluster id the peer belongs to (asked by a node that joins).
    pub async fn cluster_id(&self, timeout: Duration) -> Result<String, tonic::Status> {
        let mut c = self.client.clone();
        Ok(
            c.cluster_id(self.request(ClusterIdRequest {}, Some(timeout)))
                .await?
                .into_inner()
                .cluster_id,
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub enum PeerRpc {
    AppendEntries,
    Vote,
    PreVote,
    Forward,
    ForwardWrites,
}

/// The first message of an `InstallSnapshot` stream: the leader's vote, the snapshot's meta
/// and its size in bytes (a `crate::format` record); the bytes follow in chunks.
pub type SnapshotHeader = (Vote, crate::types::SnapshotMeta, u64);

/// The reply to an `InstallSnapshot` stream (a `crate::format` record).
pub type SnapshotReply = Result<SnapshotResponse<TypeConfig>, String>;

/// Builds a [`PeerConnection`] per target node.
#[derive(Clone)]
pub struct PeerNetwork {
    pub cluster_id: String,
    /// This node's id (named in timeout errors).
    pub node_id: NodeId,
    /// How connections to peers are made (mutual TLS in iamd).
    pub connector: Connector,
}

impl RaftNetworkFactory<TypeConfig> for PeerNetwork {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: NodeId, node: &IamNode) -> Self::Network {
        PeerConnection {
            id: self.node_id,
            target,
            client: PeerClient::new(&node.peer, &self.cluster_id, &self.connector)
                .map(|c| c.for_node(target)),
            unary: false,
        }
    }
}

pub struct PeerConnection {
    id: NodeId,
    target: NodeId,
    client: Result<PeerClient, String>,
    /// The peer has no `AppendStream` (an older iamd): AppendEntries go as unary calls,
    /// one at a time.
    unary: bool,
}

type RpcErr = RPCError<TypeConfig>;

fn network_error(e: impl std::fmt::Display) -> NetworkError<TypeConfig> {
    NetworkError::new(&std::io::Error::other(e.to_string()))
}

impl PeerConnection {
    fn status_error(&self, what: &str, status: &tonic::Status) -> RpcErr {
        let err = std::io::Error::other(format!("{what} to node {}: {status}", self.target));
        match status.code() {
            tonic::Code::Unavailable | tonic::Code::Cancelled => {
                RPCError::Unreachable(Unreachable::new(&err))
            }
            _ => RPCError::Network(NetworkError::new(&err)),
        }
    }

    fn client(&self) -> Result<&PeerClient, RpcErr> {
        self.client
            .as_ref()
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&std::io::Error::other(e.clone()))))
    }

    /// One unary call bounded by `option`'s deadline; a remote Raft error (the peer's Raft
    /// stopped) counts as the peer being unreachable. `if_unimplemented` answers for a peer
    /// that lacks the RPC (else that is an error).
    async fn send<Req, Resp>(
        &self,
        rpc: PeerRpc,
        action: RPCTypes,
        req: &Req,
        option: &RPCOption,
        if_unimplemented: Option<Resp>,
    ) -> Result<Resp, RpcErr>
    where
        Req: serde::Serialize,
        Resp: serde::de::DeserializeOwned,
    {
        let client = self.client()?;
        let data = crate::format::encode("a peer request", req).map_err(network_error)?;
        let bytes = match client.call(rpc, data, Some(option.hard_ttl())).await {
            Ok(b) => b,
            Err(status) if status.code() == tonic::Code::DeadlineExceeded => {
                // As openraft's own timer would report it: the next call goes out at once
                // (`Unreachable` would hold this peer back).
                return Err(RPCError::Timeout(Timeout {
                    action,
                    id: self.id,
                    target: self.target,
                    timeout: option.hard_ttl(),
                }));
            }
            Err(status) => {
                return match if_unimplemented {
                    Some(answer) if status.code() == tonic::Code::Unimplemented => Ok(answer),
                    _ => Err(self.status_error(&format!("{rpc:?}"), &status)),
                }
            }
        };
        let result: Result<Resp, RaftError<TypeConfig>> =
            crate::format::decode("a peer reply", &bytes)
                .map_err(|e| RPCError::Network(network_error(e)))?;
        result.map_err(|e| {
            RPCError::Unreachable(Unreachable::new(&std::io::Error::other(format!(
                "node {}: {e}",
                self.target
            ))))
        })
    }
}

/// Encodes requests for the wire until one cannot be encoded (then the stream ends, and the
/// session with it; openraft starts a new one).
fn encode_requests<S>(input: S, target: NodeId) -> impl Stream<Item = Payload> + Send + 'static
where
    S: Stream<Item = AppendEntriesRequest<TypeConfig>> + Send + Unpin + 'static,
{
    input
        .map(move |req| match crate::format::encode("AppendEntries", &req) {
            Ok(data) => Some(Payload { data }),
            Err(e) => {
                tracing::error!(target_node = target, error = %e, "cannot encode AppendEntries");
                None
            }
        })
        .take_while(|p| std::future::ready(p.is_some()))
        .filter_map(std::future::ready)
}

impl RaftNetworkV2<TypeConfig> for PeerConnection {
    type SnapshotData = SnapshotData;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RpcErr> {
        self.send(
            PeerRpc::AppendEntries,
            RPCTypes::AppendEntries,
            &rpc,
            &option,
            None,
        )
        .await
    }

    /// One replication session on one `AppendStream` call: openraft's requests go out as it
    /// makes them (pipelined), replies come back in order. A peer without the stream RPC
    /// gets unary calls, one at a time.
    fn stream_append<'s, S>(
        &'s mut self,
        input: S,
        option: RPCOption,
    ) -> BoxFuture<'s, Result<BoxStream<'s, Result<StreamAppendResult<TypeConfig>, RpcErr>>, RpcErr>>
    where
        S: Stream<Item = AppendEntriesRequest<TypeConfig>> + OptionalSend + Unpin + 'static,
    {
        if self.unary {
            return stream_append_sequential(self, input, option);
        }
        Box::pin(async move {
            let client = self.client()?.clone();
            // The request stream is consumed by the call, so the first request is taken here:
            // if the peer turns out to lack the stream RPC, it is sent again by unary call.
            let (first, rest) = {
                let mut input = input;
                let first = input.next().await;
                (first, input)
            };
            let Some(first) = first else {
                return Ok(Box::pin(futures::stream::empty()) as BoxStream<'s, _>);
            };
            let head = futures::stream::iter([first.clone()]);
            // Commit-only requests wait briefly for a later request to carry them
            // (crate::coalesce); the ledger lets the replies be matched up again.
            let ledger = Arc::new(Ledger::default());
            let held = hold_commits(head.chain(rest), ledger.clone(), COMMIT_HOLD);
            let outbound = encode_requests(Box::pin(held), self.target);
            let setup = tokio::time::timeout(
                option.hard_ttl().max(PEER_CONNECT_TIMEOUT),
                client.open_append_stream(outbound),
            )
            .await;
            let replies = match setup {
                Ok(Ok(replies)) => replies,
                Ok(Err(status)) if status.code() == tonic::Code::Unimplemented => {
                    self.unary = true;
                    let reply = self.append_entries(first.clone(), option).await?;
                    let prev = first.prev_log_id;
                    let last = first.entries.last().map(|e| e.log_id).or(prev);
                    let one = reply.into_stream_result(prev, last);
                    return Ok(Box::pin(futures::stream::iter([Ok(one)])) as BoxStream<'s, _>);
                }
                Ok(Err(status)) => return Err(self.status_error("AppendStream", &status)),
                Err(_) => {
                    return Err(RPCError::Timeout(Timeout {
                        action: RPCTypes::AppendEntries,
                        id: self.id,
                        target: self.target,
                        timeout: option.hard_ttl(),
                    }))
                }
            };
            let target = self.target;
            let replies = replies.map(move |reply| {
                let reply = reply.map_err(|status| {
                    let err =
                        std::io::Error::other(format!("AppendStream to node {target}: {status}"));
                    RPCError::Unreachable(Unreachable::new(&err))
                })?;
                crate::format::decode::<StreamAppendResult<TypeConfig>>(
                    "an AppendStream reply",
                    &reply.data,
                )
                .map_err(|e| RPCError::Network(network_error(e)))
            });
            Ok(Box::pin(expand_replies(replies, ledger)) as BoxStream<'s, _>)
        })
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RpcErr> {
        self.send(PeerRpc::Vote, RPCTypes::Vote, &rpc, &option, None)
            .await
    }

    /// Asks whether the peer would vote for this node (openraft's Pre-Vote). A peer without
    /// the RPC (an older iamd) counts as granting, as openraft's default does, so a cluster in
    /// the middle of an upgrade still elects; an unreachable peer does not.
    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RpcErr> {
        let granted = VoteResponse::new(rpc.vote, None, true);
        self.send(
            PeerRpc::PreVote,
            RPCTypes::Vote,
            &rpc,
            &option,
            Some(granted),
        )
        .await
    }

    /// Streams the snapshot to the peer: a [`SnapshotHeader`], then the bytes in chunks.
    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let client = self.client().map_err(|e| match e {
            RPCError::Unreachable(u) => StreamingError::Unreachable(u),
            other => StreamingError::Network(network_error(other)),
        })?;
        let data = snapshot.snapshot;
        let header: SnapshotHeader = (vote, snapshot.meta, data.len() as u64);
        let header = Payload {
            data: crate::format::encode("a snapshot header", &header).map_err(network_error)?,
        };
        // Each chunk is copied out as the stream is sent, not all of them up front.
        let chunks =
            futures::stream::iter(0..data.len().div_ceil(SNAPSHOT_CHUNK_BYTES)).map(move |i| {
                let end = ((i + 1) * SNAPSHOT_CHUNK_BYTES).min(data.len());
                Payload {
                    data: data[i * SNAPSHOT_CHUNK_BYTES..end].to_vec(),
                }
            });
        let parts = futures::stream::iter([header]).chain(chunks);
        let send = client.send_snapshot(parts, option.hard_ttl());
        let bytes = tokio::select! {
            closed = cancel => return Err(StreamingError::Closed(closed)),
            r = send => r.map_err(|status| {
                StreamingError::Unreachable(Unreachable::new(&std::io::Error::other(format!(
                    "InstallSnapshot to node {}: {status}", self.target
                ))))
            })?,
        };
        let reply: SnapshotReply =
            crate::format::decode("an InstallSnapshot reply", &bytes).map_err(network_error)?;
        reply.map_err(|e| {
            StreamingError::Unreachable(Unreachable::new(&std::io::Error::other(format!(
                "node {} could not install the snapshot: {e}",
                self.target
            ))))
        })
    }
}
