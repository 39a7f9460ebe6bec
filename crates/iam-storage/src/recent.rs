//! The log's most recent entries, kept in memory as appended: openraft reads each follower's
//! next entries back from the log right after appending them, and serving those reads from
//! here saves a RocksDB iterator and a decode per follower per entry on the leader.

use iam_raft::types::Entry;
use std::collections::VecDeque;
use std::ops::{Bound, RangeBounds};

/// At most this many entries are kept…
const MAX_ENTRIES: usize = 512;
/// …and at most about this many encoded bytes.
const MAX_BYTES: usize = 16 << 20;

/// Entries of the stored log at contiguous indexes, each as RocksDB holds it: every append,
/// truncation and purge of the store updates it (the store's methods do), and an append
/// that does not continue it starts it over. Normally this is the log's tail; reads that
/// reach past its last entry go to RocksDB all the same.
#[derive(Default)]
pub(crate) struct Recent {
    entries: VecDeque<(Entry, usize)>,
    bytes: usize,
}

impl Recent {
    /// Notes entries just appended to the log (with their encoded sizes).
    pub(crate) fn appended(&mut self, entries: Vec<(Entry, usize)>) {
        for (entry, size) in entries {
            let follows = self
                .entries
                .back()
                .is_none_or(|(last, _)| last.log_id.index + 1 == entry.log_id.index);
            if !follows {
                // Not contiguous (after a restart, or an append openraft does not make
                // without truncating first): start over from this entry.
                self.clear();
            }
            self.bytes += size;
            self.entries.push_back((entry, size));
        }
        while self.entries.len() > MAX_ENTRIES || self.bytes > MAX_BYTES {
            self.pop_front();
        }
    }

    /// The log kept entries up to `index` only.
    pub(crate) fn truncated_after(&mut self, last_kept: Option<u64>) {
        while self
            .entries
            .back()
            .is_some_and(|(e, _)| last_kept.is_none_or(|k| e.log_id.index > k))
        {
            if let Some((_, size)) = self.entries.pop_back() {
                self.bytes -= size;
            }
        }
    }

    /// The log dropped entries up to and including `index`.
    pub(crate) fn purged_upto(&mut self, index: u64) {
        while self
            .entries
            .front()
            .is_some_and(|(e, _)| e.log_id.index <= index)
        {
            self.pop_front();
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    fn pop_front(&mut self) {
        if let Some((_, size)) = self.entries.pop_front() {
            self.bytes -= size;
        }
    }

    /// The entries in `range`, if every index of it is here (a range reaching past the last
    /// kept entry, or unbounded, is left to RocksDB: only RocksDB knows where the log ends).
    pub(crate) fn get<RB: RangeBounds<u64>>(&self, range: &RB) -> Option<Vec<Entry>> {
        let first = self.entries.front()?.0.log_id.index;
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.checked_add(1)?,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.checked_add(1)?,
            Bound::Excluded(&e) => e,
            Bound::Unbounded => return None,
        };
        if start >= end {
            return Some(Vec::new());
        }
        let len = u64::try_from(self.entries.len()).ok()?;
        if start < first || end > first + len {
            return None;
        }
        let (from, to) = (
            usize::try_from(start - first).ok()?,
            usize::try_from(end - first).ok()?,
        );
        Some(
            self.entries
                .range(from..to)
                .map(|(e, _)| e.clone())
                .collect(),
        )
    }
}
