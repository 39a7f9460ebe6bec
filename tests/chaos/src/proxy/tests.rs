//! Links and nets on loopback, against echo servers; each test bounded by a timeout.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{timeout, Instant};

use super::{Fault, Link};

/// Runs `fut`, failing the test if it takes longer than `secs`.
pub(super) async fn within<T>(secs: u64, fut: impl Future<Output = T>) -> T {
    timeout(Duration::from_secs(secs), fut)
        .await
        .expect("test step timed out")
}

/// An echo server on loopback (lives as long as the test's runtime).
pub(super) async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut rd, mut wr) = stream.into_split();
                let _ = tokio::io::copy(&mut rd, &mut wr).await;
                let _ = wr.shutdown().await;
            });
        }
    });
    addr
}

pub(super) async fn round_trip(stream: &mut TcpStream, msg: &[u8]) {
    stream.write_all(msg).await.unwrap();
    let mut back = vec![0; msg.len()];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(back, msg);
}

/// Whether the peer closed `stream` (EOF or reset) within `ms`.
pub(super) async fn closed_within(stream: &mut TcpStream, ms: u64) -> bool {
    let mut buf = [0; 64];
    matches!(
        timeout(Duration::from_millis(ms), stream.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn pass_echoes_and_counts() {
    within(10, async {
        let link = Link::start(echo_server().await, 1).unwrap();
        let mut conn = TcpStream::connect(link.addr()).await.unwrap();
        round_trip(&mut conn, b"hello").await;
        round_trip(&mut conn, b"again").await;
        let stats = link.stats();
        assert_eq!((stats.accepted, stats.open), (1, 1));
        assert_eq!(
            (stats.to_target, stats.to_dialer, stats.discarded),
            (10, 10, 0)
        );
        assert!(Link::start("10.0.0.1:1".parse().unwrap(), 1).is_err());
    })
    .await;
}

#[tokio::test]
async fn blackhole_is_silent_then_closes_what_it_touched() {
    within(10, async {
        let link = Link::start(echo_server().await, 2).unwrap();
        let mut old = TcpStream::connect(link.addr()).await.unwrap();
        round_trip(&mut old, b"before").await;
        link.set(Fault::Blackhole);
        old.write_all(b"lost").await.unwrap();
        let mut new = TcpStream::connect(link.addr()).await.unwrap();
        new.write_all(b"also lost").await.unwrap();
        let mut buf = [0; 16];
        for conn in [&mut old, &mut new] {
            let silent = timeout(Duration::from_millis(300), conn.read(&mut buf)).await;
            assert!(
                silent.is_err(),
                "a blackholed connection answered: {silent:?}"
            );
        }
        assert_eq!(link.stats().discarded, 13);
        link.set(Fault::Pass);
        assert!(
            closed_within(&mut old, 2000).await,
            "old connection left open"
        );
        assert!(
            closed_within(&mut new, 2000).await,
            "new connection left open"
        );
        let mut fresh = TcpStream::connect(link.addr()).await.unwrap();
        round_trip(&mut fresh, b"after").await;
        // Leaving for another fault closes too; a connection that never saw one is kept.
        let mut kept = TcpStream::connect(link.addr()).await.unwrap();
        round_trip(&mut kept, b"kept").await;
        link.set(Fault::Delay {
            mean: Duration::from_millis(1),
            jitter: Duration::ZERO,
        });
        round_trip(&mut kept, b"still").await;
        link.set(Fault::Blackhole);
        link.set(Fault::Loss { p: 0.0 });
        assert!(closed_within(&mut kept, 2000).await);
    })
    .await;
}

#[tokio::test]
async fn delay_holds_each_crossing_and_keeps_order() {
    within(20, async {
        let link = Link::start(echo_server().await, 3).unwrap();
        let mut conn = TcpStream::connect(link.addr()).await.unwrap();
        round_trip(&mut conn, b"warm").await;
        let mean = Duration::from_millis(100);
        link.set(Fault::Delay {
            mean,
            jitter: Duration::ZERO,
        });
        let t = Instant::now();
        round_trip(&mut conn, b"ping").await;
        let rtt = t.elapsed();
        // Request and response each cross the link once, each held `mean`.
        assert!(rtt >= 2 * mean, "round trip took {rtt:?}");
        assert!(rtt < Duration::from_secs(2), "round trip took {rtt:?}");

        // Jitter wider than the gaps between messages must still not reorder them.
        link.set(Fault::Delay {
            mean: Duration::from_millis(30),
            jitter: Duration::from_millis(30),
        });
        let (mut rd, mut wr) = conn.into_split();
        let writer = tokio::spawn(async move {
            for n in 0u32..200 {
                wr.write_all(&n.to_be_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            wr
        });
        for n in 0u32..200 {
            let mut msg = [0; 4];
            rd.read_exact(&mut msg).await.unwrap();
            assert_eq!(u32::from_be_bytes(msg), n, "messages reordered");
        }
        writer.await.unwrap();
    })
    .await;
}

/// FNV-1a, to compare streams by checksum as well as length.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[tokio::test]
async fn loss_delivers_every_byte_in_order() {
    within(60, async {
        let link = Link::start(echo_server().await, 4).unwrap();
        link.set(Fault::Loss { p: 0.5 });
        let mut data = vec![0u8; 1 << 20];
        StdRng::seed_from_u64(4).fill(&mut data[..]);
        let sent = fnv(&data);
        let conn = TcpStream::connect(link.addr()).await.unwrap();
        let (mut rd, mut wr) = conn.into_split();
        let writer = tokio::spawn(async move {
            for piece in data.chunks(8 << 10) {
                wr.write_all(piece).await.unwrap();
            }
            wr.shutdown().await.unwrap();
        });
        let mut back = Vec::new();
        rd.read_to_end(&mut back).await.unwrap();
        writer.await.unwrap();
        assert_eq!(back.len(), 1 << 20);
        assert_eq!(fnv(&back), sent, "stream corrupted");
        let stats = link.stats();
        assert_eq!((stats.to_target, stats.to_dialer), (1 << 20, 1 << 20));
    })
    .await;
}

#[tokio::test]
async fn holds_follow_the_fault_and_the_seed() {
    let target = echo_server().await;
    let (a, b) = (
        Link::start(target, 5).unwrap(),
        Link::start(target, 5).unwrap(),
    );
    let (mean, jitter) = (Duration::from_millis(50), Duration::from_millis(20));
    let delay = Fault::Delay { mean, jitter };
    let loss = Fault::Loss { p: 0.5 };
    for fault in [
        delay,
        loss,
        Fault::Loss { p: f64::NAN },
        Fault::Loss { p: 7.0 },
    ] {
        for _ in 0..200 {
            let hold = a.shared.hold(fault);
            assert_eq!(hold, b.shared.hold(fault), "same seed, different hold");
            match fault {
                Fault::Delay { .. } => assert!(hold >= mean - jitter && hold <= mean + jitter),
                Fault::Loss { p } if p.is_nan() => assert_eq!(hold, Duration::ZERO),
                // Eight losses in a row: 200 + 400 + 800 + 5 × 1600 ms.
                Fault::Loss { p } if p >= 1.0 => assert_eq!(hold, Duration::from_millis(9400)),
                _ => assert!(hold <= Duration::from_millis(9400)),
            }
        }
    }
    assert_eq!(Fault::Pass.to_string(), "pass");
}

#[tokio::test]
async fn drop_closes_connections_and_listener() {
    within(10, async {
        let link = Link::start(echo_server().await, 6).unwrap();
        let addr = link.addr();
        let mut conn = TcpStream::connect(addr).await.unwrap();
        round_trip(&mut conn, b"hi").await;
        drop(link);
        assert!(
            closed_within(&mut conn, 2000).await,
            "connection outlived its link"
        );
        let deadline = Instant::now() + Duration::from_secs(2);
        while TcpStream::connect(addr).await.is_ok() {
            assert!(Instant::now() < deadline, "listener outlived its link");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// A sink: reads and forgets everything (lives as long as the test's runtime).
async fn sink_server() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0; 64 << 10];
                while let Ok(1..) = stream.read(&mut buf).await {}
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_held_back_direction_stops_reading_when_full() {
    within(30, async {
        let link = Link::start(sink_server().await, 9).unwrap();
        link.set(Fault::Delay {
            mean: Duration::from_secs(60),
            jitter: Duration::ZERO,
        });
        let total = 4 * super::MAX_BUFFERED;
        let mut conn = TcpStream::connect(link.addr()).await.unwrap();
        let writer = tokio::spawn(async move {
            conn.write_all(&vec![7; total]).await.unwrap();
            conn
        });
        // Unbounded buffering would swallow it all at once; the budget plus the kernel's
        // socket buffers cannot.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!writer.is_finished(), "the link buffered {total} bytes");
        assert_eq!(link.stats().to_target, 0);
        link.set(Fault::Pass); // the queue drains, reading resumes
        drop(writer.await.unwrap());
        let deadline = Instant::now() + Duration::from_secs(10);
        while link.stats().to_target < total as u64 {
            assert!(Instant::now() < deadline, "{:?}", link.stats());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}
