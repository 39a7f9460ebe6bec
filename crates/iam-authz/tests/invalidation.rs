//! The caches: a second decision re-parses nothing; `observe` makes the next decision
//! reflect a changed group policy, a detach, a removal from a group, a new default version;
//! a fill that raced with an invalidation is not cached; concurrent readers converge.

mod common;

use common::*;
use iam_authz::{AuthzDecision::*, AuthzIndex};
use iam_state::{keys, MemStore, StateRead, WriteSet};
use std::sync::{Arc, Mutex, RwLock};

/// bob (in group Devs) with a user-attached managed policy `S3Read` (v1 allows s3:GetObject,
/// v2 allows s3:PutObject); Devs has inline `Ec2` and attached `Logs`.
fn world() -> World {
    let mut w = World::new();
    w.policy(&policy(
        "S3Read",
        &[&allow("s3:GetObject", "*"), &allow("s3:PutObject", "*")],
        1,
    ));
    w.policy(&policy("Logs", &[&allow("logs:*", "*")], 1));
    let mut g = group("Devs");
    g.inline_policies
        .insert("Ec2".into(), allow("ec2:DescribeInstances", "*"));
    g.attached_policies.push(policy_arn("Logs"));
    w.group(&g);
    let mut u = user("bob");
    u.groups.push("Devs".into());
    u.attached_policies.push(policy_arn("S3Read"));
    w.user(&u);
    let mut ann = user("ann");
    ann.groups.push("Devs".into());
    w.user(&ann);
    w
}

#[test]
fn a_second_decision_reuses_the_compiled_principal() {
    let w = world();
    let ix = AuthzIndex::new();
    let bob = user_arn("bob");
    assert_eq!(decide(&ix, &w.store, &bob, "s3:GetObject", "*"), Allowed);
    let s1 = ix.stats();
    assert_eq!(s1.principal_loads, 1);
    assert_eq!(s1.parses, 3, "S3Read, Logs and the group's inline Ec2");
    assert_eq!(s1.group_loads, 1);
    for action in ["logs:PutLogEvents", "ec2:DescribeInstances", "s3:GetObject"] {
        assert_eq!(decide(&ix, &w.store, &bob, action, "*"), Allowed);
    }
    let s2 = ix.stats();
    assert_eq!(s2.parses, s1.parses, "no re-parse");
    assert_eq!(s2.principal_loads, 1, "no reload");
    assert_eq!(s2.principal_hits, 3);
    // Another member reuses the group's parsed inline document and the Logs document.
    assert_eq!(
        decide(&ix, &w.store, &user_arn("ann"), "logs:GetLogEvents", "*"),
        Allowed
    );
    let s3 = ix.stats();
    assert_eq!(
        s3.parses, s1.parses,
        "group inline and managed documents parsed once"
    );
    assert_eq!(s3.group_loads, 1);
    assert_eq!(s3.principal_loads, 2);
    assert_eq!(s3.cached_principals, 2);
}

#[test]
fn documents_given_with_requests_are_parsed_once_per_text() {
    let w = world();
    let ix = AuthzIndex::new();
    let req = |doc: String| iam_authz::SimulateRequest {
        principal_arn: None,
        actions: vec!["s3:GetObject".into()],
        resources: vec!["*".into()],
        context: vec![],
        policy_documents: Some(vec![doc]),
        boundary_document: Some(allow("s3:*", "*")),
        with_explanation: false,
        session_tags: vec![],
    };
    let first = ix
        .simulate(&w.store, &req(allow("s3:GetObject", "*")))
        .unwrap();
    assert_eq!(first.results[0].decision, Allowed);
    let parsed = ix.stats().parses;
    assert_eq!(parsed, 2, "the document and the boundary");
    for _ in 0..3 {
        let again = ix
            .simulate(&w.store, &req(allow("s3:GetObject", "*")))
            .unwrap();
        assert_eq!(again.results[0].decision, Allowed);
    }
    assert_eq!(ix.stats().parses, parsed, "same texts: no re-parse");
    let other = ix
        .simulate(&w.store, &req(allow("s3:PutObject", "*")))
        .unwrap();
    assert_eq!(other.results[0].decision, ImplicitDeny);
    assert_eq!(ix.stats().parses, parsed + 1, "a new text is parsed");
    // A malformed document is an error every time, never cached as something else.
    assert!(ix.simulate(&w.store, &req("{".into())).is_err());
    assert!(ix.simulate(&w.store, &req("{".into())).is_err());
}

#[test]
fn without_observe_the_cache_answers_and_with_it_the_change_shows() {
    let mut w = world();
    let ix = AuthzIndex::new();
    let bob = user_arn("bob");
    assert_eq!(
        decide(&ix, &w.store, &bob, "ec2:DescribeInstances", "*"),
        Allowed
    );
    // Change the group's inline policy to a deny.
    let mut g = group("Devs");
    g.inline_policies
        .insert("Ec2".into(), deny("ec2:DescribeInstances"));
    g.attached_policies.push(policy_arn("Logs"));
    let ws = w.group(&g);
    assert_eq!(
        decide(&ix, &w.store, &bob, "ec2:DescribeInstances", "*"),
        Allowed,
        "the cached entry is what answers until observe"
    );
    ix.observe(&ws);
    assert_eq!(
        decide(&ix, &w.store, &bob, "ec2:DescribeInstances", "*"),
        ExplicitDeny
    );
    assert_eq!(ix.stats().invalidations, 1);
}

#[test]
fn changing_a_group_policy_reaches_every_cached_member_only() {
    let mut w = world();
    w.user(&user("loner"));
    let ix = AuthzIndex::new();
    for p in ["bob", "ann", "loner"] {
        decide(&ix, &w.store, &user_arn(p), "logs:GetLogEvents", "*");
    }
    let mut g = group("Devs");
    g.attached_policies.clear();
    ix.observe(&w.group(&g));
    let s = ix.stats();
    assert_eq!(s.invalidations, 2, "bob and ann, not loner");
    assert_eq!(s.cached_principals, 1);
    assert_eq!(
        decide(&ix, &w.store, &user_arn("ann"), "logs:GetLogEvents", "*"),
        ImplicitDeny
    );
    assert_eq!(
        decide(&ix, &w.store, &user_arn("bob"), "logs:GetLogEvents", "*"),
        ImplicitDeny
    );
}

#[test]
fn detaching_a_policy_takes_effect_after_observe() {
    let mut w = world();
    let ix = AuthzIndex::new();
    let bob = user_arn("bob");
    assert_eq!(decide(&ix, &w.store, &bob, "s3:GetObject", "*"), Allowed);
    let mut u = user("bob");
    u.groups.push("Devs".into());
    let mut ws = w.user(&u);
    ws.extend(w.delete(keys::policy_entity(
        A,
        "S3Read",
        keys::EntityKind::User,
        "bob",
    )));
    ix.observe(&ws);
    assert_eq!(
        decide(&ix, &w.store, &bob, "s3:GetObject", "*"),
        ImplicitDeny
    );
}

#[test]
fn removing_a_user_from_a_group_takes_effect_after_observe() {
    let mut w = world();
    let ix = AuthzIndex::new();
    let bob = user_arn("bob");
    assert_eq!(
        decide(&ix, &w.store, &bob, "logs:GetLogEvents", "*"),
        Allowed
    );
    // Only the membership entry is observed: it stands for the user.
    let mut u = user("bob");
    u.attached_policies.push(policy_arn("S3Read"));
    let _not_observed = w.user(&u);
    let ws = w.delete(keys::group_member(A, "Devs", "bob"));
    ix.observe(&ws);
    assert_eq!(
        decide(&ix, &w.store, &bob, "logs:GetLogEvents", "*"),
        ImplicitDeny
    );
    assert_eq!(decide(&ix, &w.store, &bob, "s3:GetObject", "*"), Allowed);
}

#[test]
fn a_new_default_version_takes_effect_after_observe_and_is_parsed_once() {
    let mut w = world();
    let ix = AuthzIndex::new();
    let bob = user_arn("bob");
    decide(&ix, &w.store, &bob, "s3:GetObject", "*");
    let parses = ix.stats().parses;
    let ws = w.policy(&policy(
        "S3Read",
        &[&allow("s3:GetObject", "*"), &allow("s3:PutObject", "*")],
        2,
    ));
    ix.observe(&ws);
    assert_eq!(
        decide(&ix, &w.store, &bob, "s3:GetObject", "*"),
        ImplicitDeny
    );
    assert_eq!(decide(&ix, &w.store, &bob, "s3:PutObject", "*"), Allowed);
    // Only v2 was parsed again; the group's inline and Logs documents came from the caches.
    assert_eq!(ix.stats().parses, parses + 1);
}

#[test]
fn unrelated_writes_keep_the_cache() {
    let mut w = world();
    let ix = AuthzIndex::new();
    let bob = user_arn("bob");
    decide(&ix, &w.store, &bob, "s3:GetObject", "*");
    let mut ws = w.put(keys::access_key("AKIAEXAMPLE"), &"k");
    ws.extend(w.put(keys::quota(A, "roles"), &"300"));
    ix.observe(&ws);
    ix.observe(&w.user(&user("someone-else")));
    let s = ix.stats();
    assert_eq!(s.invalidations, 0);
    assert_eq!(s.generation, 1, "only the user write is relevant");
    decide(&ix, &w.store, &bob, "s3:GetObject", "*");
    assert_eq!(ix.stats().principal_loads, 1);
}

/// A store that, the first time a given key is read, commits a write set and tells the
/// index — an apply landing in the middle of a load.
struct Racing<'a> {
    store: Mutex<MemStore>,
    trigger: Vec<u8>,
    pending: Mutex<Option<WriteSet>>,
    index: &'a AuthzIndex,
}

impl StateRead for Racing<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        if key == self.trigger.as_slice() {
            if let Some(ws) = self.pending.lock().unwrap().take() {
                self.store.lock().unwrap().commit(ws.clone());
                self.index.observe(&ws);
            }
        }
        self.store.lock().unwrap().get(key)
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.store.lock().unwrap().scan(prefix, after, limit)
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        self.store.lock().unwrap().for_each(f)
    }
}

fn racing<'a>(ix: &'a AuthzIndex, trigger: Vec<u8>, write: (Vec<u8>, Vec<u8>)) -> Racing<'a> {
    let mut ws = WriteSet::default();
    ws.ops.insert(write.0, Some(write.1));
    Racing {
        store: Mutex::new(world().store),
        trigger,
        pending: Mutex::new(Some(ws)),
        index: ix,
    }
}

#[test]
fn a_fill_that_raced_with_an_invalidation_is_not_cached() {
    let ix = AuthzIndex::new();
    // While bob's load reads the group, bob's user record changes (S3Read detached): the
    // load already read the old record.
    let mut u = user("bob");
    u.groups.push("Devs".into());
    let s = racing(
        &ix,
        keys::group(A, "Devs"),
        (keys::user(A, "bob"), iam_state::encode(&u)),
    );
    let bob = user_arn("bob");
    let first = decide(&ix, &s, &bob, "s3:GetObject", "*");
    assert_eq!(first, Allowed, "the racing load answers from what it read");
    let st = ix.stats();
    assert_eq!(st.discarded_fills, 1);
    assert_eq!(st.cached_principals, 0, "the stale entry was not inserted");
    assert_eq!(decide(&ix, &s, &bob, "s3:GetObject", "*"), ImplicitDeny);
    assert_eq!(ix.stats().cached_principals, 1);
}

#[test]
fn a_fill_survives_an_unrelated_write_during_its_load() {
    let ix = AuthzIndex::new();
    let s = racing(
        &ix,
        keys::group(A, "Devs"),
        (
            keys::user(A, "newcomer"),
            iam_state::encode(&user("newcomer")),
        ),
    );
    decide(&ix, &s, &user_arn("bob"), "s3:GetObject", "*");
    let st = ix.stats();
    assert_eq!(st.generation, 1);
    assert_eq!(st.discarded_fills, 0);
    assert_eq!(st.cached_principals, 1);
}

/// A shared store for threads: readers authorize while a writer flips a policy and observes.
struct Shared(RwLock<MemStore>);

impl StateRead for Shared {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.read().unwrap().get(key)
    }
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.0.read().unwrap().scan(prefix, after, limit)
    }
    fn for_each(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        self.0.read().unwrap().for_each(f)
    }
}

#[test]
fn concurrent_readers_see_the_last_observed_state() {
    let ix = Arc::new(AuthzIndex::new());
    let store = Arc::new(Shared(RwLock::new(world().store)));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (ix, store, done) = (ix.clone(), store.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    decide(&ix, &*store, &user_arn("bob"), "ec2:DescribeInstances", "*");
                }
            })
        })
        .collect();
    for i in 0..200 {
        let mut g = group("Devs");
        let doc = if i % 2 == 0 {
            deny("ec2:DescribeInstances")
        } else {
            allow("ec2:DescribeInstances", "*")
        };
        g.inline_policies.insert("Ec2".into(), doc);
        let mut ws = WriteSet::default();
        ws.ops
            .insert(keys::group(A, "Devs"), Some(iam_state::encode(&g)));
        store.0.write().unwrap().commit(ws.clone());
        ix.observe(&ws);
        let expect = if i % 2 == 0 { ExplicitDeny } else { Allowed };
        assert_eq!(
            decide(&ix, &*store, &user_arn("bob"), "ec2:DescribeInstances", "*"),
            expect,
            "round {i}"
        );
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
}
