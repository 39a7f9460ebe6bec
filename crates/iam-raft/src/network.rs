//! The client side of the peer network: openraft's `RaftNetwork` over tonic, plus the
//! application peer calls (forward a write, ask for the read index, ask for the cluster id).

use crate::types::{IamNode, NodeId, TypeConfig};
use crate::CLUSTER_HEADER;
use iam_proto::raft::raft_peer_client::RaftPeerClient;
use iam_proto::raft::{ClusterIdRequest, Payload, ReadIndexRequest};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Timeout, Unreachable,
};
use openraft::network::{RPCOption, RPCTypes, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// Connection timeout for peer channels.
pub const PEER_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Largest peer message (snapshots travel in chunks below this).
pub const PEER_MESSAGE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// A lazily connecting client to one peer.
#[derive(Clone)]
pub struct PeerClient {
    client: RaftPeerClient<Channel>,
    cluster_id: String,
}

impl PeerClient {
    pub fn new(addr: &str, cluster_id: &str) -> Result<Self, String> {
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| format!("bad peer address {addr:?}: {e}"))?
            .connect_timeout(PEER_CONNECT_TIMEOUT)
            .tcp_nodelay(true);
        let client = RaftPeerClient::new(endpoint.connect_lazy())
            .max_decoding_message_size(PEER_MESSAGE_BYTES_MAX)
            .max_encoding_message_size(PEER_MESSAGE_BYTES_MAX);
        Ok(Self {
            client,
            cluster_id: cluster_id.to_owned(),
        })
    }

    fn request<T>(&self, msg: T, timeout: Option<Duration>) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        if let Ok(v) = self.cluster_id.parse() {
            req.metadata_mut().insert(CLUSTER_HEADER, v);
        }
        if let Some(t) = timeout {
            req.set_timeout(t);
        }
        req
    }

    /// Sends a bincode payload to one of the raw-bytes RPCs.
    pub async fn call(
        &self,
        rpc: PeerRpc,
        data: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, tonic::Status> {
        let mut c = self.client.clone();
        let req = self.request(Payload { data }, timeout);
        let resp = match rpc {
            PeerRpc::AppendEntries => c.append_entries(req).await?,
            PeerRpc::Vote => c.vote(req).await?,
            PeerRpc::InstallSnapshot => c.install_snapshot(req).await?,
            PeerRpc::Forward => c.forward(req).await?,
            PeerRpc::ForwardWrites => c.forward_writes(req).await?,
        };
        Ok(resp.into_inner().data)
    }

    /// Opens an AppendEntries stream (`AppendStream` in raft.proto): requests sent on the
    /// returned sender are answered in order on the returned stream. No deadline: the stream
    /// lives as long as the replication session; each call bounds its own wait.
    pub async fn open_append_stream(
        &self,
    ) -> Result<
        (
            tokio::sync::mpsc::Sender<Payload>,
            tonic::Streaming<Payload>,
        ),
        tonic::Status,
    > {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let outbound =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) });
        let mut c = self.client.clone();
        let replies = c.append_stream(self.request(outbound, None)).await?;
        Ok((tx, replies.into_inner()))
    }

    /// The leader's read index (the leader confirms its leadership first).
    pub async fn read_index(&self, timeout: Duration) -> Result<u64, tonic::Status> {
        let mut c = self.client.clone();
        Ok(
            c.read_index(self.request(ReadIndexRequest {}, Some(timeout)))
                .await?
                .into_inner()
                .index,
        )
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
    InstallSnapshot,
    Forward,
    ForwardWrites,
}

/// Builds a [`PeerConnection`] per target node.
#[derive(Clone)]
pub struct PeerNetwork {
    pub cluster_id: String,
}

impl RaftNetworkFactory<TypeConfig> for PeerNetwork {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: NodeId, node: &IamNode) -> Self::Network {
        PeerConnection {
            target,
            client: PeerClient::new(&node.peer, &self.cluster_id),
            stream: None,
            unary: false,
        }
    }
}

pub struct PeerConnection {
    target: NodeId,
    client: Result<PeerClient, String>,
    /// This session's AppendEntries stream, once opened; dropped after any error.
    stream: Option<AppendStream>,
    /// The peer has no `AppendStream` (an older iamd): AppendEntries go as unary calls.
    unary: bool,
}

/// An open `AppendStream` call: requests go in through `tx`, replies come back on `rx`.
struct AppendStream {
    tx: tokio::sync::mpsc::Sender<Payload>,
    rx: tonic::Streaming<Payload>,
    /// A request was sent and its reply not yet read.
    busy: bool,
}

type RpcErr<E = openraft::error::Infallible> = RPCError<NodeId, IamNode, RaftError<NodeId, E>>;

impl PeerConnection {
    fn rpc_error<E: std::error::Error>(&self, rpc: PeerRpc, status: &tonic::Status) -> RpcErr<E> {
        let err = std::io::Error::other(format!("{rpc:?} to node {}: {status}", self.target));
        match status.code() {
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => {
                RPCError::Unreachable(Unreachable::new(&err))
            }
            _ => RPCError::Network(NetworkError::new(&err)),
        }
    }

    #[allow(clippy::result_large_err)] // openraft's RPC error, as `RaftNetwork` returns it
    fn decode_reply<Resp, E>(&self, bytes: &[u8]) -> Result<Resp, RpcErr<E>>
    where
        Resp: serde::de::DeserializeOwned,
        E: std::error::Error + serde::de::DeserializeOwned,
    {
        let result: Result<Resp, RaftError<NodeId, E>> =
            bincode::deserialize(bytes).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    #[allow(clippy::result_large_err)] // openraft's RPC error, as `RaftNetwork` returns it
    fn client<E: std::error::Error>(&self) -> Result<&PeerClient, RpcErr<E>> {
        self.client
            .as_ref()
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&std::io::Error::other(e.clone()))))
    }

    async fn send<Req, Resp, E>(
        &self,
        rpc: PeerRpc,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RpcErr<E>>
    where
        Req: serde::Serialize,
        Resp: serde::de::DeserializeOwned,
        E: std::error::Error + serde::de::DeserializeOwned,
    {
        let client = self.client()?;
        let data = bincode::serialize(req).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let bytes = client
            .call(rpc, data, Some(option.hard_ttl()))
            .await
            .map_err(|status| self.rpc_error(rpc, &status))?;
        self.decode_reply(&bytes)
    }

    /// One request and its reply over this session's AppendEntries stream, opened on first
    /// use. A call that was abandoned (openraft times a call out by dropping it) leaves its
    /// reply unread, so a stream found busy is replaced rather than reused: a reply is never
    /// taken for a later request's.
    async fn stream_call(&mut self, data: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
        if self.stream.as_ref().is_some_and(|s| s.busy) {
            self.stream = None;
        }
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let client = self
                    .client
                    .as_ref()
                    .map_err(|e| tonic::Status::unavailable(e.clone()))?;
                let (tx, rx) = client.open_append_stream().await?;
                self.stream.insert(AppendStream {
                    tx,
                    rx,
                    busy: false,
                })
            }
        };
        stream.busy = true;
        stream
            .tx
            .send(Payload { data })
            .await
            .map_err(|_| tonic::Status::unavailable("the append stream closed"))?;
        let reply = stream
            .rx
            .message()
            .await?
            .ok_or_else(|| tonic::Status::unavailable("the append stream ended"))?;
        stream.busy = false;
        Ok(reply.data)
    }
}

impl RaftNetwork<TypeConfig> for PeerConnection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcErr> {
        if self.unary {
            return self.send(PeerRpc::AppendEntries, &rpc, &option).await;
        }
        let data =
            bincode::serialize(&rpc).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        match tokio::time::timeout(option.hard_ttl(), self.stream_call(data)).await {
            Ok(Ok(bytes)) => self.decode_reply(&bytes),
            Ok(Err(status)) => {
                self.stream = None;
                if status.code() == tonic::Code::Unimplemented {
                    self.unary = true;
                    return self.send(PeerRpc::AppendEntries, &rpc, &option).await;
                }
                Err(self.rpc_error(PeerRpc::AppendEntries, &status))
            }
            Err(_) => {
                self.stream = None;
                // A timeout, as openraft's own timer would report it: the next call goes out
                // at once. (`Unreachable` would hold replication to this node back ~500 ms.)
                Err(RPCError::Timeout(Timeout {
                    action: RPCTypes::AppendEntries,
                    id: rpc.vote.leader_id().voted_for().unwrap_or_default(),
                    target: self.target,
                    timeout: option.hard_ttl(),
                }))
            }
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RpcErr<InstallSnapshotError>> {
        self.send(PeerRpc::InstallSnapshot, &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RpcErr> {
        self.send(PeerRpc::Vote, &rpc, &option).await
    }
}
