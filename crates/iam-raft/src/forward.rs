//! The forwarding protocol: the calls a follower sends the leader over the peer port and
//! their replies ([`ForwardRequest`], [`LeaderReply`]), and one bounded call to a peer
//! ([`call_peer`]). The node (`crate::node`), the forwarder and the peer service speak it;
//! it knows none of them.

use crate::error::RaftNodeError;
use crate::network::{PeerClient, PeerRpc};
use crate::types::{IamNode, NodeId};
use iam_state::{Request, Response};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Calls a follower sends to the leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum ForwardRequest {
    Propose(#[serde(with = "iam_state::codec::cbor")] Request),
    AddNode {
        id: NodeId,
        node: IamNode,
        voter: bool,
    },
    RemoveNode {
        id: NodeId,
    },
}

pub(crate) type ForwardResult = Result<LeaderReply, RaftNodeError>;

/// Forward replies: the commit index and, for proposals, the response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LeaderReply {
    pub(crate) index: u64,
    #[serde(with = "iam_state::codec::cbor")]
    pub(crate) response: Option<Response>,
}

/// One call to the peer at `addr`, bounded by `deadline` (at least 50 ms): its
/// decoded reply, or `Unreachable` when none came (the outcome is then unknown).
pub(crate) async fn call_peer<Req: Serialize + ?Sized, Resp: serde::de::DeserializeOwned>(
    peer: &PeerClient,
    addr: &str,
    rpc: PeerRpc,
    req: &Req,
    deadline: Instant,
) -> Result<Resp, RaftNodeError> {
    let data = crate::format::encode(&format!("a {rpc:?} call"), req)
        .map_err(|e| RaftNodeError::Fatal(e.to_string()))?;
    let timeout = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(50));
    let bytes = peer
        .call(rpc, data, Some(timeout))
        .await
        .map_err(|s| RaftNodeError::Unreachable(format!("{addr}: {}", s.message())))?;
    crate::format::decode(&format!("a {rpc:?} reply"), &bytes)
        .map_err(|e| RaftNodeError::Fatal(format!("{addr}: undecodable {rpc:?} reply: {e}")))
}
