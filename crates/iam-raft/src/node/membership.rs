//! Membership changes on the leader: adding a node (as learner, then voter) and removing
//! one, with the refusals a caller can act on (a taken id, an unknown id, the last voter).

use super::{write_error, ForwardResult, LeaderReply, RaftNode, RaftNodeError};
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
                    .add_learner(id, node, true)
                    .await
                    .map_err(write_error)?
                    .log_id
                    .index
            }
        }
        if voter {
            let r = self
                .raft
                .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([id])), false)
                .await;
            index = r.map_err(write_error)?.log_id.index;
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
