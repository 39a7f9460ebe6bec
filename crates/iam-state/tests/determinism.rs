//! Apply is deterministic: the same commands give the same responses and the same state
//! hash on independent stores, whatever the commands are.

use iam_model::Tag;
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::PageRequest;
use iam_state::{apply, state_hash, Command, MemStore, Outcome, Query, Request, StateRead};

fn get_user(s: &MemStore, name: &str) -> iam_model::IamResult<serde_json::Value> {
    Query::in_account("123456789012", UserQuery::Get { name: name.into() }).run(s)
}

fn list_users(s: &MemStore, marker: Option<String>, max: u32) -> serde_json::Value {
    let q = UserQuery::List {
        path_prefix: "/".into(),
        page: PageRequest {
            marker,
            max_items: Some(max),
        },
    };
    Query::in_account("123456789012", q).run(s).unwrap()
}
use proptest::prelude::*;

fn run(store: &mut MemStore, start: u64, reqs: &[Request]) -> Vec<iam_state::Response> {
    reqs.iter()
        .enumerate()
        .map(|(i, r)| {
            let (resp, writes) = apply(store, start + i as u64, r);
            store.commit(writes);
            resp
        })
        .collect()
}

fn account(id: &str) -> Request {
    Request {
        request_token: None,
        time_ms: 1,
        command: Command::CreateAccount {
            account_id: id.into(),
            name: "acme".into(),
            email: "ops@acme.io".into(),
        },
        origin: None,
    }
}

fn create_user(name: &str, token: Option<&str>) -> Request {
    Request {
        request_token: token.map(str::to_owned),
        time_ms: 2,
        command: Command::in_account(
            "123456789012",
            UserOp::Create {
                name: name.into(),
                path: "/".into(),
                user_id: format!("AIDA{name:0>17}"),
                tags: vec![Tag {
                    key: "team".into(),
                    value: "core".into(),
                }],
                permissions_boundary: None,
            },
        ),
        origin: None,
    }
}

#[test]
fn names_are_unique_case_insensitively_and_rejections_change_nothing() {
    let mut s = MemStore::new();
    let r = run(
        &mut s,
        1,
        &[account("123456789012"), create_user("Alice", None)],
    );
    assert!(matches!(r[1].result, Ok(Outcome::User(_))));
    let before = state_hash(&s);
    let r = run(&mut s, 3, &[create_user("alice", None)]);
    assert_eq!(
        r[0].result.as_ref().unwrap_err().code,
        iam_model::ErrorCode::EntityAlreadyExists
    );
    assert_eq!(
        state_hash(&s),
        before,
        "a rejected command must not change state"
    );
    let u = get_user(&s, "ALICE").unwrap();
    assert_eq!(u["name"], "Alice");
}

#[test]
fn a_retried_token_applies_once() {
    let mut s = MemStore::new();
    run(&mut s, 1, &[account("123456789012")]);
    let first = run(&mut s, 2, &[create_user("bob", Some("t-1"))]);
    let del = Request {
        request_token: None,
        time_ms: 3,
        command: Command::in_account("123456789012", UserOp::Delete { name: "bob".into() }),
        origin: None,
    };
    run(&mut s, 3, &[del]);
    let retry = run(&mut s, 4, &[create_user("bob", Some("t-1"))]);
    assert_eq!(first, retry, "a retry returns the first response");
    assert!(
        get_user(&s, "bob").is_err(),
        "the retry must not recreate bob"
    );
}

#[test]
fn list_users_pages_by_marker() {
    let mut s = MemStore::new();
    run(&mut s, 1, &[account("123456789012")]);
    let reqs: Vec<Request> = (0..7)
        .map(|i| create_user(&format!("u{i}"), None))
        .collect();
    run(&mut s, 2, &reqs);
    let p1 = list_users(&s, None, 3);
    assert_eq!(p1["items"].as_array().unwrap().len(), 3);
    assert_eq!(p1["is_truncated"], true);
    let m = p1["marker"].as_str().unwrap().to_owned();
    let p2 = list_users(&s, Some(m), 10);
    assert_eq!(p2["items"].as_array().unwrap().len(), 4);
    assert_eq!(p2["is_truncated"], false);
    assert_eq!(p2["items"][0]["name"], "u3");
}

fn arb_request() -> impl Strategy<Value = Request> {
    let name = prop::sample::select(vec!["a", "A", "b", "bad name", "c", ""]);
    let acct = prop::sample::select(vec!["123456789012", "210987654321", "12"]);
    let token = prop::option::of(prop::sample::select(vec!["t1", "t2", "t3"]));
    (0u8..3, name, acct, token, 0u64..5).prop_map(|(kind, name, acct, token, t)| {
        let command = match kind {
            0 => Command::CreateAccount {
                account_id: acct.into(),
                name: "n".into(),
                email: "a@b.co".into(),
            },
            1 => Command::in_account(
                acct,
                UserOp::Create {
                    name: name.into(),
                    path: "/".into(),
                    user_id: "AIDAAAAAAAAAAAAAAAAAA".into(),
                    tags: vec![],
                    permissions_boundary: None,
                },
            ),
            _ => Command::in_account(acct, UserOp::Delete { name: name.into() }),
        };
        Request {
            request_token: token.map(str::to_owned),
            time_ms: t,
            command,
            origin: None,
        }
    })
}

proptest! {
    #[test]
    fn same_commands_same_hash(reqs in prop::collection::vec(arb_request(), 0..40)) {
        let mut a = MemStore::new();
        let mut b = MemStore::new();
        let ra = run(&mut a, 1, &reqs);
        let rb = run(&mut b, 1, &reqs);
        prop_assert_eq!(ra, rb);
        prop_assert_eq!(state_hash(&a), state_hash(&b));
        let mut n = 0;
        a.for_each(&mut |_, _| n += 1);
        prop_assert_eq!(n, a.len());
    }
}

#[test]
fn old_request_tokens_are_pruned_and_rejections_record_nothing() {
    use iam_model::limits::REQUEST_TOKEN_WINDOW_ENTRIES as W;
    let mut s = MemStore::new();
    run(&mut s, 1, &[account("123456789012")]);
    run(&mut s, 2, &[create_user("early", Some("old-token"))]);
    assert!(s.get(b"tok/old-token").is_some());
    // A rejected command with a token stores nothing.
    let before = state_hash(&s);
    run(&mut s, 3, &[create_user("early", Some("rejected-token"))]);
    assert_eq!(state_hash(&s), before);
    // A successful command more than a window later prunes the old token.
    run(&mut s, 2 + W + 5, &[create_user("late", Some("new-token"))]);
    assert!(
        s.get(b"tok/old-token").is_none(),
        "token older than the window is pruned"
    );
    assert!(s.get(b"tok/new-token").is_some());
}

#[test]
fn a_sandbox_reset_leaves_one_empty_account() {
    let mut s = MemStore::new();
    run(
        &mut s,
        1,
        &[account("123456789012"), create_user("alice", Some("t"))],
    );
    run(&mut s, 3, &[account("210987654321")]);
    let reset = Request {
        request_token: None,
        time_ms: 9,
        command: Command::SandboxReset {
            account_id: "123456789012".into(),
            name: "sandbox".into(),
            email: "sandbox@example.com".into(),
        },
        origin: None,
    };
    assert!(reset.command.is_internal());
    let r = run(&mut s, 4, &[reset]);
    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
    // The account record and the cluster records (`sys/operator`) are left.
    assert_eq!(s.len(), 2, "only the account and cluster records are left");
    assert_eq!(
        s.get(b"sys/operator").as_deref(),
        Some(&b"123456789012"[..]),
        "the first account is the operator"
    );
    assert!(get_user(&s, "alice").is_err());
    assert!(s.get(b"acct/123456789012").is_some());
    assert!(s.get(b"acct/210987654321").is_none());
}
