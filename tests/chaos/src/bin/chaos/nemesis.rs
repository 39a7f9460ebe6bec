//! The nemesis: a fault schedule drawn from the run's seed, applied to the live cluster.
//!
//! The schedule (which faults, in which order, how long each is held, which candidate each
//! picks) is a pure function of the seed, so a seed replays the same schedule; what a step
//! resolves at run time ("the leader") is printed in the run log as it happens.

use crate::cluster::Cluster;
use iamd_chaos::proxy::Fault as LinkFault;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::Duration;

/// The kinds of fault a schedule draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub enum Kind {
    /// kill -9 one node (the leader or any), restarted on heal.
    KillLeader,
    KillAny,
    /// kill -9 a minority at once.
    KillMinority,
    /// SIGSTOP, SIGCONT on heal.
    PauseLeader,
    PauseAny,
    /// Partitions through the link proxies.
    IsolateLeader,
    IsolateAny,
    LeaderInMinority,
    LeaderInMajority,
    Ring,
    Bridge,
    /// 75 ± 50 ms on every link of one node.
    Delay,
    /// 50 % loss on every link of one node.
    Loss,
    /// Membership: add a spare; remove a follower; remove the leader.
    AddNode,
    RemoveNode,
    RemoveLeader,
    /// A minority's wall clocks jump (each by its own offset, ahead or behind: from 0.6 s
    /// to 20 min), put right on heal. The leader may be among them.
    ClockSkew,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::KillLeader,
        Kind::KillAny,
        Kind::KillMinority,
        Kind::PauseLeader,
        Kind::PauseAny,
        Kind::IsolateLeader,
        Kind::IsolateAny,
        Kind::LeaderInMinority,
        Kind::LeaderInMajority,
        Kind::Ring,
        Kind::Bridge,
        Kind::Delay,
        Kind::Loss,
        Kind::AddNode,
        Kind::RemoveNode,
        Kind::RemoveLeader,
        Kind::ClockSkew,
    ];

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::KillLeader => "kill-leader",
            Kind::KillAny => "kill",
            Kind::KillMinority => "kill-minority",
            Kind::PauseLeader => "pause-leader",
            Kind::PauseAny => "pause",
            Kind::IsolateLeader => "isolate-leader",
            Kind::IsolateAny => "isolate",
            Kind::LeaderInMinority => "leader-in-minority",
            Kind::LeaderInMajority => "leader-in-majority",
            Kind::Ring => "ring",
            Kind::Bridge => "bridge",
            Kind::Delay => "delay",
            Kind::Loss => "loss",
            Kind::AddNode => "add-node",
            Kind::RemoveNode => "remove-node",
            Kind::RemoveLeader => "remove-leader",
            Kind::ClockSkew => "clock-skew",
        }
    }

    /// Faults after which the time to the next acknowledged write measures a leader's
    /// replacement.
    pub fn loses_leader(self) -> bool {
        matches!(
            self,
            Kind::KillLeader
                | Kind::PauseLeader
                | Kind::IsolateLeader
                | Kind::LeaderInMinority
                | Kind::RemoveLeader
        )
    }
}

/// One step of a schedule.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub kind: Kind,
    /// Chooses among the candidates at run time (index mod their count).
    pub pick: u64,
    pub hold_ms: u64,
    pub rest_ms: u64,
}

/// The schedule of a run: steps until `duration` is filled. The first steps go through
/// `kinds` in order (so a short run still has each kind once), then kinds are drawn.
pub fn schedule(seed: u64, kinds: &[Kind], duration: Duration, hold: (u64, u64)) -> Vec<Step> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut steps = Vec::new();
    let mut total = 0u64;
    let mut first: Vec<Kind> = kinds.to_vec();
    first.shuffle(&mut rng);
    while total < duration.as_millis() as u64 && !kinds.is_empty() {
        let kind = if steps.len() < first.len() {
            first[steps.len()]
        } else {
            kinds[rng.gen_range(0..kinds.len())]
        };
        let step = Step {
            kind,
            pick: rng.gen(),
            hold_ms: rng.gen_range(hold.0..=hold.1),
            rest_ms: rng.gen_range(1_000..=2_500),
        };
        total += step.hold_ms + step.rest_ms;
        steps.push(step);
    }
    steps
}

/// What a step did, to be undone on heal.
#[derive(Debug, Default)]
pub struct Applied {
    pub killed: Vec<u64>,
    pub paused: Vec<u64>,
    /// Nodes whose clocks were skewed, and by how much (ms).
    pub skewed: Vec<(u64, i64)>,
    pub net: bool,
    /// What happened, for the log ("kill-leader: killed 3").
    pub description: String,
    /// The fault could not apply here (e.g. no spare to add): nothing was done.
    pub skipped: bool,
}

fn pick<T: Copy>(v: &[T], pick: u64) -> Option<T> {
    (!v.is_empty()).then(|| v[(pick % v.len() as u64) as usize])
}

/// The links out of and into `node` among `members`.
fn links_of(node: u64, members: &[u64]) -> Vec<(u64, u64)> {
    members
        .iter()
        .filter(|m| **m != node)
        .flat_map(|m| [(node, *m), (*m, node)])
        .collect()
}

/// Jepsen's majorities ring over `members` in order: links between nodes further apart on
/// the circle than `max(1, (n-1)/4)` are cut, so each node sees a majority, a different one
/// for each node when n = 5. With 3 nodes the circle has no such links; the link between the
/// first and the last is cut (each end sees a majority through the middle).
pub fn ring_cuts(members: &[u64]) -> Vec<(u64, u64)> {
    let n = members.len();
    if n < 3 {
        return Vec::new();
    }
    if n == 3 {
        return vec![(members[0], members[2]), (members[2], members[0])];
    }
    let reach = ((n - 1) / 4).max(1);
    let mut cuts = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let d = i.abs_diff(j);
            if i != j && d.min(n - d) > reach {
                cuts.push((members[i], members[j]));
            }
        }
    }
    cuts
}

/// A clock jump: ahead or behind, small (0.6–3 s: past iamd's 500 ms tolerance, within
/// SigV4's 15 minutes) or large (1–20 min), half of each.
fn skew_offset(rng: &mut impl Rng) -> i64 {
    let ms = if rng.gen_bool(0.5) {
        rng.gen_range(600..=3_000)
    } else {
        rng.gen_range(60_000..=1_200_000)
    };
    if rng.gen_bool(0.5) {
        ms
    } else {
        -ms
    }
}

/// Applies `step` to the cluster.
pub async fn apply(c: &mut Cluster, step: &Step) -> Applied {
    let members = c.members();
    let leader = c.leader().await;
    let mut a = Applied::default();
    let others: Vec<u64> = members
        .iter()
        .copied()
        .filter(|m| Some(*m) != leader)
        .collect();
    let any = pick(&members, step.pick);
    let minority = (members.len() - 1) / 2;
    // The partition's other nodes: every node of the net that is not in `group` (spares
    // included, so that the shape covers every link).
    let rest = |c: &Cluster, group: &[u64]| -> Vec<u64> {
        c.net
            .nodes()
            .into_iter()
            .filter(|n| !group.contains(n))
            .collect()
    };
    match step.kind {
        Kind::KillLeader | Kind::KillAny => {
            let target = if step.kind == Kind::KillLeader {
                leader
            } else {
                any
            };
            if let Some(t) = target {
                c.kill(t);
                a.killed.push(t);
            }
        }
        Kind::KillMinority => {
            let mut v = members.clone();
            v.shuffle(&mut rand::rngs::StdRng::seed_from_u64(step.pick));
            for t in v.into_iter().take(minority) {
                c.kill(t);
                a.killed.push(t);
            }
        }
        Kind::PauseLeader | Kind::PauseAny => {
            let target = if step.kind == Kind::PauseLeader {
                leader
            } else {
                any
            };
            if let Some(t) = target {
                c.pause(t);
                a.paused.push(t);
            }
        }
        Kind::IsolateLeader | Kind::IsolateAny => {
            let target = if step.kind == Kind::IsolateLeader {
                leader
            } else {
                any
            };
            if let Some(t) = target {
                c.net.isolate(t);
                a.net = true;
            }
        }
        Kind::LeaderInMinority | Kind::LeaderInMajority => {
            let mut v = others.clone();
            v.shuffle(&mut rand::rngs::StdRng::seed_from_u64(step.pick));
            let mut small: Vec<u64> = Vec::new();
            if step.kind == Kind::LeaderInMinority {
                small.extend(leader);
                small.extend(v.iter().take(minority.saturating_sub(1)));
            } else {
                small.extend(v.iter().take(minority));
            }
            if !small.is_empty() {
                let big = rest(c, &small);
                c.net.partition(&[small, big]);
                a.net = true;
            }
        }
        Kind::Ring => {
            let mut v = members.clone();
            v.shuffle(&mut rand::rngs::StdRng::seed_from_u64(step.pick));
            for (i, j) in ring_cuts(&v) {
                c.net.set(i, j, LinkFault::Blackhole);
            }
            a.net = true;
        }
        Kind::Bridge => {
            let mut v = members.clone();
            v.shuffle(&mut rand::rngs::StdRng::seed_from_u64(step.pick));
            if v.len() >= 3 {
                let bridge = v[0];
                let half = (v.len() - 1) / 2;
                let side_a: Vec<u64> = v[1..=half].to_vec();
                let side_b: Vec<u64> = rest(c, &[&side_a[..], &[bridge]].concat());
                c.net.bridge(&side_a, bridge, &side_b);
                a.net = true;
            }
        }
        Kind::Delay | Kind::Loss => {
            if let Some(t) = any {
                let links = links_of(t, &members);
                if step.kind == Kind::Delay {
                    c.net
                        .delay(&links, Duration::from_millis(75), Duration::from_millis(50));
                } else {
                    c.net.loss(&links, 0.5);
                }
                a.net = true;
            }
        }
        Kind::ClockSkew => {
            let mut rng = rand::rngs::StdRng::seed_from_u64(step.pick);
            let mut v = members.clone();
            v.shuffle(&mut rng);
            for t in v.into_iter().take(minority.max(1)) {
                let offset = skew_offset(&mut rng);
                match c.skew_clock(t, offset) {
                    Ok(()) => a.skewed.push((t, offset)),
                    Err(e) => eprintln!("clock skew of node {t} failed: {e:#}"),
                }
            }
        }
        Kind::AddNode => match c.spare() {
            Some(id) if members.len() < c.initial + 2 => {
                if let Err(e) = c.add(id).await {
                    a.description = format!("add-node {id} failed to start: {e:#}");
                }
            }
            _ => a.skipped = true,
        },
        Kind::RemoveNode | Kind::RemoveLeader => {
            // Keep at least the initial voters (and never fewer than three).
            let target = if step.kind == Kind::RemoveLeader {
                leader
            } else {
                pick(&others, step.pick)
            };
            match target {
                Some(t) if members.len() > c.initial.max(3) => match c.remove(t).await {
                    Ok(index) => {
                        c.kill(t);
                        a.description = format!("removed node {t} at index {index}");
                    }
                    Err(e) => a.description = format!("remove {t} failed: {e:#}"),
                },
                _ => a.skipped = true,
            }
        }
    }
    if a.skipped && a.description.is_empty() {
        a.description = format!(
            "{} skipped (voters {:?}, spares left {:?})",
            step.kind.name(),
            members,
            c.spare()
        );
    }
    if a.description.is_empty() {
        a.description = format!(
            "{} (leader {:?}) killed {:?} paused {:?} clocks {:?}{}",
            step.kind.name(),
            leader,
            a.killed,
            a.paused,
            a.skewed,
            if a.net {
                format!(" net: {}", c.net.describe())
            } else {
                String::new()
            }
        );
    }
    a
}

/// Undoes a step: the network heals, paused nodes resume, killed members restart.
pub fn heal(c: &mut Cluster, a: &Applied) {
    if a.net {
        c.net.heal();
    }
    for id in &a.paused {
        c.resume(*id);
    }
    for (id, _) in &a.skewed {
        if let Err(e) = c.skew_clock(*id, 0) {
            eprintln!("clock of node {id} not put right: {e:#}");
        }
    }
    for id in &a.killed {
        if c.members().contains(id) {
            if let Err(e) = c.spawn(*id) {
                eprintln!("restart of node {id} failed: {e:#}");
            }
        }
    }
}
