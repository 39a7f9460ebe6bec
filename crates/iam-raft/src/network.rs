//! The client side of the peer network: openraft's `RaftNetwork` over tonic, plus the
//! application peer calls (forward a write, ask for the read index, ask for the cluster id).

use crate::types::{IamNode, NodeId, TypeConfig};
use crate::CLUSTER_HEADER;
use iam_proto::raft::raft_peer_client::RaftPeerClient;
use iam_proto::raft::{ClusterIdRequest, Payload, ReadIndexRequest};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
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
        }
    }
}

pub struct PeerConnection {
    target: NodeId,
    client: Result<PeerClient, String>,
}

type RpcErr<E = openraft::error::Infallible> = RPCError<NodeId, IamNode, RaftError<NodeId, E>>;

impl PeerConnection {
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
        let client = self.client.as_ref().map_err(|e| {
            RPCError::Unreachable(Unreachable::new(&std::io::Error::other(e.clone())))
        })?;
        let data = bincode::serialize(req).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let bytes = client
            .call(rpc, data, Some(option.hard_ttl()))
            .await
            .map_err(|status| {
                let err =
                    std::io::Error::other(format!("{rpc:?} to node {}: {status}", self.target));
                match status.code() {
                    tonic::Code::Unavailable
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::Cancelled => RPCError::Unreachable(Unreachable::new(&err)),
                    _ => RPCError::Network(NetworkError::new(&err)),
                }
            })?;
        let result: Result<Resp, RaftError<NodeId, E>> =
            bincode::deserialize(&bytes).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for PeerConnection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcErr> {
        self.send(PeerRpc::AppendEntries, &rpc, &option).await
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
