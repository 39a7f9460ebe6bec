//! The policies family: managed policies and versions, attachments, inline policies,
//! permissions boundaries, tags, the effective documents of a principal, and determinism.

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
        let g = Group {
            account: A.into(),
            name: name.into(),
            path: path.into(),
            id: format!("AGPA{name:A>17}"),
            arn: format!("arn:aws:iam::{A}:group{path}{name}"),
            created_ms: 1,
            attached_policies: vec![],
            inline_policies: Default::default(),
        };
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

#[test]
fn create_get_list_and_delete_a_policy() {
    let mut w = World::new();
    let p = w.ok(PolicyOp::Create {
        policy_name: "ReadOnly".into(),
        path: "/team/".into(),
        policy_document: doc("s3:Get*"),
        description: "read".into(),
        tags: vec![tag("team", "core")],
        policy_id: "ANPAAAAAAAAAAAAAAAAAA".into(),
    });
    assert_eq!(p["arn"], format!("arn:aws:iam::{A}:policy/team/ReadOnly"));
    assert_eq!(p["default_version_id"], "v1");
    assert_eq!(p["attachment_count"], 0);
    assert_eq!(p["is_attachable"], true);
    assert_eq!(p["policy_id"], "ANPAAAAAAAAAAAAAAAAAA");
    assert_eq!(w.counter("policies"), 1);
    assert_eq!(w.counter("policy-versions"), 1);

    let team_arn = format!("arn:aws:iam::{A}:policy/team/ReadOnly");
    let got = w
        .q(PolicyQuery::Get {
            policy_arn: team_arn.clone(),
        })
        .unwrap();
    assert_eq!(got, p);
    assert_eq!(got["tags"][0]["key"], "team");
    // The path is part of the ARN: a wrong path names nothing.
    let e = w
        .q(PolicyQuery::Get {
            policy_arn: arn("ReadOnly"),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!(
            "Policy {} does not exist or is not attachable.",
            arn("ReadOnly")
        )
    );
    let v = w
        .q(PolicyQuery::GetVersion {
            policy_arn: team_arn.clone(),
            version_id: "v1".into(),
        })
        .unwrap();
    assert_eq!(v["document"], doc("s3:Get*"));
    assert_eq!(v["is_default_version"], true);

    // Names are unique case-insensitively, whatever the path.
    let e = w.err(create("readonly", "/", &doc("s3:*")));
    assert_eq!(e.code, ErrorCode::EntityAlreadyExists);
    assert_eq!(
        e.message,
        "A policy called readonly already exists. Duplicate names are not allowed."
    );

    w.policy("Other");
    assert_eq!(list_policies(&w, false, None), vec!["Other", "ReadOnly"]);
    let v = w
        .q(PolicyQuery::List {
            scope: Scope::Local,
            only_attached: false,
            path_prefix: "/team/".into(),
            policy_usage_filter: None,
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(names(&v["items"], "policy_name"), vec!["ReadOnly"]);
    let v = w
        .q(PolicyQuery::List {
            scope: Scope::Aws,
            only_attached: false,
            path_prefix: "/".into(),
            policy_usage_filter: None,
            page: PageRequest::default(),
        })
        .unwrap();
    assert!(v["items"].as_array().unwrap().is_empty());

    w.ok(PolicyOp::Delete {
        policy_arn: team_arn.clone(),
    });
    assert_eq!(w.counter("policies"), 1);
    assert_eq!(w.counter("policy-versions"), 1);
    let e = w.err(PolicyOp::Delete {
        policy_arn: team_arn,
    });
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
}

#[test]
fn create_policy_validates_its_input() {
    let mut w = World::new();
    for (op, code) in [
        (
            create("bad name", "/", &doc("s3:*")),
            ErrorCode::ValidationError,
        ),
        (
            create(&"n".repeat(129), "/", &doc("s3:*")),
            ErrorCode::ValidationError,
        ),
        (
            create("P", "/a*/", &doc("s3:*")),
            ErrorCode::ValidationError,
        ),
        (create("P", "a/", &doc("s3:*")), ErrorCode::ValidationError),
        (
            create("P", "/", "{not json"),
            ErrorCode::MalformedPolicyDocument,
        ),
        (
            create("P", "/", r#"{"Version":"2012-10-17","Statement":[]}"#),
            ErrorCode::MalformedPolicyDocument,
        ),
        (
            create("P", "/", &doc_of_size(6145)),
            ErrorCode::LimitExceeded,
        ),
    ] {
        assert_eq!(w.err(op.clone()).code, code, "{op:?}");
    }
    let long = PolicyOp::Create {
        policy_name: "P".into(),
        path: "/".into(),
        policy_document: doc("s3:*"),
        description: "d".repeat(1001),
        tags: vec![],
        policy_id: String::new(),
    };
    assert_eq!(w.err(long).code, ErrorCode::ValidationError);
    let tagged = PolicyOp::Create {
        policy_name: "P".into(),
        path: "/".into(),
        policy_document: doc("s3:*"),
        description: String::new(),
        tags: vec![tag("aws:x", "1")],
        policy_id: String::new(),
    };
    assert_eq!(w.err(tagged).code, ErrorCode::InvalidInput);
    // The largest allowed document is accepted.
    w.ok(create("Big", "/", &doc_of_size(6144)));
    assert_eq!(w.counter("policies"), 1);
}

#[test]
fn the_policy_quota_is_enforced() {
    let mut w = World::new();
    let mut raise = WriteSet::default();
    raise
        .ops
        .insert(keys::quota(A, "policies"), Some(b"2".to_vec()));
    w.s.commit(raise);
    w.policy("P1");
    w.policy("P2");
    let e = w.err(create("P3", "/", &doc("s3:*")));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerAccount: 2");
    w.ok(PolicyOp::Delete {
        policy_arn: arn("P1"),
    });
    w.policy("P3");
}

#[test]
fn policy_versions() {
    let mut w = World::new();
    w.policy("P");
    let p = arn("P");
    let cv = |d: &str, set_as_default: bool| PolicyOp::CreateVersion {
        policy_arn: arn("P"),
        policy_document: doc(d),
        set_as_default,
    };
    let v2 = w.ok(cv("s3:v2", false));
    assert_eq!(v2["version_id"], "v2");
    assert_eq!(v2["is_default_version"], false);
    assert!(v2.get("document").is_none());
    w.ok(cv("s3:v3", true));
    assert_eq!(w.get_policy("P")["default_version_id"], "v3");
    w.ok(cv("s3:v4", false));
    w.ok(cv("s3:v5", false));
    assert_eq!(w.counter("policy-versions"), 5);
    let e = w.err(cv("s3:v6", false));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(
        e.message,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
    );
    assert_eq!(
        w.err(PolicyOp::CreateVersion {
            policy_arn: p.clone(),
            policy_document: "{".into(),
            set_as_default: false
        })
        .code,
        ErrorCode::MalformedPolicyDocument
    );
    assert_eq!(
        w.err(PolicyOp::CreateVersion {
            policy_arn: arn("Nope"),
            policy_document: doc("s3:*"),
            set_as_default: false
        })
        .code,
        ErrorCode::NoSuchEntity
    );

    // The default version cannot be deleted; others can, and their numbers are not reused.
    let dv = |v: &str| PolicyOp::DeleteVersion {
        policy_arn: arn("P"),
        version_id: v.into(),
    };
    let e = w.err(dv("v3"));
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert_eq!(e.message, "Cannot delete the default version of a policy.");
    let e = w.err(dv("v9"));
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!("Policy {p} version v9 does not exist or is not attachable.")
    );
    assert_eq!(w.err(dv("x1")).code, ErrorCode::ValidationError);
    w.ok(dv("v5"));
    assert_eq!(w.counter("policy-versions"), 4);
    let v6 = w.ok(cv("s3:v6", false));
    assert_eq!(v6["version_id"], "v6");

    // List (by version number) and page.
    let l = w
        .q(PolicyQuery::ListVersions {
            policy_arn: p.clone(),
            page: page(3, None),
        })
        .unwrap();
    assert_eq!(names(&l["items"], "version_id"), vec!["v1", "v2", "v3"]);
    assert_eq!(l["is_truncated"], true);
    let l = w
        .q(PolicyQuery::ListVersions {
            policy_arn: p.clone(),
            page: page(3, l["marker"].as_str()),
        })
        .unwrap();
    assert_eq!(names(&l["items"], "version_id"), vec!["v4", "v6"]);
    assert_eq!(l["is_truncated"], false);

    // SetDefaultPolicyVersion.
    let sd = |v: &str| PolicyOp::SetDefaultVersion {
        policy_arn: arn("P"),
        version_id: v.into(),
    };
    assert_eq!(w.err(sd("v5")).code, ErrorCode::NoSuchEntity);
    w.ok(sd("v1"));
    let v = w
        .q(PolicyQuery::GetVersion {
            policy_arn: p.clone(),
            version_id: "v3".into(),
        })
        .unwrap();
    assert_eq!(v["is_default_version"], false);
    assert_eq!(v["document"], doc("s3:v3"));
    assert_eq!(
        w.q(PolicyQuery::GetVersion {
            policy_arn: p.clone(),
            version_id: "v5".into()
        })
        .unwrap_err()
        .code,
        ErrorCode::NoSuchEntity
    );

    // DeletePolicy needs the non-default versions gone first.
    let e = w.err(PolicyOp::Delete {
        policy_arn: p.clone(),
    });
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert!(e
        .message
        .starts_with("This policy has more than one version."));
    for v in ["v2", "v3", "v4", "v6"] {
        w.ok(dv(v));
    }
    w.ok(PolicyOp::Delete { policy_arn: p });
    assert_eq!(w.counter("policy-versions"), 0);
    assert_eq!(w.counter("policies"), 0);
}

#[test]
fn attach_and_detach_keep_every_record_consistent() {
    let mut w = World::new();
    w.user("alice");
    w.group("devs", "/");
    w.role("app", "/svc/");
    w.policy("P");
    let p = arn("P");
    w.ok(attach(EntityKind::User, "Alice", &p));
    w.ok(attach(EntityKind::Group, "devs", &p));
    w.ok(attach(EntityKind::Role, "app", &p));
    // Attaching again is a no-op success.
    let before = state_hash(&w.s);
    w.ok(attach(EntityKind::User, "alice", &p));
    assert_eq!(state_hash(&w.s), before);

    assert_eq!(w.get_policy("P")["attachment_count"], 3);
    assert_eq!(w.get_user("alice").attached_policies, vec![p.clone()]);
    assert!(w
        .s
        .get(&keys::policy_entity(A, "P", EntityKind::Group, "devs"))
        .is_some());
    assert_eq!(list_policies(&w, true, None), vec!["P"]);

    let e = w.err(attach(EntityKind::User, "alice", &arn("Nope")));
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!(
            "Policy {} does not exist or is not attachable.",
            arn("Nope")
        )
    );
    let aws = "arn:aws:iam::aws:policy/AdministratorAccess";
    assert_eq!(
        w.err(attach(EntityKind::User, "alice", aws)).code,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(
        w.err(attach(EntityKind::User, "alice", "not-an-arn")).code,
        ErrorCode::InvalidInput
    );
    let e = w.err(attach(EntityKind::User, "bob", &p));
    assert_eq!(e.message, "The user with name bob cannot be found.");
    assert_eq!(
        w.err(attach(EntityKind::Group, "nogroup", &p)).code,
        ErrorCode::NoSuchEntity
    );

    // A policy in use cannot be deleted.
    let e = w.err(PolicyOp::Delete {
        policy_arn: p.clone(),
    });
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert_eq!(e.message, "Cannot delete a policy attached to entities.");

    // Lists.
    let l = w
        .q(PolicyQuery::ListAttached {
            entity: EntityKind::Role,
            entity_name: "app".into(),
            path_prefix: "/".into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(l["items"][0]["policy_name"], "P");
    assert_eq!(l["items"][0]["policy_arn"], p);
    let le = |filter: Option<EntityFilter>, prefix: &str| {
        w.q(PolicyQuery::ListEntities {
            policy_arn: arn("P"),
            entity_filter: filter,
            path_prefix: prefix.into(),
            policy_usage_filter: None,
            page: PageRequest::default(),
        })
        .unwrap()
    };
    let all = le(None, "/");
    assert_eq!(names(&all["policy_users"], "user_name"), vec!["alice"]);
    assert_eq!(all["policy_users"][0]["user_id"], w.get_user("alice").id);
    assert_eq!(names(&all["policy_groups"], "group_name"), vec!["devs"]);
    assert_eq!(names(&all["policy_roles"], "role_name"), vec!["app"]);
    let roles = le(Some(EntityFilter::Role), "/");
    assert!(roles["policy_users"].as_array().unwrap().is_empty());
    assert_eq!(names(&roles["policy_roles"], "role_name"), vec!["app"]);
    let svc = le(None, "/svc/");
    assert!(svc["policy_groups"].as_array().unwrap().is_empty());
    assert_eq!(names(&svc["policy_roles"], "role_name"), vec!["app"]);
    assert!(
        le(Some(EntityFilter::LocalManagedPolicy), "/")["policy_roles"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Detach.
    let e = w.err(detach(EntityKind::User, "alice", &arn("Other")));
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(e.message, format!("Policy {} was not found.", arn("Other")));
    for (k, n) in [
        (EntityKind::User, "alice"),
        (EntityKind::Group, "devs"),
        (EntityKind::Role, "app"),
    ] {
        w.ok(detach(k, n, &p));
    }
    assert_eq!(w.get_policy("P")["attachment_count"], 0);
    assert!(w.get_user("alice").attached_policies.is_empty());
    assert!(w
        .s
        .scan(&keys::policy_entities_prefix(A, "P"), None, 10)
        .is_empty());
    assert!(list_policies(&w, true, None).is_empty());
    w.ok(PolicyOp::Delete { policy_arn: p });
}

#[test]
fn attachment_limits() {
    let mut w = World::new();
    w.user("u");
    w.group("g", "/");
    w.role("r", "/");
    for i in 0..11 {
        w.policy(&format!("P{i:02}"));
    }
    for i in 0..10 {
        let p = arn(&format!("P{i:02}"));
        w.ok(attach(EntityKind::User, "u", &p));
        w.ok(attach(EntityKind::Group, "g", &p));
        w.ok(attach(EntityKind::Role, "r", &p));
    }
    let p = arn("P10");
    let e = w.err(attach(EntityKind::User, "u", &p));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerUser: 10");
    let e = w.err(attach(EntityKind::Group, "g", &p));
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerGroup: 10");
    let e = w.err(attach(EntityKind::Role, "r", &p));
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerRole: 10");

    // Paging over the attached list, by policy name.
    let l = |marker: Option<&str>| {
        w.q(PolicyQuery::ListAttached {
            entity: EntityKind::User,
            entity_name: "u".into(),
            path_prefix: "/".into(),
            page: page(4, marker),
        })
        .unwrap()
    };
    let p1 = l(None);
    assert_eq!(
        names(&p1["items"], "policy_name"),
        vec!["P00", "P01", "P02", "P03"]
    );
    assert_eq!(p1["is_truncated"], true);
    let p2 = l(p1["marker"].as_str());
    assert_eq!(names(&p2["items"], "policy_name")[0], "P04");

    // Paging over ListEntitiesForPolicy: groups, roles, then users.
    let le = |marker: Option<&str>| {
        w.q(PolicyQuery::ListEntities {
            policy_arn: arn("P00"),
            entity_filter: None,
            path_prefix: "/".into(),
            policy_usage_filter: None,
            page: page(2, marker),
        })
        .unwrap()
    };
    let e1 = le(None);
    assert_eq!(e1["policy_groups"].as_array().unwrap().len(), 1);
    assert_eq!(e1["policy_roles"].as_array().unwrap().len(), 1);
    assert_eq!(e1["is_truncated"], true);
    let e2 = le(e1["marker"].as_str());
    assert_eq!(names(&e2["policy_users"], "user_name"), vec!["u"]);
    assert_eq!(e2["is_truncated"], false);
}

#[test]
fn attached_lists_filter_by_policy_path() {
    let mut w = World::new();
    w.user("u");
    w.policy_at("A", "/x/");
    w.policy("B");
    w.ok(attach(
        EntityKind::User,
        "u",
        &format!("arn:aws:iam::{A}:policy/x/A"),
    ));
    w.ok(attach(EntityKind::User, "u", &arn("B")));
    let l = w
        .q(PolicyQuery::ListAttached {
            entity: EntityKind::User,
            entity_name: "u".into(),
            path_prefix: "/x/".into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(names(&l["items"], "policy_name"), vec!["A"]);
    let e = w
        .q(PolicyQuery::ListAttached {
            entity: EntityKind::User,
            entity_name: "u".into(),
            path_prefix: "x".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
}

#[test]
fn inline_policies_and_their_size_limits() {
    let mut w = World::new();
    w.user("alice");
    w.group("devs", "/");
    w.role("app", "/");
    w.ok(put_inline(
        EntityKind::User,
        "alice",
        "P1",
        &doc_of_size(1000),
    ));
    // Replacing a policy counts only the new document.
    w.ok(put_inline(
        EntityKind::User,
        "alice",
        "P1",
        &doc_of_size(1500),
    ));
    w.ok(put_inline(
        EntityKind::User,
        "alice",
        "P2",
        &doc_of_size(548),
    ));
    let e = w.err(put_inline(
        EntityKind::User,
        "alice",
        "P3",
        &doc_of_size(100),
    ));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(
        e.message,
        "Maximum policy size of 2048 bytes exceeded for user alice"
    );
    let e = w.err(put_inline(
        EntityKind::Group,
        "devs",
        "G",
        &doc_of_size(5121),
    ));
    assert_eq!(
        e.message,
        "Maximum policy size of 5120 bytes exceeded for group devs"
    );
    w.ok(put_inline(
        EntityKind::Group,
        "devs",
        "G",
        &doc_of_size(5120),
    ));
    let e = w.err(put_inline(
        EntityKind::Role,
        "app",
        "R",
        &doc_of_size(10241),
    ));
    assert_eq!(
        e.message,
        "Maximum policy size of 10240 bytes exceeded for role app"
    );
    w.ok(put_inline(
        EntityKind::Role,
        "app",
        "R",
        &doc_of_size(10240),
    ));

    assert_eq!(
        w.err(put_inline(EntityKind::User, "alice", "P 4", &doc("s3:*")))
            .code,
        ErrorCode::ValidationError
    );
    assert_eq!(
        w.err(put_inline(EntityKind::User, "alice", "P4", "[]"))
            .code,
        ErrorCode::MalformedPolicyDocument
    );
    assert_eq!(
        w.err(put_inline(EntityKind::User, "bob", "P4", &doc("s3:*")))
            .code,
        ErrorCode::NoSuchEntity
    );
    // Inline identity policies may not name a Principal.
    let with_principal = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#;
    assert_eq!(
        w.err(put_inline(EntityKind::Role, "app", "X", with_principal))
            .code,
        ErrorCode::MalformedPolicyDocument
    );

    let g = w
        .q(PolicyQuery::GetInline {
            entity: EntityKind::User,
            entity_name: "ALICE".into(),
            policy_name: "P2".into(),
        })
        .unwrap();
    assert_eq!(g["policy_document"], doc_of_size(548));
    assert_eq!(g["entity_name"], "alice");
    let e = w
        .q(PolicyQuery::GetInline {
            entity: EntityKind::User,
            entity_name: "alice".into(),
            policy_name: "P9".into(),
        })
        .unwrap_err();
    assert_eq!(e.message, "The user policy with name P9 cannot be found.");
    let l = w
        .q(PolicyQuery::ListInline {
            entity: EntityKind::User,
            entity_name: "alice".into(),
            page: page(1, None),
        })
        .unwrap();
    assert_eq!(l["items"], serde_json::json!(["P1"]));
    assert_eq!(l["is_truncated"], true);
    let l = w
        .q(PolicyQuery::ListInline {
            entity: EntityKind::User,
            entity_name: "alice".into(),
            page: page(1, l["marker"].as_str()),
        })
        .unwrap();
    assert_eq!(l["items"], serde_json::json!(["P2"]));

    let del = |k: EntityKind, who: &str, n: &str| PolicyOp::DeleteInline {
        entity: k,
        entity_name: who.into(),
        policy_name: n.into(),
    };
    let e = w.err(del(EntityKind::Group, "devs", "Nope"));
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        "The group policy with name Nope cannot be found."
    );
    w.ok(del(EntityKind::User, "alice", "P1"));
    w.ok(del(EntityKind::Role, "app", "R"));
    assert_eq!(w.get_user("alice").inline_policies.len(), 1);
    // With P1 gone there is room again.
    w.ok(put_inline(
        EntityKind::User,
        "alice",
        "P3",
        &doc_of_size(1500),
    ));
}

#[test]
fn permissions_boundaries() {
    let mut w = World::new();
    w.user("alice");
    w.role("app", "/");
    w.policy("B1");
    w.policy("B2");
    let put = |e: BoundaryEntity, who: &str, p: &str| PolicyOp::PutBoundary {
        entity: e,
        entity_name: who.into(),
        permissions_boundary: p.into(),
    };
    w.ok(put(BoundaryEntity::User, "alice", &arn("B1")));
    w.ok(put(BoundaryEntity::Role, "app", &arn("B1")));
    assert_eq!(w.get_policy("B1")["permissions_boundary_usage_count"], 2);
    assert_eq!(w.get_user("alice").permissions_boundary, Some(arn("B1")));
    // A boundary counts for ListPolicies' usage filter, not as an attachment.
    assert_eq!(
        list_policies(&w, true, Some(PolicyUsage::PermissionsBoundary)),
        vec!["B1"]
    );
    assert!(list_policies(&w, true, Some(PolicyUsage::PermissionsPolicy)).is_empty());
    let le = |w: &World, usage| {
        w.q(PolicyQuery::ListEntities {
            policy_arn: arn("B1"),
            entity_filter: None,
            path_prefix: "/".into(),
            policy_usage_filter: usage,
            page: PageRequest::default(),
        })
        .unwrap()
    };
    let v = le(&w, Some(PolicyUsage::PermissionsBoundary));
    assert_eq!(names(&v["policy_users"], "user_name"), vec!["alice"]);
    assert_eq!(names(&v["policy_roles"], "role_name"), vec!["app"]);
    assert!(le(&w, Some(PolicyUsage::PermissionsPolicy))["policy_users"]
        .as_array()
        .unwrap()
        .is_empty());

    // AWS refuses to delete a policy in use as a boundary.
    let e = w.err(PolicyOp::Delete {
        policy_arn: arn("B1"),
    });
    assert_eq!(e.code, ErrorCode::DeleteConflict);

    // Replacing releases the old boundary.
    w.ok(put(BoundaryEntity::User, "alice", &arn("B2")));
    assert_eq!(w.get_policy("B1")["permissions_boundary_usage_count"], 1);
    assert_eq!(w.get_policy("B2")["permissions_boundary_usage_count"], 1);
    // Setting the same boundary again changes no count.
    w.ok(put(BoundaryEntity::User, "alice", &arn("B2")));
    assert_eq!(w.get_policy("B2")["permissions_boundary_usage_count"], 1);

    assert_eq!(
        w.err(put(BoundaryEntity::User, "alice", &arn("Nope"))).code,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(
        w.err(put(BoundaryEntity::User, "alice", "arn:aws:s3:::b"))
            .code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        w.err(put(BoundaryEntity::Role, "nobody", &arn("B1"))).code,
        ErrorCode::NoSuchEntity
    );

    let del = |e: BoundaryEntity, who: &str| PolicyOp::DeleteBoundary {
        entity: e,
        entity_name: who.into(),
    };
    w.ok(del(BoundaryEntity::Role, "app"));
    assert_eq!(w.get_policy("B1")["permissions_boundary_usage_count"], 0);
    // Removing an absent boundary is a no-op success.
    let before = state_hash(&w.s);
    w.ok(del(BoundaryEntity::Role, "app"));
    assert_eq!(state_hash(&w.s), before);
    w.ok(PolicyOp::Delete {
        policy_arn: arn("B1"),
    });

    // A user created with a boundary counts too, and deleting the user releases it.
    w.ok(UserOp::Create {
        name: "bob".into(),
        path: "/".into(),
        tags: vec![],
        permissions_boundary: Some(arn("B2")),
        user_id: "AIDABBBBBBBBBBBBBBBBB".into(),
    });
    assert_eq!(w.get_policy("B2")["permissions_boundary_usage_count"], 2);
    w.ok(UserOp::Delete { name: "bob".into() });
    assert_eq!(w.get_policy("B2")["permissions_boundary_usage_count"], 1);
}

#[test]
fn service_linked_roles_are_unmodifiable() {
    let mut w = World::new();
    w.role("AWSServiceRoleForX", "/aws-service-role/x.amazonaws.com/");
    w.policy("P");
    let e = w.err(attach(EntityKind::Role, "AWSServiceRoleForX", &arn("P")));
    assert_eq!(e.code, ErrorCode::UnmodifiableEntity);
    let e = w.err(put_inline(
        EntityKind::Role,
        "AWSServiceRoleForX",
        "I",
        &doc("s3:*"),
    ));
    assert_eq!(e.code, ErrorCode::UnmodifiableEntity);
}

#[test]
fn policy_tags() {
    let mut w = World::new();
    w.policy("P");
    let tag_op = |tags: Vec<Tag>| PolicyOp::Tag {
        policy_arn: arn("P"),
        tags,
    };
    w.ok(tag_op(vec![tag("b", "1"), tag("a", "2")]));
    // An existing key (any case) is overwritten.
    w.ok(tag_op(vec![tag("B", "3")]));
    let l = w
        .q(PolicyQuery::ListTags {
            policy_arn: arn("P"),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(
        l["items"],
        serde_json::json!([{"key": "a", "value": "2"}, {"key": "B", "value": "3"}])
    );
    let many: Vec<Tag> = (0..49).map(|i| tag(&format!("k{i}"), "v")).collect();
    let e = w.err(tag_op(many));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(
        w.err(tag_op(vec![tag("aws:x", "v")])).code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        w.err(PolicyOp::Tag {
            policy_arn: arn("Nope"),
            tags: vec![tag("a", "b")]
        })
        .code,
        ErrorCode::NoSuchEntity
    );
    w.ok(PolicyOp::Untag {
        policy_arn: arn("P"),
        tag_keys: vec!["A".into(), "absent".into()],
    });
    assert_eq!(
        w.get_policy("P")["tags"],
        serde_json::json!([{"key": "B", "value": "3"}])
    );
    assert_eq!(
        w.err(PolicyOp::Untag {
            policy_arn: arn("P"),
            tag_keys: vec![String::new()]
        })
        .code,
        ErrorCode::ValidationError
    );
}

#[test]
fn effective_documents_of_users_groups_and_roles() {
    let mut w = World::new();
    w.user("alice");
    w.group("devs", "/");
    w.role("app", "/");
    w.join("alice", "devs");
    w.policy("Own");
    w.policy("Shared");
    w.ok(PolicyOp::CreateVersion {
        policy_arn: arn("Shared"),
        policy_document: doc("ec2:*"),
        set_as_default: true,
    });
    w.policy("Bound");
    w.ok(attach(EntityKind::User, "alice", &arn("Own")));
    w.ok(attach(EntityKind::User, "alice", &arn("Shared")));
    w.ok(attach(EntityKind::Group, "devs", &arn("Shared")));
    w.ok(put_inline(EntityKind::User, "alice", "I1", &doc("iam:*")));
    w.ok(put_inline(EntityKind::Group, "devs", "G1", &doc("sqs:*")));
    w.ok(PolicyOp::PutBoundary {
        entity: BoundaryEntity::User,
        entity_name: "alice".into(),
        permissions_boundary: arn("Bound"),
    });
    let e = effective_documents(&w.s, A, EntityKind::User, "alice").unwrap();
    let labels: Vec<&str> = e.policies.iter().map(|d| d.label.as_str()).collect();
    let (own, shared) = (arn("Own"), arn("Shared"));
    assert_eq!(
        labels,
        vec![
            "user/alice/inline/I1",
            own.as_str(),
            shared.as_str(),
            "group/devs/inline/G1"
        ]
    );
    assert_eq!(
        e.policies[2].document,
        doc("ec2:*"),
        "the default version applies"
    );
    let b = e.boundary.unwrap();
    assert_eq!(b.label, arn("Bound"));
    assert_eq!(b.document, doc("s3:*"));

    let g = effective_documents(&w.s, A, EntityKind::Group, "devs").unwrap();
    assert_eq!(g.policies.len(), 2);
    assert!(g.boundary.is_none());
    let r = effective_documents(&w.s, A, EntityKind::Role, "app").unwrap();
    assert!(r.policies.is_empty());
    assert_eq!(
        effective_documents(&w.s, A, EntityKind::Role, "nope")
            .unwrap_err()
            .code,
        ErrorCode::NoSuchEntity
    );
}

#[test]
fn operation_names_are_aws_names() {
    let p = arn("P");
    assert_eq!(
        Op::from(attach(EntityKind::Group, "g", &p)).name(),
        "AttachGroupPolicy"
    );
    assert_eq!(
        Op::from(detach(EntityKind::Role, "r", &p)).name(),
        "DetachRolePolicy"
    );
    assert_eq!(
        Op::from(put_inline(EntityKind::User, "u", "n", "{}")).name(),
        "PutUserPolicy"
    );
    let q = Query::in_account(
        A,
        PolicyQuery::ListEntities {
            policy_arn: p,
            entity_filter: None,
            path_prefix: "/".into(),
            policy_usage_filter: None,
            page: PageRequest::default(),
        },
    );
    assert_eq!(q.name(), "ListEntitiesForPolicy");
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
