//! Linearizability checking: Wing & Gong's search with Lowe's memoization, as in Porcupine.
//!
//! A history is linearizable when every operation can be given a single instant between its
//! call and its return such that applying the operations one by one at those instants to a
//! sequential [`Model`] explains every output.
//!
//! The search works on a doubly linked list of call and return events sorted by time (a call
//! sorts before a return at the same instant, so touching operations count as concurrent).
//! Walking from the head it tries to linearize each call it meets: if the model accepts the
//! operation (with its output) from the current state, the operation's call and return are
//! unlinked, the choice is pushed on a stack and the walk restarts from the head. Meeting a
//! return event means that operation had to be linearized already: the search backtracks by
//! popping the last choice, relinking its events (dancing links) and trying the next call.
//! Lowe's memoization makes this practical: the pair (set of linearized operations as a
//! bitset, model state) fully determines what remains to explore, so a pair that was reached
//! before (and so already failed) is never explored again.
//!
//! Info operations (the client never learnt the result) may take effect at any time after
//! their call, even long after the client gave up, or never: their return is +infinity, so
//! they have no return event and never force a backtrack, and the search succeeds as soon as
//! every Ok operation is linearized (Info ones left over simply never happened). Fail
//! operations did not happen and are dropped. Operations on different keys are independent
//! (linearizability is compositional), so each partition is checked on its own.

use crate::history::{Entry, Outcome};
use search::{search, Failure};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::{self, Debug};
use std::hash::Hash;

/// A sequential specification.
pub trait Model {
    type State: Clone + Eq + Hash + Debug;
    type Input: Clone + Debug;
    type Output: Clone + Debug;
    /// The state of every partition before the first operation.
    fn init(&self) -> Self::State;
    /// The independent object an operation acts on (for a register per key: the key).
    fn partition(&self, input: &Self::Input) -> String;
    /// The possible states after applying `input` in `state` and answering `output`; empty
    /// when that answer is impossible there. `output` is `None` for Info operations: the model
    /// must then allow every output the input could have had.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Vec<Self::State>;
    /// True when the operation never changes the state (a read). Info operations for which
    /// this holds constrain nothing, so the checker drops them before searching.
    fn read_only(&self, _input: &Self::Input) -> bool {
        false
    }
}

/// The judgement of a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    /// No linearization of partition `key` exists; `detail` shows how far the search got.
    NotLinearizable {
        key: String,
        detail: String,
    },
    /// The search of partition `key` gave up (more than `max_steps` steps); treat as failure.
    Unknown {
        key: String,
        reason: String,
    },
}

impl Verdict {
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => write!(f, "linearizable"),
            Verdict::NotLinearizable { key, detail } => {
                write!(f, "NOT linearizable (key {key:?}): {detail}")
            }
            Verdict::Unknown { key, reason } => write!(f, "unknown (key {key:?}): {reason}"),
        }
    }
}

/// Checks `entries` against `model`. `max_steps` bounds the search of each partition (one
/// step: one attempt to place a call, or one backtrack); beyond it the verdict is Unknown.
///
/// Fail entries and Info entries of [`Model::read_only`] inputs are dropped. An Ok entry
/// without an output is given to the model as `None`, like an Info one, but must still be
/// placed before its return. The cost grows with the number of operations open at once: k
/// concurrent writes can take up to 2^k memo entries, so long runs of Info writes on one key
/// (each stays open forever) are what makes a search give up.
pub fn check<M: Model>(
    model: &M,
    entries: &[Entry<M::Input, M::Output>],
    max_steps: u64,
) -> Verdict {
    let mut parts: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let keep = match e.outcome {
            Outcome::Ok => true,
            Outcome::Fail => false,
            Outcome::Info => !model.read_only(&e.input),
        };
        if keep {
            parts.entry(model.partition(&e.input)).or_default().push(i);
        }
    }
    let mut unknown = None;
    for (key, ops) in parts {
        match search(model, entries, &ops, max_steps) {
            Ok(()) => {}
            Err(Failure::Impossible(detail)) => return Verdict::NotLinearizable { key, detail },
            Err(Failure::Exhausted(reason)) => {
                unknown.get_or_insert(Verdict::Unknown { key, reason });
            }
        }
    }
    unknown.unwrap_or(Verdict::Linearizable)
}

/// One operation, readably: `#index p<process> [call..return] Outcome input -> output`.
pub fn describe<I: Debug, O: Debug>(index: usize, e: &Entry<I, O>) -> String {
    let ret = match e.outcome {
        Outcome::Info => format!("inf(gave up {})", e.return_ns),
        _ => e.return_ns.to_string(),
    };
    let out = match &e.output {
        Some(o) => format!("{o:?}"),
        None => "?".into(),
    };
    format!(
        "#{index} p{} [{}..{ret}] {:?} {:?} -> {out}",
        e.process, e.call_ns, e.outcome, e.input
    )
}

/// A register operation on one key.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegOp {
    pub key: String,
    pub op: RegInput,
}

impl Debug for RegOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:?}", self.key, self.op)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RegInput {
    Read,
    Write(i64),
    /// Compare-and-set: becomes `to` if it holds `from`.
    Cas {
        from: i64,
        to: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RegOutput {
    Read(Option<i64>),
    Written,
    /// Whether the compare-and-set applied.
    Cas(bool),
}

/// A register per key holding `Option<i64>`, `None` until first written.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterModel;

impl Model for RegisterModel {
    type State = Option<i64>;
    type Input = RegOp;
    type Output = RegOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn partition(&self, input: &RegOp) -> String {
        input.key.clone()
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegOp,
        output: Option<&RegOutput>,
    ) -> Vec<Option<i64>> {
        use RegInput as I;
        use RegOutput as O;
        match (input.op, output) {
            (I::Read, None) => vec![*state],
            (I::Read, Some(O::Read(v))) if v == state => vec![*state],
            (I::Write(v), None | Some(O::Written)) => vec![Some(v)],
            (I::Cas { from, to }, Some(O::Cas(true))) if *state == Some(from) => vec![Some(to)],
            (I::Cas { from, .. }, Some(O::Cas(false))) if *state != Some(from) => vec![*state],
            // Info: taking effect here it succeeds exactly when the value matches. A failed
            // one changes nothing, the same as never happening, which the search already
            // allows; leaving it out prunes the search.
            (I::Cas { from, to }, None) if *state == Some(from) => vec![Some(to)],
            _ => Vec::new(),
        }
    }

    fn read_only(&self, input: &RegOp) -> bool {
        input.op == RegInput::Read
    }
}

mod search;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
