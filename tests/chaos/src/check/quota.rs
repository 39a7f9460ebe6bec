//! Usage caps (bank-like): clients acquire and release units of named caps, each with a limit,
//! and read the usage. Per cap the checker requires:
//!
//! 1. no read ever shows `used` above the limit (the one it reports or the configured one):
//!    an *overrun*;
//! 2. the final usage is explained by the history. Granted acquires and released releases
//!    that were acknowledged certainly happened, refused or failed ones certainly did not,
//!    and Info ones may or may not have. So the final usage must lie in
//!    `[granted − released − released_info, granted + acquired_info − released]` (one value
//!    when nothing is Info). Above is a *double-count* (e.g. a retried acquire applied
//!    twice), below is *lost* (an acknowledged acquire forgotten);
//! 3. the final usage is within the limit (*over-limit*).
//!
//! A refusal because the limit was reached is a business answer: it is recorded with outcome
//! Ok and output [`QuotaOutput::Refused`], and changes nothing.

use crate::check::linear::describe;
use crate::history::{Entry, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QuotaInput {
    Acquire { cap: String, amount: u64 },
    Release { cap: String, amount: u64 },
    Read { cap: String },
}

impl QuotaInput {
    pub fn cap(&self) -> &str {
        match self {
            QuotaInput::Acquire { cap, .. }
            | QuotaInput::Release { cap, .. }
            | QuotaInput::Read { cap } => cap,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QuotaOutput {
    Granted,
    /// The limit was reached; nothing changed.
    Refused,
    Released,
    Usage {
        used: u64,
        limit: u64,
    },
}

/// What the history says about one cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapTally {
    /// Units of acknowledged granted acquires.
    pub granted: u64,
    /// Units of acquires whose result is unknown.
    pub acquired_info: u64,
    /// Units of acknowledged releases.
    pub released: u64,
    /// Units of releases whose result is unknown.
    pub released_info: u64,
    pub refused: usize,
    pub reads: usize,
    /// The bounds the final usage must lie in.
    pub low: i128,
    pub high: i128,
    pub final_usage: Option<u64>,
    pub limit: Option<u64>,
}

/// What [`check_quota`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaReport {
    pub caps: BTreeMap<String, CapTally>,
    /// Reads showing usage above the limit.
    pub overruns: Vec<String>,
    /// Final usage above what the history allows.
    pub double_count: Vec<String>,
    /// Final usage below what the history allows.
    pub lost: Vec<String>,
    /// Final usage above the limit.
    pub over_limit: Vec<String>,
    /// Entries whose output does not fit their input, caps with no final usage or limit.
    pub malformed: Vec<String>,
}

impl QuotaReport {
    /// Every problem, one line each; empty means the check passed.
    pub fn violations(&self) -> Vec<String> {
        let groups = [
            ("overrun", &self.overruns),
            ("double-count", &self.double_count),
            ("lost", &self.lost),
            ("over-limit", &self.over_limit),
            ("malformed", &self.malformed),
        ];
        groups
            .iter()
            .flat_map(|(kind, items)| items.iter().map(move |s| format!("{kind}: {s}")))
            .collect()
    }
}

/// Judges a quota history given each cap's usage and limit read at the end.
pub fn check_quota(
    entries: &[Entry<QuotaInput, QuotaOutput>],
    final_usage: &BTreeMap<String, u64>,
    limits: &BTreeMap<String, u64>,
) -> QuotaReport {
    let mut report = QuotaReport::default();
    let caps: BTreeSet<&str> = entries
        .iter()
        .map(|e| e.input.cap())
        .chain(final_usage.keys().map(String::as_str))
        .chain(limits.keys().map(String::as_str))
        .collect();
    for cap in caps {
        report.caps.insert(
            cap.to_string(),
            CapTally {
                final_usage: final_usage.get(cap).copied(),
                limit: limits.get(cap).copied(),
                ..CapTally::default()
            },
        );
    }
    for (i, e) in entries.iter().enumerate() {
        let t = report
            .caps
            .get_mut(e.input.cap())
            .expect("every cap was inserted");
        let fits = match (&e.input, e.outcome, &e.output) {
            (_, Outcome::Fail, _) => true,
            (QuotaInput::Acquire { amount, .. }, Outcome::Info, _) => {
                t.acquired_info += amount;
                true
            }
            (QuotaInput::Release { amount, .. }, Outcome::Info, _) => {
                t.released_info += amount;
                true
            }
            (QuotaInput::Read { .. }, Outcome::Info, _) => true,
            (QuotaInput::Acquire { amount, .. }, Outcome::Ok, Some(QuotaOutput::Granted)) => {
                t.granted += amount;
                true
            }
            (QuotaInput::Acquire { .. }, Outcome::Ok, Some(QuotaOutput::Refused)) => {
                t.refused += 1;
                true
            }
            (QuotaInput::Release { amount, .. }, Outcome::Ok, Some(QuotaOutput::Released)) => {
                t.released += amount;
                true
            }
            (QuotaInput::Read { .. }, Outcome::Ok, Some(QuotaOutput::Usage { used, limit })) => {
                t.reads += 1;
                let cap_limit = t.limit.map_or(*limit, |l| l.min(*limit));
                if *used > cap_limit {
                    report
                        .overruns
                        .push(format!("{} (limit {cap_limit})", describe(i, e)));
                }
                true
            }
            _ => false,
        };
        if !fits {
            report
                .malformed
                .push(format!("output does not fit the input: {}", describe(i, e)));
        }
    }
    for (cap, t) in &mut report.caps {
        t.low = i128::from(t.granted) - i128::from(t.released) - i128::from(t.released_info);
        t.high = i128::from(t.granted) + i128::from(t.acquired_info) - i128::from(t.released);
        let Some(used) = t.final_usage else {
            report
                .malformed
                .push(format!("cap {cap}: no final usage observed"));
            continue;
        };
        let range = format!(
            "cap {cap}: final usage {used}, history allows [{}, {}] (granted {}, info acquires {}, \
             released {}, info releases {})",
            t.low, t.high, t.granted, t.acquired_info, t.released, t.released_info
        );
        if i128::from(used) > t.high {
            report.double_count.push(range);
        } else if i128::from(used) < t.low {
            report.lost.push(range);
        }
        match t.limit {
            Some(limit) if used > limit => report
                .over_limit
                .push(format!("cap {cap}: final usage {used} > limit {limit}")),
            Some(_) => {}
            None => report.malformed.push(format!("cap {cap}: no limit given")),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        call: u64,
        input: QuotaInput,
        outcome: Outcome,
        output: Option<QuotaOutput>,
    ) -> Entry<QuotaInput, QuotaOutput> {
        Entry {
            process: (call % 3) as usize,
            call_ns: call,
            return_ns: call + 5,
            input,
            output,
            outcome,
        }
    }
    fn acq(cap: &str, amount: u64) -> QuotaInput {
        QuotaInput::Acquire {
            cap: cap.into(),
            amount,
        }
    }
    fn rel(cap: &str, amount: u64) -> QuotaInput {
        QuotaInput::Release {
            cap: cap.into(),
            amount,
        }
    }
    fn read(cap: &str) -> QuotaInput {
        QuotaInput::Read { cap: cap.into() }
    }
    fn map(items: &[(&str, u64)]) -> BTreeMap<String, u64> {
        items.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }
    use Outcome::{Fail, Info, Ok};
    use QuotaOutput::{Granted, Refused, Released, Usage};

    /// Cap `c` (limit 5): +2, +3, refused +1, read 5, -2, failed +4, read 3, and cap `d`
    /// (limit 10) with an Info acquire of 4 and an Info release of 1 after a grant of 2.
    fn clean() -> Vec<Entry<QuotaInput, QuotaOutput>> {
        vec![
            op(0, acq("c", 2), Ok, Some(Granted)),
            op(10, acq("c", 3), Ok, Some(Granted)),
            op(20, acq("c", 1), Ok, Some(Refused)),
            op(30, read("c"), Ok, Some(Usage { used: 5, limit: 5 })),
            op(40, rel("c", 2), Ok, Some(Released)),
            op(50, acq("c", 4), Fail, None),
            op(60, read("c"), Ok, Some(Usage { used: 3, limit: 5 })),
            op(70, read("c"), Info, None),
            op(0, acq("d", 2), Ok, Some(Granted)),
            op(10, acq("d", 4), Info, None),
            op(20, rel("d", 1), Info, None),
        ]
    }

    #[test]
    fn clean_history_passes_at_every_allowed_final_usage() {
        let limits = map(&[("c", 5), ("d", 10)]);
        // d: low = 2 - 1 = 1, high = 2 + 4 = 6.
        for d in 1..=6 {
            let r = check_quota(&clean(), &map(&[("c", 3), ("d", d)]), &limits);
            assert_eq!(r.violations(), Vec::<String>::new(), "d={d}");
        }
        let r = check_quota(&clean(), &map(&[("c", 3), ("d", 2)]), &limits);
        let c = &r.caps["c"];
        assert_eq!(
            (c.granted, c.released, c.refused, c.reads, c.low, c.high),
            (5, 2, 1, 2, 3, 3)
        );
        assert_eq!((r.caps["d"].low, r.caps["d"].high), (1, 6));
    }

    #[test]
    fn retried_acquire_applied_twice_is_a_double_count() {
        // The first attempt was refused as a clear Fail, the retry granted: the history
        // allows exactly one more unit, yet both applied (usage one amount too high).
        let mut h = clean();
        h.push(op(80, acq("c", 1), Fail, None));
        h.push(op(90, acq("c", 1), Ok, Some(Granted)));
        let r = check_quota(
            &h,
            &map(&[("c", 5), ("d", 2)]),
            &map(&[("c", 5), ("d", 10)]),
        );
        assert_eq!(r.double_count.len(), 1, "{r:?}");
        assert!(r.double_count[0].starts_with("cap c: final usage 5, history allows [4, 4]"));
        assert_eq!(r.violations().len(), 1);
        assert!(r.violations()[0].starts_with("double-count: cap c"));
        // And above the Info range on d.
        let r = check_quota(
            &clean(),
            &map(&[("c", 3), ("d", 7)]),
            &map(&[("c", 5), ("d", 10)]),
        );
        assert_eq!(r.double_count.len(), 1);
    }

    #[test]
    fn forgotten_acquire_is_lost() {
        let r = check_quota(
            &clean(),
            &map(&[("c", 1), ("d", 0)]),
            &map(&[("c", 5), ("d", 10)]),
        );
        assert_eq!(r.lost.len(), 2, "{r:?}");
        assert!(r.lost[0].starts_with("cap c: final usage 1"));
        assert!(r.lost[1].starts_with("cap d: final usage 0"));
    }

    #[test]
    fn overrun_read_is_caught() {
        let mut h = clean();
        h.push(op(100, read("c"), Ok, Some(Usage { used: 6, limit: 5 })));
        // A read claiming a higher limit than configured still overruns the configured one.
        h.push(op(110, read("c"), Ok, Some(Usage { used: 6, limit: 9 })));
        let r = check_quota(
            &h,
            &map(&[("c", 3), ("d", 2)]),
            &map(&[("c", 5), ("d", 10)]),
        );
        assert_eq!(r.overruns.len(), 2, "{r:?}");
        assert!(r.overruns[0].contains("#11"), "{}", r.overruns[0]);
        assert!(r.violations().iter().all(|v| v.starts_with("overrun: ")));
    }

    #[test]
    fn final_usage_over_limit_is_caught() {
        let h = vec![op(0, acq("c", 7), Ok, Some(Granted))];
        let r = check_quota(&h, &map(&[("c", 7)]), &map(&[("c", 5)]));
        assert_eq!(
            r.violations(),
            vec!["over-limit: cap c: final usage 7 > limit 5".to_string()]
        );
    }

    #[test]
    fn malformed_entries_and_missing_observations_are_reported() {
        let h = vec![
            op(0, acq("c", 1), Ok, Some(Released)),
            op(5, rel("c", 1), Ok, None),
        ];
        let r = check_quota(&h, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(r.malformed.len(), 3, "{r:?}");
        assert!(r.malformed[2].contains("no final usage"));
        let r = check_quota(&[], &map(&[("c", 0)]), &BTreeMap::new());
        assert_eq!(
            r.violations(),
            vec!["malformed: cap c: no limit given".to_string()]
        );
    }
}
