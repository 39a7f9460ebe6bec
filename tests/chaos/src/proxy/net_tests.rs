//! The shapes of [`Net`] for 3 and 5 nodes, and a net forwarding for real.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;

use super::tests::{echo_server, round_trip, within};
use super::{Fault, Net};

/// A net over `n` nodes with ids 1..=n whose targets are never dialed.
fn net(n: u64) -> Net {
    let nodes: Vec<_> = (1..=n)
        .map(|id| {
            (
                id,
                SocketAddr::from((Ipv4Addr::LOCALHOST, 1000 + id as u16)),
            )
        })
        .collect();
    Net::new(&nodes, 7).unwrap()
}

/// The ordered pairs (i, j) that are blocked.
fn cut(net: &Net) -> BTreeSet<(u64, u64)> {
    net.links()
        .into_iter()
        .filter(|&(i, j)| net.blocked(i, j))
        .collect()
}

/// Both directions between every node of `a` and every node of `b`.
fn between(a: &[u64], b: &[u64]) -> BTreeSet<(u64, u64)> {
    let pairs = a.iter().flat_map(|&i| b.iter().map(move |&j| (i, j)));
    pairs.flat_map(|(i, j)| [(i, j), (j, i)]).collect()
}

#[tokio::test]
async fn net_shapes_for_3_and_5_nodes() {
    let three = net(3);
    assert_eq!(three.links().len(), 6);
    three.isolate(2);
    assert_eq!(cut(&three), between(&[2], &[1, 3]));
    three.partition(&[vec![1], vec![2, 3]]);
    assert_eq!(cut(&three), between(&[1], &[2, 3]));
    three.bridge(&[1], 2, &[3]);
    assert_eq!(cut(&three), between(&[1], &[3]));
    three.heal();
    assert!(cut(&three).is_empty());

    let five = net(5);
    assert_eq!(five.links().len(), 20);
    five.delay(&[(1, 2)], Duration::from_millis(9), Duration::ZERO);
    five.isolate(5); // touches only 5's links: the delay stays
    assert_eq!(cut(&five), between(&[5], &[1, 2, 3, 4]));
    assert!(matches!(
        five.link(1, 2).unwrap().fault(),
        Fault::Delay { .. }
    ));
    five.partition(&[vec![1, 2], vec![3, 4, 5]]);
    assert_eq!(cut(&five), between(&[1, 2], &[3, 4, 5]));
    assert_eq!(five.link(1, 2).unwrap().fault(), Fault::Pass);
    five.partition(&[vec![1, 2, 3]]); // 4 and 5 are alone
    let alone = between(&[4], &[1, 2, 3, 5])
        .union(&between(&[5], &[1, 2, 3]))
        .copied()
        .collect();
    assert_eq!(cut(&five), alone);
    five.bridge(&[1, 2], 3, &[4, 5]);
    assert_eq!(cut(&five), between(&[1, 2], &[4, 5]));
    five.heal();
    assert!(cut(&five).is_empty());
}

/// What node `i` sees: itself and every node its link passes to.
fn visible(net: &Net, i: u64) -> BTreeSet<u64> {
    net.nodes()
        .into_iter()
        .filter(|&j| !net.blocked(i, j))
        .collect()
}

#[tokio::test]
async fn ring_gives_each_node_its_own_majority() {
    for n in [3, 4, 5, 6, 7] {
        let net = net(n);
        net.ring();
        let sets: BTreeSet<_> = (1..=n).map(|i| visible(&net, i)).collect();
        for set in &sets {
            assert_eq!(
                set.len() as u64,
                n / 2 + 1,
                "n = {n}: {set:?} is not a bare majority"
            );
        }
        assert_eq!(sets.len() as u64, n, "n = {n}: two nodes see the same set");
    }
    let five = net(5);
    five.ring(); // ±1 around the circle 1 2 3 4 5, cut both ways
    assert_eq!(visible(&five, 1), BTreeSet::from([5, 1, 2]));
    assert_eq!(visible(&five, 3), BTreeSet::from([2, 3, 4]));
    assert_eq!(
        cut(&five),
        between(&[1], &[3, 4])
            .union(&between(&[2], &[4, 5]))
            .chain(&between(&[3], &[5]))
            .copied()
            .collect()
    );
    let three = net(3);
    three.ring(); // each node reaches its predecessor only
    assert_eq!(cut(&three), BTreeSet::from([(1, 2), (2, 3), (3, 1)]));
}

#[tokio::test]
async fn net_forwards_through_its_links_and_describes_itself() {
    within(10, async {
        let mut nodes = Vec::new();
        for id in 1..=3 {
            nodes.push((id, echo_server().await));
        }
        let net = Net::new(&nodes, 8).unwrap();
        let via = net.via(1);
        assert_eq!(via.len(), 2);
        assert_eq!(via[0], (nodes[1].1, net.link_addr(1, 2).unwrap()));
        assert_eq!(net.link_addr(1, 1), None);
        let mut to2 = TcpStream::connect(via[0].1).await.unwrap();
        round_trip(&mut to2, b"1 to 2").await;
        assert_eq!(net.link(1, 2).unwrap().stats().to_target, 6);

        assert_eq!(net.describe(), "all links pass");
        net.isolate(3);
        net.delay(&[(1, 2)], Duration::from_millis(5), Duration::ZERO);
        net.loss(&[(1, 2), (2, 1)], 0.25);
        net.set(2, 1, Fault::Blackhole);
        assert_eq!(
            net.describe(),
            "loss(p=0.25){1->2}; blackhole{1<->3 2->1 2<->3}"
        );
        net.heal();
        // Link (1, 2) was never blackholed: its connection survives the heal.
        round_trip(&mut to2, b"still there").await;
    })
    .await;
}
