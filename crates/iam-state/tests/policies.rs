//! The policies family: managed policies and versions, attachments, inline policies,
//! permissions boundaries, tags, the effective documents of a principal, and determinism.
//! The tests live in `tests/policies/`; this file holds the shared harness and the proptest.

use iam_model::{ErrorCode, Group, IamError, IamResult, Role, Tag, User};
use iam_state::keys::{self, EntityKind};
use iam_state::ops::policies::{
    effective_documents, BoundaryEntity, EntityFilter, PolicyOp, PolicyQuery, PolicyUsage, Scope,
};
use iam_state::ops::users::UserOp;
use iam_state::ops::{Op, PageRequest};
use iam_state::{
    apply, state_hash, Command, MemStore, Outcome, Query, Request, StateRead, WriteSet,
};
use proptest::prelude::*;
use serde_json::Value;

#[path = "policies/attach.rs"]
mod attach;
#[path = "policies/inline.rs"]
mod inline;
#[path = "policies/managed.rs"]
mod managed;

const A: &str = "123456789012";

fn arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:policy/{name}")
}

fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

/// A document of exactly `size` characters without whitespace (size >= 100).
fn doc_of_size(size: usize) -> String {
    let base = doc("s3:GetObject");
    let pad = size - base.len() + "s3:GetObject".len() - "s3:Get".len();
    doc(&format!("s3:Get{}", "x".repeat(pad)))
}

struct World {
    s: MemStore,
    index: u64,
}

impl World {
    fn new() -> Self {
        let mut w = World {
            s: MemStore::new(),
            index: 1,
        };
        w.request(Command::CreateAccount {
            account_id: A.into(),
            name: "acme".into(),
            email: "ops@acme.io".into(),
        })
        .unwrap();
        w
    }

    fn request(&mut self, command: Command) -> Result<Outcome, IamError> {
        let req = Request {
            request_token: None,
            time_ms: 1000 + self.index,
            command,
            origin: None,
        };
        let (resp, writes) = apply(&self.s, self.index, &req);
        self.index += 1;
        self.s.commit(writes);
        resp.result
    }

    fn op(&mut self, op: impl Into<Op>) -> Result<Outcome, IamError> {
        self.request(Command::in_account(A, op))
    }

    fn ok(&mut self, op: impl Into<Op>) -> Value {
        let op = op.into();
        match self.op(op.clone()) {
            Ok(o) => o.to_json(),
            Err(e) => panic!("{op:?} failed: {e}"),
        }
    }

    /// Applies an op that must fail, and checks that it changed nothing.
    fn err(&mut self, op: impl Into<Op>) -> IamError {
        let before = state_hash(&self.s);
        let op = op.into();
        let e = self
            .op(op.clone())
            .expect_err(&format!("{op:?} should fail"));
        assert_eq!(state_hash(&self.s), before, "rejected {op:?} changed state");
        e
    }

    fn q(&self, q: PolicyQuery) -> IamResult<Value> {
        Query::in_account(A, q).run(&self.s)
    }

    fn put_record<T: serde::Serialize>(&mut self, key: Vec<u8>, value: &T) {
        let mut w = WriteSet::default();
        w.ops.insert(key, Some(serde_json::to_vec(value).unwrap()));
        self.s.commit(w);
    }

    fn counter(&self, name: &str) -> u64 {
        self.s
            .get(&keys::count(A, name))
            .map(|v| String::from_utf8(v).unwrap().parse().unwrap())
            .unwrap_or(0)
    }

    fn user(&mut self, name: &str) {
        self.ok(UserOp::Create {
            name: name.into(),
            path: "/".into(),
            tags: vec![],
            permissions_boundary: None,
            user_id: format!("AIDA{name:A>17}"),
        });
    }

    fn get_user(&self, name: &str) -> User {
        serde_json::from_slice(&self.s.get(&keys::user(A, name)).unwrap()).unwrap()
    }

    fn group(&mut self, name: &str, path: &str) {
        let g = Group::new(
            A,
            name,
            path,
            &format!("AGPA{name:A>17}"),
            format!("arn:aws:iam::{A}:group{path}{name}"),
            1,
        );
        self.put_record(keys::group(A, name), &g);
    }

    fn role(&mut self, name: &str, path: &str) {
        let r = Role {
            account: A.into(),
            name: name.into(),
            path: path.into(),
            id: format!("AROA{name:A>17}"),
            arn: format!("arn:aws:iam::{A}:role{path}{name}"),
            created_ms: 1,
            assume_role_policy: "{}".into(),
            description: String::new(),
            max_session_duration: 3600,
            tags: vec![],
            permissions_boundary: None,
            attached_policies: vec![],
            inline_policies: Default::default(),
            trust_principal_ids: None,
        };
        self.put_record(keys::role(A, name), &r);
    }

    /// Puts `user` in `group` (the groups family's job, done by hand here).
    fn join(&mut self, user: &str, group: &str) {
        let mut u = self.get_user(user);
        u.groups.push(group.into());
        self.put_record(keys::user(A, user), &u);
    }

    fn policy(&mut self, name: &str) -> Value {
        self.policy_at(name, "/")
    }

    fn policy_at(&mut self, name: &str, path: &str) -> Value {
        self.ok(create(name, path, &doc("s3:*")))
    }

    fn get_policy(&self, name: &str) -> Value {
        self.q(PolicyQuery::Get {
            policy_arn: arn(name),
        })
        .unwrap()
    }
}

fn create(name: &str, path: &str, document: &str) -> PolicyOp {
    PolicyOp::Create {
        policy_name: name.into(),
        path: path.into(),
        policy_document: document.into(),
        description: "d".into(),
        tags: vec![],
        policy_id: format!("ANPA{name:A>17}"),
    }
}

fn attach(entity: EntityKind, who: &str, policy_arn: &str) -> PolicyOp {
    PolicyOp::Attach {
        entity,
        entity_name: who.into(),
        policy_arn: policy_arn.into(),
    }
}

fn detach(entity: EntityKind, who: &str, policy_arn: &str) -> PolicyOp {
    PolicyOp::Detach {
        entity,
        entity_name: who.into(),
        policy_arn: policy_arn.into(),
    }
}

fn put_inline(entity: EntityKind, who: &str, name: &str, document: &str) -> PolicyOp {
    PolicyOp::PutInline {
        entity,
        entity_name: who.into(),
        policy_name: name.into(),
        policy_document: document.into(),
    }
}

fn page(max: u32, marker: Option<&str>) -> PageRequest {
    PageRequest {
        marker: marker.map(str::to_owned),
        max_items: Some(max),
    }
}

fn list_policies(w: &World, only_attached: bool, usage: Option<PolicyUsage>) -> Vec<String> {
    let v = w
        .q(PolicyQuery::List {
            scope: Scope::All,
            only_attached,
            path_prefix: "/".into(),
            policy_usage_filter: usage,
            page: PageRequest::default(),
        })
        .unwrap();
    names(&v["items"], "policy_name")
}

fn names(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_owned())
        .collect()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

fn arb_op() -> impl Strategy<Value = PolicyOp> {
    let pol = prop::sample::select(vec!["P", "p", "Q", "bad name"]);
    let who = prop::sample::select(vec!["u", "U", "g", "r", "x"]);
    let kind = prop::sample::select(vec![EntityKind::User, EntityKind::Group, EntityKind::Role]);
    let ver = prop::sample::select(vec!["v1", "v2", "v3", "v0"]);
    (0u8..12, pol, who, kind, ver, any::<bool>()).prop_map(|(op, pol, who, kind, ver, flag)| {
        let a = arn(pol);
        match op {
            0 => create(pol, if flag { "/" } else { "/x/" }, &doc("s3:*")),
            1 => PolicyOp::Delete { policy_arn: a },
            2 => PolicyOp::CreateVersion {
                policy_arn: a,
                policy_document: doc("ec2:*"),
                set_as_default: flag,
            },
            3 => PolicyOp::DeleteVersion {
                policy_arn: a,
                version_id: ver.into(),
            },
            4 => PolicyOp::SetDefaultVersion {
                policy_arn: a,
                version_id: ver.into(),
            },
            5 | 6 => attach(kind, who, &a),
            7 => detach(kind, who, &a),
            8 => put_inline(kind, who, pol, &doc_of_size(if flag { 900 } else { 150 })),
            9 => PolicyOp::DeleteInline {
                entity: kind,
                entity_name: who.into(),
                policy_name: pol.into(),
            },
            10 => PolicyOp::PutBoundary {
                entity: if flag {
                    BoundaryEntity::User
                } else {
                    BoundaryEntity::Role
                },
                entity_name: who.into(),
                permissions_boundary: a,
            },
            _ => PolicyOp::Tag {
                policy_arn: a,
                tags: vec![tag(if flag { "k" } else { "K" }, who)],
            },
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn same_policy_ops_same_state(ops in prop::collection::vec(arb_op(), 0..40)) {
        let mut a = World::new();
        a.user("u");
        a.group("g", "/");
        a.role("r", "/");
        let mut b = World::new();
        b.user("u");
        b.group("g", "/");
        b.role("r", "/");
        for op in ops {
            let ra = a.op(op.clone());
            let rb = b.op(op);
            prop_assert_eq!(ra, rb);
        }
        prop_assert_eq!(state_hash(&a.s), state_hash(&b.s));
        // The attachment counts always match the index.
        for name in ["P", "Q"] {
            if let Ok(p) = a.q(PolicyQuery::Get { policy_arn: arn(name) }) {
                let n = a.s.scan(&keys::policy_entities_prefix(A, name), None, 100).len();
                prop_assert_eq!(p["attachment_count"].as_u64(), Some(n as u64));
            }
        }
    }
}
