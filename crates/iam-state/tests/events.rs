//! The event history through `apply`: a change with an origin is recorded, a refusal and a
//! replayed request token are not, a request without an origin (the node's own) is not,
//! the oldest events go past either bound, lookups filter and answer newest first, and two
//! replicas applying the same entries hold the same history.

use iam_state::events::{EventQuery, Origin};
use iam_state::ops::users::UserOp;
use iam_state::{apply_batch, state_hash, Command, MemStore, Query, Request};
use serde_json::Value;

const A: &str = "123456789012";
const B: &str = "210987654321";
const DAY_MS: u64 = 24 * 3600 * 1000;

fn origin(principal: &str, action: &str, max_events: u64) -> Origin {
    Origin {
        account: A.into(),
        principal: principal.into(),
        access_key_id: "AKIAEXAMPLE".into(),
        source_ip: "192.0.2.7".into(),
        request_id: format!("rid-{principal}-{action}"),
        action: action.into(),
        resources: vec![format!("arn:aws:iam::{A}:user/x")],
        max_events,
        max_age_ms: 90 * DAY_MS,
    }
}

fn create_user(name: &str) -> Command {
    Command::in_account(
        A,
        UserOp::Create {
            name: name.into(),
            path: "/".into(),
            tags: vec![],
            permissions_boundary: None,
            user_id: format!("AIDA{:0>17}", name.len()),
        },
    )
}

struct World {
    s: MemStore,
    index: u64,
}

impl World {
    fn new() -> Self {
        let mut w = Self {
            s: MemStore::new(),
            index: 0,
        };
        for account in [A, B] {
            w.entry(vec![Request::new(
                1,
                Command::CreateAccount {
                    account_id: account.into(),
                    name: "acme".into(),
                    email: "a@b.io".into(),
                },
            )]);
        }
        w
    }

    fn entry(&mut self, requests: Vec<Request>) -> Vec<bool> {
        self.index += 1;
        let (responses, writes) = apply_batch(&self.s, self.index, &requests);
        self.s.commit(writes);
        responses.iter().map(|r| r.result.is_ok()).collect()
    }

    fn change(&mut self, time_ms: u64, name: &str, origin: Origin) -> bool {
        let mut r = Request::new(time_ms, create_user(name));
        r.origin = Some(Box::new(origin));
        self.entry(vec![r])[0]
    }

    fn lookup(&self, account: &str, q: EventQuery) -> Value {
        Query::in_account(account, q).run(&self.s).unwrap()
    }

    fn all(&self) -> Vec<Value> {
        self.lookup(A, lookup(None, None, None, Some(1000)))["events"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn lookup(
    principal: Option<&str>,
    action: Option<&str>,
    since_ms: Option<u64>,
    max_results: Option<u32>,
) -> EventQuery {
    EventQuery::Lookup {
        principal: principal.map(str::to_owned),
        action: action.map(str::to_owned),
        since_ms,
        max_results,
    }
}

#[test]
fn only_changes_with_an_origin_are_recorded() {
    let mut w = World::new();
    assert!(
        w.all().is_empty(),
        "the node's own requests are not recorded"
    );
    assert!(w.change(10, "alice", origin("arn:p1", "iam:CreateUser", 100)));
    // Refused: alice exists.
    assert!(!w.change(11, "alice", origin("arn:p1", "iam:CreateUser", 100)));
    // A replayed request token is the first change, not a new one.
    let mut first = Request::new(12, create_user("bob"));
    first.request_token = Some("t-1".into());
    first.origin = Some(Box::new(origin("arn:p2", "iam:CreateUser", 100)));
    assert!(w.entry(vec![first.clone()])[0]);
    assert!(w.entry(vec![first])[0]);
    let all = w.all();
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[0]["principal"], "arn:p2", "newest first");
    assert_eq!(all[1]["principal"], "arn:p1");
    assert_eq!(all[1]["time_ms"], 10);
    assert_eq!(all[1]["source_ip"], "192.0.2.7");
    assert_eq!(all[1]["request_id"], "rid-arn:p1-iam:CreateUser");
    assert!(all[0]["index"].as_u64() > all[1]["index"].as_u64());
    // Another account sees none of them.
    let other = w.lookup(B, lookup(None, None, None, None));
    assert_eq!(other["events"].as_array().unwrap().len(), 0);
}

#[test]
fn lookups_filter_by_principal_action_and_time() {
    let mut w = World::new();
    w.change(100, "u1", origin("arn:p1", "iam:CreateUser", 100));
    w.change(200, "u2", origin("arn:p2", "iam:CreateUser", 100));
    w.change(300, "u3", origin("arn:p1", "iam:TagUser", 100));
    let n = |q| w.lookup(A, q)["events"].as_array().unwrap().len();
    assert_eq!(n(lookup(Some("arn:p1"), None, None, None)), 2);
    assert_eq!(n(lookup(None, Some("CreateUser"), None, None)), 2);
    assert_eq!(n(lookup(None, Some("iam:createuser"), None, None)), 2);
    assert_eq!(n(lookup(None, None, Some(200), None)), 2);
    assert_eq!(
        n(lookup(Some("arn:p1"), Some("TagUser"), Some(301), None)),
        0
    );
    let one = w.lookup(A, lookup(None, None, None, Some(1)));
    assert_eq!(one["events"][0]["time_ms"], 300);
    assert_eq!(one["truncated"], true);
    for bad in [0, 1001] {
        let e = Query::in_account(A, lookup(None, None, None, Some(bad)))
            .run(&w.s)
            .unwrap_err();
        assert_eq!(e.code, iam_model::ErrorCode::ValidationError);
    }
}

#[test]
fn the_oldest_events_go_past_either_bound() {
    let mut w = World::new();
    for i in 0..6 {
        w.change(
            1000 + i,
            &format!("n{i}"),
            origin("arn:p", "iam:CreateUser", 3),
        );
    }
    let all = w.all();
    let times: Vec<u64> = all.iter().map(|e| e["time_ms"].as_u64().unwrap()).collect();
    assert_eq!(times, vec![1005, 1004, 1003]);
    // Ninety days later, a change drops everything older than ninety days.
    w.change(
        1005 + 90 * DAY_MS + 1,
        "late",
        origin("arn:p", "iam:CreateUser", 3),
    );
    let all = w.all();
    assert_eq!(all.len(), 1, "{all:#?}");
}

#[test]
fn replicas_applying_the_same_batches_hold_the_same_history() {
    let batches: Vec<Vec<Request>> = (0..20)
        .map(|i| {
            (0..3)
                .map(|j| {
                    let mut r =
                        Request::new(1000 * i + j, create_user(&format!("u{}", (i * 3 + j) % 25)));
                    r.origin = Some(Box::new(origin(&format!("arn:p{j}"), "iam:CreateUser", 7)));
                    r
                })
                .collect()
        })
        .collect();
    let mut a = World::new();
    let mut b = World::new();
    for batch in &batches {
        a.entry(batch.clone());
        b.entry(batch.clone());
    }
    assert_eq!(state_hash(&a.s), state_hash(&b.s));
    assert_eq!(a.all().len(), 7);
}

/// The history's keys and values (`evt/…`) and its count: what a lookup can see.
type History = (Vec<(Vec<u8>, Vec<u8>)>, Option<Vec<u8>>);

fn history(s: &MemStore) -> History {
    use iam_state::StateRead;
    (s.scan(b"evt/", None, usize::MAX), s.get(b"evtn"))
}

/// The history's events oldest first, whatever records hold them (one event each before
/// release 5, an entry's events from it), its count and its oldest time (`evto`).
fn events(s: &MemStore) -> (Vec<Value>, Option<Vec<u8>>, Option<Vec<u8>>) {
    use iam_state::StateRead;
    let mut all = Vec::new();
    for (key, value) in s.scan(b"evt/", None, usize::MAX) {
        let value: Value = serde_json::from_slice(&value).unwrap();
        if key.len() == "evt/".len() + 20 {
            let index: u64 = std::str::from_utf8(&key[4..]).unwrap().parse().unwrap();
            let events = value.as_array().expect("an entry's events, compact");
            assert!(!events.is_empty(), "an entry's record holds events");
            all.extend(events.iter().map(|e| named(index, e)));
        } else {
            all.push(value);
        }
    }
    (all, s.get(b"evtn"), s.get(b"evto"))
}

/// An event of an entry's compact record (`[time, account, principal, access key id,
/// source IP, request id, action, [resources]]`) as the object a one-event record holds.
fn named(index: u64, e: &Value) -> Value {
    serde_json::json!({
        "index": index, "time_ms": e[0], "account": e[1], "principal": e[2],
        "access_key_id": e[3], "source_ip": e[4], "request_id": e[5], "action": e[6],
        "resources": e[7],
    })
}

fn finalize(release: u32) -> Request {
    Request::new(1, Command::FinalizeRelease { release })
}

/// From release 4 the history keeps its oldest event's time (`evto`), and an entry under
/// both bounds decides from it without reading the history; from release 5 an entry's
/// events are one record, and pruning drops whole records or the due part of one. Each
/// keeps exactly the events that reading every event on every entry keeps (what release
/// 1–3 builds do), through lowered and raised bounds, batches, clocks that step back,
/// budgets used up, and an upgrade from 4 to 5 with events of both layouts in the history.
#[test]
fn every_release_prunes_exactly_what_reading_the_history_does() {
    use iam_state::release::{EVENTS_PER_ENTRY, EVENT_HISTORY_OLDEST};
    use iam_state::StateRead;
    let mut reads = World::new();
    let mut keeps = World::new();
    let mut entries = World::new();
    let mut upgrades = World::new();
    reads.entry(vec![]);
    keeps.entry(vec![finalize(EVENT_HISTORY_OLDEST)]);
    entries.entry(vec![finalize(EVENTS_PER_ENTRY)]);
    upgrades.entry(vec![finalize(EVENT_HISTORY_OLDEST)]);
    let (mut seed, mut time, mut fast, mut partial) = (7u64, 1_000u64, 0, 0);
    let mut sizes = std::collections::HashMap::new();
    for i in 0..400usize {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let max_events = [5, 1000, 3, 1000][(i / 100) % 4];
        let max_age_ms = [10_000, 2_000, 1_000_000][(i / 50) % 3];
        let batch: Vec<Request> = (0..1 + (seed >> 61) as usize)
            .map(|j| {
                time += (seed >> 33) % 700;
                // Every other request's clock is a little behind.
                let t = time - (seed >> 20) % 300 * (j as u64 % 2);
                let mut o = origin("arn:p", "iam:CreateUser", max_events);
                o.max_age_ms = max_age_ms;
                let mut r = Request::new(t, create_user(&format!("u{i}-{j}")));
                r.origin = Some(Box::new(o));
                r
            })
            .collect();
        let before = history(&keeps.s);
        let entries_before = history(&entries.s).0.len();
        let recorded = batch.len();
        reads.entry(batch.clone());
        keeps.entry(batch.clone());
        entries.entry(batch.clone());
        let mut upgrade = batch;
        if i == 120 {
            // Finalized in the middle of an entry: its events keep the entry's layout.
            upgrade.insert(1, finalize(EVENTS_PER_ENTRY));
        }
        upgrades.entry(upgrade);
        assert_eq!(history(&reads.s), history(&keeps.s), "entry {i}");
        let (want, count, _) = events(&reads.s);
        for (name, w) in [
            ("keeps", &keeps),
            ("entries", &entries),
            ("upgrades", &upgrades),
        ] {
            let (have, have_count, _) = events(&w.s);
            assert_eq!(have, want, "entry {i}: {name}");
            assert_eq!(have_count, count, "entry {i}: {name}'s count");
        }
        for (name, w) in [
            ("keeps", &keeps),
            ("entries", &entries),
            ("upgrades", &upgrades),
        ] {
            let (have, _, oldest) = events(&w.s);
            if let Some(t) = &oldest {
                assert_eq!(
                    String::from_utf8_lossy(t),
                    have[0]["time_ms"].to_string(),
                    "entry {i}: {name}'s evto is the oldest event's time"
                );
            }
        }
        // Nothing but the new events changed: the entry decided without reading further.
        if history(&keeps.s).0.len() == before.0.len() + recorded && keeps.s.get(b"evto").is_some()
        {
            fast += 1;
        }
        let (records, _) = history(&entries.s);
        assert!(
            records.len() <= entries_before + 1,
            "entry {i}: one record per entry"
        );
        sizes.insert(entries.index, recorded);
        // An entry's record that lost its oldest events to pruning but keeps the rest.
        partial += records
            .iter()
            .filter(|(k, v)| {
                let index: u64 = String::from_utf8_lossy(&k[4..]).parse().unwrap();
                let v: Value = serde_json::from_slice(v).unwrap();
                v.as_array().unwrap().len() < sizes[&index]
            })
            .count();
        if i == 125 {
            let lens: Vec<usize> = history(&upgrades.s)
                .0
                .iter()
                .map(|(k, _)| k.len())
                .collect();
            assert!(
                lens.contains(&24) && lens.contains(&35),
                "both layouts: {lens:?}"
            );
        }
        assert_eq!(reads.s.get(b"evto"), None, "release 1 writes no evto");
    }
    assert!(fast > 50, "the kept time decided {fast} entries");
    assert!(
        partial > 10,
        "{partial} entries' records were pruned in part"
    );
}

/// Records as release 2–4 builds write them (one event each, `evt/{index}/{position}`), as
/// the first release 5 builds did (an entry's events as objects, `evt/{index}`) and as
/// release 5 builds do now (an entry's events as arrays), byte for byte: a history holding
/// all three reads as one, newest first, and pruning drops across them, keeping the part of
/// an entry's record that is not due (rewritten in the compact form).
#[test]
fn records_of_both_layouts_read_as_one_history() {
    use iam_state::StateRead;
    const OLD: &str = r#"{"index":3,"time_ms":1000,"account":"123456789012","principal":"arn:old","access_key_id":"AKIAOLD","source_ip":"192.0.2.1","request_id":"r-old","action":"iam:CreateUser","resources":["arn:aws:iam::123456789012:user/old"]}"#;
    const NEW: &str = r#"{"events":[{"index":4,"time_ms":2000,"account":"123456789012","principal":"arn:new1","access_key_id":"AKIANEW","source_ip":"2001:db8::1","request_id":"r-1","action":"iam:TagUser","resources":[]},{"index":4,"time_ms":2001,"account":"123456789012","principal":"arn:new2","access_key_id":"","source_ip":"","request_id":"r-2","action":"iam:DeleteUser","resources":["arn:aws:iam::123456789012:user/x"]}]}"#;
    const COMPACT: &str = r#"[[2002,"123456789012","arn:new3","AKIANEW3","198.51.100.7","r-3","iam:UntagUser",["arn:aws:iam::123456789012:user/y"]]]"#;
    let mut pairs = World::new().s.scan(b"", None, usize::MAX);
    pairs.push((b"evt/00000000000000000003/0000000000".to_vec(), OLD.into()));
    pairs.push((b"evt/00000000000000000004".to_vec(), NEW.into()));
    pairs.push((b"evt/00000000000000000005".to_vec(), COMPACT.into()));
    pairs.push((b"evtn".to_vec(), b"4".to_vec()));
    let mut w = World {
        s: pairs.into_iter().collect(),
        index: 10,
    };
    let principals = |w: &World| -> Vec<String> {
        w.all()
            .iter()
            .map(|e| e["principal"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        principals(&w),
        ["arn:new3", "arn:new2", "arn:new1", "arn:old"]
    );
    let all = w.all();
    assert_eq!(all[0]["index"], 5);
    assert_eq!(all[0]["source_ip"], "198.51.100.7");
    assert_eq!(all[0]["resources"][0], "arn:aws:iam::123456789012:user/y");
    assert_eq!(all[2]["source_ip"], "2001:db8::1");
    assert_eq!(all[3]["resources"][0], "arn:aws:iam::123456789012:user/old");
    let tags = w.lookup(A, lookup(None, Some("TagUser"), None, None));
    assert_eq!(tags["events"].as_array().unwrap().len(), 1);
    // Three events at most: the old one goes, and the first of entry 4's.
    assert!(w.change(3000, "late", origin("arn:now", "iam:CreateUser", 3)));
    assert_eq!(principals(&w), ["arn:now", "arn:new3", "arn:new2"]);
    assert_eq!(w.s.get(b"evt/00000000000000000003/0000000000"), None);
    let kept: Value =
        serde_json::from_slice(&w.s.get(b"evt/00000000000000000004").unwrap()).unwrap();
    assert_eq!(kept.as_array().unwrap().len(), 1, "{kept}");
    assert_eq!(kept[0][5], "r-2", "{kept}");
    assert_eq!(w.s.get(b"evtn").as_deref(), Some(&b"3"[..]));
}
