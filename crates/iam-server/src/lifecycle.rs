//! Node lifecycle: open the data dir, find or create the cluster identity, bind the three
//! listeners, start Raft, bootstrap or join, serve until shutdown, then drain and stop.

use crate::api::ApiState;
use crate::config::ServeConfig;
use crate::listen;
use crate::RaftNode;
use anyhow::{anyhow, bail, Context};
use iam_raft::network::PeerClient;
use iam_raft::peer::PeerCounters;
use iam_raft::types::IamNode;
use iam_raft::NodeConfig;
use iam_storage::{NodeMeta, RocksLogStore, RocksStateMachine};
use iam_tls::{ClientTls, Connector, Reloader, Source};
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

/// Asks the seeds which cluster they belong to (over the peer port's mutual TLS: only a
/// node holding the cluster's key, or a certificate of its CA, gets an answer), all at once,
/// round after round, until one answers or `wait` has passed.
async fn seed_cluster_id(
    seeds: &[String],
    connector: &Connector,
    wait: Duration,
) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut errors = Vec::new();
    let mut clients = Vec::new();
    for seed in seeds {
        match PeerClient::new(seed, "", connector) {
            Ok(c) => clients.push((seed, c)),
            Err(e) => bail!("--join {seed:?}: {e}"),
        }
    }
    loop {
        let asks = clients
            .iter()
            .map(|(seed, c)| async move { (seed, c.cluster_id(Duration::from_secs(2)).await) });
        for (seed, answer) in futures::future::join_all(asks).await {
            match answer {
                Ok(id) => return Ok(id),
                Err(e) => errors.push(format!("{seed}: {}", e.message())),
            }
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    errors.sort();
    errors.dedup();
    bail!(
        "cannot reach any --join seed ({}); if the seeds answer but refuse this node, check that it has the cluster's secret key (or peer certificates of the cluster's CA)",
        errors.join("; ")
    )
}

/// How long a node without data waits for a --join seed to answer before giving up (and
/// exits, for its supervisor to start it again): three times what the first seed waits
/// before it creates a cluster.
const JOIN_WAIT: Duration = Duration::from_secs(30);

/// How long the first seed of a --bootstrap --join list asks the other seeds whether a
/// cluster exists before it creates one.
const BOOTSTRAP_WAIT: Duration = Duration::from_secs(10);

/// How a node without data enters a cluster.
enum Start {
    /// Create a new cluster with this node as its only voter.
    Bootstrap,
    /// Join the cluster the seeds belong to.
    Join,
}

/// Decides, for a node with an empty data dir, whether it creates the cluster or joins one;
/// returns the cluster id. `--bootstrap` alone creates; `--join` alone joins; both together
/// mean one configuration for every node: the node whose `--peer-advertise` is the first
/// seed creates the cluster unless another seed already belongs to one, and the others join.
async fn first_start(
    config: &ServeConfig,
    connector: &Connector,
) -> anyhow::Result<(Start, String)> {
    if config.join.is_empty() {
        return Ok((Start::Bootstrap, new_cluster_id()));
    }
    if !config.bootstrap || config.join[0] != config.peer_advertise {
        let id = seed_cluster_id(&config.join, connector, JOIN_WAIT).await?;
        return Ok((Start::Join, id));
    }
    let others: Vec<String> = config.join[1..]
        .iter()
        .filter(|s| **s != config.peer_advertise)
        .cloned()
        .collect();
    if !others.is_empty() {
        if let Ok(id) = seed_cluster_id(&others, connector, BOOTSTRAP_WAIT).await {
            tracing::warn!(
                cluster_id = %id,
                "this node is the first --join seed, but another seed belongs to a cluster: joining it instead of bootstrapping"
            );
            return Ok((Start::Join, id));
        }
    }
    Ok((Start::Bootstrap, new_cluster_id()))
}

/// For a node that starts from its own data: a check, run beside the servers, that fails
/// the node when the --join seeds belong to another cluster (a data dir from elsewhere);
/// while the seeds cannot be reached the node goes on from its disk (it needs no seed).
fn seed_check(
    config: &ServeConfig,
    connector: &Connector,
    cluster_id: &str,
    shutdown: Shutdown,
) -> impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static {
    let (seeds, connector, mine) = (
        config.join.clone(),
        connector.clone(),
        cluster_id.to_owned(),
    );
    let dir = config.data_dir.display().to_string();
    async move {
        if let Ok(theirs) = seed_cluster_id(&seeds, &connector, JOIN_WAIT).await {
            if theirs != mine {
                bail!(
                    "data dir {dir} belongs to cluster {mine} but the --join seeds belong to cluster {theirs}; \
                     use an empty data dir (and a new node id) to join that cluster"
                );
            }
        }
        // Done: it ends with the node (a task that ended earlier would stop the node).
        shutdown.wait().await;
        Ok(())
    }
}

/// The peer port's TLS material: the operator's files, or the CA derived from the cluster
/// secret key.
fn peer_tls(
    config: &ServeConfig,
    secrets: &iam_auth::secret_box::SecretBox,
) -> anyhow::Result<Arc<Reloader>> {
    let source = match &config.peer_tls {
        Some(files) => Source::Files {
            cert: files.cert.clone(),
            key: files.key.clone(),
            ca: Some(files.ca.clone()),
            allowed_names: files.allowed_names.clone(),
        },
        None => Source::Fixed(
            iam_tls::cluster_ca::derive(&secrets.derive_key(iam_tls::cluster_ca::KEY_LABEL))
                .map_err(|e| anyhow!("peer TLS: {e}"))?,
        ),
    };
    Ok(Arc::new(Reloader::new("peer", source)?))
}

/// The API and HTTP ports' TLS material (`--tls-cert`/`--tls-key`), if any.
fn client_tls(config: &ServeConfig) -> anyhow::Result<Option<Arc<Reloader>>> {
    let Some(files) = &config.tls else {
        return Ok(None);
    };
    let source = Source::Files {
        cert: files.cert.clone(),
        key: files.key.clone(),
        ca: None,
        allowed_names: vec![],
    };
    Ok(Some(Arc::new(Reloader::new("api", source)?)))
}

/// Runs a node until `shutdown` fires.
pub async fn run(config: ServeConfig, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut store = iam_storage::open(&config.data_dir, config.node_id)?;
    let peer_listener = bind("peer", config.peer_listen).await?;
    let api_listener = bind("api", config.api_listen).await?;
    let http_listener = bind("http", config.http_listen).await?;

    if !store.holds_raft_state() && !config.bootstrap && config.join.is_empty() {
        bail!(
            "data dir {} holds no cluster: start with --bootstrap to create a cluster or --join <peer> to join one",
            config.data_dir.display()
        );
    }
    let secrets = config.load_secret_key()?;
    let peer_tls = peer_tls(&config, &secrets)?;
    let connector = Connector::new(Some(ClientTls::mutual(peer_tls.clone())?))
        .dialing_via(config.peer_dial_via.clone());
    let api_tls = client_tls(&config)?;
    // A node with data recovers from its own disk and never needs a seed: it finds the
    // leader through the members its log names. Only a node without data asks the seeds.
    // (A data dir whose start stopped before Raft wrote anything counts as empty.)
    let mut restored = None;
    let mut seeds_checked = None;
    let (start, cluster_id) = match &store.meta {
        Some(meta) if store.holds_raft_state() => {
            if !config.join.is_empty() {
                seeds_checked = Some(seed_check(
                    &config,
                    &connector,
                    &meta.cluster_id,
                    shutdown.clone(),
                ));
            }
            (None, meta.cluster_id.clone())
        }
        _ => {
            // A backup to start from is verified before anything is created.
            if let Some(path) = &config.restore_from {
                restored = Some(crate::restore::load(path, &secrets)?);
            }
            let (start, id) = first_start(&config, &connector).await?;
            (Some(start), id)
        }
    };
    if store.meta.as_ref().map(|m| &m.cluster_id) != Some(&cluster_id) {
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
    // A build older than the release the cluster finalized must not apply its log.
    let what = format!("the state in {}", config.data_dir.display());
    if let Some(why) =
        iam_state::release::unsupported(iam_state::release::cluster_release(&view), &what)
    {
        bail!("{why}");
    }
    let mut node_config = NodeConfig::new(config.node_id, cluster_id.clone(), connector.clone());
    node_config.snapshot_every_entries = config.snapshot_every;
    node_config.max_clock_offset_ms = config.max_clock_offset_ms;
    node_config.release = iam_state::release::RELEASE;
    if let Some(file) = &config.fault_clock_file {
        tracing::warn!(file = %file.display(), "TEST SEAM: this node's clock follows a fault file");
        tokio::spawn(iam_raft::clock::follow_fault_file(file.clone()));
    }
    let node = RaftNode::start(node_config, log_store, state_machine)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let me = IamNode {
        peer: config.peer_advertise.clone(),
        api: config.api_advertise.clone(),
        http: config.http_advertise.clone(),
    };

    let counters = Arc::new(PeerCounters::default());
    let audit = crate::audit::Audit::open(node.id(), &config.audit, crate::audit::salt(&secrets))?;
    if audit.enabled() {
        tokio::spawn(crate::audit::sink::reopen_on_sighup());
    }
    let mut api_state = ApiState::new(
        node.clone(),
        view.clone(),
        counters.clone(),
        authz,
        secrets,
        config.host_names(),
    );
    api_state.audit = audit;
    api_state.history_bounds = config.history_bounds;
    api_state.sandbox = config.sandbox;
    api_state.oidc = Arc::new(crate::sts::OidcKeys::new(config.oidc_fetch.clone()));
    api_state.secure_transport = api_tls.is_some();
    if config.sandbox {
        tracing::warn!(
            "SANDBOX MODE: unknown access keys act as the root of account {}; state can be wiped over HTTP. Not for production.",
            crate::config::SANDBOX_ACCOUNT
        );
    }
    tokio::spawn(crate::bootstrap::record_key_uses(api_state.clone()));
    {
        let node = node.clone();
        tokio::spawn(async move { node.count_leader_changes().await });
    }
    tokio::spawn(node.clone().watch_clocks());
    if let Some(schedule) = config.backups.clone() {
        tracing::info!(dir = %schedule.dir.display(), every = ?schedule.interval, keep = schedule.retain, "scheduled backups");
        tokio::spawn(crate::backups::run(
            api_state.view.clone(),
            node.config.cluster_id.clone(),
            node.id(),
            schedule,
        ));
    }
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(check) = seeds_checked {
        tasks.spawn(check);
    }
    let listen_counters = api_state.listen_counters.clone();
    {
        let (peer_node, peer_counters) = (node.clone(), counters.clone());
        let sd = shutdown.clone();
        let tls = iam_tls::server_config(peer_tls.clone(), true, iam_tls::ALPN_GRPC)?;
        let conns = listen::accept(
            "peer",
            peer_listener,
            Some(tls),
            config.limits,
            listen_counters.clone(),
        );
        tasks.spawn(async move {
            crate::grpc::serve_peer(peer_node, peer_counters, conns, sd.wait())
                .await
                .context("peer server")
        });
    }
    let server_tls = |alpn| {
        api_tls
            .clone()
            .map(|r| iam_tls::server_config(r, false, alpn))
            .transpose()
    };
    {
        let state = api_state.clone();
        let sd = shutdown.clone();
        let tls = server_tls(iam_tls::ALPN_GRPC)?;
        let conns = listen::accept(
            "api",
            api_listener,
            tls,
            config.limits,
            listen_counters.clone(),
        );
        tasks.spawn(async move {
            crate::grpc::serve_api(state, conns, sd.wait())
                .await
                .context("api server")
        });
    }
    {
        let app = crate::http::router(api_state.clone());
        let sd = shutdown.clone();
        let tls = server_tls(iam_tls::ALPN_HTTP)?;
        let local = http_listener.local_addr()?;
        let conns = listen::accept("http", http_listener, tls, config.limits, listen_counters);
        let listener =
            axum::serve::ListenerExt::tap_io(listen::HttpListener::new(conns, local), |_| {});
        tasks.spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move { sd.wait().await })
            .await
            .context("http server")
        });
    }

    let standing = node.standing().await.map_err(|e| anyhow!("{e}"))?;
    match start {
        Some(Start::Bootstrap) => {
            node.initialize(me.clone())
                .await
                .map_err(|e| anyhow!("cannot bootstrap: {e}"))?;
            first_writes(&api_state, &config, restored.take());
        }
        Some(Start::Join) => {
            join(&node, &config.join, me.clone(), &cluster_id, &connector).await?;
        }
        None if config.bootstrap && standing.voter => {
            // It may have created the cluster earlier: finishes its first writes should that
            // start have stopped before them (nothing when done).
            first_writes(&api_state, &config, None);
        }
        None if standing.member && !standing.voter && !config.join.is_empty() => {
            // Stopped between being added as a learner and being promoted: finish the join
            // in the background, through the members it knows and the seeds.
            let (node, me, cluster_id, connector) = (
                node.clone(),
                me.clone(),
                cluster_id.clone(),
                connector.clone(),
            );
            let mut contacts: Vec<String> = node
                .members()
                .into_iter()
                .map(|(_, n, _)| n.peer)
                .filter(|p| *p != me.peer)
                .collect();
            contacts.extend(config.join.iter().cloned());
            tokio::spawn(async move {
                if let Err(e) = join(&node, &contacts, me, &cluster_id, &connector).await {
                    tracing::error!("cannot finish joining the cluster as a voter: {e:#}");
                }
            });
        }
        None => {}
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
        // A node whose Raft stopped (a storage failure, a log this build cannot apply) can
        // serve nothing current: it exits with the reason, for its supervisor to see.
        why = node.raft_failed() => {
            shutdown.trigger();
            let drain = async { while tasks.join_next().await.is_some() {} };
            let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
            node.shutdown().await;
            return Err(anyhow!("this node's Raft stopped: {why}"));
        }
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

/// The first writes of a cluster this node created: the restored backup, or else the
/// operator account, its root key and the first token key.
fn first_writes(api: &ApiState, config: &ServeConfig, restored: Option<crate::restore::Backup>) {
    match &config.restore_from {
        Some(path) => {
            tokio::spawn(crate::restore::run(api.clone(), path.clone(), restored));
        }
        None => {
            tokio::spawn(crate::bootstrap::run(
                api.clone(),
                config.root_credentials_file.clone(),
            ));
        }
    }
}

/// Asks the cluster (through any seed) to add this node as learner, then voter.
async fn join(
    node: &Arc<RaftNode>,
    seeds: &[String],
    me: IamNode,
    cluster_id: &str,
    connector: &Connector,
) -> anyhow::Result<()> {
    let mut last = String::new();
    for _round in 0..40 {
        for seed in seeds {
            let client = PeerClient::new(seed, cluster_id, connector).map_err(|e| anyhow!(e))?;
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
