//! [`AuthzIndex`]: the caches (principals, groups, parsed managed-policy documents), their
//! invalidation from applied write sets, and the generation guard that keeps a fill that
//! raced with an invalidation out of the cache.

use crate::principal::{GroupEntry, PrincipalPolicies};
use iam_policy::Policy;
use iam_state::WriteSet;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A state key (`user/{a}/{u}`, `group/{a}/{g}`, `policy/{a}/{p}`, ...).
pub(crate) type Key = Vec<u8>;

/// How many recent generations remember the keys they invalidated. A fill that started more
/// generations ago than this is never inserted.
const RECENT_GENERATIONS: usize = 256;

/// Default bound on cached principals; past it the principal cache is emptied.
pub const DEFAULT_MAX_PRINCIPALS: usize = 100_000;

/// Counters describing the index's work since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthzStats {
    /// Policy documents parsed (inline, managed, custom).
    pub parses: u64,
    /// Principals loaded from the state (cache misses).
    pub principal_loads: u64,
    /// Principals answered from the cache.
    pub principal_hits: u64,
    /// Groups loaded from the state.
    pub group_loads: u64,
    /// Cached principals dropped because something they read was written.
    pub invalidations: u64,
    /// Fills not inserted because a key they read was written meanwhile.
    pub discarded_fills: u64,
    /// Applied batches that touched authorization-relevant keys.
    pub generation: u64,
    /// Principals currently cached.
    pub cached_principals: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) parses: AtomicU64,
    pub(crate) principal_loads: AtomicU64,
    pub(crate) principal_hits: AtomicU64,
    pub(crate) group_loads: AtomicU64,
    pub(crate) invalidations: AtomicU64,
    pub(crate) discarded_fills: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Parsed documents of one managed policy: (policy id, version id) → document.
type Documents = HashMap<(String, String), Arc<Policy>>;

#[derive(Default)]
struct Inner {
    generation: u64,
    /// The keys each recent generation wrote, oldest first.
    recent: VecDeque<(u64, Vec<Key>)>,
    principals: HashMap<Key, Arc<PrincipalPolicies>>,
    groups: HashMap<Key, Arc<GroupEntry>>,
    /// Policy state key → its parsed documents.
    documents: HashMap<Key, Documents>,
    /// State key → the cached principals that read it.
    dependents: HashMap<Key, HashSet<Key>>,
}

impl Inner {
    /// True when nothing in `deps` was written since generation `since`.
    fn fresh(&self, since: u64, deps: &[Key]) -> bool {
        if self.generation == since {
            return true;
        }
        match self.recent.front() {
            Some((oldest, _)) if *oldest <= since + 1 => {}
            _ => return false,
        }
        !self
            .recent
            .iter()
            .filter(|(g, _)| *g > since)
            .any(|(_, keys)| keys.iter().any(|k| deps.contains(k)))
    }

    fn remove_principal(&mut self, key: &[u8]) -> bool {
        let Some(p) = self.principals.remove(key) else {
            return false;
        };
        for dep in &p.deps {
            if let Some(set) = self.dependents.get_mut(dep) {
                set.remove(key);
                if set.is_empty() {
                    self.dependents.remove(dep);
                }
            }
        }
        true
    }
}

/// The per-node authorization index. Cheap to share (`Send + Sync`, interior mutability);
/// see the crate docs for the design.
pub struct AuthzIndex {
    inner: RwLock<Inner>,
    pub(crate) counters: Counters,
    max_principals: usize,
    /// Parsed documents given with a request (session policies, simulation inputs), by
    /// kind (identity, boundary) and text. A parse depends on the text alone, so entries
    /// never go stale; the map is emptied past [`CUSTOM_DOCUMENTS_MAX`].
    custom: Mutex<[HashMap<String, Arc<Policy>>; 2]>,
}

/// Bound on cached request documents (per kind).
pub(crate) const CUSTOM_DOCUMENTS_MAX: usize = 4096;

impl Default for AuthzIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthzIndex {
    /// An empty index caching up to [`DEFAULT_MAX_PRINCIPALS`] principals.
    pub fn new() -> Self {
        Self::with_max_principals(DEFAULT_MAX_PRINCIPALS)
    }

    /// An empty index caching up to `max` principals (the principal cache is emptied when
    /// it would grow past that).
    pub fn with_max_principals(max: usize) -> Self {
        Self {
            inner: RwLock::new(Inner::default()),
            counters: Counters::default(),
            max_principals: max.max(1),
            custom: Mutex::default(),
        }
    }

    /// A document given with a request, parsed once per distinct text (a session's policy
    /// is then not re-parsed on every call the session makes).
    pub(crate) fn custom_document(
        &self,
        text: &str,
        kind: iam_policy::PolicyKind,
    ) -> iam_model::IamResult<Arc<Policy>> {
        let slot = usize::from(kind == iam_policy::PolicyKind::Boundary);
        let cached = self.custom.lock().unwrap_or_else(|e| e.into_inner())[slot]
            .get(text)
            .cloned();
        if let Some(p) = cached {
            return Ok(p);
        }
        bump(&self.counters.parses);
        let parsed = Arc::new(iam_state::ops::parse_stored_policy(text, kind)?);
        let mut maps = self.custom.lock().unwrap_or_else(|e| e.into_inner());
        if maps[slot].len() >= CUSTOM_DOCUMENTS_MAX {
            maps[slot].clear();
        }
        maps[slot].insert(text.to_owned(), parsed.clone());
        Ok(parsed)
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock leaves only caches behind: keep serving.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// What the index did so far.
    pub fn stats(&self) -> AuthzStats {
        let c = &self.counters;
        let (generation, cached) = {
            let inner = self.read();
            (inner.generation, inner.principals.len() as u64)
        };
        AuthzStats {
            parses: c.parses.load(Ordering::Relaxed),
            principal_loads: c.principal_loads.load(Ordering::Relaxed),
            principal_hits: c.principal_hits.load(Ordering::Relaxed),
            group_loads: c.group_loads.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            discarded_fills: c.discarded_fills.load(Ordering::Relaxed),
            generation,
            cached_principals: cached,
        }
    }

    /// Drops every cached entry (for tests and operators; never needed for correctness).
    pub fn clear(&self) {
        let mut inner = self.write();
        inner.generation += 1;
        inner.recent.clear();
        inner.principals.clear();
        inner.groups.clear();
        inner.documents.clear();
        inner.dependents.clear();
    }

    /// Tells the index which keys an applied batch wrote. The storage layer calls it after
    /// the batch's writes are readable through the `StateRead` that `authorize` is given and
    /// before the batch's log index is published to readers. Cheap when the batch touches no
    /// user, role, group, membership, policy, attachment or account key.
    pub fn observe(&self, writes: &WriteSet) {
        let mut touched: Vec<Key> = Vec::new();
        for key in writes.ops.keys() {
            relevant_keys(key, &mut touched);
        }
        if touched.is_empty() {
            return;
        }
        touched.sort();
        touched.dedup();
        let mut dropped = 0u64;
        {
            let mut inner = self.write();
            inner.generation += 1;
            let generation = inner.generation;
            inner.recent.push_back((generation, touched.clone()));
            while inner.recent.len() > RECENT_GENERATIONS {
                inner.recent.pop_front();
            }
            for key in &touched {
                inner.groups.remove(key);
                inner.documents.remove(key);
                if let Some(set) = inner.dependents.remove(key) {
                    for p in set {
                        if inner.remove_principal(&p) {
                            dropped += 1;
                        }
                    }
                }
            }
        }
        self.counters
            .invalidations
            .fetch_add(dropped, Ordering::Relaxed);
    }

    /// The generation a fill starts at.
    pub(crate) fn generation(&self) -> u64 {
        self.read().generation
    }

    pub(crate) fn cached_principal(&self, key: &[u8]) -> Option<Arc<PrincipalPolicies>> {
        let hit = self.read().principals.get(key).cloned();
        if hit.is_some() {
            bump(&self.counters.principal_hits);
        }
        hit
    }

    /// Inserts a principal loaded since generation `since`, unless something it read was
    /// written meanwhile.
    pub(crate) fn insert_principal(&self, key: Key, p: Arc<PrincipalPolicies>, since: u64) {
        let mut inner = self.write();
        if !inner.fresh(since, &p.deps) {
            drop(inner);
            bump(&self.counters.discarded_fills);
            return;
        }
        if inner.principals.len() >= self.max_principals && !inner.principals.contains_key(&key) {
            inner.principals.clear();
            inner.dependents.clear();
        }
        inner.remove_principal(&key);
        for dep in &p.deps {
            inner
                .dependents
                .entry(dep.clone())
                .or_default()
                .insert(key.clone());
        }
        inner.principals.insert(key, p);
    }

    pub(crate) fn cached_group(&self, key: &[u8]) -> Option<Arc<GroupEntry>> {
        self.read().groups.get(key).cloned()
    }

    pub(crate) fn insert_group(&self, key: Key, g: Arc<GroupEntry>, since: u64) {
        let mut inner = self.write();
        if inner.fresh(since, std::slice::from_ref(&key)) {
            inner.groups.insert(key, g);
        } else {
            drop(inner);
            bump(&self.counters.discarded_fills);
        }
    }

    pub(crate) fn cached_document(
        &self,
        policy_key: &[u8],
        id: &str,
        version: &str,
    ) -> Option<Arc<Policy>> {
        self.read()
            .documents
            .get(policy_key)?
            .get(&(id.to_owned(), version.to_owned()))
            .cloned()
    }

    pub(crate) fn insert_document(
        &self,
        policy_key: Key,
        id: &str,
        version: &str,
        doc: Arc<Policy>,
        since: u64,
    ) {
        let mut inner = self.write();
        if inner.fresh(since, std::slice::from_ref(&policy_key)) {
            inner
                .documents
                .entry(policy_key)
                .or_default()
                .insert((id.to_owned(), version.to_owned()), doc);
        }
    }
}

/// The cache keys a written state key affects: user, role, group, policy and account keys
/// as they are; a membership entry `gmem/{a}/{g}/{u}` stands for the user `user/{a}/{u}`;
/// an attachment entry `pent/{a}/{p}/{kind}/{e}` for the entity `{kind}/{a}/{e}`. Other keys
/// (access keys, quotas, tokens, ...) do not affect authorization.
fn relevant_keys(key: &[u8], out: &mut Vec<Key>) {
    let Ok(s) = std::str::from_utf8(key) else {
        return;
    };
    let mut parts = s.split('/');
    match parts.next() {
        Some("user" | "role" | "group" | "policy" | "acct") => out.push(key.to_vec()),
        Some("gmem") => {
            if let (Some(a), Some(_g), Some(u)) = (parts.next(), parts.next(), parts.next()) {
                out.push(format!("user/{a}/{u}").into_bytes());
            }
        }
        Some("pent") => {
            if let (Some(a), Some(_p), Some(kind), Some(e)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                out.push(format!("{kind}/{a}/{e}").into_bytes());
            }
        }
        _ => {}
    }
}

/// The storage layer tells the index about every applied write set (before and after the
/// commit) and about snapshot installs.
impl iam_state::ApplyObserver for AuthzIndex {
    fn observe(&self, _index: u64, writes: &WriteSet) {
        AuthzIndex::observe(self, writes);
    }

    fn reset(&self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_and_attachment_entries_map_to_their_entities() {
        let mut out = Vec::new();
        relevant_keys(b"gmem/123456789012/devs/bob", &mut out);
        relevant_keys(b"pent/123456789012/p1/role/ops", &mut out);
        relevant_keys(b"akey/AKIAXXXX", &mut out);
        relevant_keys(b"quota/123456789012/roles", &mut out);
        relevant_keys(b"group/123456789012/devs", &mut out);
        assert_eq!(
            out,
            vec![
                b"user/123456789012/bob".to_vec(),
                b"role/123456789012/ops".to_vec(),
                b"group/123456789012/devs".to_vec(),
            ]
        );
    }

    #[test]
    fn freshness_looks_only_at_keys_written_since_the_fill_started() {
        let mut inner = Inner::default();
        assert!(inner.fresh(0, &[b"user/a/x".to_vec()]));
        inner.generation = 2;
        inner.recent.push_back((1, vec![b"user/a/y".to_vec()]));
        inner.recent.push_back((2, vec![b"group/a/g".to_vec()]));
        assert!(inner.fresh(0, &[b"user/a/x".to_vec()]));
        assert!(!inner.fresh(0, &[b"group/a/g".to_vec()]));
        assert!(inner.fresh(2, &[b"group/a/g".to_vec()]));
        assert!(!inner.fresh(1, &[b"group/a/g".to_vec()]));
        // A fill older than the remembered generations is never fresh.
        inner.recent.pop_front();
        assert!(!inner.fresh(0, &[b"user/a/x".to_vec()]));
        assert!(inner.fresh(1, &[b"user/a/x".to_vec()]));
    }
}
