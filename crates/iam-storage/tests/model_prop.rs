//! Property test over the whole IAM model: random command sequences from every family,
//! applied to the in-memory reference store and to the RocksDB state machine, give the same
//! responses and the same state hash (and so do a snapshot of it installed elsewhere).

use iam_model::ids::{unique_id, IdPrefix};
use iam_raft::types::{Entry, EntryPayload, LeaderId, LogId, Requests};
use iam_state::{Command, Env, MemStore, Request, Response};
use iam_storage::RocksStateMachine;
use openraft::vote::RaftLeaderId;
use proptest::prelude::*;
use serde_json::{json, Value};

const ACCT: &str = "123456789012";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const DOC2: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Deterministic stand-in for the proposing node's randomness.
struct SeqEnv(u64);

impl Env for SeqEnv {
    fn unique_id(&mut self, prefix: IdPrefix) -> String {
        self.0 += 1;
        let len = if matches!(prefix, IdPrefix::AccessKey) {
            16
        } else {
            17
        };
        unique_id(prefix, &self.0.to_le_bytes().repeat(4), len)
    }
    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        self.0 += 1;
        (0..n).map(|i| (self.0 as usize + i) as u8).collect()
    }
    fn hash_password(&mut self, password: &str) -> String {
        format!("fake-hash-{}", password.len())
    }
}

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:policy/{name}")
}

/// One random account-scoped op, as the JSON a client would send.
fn arb_op() -> impl Strategy<Value = Value> {
    let user = prop::sample::select(vec!["alice", "Alice", "bob", "carol"]);
    let group = prop::sample::select(vec!["devs", "ops"]);
    let role = prop::sample::select(vec!["app", "batch"]);
    let policy = prop::sample::select(vec!["read", "deny-iam"]);
    let doc = prop::sample::select(vec![DOC, DOC2, "{not json"]);
    (0u8..26, user, group, role, policy, doc, any::<bool>()).prop_map(
        |(k, u, g, r, p, d, flag)| {
            let kind = if flag { "user" } else { "role" };
            let entity = if flag { u } else { r };
            match k {
                0 => json!({"User": {"Create": {"name": u, "path": "/", "user_id": ""}}}),
                1 => json!({"User": {"Delete": {"name": u}}}),
                2 => json!({"User": {"Update": {"name": u, "new_name": format!("{u}2"), "new_path": null}}}),
                3 => json!({"User": {"Tag": {"name": u, "tags": [{"key": "team", "value": g}]}}}),
                4 => json!({"Group": {"Create": {"name": g, "path": "/", "group_id": ""}}}),
                5 => json!({"Group": {"Delete": {"name": g}}}),
                6 => json!({"Group": {"AddUser": {"group_name": g, "user_name": u}}}),
                7 => json!({"Group": {"RemoveUser": {"group_name": g, "user_name": u}}}),
                8 => json!({"Role": {"Create": {"name": r, "path": "/", "assume_role_policy_document": TRUST, "role_id": ""}}}),
                9 => json!({"Role": {"Delete": {"name": r}}}),
                10 => json!({"InstanceProfile": {"Create": {"name": "web", "path": "/", "instance_profile_id": ""}}}),
                11 => json!({"InstanceProfile": {"AddRole": {"instance_profile_name": "web", "role_name": r}}}),
                12 => json!({"InstanceProfile": {"RemoveRole": {"instance_profile_name": "web", "role_name": r}}}),
                13 => json!({"Policy": {"Create": {"policy_name": p, "path": "/", "policy_document": d, "description": "", "policy_id": ""}}}),
                14 => json!({"Policy": {"Delete": {"policy_arn": policy_arn(p)}}}),
                15 => json!({"Policy": {"CreateVersion": {"policy_arn": policy_arn(p), "policy_document": d, "set_as_default": flag}}}),
                16 => json!({"Policy": {"Attach": {"entity": kind, "entity_name": entity, "policy_arn": policy_arn(p)}}}),
                17 => json!({"Policy": {"Detach": {"entity": kind, "entity_name": entity, "policy_arn": policy_arn(p)}}}),
                18 => json!({"Policy": {"PutInline": {"entity": "group", "entity_name": g, "policy_name": p, "policy_document": d}}}),
                19 => json!({"Policy": {"PutBoundary": {"entity": kind, "entity_name": entity, "permissions_boundary": policy_arn(p)}}}),
                20 => json!({"AccessKey": {"Create": {"user_name": u, "access_key_id": "", "secret_access_key": ""}}}),
                21 => json!({"LoginProfile": {"Create": {"user_name": u, "password": "Passw0rd!x", "password_reset_required": flag, "password_hash": ""}}}),
                22 => json!({"Mfa": {"CreateVirtual": {"name": u, "path": "/", "seed": ""}}}),
                23 => json!({"Account": {"UpdatePasswordPolicy": {"policy": {"minimum_password_length": 12, "require_symbols": flag}}}}),
                24 => json!({"Quota": {"SetUsageLimit": {"name": "ec2:instances", "limit": 3}}}),
                _ => json!({"Quota": {"Acquire": {"name": "ec2:instances", "amount": 2}}}),
            }
        },
    )
}

fn requests(ops: &[Value]) -> Vec<Request> {
    let mut env = SeqEnv(0);
    let mut out = vec![Request {
        request_token: None,
        time_ms: 1_700_000_000_000,
        command: Command::CreateAccount {
            account_id: ACCT.into(),
            name: "acme".into(),
            email: "root@acme.example.com".into(),
        },
        origin: None,
    }];
    for (i, op) in ops.iter().enumerate() {
        let v = json!({"In": {"account": ACCT, "op": op}});
        let mut command: Command =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
        command.prepare(&mut env);
        out.push(Request {
            request_token: Some(format!("t{}", i % 7)).filter(|_| i % 3 == 0),
            time_ms: 1_700_000_000_000 + i as u64 * 1000,
            command,
            origin: None,
        });
    }
    out
}

fn entry(index: u64, requests: Vec<Request>) -> Entry {
    Entry {
        log_id: LogId::new(LeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(Requests::new(requests)),
    }
}

/// Log entries and forwarded writes carry requests and responses as CBOR inside versioned
/// bincode records: every command and response must survive the trip.
fn record_round_trip<T>(v: &T) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(bound(
        serialize = "T: serde::Serialize",
        deserialize = "T: serde::de::DeserializeOwned"
    ))]
    struct Carried<T>(#[serde(with = "iam_state::codec::cbor")] T);
    let bytes = iam_raft::format::encode("a test record", &Carried(v))
        .map_err(|e| TestCaseError::fail(format!("{e}")))?;
    let back: Carried<T> = iam_raft::format::decode("a test record", &bytes)
        .map_err(|e| TestCaseError::fail(format!("cannot decode {v:?}: {e}")))?;
    prop_assert_eq!(&back.0, v);
    Ok(())
}

async fn check(ops: Vec<Value>) -> Result<(), TestCaseError> {
    let reqs = requests(&ops);
    for r in &reqs {
        record_round_trip(r)?;
    }
    // One request per entry, as a lone write is proposed...
    let mut alone = MemStore::new();
    let mut alone_resps: Vec<Response> = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        let (resp, w) = iam_state::apply(&alone, i as u64 + 1, r);
        alone.commit(w);
        record_round_trip(&resp)?;
        alone_resps.push(resp);
    }
    // ...and several per entry, as the leader batches concurrent writes: same answers, each
    // request seeing the writes of those before it in its entry.
    let chunks: Vec<Vec<Request>> = reqs.chunks(3).map(<[Request]>::to_vec).collect();
    let mut mem = MemStore::new();
    let mut mem_resps: Vec<Response> = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let (resps, w) = iam_state::apply_batch(&mem, i as u64 + 1, chunk);
        mem.commit(w);
        mem_resps.extend(resps);
    }
    prop_assert_eq!(&mem_resps, &alone_resps);
    let dir = tempfile::tempdir().unwrap();
    let store = iam_storage::open(dir.path(), 1).unwrap();
    let mut sm = RocksStateMachine::new(store.db.clone(), dir.path());
    let entries: Vec<Entry> = chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| entry(i as u64 + 1, c))
        .collect();
    // Applied in two batches, as openraft hands them over.
    let mut rest = entries;
    let tail = rest.split_off(rest.len() / 2);
    let mut rocks_resps: Vec<Response> = sm.apply_entries(rest).unwrap().concat();
    rocks_resps.extend(sm.apply_entries(tail).unwrap().concat());
    prop_assert_eq!(&rocks_resps, &mem_resps);
    let (_, hash) = sm.view().hash_at_applied();
    prop_assert_eq!(hash, iam_state::state_hash(&mem));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn rocks_and_memory_agree_on_random_model_commands(ops in prop::collection::vec(arb_op(), 1..60)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(check(ops))?;
    }
}

#[test]
fn the_generator_reaches_successful_commands_of_every_family() {
    // A fixed sequence where every family succeeds at least once, so the property above is
    // not vacuously comparing rejections.
    let ops: Vec<Value> = vec![
        json!({"User": {"Create": {"name": "alice", "path": "/", "user_id": ""}}}),
        json!({"Group": {"Create": {"name": "devs", "path": "/", "group_id": ""}}}),
        json!({"Group": {"AddUser": {"group_name": "devs", "user_name": "alice"}}}),
        json!({"Role": {"Create": {"name": "app", "path": "/", "assume_role_policy_document": TRUST, "role_id": ""}}}),
        json!({"InstanceProfile": {"Create": {"name": "web", "path": "/", "instance_profile_id": ""}}}),
        json!({"InstanceProfile": {"AddRole": {"instance_profile_name": "web", "role_name": "app"}}}),
        json!({"Policy": {"Create": {"policy_name": "read", "path": "/", "policy_document": DOC, "description": "", "policy_id": ""}}}),
        json!({"Policy": {"Attach": {"entity": "user", "entity_name": "alice", "policy_arn": policy_arn("read")}}}),
        json!({"AccessKey": {"Create": {"user_name": "alice", "access_key_id": "", "secret_access_key": ""}}}),
        json!({"LoginProfile": {"Create": {"user_name": "alice", "password": "Passw0rd!x", "password_reset_required": false, "password_hash": ""}}}),
        json!({"Mfa": {"CreateVirtual": {"name": "alice", "path": "/", "seed": ""}}}),
        json!({"Account": {"UpdatePasswordPolicy": {"policy": {"minimum_password_length": 12}}}}),
        json!({"Quota": {"SetUsageLimit": {"name": "ec2:instances", "limit": 3}}}),
        json!({"Quota": {"Acquire": {"name": "ec2:instances", "amount": 2}}}),
    ];
    let reqs = requests(&ops);
    let mut mem = MemStore::new();
    for (i, r) in reqs.iter().enumerate() {
        let (resp, w) = iam_state::apply(&mem, i as u64 + 1, r);
        assert!(resp.result.is_ok(), "op {i} failed: {:?}", resp.result);
        mem.commit(w);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(check(ops)).unwrap();
}
