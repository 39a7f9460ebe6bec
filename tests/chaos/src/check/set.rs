//! Unique creations: clients create named things (users, roles, …) and at the end every node
//! is asked what exists.
//!
//! A name's attempts are folded into one outcome: Ok if any attempt was acknowledged, else
//! Info if any attempt's result is unknown, else Fail (every attempt clearly refused). A
//! workload that retries should record a retry's "already exists" for a name it created as Ok.
//! Then:
//! - Ok names must be present on every node (else *lost*);
//! - Fail names must be absent everywhere (else *failed but present*);
//! - Info names may be present or not (counted, not judged), but all nodes must agree;
//! - no node may hold a name never attempted (*unexpected*);
//! - all nodes must hold the same set (else *disagree*, naming each node and what it lacks).

use crate::history::Outcome;
use std::collections::{BTreeMap, BTreeSet};

/// What [`check_set`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetReport {
    /// Nodes observed.
    pub nodes: usize,
    /// Acknowledged names present on every node.
    pub ok: usize,
    /// Acknowledged but absent on some node: `name (absent on n1, n2)`.
    pub lost: Vec<String>,
    /// Present but never attempted: `name (on n1)`.
    pub unexpected: Vec<String>,
    /// Every attempt definitely failed, yet present: `name (on n1)`.
    pub failed_but_present: Vec<String>,
    /// Names whose outcome is unknown and that are present on some node.
    pub info_present: usize,
    /// Names whose outcome is unknown and that are absent everywhere.
    pub info_absent: usize,
    /// Nodes whose set differs from the union of all: `node n2 lacks [a, b]`.
    pub disagree: Vec<String>,
}

impl SetReport {
    /// Every problem, one line each; empty means the check passed.
    pub fn violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.nodes == 0 {
            v.push("no node's set was observed".to_string());
        }
        v.extend(
            self.lost
                .iter()
                .map(|s| format!("lost (acknowledged, absent): {s}")),
        );
        v.extend(
            self.unexpected
                .iter()
                .map(|s| format!("unexpected (never attempted): {s}")),
        );
        v.extend(
            self.failed_but_present
                .iter()
                .map(|s| format!("failed but present: {s}")),
        );
        v.extend(self.disagree.iter().map(|s| format!("nodes disagree: {s}")));
        v
    }
}

fn list(names: &[&str]) -> String {
    const MAX: usize = 10;
    let mut s = names
        .iter()
        .take(MAX)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX {
        s += &format!(", … ({} in all)", names.len());
    }
    s
}

/// Judges creation `attempts` (`(name, outcome)`, a name may repeat) against what each node
/// holds at the end (`(node, names)`).
pub fn check_set(
    attempts: &[(String, Outcome)],
    observed: &[(String, BTreeSet<String>)],
) -> SetReport {
    let mut outcome: BTreeMap<&str, Outcome> = BTreeMap::new();
    for (name, o) in attempts {
        let slot = outcome.entry(name.as_str()).or_insert(*o);
        *slot = match (*slot, *o) {
            (Outcome::Ok, _) | (_, Outcome::Ok) => Outcome::Ok,
            (Outcome::Info, _) | (_, Outcome::Info) => Outcome::Info,
            _ => Outcome::Fail,
        };
    }
    let mut report = SetReport {
        nodes: observed.len(),
        ..SetReport::default()
    };
    let union: BTreeSet<&str> = observed
        .iter()
        .flat_map(|(_, s)| s.iter().map(String::as_str))
        .collect();
    let holders = |name: &str, present: bool| -> Vec<&str> {
        observed
            .iter()
            .filter(|(_, s)| s.contains(name) == present)
            .map(|(n, _)| n.as_str())
            .collect()
    };
    for (&name, o) in &outcome {
        match o {
            Outcome::Ok => {
                let absent = holders(name, false);
                if absent.is_empty() {
                    report.ok += usize::from(!observed.is_empty());
                } else {
                    report
                        .lost
                        .push(format!("{name} (absent on {})", list(&absent)));
                }
            }
            Outcome::Fail => {
                let present = holders(name, true);
                if !present.is_empty() {
                    report
                        .failed_but_present
                        .push(format!("{name} (on {})", list(&present)));
                }
            }
            Outcome::Info => {
                if union.contains(name) {
                    report.info_present += 1;
                } else {
                    report.info_absent += 1;
                }
            }
        }
    }
    for &name in &union {
        if !outcome.contains_key(name) {
            report
                .unexpected
                .push(format!("{name} (on {})", list(&holders(name, true))));
        }
    }
    for (node, set) in observed {
        let lacks: Vec<&str> = union
            .iter()
            .copied()
            .filter(|n| !set.contains(*n))
            .collect();
        if !lacks.is_empty() {
            report
                .disagree
                .push(format!("node {node} lacks [{}]", list(&lacks)));
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempts(list: &[(&str, Outcome)]) -> Vec<(String, Outcome)> {
        list.iter().map(|(n, o)| (n.to_string(), *o)).collect()
    }

    fn nodes(list: &[(&str, &[&str])]) -> Vec<(String, BTreeSet<String>)> {
        list.iter()
            .map(|(n, names)| (n.to_string(), names.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    use Outcome::{Fail, Info, Ok};

    #[test]
    fn clean_run_passes() {
        let a = attempts(&[
            ("u1", Ok),
            ("u2", Fail),
            ("u2", Ok),
            ("u3", Fail),
            ("u4", Info),
            ("u5", Info),
        ]);
        let o = nodes(&[
            ("n1", &["u1", "u2", "u4"]),
            ("n2", &["u1", "u2", "u4"]),
            ("n3", &["u1", "u2", "u4"]),
        ]);
        let r = check_set(&a, &o);
        assert_eq!(r.violations(), Vec::<String>::new(), "{r:?}");
        assert_eq!((r.nodes, r.ok, r.info_present, r.info_absent), (3, 2, 1, 1));
    }

    #[test]
    fn lost_acknowledged_name_is_caught_with_its_node() {
        let a = attempts(&[("u1", Ok), ("u2", Ok)]);
        let o = nodes(&[("n1", &["u1", "u2"]), ("n2", &["u1"])]);
        let r = check_set(&a, &o);
        assert_eq!(r.lost, vec!["u2 (absent on n2)".to_string()]);
        assert_eq!(r.ok, 1);
        assert_eq!(r.disagree, vec!["node n2 lacks [u2]".to_string()]);
        assert_eq!(r.violations().len(), 2);
        // Lost everywhere: no disagreement, still lost.
        let r = check_set(&a, &nodes(&[("n1", &["u1"]), ("n2", &["u1"])]));
        assert_eq!(r.lost, vec!["u2 (absent on n1, n2)".to_string()]);
        assert!(r.disagree.is_empty());
    }

    #[test]
    fn unexpected_name_is_caught() {
        let a = attempts(&[("u1", Ok)]);
        let r = check_set(
            &a,
            &nodes(&[("n1", &["u1", "ghost"]), ("n2", &["u1", "ghost"])]),
        );
        assert_eq!(r.unexpected, vec!["ghost (on n1, n2)".to_string()]);
        assert_eq!(
            r.violations(),
            vec!["unexpected (never attempted): ghost (on n1, n2)".to_string()]
        );
    }

    #[test]
    fn failed_but_present_is_caught() {
        let a = attempts(&[("u1", Fail), ("u1", Fail), ("u2", Ok)]);
        let r = check_set(&a, &nodes(&[("n1", &["u1", "u2"])]));
        assert_eq!(r.failed_but_present, vec!["u1 (on n1)".to_string()]);
        assert_eq!(r.violations().len(), 1);
    }

    #[test]
    fn info_names_may_go_either_way_but_nodes_must_agree() {
        let a = attempts(&[("u1", Info), ("u2", Info)]);
        let r = check_set(&a, &nodes(&[("n1", &["u1"]), ("n2", &["u1"])]));
        assert!(r.violations().is_empty());
        assert_eq!((r.info_present, r.info_absent), (1, 1));
        let r = check_set(
            &a,
            &nodes(&[("n1", &["u1"]), ("n2", &["u2"]), ("n3", &["u1", "u2"])]),
        );
        assert_eq!(
            r.disagree,
            vec![
                "node n1 lacks [u2]".to_string(),
                "node n2 lacks [u1]".to_string()
            ]
        );
        assert_eq!(r.info_present, 2);
    }

    #[test]
    fn nothing_observed_is_a_violation() {
        let r = check_set(&attempts(&[("u1", Ok)]), &[]);
        assert_eq!(r.ok, 0);
        assert_eq!(
            r.violations(),
            vec!["no node's set was observed".to_string()]
        );
    }
}
