//! [`RaftNode`]: the narrow facade over openraft that the server uses.
//!
//! Writes may be proposed on any node: a follower forwards them to the leader over the peer
//! port (the [`ForwardRequest`] protocol), retrying across leader changes until a deadline.
//! A forwarded write whose outcome is unknown is retried only when it carries a request
//! token, which makes the retry idempotent.

mod clocks;
mod config;
mod membership;
mod status;

use config::raft_config;
pub use config::{NodeConfig, DEFAULT_MAX_CLOCK_OFFSET_MS, DEFAULT_SNAPSHOT_EVERY};
pub use status::Standing;

use crate::batcher::Batcher;
pub use crate::error::RaftNodeError;
use crate::forward::{call_peer, ForwardRequest, ForwardResult, LeaderReply};
use crate::forwarder::Forwarder;
use crate::network::{PeerClient, PeerNetwork, PeerRpc};
use crate::types::{IamNode, NodeId, Raft, StateMachine, TypeConfig};
use iam_state::{Request, Response};
use openraft::error::RaftError;
use openraft::ReadPolicy;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The result of a committed write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOutcome {
    pub response: Response,
    /// The log index the write committed at (a read-your-writes token).
    pub index: u64,
}

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    Local,
    AtLeast(u64),
    Linearizable,
}

/// One node's Raft over its state machine `SM`, shared by the API and the peer service.
pub struct RaftNode<SM: StateMachine> {
    pub config: NodeConfig,
    raft: Raft<SM>,
    peers: Mutex<HashMap<String, PeerClient>>,
    /// Carries this node's writes, when it follows, to the leader in shared calls (by the
    /// leader's peer address).
    forwarders: Mutex<HashMap<String, Arc<Forwarder>>>,
    /// Gathers this node's proposals, when it leads, into shared log entries.
    batcher: Batcher,
    /// The cluster's clock offsets as this node knows them.
    clock: crate::clock::offsets::ClockMonitor,
}

impl<SM: StateMachine> RaftNode<SM> {
    /// Starts Raft over the given stores. The node takes part in elections once it is a
    /// member (after [`RaftNode::initialize`] or after a leader added it).
    pub async fn start<LS>(
        config: NodeConfig,
        log_store: LS,
        state_machine: SM,
    ) -> Result<Arc<Self>, RaftNodeError>
    where
        LS: openraft::storage::RaftLogStorage<TypeConfig>,
    {
        let network = PeerNetwork {
            cluster_id: config.cluster_id.clone(),
            node_id: config.id,
            connector: config.peer_connector.clone(),
        };
        let raft = Raft::new(
            config.id,
            raft_config(&config)?,
            network,
            log_store,
            state_machine,
        )
        .await
        .map_err(|e| RaftNodeError::Fatal(e.to_string()))?;
        let batcher = Batcher::start(raft.clone(), config.write_timeout);
        let clock = crate::clock::offsets::ClockMonitor::new(config.id, config.max_clock_offset_ms);
        Ok(Arc::new(Self {
            clock,
            config,
            raft,
            peers: Mutex::new(HashMap::new()),
            forwarders: Mutex::new(HashMap::new()),
            batcher,
        }))
    }

    pub fn id(&self) -> NodeId {
        self.config.id
    }

    pub fn raft(&self) -> &Raft<SM> {
        &self.raft
    }

    /// Makes this node the single voter of a new cluster (no-op when already initialized).
    pub async fn initialize(&self, node: IamNode) -> Result<(), RaftNodeError> {
        if self
            .raft
            .is_initialized()
            .await
            .map_err(|e| RaftNodeError::Fatal(e.to_string()))?
        {
            return Ok(());
        }
        let members = BTreeMap::from([(self.config.id, node)]);
        self.raft
            .initialize(members)
            .await
            .map_err(|e| RaftNodeError::Fatal(e.to_string()))
    }

    fn peer(&self, addr: &str) -> Result<PeerClient, RaftNodeError> {
        let mut peers = self.peers.lock().expect("peer map lock");
        if let Some(p) = peers.get(addr) {
            return Ok(p.clone());
        }
        let p = PeerClient::new(addr, &self.config.cluster_id, &self.config.peer_connector)
            .map_err(RaftNodeError::Unreachable)?;
        peers.insert(addr.to_owned(), p.clone());
        Ok(p)
    }

    fn forwarder(&self, addr: &str) -> Result<Arc<Forwarder>, RaftNodeError> {
        if let Some(f) = self
            .forwarders
            .lock()
            .expect("forwarder map lock")
            .get(addr)
        {
            return Ok(f.clone());
        }
        let peer = self.peer(addr)?;
        let mut forwarders = self.forwarders.lock().expect("forwarder map lock");
        let f = forwarders
            .entry(addr.to_owned())
            .or_insert_with(|| Arc::new(Forwarder::start(addr, peer)));
        Ok(f.clone())
    }

    fn leader(&self) -> Option<(NodeId, IamNode)> {
        let m = self.metrics();
        let id = m.current_leader?;
        let node = m.membership_config.membership().get_node(&id)?.clone();
        Some((id, node))
    }

    /// Proposes a write; forwards it to the leader when this node is not the leader.
    pub async fn propose(&self, req: Request) -> Result<WriteOutcome, RaftNodeError> {
        use crate::metrics::{PROPOSALS_COMMITTED, PROPOSALS_FAILED, PROPOSALS_PENDING};
        let may_retry_ambiguous = req.request_token.is_some();
        let started = std::time::Instant::now();
        let pending = PROPOSALS_PENDING.track();
        let r = self
            .on_leader(ForwardRequest::Propose(req), may_retry_ambiguous)
            .await;
        drop(pending);
        crate::metrics::PROPOSAL_SECONDS.observe(started.elapsed());
        let r = match r {
            Ok(r) => {
                PROPOSALS_COMMITTED.inc();
                r
            }
            Err(e) => {
                PROPOSALS_FAILED.inc();
                return Err(e);
            }
        };
        let response = r
            .response
            .ok_or_else(|| RaftNodeError::Fatal("leader returned no response".into()))?;
        Ok(WriteOutcome {
            response,
            index: r.index,
        })
    }

    /// Adds a node as learner (waiting until it caught up) and, if `voter`, promotes it.
    pub async fn add_node(
        &self,
        id: NodeId,
        node: IamNode,
        voter: bool,
    ) -> Result<u64, RaftNodeError> {
        Ok(self
            .on_leader(ForwardRequest::AddNode { id, node, voter }, true)
            .await?
            .index)
    }

    /// Removes a node (voter or learner) from the cluster.
    pub async fn remove_node(&self, id: NodeId) -> Result<u64, RaftNodeError> {
        Ok(self
            .on_leader(ForwardRequest::RemoveNode { id }, true)
            .await?
            .index)
    }

    /// Runs `call` on the leader, here or by forwarding, retrying across leader changes.
    async fn on_leader(&self, call: ForwardRequest, may_retry_ambiguous: bool) -> ForwardResult {
        let deadline = Instant::now() + self.config.write_timeout;
        let mut backoff = Duration::from_millis(20);
        loop {
            let attempt = match self.leader() {
                Some((id, _)) if id == self.config.id => self.execute_on_leader(call.clone()).await,
                Some((_, node)) => self.forward(&node.peer, &call, deadline).await,
                None => Err(RaftNodeError::NoLeader),
            };
            match attempt {
                Ok(r) => return Ok(r),
                Err(
                    RaftNodeError::Unreachable(_)
                    | RaftNodeError::Timeout(_)
                    | RaftNodeError::LeaderChanged(_),
                ) if !may_retry_ambiguous => {
                    return attempt;
                }
                Err(e) if e.is_retryable() && !matches!(e, RaftNodeError::Behind { .. }) => {
                    if Instant::now() + backoff >= deadline {
                        return Err(match e {
                            RaftNodeError::NoLeader => RaftNodeError::NoLeader,
                            _ => {
                                RaftNodeError::Timeout(self.config.write_timeout.as_millis() as u64)
                            }
                        });
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn forward(&self, addr: &str, call: &ForwardRequest, deadline: Instant) -> ForwardResult {
        if let ForwardRequest::Propose(req) = call {
            // Writes share forward calls (crate::forwarder).
            return self.forwarder(addr)?.forward(req.clone(), deadline).await;
        }
        let peer = self.peer(addr)?;
        call_peer::<_, ForwardResult>(&peer, addr, PeerRpc::Forward, call, deadline).await?
    }

    /// Serves a call forwarded by another node: executes it if this node leads, else passes
    /// it on to the leader it knows.
    pub(crate) async fn handle_forward(&self, call: ForwardRequest) -> ForwardResult {
        let may_retry_ambiguous = match &call {
            ForwardRequest::Propose(r) => r.request_token.is_some(),
            _ => true,
        };
        self.on_leader(call, may_retry_ambiguous).await
    }

    /// Serves writes forwarded together by a follower: each is proposed on its own (so they
    /// join this node's entry batches), answered in order.
    pub(crate) async fn handle_forward_writes(&self, writes: Vec<Request>) -> Vec<ForwardResult> {
        futures::future::join_all(
            writes
                .into_iter()
                .map(|w| self.handle_forward(ForwardRequest::Propose(w))),
        )
        .await
    }

    /// Executes a forwarded or local call on this node, which believes it is the leader.
    pub(crate) async fn execute_on_leader(&self, call: ForwardRequest) -> ForwardResult {
        match call {
            ForwardRequest::Propose(req) => {
                let (index, response) = self.batcher.propose(req).await?;
                Ok(LeaderReply {
                    index,
                    response: Some(response),
                })
            }
            ForwardRequest::AddNode { id, node, voter } => {
                self.leader_add_node(id, node, voter).await
            }
            ForwardRequest::RemoveNode { id } => self.leader_remove_node(id).await,
        }
    }

    /// Waits until a read at `consistency` may be served from this node's state; returns the
    /// applied index it may be served at.
    pub async fn read_barrier(&self, consistency: Consistency) -> Result<u64, RaftNodeError> {
        let wanted = match consistency {
            Consistency::Local => return Ok(self.applied_index()),
            Consistency::AtLeast(i) => i,
            Consistency::Linearizable => self.read_index().await?,
        };
        let waited = self
            .raft
            .wait(Some(self.config.read_wait))
            .applied_index_at_least(Some(wanted), "read barrier")
            .await;
        match waited {
            Ok(m) => Ok(m.last_applied.map_or(0, |l| l.index)),
            Err(_) => Err(RaftNodeError::Behind {
                applied: self.applied_index(),
                wanted,
            }),
        }
    }

    /// The leader's read index, asking the leader when this node is not it.
    async fn read_index(&self) -> Result<u64, RaftNodeError> {
        let deadline = Instant::now() + self.config.read_wait;
        loop {
            let attempt = match self.leader() {
                Some((id, _)) if id == self.config.id => self.local_read_index().await,
                Some((_, node)) => {
                    let peer = self.peer(&node.peer)?;
                    peer.read_index(self.config.read_wait).await.map_err(|s| {
                        RaftNodeError::Unreachable(format!("{}: {}", node.peer, s.message()))
                    })
                }
                None => Err(RaftNodeError::NoLeader),
            };
            match attempt {
                Err(e) if e.is_retryable() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    /// On the leader: confirms leadership with a quorum and returns the read index.
    pub(crate) async fn local_read_index(&self) -> Result<u64, RaftNodeError> {
        let (read, _) = self
            .raft
            .get_read_log_id(ReadPolicy::ReadIndex)
            .await
            .map_err(|e| match e {
                RaftError::APIError(_) => RaftNodeError::NoLeader,
                RaftError::Fatal(f) => RaftNodeError::Fatal(f.to_string()),
            })?;
        Ok(read.index())
    }

    /// Builds a snapshot now and purges the log it covers; returns the snapshot index.
    pub async fn snapshot_now(&self) -> Result<u64, RaftNodeError> {
        // The snapshot must cover everything applied when the call came in. openraft ignores
        // a trigger while it is still building an earlier snapshot (e.g. an automatic one),
        // so trigger again until a snapshot covers the target.
        let target = self.applied_index().max(1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let index = loop {
            if let Some(s) = self.metrics().snapshot.filter(|s| s.index >= target) {
                break s.index;
            }
            if tokio::time::Instant::now() >= deadline {
                // No snapshot covering the target in time (the value is the wait in ms).
                return Err(RaftNodeError::Timeout(60_000));
            }
            self.raft
                .trigger()
                .snapshot()
                .await
                .map_err(|e| RaftNodeError::Fatal(e.to_string()))?;
            let _ = self
                .raft
                .wait(Some(Duration::from_secs(2)))
                .metrics(
                    |m| m.snapshot.is_some_and(|s| s.index >= target),
                    "snapshot built",
                )
                .await;
        };
        self.raft
            .trigger()
            .purge_log(index)
            .await
            .map_err(|e| RaftNodeError::Fatal(e.to_string()))?;
        Ok(index)
    }

    pub async fn shutdown(&self) {
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!(error = %e, "raft shutdown");
        }
    }
}

/// Asks the node at `client` to add a node to the cluster (it passes the call on to the
/// leader); used by a new node joining through a seed.
pub async fn forward_add_node(
    client: &PeerClient,
    id: NodeId,
    node: IamNode,
    voter: bool,
    timeout: Duration,
) -> Result<u64, RaftNodeError> {
    let data = crate::format::encode(
        "an AddNode call",
        &ForwardRequest::AddNode { id, node, voter },
    )
    .map_err(|e| RaftNodeError::Fatal(e.to_string()))?;
    let bytes = client
        .call(PeerRpc::Forward, data, Some(timeout))
        .await
        .map_err(|s| RaftNodeError::Unreachable(s.message().to_owned()))?;
    let r: ForwardResult = crate::format::decode("an AddNode reply", &bytes)
        .map_err(|e| RaftNodeError::Fatal(e.to_string()))?;
    r.map(|r| r.index)
}
