//! Node lifecycle: open the data dir, find or create the cluster identity, bind the three
//! listeners, start Raft, bootstrap or join, serve until shutdown, then drain and stop.

use crate::api::ApiState;
use crate::config::ServeConfig;
use crate::RaftNode;
use anyhow::{anyhow, bail, Context};
use iam_raft::network::PeerClient;
use iam_raft::peer::{PeerCounters, PeerService};
use iam_raft::types::IamNode;
use iam_raft::NodeConfig;
use iam_storage::{NodeMeta, RocksLogStore, RocksStateMachine};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A shutdown signal shared by every task of a node.
#[derive(Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self {
            tx: Arc::new(watch::channel(false).0),
        }
    }

    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }

    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|v| *v).await;
    }
}

async fn bind(what: &str, addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow!("{what} address {addr} is already in use (another iamd or program listens there); choose another with --{what}-listen")
        } else {
            anyhow!("cannot listen on {what} address {addr}: {e}")
        }
    })
}

fn new_cluster_id() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// Asks the seeds which cluster they belong to.
async fn seed_cluster_id(seeds: &[String]) -> anyhow::Result<String> {
    let mut errors = Vec::new();
    for _round in 0..20 {
        for seed in seeds {
            match PeerClient::new(seed, "") {
                Ok(c) => match c.cluster_id(Duration::from_secs(2)).await {
                    Ok(id) => return Ok(id),
                    Err(e) => errors.push(format!("{seed}: {}", e.message())),
                },
                Err(e) => bail!("--join {seed:?}: {e}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    errors.dedup();
    bail!("cannot reach any --join seed ({})", errors.join("; "))
}

/// Accepted connections with Nagle's algorithm off. tonic's `tcp_nodelay` applies only to
/// listeners it binds itself; on ours, HTTP/2 writes its frames separately and Nagle then
/// holds the last ones until the peer's delayed ACK (40 ms on Linux).
fn no_delay(
    listener: TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::TcpListenerStream::new(listener).map(|s| {
        let s = s?;
        s.set_nodelay(true)?;
        Ok(s)
    })
}

/// Runs a node until `shutdown` fires.
pub async fn run(config: ServeConfig, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut store = iam_storage::open(&config.data_dir, config.node_id)?;
    let peer_listener = bind("peer", config.peer_listen).await?;
    let api_listener = bind("api", config.api_listen).await?;
    let http_listener = bind("http", config.http_listen).await?;

    let cluster_id = match (&store.meta, config.bootstrap, config.join.is_empty()) {
        (Some(meta), _, true) => meta.cluster_id.clone(),
        (Some(meta), _, false) => {
            let seeds = seed_cluster_id(&config.join).await;
            if let Ok(theirs) = &seeds {
                if *theirs != meta.cluster_id {
                    bail!(
                        "data dir {} belongs to cluster {} but the --join seeds belong to cluster {theirs}; \
                         use an empty data dir (and a new node id) to join that cluster",
                        config.data_dir.display(),
                        meta.cluster_id
                    );
                }
            }
            meta.cluster_id.clone()
        }
        (None, true, _) => new_cluster_id(),
        (None, false, false) => seed_cluster_id(&config.join).await?,
        (None, false, true) => bail!(
            "data dir {} holds no cluster: start with --bootstrap to create a cluster or --join <peer> to join one",
            config.data_dir.display()
        ),
    };
    // After the cluster identity checks (their errors come first), before anything is saved.
    let secrets = config.load_secret_key()?;
    if store.meta.is_none() {
        store.save_meta(NodeMeta {
            cluster_id: cluster_id.clone(),
            node_id: config.node_id,
        })?;
    }

    let log_store = RocksLogStore::for_node(&store, config.node_id)?;
    // The authorization index hears about every applied write (see iam-authz).
    let authz = Arc::new(iam_authz::AuthzIndex::new());
    let state_machine =
        RocksStateMachine::new(store.db.clone(), &store.dir).with_observer(authz.clone());
    let view = state_machine.view();
    let mut node_config = NodeConfig::new(config.node_id, cluster_id.clone());
    node_config.snapshot_every_entries = config.snapshot_every;
    let node = RaftNode::start(node_config, log_store, state_machine)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let me = IamNode {
        peer: config.peer_advertise.clone(),
        api: config.api_advertise.clone(),
        http: config.http_advertise.clone(),
    };

    let counters = Arc::new(PeerCounters::default());
    let mut api_state = ApiState::new(node.clone(), view.clone(), counters.clone(), authz, secrets);
    api_state.sandbox = config.sandbox;
    if config.sandbox {
        tracing::warn!(
            "SANDBOX MODE: unknown access keys act as the root of account {}; state can be wiped over HTTP. Not for production.",
            crate::config::SANDBOX_ACCOUNT
        );
    }
    tokio::spawn(crate::bootstrap::record_key_uses(api_state.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    {
        let svc = PeerService::new(node.clone(), counters.clone());
        let sd = shutdown.clone();
        let incoming = no_delay(peer_listener);
        tasks.spawn(async move {
            tonic::transport::Server::builder()
                .tcp_nodelay(true)
                .add_service(svc)
                .serve_with_incoming_shutdown(incoming, sd.wait())
                .await
                .context("peer server")
        });
    }
    {
        let router = crate::api::router(api_state.clone());
        let sd = shutdown.clone();
        let incoming = no_delay(api_listener);
        tasks.spawn(async move {
            router
                .serve_with_incoming_shutdown(incoming, sd.wait())
                .await
                .context("api server")
        });
    }
    {
        let app = crate::http::router(api_state.clone());
        let sd = shutdown.clone();
        tasks.spawn(async move {
            axum::serve(
                http_listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move { sd.wait().await })
            .await
            .context("http server")
        });
    }

    if config.bootstrap {
        node.initialize(me.clone())
            .await
            .map_err(|e| anyhow!("cannot bootstrap: {e}"))?;
        tokio::spawn(crate::bootstrap::run(
            api_state.clone(),
            config.root_credentials_file.clone(),
        ));
    } else if !config.join.is_empty()
        && !node
            .members()
            .iter()
            .any(|(id, _, _)| *id == config.node_id)
    {
        // Not a member yet (a new node, or one that stopped before it was added): join.
        join(&node, &config.join, me.clone(), &cluster_id).await?;
    }
    tracing::info!(
        node_id = config.node_id,
        cluster_id = %cluster_id,
        api = %config.api_advertise,
        http = %config.http_advertise,
        peer = %config.peer_advertise,
        "iamd node serving"
    );

    tokio::select! {
        _ = shutdown.wait() => {}
        Some(res) = tasks.join_next() => {
            shutdown.trigger();
            match res {
                Ok(Err(e)) => { node.shutdown().await; return Err(e); }
                Err(e) => { node.shutdown().await; return Err(anyhow!("server task failed: {e}")); }
                Ok(Ok(())) => {}
            }
        }
    }
    // Drain: the servers stop accepting and finish in-flight calls, then Raft stops.
    let drain = async { while tasks.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
    node.shutdown().await;
    tracing::info!(node_id = config.node_id, "iamd node stopped");
    Ok(())
}

/// Asks the cluster (through any seed) to add this node as learner, then voter.
async fn join(
    node: &Arc<RaftNode>,
    seeds: &[String],
    me: IamNode,
    cluster_id: &str,
) -> anyhow::Result<()> {
    let mut last = String::new();
    for _round in 0..40 {
        for seed in seeds {
            let client = PeerClient::new(seed, cluster_id).map_err(|e| anyhow!(e))?;
            match iam_raft::forward_add_node(
                &client,
                node.id(),
                me.clone(),
                true,
                Duration::from_secs(30),
            )
            .await
            {
                Ok(index) => {
                    tracing::info!(node_id = node.id(), index, via = %seed, "joined the cluster");
                    return Ok(());
                }
                Err(e) if e.is_permanent() => bail!("cannot join through {seed}: {e}"),
                Err(e) => last = format!("{seed}: {e}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("cannot join the cluster through {seeds:?}: {last}")
}
