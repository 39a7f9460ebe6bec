//! Test fixtures: a `MemStore` with records written directly under `iam_state::keys`, and
//! writes returned as `WriteSet`s so tests can commit them and hand them to `observe`.

#![allow(dead_code, unreachable_pub)]

use iam_authz::{AuthzAnswer, AuthzDecision, AuthzIndex, AuthzRequest};
use iam_model::{Account, Group, ManagedPolicy, PolicyVersion, Role, Tag, User};
use iam_state::{encode, keys, MemStore, WriteSet};
use std::collections::BTreeMap;

pub const A: &str = "123456789012";

pub fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"A","Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

pub fn deny(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"D","Effect":"Deny","Action":"{action}","Resource":"*"}}]}}"#
    )
}

pub fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:user/{name}")
}

pub fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:policy/{name}")
}

pub fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:role/{name}")
}

/// A store plus helpers that write records; each helper returns the writes it made.
#[derive(Default)]
pub struct World {
    pub store: MemStore,
}

impl World {
    pub fn new() -> Self {
        let mut w = World::default();
        w.put(
            keys::account(A),
            &Account {
                id: A.into(),
                name: "acme".into(),
                email: "ops@acme.io".into(),
                root_arn: format!("arn:aws:iam::{A}:root"),
                created_ms: 1,
                alias: None,
            },
        );
        w
    }

    pub fn put<T: serde::Serialize>(&mut self, key: Vec<u8>, value: &T) -> WriteSet {
        let mut ws = WriteSet::default();
        ws.ops.insert(key, Some(encode(value)));
        self.store.commit(ws.clone());
        ws
    }

    pub fn delete(&mut self, key: Vec<u8>) -> WriteSet {
        let mut ws = WriteSet::default();
        ws.ops.insert(key, None);
        self.store.commit(ws.clone());
        ws
    }

    pub fn user(&mut self, u: &User) -> WriteSet {
        let mut ws = self.put(keys::user(A, &u.name), u);
        for g in &u.groups {
            let mut m = WriteSet::default();
            m.ops
                .insert(keys::group_member(A, g, &u.name), Some(Vec::new()));
            self.store.commit(m.clone());
            ws.extend(m);
        }
        ws
    }

    pub fn group(&mut self, g: &Group) -> WriteSet {
        self.put(keys::group(A, &g.name), g)
    }

    pub fn role(&mut self, r: &Role) -> WriteSet {
        self.put(keys::role(A, &r.name), r)
    }

    pub fn policy(&mut self, p: &ManagedPolicy) -> WriteSet {
        self.put(keys::policy(A, &p.name), p)
    }
}

pub fn user(name: &str) -> User {
    User {
        account: A.into(),
        name: name.into(),
        path: "/".into(),
        id: format!("AIDA{:A>17}", name.to_uppercase()),
        arn: user_arn(name),
        created_ms: 1,
        tags: vec![],
        permissions_boundary: None,
        groups: vec![],
        attached_policies: vec![],
        inline_policies: BTreeMap::new(),
    }
}

pub fn group(name: &str) -> Group {
    Group::new(
        A,
        name,
        "/",
        &format!("AGPA{:A>17}", name.to_uppercase()),
        format!("arn:aws:iam::{A}:group/{name}"),
        1,
    )
}

pub fn role(name: &str) -> Role {
    Role {
        account: A.into(),
        name: name.into(),
        path: "/".into(),
        id: format!("AROA{:A>17}", name.to_uppercase()),
        arn: role_arn(name),
        created_ms: 1,
        assume_role_policy: String::new(),
        description: String::new(),
        max_session_duration: 3600,
        tags: vec![],
        permissions_boundary: None,
        attached_policies: vec![],
        inline_policies: BTreeMap::new(),
        trust_principal_ids: None,
    }
}

/// A managed policy whose versions are `docs` (v1, v2, …) with `default` as default.
pub fn policy(name: &str, docs: &[&str], default: usize) -> ManagedPolicy {
    ManagedPolicy {
        account: A.into(),
        name: name.into(),
        path: "/".into(),
        id: format!("ANPA{:A>17}", name.to_uppercase()),
        arn: policy_arn(name),
        created_ms: 1,
        updated_ms: 1,
        description: String::new(),
        default_version: format!("v{default}"),
        versions: docs
            .iter()
            .enumerate()
            .map(|(i, d)| PolicyVersion {
                version_id: format!("v{}", i + 1),
                document: (*d).to_owned(),
                created_ms: 1,
            })
            .collect(),
        next_version: docs.len() as u32 + 1,
        attachment_count: 0,
        boundary_usage_count: 0,
        tags: vec![],
    }
}

pub fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

pub fn ask(principal: &str, action: &str, resource: &str) -> AuthzRequest {
    AuthzRequest {
        principal_arn: principal.into(),
        action: action.into(),
        resource: resource.into(),
        context: vec![],
        session_tags: vec![],
        with_explanation: false,
        identity_only: false,
    }
}

pub fn decide(
    index: &AuthzIndex,
    state: &dyn iam_state::StateRead,
    principal: &str,
    action: &str,
    resource: &str,
) -> AuthzDecision {
    answer(index, state, principal, action, resource).decision
}

pub fn answer(
    index: &AuthzIndex,
    state: &dyn iam_state::StateRead,
    principal: &str,
    action: &str,
    resource: &str,
) -> AuthzAnswer {
    index
        .authorize(state, &ask(principal, action, resource))
        .unwrap_or_else(|e| panic!("{e}"))
}
