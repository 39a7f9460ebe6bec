//! The read side of the state ([`StateRead`]), a write set, the transaction overlay apply runs
//! in, and the state digest.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Read access to the replicated key/value state. Implementations must return keys in
/// ascending byte order.
pub trait StateRead {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// Up to `limit` entries whose key starts with `prefix` and is greater than `after`
    /// (or all of them from the start of the prefix), in key order.
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)>;

    /// Visits every entry in key order (used for hashing and snapshots).
    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8]));
}

/// Told about every applied write set; the authorization index keeps its caches right with
/// it. Implementations must be cheap: they run inside apply.
pub trait ApplyObserver: Send + Sync {
    /// The writes of log entry `index`: called once just before they are committed and once
    /// just after, so that nothing cached from the old state survives the commit.
    fn observe(&self, index: u64, writes: &WriteSet);
    /// The whole state was replaced (a snapshot was installed).
    fn reset(&self);
}

/// The writes one apply produced: `Some(value)` puts, `None` deletes. Ordered so that
/// committing it is deterministic.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSet {
    pub ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Adds the other set's writes after this one's.
    pub fn extend(&mut self, other: WriteSet) {
        self.ops.extend(other.ops);
    }
}

/// A transaction: reads see the base state plus this transaction's own writes.
pub struct Txn<'a> {
    base: &'a dyn StateRead,
    writes: WriteSet,
}

impl<'a> Txn<'a> {
    pub fn new(base: &'a dyn StateRead) -> Self {
        Self {
            base,
            writes: WriteSet::default(),
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.ops.get(key) {
            Some(v) => v.clone(),
            None => self.base.get(key),
        }
    }

    pub fn exists(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.ops.insert(key, Some(value));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        self.writes.ops.insert(key, None);
    }

    /// Like [`StateRead::scan`], over the base state plus this transaction's writes.
    pub fn scan(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        use std::ops::Bound;
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a),
            _ => Bound::Included(prefix),
        };
        let overlay: Vec<_> = self
            .writes
            .ops
            .range::<[u8], _>((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .collect();
        // Deleted keys may hide base entries: ask the base for enough to still fill `limit`.
        let deleted = overlay.iter().filter(|(_, v)| v.is_none()).count();
        let want = limit.saturating_add(deleted);
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.scan(prefix, after, want).into_iter().collect();
        for (k, v) in overlay {
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        merged.into_iter().take(limit).collect()
    }

    /// Adds writes made on top of this transaction's view (a later request of the same log
    /// entry), so that what follows reads them.
    pub fn absorb(&mut self, writes: WriteSet) {
        self.writes.extend(writes);
    }

    /// Every key under `prefix` (for indexes bounded by AWS's limits).
    pub fn scan_all(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.scan(prefix, None, usize::MAX)
    }

    /// Reads a JSON record.
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Option<T> {
        decode(key, &self.get(key)?)
    }

    /// Writes a JSON record.
    pub fn put_json<T: serde::Serialize>(&mut self, key: Vec<u8>, value: &T) {
        self.put(key, encode(value));
    }

    /// Reads a decimal counter (0 when absent).
    pub fn counter(&self, key: &[u8]) -> u64 {
        self.get(key)
            .and_then(|v| std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()))
            .unwrap_or(0)
    }

    /// Adds `delta` to a counter, deleting it when it reaches zero.
    pub fn add_counter(&mut self, key: Vec<u8>, delta: i64) {
        let next = self.counter(&key).saturating_add_signed(delta);
        self.set_counter(key, next);
    }

    /// Sets a counter (absent when zero) to `value`, for a caller that has just read it.
    pub fn set_counter(&mut self, key: Vec<u8>, value: u64) {
        if value == 0 {
            self.delete(key);
        } else {
            self.put(key, value.to_string().into_bytes());
        }
    }

    /// The state this transaction reads through.
    pub fn base(&self) -> &'a dyn StateRead {
        self.base
    }

    pub fn into_writes(self) -> WriteSet {
        self.writes
    }
}

/// Encodes a record. serde_json of our structs is deterministic (fields in declaration
/// order, no hash maps), which the byte-identical-replicas invariant relies on.
pub fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("state records always serialize")
}

/// Decodes a record; a record that does not decode is a corrupted store and is reported as
/// absent after an assertion in debug builds.
pub fn decode<T: serde::de::DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Option<T> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            debug_assert!(
                false,
                "undecodable record at {:?}: {e}",
                String::from_utf8_lossy(key)
            );
            None
        }
    }
}

/// SHA-256 over every (key, value) in key order, each length-prefixed. Two replicas with the
/// same applied log prefix have the same hash.
pub fn state_hash(store: &(impl StateRead + ?Sized)) -> String {
    let mut h = Sha256::new();
    store.for_each(&mut |k, v| {
        h.update((k.len() as u64).to_be_bytes());
        h.update(k);
        h.update((v.len() as u64).to_be_bytes());
        h.update(v);
    });
    hex::encode(h.finalize())
}

/// A transaction reads as its base state with its own writes on top: the view the next
/// request of a log entry applies against.
impl StateRead for Txn<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        Txn::get(self, key)
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        Txn::scan(self, prefix, after, limit)
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        self.base.for_each(&mut |k, v| {
            merged.insert(k.to_vec(), v.to_vec());
        });
        for (k, v) in &self.writes.ops {
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        for (k, v) in &merged {
            f(k, v);
        }
    }
}
