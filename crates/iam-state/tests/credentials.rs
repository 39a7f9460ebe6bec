//! The credential families through `apply` + `MemStore`: access keys, login profiles,
//! virtual MFA, and the account settings (alias, password policy, summary, credential
//! report). Every rejection is checked to leave the state hash unchanged.

use iam_model::ErrorCode;
use iam_state::ops::access_keys::{AccessKeyOp, AccessKeyQuery};
use iam_state::ops::account::password_policy::PasswordPolicyInput;
use iam_state::ops::account::{AccountOp, AccountQuery};
use iam_state::ops::login_profiles::{LoginProfileOp, LoginProfileQuery};
use iam_state::ops::mfa::{self, totp, MfaOp, MfaQuery};
use iam_state::ops::users::UserOp;
use iam_state::ops::PageRequest;
use iam_state::{apply, state_hash, Command, Env, MemStore, Op, Query, Request, Q};
use proptest::prelude::*;
use serde_json::Value;

const A: &str = "123456789012";
const B: &str = "210987654321";
const HOUR: u64 = 3_600_000;
/// 2017-06-10T02:35:07Z
const T0: u64 = 1_497_062_107_000;

/// A deterministic proposer environment.
struct TestEnv {
    next: u64,
}

impl Env for TestEnv {
    fn unique_id(&mut self, prefix: iam_model::ids::IdPrefix) -> String {
        self.next += 1;
        format!("{}{:017}", prefix.as_str(), self.next)
    }

    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        self.next += 1;
        let seed = self.next;
        (0..n)
            .map(|i| (seed.wrapping_mul(31).wrapping_add(i as u64 * 7) % 251) as u8)
            .collect()
    }

    fn hash_password(&mut self, password: &str) -> String {
        format!("hash-of-{}-chars", password.chars().count())
    }
}

struct World {
    s: MemStore,
    index: u64,
    env: TestEnv,
}

fn create_account(id: &str) -> Command {
    Command::CreateAccount {
        account_id: id.into(),
        name: "acme".into(),
        email: "ops@acme.io".into(),
    }
}

fn create_user(name: &str) -> Op {
    UserOp::Create {
        name: name.into(),
        path: "/".into(),
        tags: vec![],
        permissions_boundary: None,
        user_id: String::new(),
    }
    .into()
}

impl World {
    /// Accounts A and B, users alice and bob in A.
    fn new() -> Self {
        let mut w = Self {
            s: MemStore::new(),
            index: 0,
            env: TestEnv { next: 0 },
        };
        w.command(T0 - HOUR, create_account(A)).unwrap();
        w.command(T0 - HOUR, create_account(B)).unwrap();
        w.ok(T0 - HOUR, create_user("alice"));
        w.ok(T0 - HOUR, create_user("bob"));
        w
    }

    fn command(&mut self, time_ms: u64, mut command: Command) -> iam_model::IamResult<Value> {
        command.prepare(&mut self.env);
        self.index += 1;
        let req = Request {
            request_token: None,
            time_ms,
            command,
        };
        let (resp, writes) = apply(&self.s, self.index, &req);
        self.s.commit(writes);
        resp.result.map(|o| o.to_json())
    }

    fn exec_in(
        &mut self,
        account: &str,
        time_ms: u64,
        op: impl Into<Op>,
    ) -> iam_model::IamResult<Value> {
        self.command(time_ms, Command::in_account(account, op))
    }

    fn exec(&mut self, time_ms: u64, op: impl Into<Op>) -> iam_model::IamResult<Value> {
        self.exec_in(A, time_ms, op)
    }

    fn ok(&mut self, time_ms: u64, op: impl Into<Op>) -> Value {
        let op = op.into();
        let name = op.name();
        self.exec(time_ms, op)
            .unwrap_or_else(|e| panic!("{name} failed: {e}"))
    }

    /// Asserts the op is rejected with `code` and changes nothing; returns the message.
    fn rejects_in(
        &mut self,
        account: &str,
        time_ms: u64,
        op: impl Into<Op>,
        code: ErrorCode,
    ) -> String {
        let before = state_hash(&self.s);
        let err = self
            .exec_in(account, time_ms, op)
            .expect_err("the op should be rejected");
        assert_eq!(err.code, code, "{}", err.message);
        assert_eq!(
            state_hash(&self.s),
            before,
            "a rejection must change nothing"
        );
        err.message
    }

    fn rejects(&mut self, time_ms: u64, op: impl Into<Op>, code: ErrorCode) -> String {
        self.rejects_in(A, time_ms, op, code)
    }

    fn q_in(&self, account: &str, q: impl Into<Q>) -> iam_model::IamResult<Value> {
        Query::in_account(account, q).run(&self.s)
    }

    fn q(&self, q: impl Into<Q>) -> iam_model::IamResult<Value> {
        self.q_in(A, q)
    }

    fn q_err(&self, q: impl Into<Q>) -> iam_model::IamError {
        self.q(q).expect_err("the query should fail")
    }
}

fn page(max: u32, marker: Option<&Value>) -> PageRequest {
    PageRequest {
        marker: marker.and_then(Value::as_str).map(str::to_owned),
        max_items: Some(max),
    }
}

// ----------------------------------------------------------------------------------------
// Access keys

fn create_key(user: &str) -> AccessKeyOp {
    AccessKeyOp::Create {
        user_name: user.into(),
        access_key_id: String::new(),
        secret_access_key: String::new(),
    }
}

fn list_keys(w: &World, user: &str, page: PageRequest) -> Value {
    w.q(AccessKeyQuery::List {
        user_name: user.into(),
        page,
    })
    .unwrap()
}

#[test]
fn access_keys_are_created_with_a_secret_shown_once_and_limited_to_two() {
    let mut w = World::new();
    let k1 = w.ok(T0, create_key("Alice"));
    let id1 = k1["access_key_id"].as_str().unwrap().to_owned();
    let secret = k1["secret_access_key"].as_str().unwrap().to_owned();
    assert!(id1.starts_with("AKIA") && id1.len() == 20, "{id1}");
    assert_eq!(secret.len(), 40);
    assert_eq!(k1["user_name"], "alice", "records keep the user's spelling");
    assert_eq!(k1["status"], "Active");
    let k2 = w.ok(T0 + 1, create_key("alice"));
    assert_ne!(k2["access_key_id"], k1["access_key_id"]);
    let msg = w.rejects(T0 + 2, create_key("alice"), ErrorCode::LimitExceeded);
    assert_eq!(msg, "Cannot exceed quota for AccessKeysPerUser: 2");
    w.ok(T0 + 2, create_key("bob"));
    w.rejects(T0, create_key("nobody"), ErrorCode::NoSuchEntity);

    // Lists show metadata only, paged.
    let p1 = list_keys(&w, "alice", page(1, None));
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    assert_eq!(p1["is_truncated"], true);
    let p2 = list_keys(&w, "alice", page(1, Some(&p1["marker"])));
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["is_truncated"], false);
    assert_ne!(
        p1["items"][0]["access_key_id"],
        p2["items"][0]["access_key_id"]
    );
    let all = list_keys(&w, "alice", PageRequest::default());
    assert!(
        !all.to_string().contains(&secret),
        "lists never show the secret"
    );
    assert!(all["items"][0].get("secret_access_key").is_none());
    assert_eq!(
        w.q(AccessKeyQuery::List {
            user_name: "nobody".into(),
            page: PageRequest::default()
        })
        .unwrap_err()
        .code,
        ErrorCode::NoSuchEntity
    );

    // The internal lookup returns the whole record; other queries never do.
    let full = w
        .q_in(
            B,
            AccessKeyQuery::Lookup {
                access_key_id: id1.clone(),
            },
        )
        .unwrap();
    assert_eq!(full["secret_access_key"], secret.as_str());
    assert_eq!(full["account"], A);
    assert_eq!(
        iam_state::ops::access_keys::lookup(&w.s, &id1)
            .unwrap()
            .secret_access_key,
        secret
    );
}

#[test]
fn access_keys_are_updated_used_and_deleted() {
    let mut w = World::new();
    let id = w.ok(T0, create_key("alice"))["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = |status: &str, user: Option<&str>| AccessKeyOp::Update {
        user_name: user.map(str::to_owned),
        access_key_id: id.clone(),
        status: status.into(),
    };
    w.rejects(T0, update("Expired", None), ErrorCode::ValidationError);
    w.rejects(T0, update("active", None), ErrorCode::ValidationError);
    w.rejects(T0, update("Inactive", Some("bob")), ErrorCode::NoSuchEntity);
    w.rejects(
        T0,
        update("Inactive", Some("nobody")),
        ErrorCode::NoSuchEntity,
    );
    w.rejects_in(B, T0, update("Inactive", None), ErrorCode::NoSuchEntity);
    let bad_id = AccessKeyOp::Update {
        user_name: None,
        access_key_id: "AKIA/../x".into(),
        status: "Active".into(),
    };
    w.rejects(T0, bad_id, ErrorCode::ValidationError);
    w.ok(T0, update("Inactive", Some("ALICE")));
    assert_eq!(
        list_keys(&w, "alice", PageRequest::default())["items"][0]["status"],
        "Inactive"
    );

    // Last used: N/A until used; only the first use in 15 minutes is recorded.
    let last = |w: &World| {
        w.q(AccessKeyQuery::GetLastUsed {
            access_key_id: id.clone(),
        })
        .unwrap()
    };
    let never = last(&w);
    assert_eq!(never["user_name"], "alice");
    assert_eq!(never["service_name"], "N/A");
    assert_eq!(never["region"], "N/A");
    assert!(never.get("last_used_ms").is_none());
    let used = || AccessKeyOp::RecordUse {
        access_key_id: id.clone(),
        service: "iam".into(),
        region: "us-east-1".into(),
    };
    w.ok(T0 + 1000, used());
    let l = last(&w);
    assert_eq!(l["last_used_ms"], T0 + 1000);
    assert_eq!(l["service_name"], "iam");
    assert_eq!(l["region"], "us-east-1");
    let before = state_hash(&w.s);
    w.ok(T0 + 1000 + 60_000, used());
    assert_eq!(
        state_hash(&w.s),
        before,
        "uses within 15 minutes are not recorded"
    );
    w.ok(T0 + 1000 + 15 * 60_000, used());
    assert_eq!(last(&w)["last_used_ms"], T0 + 1000 + 15 * 60_000);
    let other = w.q_in(
        B,
        AccessKeyQuery::GetLastUsed {
            access_key_id: id.clone(),
        },
    );
    assert_eq!(other.unwrap_err().code, ErrorCode::NoSuchEntity);

    // A user with keys cannot be deleted; deleting the key frees the slot.
    w.rejects(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
        ErrorCode::DeleteConflict,
    );
    let delete = |user: Option<&str>| AccessKeyOp::Delete {
        user_name: user.map(str::to_owned),
        access_key_id: id.clone(),
    };
    w.rejects(T0, delete(Some("bob")), ErrorCode::NoSuchEntity);
    w.ok(T0, delete(Some("alice")));
    let msg = w.rejects(T0, delete(None), ErrorCode::NoSuchEntity);
    assert_eq!(msg, format!("The Access Key with id {id} cannot be found."));
    assert_eq!(
        list_keys(&w, "alice", PageRequest::default())["items"],
        serde_json::json!([])
    );
    w.ok(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
    );
}

// ----------------------------------------------------------------------------------------
// Login profiles

fn create_login(user: &str, pw: &str) -> LoginProfileOp {
    LoginProfileOp::Create {
        user_name: user.into(),
        password: pw.into(),
        password_reset_required: true,
        facts: None,
        password_hash: String::new(),
    }
}

fn update_login(user: &str, pw: Option<&str>, reset: Option<bool>) -> LoginProfileOp {
    LoginProfileOp::Update {
        user_name: user.into(),
        password: pw.map(str::to_owned),
        password_reset_required: reset,
        facts: None,
        password_hash: None,
    }
}

fn set_policy(w: &mut World, policy: PasswordPolicyInput) -> iam_model::IamResult<Value> {
    w.exec(T0, AccountOp::UpdatePasswordPolicy { policy })
}

#[test]
fn prepare_keeps_the_plaintext_password_out_of_the_log() {
    let mut env = TestEnv { next: 0 };
    let mut cmd = Command::in_account(A, create_login("alice", "Sup3r$ecret-pw"));
    cmd.prepare(&mut env);
    let logged = serde_json::to_string(&cmd).unwrap();
    assert!(!logged.contains("Sup3r$ecret-pw"), "{logged}");
    assert!(logged.contains("hash-of-14-chars"), "{logged}");
    assert!(logged.contains("\"has_symbol\":true"), "{logged}");
    let mut cmd = Command::in_account(A, update_login("alice", Some("N3w-pass!"), None));
    cmd.prepare(&mut env);
    let logged = serde_json::to_string(&cmd).unwrap();
    assert!(!logged.contains("N3w-pass!"), "{logged}");

    // An op that skipped prepare is refused rather than trusted.
    let mut w = World::new();
    let before = state_hash(&w.s);
    w.index += 1;
    let req = Request {
        request_token: None,
        time_ms: T0,
        command: Command::in_account(A, create_login("alice", "plaintext")),
    };
    let (resp, writes) = apply(&w.s, w.index, &req);
    assert_eq!(resp.result.unwrap_err().code, ErrorCode::InvalidInput);
    w.s.commit(writes);
    assert_eq!(state_hash(&w.s), before);
}

#[test]
fn login_profiles_follow_the_password_policy() {
    let mut w = World::new();
    // No custom policy: any 1–128 allowed characters.
    w.rejects(T0, create_login("alice", ""), ErrorCode::ValidationError);
    let long = "x".repeat(129);
    let msg = w.rejects(T0, create_login("alice", &long), ErrorCode::ValidationError);
    assert!(!msg.contains(&long), "the password is never echoed");
    w.rejects(
        T0,
        create_login("alice", "snow\u{2603}man"),
        ErrorCode::ValidationError,
    );
    w.rejects(T0, create_login("nobody", "pw"), ErrorCode::NoSuchEntity);
    let created = w.ok(T0, create_login("Alice", "pw"));
    assert_eq!(created["user_name"], "alice");
    assert!(created.get("password_hash").is_none());
    let msg = w.rejects(
        T0,
        create_login("alice", "pw2"),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(msg, "Login Profile for user alice already exists.");

    let got = w
        .q(LoginProfileQuery::Get {
            user_name: "ALICE".into(),
        })
        .unwrap();
    assert_eq!(got["user_name"], "alice");
    assert_eq!(got["password_reset_required"], true);
    assert_eq!(got["created_ms"], T0);
    assert!(got.get("password_hash").is_none() && !got.to_string().contains("hash-of"));
    let missing = w.q_err(LoginProfileQuery::Get {
        user_name: "bob".into(),
    });
    assert_eq!(missing.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        missing.message,
        "Login Profile for User bob cannot be found."
    );

    // A custom policy applies to new passwords, naming the unmet rule.
    set_policy(
        &mut w,
        PasswordPolicyInput {
            minimum_password_length: Some(10),
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            ..Default::default()
        },
    )
    .unwrap();
    for (pw, rule) in [
        ("Sh0rt!", "minimum length of 10"),
        ("NOLOWER123!", "lowercase"),
        ("noupper123!", "uppercase"),
        ("NoNumbers!!", "number"),
        ("NoSymbols123", "symbol"),
    ] {
        let msg = w.rejects(
            T0,
            update_login("alice", Some(pw), None),
            ErrorCode::PasswordPolicyViolation,
        );
        assert!(msg.contains(rule), "{pw}: {msg}");
        w.rejects(
            T0,
            create_login("bob", pw),
            ErrorCode::PasswordPolicyViolation,
        );
    }
    w.ok(
        T0 + 5000,
        update_login("alice", Some("G00d-enough!"), Some(false)),
    );
    let got = w
        .q(LoginProfileQuery::Get {
            user_name: "alice".into(),
        })
        .unwrap();
    assert_eq!(got["password_reset_required"], false);
    assert_eq!(got["password_last_changed_ms"], T0 + 5000);
    // The reset flag alone changes no password.
    w.ok(T0 + 9000, update_login("alice", None, Some(true)));
    let got = w
        .q(LoginProfileQuery::Get {
            user_name: "alice".into(),
        })
        .unwrap();
    assert_eq!(got["password_reset_required"], true);
    assert_eq!(got["password_last_changed_ms"], T0 + 5000);
    w.rejects(
        T0,
        update_login("bob", None, Some(true)),
        ErrorCode::NoSuchEntity,
    );

    // Sign-in use is recorded coarsely; a user with a profile cannot be deleted.
    w.ok(
        T0,
        LoginProfileOp::RecordUse {
            user_name: "alice".into(),
        },
    );
    let before = state_hash(&w.s);
    w.ok(
        T0 + 60_000,
        LoginProfileOp::RecordUse {
            user_name: "alice".into(),
        },
    );
    assert_eq!(state_hash(&w.s), before);
    w.rejects(
        T0,
        LoginProfileOp::RecordUse {
            user_name: "bob".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    w.rejects(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
        ErrorCode::DeleteConflict,
    );
    w.ok(
        T0,
        LoginProfileOp::Delete {
            user_name: "alice".into(),
        },
    );
    w.rejects(
        T0,
        LoginProfileOp::Delete {
            user_name: "alice".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    w.ok(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
    );
}

// ----------------------------------------------------------------------------------------
// Virtual MFA

fn create_device(name: &str, path: &str) -> MfaOp {
    MfaOp::CreateVirtual {
        name: name.into(),
        path: path.into(),
        tags: vec![],
        seed: String::new(),
    }
}

/// Creates a device and returns (serial, seed bytes).
fn new_device(w: &mut World, name: &str) -> (String, Vec<u8>) {
    let out = w.ok(T0, create_device(name, "/"));
    let seed = totp::base32_decode(out["base32_string_seed"].as_str().unwrap()).unwrap();
    (out["serial_number"].as_str().unwrap().to_owned(), seed)
}

fn codes(seed: &[u8], time_ms: u64) -> (String, String) {
    let t = totp::step_of(time_ms);
    (totp::code_at(seed, t - 1), totp::code_at(seed, t))
}

fn enable(user: &str, serial: &str, (c1, c2): (String, String)) -> MfaOp {
    MfaOp::Enable {
        user_name: user.into(),
        serial_number: serial.into(),
        authentication_code1: c1,
        authentication_code2: c2,
    }
}

fn summary(w: &World) -> Value {
    w.q(AccountQuery::GetSummary {}).unwrap()
}

#[test]
fn virtual_mfa_devices_are_created_enabled_resynced_and_deleted() {
    let mut w = World::new();
    let out = w.ok(T0, create_device("alice-phone", "/team/"));
    let serial = out["serial_number"].as_str().unwrap().to_owned();
    assert_eq!(serial, format!("arn:aws:iam::{A}:mfa/team/alice-phone"));
    let b32 = out["base32_string_seed"].as_str().unwrap().to_owned();
    let seed = totp::base32_decode(&b32).unwrap();
    assert_eq!(seed.len(), 20);
    assert_eq!(
        out["qr_code_uri"],
        format!("otpauth://totp/alice-phone@{A}?secret={b32}")
    );
    let msg = w.rejects(
        T0,
        create_device("ALICE-PHONE", "/"),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(
        msg,
        "MFADevice entity at the same path and name already exists."
    );
    w.rejects(
        T0,
        create_device("bad name", "/"),
        ErrorCode::ValidationError,
    );
    w.rejects(
        T0,
        create_device("ok", "no-slash"),
        ErrorCode::ValidationError,
    );
    assert_eq!(summary(&w)["MFADevices"], 1);

    let list = |w: &World, status: Option<&str>| {
        w.q(MfaQuery::ListVirtual {
            assignment_status: status.map(str::to_owned),
            page: PageRequest::default(),
        })
    };
    assert_eq!(
        list(&w, Some("Unassigned")).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list(&w, Some("Assigned")).unwrap()["items"],
        serde_json::json!([])
    );
    assert_eq!(
        list(&w, Some("Bogus")).unwrap_err().code,
        ErrorCode::ValidationError
    );
    assert!(
        !list(&w, None).unwrap().to_string().contains(&b32),
        "lists never show the seed"
    );

    // Enabling needs two consecutive codes near the apply time.
    let now = T0 + 10_000;
    let good = codes(&seed, now);
    let (c1, c2) = good.clone();
    w.rejects(
        now,
        enable("alice", &serial, (c2.clone(), c1.clone())),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        now,
        enable("alice", &serial, codes(&seed, now + 10 * 60_000)),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        now,
        enable("alice", &serial, ("12345".into(), c2.clone())),
        ErrorCode::ValidationError,
    );
    w.rejects(
        now,
        enable("nobody", &serial, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    let unknown = format!("arn:aws:iam::{A}:mfa/nope");
    w.rejects(
        now,
        enable("alice", &unknown, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    let wrong_path = format!("arn:aws:iam::{A}:mfa/alice-phone");
    w.rejects(
        now,
        enable("alice", &wrong_path, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    w.rejects_in(
        B,
        now,
        enable("alice", &serial, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    w.ok(now + 30_000, enable("alice", &serial, good.clone()));
    let msg = w.rejects(
        now,
        enable("bob", &serial, codes(&seed, now + 60_000)),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(msg, "MFA Device is already in use.");
    let s = summary(&w);
    assert_eq!(
        (s["MFADevices"].as_u64(), s["MFADevicesInUse"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        list(&w, Some("Assigned")).unwrap()["items"][0]["user_name"],
        "alice"
    );
    let mine = w
        .q(MfaQuery::List {
            user_name: "alice".into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(mine["items"][0]["serial_number"], serial.as_str());
    assert_eq!(mine["items"][0]["enable_ms"], now + 30_000);
    assert_eq!(
        w.q(MfaQuery::List {
            user_name: "nobody".into(),
            page: PageRequest::default()
        })
        .unwrap_err()
        .code,
        ErrorCode::NoSuchEntity
    );

    // The device cannot be deleted, nor its user, while it is enabled.
    let delete = MfaOp::DeleteVirtual {
        serial_number: serial.clone(),
    };
    w.rejects(now, delete.clone(), ErrorCode::DeleteConflict);
    w.rejects(
        now,
        UserOp::Delete {
            name: "alice".into(),
        },
        ErrorCode::DeleteConflict,
    );

    // Resync: the codes already accepted are refused (never twice), fresh ones work,
    // even from a device that drifted a few minutes.
    let resync = |user: &str, (c1, c2): (String, String)| MfaOp::Resync {
        user_name: user.into(),
        serial_number: serial.clone(),
        authentication_code1: c1,
        authentication_code2: c2,
    };
    w.rejects(
        now + 30_000,
        resync("alice", good.clone()),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        now,
        resync("bob", codes(&seed, now + 120_000)),
        ErrorCode::NoSuchEntity,
    );
    let later = now + HOUR;
    w.ok(later, resync("alice", codes(&seed, later - 5 * 60_000)));
    w.rejects(
        later,
        resync("alice", codes(&seed, later - 5 * 60_000)),
        ErrorCode::InvalidAuthenticationCode,
    );

    // Deactivate, then delete.
    let deactivate = |user: &str| MfaOp::Deactivate {
        user_name: user.into(),
        serial_number: serial.clone(),
    };
    w.rejects(later, deactivate("bob"), ErrorCode::NoSuchEntity);
    w.ok(later, deactivate("alice"));
    w.rejects(later, deactivate("alice"), ErrorCode::NoSuchEntity);
    assert_eq!(summary(&w)["MFADevicesInUse"], 0);
    w.ok(later, delete.clone());
    w.rejects(later, delete, ErrorCode::NoSuchEntity);
    assert_eq!(summary(&w)["MFADevices"], 0);
    w.ok(
        later,
        UserOp::Delete {
            name: "alice".into(),
        },
    );
}

#[test]
fn a_user_has_at_most_eight_mfa_devices_and_lists_page() {
    let mut w = World::new();
    let now = T0 + 100_000;
    let devices: Vec<(String, Vec<u8>)> = (0..9)
        .map(|i| new_device(&mut w, &format!("d{i}")))
        .collect();
    for (serial, seed) in &devices[..8] {
        w.ok(now, enable("bob", serial, codes(seed, now)));
    }
    let (serial, seed) = &devices[8];
    let msg = w.rejects(
        now,
        enable("bob", serial, codes(seed, now)),
        ErrorCode::LimitExceeded,
    );
    assert_eq!(msg, "Cannot exceed quota for MFADevicesPerUser: 8");
    w.ok(now, enable("alice", serial, codes(seed, now)));

    let list = |p: PageRequest| {
        w.q(MfaQuery::List {
            user_name: "bob".into(),
            page: p,
        })
        .unwrap()
    };
    let p1 = list(page(5, None));
    assert_eq!(p1["items"].as_array().unwrap().len(), 5);
    assert_eq!(p1["is_truncated"], true);
    let p2 = list(page(5, Some(&p1["marker"])));
    assert_eq!(p2["items"].as_array().unwrap().len(), 3);
    assert_eq!(p2["is_truncated"], false);
    let v1 = w
        .q(MfaQuery::ListVirtual {
            assignment_status: None,
            page: page(4, None),
        })
        .unwrap();
    assert_eq!(v1["items"].as_array().unwrap().len(), 4);
    let v2 = w
        .q(MfaQuery::ListVirtual {
            assignment_status: Some("Any".into()),
            page: page(10, Some(&v1["marker"])),
        })
        .unwrap();
    assert_eq!(v2["items"].as_array().unwrap().len(), 5);
    assert_eq!(
        v2["items"][0]["serial_number"],
        format!("arn:aws:iam::{A}:mfa/d4")
    );
}

#[test]
fn verify_totp_accepts_a_code_once_near_now() {
    let seed = b"12345678901234567890";
    let now = 1_111_111_109_000;
    let t = totp::step_of(now);
    let code = totp::code_at(seed, t);
    assert_eq!(mfa::verify_totp(seed, &code, now, None), Some(t));
    assert_eq!(mfa::verify_totp(seed, &code, now + 30_000, None), Some(t));
    assert_eq!(
        mfa::verify_totp(seed, &code, now, Some(t)),
        None,
        "never twice"
    );
    assert_eq!(mfa::verify_totp(seed, &code, now + 5 * 60_000, None), None);
    assert_eq!(mfa::verify_totp(seed, "abcdef", now, None), None);
    assert_eq!(mfa::verify_totp(seed, "081804", now, None), Some(t));
}

// ----------------------------------------------------------------------------------------
// Account: alias, password policy, summary

#[test]
fn account_aliases_are_single_and_globally_unique() {
    let mut w = World::new();
    let create = |a: &str| AccountOp::CreateAlias { alias: a.into() };
    for bad in [
        "ab",
        "Acme",
        "-acme",
        "acme-",
        "ac--me",
        "ac_me",
        &"a".repeat(64),
    ] {
        w.rejects(T0, create(bad), ErrorCode::ValidationError);
    }
    w.rejects(T0, create("123456789012"), ErrorCode::InvalidInput);
    w.ok(T0, create("acme-prod"));
    let msg = w.rejects(T0, create("acme-dev"), ErrorCode::LimitExceeded);
    assert_eq!(msg, "Cannot exceed quota for AccountAliasesPerAccount: 1");
    w.rejects_in(B, T0, create("acme-prod"), ErrorCode::EntityAlreadyExists);
    w.rejects(T0, create("acme-prod"), ErrorCode::EntityAlreadyExists);
    let aliases = w
        .q(AccountQuery::ListAliases {
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(aliases["items"], serde_json::json!(["acme-prod"]));
    let acct = Query::GetAccount {
        account_id: A.into(),
    }
    .run(&w.s)
    .unwrap();
    assert_eq!(acct["alias"], "acme-prod");

    let delete = |a: &str| AccountOp::DeleteAlias { alias: a.into() };
    w.rejects_in(B, T0, delete("acme-prod"), ErrorCode::NoSuchEntity);
    w.rejects(T0, delete("acme-dev"), ErrorCode::NoSuchEntity);
    w.ok(T0, delete("acme-prod"));
    let aliases = w
        .q(AccountQuery::ListAliases {
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(aliases["items"], serde_json::json!([]));
    // Freed for any account.
    w.exec_in(B, T0, create("acme-prod")).unwrap();
}

#[test]
fn the_password_policy_is_replaced_whole_and_range_checked() {
    let mut w = World::new();
    let err = w.q_err(AccountQuery::GetPasswordPolicy {});
    assert_eq!(err.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        err.message,
        format!("The Password Policy with domain name {A} cannot be found.")
    );
    w.rejects(
        T0,
        AccountOp::DeletePasswordPolicy {},
        ErrorCode::NoSuchEntity,
    );

    for bad in [
        PasswordPolicyInput {
            minimum_password_length: Some(5),
            ..Default::default()
        },
        PasswordPolicyInput {
            minimum_password_length: Some(129),
            ..Default::default()
        },
        PasswordPolicyInput {
            max_password_age: Some(0),
            ..Default::default()
        },
        PasswordPolicyInput {
            max_password_age: Some(1096),
            ..Default::default()
        },
        PasswordPolicyInput {
            password_reuse_prevention: Some(25),
            ..Default::default()
        },
    ] {
        w.rejects(
            T0,
            AccountOp::UpdatePasswordPolicy { policy: bad },
            ErrorCode::ValidationError,
        );
    }
    set_policy(
        &mut w,
        PasswordPolicyInput {
            minimum_password_length: Some(12),
            require_symbols: true,
            max_password_age: Some(90),
            password_reuse_prevention: Some(3),
            hard_expiry: true,
            ..Default::default()
        },
    )
    .unwrap();
    let p = w.q(AccountQuery::GetPasswordPolicy {}).unwrap();
    assert_eq!(p["minimum_password_length"], 12);
    assert_eq!(p["require_symbols"], true);
    assert_eq!(p["expire_passwords"], true);
    assert_eq!(p["max_password_age"], 90);
    assert_eq!(p["password_reuse_prevention"], 3);
    assert_eq!(p["hard_expiry"], true);
    // Omitted fields go back to their defaults.
    set_policy(&mut w, PasswordPolicyInput::default()).unwrap();
    let p = w.q(AccountQuery::GetPasswordPolicy {}).unwrap();
    assert_eq!(p["minimum_password_length"], 6);
    assert_eq!(p["require_symbols"], false);
    assert_eq!(p["expire_passwords"], false);
    assert!(p.get("max_password_age").is_none());
    assert_eq!(p["hard_expiry"], false);
    w.ok(T0, AccountOp::DeletePasswordPolicy {});
    assert_eq!(
        w.q_err(AccountQuery::GetPasswordPolicy {}).code,
        ErrorCode::NoSuchEntity
    );
}

#[test]
fn the_account_summary_has_every_aws_key() {
    let mut w = World::new();
    new_device(&mut w, "spare");
    let s = summary(&w);
    let keys =
        "Users, UsersQuota, Groups, GroupsQuota, Roles, RolesQuota, Policies, PoliciesQuota, \
        InstanceProfiles, InstanceProfilesQuota, ServerCertificates, ServerCertificatesQuota, \
        MFADevices, MFADevicesInUse, Providers, PolicyVersionsInUse, PolicyVersionsInUseQuota, \
        VersionsPerPolicyQuota, PolicySizeQuota, UserPolicySizeQuota, GroupPolicySizeQuota, \
        RolePolicySizeQuota, AssumeRolePolicySizeQuota, GroupsPerUserQuota, \
        AttachedPoliciesPerUserQuota, AttachedPoliciesPerGroupQuota, AttachedPoliciesPerRoleQuota, \
        AccessKeysPerUserQuota, SigningCertificatesPerUserQuota, AccountMFAEnabled, \
        AccountAccessKeysPresent, AccountPasswordPresent, AccountSigningCertificatesPresent, \
        GlobalEndpointTokenVersion";
    let map = s.as_object().unwrap();
    for k in keys.split(',').map(str::trim) {
        assert!(
            map.get(k).is_some_and(Value::is_u64),
            "{k} missing or not an integer"
        );
    }
    assert_eq!(map.len(), keys.split(',').count());
    assert_eq!(s["Users"], 2);
    assert_eq!(s["UsersQuota"], 5000);
    assert_eq!(s["RolesQuota"], 250);
    assert_eq!(s["MFADevices"], 1);
    assert_eq!(s["AccessKeysPerUserQuota"], 2);
    assert_eq!(s["AccountMFAEnabled"], 0);
    assert_eq!(w.q_in(B, AccountQuery::GetSummary {}).unwrap()["Users"], 0);
}

// ----------------------------------------------------------------------------------------
// Credential report

fn get_report(w: &World, now_ms: u64) -> iam_model::IamResult<Value> {
    w.q(AccountQuery::GetCredentialReport { now_ms })
}

fn rows(report: &Value) -> Vec<Vec<String>> {
    report["content"]
        .as_str()
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn the_credential_report_is_built_from_the_state_and_expires() {
    let mut w = World::new();
    assert_eq!(
        get_report(&w, T0).unwrap_err().code,
        ErrorCode::ReportNotPresent
    );
    w.ok(T0 - HOUR, create_user("Carol"));
    set_policy(
        &mut w,
        PasswordPolicyInput {
            max_password_age: Some(30),
            ..Default::default()
        },
    )
    .unwrap();
    w.ok(T0, create_login("bob", "bob-password"));
    let key = w.ok(T0, create_key("bob"))["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok(T0 + 60_000, create_key("bob"));
    w.ok(
        T0 + 120_000,
        AccessKeyOp::RecordUse {
            access_key_id: key.clone(),
            service: "s3".into(),
            region: "eu-west-1".into(),
        },
    );
    w.ok(
        T0,
        AccessKeyOp::Update {
            user_name: None,
            access_key_id: key,
            status: "Inactive".into(),
        },
    );
    let (serial, seed) = new_device(&mut w, "carol-phone");
    w.ok(T0, enable("carol", &serial, codes(&seed, T0)));

    let gen = w.ok(T0 + HOUR, AccountOp::GenerateCredentialReport {});
    assert_eq!(gen["state"], "STARTED");
    let report = get_report(&w, T0 + HOUR).unwrap();
    assert_eq!(report["report_format"], "text/csv");
    assert_eq!(report["generated_ms"], T0 + HOUR);
    assert_eq!(report["generated_time"], "2017-06-10T03:35:07+00:00");
    let r = rows(&report);
    assert_eq!(r[0].join(","), iam_state::ops::account::report::HEADER);
    assert!(r.iter().all(|row| row.len() == 22), "{r:?}");
    let names: Vec<&str> = r.iter().skip(1).map(|row| row[0].as_str()).collect();
    assert_eq!(names, ["<root_account>", "alice", "bob", "Carol"]);
    let root = &r[1];
    assert_eq!(root[1], format!("arn:aws:iam::{A}:root"));
    assert_eq!(root[3], "not_supported");
    assert_eq!(root[5], "not_supported");
    assert_eq!(root[6], "not_supported");

    let alice = &r[2];
    assert_eq!(alice[1], format!("arn:aws:iam::{A}:user/alice"));
    assert_eq!(alice[2], "2017-06-10T01:35:07+00:00");
    assert_eq!(&alice[3..8], ["false", "N/A", "N/A", "N/A", "false"]);
    assert_eq!(&alice[8..13], ["false", "N/A", "N/A", "N/A", "N/A"]);
    assert_eq!(&alice[18..], ["false", "N/A", "false", "N/A"]);

    let bob = &r[3];
    assert_eq!(
        &bob[3..8],
        [
            "true",
            "no_information",
            "2017-06-10T02:35:07+00:00",
            "2017-07-10T02:35:07+00:00",
            "false"
        ]
    );
    assert_eq!(
        &bob[8..13],
        [
            "false",
            "2017-06-10T02:35:07+00:00",
            "2017-06-10T02:37:07+00:00",
            "eu-west-1",
            "s3"
        ]
    );
    assert_eq!(
        &bob[13..18],
        ["true", "2017-06-10T02:36:07+00:00", "N/A", "N/A", "N/A"]
    );
    assert_eq!(r[4][7], "true", "carol's MFA is active");

    // Within 4 hours the report is not rebuilt; after 4 hours it expires.
    w.ok(T0 + HOUR, create_user("dave"));
    let again = w.ok(T0 + 4 * HOUR, AccountOp::GenerateCredentialReport {});
    assert_eq!(again["state"], "COMPLETE");
    assert_eq!(
        get_report(&w, T0 + 4 * HOUR).unwrap()["content"],
        report["content"]
    );
    let err = get_report(&w, T0 + 5 * HOUR).unwrap_err();
    assert_eq!(err.code, ErrorCode::ReportExpired);
    let regen = w.ok(T0 + 5 * HOUR, AccountOp::GenerateCredentialReport {});
    assert_eq!(regen["state"], "STARTED");
    let r = rows(&get_report(&w, T0 + 5 * HOUR).unwrap());
    assert_eq!(r.len(), 6);
    assert_eq!(r[5][0], "dave");
}

// ----------------------------------------------------------------------------------------
// Determinism

/// Key ids the property test uses (created keys get one of them after `prepare`).
const PROP_KEYS: [&str; 3] = [
    "AKIAPROPTESTKEY00001",
    "AKIAPROPTESTKEY00002",
    "AKIAPROPTESTKEY00003",
];

fn arb_op() -> impl Strategy<Value = (u8, Command)> {
    let user = prop::sample::select(vec!["alice", "Alice", "bob", "nobody", "bad name"]);
    let dev = prop::sample::select(vec!["d1", "D1", "d2"]);
    let pw = prop::sample::select(vec!["", "pw", "Passw0rd!long", "x"]);
    let alias = prop::sample::select(vec!["acme", "acme-dev", "Bad"]);
    let acct = prop::sample::select(vec![A, B]);
    let key = prop::sample::select(PROP_KEYS.to_vec());
    (0u8..14, user, dev, pw, alias, acct, key, 0u8..3).prop_map(
        |(kind, user, dev, pw, alias, acct, key, t)| {
            let serial = format!("arn:aws:iam::{acct}:mfa/{dev}");
            let op: Op = match kind {
                0 => AccessKeyOp::Create {
                    user_name: user.into(),
                    access_key_id: key.into(),
                    secret_access_key: String::new(),
                }
                .into(),
                1 => AccessKeyOp::Delete {
                    user_name: None,
                    access_key_id: key.into(),
                }
                .into(),
                2 => AccessKeyOp::Update {
                    user_name: Some(user.into()),
                    access_key_id: key.into(),
                    status: "Inactive".into(),
                }
                .into(),
                3 => create_login(user, pw).into(),
                4 => update_login(user, Some(pw), Some(true)).into(),
                5 => LoginProfileOp::Delete {
                    user_name: user.into(),
                }
                .into(),
                6 => create_device(dev, "/").into(),
                7 => enable(user, &serial, ("000000".into(), "000001".into())).into(),
                8 => MfaOp::DeleteVirtual {
                    serial_number: serial,
                }
                .into(),
                9 => AccountOp::CreateAlias {
                    alias: alias.into(),
                }
                .into(),
                10 => AccountOp::DeleteAlias {
                    alias: alias.into(),
                }
                .into(),
                11 => AccountOp::UpdatePasswordPolicy {
                    policy: PasswordPolicyInput {
                        minimum_password_length: Some(8),
                        require_symbols: true,
                        ..Default::default()
                    },
                }
                .into(),
                12 => AccountOp::GenerateCredentialReport {}.into(),
                _ => create_user(user),
            };
            (t, Command::in_account(acct, op))
        },
    )
}

proptest! {
    #[test]
    fn credential_ops_apply_deterministically(ops in prop::collection::vec(arb_op(), 0..40)) {
        // The log carries prepared commands: prepare once, apply on two replicas.
        let mut env = TestEnv { next: 0 };
        let mut reqs = vec![
            Request { request_token: None, time_ms: T0, command: create_account(A) },
            Request { request_token: None, time_ms: T0, command: create_account(B) },
        ];
        for (t, mut command) in ops {
            let chosen = match &command {
                Command::In { op: Op::AccessKey(AccessKeyOp::Create { access_key_id, .. }), .. } => {
                    Some(access_key_id.clone())
                }
                _ => None,
            };
            command.prepare(&mut env);
            if let (Some(id), Command::In { op: Op::AccessKey(AccessKeyOp::Create { access_key_id, .. }), .. }) =
                (chosen, &mut command)
            {
                *access_key_id = id;
            }
            reqs.push(Request { request_token: None, time_ms: T0 + u64::from(t) * 3 * HOUR, command });
        }
        let mut a = MemStore::new();
        let mut b = MemStore::new();
        for (i, r) in reqs.iter().enumerate() {
            let (ra, wa) = apply(&a, i as u64 + 1, r);
            let (rb, wb) = apply(&b, i as u64 + 1, r);
            prop_assert_eq!(ra, rb);
            a.commit(wa);
            b.commit(wb);
        }
        prop_assert_eq!(state_hash(&a), state_hash(&b));
        // Counters stay consistent with the records.
        for acct in [A, B] {
            let s = Query::in_account(acct, AccountQuery::GetSummary {}).run(&a).unwrap();
            let devices = Query::in_account(acct, MfaQuery::ListVirtual { assignment_status: None, page: PageRequest::default() })
                .run(&a)
                .unwrap();
            prop_assert_eq!(s["MFADevices"].as_u64(), Some(devices["items"].as_array().unwrap().len() as u64));
        }
    }
}
