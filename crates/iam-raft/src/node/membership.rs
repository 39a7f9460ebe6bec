//! Membership changes on the leader: adding a node (as learner, then voter; replacing a
//! member at the same peer address) and removing one, with the refusals a caller can act on
//! (a taken id, an unknown id, the last voter).

use super::RaftNode;
use crate::error::{write_error, RaftNodeError};
use crate::forward::{ForwardResult, LeaderReply};
use crate::types::{IamNode, NodeId, StateMachine};
use openraft::ChangeMembers;
use std::collections::BTreeSet;

impl<SM: StateMachine> RaftNode<SM> {
    pub(super) async fn leader_add_node(
        &self,
        id: NodeId,
        node: IamNode,
        voter: bool,
    ) -> ForwardResult {
        let existing = self.members().into_iter().find(|(i, _, _)| *i == id);
        let mut index = self.applied_index();
        match existing {
            Some((_, n, _)) if n.peer != node.peer => {
                return Err(RaftNodeError::NodeExists {
                    id,
                    existing: n.peer,
                });
            }
            // Already what was asked for: adding is idempotent (a node may retry its join). A
            // voter of a joint configuration is not yet one: promoting it again completes the
            // change (a change interrupted between its two steps leaves the joint config).
            Some((_, _, is_voter)) if (is_voter && !self.membership_is_joint()) || !voter => {
                return Ok(LeaderReply {
                    index,
                    response: None,
                });
            }
            Some(_) => {}
            None => {
                index = self
                    .raft
                    .add_learner(id, node.clone(), true)
                    .await
                    .map_err(write_error)?
                    .log_id
                    .index
            }
        }
        // A member at the same peer address is the node this one replaces: the same host
        // (a pod, a container) back with an empty data dir under a new id. Only one process
        // can serve an address, so the old member is gone; leaving it in would keep a voter
        // that never answers, and a quorum one node weaker.
        let replaced: Vec<(NodeId, bool)> = self
            .members()
            .into_iter()
            .filter(|(i, n, _)| *i != id && n.peer == node.peer)
            .map(|(i, _, v)| (i, v))
            .collect();
        if voter {
            let change = if replaced.iter().any(|(_, v)| *v) {
                let voters: BTreeSet<NodeId> = self
                    .members()
                    .into_iter()
                    .filter(|(i, _, v)| *v && !replaced.iter().any(|(r, _)| r == i))
                    .map(|(i, _, _)| i)
                    .chain([id])
                    .collect();
                ChangeMembers::ReplaceAllVoters(voters)
            } else {
                ChangeMembers::AddVoterIds(BTreeSet::from([id]))
            };
            let r = self.raft.change_membership(change, false).await;
            index = r.map_err(write_error)?.log_id.index;
        }
        let learners: BTreeSet<NodeId> = self
            .members()
            .into_iter()
            .filter(|(i, _, v)| !*v && replaced.iter().any(|(r, _)| r == i))
            .map(|(i, _, _)| i)
            .collect();
        if !learners.is_empty() {
            let r = self
                .raft
                .change_membership(ChangeMembers::RemoveNodes(learners), false)
                .await;
            index = r.map_err(write_error)?.log_id.index;
        }
        if !replaced.is_empty() {
            tracing::warn!(
                new = id,
                replaced = ?replaced.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
                peer = %node.peer,
                "a node joined at a member's peer address: it replaces that member"
            );
        }
        Ok(LeaderReply {
            index,
            response: None,
        })
    }

    fn membership_is_joint(&self) -> bool {
        let m = self.metrics();
        m.membership_config.membership().get_joint_config().len() > 1
    }

    pub(super) async fn leader_remove_node(&self, id: NodeId) -> ForwardResult {
        let members = self.members();
        let Some((_, _, voter)) = members.iter().find(|(i, _, _)| *i == id) else {
            let list: Vec<String> = members.iter().map(|(i, _, _)| i.to_string()).collect();
            return Err(RaftNodeError::UnknownNode {
                id,
                members: list.join(","),
            });
        };
        let change = if *voter {
            if members.iter().filter(|(_, _, v)| *v).count() == 1 {
                return Err(RaftNodeError::Membership(format!(
                    "node {id} is the last voter"
                )));
            }
            ChangeMembers::RemoveVoters(BTreeSet::from([id]))
        } else {
            ChangeMembers::RemoveNodes(BTreeSet::from([id]))
        };
        let r = self
            .raft
            .change_membership(change, false)
            .await
            .map_err(write_error)?;
        Ok(LeaderReply {
            index: r.log_id.index,
            response: None,
        })
    }
}
