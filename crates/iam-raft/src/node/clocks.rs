//! The node's side of the clock check (`crate::clock::offsets`): as leader it measures its
//! members' clocks every round; any node answers where its own clock stands.

use super::RaftNode;
use crate::clock::offsets::{sample, Anchor, ClockMonitor, ClockStatus, ASK_TIMEOUT, ROUND};
use crate::types::{NodeId, StateMachine};
use openraft::async_runtime::WatchReceiver;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

impl<SM: StateMachine> RaftNode<SM> {
    pub fn clock(&self) -> &ClockMonitor {
        &self.clock
    }

    /// Where this node's clock stands among the voters (see `crate::clock::offsets`).
    pub fn clock_status(&self) -> ClockStatus {
        self.clock.check()
    }

    fn tell_voters(&self) {
        let voters: BTreeSet<NodeId> = self
            .members()
            .into_iter()
            .filter(|(_, _, voter)| *voter)
            .map(|(id, _, _)| id)
            .collect();
        self.clock.set_voters(voters);
    }

    /// Until the node's Raft stops: while it leads, asks every member for its clock each
    /// round, sending the table of offsets measured so far.
    pub async fn watch_clocks(self: Arc<Self>) {
        let mut tick = tokio::time::interval(ROUND);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut raft_metrics = self.raft.metrics();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                // Ends with the node's Raft.
                changed = raft_metrics.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    continue;
                }
            }
            self.tell_voters();
            if self.clock.tolerance().is_zero() || !self.is_leader() {
                continue;
            }
            // The table from the last round's samples (this round's are added at its end).
            let table: HashMap<NodeId, i64> = self.clock.table().into_iter().collect();
            let asks = self
                .members()
                .into_iter()
                .filter(|(id, _, _)| *id != self.id())
                .map(|(id, node, _)| {
                    let table = table.clone();
                    let me = self.clone();
                    async move { me.measure_clock(id, &node.peer, table).await }
                });
            futures::future::join_all(asks).await;
            self.clock.leader_table(Anchor::now());
            let status = self.clock_status();
            if !status.ok {
                tracing::warn!(detail = %status.detail, "clock off the cluster's");
            }
        }
    }

    async fn measure_clock(&self, id: NodeId, addr: &str, table: HashMap<NodeId, i64>) {
        let Ok(peer) = self.peer(addr) else { return };
        let sent = crate::clock::now_ms();
        let started = Instant::now();
        match peer.for_node(id).clock(table, ASK_TIMEOUT).await {
            // A long round trip blurs the sample by up to half of it: dropped.
            Ok(wall) if started.elapsed() <= self.clock.tolerance() => {
                let offset = sample(sent, started.elapsed(), wall);
                self.clock.record(id, offset, Instant::now());
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(node = id, error = %e, "clock not measured"),
        }
    }
}
