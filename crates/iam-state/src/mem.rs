//! An in-memory [`StateRead`] used by tests and as the reference for the RocksDB store.

use crate::store::{StateRead, WriteSet};
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct MemStore {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn commit(&mut self, writes: WriteSet) {
        for (k, v) in writes.ops {
            match v {
                Some(v) => {
                    self.map.insert(k, v);
                }
                None => {
                    self.map.remove(&k);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl FromIterator<(Vec<u8>, Vec<u8>)> for MemStore {
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Vec<u8>)>>(pairs: I) -> Self {
        Self {
            map: pairs.into_iter().collect(),
        }
    }
}

impl StateRead for MemStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.map.get(key).cloned()
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        use std::ops::Bound;
        let start = match after {
            Some(a) => Bound::Excluded(a.to_vec()),
            None => Bound::Included(prefix.to_vec()),
        };
        self.map
            .range((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        for (k, v) in &self.map {
            f(k, v);
        }
    }
}
