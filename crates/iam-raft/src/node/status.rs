//! What the node can say about itself: its metrics and members, its standing in its own
//! storage, whether it can serve a linearizable read, and who leads.

use super::{Consistency, RaftNode, RaftNodeError};
use crate::types::{IamNode, NodeId, RaftMetrics, StateMachine};
use openraft::async_runtime::WatchReceiver;
use openraft::ServerState;
use std::collections::BTreeSet;
use std::time::Duration;

/// What a node's storage says about its place in the cluster (see [`RaftNode::standing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// It holds log entries or a vote: it was bootstrapped, or a leader replicated to it.
    pub initialized: bool,
    /// The membership it knows makes it a voter.
    pub voter: bool,
    /// The membership it knows names it (voter or learner).
    pub member: bool,
}

impl<SM: StateMachine> RaftNode<SM> {
    pub fn metrics(&self) -> RaftMetrics {
        self.raft.metrics().borrow_watched().clone()
    }

    /// Every member: id, node, and whether it votes.
    pub fn members(&self) -> Vec<(NodeId, IamNode, bool)> {
        let m = self.metrics();
        let membership = m.membership_config.membership();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        membership
            .nodes()
            .map(|(id, n)| (*id, n.clone(), voters.contains(id)))
            .collect()
    }

    /// What this node's own storage says it is, asked of the Raft core (not of the
    /// metrics, which may not yet be published right after a start).
    pub async fn standing(&self) -> Result<Standing, RaftNodeError> {
        let id = self.config.id;
        let fatal = |e: openraft::error::Fatal<crate::types::TypeConfig>| {
            RaftNodeError::Fatal(e.to_string())
        };
        let initialized = self.raft.is_initialized().await.map_err(fatal)?;
        let (voter, member) = self
            .raft
            .with_raft_state(move |st| {
                let membership = st.membership_state.effective().membership();
                (
                    membership.voter_ids().any(|v| v == id),
                    membership.nodes().any(|(n, _)| *n == id),
                )
            })
            .await
            .map_err(fatal)?;
        Ok(Standing {
            initialized,
            voter,
            member,
        })
    }

    /// Whether this node can serve a linearizable read within `within`: it knows a leader
    /// that still has a quorum, and has applied up to the leader's read index.
    pub async fn can_read_linearizably(&self, within: Duration) -> Result<u64, String> {
        match tokio::time::timeout(within, self.read_barrier(Consistency::Linearizable)).await {
            Ok(Ok(index)) => Ok(index),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} ms", within.as_millis())),
        }
    }

    /// Counts the leader changes this node sees (`iamd_leader_changes_seen_total`), for the
    /// life of the node.
    pub async fn count_leader_changes(&self) {
        let mut rx = self.raft.metrics();
        let mut leader = rx.borrow_watched().current_leader;
        while rx.changed().await.is_ok() {
            let now = rx.borrow_watched().current_leader;
            if now != leader {
                crate::metrics::LEADER_CHANGES.inc();
                leader = now;
            }
        }
    }

    /// Every member's release (this node's own, and each peer's as it answers within
    /// `timeout`), in membership order.
    pub async fn member_releases(&self, timeout: Duration) -> Vec<(NodeId, Result<u32, String>)> {
        let asks = self.members().into_iter().map(|(id, node, _)| async move {
            if id == self.id() {
                return (id, Ok(self.config.release));
            }
            let answer = match self.peer(&node.peer) {
                Ok(p) => p
                    .for_node(id)
                    .release(timeout)
                    .await
                    .map_err(|s| format!("{}: {}", node.peer, s.message())),
                Err(e) => Err(e.to_string()),
            };
            (id, answer)
        });
        futures::future::join_all(asks).await
    }

    /// Resolves when this node's Raft has stopped on an error (a storage failure, or a log
    /// this build cannot apply), with that error. Pending while it runs.
    pub async fn raft_failed(&self) -> String {
        let mut rx = self.raft.metrics();
        loop {
            if let Err(fatal) = &rx.borrow_watched().running_state {
                return fatal.to_string();
            }
            if rx.changed().await.is_err() {
                return "the Raft core ended".to_owned();
            }
        }
    }

    pub fn applied_index(&self) -> u64 {
        self.metrics().last_applied.map_or(0, |l| l.index)
    }

    pub fn is_leader(&self) -> bool {
        let m = self.metrics();
        m.state == ServerState::Leader && m.current_leader == Some(self.config.id)
    }
}
