//! Asking a test cluster what it knows: signed clients, node status, metrics and HTTP
//! endpoints, and waits for a leader, a membership or converged state.

use crate::Cluster;
use iam_client::{Client, Credentials};
use iam_proto::v1::{NodeStatus, StatusRequest};
use std::time::{Duration, Instant};

impl Cluster {
    fn signed(&self, c: Client) -> Client {
        match &self.creds {
            Some(creds) => c.with_credentials(creds.clone()),
            None => c,
        }
    }

    /// A client over every running node's API, signing with the operator's root key.
    pub fn client(&mut self) -> Client {
        let ids = self.running_ids();
        let eps: Vec<String> = ids.iter().map(|id| self.node(*id).api_url()).collect();
        self.signed(self.new_client(&eps, Duration::from_secs(20)))
    }

    /// A client of `endpoints`, verifying a TLS cluster's certificates with its CA.
    pub fn new_client(&self, endpoints: &[String], deadline: Duration) -> Client {
        Client::with_ca_bundle(endpoints, deadline, self.ca_bundle.as_deref()).expect("client")
    }

    /// A client of one node only.
    pub fn client_of(&self, id: u64) -> Client {
        self.signed(self.new_client(&[self.node(id).api_url()], Duration::from_secs(20)))
    }

    /// A client of every running node signing with other credentials.
    pub fn client_as(&mut self, creds: Credentials) -> Client {
        let ids = self.running_ids();
        let eps: Vec<String> = ids.iter().map(|id| self.node(*id).api_url()).collect();
        self.new_client(&eps, Duration::from_secs(20))
            .with_credentials(creds)
    }

    pub async fn status(&self, id: u64) -> Option<NodeStatus> {
        let c = self.signed(
            Client::with_ca_bundle(
                &[self.node(id).api_url()],
                Duration::from_secs(3),
                self.ca_bundle.as_deref(),
            )
            .ok()?,
        );
        c.call_one(
            0,
            |_, mut c| async move { c.status(StatusRequest {}).await },
        )
        .await
        .ok()
    }

    /// Node `id`'s status, asked again until it answers (a node that just restarted or
    /// saw a change of leader may turn a request away for a moment); panics after `limit`.
    pub async fn status_within(&self, id: u64, limit: Duration) -> NodeStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(s) = self.status(id).await {
                return s;
            }
            if std::time::Instant::now() > deadline {
                panic!("node {id} did not answer Status within {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The value of the metric line `name`, labels included (e.g.
    /// `iamd_peer_rpcs_total{kind="forward"}`) on node `id`'s `/metrics`.
    pub async fn metric(&self, id: u64, name: &str) -> u64 {
        let body = self
            .http_get(id, "/metrics")
            .await
            .unwrap_or_else(|e| panic!("GET /metrics of node {id}: {e}"));
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} on node {id}:\n{body}"))
    }

    /// `GET path` on node `id`'s HTTP port (over TLS on a TLS cluster): the whole answer,
    /// status line and headers included.
    pub async fn http_get(&self, id: u64, path: &str) -> std::io::Result<String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.node(id).http.clone();
        let connector = match &self.ca_bundle {
            Some(ca) => iam_tls::Connector::new(Some(
                iam_tls::ClientTls::trusting(Some(ca)).map_err(std::io::Error::other)?,
            )),
            None => iam_tls::Connector::new(None),
        };
        let (host, port) = addr.rsplit_once(':').expect("host:port");
        let mut s = connector.connect(host, port.parse().expect("port")).await?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await?;
        let mut body = Vec::new();
        // A TLS peer may close without close_notify after a complete HTTP/1.0 answer.
        let _ = s.read_to_end(&mut body).await;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// The HTTP status code of `GET path` on node `id` (0 when it does not answer).
    pub async fn http_code(&self, id: u64, path: &str) -> u16 {
        let answer = self.http_get(id, path).await.unwrap_or_default();
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// Waits until `GET path` on node `id` answers `want`.
    pub async fn wait_http(&self, id: u64, path: &str, want: u16, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let code = self.http_code(id, path).await;
            if code == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path} of node {id} answered {code}, not {want}, for {timeout:?}: {}",
                self.http_get(id, &format!("{path}?verbose"))
                    .await
                    .unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until every running node's status satisfies `f`.
    pub async fn wait_for(&mut self, f: impl Fn(&NodeStatus) -> bool, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let ids = self.running_ids();
            let mut ok = !ids.is_empty();
            for id in &ids {
                ok &= self.status(*id).await.is_some_and(|s| f(&s));
            }
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "cluster did not reach the expected state in {timeout:?}; logs in {}",
                self.dir().display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_voters(&mut self, n: usize, timeout: Duration) {
        self.wait_for(
            |s| s.has_leader && s.members.iter().filter(|m| m.voter).count() == n,
            timeout,
        )
        .await;
    }

    /// The leader as seen by the running nodes.
    pub async fn leader(&mut self, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        loop {
            for id in self.running_ids() {
                if let Some(s) = self.status(id).await {
                    if s.role == "leader" {
                        return s.id;
                    }
                }
            }
            assert!(Instant::now() < deadline, "no leader within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every running node has applied at least `index` and all state hashes agree.
    pub async fn wait_converged(&mut self, index: u64, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let mut hashes = Vec::new();
            for id in self.running_ids() {
                if let Some(s) = self.status(id).await {
                    if s.applied_index >= index {
                        hashes.push((s.applied_index, s.state_hash));
                    }
                }
            }
            let n = self.running_ids().len();
            if hashes.len() == n && hashes.windows(2).all(|w| w[0] == w[1]) {
                return hashes[0].1.clone();
            }
            assert!(
                Instant::now() < deadline,
                "nodes did not converge at index >= {index}: {hashes:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
