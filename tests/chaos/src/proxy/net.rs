//! [`Net`]: the links of one cluster and the shapes of Jepsen's network nemeses.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::{Fault, Link};

/// Every directed link of a cluster: link (i, j) is what node i dials to reach node j.
///
/// "i sees j" means link (i, j) is not blackholed: i's connections to j carry requests and
/// responses. Links are directed, so a fault may be one-way ([`Net::ring`] uses that). A shape
/// method sets the links it touches and leaves the others as they were; the partition shapes
/// ([`Net::partition`], [`Net::bridge`], [`Net::ring`]) touch every link, [`Net::heal`] sets every
/// link to [`Fault::Pass`].
///
/// Node ids that are not in the cluster make the shape methods panic: they are test bugs.
#[derive(Debug)]
pub struct Net {
    /// The nodes in the order given to [`Net::new`] (the ring order).
    nodes: Vec<(u64, SocketAddr)>,
    links: BTreeMap<(u64, u64), Link>,
}

/// A well-mixed seed for link (i, j) of a net seeded with `seed` (splitmix64).
fn link_seed(seed: u64, i: u64, j: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ j.rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Net {
    /// Starts a [`Link`] for every ordered pair (i, j), i ≠ j, of `nodes` (node id, real peer
    /// address on loopback), all passing. `seed` derives each link's seed.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(nodes: &[(u64, SocketAddr)], seed: u64) -> io::Result<Net> {
        let ids: BTreeSet<u64> = nodes.iter().map(|(id, _)| *id).collect();
        if ids.len() != nodes.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "duplicate node id",
            ));
        }
        let mut links = BTreeMap::new();
        for &(i, _) in nodes {
            for &(j, target) in nodes {
                if i != j {
                    links.insert((i, j), Link::start(target, link_seed(seed, i, j))?);
                }
            }
        }
        Ok(Net {
            nodes: nodes.to_vec(),
            links,
        })
    }

    /// The node ids, in the order given to [`Net::new`].
    pub fn nodes(&self) -> Vec<u64> {
        self.nodes.iter().map(|(id, _)| *id).collect()
    }

    /// Every directed link (i, j), sorted: handy for [`Net::delay`] and [`Net::loss`].
    pub fn links(&self) -> Vec<(u64, u64)> {
        self.links.keys().copied().collect()
    }

    /// What node `i` must dial instead of each peer: (j's real address, link (i, j)'s address).
    pub fn via(&self, i: u64) -> Vec<(SocketAddr, SocketAddr)> {
        self.nodes
            .iter()
            .filter_map(|&(j, real)| Some((real, self.links.get(&(i, j))?.addr())))
            .collect()
    }

    /// The address of link (i, j), if both are nodes and i ≠ j.
    pub fn link_addr(&self, i: u64, j: u64) -> Option<SocketAddr> {
        self.link(i, j).map(Link::addr)
    }

    /// Link (i, j) itself (its counters, its fault), if both are nodes and i ≠ j.
    pub fn link(&self, i: u64, j: u64) -> Option<&Link> {
        self.links.get(&(i, j))
    }

    /// Sets one link (for shapes the methods below do not make).
    ///
    /// # Panics
    /// If there is no link (i, j).
    pub fn set(&self, i: u64, j: u64, fault: Fault) {
        self.links
            .get(&(i, j))
            .unwrap_or_else(|| panic!("no link {i}->{j}"))
            .set(fault);
    }

    /// Whether node `i`'s connections to `j` are blackholed (false for i = j).
    ///
    /// # Panics
    /// If `i` or `j` is not a node.
    pub fn blocked(&self, i: u64, j: u64) -> bool {
        self.check(i);
        self.check(j);
        i != j && self.links[&(i, j)].fault() == Fault::Blackhole
    }

    /// Every link passes (Jepsen's `net/heal!`). Blackholed connections are closed.
    pub fn heal(&self) {
        for link in self.links.values() {
            link.set(Fault::Pass);
        }
    }

    /// Cuts `node` off, both ways (Jepsen's `partition-random-node`). Touches only its links.
    pub fn isolate(&self, node: u64) {
        self.check(node);
        for (&(i, j), link) in &self.links {
            if i == node || j == node {
                link.set(Fault::Blackhole);
            }
        }
    }

    /// Links between different groups are blackholed both ways, links inside a group pass
    /// (Jepsen's `partition-random-halves`, `partition-majorities-ring`'s cousins, any grudge
    /// made of components). A node in no group is alone. Touches every link.
    ///
    /// # Panics
    /// If a node is unknown or in two groups.
    pub fn partition(&self, groups: &[Vec<u64>]) {
        let mut group_of = BTreeMap::new();
        for (g, group) in groups.iter().enumerate() {
            for &n in group {
                self.check(n);
                assert!(group_of.insert(n, g).is_none(), "node {n} is in two groups");
            }
        }
        self.shape(|i, j| match (group_of.get(&i), group_of.get(&j)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        });
    }

    /// Jepsen's `partition-bridge`: `a` and `b` cannot talk to each other, `bridge_node` talks
    /// to both; links inside `a` and inside `b` pass. A node named nowhere is alone. Touches
    /// every link.
    ///
    /// # Panics
    /// If a node is unknown or named twice.
    pub fn bridge(&self, a: &[u64], bridge_node: u64, b: &[u64]) {
        let mut side = BTreeMap::new();
        let named = a.iter().map(|&n| (n, 'a'));
        let named = named.chain(b.iter().map(|&n| (n, 'b')));
        for (n, s) in named.chain([(bridge_node, '=')]) {
            self.check(n);
            assert!(side.insert(n, s).is_none(), "node {n} is named twice");
        }
        self.shape(|i, j| match (side.get(&i), side.get(&j)) {
            (Some(x), Some(y)) => x == y || *x == '=' || *y == '=',
            _ => false,
        });
    }

    /// Jepsen's `partition-majorities-ring`: every node sees a majority, and (for n ≥ 3) no two
    /// nodes see the same majority.
    ///
    /// Precisely: put the n nodes on a circle in the order given to [`Net::new`] (shuffle that
    /// order to vary the ring), let m = ⌊n/2⌋ + 1 be a majority, and give the node at position p
    /// the window of m consecutive positions in which it sits at index ⌊m/2⌋ (as Jepsen does):
    /// p − ⌊m/2⌋ ..= p + (m − 1 − ⌊m/2⌋). Link (i, j) passes iff j is in i's window, otherwise it
    /// is blackholed; so i's visible set ({i} ∪ {j : link (i, j) passes}) is its window, exactly
    /// m nodes, and windows of distinct positions differ. For odd m (n = 4, 5, 8, 9, …) windows
    /// are symmetric (±(m − 1)/2: n = 5 → each node sees its two neighbours) and the cut is
    /// two-way. For even m (n = 3, 6, 7, …) they lean back, and some links are cut one way only
    /// (n = 3: each node reaches its predecessor, not its successor). Jepsen's grudges drop
    /// inbound packets, which at the TCP level cuts a pair both ways if either side holds the
    /// grudge, so for even m a node there sees fewer than a majority; directed links keep the
    /// intent. Touches every link.
    pub fn ring(&self) {
        let n = self.nodes.len();
        let m = n / 2 + 1;
        let back = m / 2;
        let pos: BTreeMap<u64, usize> = self.nodes().into_iter().zip(0..).collect();
        self.shape(|i, j| {
            // Distance from i's window start (p − back) to j, walking forward around the ring.
            let from_start = (pos[&j] + n + back - pos[&i]) % n;
            from_start < m
        });
    }

    /// Delays the given links (Jepsen's `net/slow!`): see [`Fault::Delay`].
    pub fn delay(&self, links: &[(u64, u64)], mean: Duration, jitter: Duration) {
        for &(i, j) in links {
            self.set(i, j, Fault::Delay { mean, jitter });
        }
    }

    /// Makes the given links lossy (Jepsen's `net/flaky!`): see [`Fault::Loss`].
    pub fn loss(&self, links: &[(u64, u64)], p: f64) {
        for &(i, j) in links {
            self.set(i, j, Fault::Loss { p });
        }
    }

    /// One line naming the current faults, for the run log: `all links pass`, or each fault
    /// with its links, `a<->b` for a pair with the same fault both ways and `a->b` otherwise,
    /// e.g. `blackhole{1<->3 2<->3}; delay(100ms±10ms){1->2}`.
    pub fn describe(&self) -> String {
        let mut by_fault: Vec<(String, Vec<String>)> = Vec::new();
        for (&(i, j), link) in &self.links {
            let fault = link.fault();
            if fault == Fault::Pass {
                continue;
            }
            let both = self.links[&(j, i)].fault() == fault;
            if both && j < i {
                continue; // written as j<->i already
            }
            let edge = if both {
                format!("{i}<->{j}")
            } else {
                format!("{i}->{j}")
            };
            let name = fault.to_string();
            match by_fault.iter_mut().find(|(f, _)| *f == name) {
                Some((_, edges)) => edges.push(edge),
                None => by_fault.push((name, vec![edge])),
            }
        }
        if by_fault.is_empty() {
            return "all links pass".into();
        }
        let parts: Vec<String> = by_fault
            .into_iter()
            .map(|(f, edges)| format!("{f}{{{}}}", edges.join(" ")))
            .collect();
        parts.join("; ")
    }

    /// Sets every link to pass if `sees(i, j)`, blackholed otherwise.
    fn shape(&self, sees: impl Fn(u64, u64) -> bool) {
        for (&(i, j), link) in &self.links {
            link.set(if sees(i, j) {
                Fault::Pass
            } else {
                Fault::Blackhole
            });
        }
    }

    fn check(&self, node: u64) {
        assert!(
            self.nodes.iter().any(|(id, _)| *id == node),
            "node {node} is not in the cluster"
        );
    }
}
