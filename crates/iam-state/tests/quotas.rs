//! Quota increase requests and usage caps, driven through `apply` + `MemStore`: every
//! operation, its error paths, paging, "a rejection changes nothing", request-token retries,
//! and property tests (usage never passes the limit; replicas agree).

use iam_model::ids::IdPrefix;
use iam_model::ErrorCode;
use iam_state::ops::limits::QuotaKind;
use iam_state::ops::quotas::{QuotaOp, QuotaQuery, RequestStatus};
use iam_state::ops::PageRequest;
use iam_state::{
    apply, keys, state_hash, Command, Env, MemStore, Outcome, Query, Request, Response, WriteSet,
};
use serde_json::Value;

const A: &str = "123456789012";
const ADMIN: &str = "arn:aws:iam::123456789012:user/admin";
const OPERATOR: &str = "arn:aws:iam::000000000000:user/operator";

struct T {
    s: MemStore,
    index: u64,
}

impl T {
    fn new() -> Self {
        let mut t = T {
            s: MemStore::new(),
            index: 0,
        };
        t.req(
            None,
            Command::CreateAccount {
                account_id: A.into(),
                name: "acme".into(),
                email: "ops@acme.io".into(),
            },
        )
        .result
        .unwrap();
        t
    }

    fn req(&mut self, token: Option<&str>, command: Command) -> Response {
        self.index += 1;
        let r = Request {
            request_token: token.map(str::to_owned),
            time_ms: 1000 + self.index,
            command,
            origin: None,
        };
        let (resp, writes) = apply(&self.s, self.index, &r);
        self.s.commit(writes);
        resp
    }

    fn op(&mut self, op: QuotaOp) -> Result<Value, iam_model::IamError> {
        self.req(None, Command::in_account(A, op))
            .result
            .map(|o| o.to_json())
    }

    /// Applies `op`, expects `code`, and checks that the state did not change.
    fn reject(&mut self, op: QuotaOp, code: ErrorCode) -> String {
        let before = state_hash(&self.s);
        let err = self.op(op).unwrap_err();
        assert_eq!(err.code, code, "{err}");
        assert_eq!(state_hash(&self.s), before, "a rejection changes nothing");
        err.message
    }

    fn q(&self, q: QuotaQuery) -> Result<Value, iam_model::IamError> {
        Query::in_account(A, q).run(&self.s)
    }

    fn quota(&self, kind: &str) -> Value {
        let all = self.q(QuotaQuery::ListQuotas).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == kind)
            .cloned()
            .unwrap()
    }
}

fn ask(kind: &str, desired: u64, id: &str) -> QuotaOp {
    QuotaOp::RequestQuotaIncrease {
        kind: kind.into(),
        desired_value: desired,
        justification: "growth".into(),
        requested_by: ADMIN.into(),
        request_id: id.into(),
    }
}

fn approve(id: &str) -> QuotaOp {
    QuotaOp::ApproveQuotaIncrease {
        request_id: id.into(),
        decided_by: OPERATOR.into(),
        note: Some("ok".into()),
    }
}

fn deny(id: &str) -> QuotaOp {
    QuotaOp::DenyQuotaIncrease {
        request_id: id.into(),
        decided_by: OPERATOR.into(),
        reason: "no".into(),
    }
}

fn set(name: &str, limit: u64) -> QuotaOp {
    QuotaOp::SetUsageLimit {
        name: name.into(),
        limit,
    }
}

fn acquire(name: &str, amount: u64) -> QuotaOp {
    QuotaOp::Acquire {
        name: name.into(),
        amount,
    }
}

fn release(name: &str, amount: u64) -> QuotaOp {
    QuotaOp::Release {
        name: name.into(),
        amount,
    }
}

fn page(marker: Option<String>, max: u32) -> PageRequest {
    PageRequest {
        marker,
        max_items: Some(max),
    }
}

#[test]
fn list_quotas_reports_every_kind_with_defaults_and_usage() {
    let mut t = T::new();
    t.req(
        None,
        Command::in_account(
            A,
            iam_state::ops::users::UserOp::Create {
                name: "bob".into(),
                path: "/".into(),
                tags: vec![],
                permissions_boundary: None,
                user_id: "AIDAAAAAAAAAAAAAAAAAA".into(),
            },
        ),
    )
    .result
    .unwrap();
    let all = t.q(QuotaQuery::ListQuotas).unwrap();
    assert_eq!(all.as_array().unwrap().len(), QuotaKind::ALL.len());
    let roles = t.quota("roles");
    assert_eq!(roles["aws_name"], "RolesPerAccount");
    assert_eq!(roles["value"], 250);
    assert_eq!(roles["default"], 250);
    assert_eq!(roles["ceiling"], 5000);
    assert_eq!(roles["adjustable"], true);
    assert_eq!(roles["usage"], 0);
    assert_eq!(t.quota("users")["usage"], 1);
    assert_eq!(t.quota("users")["adjustable"], false);
    assert_eq!(t.quota("assume-role-policy-size")["usage"], Value::Null);
}

#[test]
fn an_approved_request_raises_the_quota_once() {
    let mut t = T::new();
    let r = t.op(ask("roles", 1000, "qr-1")).unwrap();
    assert_eq!(r["status"], "Pending");
    assert_eq!(r["requested_by"], ADMIN);
    assert_eq!(r["kind"], "roles");
    assert_eq!(t.quota("roles")["pending_request"], "qr-1");
    let r = t.op(approve("qr-1")).unwrap();
    assert_eq!(r["status"], "Approved");
    assert_eq!(r["decided_by"], OPERATOR);
    assert_eq!(r["note"], "ok");
    assert!(r["decided_ms"].as_u64().unwrap() > 0);
    assert_eq!(t.quota("roles")["value"], 1000);
    assert_eq!(t.quota("roles")["pending_request"], Value::Null);
    let raw = t.s_get(&keys::quota(A, "roles"));
    assert_eq!(raw.as_deref(), Some(&b"1000"[..]));
    // Deciding it again names its status.
    let m = t.reject(approve("qr-1"), ErrorCode::InvalidInput);
    assert!(m.contains("Approved"), "{m}");
    let m = t.reject(deny("qr-1"), ErrorCode::InvalidInput);
    assert!(m.contains("Approved"), "{m}");
    // Now the current value is 1000: asking for less or the same is refused.
    let m = t.reject(ask("roles", 1000, "qr-2"), ErrorCode::InvalidInput);
    assert!(m.contains("current value 1000"), "{m}");
}

impl T {
    fn s_get(&self, key: &[u8]) -> Option<Vec<u8>> {
        iam_state::StateRead::get(&self.s, key)
    }
}

#[test]
fn approval_never_lowers_a_higher_quota() {
    let mut t = T::new();
    t.op(ask("groups", 400, "qr-1")).unwrap();
    // Something raised the quota higher meanwhile.
    let mut w = WriteSet::default();
    w.ops
        .insert(keys::quota(A, "groups"), Some(b"450".to_vec()));
    t.s.commit(w);
    t.op(approve("qr-1")).unwrap();
    assert_eq!(t.quota("groups")["value"], 450);
}

#[test]
fn a_denied_request_changes_no_quota_and_frees_the_kind() {
    let mut t = T::new();
    t.op(ask("policies", 2000, "qr-1")).unwrap();
    let m = t.reject(
        ask("policies", 3000, "qr-2"),
        ErrorCode::EntityAlreadyExists,
    );
    assert!(m.contains("qr-1"), "{m}");
    let r = t.op(deny("qr-1")).unwrap();
    assert_eq!(r["status"], "Denied");
    assert_eq!(r["note"], "no");
    assert_eq!(t.quota("policies")["value"], 1500);
    let m = t.reject(approve("qr-1"), ErrorCode::InvalidInput);
    assert!(m.contains("Denied"), "{m}");
    t.op(ask("policies", 3000, "qr-2")).unwrap();
}

#[test]
fn bad_requests_are_refused_with_aws_codes() {
    let mut t = T::new();
    let m = t.reject(ask("lambdas", 10, "qr-1"), ErrorCode::InvalidInput);
    assert!(m.contains("roles"), "lists the valid names: {m}");
    let m = t.reject(ask("roles", 250, "qr-1"), ErrorCode::InvalidInput);
    assert!(m.contains("above its current value 250"), "{m}");
    let m = t.reject(ask("roles", 5001, "qr-1"), ErrorCode::LimitExceeded);
    assert!(m.contains("RolesPerAccount") && m.contains("5000"), "{m}");
    t.reject(ask("users", 5001, "qr-1"), ErrorCode::LimitExceeded);
    let mut long = ask("roles", 300, "qr-1");
    if let QuotaOp::RequestQuotaIncrease { justification, .. } = &mut long {
        *justification = "é".repeat(1001);
    }
    t.reject(long, ErrorCode::ValidationError);
    let mut empty = ask("roles", 300, "qr-1");
    if let QuotaOp::RequestQuotaIncrease { justification, .. } = &mut empty {
        justification.clear();
    }
    t.reject(empty, ErrorCode::ValidationError);
    let mut anon = ask("roles", 300, "qr-1");
    if let QuotaOp::RequestQuotaIncrease { requested_by, .. } = &mut anon {
        requested_by.clear();
    }
    t.reject(anon, ErrorCode::InvalidInput);
    t.reject(ask("roles", 300, "qr/../x"), ErrorCode::ValidationError);
    t.reject(ask("roles", 300, ""), ErrorCode::ValidationError);
    // Exactly 1000 characters and exactly the ceiling are fine.
    let mut ok = ask("roles", 5000, "qr-1");
    if let QuotaOp::RequestQuotaIncrease { justification, .. } = &mut ok {
        *justification = "é".repeat(1000);
    }
    t.op(ok).unwrap();
    t.op(deny("qr-1")).unwrap();
    // A reused id is refused even when the kind is free.
    t.reject(ask("groups", 400, "qr-1"), ErrorCode::EntityAlreadyExists);
    // Deciding unknown requests, or without a decider, or with a bad note/reason.
    t.reject(approve("qr-404"), ErrorCode::NoSuchEntity);
    t.reject(deny("qr-404"), ErrorCode::NoSuchEntity);
    t.op(ask("groups", 400, "qr-2")).unwrap();
    t.reject(
        QuotaOp::ApproveQuotaIncrease {
            request_id: "qr-2".into(),
            decided_by: String::new(),
            note: None,
        },
        ErrorCode::InvalidInput,
    );
    t.reject(
        QuotaOp::ApproveQuotaIncrease {
            request_id: "qr-2".into(),
            decided_by: OPERATOR.into(),
            note: Some(String::new()),
        },
        ErrorCode::ValidationError,
    );
    t.reject(
        QuotaOp::DenyQuotaIncrease {
            request_id: "qr-2".into(),
            decided_by: OPERATOR.into(),
            reason: "x".repeat(1001),
        },
        ErrorCode::ValidationError,
    );
    let e = t
        .q(QuotaQuery::GetQuotaRequest { id: "qr-9".into() })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
}

#[test]
fn requests_list_by_status_and_page() {
    let mut t = T::new();
    let kinds = ["groups", "roles", "policies", "instance-profiles"];
    for (i, k) in kinds.iter().enumerate() {
        t.op(ask(
            k,
            QuotaKind::parse(k).unwrap().ceiling(),
            &format!("qr-{i}"),
        ))
        .unwrap();
    }
    t.op(approve("qr-1")).unwrap();
    t.op(deny("qr-2")).unwrap();
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let p1 = t
        .q(QuotaQuery::ListQuotaRequests {
            status: None,
            page: page(None, 3),
        })
        .unwrap();
    assert_eq!(ids(&p1), ["qr-0", "qr-1", "qr-2"]);
    assert_eq!(p1["is_truncated"], true);
    let p2 = t
        .q(QuotaQuery::ListQuotaRequests {
            status: None,
            page: page(p1["marker"].as_str().map(str::to_owned), 3),
        })
        .unwrap();
    assert_eq!(ids(&p2), ["qr-3"]);
    assert_eq!(p2["is_truncated"], false);
    let pending = t
        .q(QuotaQuery::ListQuotaRequests {
            status: Some(RequestStatus::Pending),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(ids(&pending), ["qr-0", "qr-3"]);
    let approved = t
        .q(QuotaQuery::ListQuotaRequests {
            status: Some(RequestStatus::Approved),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(ids(&approved), ["qr-1"]);
    let one = t
        .q(QuotaQuery::GetQuotaRequest { id: "qr-2".into() })
        .unwrap();
    assert_eq!(one["status"], "Denied");
    assert_eq!(one["desired_value"], 5000);
    let bad = t.q(QuotaQuery::ListQuotaRequests {
        status: None,
        page: page(None, 0),
    });
    assert_eq!(bad.unwrap_err().code, ErrorCode::ValidationError);
}

struct FixedEnv(u8);

impl Env for FixedEnv {
    fn unique_id(&mut self, prefix: IdPrefix) -> String {
        format!("{}X", prefix.as_str())
    }
    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        self.0 = self.0.wrapping_add(1);
        vec![self.0; n]
    }
    fn hash_password(&mut self, _: &str) -> String {
        String::new()
    }
}

#[test]
fn prepare_chooses_a_fresh_request_id() {
    let mut env = FixedEnv(0);
    let mut c = Command::in_account(A, ask("roles", 300, "client-chosen"));
    c.prepare(&mut env);
    let mut d = Command::in_account(A, ask("roles", 300, ""));
    d.prepare(&mut env);
    let id = |c: &Command| match c {
        Command::In {
            op: iam_state::Op::Quota(QuotaOp::RequestQuotaIncrease { request_id, .. }),
            ..
        } => request_id.clone(),
        _ => unreachable!(),
    };
    assert_eq!(id(&c), "qr-0101010101010101");
    assert_ne!(id(&c), id(&d));
    assert_eq!(c.name(), "RequestQuotaIncrease");
    let cid = id(&c);
    let mut t = T::new();
    assert_eq!(t.req(None, c).result.unwrap().to_json()["id"], cid.as_str());
}

#[test]
fn usage_caps_grant_atomically_up_to_the_limit() {
    let mut t = T::new();
    let c = t.op(set("ec2:Instances", 20)).unwrap();
    assert_eq!(c["limit"], 20);
    assert_eq!(c["used"], 0);
    assert_eq!(c["available"], 20);
    let c = t.op(acquire("ec2:instances", 15)).unwrap();
    assert_eq!(c["used"], 15);
    assert_eq!(c["name"], "ec2:Instances", "the first spelling is kept");
    let m = t.reject(acquire("EC2:instances", 6), ErrorCode::LimitExceeded);
    assert_eq!(m, "Cannot exceed quota for ec2:Instances: 20");
    t.reject(acquire("ec2:instances", u64::MAX), ErrorCode::LimitExceeded);
    let c = t.op(acquire("ec2:instances", 5)).unwrap();
    assert_eq!(c["used"], 20);
    assert_eq!(c["available"], 0);
    t.reject(acquire("ec2:instances", 1), ErrorCode::LimitExceeded);
    // Lowering below the usage is allowed; nothing is granted until usage drops under it.
    let c = t.op(set("ec2:instances", 10)).unwrap();
    assert_eq!(c["used"], 20);
    assert_eq!(c["available"], 0);
    t.op(release("ec2:instances", 9)).unwrap();
    t.reject(acquire("ec2:instances", 1), ErrorCode::LimitExceeded);
    t.op(release("ec2:instances", 2)).unwrap();
    let c = t.op(acquire("ec2:instances", 1)).unwrap();
    assert_eq!(c["used"], 10);
    let m = t.reject(release("ec2:instances", 11), ErrorCode::InvalidInput);
    assert!(m.contains("only 10 in use"), "{m}");
    t.reject(acquire("ec2:instances", 0), ErrorCode::ValidationError);
    t.reject(release("ec2:instances", 0), ErrorCode::ValidationError);
    t.reject(acquire("ec2:nothing", 1), ErrorCode::NoSuchEntity);
    t.reject(release("ec2:nothing", 1), ErrorCode::NoSuchEntity);
    // Deleting needs nothing in use.
    let m = t.reject(
        QuotaOp::DeleteUsageCap {
            name: "ec2:instances".into(),
        },
        ErrorCode::DeleteConflict,
    );
    assert!(m.starts_with("Cannot delete entity, must release"), "{m}");
    t.op(release("ec2:instances", 10)).unwrap();
    let g = t
        .q(QuotaQuery::GetUsage {
            name: "EC2:INSTANCES".into(),
        })
        .unwrap();
    assert_eq!(g["used"], 0);
    assert_eq!(g["limit"], 10);
    t.op(QuotaOp::DeleteUsageCap {
        name: "ec2:instances".into(),
    })
    .unwrap();
    t.reject(
        QuotaOp::DeleteUsageCap {
            name: "ec2:instances".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    let e = t
        .q(QuotaQuery::GetUsage {
            name: "ec2:instances".into(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(t.s_get(&keys::count(A, "usage-caps")), None);
}

#[test]
fn cap_names_are_checked() {
    let mut t = T::new();
    t.reject(set("", 1), ErrorCode::ValidationError);
    t.reject(set("a/b", 1), ErrorCode::ValidationError);
    t.reject(set("a b", 1), ErrorCode::ValidationError);
    t.reject(set("é", 1), ErrorCode::ValidationError);
    t.reject(set(&"a".repeat(65), 1), ErrorCode::ValidationError);
    t.op(set(&"a".repeat(64), 1)).unwrap();
    t.op(set("Svc-1:thing_2.x", 0)).unwrap();
    t.reject(acquire("Svc-1:thing_2.x", 1), ErrorCode::LimitExceeded);
    t.reject(acquire("a b", 1), ErrorCode::ValidationError);
}

#[test]
fn usage_caps_list_in_name_order_and_are_bounded() {
    let mut t = T::new();
    for n in ["c", "A", "b"] {
        t.op(set(n, 1)).unwrap();
    }
    let p = t
        .q(QuotaQuery::ListUsage {
            page: page(None, 2),
        })
        .unwrap();
    let names: Vec<&str> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A", "b"]);
    let p = t
        .q(QuotaQuery::ListUsage {
            page: page(p["marker"].as_str().map(str::to_owned), 2),
        })
        .unwrap();
    assert_eq!(p["items"][0]["name"], "c");
    assert_eq!(p["items"][0]["available"], 1);
    assert_eq!(p["is_truncated"], false);
    for i in 3..1000 {
        t.op(set(&format!("cap{i}"), 1)).unwrap();
    }
    let m = t.reject(set("one-too-many", 1), ErrorCode::LimitExceeded);
    assert_eq!(m, "Cannot exceed quota for UsageCapsPerAccount: 1000");
    // Changing an existing cap's limit is not a new cap.
    t.op(set("cap999", 5)).unwrap();
}

#[test]
fn a_retried_acquire_with_the_same_token_counts_once() {
    let mut t = T::new();
    t.op(set("ec2:instances", 5)).unwrap();
    let first = t.req(
        Some("tok-1"),
        Command::in_account(A, acquire("ec2:instances", 3)),
    );
    let retry = t.req(
        Some("tok-1"),
        Command::in_account(A, acquire("ec2:instances", 3)),
    );
    assert_eq!(first, retry);
    let g = t
        .q(QuotaQuery::GetUsage {
            name: "ec2:instances".into(),
        })
        .unwrap();
    assert_eq!(g["used"], 3, "the retry must not acquire again");
    // A rejected acquire records no token: once room is made, the retry runs.
    let r = t.req(
        Some("tok-2"),
        Command::in_account(A, acquire("ec2:instances", 3)),
    );
    assert!(r.result.is_err());
    t.req(
        Some("tok-3"),
        Command::in_account(A, release("ec2:instances", 1)),
    );
    let r = t.req(
        Some("tok-2"),
        Command::in_account(A, acquire("ec2:instances", 3)),
    );
    assert!(matches!(r.result, Ok(Outcome::Record(_))));
    let g = t
        .q(QuotaQuery::GetUsage {
            name: "ec2:instances".into(),
        })
        .unwrap();
    assert_eq!(g["used"], 5);
}

#[path = "quotas/props.rs"]
mod props;
