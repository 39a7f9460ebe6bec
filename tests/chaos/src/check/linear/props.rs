//! Property tests: random histories of a simulated real register (always linearizable),
//! corruptions of them (caught), a brute-force cross-check on small histories, and a big
//! history to keep the search honest about speed.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type E = Entry<RegOp, RegOutput>;

fn verdict(h: &[E]) -> Verdict {
    check(&RegisterModel, h, 5_000_000)
}

/// Simulates a real sequential register per key under `processes` clients issuing
/// `per_process` operations one after another with random gaps and durations. Each operation
/// takes effect at a random instant of its window; an Info one (rate `info`) either takes
/// effect at a random instant after its call (possibly after the client gave up) or never.
struct Sim {
    processes: usize,
    per_process: usize,
    keys: usize,
    /// Values written are drawn from `0..values`.
    values: i64,
    /// The rate of Info operations.
    info: f64,
    /// Largest gap between a process's operations, and largest duration of one.
    gap: u64,
    dur: u64,
}

fn simulate(rng: &mut StdRng, sim: Sim) -> Vec<E> {
    let Sim {
        processes,
        per_process,
        keys,
        values,
        info,
        gap,
        dur,
    } = sim;
    let mut ops = Vec::new();
    let mut effects = Vec::new();
    for p in 0..processes {
        let mut t = rng.gen_range(0..=gap);
        for _ in 0..per_process {
            let d = rng.gen_range(0..=dur);
            let key = format!("k{}", rng.gen_range(0..keys));
            let op = match rng.gen_range(0..10) {
                0..=3 => RegInput::Read,
                4..=7 => RegInput::Write(rng.gen_range(0..values)),
                _ => RegInput::Cas {
                    from: rng.gen_range(0..values),
                    to: rng.gen_range(0..values),
                },
            };
            let is_info = rng.gen_bool(info);
            let at = if is_info {
                t + rng.gen_range(0..=3 * d)
            } else {
                t + rng.gen_range(0..=d)
            };
            if !is_info || rng.gen_bool(0.5) {
                effects.push((at, ops.len()));
            }
            let outcome = if is_info { Outcome::Info } else { Outcome::Ok };
            ops.push(Entry {
                process: p,
                call_ns: t,
                return_ns: t + d,
                input: RegOp { key, op },
                output: None,
                outcome,
            });
            t += d + rng.gen_range(0..=gap);
        }
    }
    effects.sort();
    let mut reg: BTreeMap<String, Option<i64>> = BTreeMap::new();
    for (_, i) in effects {
        let state = reg.entry(ops[i].input.key.clone()).or_default();
        let out = match ops[i].input.op {
            RegInput::Read => RegOutput::Read(*state),
            RegInput::Write(v) => {
                *state = Some(v);
                RegOutput::Written
            }
            RegInput::Cas { from, to } => {
                let ok = *state == Some(from);
                if ok {
                    *state = Some(to);
                }
                RegOutput::Cas(ok)
            }
        };
        if ops[i].outcome == Outcome::Ok {
            ops[i].output = Some(out);
        }
    }
    ops
}

#[test]
fn random_register_histories_are_linearizable() {
    for seed in 0..300 {
        let mut rng = StdRng::seed_from_u64(seed);
        let (processes, per_process, keys) = (
            rng.gen_range(2..=5),
            rng.gen_range(5..=40),
            rng.gen_range(1..=3),
        );
        let sim = Sim {
            processes,
            per_process,
            keys,
            values: 4,
            info: 0.1,
            gap: 20,
            dur: 60,
        };
        let h = simulate(&mut rng, sim);
        let v = verdict(&h);
        assert!(v.is_linearizable(), "seed {seed}: {v}");
    }
}

/// The state a quiescent op (overlapping no other op of its key) leaves, if its output fixes it.
fn fixes(x: &E) -> Option<Option<i64>> {
    match (x.input.op, x.output?) {
        (RegInput::Write(v), _) => Some(Some(v)),
        (RegInput::Read, RegOutput::Read(v)) => Some(v),
        (RegInput::Cas { to, .. }, RegOutput::Cas(true)) => Some(Some(to)),
        _ => None,
    }
}

#[test]
fn corrupting_a_read_with_no_concurrency_is_caught() {
    let mut corrupted = 0;
    for seed in 0..300 {
        let mut rng = StdRng::seed_from_u64(1000 + seed);
        let (processes, per_process) = (rng.gen_range(2..=4), rng.gen_range(10..=40));
        let sim = Sim {
            processes,
            per_process,
            keys: 2,
            values: 4,
            info: 0.1,
            gap: 80,
            dur: 30,
        };
        let h = simulate(&mut rng, sim);
        let overlap = |a: &E, b: &E| {
            a.call_ns <= b.effective_return_ns() && b.call_ns <= a.effective_return_ns()
        };
        let quiet = |i: usize| {
            h.iter()
                .enumerate()
                .all(|(j, o)| j == i || o.input.key != h[i].input.key || !overlap(&h[i], o))
        };
        // A quiescent Ok read whose state is pinned: nothing of its key happened between it and
        // the quiescent op before it that fixes the state (or it is the key's first op).
        let mut candidates = Vec::new();
        for (i, x) in h.iter().enumerate() {
            if x.input.op != RegInput::Read || x.outcome != Outcome::Ok || !quiet(i) {
                continue;
            }
            let before: Vec<usize> = (0..h.len())
                .filter(|&j| {
                    h[j].input.key == x.input.key && h[j].effective_return_ns() < x.call_ns
                })
                .collect();
            let pinned = match before.iter().max_by_key(|&&j| h[j].return_ns) {
                None => Some(None),
                Some(&j) if quiet(j) => fixes(&h[j]),
                Some(_) => None,
            };
            if let Some(state) = pinned {
                candidates.push((i, state));
            }
        }
        if candidates.is_empty() {
            continue;
        }
        let (i, state) = candidates[rng.gen_range(0..candidates.len())];
        assert_eq!(
            h[i].output,
            Some(RegOutput::Read(state)),
            "seed {seed}: the simulation is wrong"
        );
        let wrong = loop {
            let v = if rng.gen_bool(0.2) {
                None
            } else {
                Some(rng.gen_range(0..5))
            };
            if v != state {
                break v;
            }
        };
        let mut bad = h.clone();
        bad[i].output = Some(RegOutput::Read(wrong));
        match verdict(&bad) {
            Verdict::NotLinearizable { detail, .. } => {
                assert!(detail.contains(&format!("#{i} ")), "seed {seed}: {detail}")
            }
            v => panic!("seed {seed}: read #{i} changed {state:?} -> {wrong:?}, got {v}"),
        }
        corrupted += 1;
    }
    assert!(
        corrupted > 200,
        "only {corrupted} histories had a read to corrupt"
    );
}

/// Independent oracle: tries every order consistent with real time (Info ops optional).
fn brute(h: &[E]) -> bool {
    fn go(ops: &[&E], placed: &mut [bool], state: Option<i64>) -> bool {
        if ops
            .iter()
            .zip(placed.iter())
            .all(|(o, p)| *p || o.outcome == Outcome::Info)
        {
            return true;
        }
        for i in 0..ops.len() {
            let blocked = (0..ops.len()).any(|j| {
                !placed[j] && ops[j].outcome == Outcome::Ok && ops[j].return_ns < ops[i].call_ns
            });
            if placed[i] || blocked {
                continue;
            }
            let out = ops[i]
                .output
                .as_ref()
                .filter(|_| ops[i].outcome == Outcome::Ok);
            for next in RegisterModel.step(&state, &ops[i].input, out) {
                placed[i] = true;
                if go(ops, placed, next) {
                    return true;
                }
                placed[i] = false;
            }
        }
        false
    }
    let ops: Vec<&E> = h.iter().filter(|o| o.outcome != Outcome::Fail).collect();
    go(&ops, &mut vec![false; ops.len()], None)
}

#[test]
fn agrees_with_brute_force_on_small_histories() {
    let (mut good, mut bad) = (0, 0);
    for seed in 0..1500 {
        let mut rng = StdRng::seed_from_u64(5000 + seed);
        let (processes, per_process) = (rng.gen_range(2..=3), rng.gen_range(1..=3));
        let sim = Sim {
            processes,
            per_process,
            keys: 1,
            values: 3,
            info: 0.15,
            gap: 10,
            dur: 30,
        };
        let mut h = simulate(&mut rng, sim);
        if rng.gen_bool(0.8) {
            let reads: Vec<usize> = (0..h.len()).filter(|&i| h[i].output.is_some()).collect();
            if let Some(&i) = reads.get(rng.gen_range(0..reads.len().max(1))) {
                h[i].output = match h[i].input.op {
                    RegInput::Read => Some(RegOutput::Read(
                        Some(rng.gen_range(0..3)).filter(|_| rng.gen_bool(0.8)),
                    )),
                    RegInput::Cas { .. } => Some(RegOutput::Cas(rng.gen_bool(0.5))),
                    RegInput::Write(_) => h[i].output,
                };
            }
        }
        let expected = brute(&h);
        let v = verdict(&h);
        assert_eq!(v.is_linearizable(), expected, "seed {seed}: {v}\n{h:#?}");
        assert!(!matches!(v, Verdict::Unknown { .. }));
        if expected {
            good += 1
        } else {
            bad += 1
        }
    }
    assert!(good > 300 && bad > 300, "good {good}, bad {bad}");
}

#[test]
fn big_history_checks_quickly() {
    // 5 processes × 2,000 ops on 20 keys: calls last up to 2,000 ns with gaps of at most 10,
    // so each overlaps calls of every other process; few distinct values; 5% Info.
    let mut rng = StdRng::seed_from_u64(42);
    let sim = Sim {
        processes: 5,
        per_process: 2_000,
        keys: 20,
        values: 10,
        info: 0.05,
        gap: 10,
        dur: 2_000,
    };
    let mut h = simulate(&mut rng, sim);
    let v = check(&RegisterModel, &h, 50_000_000);
    assert!(v.is_linearizable(), "{v}");
    // A late read made impossible is found (not given up on) and named.
    let j = (0..h.len())
        .rev()
        .find(|&j| h[j].input.op == RegInput::Read && h[j].outcome == Outcome::Ok)
        .unwrap();
    h[j].output = Some(RegOutput::Read(Some(-1)));
    match check(&RegisterModel, &h, 50_000_000) {
        Verdict::NotLinearizable { key, detail } => {
            assert_eq!(key, h[j].input.key);
            assert!(detail.contains(&format!("#{j} ")), "{detail}");
        }
        v => panic!("{v}"),
    }
}
