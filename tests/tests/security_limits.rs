//! What a client without credentials can make a node hold (issue 21, medium 7). At b215235
//! each gRPC stream buffered up to 8 MiB before its signature was checked, with no cap on
//! streams or connections: 30 unsigned streams took a node from 122 to 369 MiB. Now an
//! unsigned request is refused from its headers, pre-verification bodies share a bounded
//! budget, failing sources are throttled, and connections per source are capped.

use bytes::Bytes;
use iamd_tests::{within, Cluster};
use std::time::Duration;

/// Opens an HTTP/2 connection to `addr` and starts a gRPC call to `path` with `headers`,
/// sending `chunks` body chunks of 16 KiB without ever ending the body. Returns the answer's
/// `grpc-status` if one came within `wait` (the server answered without the whole body).
async fn open_call(
    addr: &str,
    path: &str,
    headers: &[(&str, String)],
    chunks: usize,
    wait: Duration,
) -> Option<String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (client, conn) = h2::client::handshake(tcp).await.ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.ok()?;
    let mut req = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let (resp, mut send) = client.send_request(req.body(()).unwrap(), false).ok()?;
    let sender = tokio::spawn(async move {
        for _ in 0..chunks {
            send.reserve_capacity(16 * 1024);
            if send
                .send_data(Bytes::from(vec![0u8; 16 * 1024]), false)
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Keep the stream open (never end the body) until dropped.
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(send);
    });
    let r = tokio::time::timeout(wait, resp).await;
    sender.abort();
    let resp = r.ok()?.ok()?;
    resp.headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_request_is_refused_before_its_body_is_read() {
    within(Duration::from_secs(120), async {
        let c = Cluster::start(1).await;
        let api = c.node(1).api.clone();
        // No Authorization at all: answered Unauthenticated (16) while the body is still
        // coming. At b215235 the node waited for up to 8 MiB of it first.
        let status = open_call(&api, "/iam.v1.Iam/ListUsers", &[], 8, Duration::from_secs(3)).await;
        assert_eq!(status.as_deref(), Some("16"), "{status:?}");
        // A signature by a key that does not exist: the same.
        let forged = vec![
            ("x-amz-date", "20260101T000000Z".to_owned()),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIANOSUCHKEY0000000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00".to_owned(),
            ),
        ];
        let status = open_call(&api, "/iam.v1.Iam/ListUsers", &forged, 8, Duration::from_secs(3)).await;
        assert_eq!(status.as_deref(), Some("16"), "{status:?}");
        // An unsigned payload is refused outright.
        let mut unsigned = forged.clone();
        unsigned.push(("x-amz-content-sha256", "UNSIGNED-PAYLOAD".to_owned()));
        let status = open_call(&api, "/iam.v1.Iam/ListUsers", &unsigned, 1, Duration::from_secs(3)).await;
        assert!(status.is_some_and(|s| s != "0"));

        // Thirty such streams with megabytes each leave the node's memory about where it was.
        let before = c.rss_kib(1);
        let mut calls = Vec::new();
        for _ in 0..30 {
            let api = api.clone();
            calls.push(tokio::spawn(async move {
                open_call(&api, "/iam.v1.Iam/ListUsers", &[], 256, Duration::from_secs(5)).await
            }));
        }
        for call in calls {
            assert_eq!(call.await.unwrap().as_deref(), Some("16"));
        }
        let after = c.rss_kib(1);
        assert!(
            after < before + 64 * 1024,
            "RSS grew from {before} KiB to {after} KiB"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_held_before_verification_share_a_bounded_budget() {
    within(Duration::from_secs(120), async {
        let c = Cluster::start(1).await;
        let api = c.node(1).api.clone();
        // A key id is not a secret: with a real one (and no valid signature) a request passes
        // the header checks and its body is read. Twelve 8 MiB bodies, held open: together
        // more than the 64 MiB budget, so some are refused (Throttling: 8) before they are.
        let key = c.root_credentials().access_key_id;
        let looks_signed = vec![
            ("x-amz-date", "20260101T000000Z".to_owned()),
            (
                "authorization",
                format!("AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"),
            ),
        ];
        let before = c.rss_kib(1);
        let mut calls = Vec::new();
        for _ in 0..12 {
            let (api, h) = (api.clone(), looks_signed.clone());
            calls.push(tokio::spawn(async move {
                open_call(&api, "/iam.v1.Iam/ListUsers", &h, 510, Duration::from_secs(20)).await
            }));
        }
        let mut statuses = Vec::new();
        for call in calls {
            statuses.push(call.await.unwrap());
        }
        let throttled = statuses.iter().filter(|s| s.as_deref() == Some("8")).count();
        assert!(throttled >= 1, "no request was refused for the budget: {statuses:?}");
        let after = c.rss_kib(1);
        assert!(
            after < before + 160 * 1024,
            "RSS grew from {before} KiB to {after} KiB"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_sources_are_throttled_and_connections_capped() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start_with_args(1, &["--max-connections-per-source", "40"]).await;
        let api = c.node(1).api.clone();
        // A burst of requests with junk signatures: past 100 failures in a second the node
        // answers Throttling (8) without looking at them.
        let mut throttled = false;
        let start = std::time::Instant::now();
        let mut tries = 0;
        while !throttled && start.elapsed() < Duration::from_secs(20) {
            // In parallel, so that well over 100 fail within one second.
            let calls: Vec<_> = (0..30)
                .map(|_| {
                    let api = api.clone();
                    tokio::spawn(async move {
                        open_call(
                            &api,
                            "/iam.v1.Iam/ListUsers",
                            &[],
                            0,
                            Duration::from_secs(2),
                        )
                        .await
                    })
                })
                .collect();
            for call in calls {
                tries += 1;
                throttled |= call.await.unwrap().as_deref() == Some("8");
            }
        }
        assert!(throttled, "never throttled after {tries} failures");
        // Well-behaved clients are fine again a second later.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let mut client = c.client();
        client
            .call(|mut iam, _| async move {
                iam.get_caller_identity(iam_proto::v1::GetCallerIdentityRequest {})
                    .await
            })
            .await
            .unwrap();
        // Connections beyond the per-source cap are closed at once.
        let mut held = Vec::new();
        let mut refused = 0;
        for _ in 0..60 {
            let tcp = tokio::net::TcpStream::connect(&api).await.unwrap();
            match h2::client::handshake(tcp).await {
                Ok((client, conn)) => {
                    let task = tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    held.push((client, task));
                }
                Err(_) => refused += 1,
            }
        }
        // The accepted ones that went over the cap see their connection closed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let closed = held.iter().filter(|(_, t)| t.is_finished()).count();
        assert!(
            refused + closed >= 20,
            "refused {refused}, closed {closed} of 60"
        );
        drop(held);
    })
    .await;
}

/// Sends an HTTP/1.1 POST to the AWS Query API with `headers`, announcing a large body but
/// sending only the first bytes of it; returns the status line if an answer came within
/// `wait` (that is, before the body was complete).
async fn partial_post(addr: &str, headers: &str, wait: Duration) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n{headers}\r\nAction=ListUsers&Version=2010-05-08"
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(wait, s.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    text.lines().next().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_api_refuses_before_reading_a_body_and_throttles_failing_sources() {
    within(Duration::from_secs(120), async {
        let c = Cluster::start(1).await;
        let http = c.node(1).http.clone();
        // Unsigned: refused (403 MissingAuthenticationToken) while the body is still coming.
        let status = partial_post(&http, "", Duration::from_secs(3)).await;
        assert!(status.as_deref().is_some_and(|s| s.contains(" 403")), "{status:?}");
        // Signed by a key that does not exist: the same.
        let forged = "X-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIANOSUCHKEY0000000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n";
        let status = partial_post(&http, forged, Duration::from_secs(3)).await;
        assert!(status.as_deref().is_some_and(|s| s.contains(" 403")), "{status:?}");
        // A burst of failures from one source: throttled (400 Throttling) for a while.
        let mut throttled = false;
        let start = std::time::Instant::now();
        while !throttled && start.elapsed() < Duration::from_secs(20) {
            let calls: Vec<_> = (0..30)
                .map(|_| {
                    let http = http.clone();
                    tokio::spawn(async move {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut s = tokio::net::TcpStream::connect(&http).await.ok()?;
                        let body = "Action=ListUsers&Version=2010-05-08";
                        let req = format!("POST / HTTP/1.1\r\nHost: {http}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                        s.write_all(req.as_bytes()).await.ok()?;
                        let mut out = String::new();
                        s.read_to_string(&mut out).await.ok()?;
                        Some(out)
                    })
                })
                .collect();
            for call in calls {
                let out = call.await.unwrap().unwrap_or_default();
                throttled |= out.contains("<Code>Throttling</Code>");
            }
        }
        assert!(throttled, "never throttled");
    })
    .await;
}
