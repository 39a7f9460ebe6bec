//! A test cluster's certificates: the API/HTTP ports' test CA and node certificates, and
//! peer CAs and bundles for clusters started with `Options::peer_pki`.

use crate::Cluster;
use std::path::PathBuf;

impl Cluster {
    /// A TLS cluster's certificate and key files of node `id` (API and HTTP ports).
    pub fn node_cert(&self, id: u64) -> (PathBuf, PathBuf) {
        let tls = self.dir().join("tls");
        (
            tls.join(format!("node{id}.pem")),
            tls.join(format!("node{id}-key.pem")),
        )
    }

    /// Issues node `id` a new certificate of the test CA for 127.0.0.1 and localhost (made
    /// before a TLS node starts; call again to rotate it: the node picks it up).
    pub fn issue_node_cert(&self, id: u64) {
        let tls = self.dir().join("tls");
        let ca = std::fs::read_to_string(tls.join("ca.pem")).expect("CA");
        let ca_key = std::fs::read_to_string(tls.join("ca-key.pem")).expect("CA key");
        let names = ["127.0.0.1".to_owned(), "localhost".to_owned()];
        let pem = iam_tls::gen::issue(&ca, &ca_key, &names, iam_tls::gen::Usage::Server, 30)
            .expect("node certificate");
        let (cert, key) = self.node_cert(id);
        // The key first, then the certificate: a node reading in between finds a mismatch,
        // refuses it and keeps its previous pair.
        std::fs::write(&key, &pem.key).expect("node key");
        std::fs::write(&cert, &pem.cert).expect("node cert");
    }

    /// Makes a new peer CA `<name>.pem`/`<name>-key.pem` in the cluster's TLS directory.
    pub fn new_peer_ca(&self, name: &str) {
        let tls = self.dir().join("tls");
        let ca = iam_tls::gen::new_ca(name, 30).expect("CA");
        std::fs::write(tls.join(format!("{name}.pem")), &ca.cert).expect("CA file");
        std::fs::write(tls.join(format!("{name}-key.pem")), &ca.key).expect("CA key");
    }

    /// Issues node `id` a peer certificate (127.0.0.1, server and client use) of the CA
    /// `ca` (a name given to [`Cluster::new_peer_ca`], or `peer-ca`, the first one).
    pub fn issue_peer_cert(&self, id: u64, ca: &str) {
        let tls = self.dir().join("tls");
        let ca_pem = std::fs::read_to_string(tls.join(format!("{ca}.pem"))).expect("CA");
        let ca_key = std::fs::read_to_string(tls.join(format!("{ca}-key.pem"))).expect("CA key");
        let pem = iam_tls::gen::issue(
            &ca_pem,
            &ca_key,
            &["127.0.0.1".to_owned()],
            iam_tls::gen::Usage::Both,
            30,
        )
        .expect("peer certificate");
        std::fs::write(tls.join(format!("node{id}-peer-key.pem")), &pem.key).expect("key");
        std::fs::write(tls.join(format!("node{id}-peer.pem")), &pem.cert).expect("cert");
    }

    /// Sets node `id`'s peer CA bundle to the CAs named.
    pub fn set_peer_bundle(&self, id: u64, cas: &[&str]) {
        let tls = self.dir().join("tls");
        let bundle: String = cas
            .iter()
            .map(|ca| std::fs::read_to_string(tls.join(format!("{ca}.pem"))).expect("CA"))
            .collect();
        std::fs::write(tls.join(format!("node{id}-peer-ca.pem")), bundle).expect("bundle");
    }
}
