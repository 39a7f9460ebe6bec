//! The search itself: the event list, the stack of choices, the memo and the explanation
//! of a failure (see the parent module for the algorithm).

use super::{describe, Model};
use crate::history::{Entry, Outcome};
use std::collections::HashSet;
use std::fmt::Debug;

pub(super) enum Failure {
    Impossible(String),
    Exhausted(String),
}

const NIL: usize = usize::MAX;
/// Operations of the longest prefix (and of the failure window) shown in a verdict.
const SHOWN: usize = 20;

/// An event of the linked list; node 0 is the head sentinel.
struct Node {
    /// Index into the partition's operations.
    op: usize,
    is_call: bool,
    /// For a call: the node of its return, or NIL for an Info operation.
    ret: usize,
    prev: usize,
    next: usize,
}

struct List(Vec<Node>);

impl List {
    fn unlink(&mut self, id: usize) {
        let (p, n) = (self.0[id].prev, self.0[id].next);
        self.0[p].next = n;
        if n != NIL {
            self.0[n].prev = p;
        }
    }
    /// Undoes `unlink(id)`; valid in exact reverse order of the unlinks.
    fn relink(&mut self, id: usize) {
        let (p, n) = (self.0[id].prev, self.0[id].next);
        self.0[p].next = id;
        if n != NIL {
            self.0[n].prev = id;
        }
    }
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        if self.0[call].ret != NIL {
            self.unlink(self.0[call].ret);
        }
    }
    fn unlift(&mut self, call: usize) {
        if self.0[call].ret != NIL {
            self.relink(self.0[call].ret);
        }
        self.relink(call);
    }
    fn first(&self) -> usize {
        self.0[0].next
    }
}

/// A choice on the search stack: the call linearized, the state before it, the states the
/// model allowed after it and which of them was taken.
struct Frame<S> {
    node: usize,
    before: S,
    nexts: Vec<S>,
    taken: usize,
}

/// The deepest point the search reached: the linearized ops (last `SHOWN`, with the state
/// after each), how many there were, and the ops open when it had to backtrack.
struct Best<S> {
    depth: usize,
    prefix: Vec<(usize, S)>,
    window: Vec<usize>,
    open: usize,
    blocker: Option<usize>,
}

pub(super) fn search<M: Model>(
    model: &M,
    entries: &[Entry<M::Input, M::Output>],
    ops: &[usize],
    max_steps: u64,
) -> Result<(), Failure> {
    let n = ops.len();
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
    for (k, &i) in ops.iter().enumerate() {
        let e = &entries[i];
        events.push((e.call_ns, false, k));
        if e.outcome != Outcome::Info {
            events.push((e.effective_return_ns(), true, k));
        }
    }
    // Calls (false) before returns (true) at equal times.
    events.sort_unstable();
    let mut list = List(Vec::with_capacity(events.len() + 1));
    list.0.push(Node {
        op: NIL,
        is_call: false,
        ret: NIL,
        prev: NIL,
        next: NIL,
    });
    let mut call_node = vec![NIL; n];
    for (idx, &(_, is_return, k)) in events.iter().enumerate() {
        let id = idx + 1;
        let next = if id < events.len() { id + 1 } else { NIL };
        list.0.push(Node {
            op: k,
            is_call: !is_return,
            ret: NIL,
            prev: id - 1,
            next,
        });
        if is_return {
            list.0[call_node[k]].ret = id;
        } else {
            call_node[k] = id;
        }
    }
    list.0[0].next = if events.is_empty() { NIL } else { 1 };

    let required = |k: usize| entries[ops[k]].outcome != Outcome::Info;
    let mut remaining = (0..n).filter(|&k| required(k)).count();
    let mut linearized = vec![0u64; n.div_ceil(64)];
    let mut cache: HashSet<(Vec<u64>, M::State)> = HashSet::new();
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut state = model.init();
    let mut best: Option<Best<M::State>> = None;
    let mut entry = list.first();
    let mut steps = 0u64;

    // The first of `nexts[from..]` that leads to an unexplored (linearized ∪ {k}, state).
    let mut fresh = |linearized: &mut Vec<u64>, nexts: &[M::State], from: usize, k: usize| {
        linearized[k / 64] |= 1 << (k % 64);
        let found =
            (from..nexts.len()).find(|&a| cache.insert((linearized.clone(), nexts[a].clone())));
        linearized[k / 64] &= !(1 << (k % 64));
        found
    };

    loop {
        if remaining == 0 {
            return Ok(());
        }
        steps += 1;
        if steps > max_steps {
            let depth = best
                .as_ref()
                .map_or(stack.len(), |b| b.depth.max(stack.len()));
            return Err(Failure::Exhausted(format!(
                "search exceeded max_steps={max_steps} on {n} operations \
                 (deepest linearizable prefix found: {depth} operations)"
            )));
        }
        let mut choice = None;
        if entry != NIL && list.0[entry].is_call {
            let k = list.0[entry].op;
            let e = &entries[ops[k]];
            let output = if e.outcome == Outcome::Info {
                None
            } else {
                e.output.as_ref()
            };
            let nexts = model.step(&state, &e.input, output);
            match fresh(&mut linearized, &nexts, 0, k) {
                Some(taken) => choice = Some((entry, nexts, taken)),
                None => entry = list.0[entry].next,
            }
        } else {
            // A return: that operation had to be linearized by now. Backtrack.
            if best.as_ref().is_none_or(|b| stack.len() > b.depth) {
                best = Some(snapshot(&list, &stack, &state, entry));
            }
            let Some(frame) = stack.pop() else {
                let best = best.expect("recorded just above");
                return Err(Failure::Impossible(explain(entries, ops, n, &best)));
            };
            let k = list.0[frame.node].op;
            linearized[k / 64] &= !(1 << (k % 64));
            list.unlift(frame.node);
            state = frame.before;
            if required(k) {
                remaining += 1;
            }
            match fresh(&mut linearized, &frame.nexts, frame.taken + 1, k) {
                Some(taken) => choice = Some((frame.node, frame.nexts, taken)),
                None => entry = list.0[frame.node].next,
            }
        }
        if let Some((node, nexts, taken)) = choice {
            let k = list.0[node].op;
            let before = std::mem::replace(&mut state, nexts[taken].clone());
            stack.push(Frame {
                node,
                before,
                nexts,
                taken,
            });
            linearized[k / 64] |= 1 << (k % 64);
            list.lift(node);
            if required(k) {
                remaining -= 1;
            }
            entry = list.first();
        }
    }
}

fn snapshot<S: Clone>(list: &List, stack: &[Frame<S>], state: &S, blocker: usize) -> Best<S> {
    let depth = stack.len();
    let from = depth.saturating_sub(SHOWN);
    let prefix = (from..depth)
        .map(|i| {
            let after = stack.get(i + 1).map_or(state, |f| &f.before);
            (list.0[stack[i].node].op, after.clone())
        })
        .collect();
    // The calls before the blocking return: the operations open at that point (the latest
    // `SHOWN`; Info ones left unlinearized linger at the front).
    let mut window = Vec::new();
    let mut id = list.first();
    while id != NIL && id != blocker {
        if list.0[id].is_call {
            window.push(list.0[id].op);
        }
        id = list.0[id].next;
    }
    let open = window.len();
    window.drain(..open.saturating_sub(SHOWN));
    let blocker = (blocker != NIL).then(|| list.0[blocker].op);
    Best {
        depth,
        prefix,
        window,
        open,
        blocker,
    }
}

fn explain<I: Debug, O: Debug, S: Debug>(
    entries: &[Entry<I, O>],
    ops: &[usize],
    n: usize,
    best: &Best<S>,
) -> String {
    let op = |k: usize| describe(ops[k], &entries[ops[k]]);
    let mut s = format!(
        "no linearization of these {n} operations; the longest linearizable prefix has {}",
        best.depth
    );
    if best.depth > best.prefix.len() {
        s += &format!(" (showing the last {})", best.prefix.len());
    }
    s += ":\n";
    for (k, after) in &best.prefix {
        s += &format!("    {}  => state {after:?}\n", op(*k));
    }
    match best.blocker {
        Some(b) => {
            s += &format!(
            "  then {} must take effect before it returns, but no operation open at that point \
             can be placed next. Open (concurrent) operations",
            op(b)
        )
        }
        None => s += "  then nothing open can be placed next. Open operations",
    }
    if best.open > best.window.len() {
        s += &format!(" (the latest {} of {})", best.window.len(), best.open);
    }
    s += ":\n";
    for k in &best.window {
        s += &format!("    {}\n", op(*k));
    }
    s
}
