//! Real handshakes over loopback: the derived cluster CA admits only holders of the same
//! cluster key; file material follows certificate and CA bundle rotation; names are checked.

use iam_tls::{cluster_ca, gen, server_config, ClientTls, Connector, Reloader, Source, ALPN_GRPC};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves TLS on a loopback port: every connection that completes its handshake gets one
/// byte echoed back.
async fn serve(reloader: Arc<Reloader>, client_auth: bool) -> u16 {
    let config = server_config(reloader, client_auth, ALPN_GRPC).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut b = [0u8; 1];
                    if tls.read_exact(&mut b).await.is_ok() {
                        let _ = tls.write_all(&b).await;
                        let _ = tls.flush().await;
                    }
                }
            });
        }
    });
    port
}

/// Connects, sends a byte and reads it back: true when the whole exchange worked.
async fn talk(connector: &Connector, host: &str, port: u16) -> bool {
    let attempt = async {
        let mut s = connector.connect(host, port).await?;
        s.write_all(b"x").await?;
        s.flush().await?;
        let mut b = [0u8; 1];
        s.read_exact(&mut b).await?;
        Ok::<_, std::io::Error>(b == *b"x")
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(5), attempt).await,
        Ok(Ok(true))
    )
}

fn derived(key: [u8; 32]) -> Arc<Reloader> {
    Arc::new(Reloader::new("peer", Source::Fixed(cluster_ca::derive(&key).unwrap())).unwrap())
}

#[tokio::test]
async fn only_holders_of_the_cluster_key_complete_a_peer_handshake() {
    let server = derived([1; 32]);
    let port = serve(server, true).await;
    // Another node of the same cluster: its own certificate, the same derived CA.
    let member = Connector::new(Some(ClientTls::mutual(derived([1; 32])).unwrap()));
    assert!(talk(&member, "127.0.0.1", port).await);
    // A node with another key: its CA is not the server's, and the server's is not its.
    let outsider = Connector::new(Some(ClientTls::mutual(derived([2; 32])).unwrap()));
    assert!(!talk(&outsider, "127.0.0.1", port).await);
    // A client with no certificate at all, trusting nothing in particular.
    let dir = tempfile::tempdir().unwrap();
    let ca = gen::new_ca("other", 1).unwrap();
    std::fs::write(dir.path().join("ca.pem"), &ca.cert).unwrap();
    let anonymous = Connector::new(Some(
        ClientTls::trusting(Some(&dir.path().join("ca.pem"))).unwrap(),
    ));
    assert!(!talk(&anonymous, "127.0.0.1", port).await);
    // Plain TCP gets nowhere either.
    assert!(!talk(&Connector::new(None), "127.0.0.1", port).await);
}

struct Pki {
    ca: gen::Pem,
}

impl Pki {
    fn new(name: &str) -> Self {
        Self {
            ca: gen::new_ca(name, 30).unwrap(),
        }
    }

    fn issue(&self, names: &[&str], usage: gen::Usage) -> gen::Pem {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        gen::issue(&self.ca.cert, &self.ca.key, &names, usage, 30).unwrap()
    }
}

fn write_node(dir: &Path, node: &str, pem: &gen::Pem, bundle: &[&gen::Pem]) {
    std::fs::write(dir.join(format!("{node}.pem")), &pem.cert).unwrap();
    std::fs::write(dir.join(format!("{node}-key.pem")), &pem.key).unwrap();
    let bundle: String = bundle.iter().map(|c| c.cert.clone()).collect();
    std::fs::write(dir.join(format!("{node}-ca.pem")), bundle).unwrap();
}

fn files(dir: &Path, node: &str, allowed: &[&str]) -> Arc<Reloader> {
    Arc::new(
        Reloader::new(
            node,
            Source::Files {
                cert: dir.join(format!("{node}.pem")),
                key: dir.join(format!("{node}-key.pem")),
                ca: Some(dir.join(format!("{node}-ca.pem"))),
                allowed_names: allowed.iter().map(|s| s.to_string()).collect(),
            },
        )
        .unwrap(),
    )
}

#[tokio::test]
async fn certificates_and_ca_bundles_rotate_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = Pki::new("old CA");
    let new = Pki::new("new CA");
    write_node(
        d,
        "a",
        &old.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&old.ca],
    );
    write_node(
        d,
        "b",
        &old.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&old.ca],
    );
    let a = files(d, "a", &[]);
    let b = files(d, "b", &[]);
    let port = serve(a.clone(), true).await;
    let client = Connector::new(Some(ClientTls::mutual(b.clone()).unwrap()));
    assert!(talk(&client, "127.0.0.1", port).await);

    // Step 1: both trust old and new CA.
    write_node(
        d,
        "a",
        &old.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&old.ca, &new.ca],
    );
    write_node(
        d,
        "b",
        &old.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&old.ca, &new.ca],
    );
    a.check_now();
    b.check_now();
    assert!(talk(&client, "127.0.0.1", port).await);
    // Step 2: b moves to a certificate of the new CA; a still presents its old one.
    write_node(
        d,
        "b",
        &new.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&old.ca, &new.ca],
    );
    b.check_now();
    assert!(talk(&client, "127.0.0.1", port).await);
    // Step 3: a moves too, and both drop the old CA.
    write_node(
        d,
        "a",
        &new.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&new.ca],
    );
    write_node(
        d,
        "b",
        &new.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&new.ca],
    );
    a.check_now();
    b.check_now();
    assert!(talk(&client, "127.0.0.1", port).await);
    assert!(a.reloads() >= 2 && b.reloads() >= 3);
    // A client still holding an old-CA certificate is refused now.
    write_node(
        d,
        "c",
        &old.issue(&["127.0.0.1"], gen::Usage::Both),
        &[&old.ca, &new.ca],
    );
    let c = Connector::new(Some(ClientTls::mutual(files(d, "c", &[])).unwrap()));
    assert!(!talk(&c, "127.0.0.1", port).await);

    // A half-written file is refused and the last good material stays.
    std::fs::write(d.join("a.pem"), "-----BEGIN CERTIFICATE-----\nnope").unwrap();
    a.check_now();
    assert!(talk(&client, "127.0.0.1", port).await);
}

#[tokio::test]
async fn names_are_checked_against_the_allow_list_and_the_dialed_host() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("CA");
    write_node(
        d,
        "srv",
        &pki.issue(&["node-1.iamd", "127.0.0.1"], gen::Usage::Both),
        &[&pki.ca],
    );
    write_node(
        d,
        "good",
        &pki.issue(&["node-2.iamd"], gen::Usage::Both),
        &[&pki.ca],
    );
    write_node(
        d,
        "rogue",
        &pki.issue(&["laptop.corp"], gen::Usage::Both),
        &[&pki.ca],
    );
    let srv = files(d, "srv", &["node-2.iamd", "node-3.iamd"]);
    let port = serve(srv, true).await;
    let good = Connector::new(Some(
        ClientTls::mutual(files(d, "good", &["node-1.iamd"])).unwrap(),
    ));
    assert!(talk(&good, "127.0.0.1", port).await);
    // Signed by the same CA, but not a name the server allows.
    let rogue = Connector::new(Some(ClientTls::mutual(files(d, "rogue", &[])).unwrap()));
    assert!(!talk(&rogue, "127.0.0.1", port).await);
    // A client that allows only another server name refuses this server.
    let picky = Connector::new(Some(
        ClientTls::mutual(files(d, "good", &["node-9.iamd"])).unwrap(),
    ));
    assert!(!talk(&picky, "127.0.0.1", port).await);

    // Ordinary server authentication (API port): the dialed host must be in the certificate.
    write_node(
        d,
        "api",
        &pki.issue(&["127.0.0.1"], gen::Usage::Server),
        &[&pki.ca],
    );
    let api = Arc::new(
        Reloader::new(
            "api",
            Source::Files {
                cert: d.join("api.pem"),
                key: d.join("api-key.pem"),
                ca: None,
                allowed_names: vec![],
            },
        )
        .unwrap(),
    );
    let port = serve(api, false).await;
    let user = Connector::new(Some(
        ClientTls::trusting(Some(&d.join("api-ca.pem"))).unwrap(),
    ));
    assert!(talk(&user, "127.0.0.1", port).await);
    assert!(
        !talk(&user, "localhost", port).await,
        "name not in the certificate"
    );
}

#[test]
fn bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = Reloader::new(
        "api",
        Source::Files {
            cert: d.join("missing.pem"),
            key: d.join("missing-key.pem"),
            ca: None,
            allowed_names: vec![],
        },
    )
    .unwrap_err();
    assert!(e.0.contains("missing.pem"), "{e}");
    let pki = Pki::new("CA");
    let one = pki.issue(&["a"], gen::Usage::Server);
    let two = pki.issue(&["b"], gen::Usage::Server);
    std::fs::write(d.join("one.pem"), &one.cert).unwrap();
    std::fs::write(d.join("two-key.pem"), &two.key).unwrap();
    let e = Reloader::new(
        "api",
        Source::Files {
            cert: d.join("one.pem"),
            key: d.join("two-key.pem"),
            ca: None,
            allowed_names: vec![],
        },
    )
    .unwrap_err();
    assert!(e.0.contains("does not fit"), "{e}");
    assert!(gen::issue(&pki.ca.cert, &pki.ca.key, &[], gen::Usage::Server, 1).is_err());
    assert!(gen::new_ca("x", 0).is_err());
}
