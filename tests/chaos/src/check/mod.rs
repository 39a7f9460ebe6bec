//! Checkers that judge a history:
//!
//! - [`linear`]: linearizability of per-key registers (Wing–Gong–Lowe search, Porcupine style);
//! - [`set`]: unique creations — every acknowledged name present on every node, nothing
//!   unexpected, all nodes agreeing;
//! - [`quota`]: usage caps — never over the limit, final usage explained by the history.
//!
//! A [`Summary`] line per checker makes the end of a run readable.

pub mod linear;
pub mod quota;
pub mod set;

use crate::check::linear::Verdict;
use std::fmt;

/// One checker's result, for the end-of-run report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub name: String,
    /// Operations judged, by outcome: `(ok, fail, info)`.
    pub counts: (usize, usize, usize),
    /// What went wrong; empty when the check passed.
    pub problems: Vec<String>,
}

impl Summary {
    pub fn new(
        name: impl Into<String>,
        counts: (usize, usize, usize),
        problems: Vec<String>,
    ) -> Self {
        Self {
            name: name.into(),
            counts,
            problems,
        }
    }

    /// A linearizability verdict as a summary; Unknown counts as a failure.
    pub fn from_verdict(
        name: impl Into<String>,
        counts: (usize, usize, usize),
        verdict: &Verdict,
    ) -> Self {
        let problems = match verdict {
            Verdict::Linearizable => Vec::new(),
            other => vec![other.to_string()],
        };
        Self::new(name, counts, problems)
    }

    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ok, fail, info) = self.counts;
        let status = if self.passed() { "PASS" } else { "FAIL" };
        write!(
            f,
            "{status} {} (ok {ok}, fail {fail}, info {info})",
            self.name
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

/// True when every summary passed.
pub fn all_passed(summaries: &[Summary]) -> bool {
    summaries.iter().all(Summary::passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reports_pass_and_fail() {
        let ok = Summary::from_verdict("register", (3, 1, 0), &Verdict::Linearizable);
        assert!(ok.passed());
        assert_eq!(ok.to_string(), "PASS register (ok 3, fail 1, info 0)");
        let unknown = Verdict::Unknown {
            key: "k".into(),
            reason: "too long".into(),
        };
        let bad = Summary::from_verdict("register", (3, 0, 2), &unknown);
        assert!(!bad.passed());
        assert!(bad
            .to_string()
            .starts_with("FAIL register (ok 3, fail 0, info 2)\n  - unknown"));
        assert!(!all_passed(&[ok.clone(), bad]));
        assert!(all_passed(&[ok]));
    }
}
