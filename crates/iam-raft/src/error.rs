//! Why a Raft operation failed ([`RaftNodeError`]), and openraft's write errors in those
//! terms. Below the node, the batcher and the forwarder: each of them names failures here.

use crate::types::{NodeId, TypeConfig};
use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
use serde::{Deserialize, Serialize};

/// Why a Raft operation failed. Serializable: it travels back over forwarded calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RaftNodeError {
    #[error(
        "no leader is known (the cluster may be electing one or may have lost its quorum); retry"
    )]
    NoLeader,
    #[error("the write did not complete within {0} ms; it may or may not have been applied (retry with the same request token)")]
    Timeout(u64),
    #[error("the leader changed while the write was in flight ({0}); it may or may not have been applied (retry with the same request token)")]
    LeaderChanged(String),
    #[error("this node has applied index {applied} but the read asked for at least {wanted}; retry, or read from another node")]
    Behind { applied: u64, wanted: u64 },
    #[error("node {id} is not a member of the cluster (members: {members})")]
    UnknownNode { id: NodeId, members: String },
    #[error("node {id} is already a member with address {existing}")]
    NodeExists { id: NodeId, existing: String },
    #[error("cannot reach the leader: {0}")]
    Unreachable(String),
    #[error("membership change refused: {0}")]
    Membership(String),
    #[error("another membership change is in progress ({0}); retry")]
    MembershipBusy(String),
    #[error("raft stopped: {0}")]
    Fatal(String),
}

impl RaftNodeError {
    /// Whether retrying cannot help (a refusal rather than a transient failure).
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    /// Whether the caller may simply retry (possibly on another node).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::NoLeader
                | Self::Timeout(_)
                | Self::LeaderChanged(_)
                | Self::Behind { .. }
                | Self::Unreachable(_)
                | Self::MembershipBusy(_)
        )
    }
}

pub(crate) fn write_error(e: RaftError<TypeConfig, ClientWriteError<TypeConfig>>) -> RaftNodeError {
    match e {
        RaftError::APIError(ClientWriteError::ForwardToLeader(_)) => RaftNodeError::NoLeader,
        RaftError::APIError(ClientWriteError::LogEntryDiscarded(f)) => {
            RaftNodeError::LeaderChanged(f.to_string())
        }
        // openraft's second step of a membership change requires that no other membership
        // change came in between (0.10); one did, so this one is retried.
        RaftError::APIError(ClientWriteError::PreconditionFailed(p)) => {
            RaftNodeError::MembershipBusy(p.to_string())
        }
        RaftError::APIError(ClientWriteError::ChangeMembershipError(
            ChangeMembershipError::InProgress(p),
        )) => RaftNodeError::MembershipBusy(p.to_string()),
        RaftError::APIError(ClientWriteError::ChangeMembershipError(c)) => {
            RaftNodeError::Membership(c.to_string())
        }
        RaftError::Fatal(f) => RaftNodeError::Fatal(f.to_string()),
    }
}
