//! The history of a chaos run: every operation a client invoked, when, with what input, and
//! how it ended.
//!
//! Clients call [`History::invoke`] just before sending a request and
//! [`History::complete`] when the answer (or the lack of one) is known. Times are monotonic
//! nanoseconds since the history's origin, taken under the recorder's lock so entries are
//! stored in call order.
//!
//! The three outcomes are the usual Jepsen ones. [`Outcome::Fail`] means the operation
//! definitely did not take effect (a clear refusal), so checkers drop it. [`Outcome::Info`]
//! means the client cannot know (timeout, connection lost, leader changed mid-call): the
//! operation may have taken effect at any time after its call, even long after the client
//! gave up, or never. Checkers therefore treat an Info operation's return as +infinity,
//! whatever `return_ns` says (that is only when the client gave up).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// How an operation ended, as far as the client knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// It took effect, and `output` is what the server answered.
    Ok,
    /// It definitely did not take effect (a clear refusal before anything was applied).
    Fail,
    /// Unknown: it may take effect at any time after its call, or never.
    Info,
}

/// One operation of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry<I, O> {
    /// The client (logical process) that issued it; one operation at a time per process.
    pub process: usize,
    /// Monotonic nanoseconds since the run began, just before the request was sent.
    pub call_ns: u64,
    /// When the answer arrived, or (for Info) when the client gave up.
    pub return_ns: u64,
    pub input: I,
    /// What the server answered; `None` when there was no answer.
    pub output: Option<O>,
    pub outcome: Outcome,
}

impl<I, O> Entry<I, O> {
    /// The return time a checker must use: +infinity (`u64::MAX`) for Info operations.
    pub fn effective_return_ns(&self) -> u64 {
        match self.outcome {
            Outcome::Info => u64::MAX,
            Outcome::Ok | Outcome::Fail => self.return_ns.max(self.call_ns),
        }
    }
}

/// An operation invoked and not yet completed. Hand it back to [`History::complete`]; one
/// that is dropped instead stays pending and reads as Info.
#[derive(Debug)]
#[must_use = "complete the operation with History::complete"]
pub struct Pending {
    index: usize,
}

struct Slot<I, O> {
    entry: Entry<I, O>,
    done: bool,
}

/// A thread-safe recorder of operations; clones share the same history.
pub struct History<I, O> {
    origin: Instant,
    slots: Arc<Mutex<Vec<Slot<I, O>>>>,
}

impl<I, O> Clone for History<I, O> {
    fn clone(&self) -> Self {
        Self {
            origin: self.origin,
            slots: Arc::clone(&self.slots),
        }
    }
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I, O> History<I, O> {
    /// An empty history whose clock starts now.
    pub fn new() -> Self {
        Self::with_origin(Instant::now())
    }

    /// An empty history whose clock starts at `origin` (to share one timeline between
    /// several histories of the same run).
    pub fn with_origin(origin: Instant) -> Self {
        Self {
            origin,
            slots: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The instant time zero refers to.
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// Nanoseconds elapsed since the origin.
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot<I, O>>> {
        // A panicking client thread must not take the history down with it.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that `process` is about to issue `input`.
    pub fn invoke(&self, process: usize, input: I) -> Pending {
        let mut slots = self.lock();
        let now = self.now_ns();
        slots.push(Slot {
            entry: Entry {
                process,
                call_ns: now,
                return_ns: now,
                input,
                output: None,
                outcome: Outcome::Info,
            },
            done: false,
        });
        Pending {
            index: slots.len() - 1,
        }
    }

    /// Records how a pending operation ended.
    pub fn complete(&self, pending: Pending, outcome: Outcome, output: Option<O>) {
        let mut slots = self.lock();
        let now = self.now_ns();
        let slot = &mut slots[pending.index];
        slot.entry.return_ns = now.max(slot.entry.call_ns);
        slot.entry.outcome = outcome;
        slot.entry.output = output;
        slot.done = true;
    }

    /// Number of operations invoked so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// `(ok, fail, info)`; pending operations count as Info.
    pub fn counts(&self) -> (usize, usize, usize) {
        let slots = self.lock();
        let mut counts = (0, 0, 0);
        for slot in slots.iter() {
            match (slot.done, slot.entry.outcome) {
                (true, Outcome::Ok) => counts.0 += 1,
                (true, Outcome::Fail) => counts.1 += 1,
                _ => counts.2 += 1,
            }
        }
        counts
    }
}

impl<I: Clone, O: Clone> History<I, O> {
    /// Every entry in call order. Operations still pending read as Info, with no output and
    /// a return time of now.
    pub fn entries(&self) -> Vec<Entry<I, O>> {
        let slots = self.lock();
        let now = self.now_ns();
        slots
            .iter()
            .map(|slot| {
                let mut entry = slot.entry.clone();
                if !slot.done {
                    entry.outcome = Outcome::Info;
                    entry.output = None;
                    entry.return_ns = now.max(entry.call_ns);
                }
                entry
            })
            .collect()
    }
}

impl<I: Clone + Serialize, O: Clone + Serialize> History<I, O> {
    /// Writes the history (as [`History::entries`] reads it) to `path`, one JSON object per
    /// line, so a failing run keeps its evidence.
    pub fn write_jsonl(&self, path: impl AsRef<Path>) -> anyhow::Result<()> {
        write_jsonl(path, &self.entries())
    }
}

/// Writes entries to `path`, one JSON object per line.
pub fn write_jsonl<I: Serialize, O: Serialize>(
    path: impl AsRef<Path>,
    entries: &[Entry<I, O>],
) -> anyhow::Result<()> {
    let path = path.as_ref();
    let file = std::fs::File::create(path)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", path.display()))?;
    let mut out = BufWriter::new(file);
    for entry in entries {
        serde_json::to_writer(&mut out, entry)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Reads a history written by [`write_jsonl`] (to re-check a kept history).
pub fn read_jsonl<I: DeserializeOwned, O: DeserializeOwned>(
    path: impl AsRef<Path>,
) -> anyhow::Result<Vec<Entry<I, O>>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
    let mut entries = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), n + 1))?;
        entries.push(entry);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_calls_and_outcomes_in_order() {
        let h: History<String, i64> = History::new();
        let a = h.invoke(0, "a".into());
        let b = h.invoke(1, "b".into());
        let c = h.invoke(2, "c".into());
        h.complete(b, Outcome::Fail, None);
        h.complete(a, Outcome::Ok, Some(7));
        let _never = h.invoke(3, "d".into());
        drop(c); // dropped without completing: stays pending
        let e = h.entries();
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].input, "a");
        assert_eq!(e[0].outcome, Outcome::Ok);
        assert_eq!(e[0].output, Some(7));
        assert!(e[0].return_ns >= e[0].call_ns);
        assert_eq!(e[1].outcome, Outcome::Fail);
        assert_eq!(e[2].outcome, Outcome::Info);
        assert_eq!(e[3].outcome, Outcome::Info);
        assert_eq!(e[3].output, None);
        assert!(e.windows(2).all(|w| w[0].call_ns <= w[1].call_ns));
        assert_eq!(h.counts(), (1, 1, 2));
        assert_eq!(e[2].effective_return_ns(), u64::MAX);
        assert_eq!(e[0].effective_return_ns(), e[0].return_ns);
    }

    #[test]
    fn clones_share_and_threads_record() {
        let h: History<usize, usize> = History::new();
        let threads: Vec<_> = (0..4)
            .map(|p| {
                let h = h.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let t = h.invoke(p, i);
                        h.complete(t, Outcome::Ok, Some(i));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(h.len(), 200);
        assert_eq!(h.counts(), (200, 0, 0));
        for p in 0..4 {
            let mine: Vec<_> = h.entries().into_iter().filter(|e| e.process == p).collect();
            assert_eq!(mine.len(), 50);
            assert!(mine.windows(2).all(|w| w[0].return_ns <= w[1].call_ns));
        }
    }

    #[test]
    fn jsonl_round_trip() {
        let h: History<String, Vec<i64>> = History::new();
        let t = h.invoke(0, "w".into());
        h.complete(t, Outcome::Ok, Some(vec![1, 2]));
        let t = h.invoke(1, "r".into());
        h.complete(t, Outcome::Info, None);
        let _pending = h.invoke(2, "x".into());
        let path =
            std::env::temp_dir().join(format!("iamd-chaos-history-{}.jsonl", std::process::id()));
        h.write_jsonl(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().all(|l| l.starts_with('{')));
        let back: Vec<Entry<String, Vec<i64>>> = read_jsonl(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let now = h.entries();
        assert_eq!(back[..2], now[..2]);
        assert_eq!(
            (back[2].outcome, &back[2].input),
            (Outcome::Info, &"x".to_string())
        );
    }
}
