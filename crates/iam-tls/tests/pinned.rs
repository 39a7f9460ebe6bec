//! Trust by thumbprint (an OpenID Connect provider's, as AWS IAM keeps them): a server whose
//! chain holds a certificate with a listed thumbprint, valid for the dialed name, is
//! trusted; any other chain, name or thumbprint is not.

use iam_tls::pinned::{pinned_client, thumbprint};
use iam_tls::{gen, server_config, Connector, Reloader, Source, ALPN_GRPC};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn der(pem: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pem");
    std::fs::write(&path, pem).unwrap();
    iam_tls::load_certs(&path).unwrap()[0].to_vec()
}

/// Serves TLS with `leaf` and the CA after it; each connection echoes one byte.
async fn serve(dir: &std::path::Path, leaf: &gen::Pem, ca: &gen::Pem) -> u16 {
    std::fs::write(dir.join("chain.pem"), format!("{}{}", leaf.cert, ca.cert)).unwrap();
    std::fs::write(dir.join("key.pem"), &leaf.key).unwrap();
    let source = Source::Files {
        cert: dir.join("chain.pem"),
        key: dir.join("key.pem"),
        ca: None,
        allowed_names: Vec::new(),
    };
    let reloader = Arc::new(Reloader::new("issuer", source).unwrap());
    let acceptor =
        tokio_rustls::TlsAcceptor::from(server_config(reloader, false, ALPN_GRPC).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut b = [0u8; 1];
                    if tls.read_exact(&mut b).await.is_ok() {
                        let _ = tls.write_all(&b).await;
                    }
                }
            });
        }
    });
    port
}

async fn talk(thumbprints: &[String], host: &str, port: u16) -> bool {
    let connector = Connector::new(Some(pinned_client(thumbprints).unwrap()));
    let attempt = async {
        let mut s = connector.connect(host, port).await?;
        s.write_all(b"x").await?;
        let mut b = [0u8; 1];
        s.read_exact(&mut b).await?;
        Ok::<_, std::io::Error>(b == *b"x")
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(5), attempt).await,
        Ok(Ok(true))
    )
}

#[tokio::test]
async fn only_a_chain_with_a_listed_thumbprint_valid_for_the_name_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let ca = gen::new_ca("issuer ca", 2).unwrap();
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let leaf = gen::issue(&ca.cert, &ca.key, &names, gen::Usage::Server, 2).unwrap();
    let port = serve(dir.path(), &leaf, &ca).await;
    let ca_print = thumbprint(&der(&ca.cert));
    assert_eq!(ca_print.len(), 40);
    assert!(ca_print
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

    // The CA's thumbprint (in either case, among others) is trusted for the leaf's names.
    assert!(talk(std::slice::from_ref(&ca_print), "127.0.0.1", port).await);
    assert!(
        talk(
            &["0".repeat(40), ca_print.to_uppercase()],
            "localhost",
            port
        )
        .await
    );
    // Another CA's thumbprint, or none: refused.
    let other = gen::new_ca("other ca", 2).unwrap();
    assert!(!talk(&[thumbprint(&der(&other.cert))], "127.0.0.1", port).await);
    assert!(!talk(&[], "127.0.0.1", port).await);
    // A name the certificate is not valid for: refused even with the right thumbprint.
    let elsewhere = gen::issue(
        &ca.cert,
        &ca.key,
        &["issuer.example".to_owned()],
        gen::Usage::Server,
        2,
    )
    .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let port2 = serve(dir2.path(), &elsewhere, &ca).await;
    assert!(!talk(std::slice::from_ref(&ca_print), "127.0.0.1", port2).await);
    // A forged chain: a leaf signed by another CA, sent with the listed CA's certificate.
    let forged = gen::issue(&other.cert, &other.key, &names, gen::Usage::Server, 2).unwrap();
    let dir3 = tempfile::tempdir().unwrap();
    let port3 = serve(dir3.path(), &forged, &ca).await;
    assert!(!talk(&[ca_print], "127.0.0.1", port3).await);
}
