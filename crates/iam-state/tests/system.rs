//! Cluster-wide records through `apply`: the operator account (the first account), the STS
//! token key ring (rotation, retirement), root access keys, and secrets sealed by the
//! proposer's environment before they enter the log.

use iam_state::ops::access_keys::{AccessKeyOp, AccessKeyQuery, ROOT};
use iam_state::system::{key_ring, operator_account, RETIRED_KEY_KEEP_MS};
use iam_state::{apply, Command, Env, MemStore, Query, Request};
use serde_json::Value;

const A: &str = "123456789012";
const B: &str = "210987654321";

/// Seals by wrapping (a stand-in for the server's cipher) so tests can see it was called.
struct SealingEnv(u64);

impl Env for SealingEnv {
    fn unique_id(&mut self, prefix: iam_model::ids::IdPrefix) -> String {
        self.0 += 1;
        format!("{}{:017}", prefix.as_str(), self.0)
    }
    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        self.0 += 1;
        (0..n).map(|i| (self.0 as usize * 7 + i) as u8).collect()
    }
    fn hash_password(&mut self, _: &str) -> String {
        "h".into()
    }
    fn seal_secret(&mut self, plaintext: &str) -> String {
        format!("sealed1:{}", plaintext.chars().rev().collect::<String>())
    }
}

struct World {
    s: MemStore,
    index: u64,
    env: SealingEnv,
}

impl World {
    fn run(&mut self, time_ms: u64, mut command: Command) -> Result<Value, iam_model::IamError> {
        command.prepare(&mut self.env);
        self.index += 1;
        let req = Request {
            request_token: None,
            time_ms,
            command,
            origin: None,
        };
        let (resp, writes) = apply(&self.s, self.index, &req);
        self.s.commit(writes);
        resp.result.map(|o| o.to_json())
    }

    fn account(&mut self, id: &str) {
        self.run(
            1,
            Command::CreateAccount {
                account_id: id.into(),
                name: "acme".into(),
                email: "a@b.io".into(),
            },
        )
        .unwrap();
    }
}

fn world() -> World {
    World {
        s: MemStore::new(),
        index: 0,
        env: SealingEnv(0),
    }
}

#[test]
fn the_first_account_is_the_operator() {
    let mut w = world();
    assert_eq!(operator_account(&w.s), None);
    w.account(B);
    w.account(A);
    assert_eq!(operator_account(&w.s).as_deref(), Some(B));
}

#[test]
fn token_keys_rotate_and_retired_keys_are_dropped_after_the_longest_session() {
    let mut w = world();
    assert!(key_ring(&w.s).keys.is_empty());
    let rotate = || Command::RotateTokenKey {
        sealed_key: String::new(),
    };
    w.run(1_000, rotate()).unwrap();
    w.run(2_000, rotate()).unwrap();
    let ring = key_ring(&w.s);
    assert_eq!(ring.current, 2);
    assert_eq!(ring.keys.len(), 2);
    assert!(ring.keys.iter().all(|k| k.sealed.starts_with("sealed1:")));
    assert_eq!(ring.keys[0].retired_ms, Some(2_000));
    assert_ne!(ring.keys[0].sealed, ring.keys[1].sealed);
    // Key 1 (retired at 2 000) is still there just before the window closes...
    w.run(2_000 + RETIRED_KEY_KEEP_MS - 1, rotate()).unwrap();
    assert_eq!(key_ring(&w.s).keys.len(), 3);
    // ...and gone after it; key 2 (retired later) stays.
    w.run(2_000 + RETIRED_KEY_KEEP_MS + 1, rotate()).unwrap();
    let ring = key_ring(&w.s);
    assert_eq!(
        ring.keys.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(ring.current, 4);
    // A key that was not chosen by a proposer is refused.
    let req = Request {
        request_token: None,
        time_ms: 5,
        command: Command::RotateTokenKey {
            sealed_key: String::new(),
        },
        origin: None,
    };
    assert!(apply(&w.s, 99, &req).0.result.is_err());
}

#[test]
fn root_access_keys_are_sealed_limited_to_two_and_listed_apart_from_users() {
    let mut w = world();
    w.account(A);
    let create = || {
        Command::in_account(
            A,
            AccessKeyOp::Create {
                user_name: ROOT.into(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            },
        )
    };
    let k = w.run(10, create()).unwrap();
    assert_eq!(k["user_name"], "");
    let secret = k["secret_access_key"].as_str().unwrap();
    assert!(secret.starts_with("sealed1:"), "{secret}");
    w.run(11, create()).unwrap();
    let e = w.run(12, create()).unwrap_err();
    assert_eq!(e.code, iam_model::ErrorCode::LimitExceeded);
    let list = Query::in_account(
        A,
        AccessKeyQuery::List {
            user_name: ROOT.into(),
            page: Default::default(),
        },
    )
    .run(&w.s)
    .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let summary = Query::in_account(A, iam_state::ops::account::AccountQuery::GetSummary {})
        .run(&w.s)
        .unwrap();
    assert_eq!(summary["AccountAccessKeysPresent"], 1, "{summary}");
}

#[test]
fn a_token_key_is_revoked_at_once_but_never_the_current_one() {
    let mut w = world();
    let rotate = || Command::RotateTokenKey {
        sealed_key: String::new(),
    };
    w.run(1_000, rotate()).unwrap();
    w.run(2_000, rotate()).unwrap();
    w.run(3_000, rotate()).unwrap();
    // The current key (3) cannot go: new tokens are sealed with it.
    let e = w
        .run(4_000, Command::RevokeTokenKey { key_id: 3 })
        .unwrap_err();
    assert_eq!(e.code, iam_model::ErrorCode::InvalidInput);
    assert!(e.message.contains("rotate first"), "{}", e.message);
    // An unknown key is named with the ring's keys.
    let e = w
        .run(4_000, Command::RevokeTokenKey { key_id: 9 })
        .unwrap_err();
    assert_eq!(e.code, iam_model::ErrorCode::NoSuchEntity);
    assert!(e.message.contains("1, 2, 3"), "{}", e.message);
    // A rejection writes nothing.
    assert_eq!(key_ring(&w.s).keys.len(), 3);
    // Key 1, retired at 2 000, would stay for RETIRED_KEY_KEEP_MS; revoked, it goes now.
    let out = w.run(4_000, Command::RevokeTokenKey { key_id: 1 }).unwrap();
    assert_eq!(out["revoked"], 1);
    assert_eq!(out["current"], 3);
    let ring = key_ring(&w.s);
    assert_eq!(
        ring.keys.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(ring.current, 3);
    // Ids are never reused: the next key is 4, not 1.
    w.run(5_000, rotate()).unwrap();
    assert_eq!(key_ring(&w.s).current, 4);
    let e = w
        .run(6_000, Command::RevokeTokenKey { key_id: 1 })
        .unwrap_err();
    assert_eq!(e.code, iam_model::ErrorCode::NoSuchEntity);
}

mod releases {
    use super::*;
    use iam_state::release::{self, cluster_release, needs, unsupported, RELEASE};
    use iam_state::StateRead;

    fn pairs(s: &MemStore) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        s.for_each(&mut |k, v| out.push((k.to_vec(), v.to_vec())));
        out
    }

    fn finalize(w: &mut World, release: u32) -> Result<Value, iam_model::IamError> {
        w.run(1, Command::FinalizeRelease { release })
    }

    #[test]
    fn a_cluster_runs_release_1_until_an_upgrade_is_finalized_and_never_goes_back() {
        let mut w = world();
        w.account(A);
        assert_eq!(cluster_release(&w.s), release::FIRST);
        assert!(finalize(&mut w, 1).is_err(), "not newer");
        assert_eq!(finalize(&mut w, 2).unwrap()["release"], 2);
        assert_eq!(cluster_release(&w.s), 2);
        let again = finalize(&mut w, 2).unwrap_err();
        assert!(
            again.message.contains("already runs release 2"),
            "{again:?}"
        );
        assert_eq!(cluster_release(&w.s), 2);
    }

    #[test]
    fn a_restore_keeps_the_newer_release_and_carries_its_backups() {
        let mut w = world();
        w.account(A);
        let before = pairs(&w.s);
        finalize(&mut w, 2).unwrap();
        // A backup from before the finalization does not lower the cluster's release.
        w.run(
            1,
            Command::RestoreState {
                pairs: before.clone(),
            },
        )
        .unwrap();
        assert_eq!(cluster_release(&w.s), 2);
        // A restore says which release its backup needs.
        let command = Command::RestoreState { pairs: before };
        assert_eq!(needs(&command), Some(1));
        let newer = pairs(&w.s);
        assert_eq!(needs(&Command::RestoreState { pairs: newer }), Some(2));
    }

    #[test]
    fn a_build_says_what_it_cannot_apply() {
        assert_eq!(needs(&Command::FinalizeRelease { release: 7 }), Some(7));
        assert_eq!(
            needs(&Command::RotateTokenKey {
                sealed_key: String::new()
            }),
            None
        );
        assert_eq!(unsupported(RELEASE, "x"), None);
        let why = unsupported(RELEASE + 1, "log entry 9").expect("newer");
        assert!(
            why.contains("log entry 9 needs iamd release")
                && why.contains(&format!("this iamd is release {RELEASE}")),
            "{why}"
        );
    }
}
