//! The principal families (users, groups, roles, instance profiles) driven through
//! `iam_state::apply` and queries on a `MemStore`: every operation, its AWS error paths,
//! limits, paging, renames that move every key naming the entity, and that a rejected
//! command changes nothing.

use iam_model::{ErrorCode, IamError, Tag};
use iam_state::ops::groups::{GroupOp, GroupQuery};
use iam_state::ops::instance_profiles::{InstanceProfileOp, InstanceProfileQuery};
use iam_state::ops::roles::{RoleOp, RoleQuery};
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::PageRequest;
use iam_state::{
    apply, state_hash, Command, MemStore, Op, Outcome, Query, Request, StateRead, WriteSet, Q,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const A: &str = "123456789012";

struct S {
    store: MemStore,
    index: u64,
}

impl S {
    fn new() -> Self {
        let mut s = S {
            store: MemStore::new(),
            index: 0,
        };
        s.request(Command::CreateAccount {
            account_id: A.into(),
            name: "acme".into(),
            email: "ops@acme.io".into(),
        })
        .unwrap();
        s
    }

    fn request(&mut self, command: Command) -> Result<Outcome, IamError> {
        self.index += 1;
        let req = Request {
            request_token: None,
            time_ms: 1000 + self.index,
            command,
            origin: None,
        };
        let (resp, writes) = apply(&self.store, self.index, &req);
        self.store.commit(writes);
        resp.result
    }

    fn op(&mut self, op: impl Into<Op>) -> Result<Outcome, IamError> {
        self.request(Command::in_account(A, op))
    }

    #[track_caller]
    fn ok(&mut self, op: impl Into<Op>) -> Value {
        let op = op.into();
        match self.op(op.clone()) {
            Ok(o) => o.to_json(),
            Err(e) => panic!("{op:?} failed: {e}"),
        }
    }

    /// Applies an op that must fail with `code`, and checks it changed nothing.
    #[track_caller]
    fn err(&mut self, op: impl Into<Op>, code: ErrorCode) -> String {
        let op = op.into();
        let before = state_hash(&self.store);
        let e = match self.op(op.clone()) {
            Ok(o) => panic!("{op:?} succeeded: {o:?}"),
            Err(e) => e,
        };
        assert_eq!(e.code, code, "{op:?}: {e}");
        assert_eq!(
            state_hash(&self.store),
            before,
            "a rejected {op:?} changed state"
        );
        e.message
    }

    fn q(&self, q: impl Into<Q>) -> Result<Value, IamError> {
        Query::in_account(A, q).run(&self.store)
    }

    #[track_caller]
    fn qok(&self, q: impl Into<Q>) -> Value {
        self.q(q).unwrap()
    }

    fn raw_put(&mut self, key: &str, value: &str) {
        let mut w = WriteSet::default();
        w.ops
            .insert(key.as_bytes().to_vec(), Some(value.as_bytes().to_vec()));
        self.store.commit(w);
    }

    fn raw_get(&self, key: &str) -> Option<String> {
        self.store
            .get(key.as_bytes())
            .map(|v| String::from_utf8(v).unwrap())
    }

    /// Edits a stored JSON record in place (to simulate what other families write).
    fn raw_edit(&mut self, key: &str, f: impl FnOnce(&mut Value)) {
        let mut v: Value = serde_json::from_str(&self.raw_get(key).unwrap()).unwrap();
        f(&mut v);
        self.raw_put(key, &v.to_string());
    }

    fn count(&self, kind: &str) -> u64 {
        self.raw_get(&format!("count/{A}/{kind}"))
            .map_or(0, |v| v.parse().unwrap())
    }
}

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

fn page(marker: Option<&str>, max: u32) -> PageRequest {
    PageRequest {
        marker: marker.map(str::to_owned),
        max_items: Some(max),
    }
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

fn user(name: &str) -> UserOp {
    user_at(name, "/")
}

fn user_at(name: &str, path: &str) -> UserOp {
    UserOp::Create {
        name: name.into(),
        path: path.into(),
        tags: vec![],
        permissions_boundary: None,
        user_id: format!("AIDA{:0>17}", name.len()),
    }
}

fn group(name: &str) -> GroupOp {
    group_at(name, "/")
}

fn group_at(name: &str, path: &str) -> GroupOp {
    GroupOp::create(name, path, "AGPA00000000000000001")
}

fn add(g: &str, u: &str) -> GroupOp {
    GroupOp::AddUser {
        group_name: g.into(),
        user_name: u.into(),
    }
}

fn remove(g: &str, u: &str) -> GroupOp {
    GroupOp::RemoveUser {
        group_name: g.into(),
        user_name: u.into(),
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn trust_of_size_over(n: usize) -> String {
    let pad = "x".repeat(n);
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{pad}"}}}}}}]}}"#
    )
}

fn role(name: &str) -> RoleOp {
    RoleOp::Create {
        name: name.into(),
        path: "/".into(),
        assume_role_policy_document: TRUST.into(),
        description: None,
        max_session_duration: None,
        permissions_boundary: None,
        tags: vec![],
        role_id: "AROA00000000000000001".into(),
    }
}

fn profile(name: &str) -> InstanceProfileOp {
    InstanceProfileOp::Create {
        name: name.into(),
        path: "/".into(),
        tags: vec![],
        instance_profile_id: "AIPA00000000000000001".into(),
    }
}

fn add_role(p: &str, r: &str) -> InstanceProfileOp {
    InstanceProfileOp::AddRole {
        instance_profile_name: p.into(),
        role_name: r.into(),
    }
}

#[path = "principals/groups.rs"]
mod groups;
#[path = "principals/profiles.rs"]
mod profiles;
#[path = "principals/roles.rs"]
mod roles;
#[path = "principals/service_linked_roles.rs"]
mod service_linked_roles;
#[path = "principals/users.rs"]
mod users;

// ---- random sequences are deterministic ----

fn arb_op() -> impl Strategy<Value = Op> {
    let n = || prop::sample::select(vec!["a", "A", "b", "c", "bad name"]);
    let path = prop::sample::select(vec!["/", "/x/", "bad"]);
    let tags = prop::collection::vec(
        (prop::sample::select(vec!["k", "K", "j"]), "[a-c]{0,2}").prop_map(|(k, v)| tag(k, &v)),
        0..3,
    );
    let keys = prop::collection::vec(prop::sample::select(vec!["k".to_owned(), "j".into()]), 0..2);
    prop_oneof![
        (n(), path.clone()).prop_map(|(a, p)| user_at(a, p).into()),
        n().prop_map(|a| UserOp::Delete { name: a.into() }.into()),
        (n(), prop::option::of(n()), prop::option::of(path.clone())).prop_map(|(a, b, p)| {
            UserOp::Update {
                name: a.into(),
                new_name: b.map(Into::into),
                new_path: p.map(Into::into),
            }
            .into()
        }),
        (n(), tags.clone()).prop_map(|(a, t)| UserOp::Tag {
            name: a.into(),
            tags: t
        }
        .into()),
        (n(), keys.clone()).prop_map(|(a, k)| UserOp::Untag {
            name: a.into(),
            tag_keys: k
        }
        .into()),
        (n(), path).prop_map(|(a, p)| group_at(a, p).into()),
        n().prop_map(|a| GroupOp::Delete { name: a.into() }.into()),
        (n(), prop::option::of(n())).prop_map(|(a, b)| GroupOp::Update {
            name: a.into(),
            new_name: b.map(Into::into),
            new_path: None,
        }
        .into()),
        (n(), n()).prop_map(|(g, u)| add(g, u).into()),
        (n(), n()).prop_map(|(g, u)| remove(g, u).into()),
        n().prop_map(|a| role(a).into()),
        n().prop_map(|a| RoleOp::Delete { name: a.into() }.into()),
        (n(), prop::option::of(3000u32..4000)).prop_map(|(a, d)| RoleOp::Update {
            name: a.into(),
            description: Some("d".into()),
            max_session_duration: d,
        }
        .into()),
        (n(), tags).prop_map(|(a, t)| RoleOp::Tag {
            name: a.into(),
            tags: t
        }
        .into()),
        (n(), keys).prop_map(|(a, k)| RoleOp::Untag {
            name: a.into(),
            tag_keys: k
        }
        .into()),
        n().prop_map(|a| profile(a).into()),
        n().prop_map(|a| InstanceProfileOp::Delete { name: a.into() }.into()),
        (n(), n()).prop_map(|(p, r)| add_role(p, r).into()),
        (n(), n()).prop_map(|(p, r)| InstanceProfileOp::RemoveRole {
            instance_profile_name: p.into(),
            role_name: r.into(),
        }
        .into()),
    ]
}

proptest! {
    #[test]
    fn random_principal_ops_are_deterministic(ops in prop::collection::vec(arb_op(), 0..60)) {
        let mut a = S::new();
        let mut b = S::new();
        for op in ops {
            let before = state_hash(&a.store);
            let ra = a.op(op.clone());
            let rb = b.op(op);
            if ra.is_err() {
                prop_assert_eq!(state_hash(&a.store), before);
            }
            prop_assert_eq!(ra, rb);
            prop_assert_eq!(state_hash(&a.store), state_hash(&b.store));
        }
        // Invariants: memberships are recorded on both sides, and counters match.
        let users = a.qok(UserQuery::List { path_prefix: "/".into(), page: page(None, 1000) });
        let mut memberships = 0;
        for u in users["items"].as_array().unwrap() {
            for g in u["groups"].as_array().unwrap() {
                let key = format!(
                    "gmem/{A}/{}/{}",
                    g.as_str().unwrap().to_ascii_lowercase(),
                    u["name"].as_str().unwrap().to_ascii_lowercase()
                );
                prop_assert!(a.raw_get(&key).is_some(), "missing {}", key);
                memberships += 1;
            }
        }
        prop_assert_eq!(a.store.scan(format!("gmem/{A}/").as_bytes(), None, usize::MAX).len(), memberships);
        prop_assert_eq!(a.count("users"), users["items"].as_array().unwrap().len() as u64);
        let groups = a.qok(GroupQuery::List { path_prefix: "/".into(), page: page(None, 1000) });
        prop_assert_eq!(a.count("groups"), groups["items"].as_array().unwrap().len() as u64);
        let profiles = a.qok(InstanceProfileQuery::List { path_prefix: "/".into(), page: page(None, 1000) });
        prop_assert_eq!(a.count("instance-profiles"), profiles["items"].as_array().unwrap().len() as u64);
        let rprof = a.store.scan(format!("rprof/{A}/").as_bytes(), None, usize::MAX).len();
        let in_profiles: usize = profiles["items"].as_array().unwrap().iter().map(|p| p["roles"].as_array().unwrap().len()).sum();
        prop_assert_eq!(rprof, in_profiles);
        let _ = RoleQuery::Get { name: "a".into() };
    }
}

#[test]
fn outcomes_serialize_as_records() {
    let mut s = S::new();
    let g = s.ok(group("dev"));
    assert_eq!(g["name"], "dev");
    assert_eq!(g["arn"], json!(format!("arn:aws:iam::{A}:group/dev")));
}
