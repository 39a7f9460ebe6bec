//! `Txn::scan` (the base state plus a transaction's own puts and deletes) against a model:
//! the merged map, filtered by prefix and `after`, cut at `limit`.

use iam_state::{MemStore, StateRead, Txn, WriteSet};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![b'a', b'b', b'c']), 1..4)
}

proptest! {
    #[test]
    fn txn_scan_matches_the_merged_state(
        base in prop::collection::btree_map(key(), key(), 0..24),
        overlay in prop::collection::vec((key(), prop::option::of(key())), 0..24),
        prefix in prop::collection::vec(prop::sample::select(vec![b'a', b'b']), 0..2),
        after_suffix in prop::option::of(key()),
        limit in 0usize..12,
    ) {
        let mut store = MemStore::new();
        let mut seed = WriteSet::default();
        for (k, v) in &base {
            seed.ops.insert(k.clone(), Some(v.clone()));
        }
        store.commit(seed);
        let mut txn = Txn::new(&store);
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = base.clone();
        for (k, v) in &overlay {
            match v {
                Some(v) => {
                    txn.put(k.clone(), v.clone());
                    model.insert(k.clone(), v.clone());
                }
                None => {
                    txn.delete(k.clone());
                    model.remove(k);
                }
            }
        }
        // `after` is a key under the prefix (as callers page through one prefix).
        let after: Option<Vec<u8>> = after_suffix.map(|s| [prefix.clone(), s].concat());
        let want: Vec<(Vec<u8>, Vec<u8>)> = model
            .into_iter()
            .filter(|(k, _)| k.starts_with(&prefix) && after.as_ref().is_none_or(|a| k > a))
            .take(limit)
            .collect();
        prop_assert_eq!(txn.scan(&prefix, after.as_deref(), limit), want.clone());
        // Through the trait as well (a later request of a batch reads the batch's Txn).
        prop_assert_eq!(StateRead::scan(&txn, &prefix, after.as_deref(), limit), want);
    }
}
