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

/// A deterministic proposer environment. With `sealing`, secrets are "sealed" as the
/// server's `SecretBox` marks them (`sealed1:`), reversibly ([`unseal`]).
struct TestEnv {
    next: u64,
    sealing: bool,
}

/// Opens what a sealing [`TestEnv`] sealed.
fn unseal(sealed: &str) -> String {
    sealed
        .strip_prefix("sealed1:")
        .expect("a sealed value")
        .chars()
        .rev()
        .collect()
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

    fn seal_secret(&mut self, plaintext: &str) -> String {
        if self.sealing {
            format!("sealed1:{}", plaintext.chars().rev().collect::<String>())
        } else {
            plaintext.to_owned()
        }
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
            env: TestEnv {
                next: 0,
                sealing: false,
            },
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
            origin: None,
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

#[path = "credentials/access_keys.rs"]
mod access_keys_tests;
#[path = "credentials/account.rs"]
mod account_tests;
#[path = "credentials/determinism.rs"]
mod determinism_tests;
#[path = "credentials/login_profiles.rs"]
mod login_profiles_tests;
#[path = "credentials/mfa_tags.rs"]
mod mfa_tags_tests;
#[path = "credentials/mfa.rs"]
mod mfa_tests;
#[path = "credentials/oidc_providers.rs"]
mod oidc_providers_tests;
#[path = "credentials/server_certs.rs"]
mod server_certs_tests;
#[path = "credentials/signing_certs.rs"]
mod signing_certs_tests;
#[path = "credentials/ssh_keys.rs"]
mod ssh_keys_tests;
