//! `ops::target`: the authorization request (action, resource, request tags) of every
//! command and query, computed against a `MemStore` holding entities at non-default paths
//! so that "read the current path from the state" is exercised.

use iam_model::Tag;
use iam_state::keys;
use iam_state::ops::access_keys::{AccessKey, AccessKeyOp, AccessKeyQuery, AccessKeyStatus};
use iam_state::ops::account::{AccountOp, AccountQuery};
use iam_state::ops::groups::GroupOp;
use iam_state::ops::instance_profiles::InstanceProfileOp;
use iam_state::ops::mfa::MfaOp;
use iam_state::ops::policies::{EntityKind, PolicyOp, PolicyQuery, Scope};
use iam_state::ops::quotas::{QuotaOp, QuotaQuery};
use iam_state::ops::roles::RoleOp;
use iam_state::ops::target::{
    command_target, principal_target, query_target, query_touches_root_credentials,
    touches_root_credentials, Target, IAMD_ACTIONS,
};
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::PageRequest;
use iam_state::{apply, encode, Command, Env, MemStore, Op, Query, Request, WriteSet, Q};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};

const A: &str = "123456789012";
const B: &str = "210987654321";
const P: &str = "arn:aws:iam::123456789012:";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const ROOT_KEY: &str = "AKIAROOTROOTROOT0001";
const POLICY: &str = "arn:aws:iam::123456789012:policy/pol/ReadOnly";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice-phone";
const OIDC: &str = "arn:aws:iam::123456789012:oidc-provider/idp.example.com/tenant";
const SCERT: &str = "arn:aws:iam::123456789012:server-certificate/cdn/Edge";

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

/// Account A with: user `Alice` at `/eng/` (with an access key), group `Devs` at
/// `/teams/`, role `Deployer` at `/svc/`, instance profile `Web` at `/web/`, policy
/// `ReadOnly` at `/pol/`, virtual MFA device `alice-phone`, OpenID Connect provider
/// `idp.example.com/tenant` (the cluster at release 4), and a root access key. Account B
/// with user `bob` and his key.
struct World {
    s: MemStore,
    index: u64,
    env: TestEnv,
    /// Alice's key.
    key: String,
    /// Bob's key, in account B.
    other_key: String,
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn pairs(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn create_user(name: &str, path: &str) -> UserOp {
    UserOp::Create {
        name: name.into(),
        path: path.into(),
        tags: vec![],
        permissions_boundary: None,
        user_id: String::new(),
    }
}

fn create_account(id: &str) -> Command {
    Command::CreateAccount {
        account_id: id.into(),
        name: "acme".into(),
        email: "ops@acme.io".into(),
    }
}

impl World {
    fn new() -> Self {
        let mut w = Self {
            s: MemStore::new(),
            index: 0,
            env: TestEnv { next: 0 },
            key: String::new(),
            other_key: String::new(),
        };
        w.command(create_account(A));
        w.command(create_account(B));
        w.ok(create_user("Alice", "/eng/"));
        w.ok(GroupOp::create("Devs", "/teams/", ""));
        w.ok(RoleOp::Create {
            name: "Deployer".into(),
            path: "/svc/".into(),
            assume_role_policy_document: TRUST.into(),
            description: None,
            max_session_duration: None,
            permissions_boundary: None,
            tags: vec![],
            role_id: String::new(),
        });
        w.ok(InstanceProfileOp::Create {
            name: "Web".into(),
            path: "/web/".into(),
            tags: vec![],
            instance_profile_id: String::new(),
        });
        w.ok(PolicyOp::Create {
            policy_name: "ReadOnly".into(),
            path: "/pol/".into(),
            policy_document: DOC.into(),
            description: String::new(),
            tags: vec![],
            policy_id: String::new(),
        });
        w.ok(MfaOp::CreateVirtual {
            name: "alice-phone".into(),
            path: "/".into(),
            tags: vec![tag("device", "phone")],
            seed: String::new(),
        });
        w.command(Command::FinalizeRelease {
            release: iam_state::release::OIDC_PROVIDERS,
        });
        w.ok(iam_state::ops::oidc_providers::OidcProviderOp::Create {
            url: "https://idp.example.com/tenant".into(),
            client_id_list: vec!["app".into()],
            thumbprint_list: vec![],
            tags: vec![tag("idp", "corp")],
        });
        let key = w.ok(AccessKeyOp::Create {
            user_name: "Alice".into(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
        });
        w.key = key["access_key_id"].as_str().unwrap().to_owned();
        w.command(Command::in_account(B, create_user("bob", "/")));
        let other = w.command(Command::in_account(
            B,
            AccessKeyOp::Create {
                user_name: "bob".into(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            },
        ));
        w.other_key = other["access_key_id"].as_str().unwrap().to_owned();
        // Root keys cannot be created through apply on this branch yet: store the record
        // the way the root-key work will (an access key whose user_name is empty).
        let root_key = AccessKey {
            account: A.into(),
            user_name: String::new(),
            access_key_id: ROOT_KEY.into(),
            secret_access_key: "s".repeat(40),
            status: AccessKeyStatus::Active,
            created_ms: 1,
            last_used: None,
        };
        let mut writes = WriteSet::default();
        writes
            .ops
            .insert(keys::access_key(ROOT_KEY), Some(encode(&root_key)));
        // A server certificate (tag cdn=edge), stored as an upload stores it (an upload needs
        // a real certificate and key, which the target mapping never reads).
        let cert = iam_state::ops::server_certs::StoredServerCertificate {
            path: "/cdn/".into(),
            server_certificate_name: "Edge".into(),
            server_certificate_id: "ASCA00000000000000001".into(),
            arn: SCERT.into(),
            upload_ms: 1,
            expiration_ms: 2,
            certificate_body: "-----BEGIN CERTIFICATE-----".into(),
            certificate_chain: None,
            sealed_private_key: "sealed".into(),
            tags: vec![tag("cdn", "edge")],
        };
        writes
            .ops
            .insert(keys::server_cert(A, "Edge"), Some(encode(&cert)));
        w.s.commit(writes);
        w
    }

    #[track_caller]
    fn command(&mut self, mut command: Command) -> Value {
        command.prepare(&mut self.env);
        self.index += 1;
        let req = Request {
            request_token: None,
            time_ms: 1_497_062_107_000 + self.index,
            command,
            origin: None,
        };
        let name = req.command.name();
        let (resp, writes) = apply(&self.s, self.index, &req);
        self.s.commit(writes);
        resp.result
            .unwrap_or_else(|e| panic!("{name} failed: {e}"))
            .to_json()
    }

    #[track_caller]
    fn ok(&mut self, op: impl Into<Op>) -> Value {
        self.command(Command::in_account(A, op))
    }

    fn target(&self, op: impl Into<Op>) -> Target {
        command_target(&self.s, &Command::in_account(A, op))
    }

    fn q_target(&self, q: impl Into<Q>) -> Target {
        query_target(&self.s, &Query::in_account(A, q))
    }

    fn touches(&self, op: impl Into<Op>) -> bool {
        touches_root_credentials(&self.s, &Command::in_account(A, op))
    }
}

fn iam(kind_path_name: &str) -> String {
    format!("{P}{kind_path_name}")
}

#[test]
fn an_existing_user_is_named_by_its_stored_path_and_spelling() {
    let w = World::new();
    for name in ["Alice", "alice", "ALICE"] {
        let t = w.target(UserOp::Delete { name: name.into() });
        assert_eq!(t.action, "iam:DeleteUser");
        assert_eq!(t.resource, iam("user/eng/Alice"), "asked as {name}");
        assert!(t.request_tags.is_empty());
    }
    let t = w.q_target(UserQuery::Get {
        name: "alice".into(),
    });
    assert_eq!(
        (t.action.as_str(), t.resource.as_str()),
        ("iam:GetUser", iam("user/eng/Alice").as_str())
    );
}

#[test]
fn a_missing_entity_is_named_at_the_root_path() {
    let w = World::new();
    assert_eq!(
        w.target(UserOp::Delete {
            name: "Ghost".into()
        })
        .resource,
        iam("user/Ghost")
    );
    assert_eq!(
        w.target(GroupOp::Delete {
            name: "nobody".into()
        })
        .resource,
        iam("group/nobody")
    );
}

#[test]
fn create_user_uses_the_op_path_and_carries_its_tags() {
    let w = World::new();
    let t = w.target(UserOp::Create {
        name: "Carol".into(),
        path: "/ops/".into(),
        tags: vec![tag("team", "red"), tag("cost", "42")],
        permissions_boundary: None,
        user_id: String::new(),
    });
    assert_eq!(
        t,
        Target {
            request_tags: pairs(&[("team", "red"), ("cost", "42")]),
            ..Target::new("iam:CreateUser", iam("user/ops/Carol"))
        }
    );
    // Tag* carry theirs; Untag* none (its keys are aws:TagKeys, see keys.rs).
    let t = w.target(UserOp::Tag {
        name: "alice".into(),
        tags: vec![tag("k", "v")],
    });
    assert_eq!(t.request_tags, pairs(&[("k", "v")]));
    assert_eq!(t.resource, iam("user/eng/Alice"));
    let t = w.target(UserOp::Untag {
        name: "alice".into(),
        tag_keys: vec!["k".into()],
    });
    assert!(t.request_tags.is_empty());
}

#[test]
fn membership_names_the_group_and_attachment_the_principal() {
    let w = World::new();
    let t = w.target(GroupOp::AddUser {
        group_name: "devs".into(),
        user_name: "alice".into(),
    });
    assert_eq!(t.action, "iam:AddUserToGroup");
    assert_eq!(t.resource, iam("group/teams/Devs"));
    let attach = |entity, name: &str| PolicyOp::Attach {
        entity,
        entity_name: name.into(),
        policy_arn: POLICY.into(),
    };
    let t = w.target(attach(EntityKind::User, "alice"));
    assert_eq!(t.action, "iam:AttachUserPolicy");
    assert_eq!(t.resource, iam("user/eng/Alice"));
    assert_eq!(
        w.target(attach(EntityKind::Role, "deployer")).resource,
        iam("role/svc/Deployer")
    );
    assert_eq!(
        w.target(attach(EntityKind::Group, "DEVS")).resource,
        iam("group/teams/Devs")
    );
}

#[test]
fn account_wide_lists_name_the_path_prefix() {
    let w = World::new();
    let t = w.q_target(UserQuery::List {
        path_prefix: "/eng/".into(),
        page: PageRequest::default(),
    });
    assert_eq!(t.action, "iam:ListUsers");
    assert_eq!(t.resource, iam("user/eng/*"));
    let t = w.q_target(UserQuery::List {
        path_prefix: "/".into(),
        page: PageRequest::default(),
    });
    assert_eq!(t.resource, iam("user/*"));
    let t = w.q_target(PolicyQuery::List {
        scope: Scope::All,
        only_attached: false,
        path_prefix: "/pol/".into(),
        policy_usage_filter: None,
        page: PageRequest::default(),
    });
    assert_eq!(t.resource, iam("policy/pol/*"));
}

#[test]
fn account_settings_are_account_level() {
    let w = World::new();
    let t = w.q_target(AccountQuery::GetSummary {});
    assert_eq!(
        (t.action.as_str(), t.resource.as_str()),
        ("iam:GetAccountSummary", "*")
    );
    let t = w.target(AccountOp::CreateAlias {
        alias: "acme".into(),
    });
    assert_eq!(
        (t.action.as_str(), t.resource.as_str()),
        ("iam:CreateAccountAlias", "*")
    );
}

#[test]
fn accounts_are_iamd_resources() {
    let w = World::new();
    let t = command_target(&w.s, &create_account("111122223333"));
    assert_eq!(
        t,
        Target::new("iamd:CreateAccount", "arn:aws:iamd:::account/111122223333")
    );
    let t = query_target(&w.s, &Query::ListAccounts);
    assert_eq!(
        (t.action.as_str(), t.resource.as_str()),
        ("iamd:ListAccounts", "arn:aws:iamd:::account/*")
    );
    let t = query_target(
        &w.s,
        &Query::GetAccount {
            account_id: B.into(),
        },
    );
    assert_eq!(
        (t.action.as_str(), t.resource.as_str()),
        ("iamd:GetAccount", "arn:aws:iamd:::account/210987654321")
    );
}

#[test]
fn quota_ops_are_iamd_and_account_level() {
    let w = World::new();
    let t = w.target(QuotaOp::RequestQuotaIncrease {
        kind: "roles".into(),
        desired_value: 2000,
        justification: "growth".into(),
        requested_by: String::new(),
        request_id: String::new(),
    });
    assert_eq!(
        (t.action.as_str(), t.resource.as_str()),
        ("iamd:RequestQuotaIncrease", "*")
    );
    let t = w.q_target(QuotaQuery::ListQuotas);
    assert_eq!(t.action, "iamd:ListQuotas");
}

#[test]
fn an_access_key_op_without_a_user_names_the_key_owner() {
    let w = World::new();
    let update = |id: &str| AccessKeyOp::Update {
        user_name: None,
        access_key_id: id.into(),
        status: "Inactive".into(),
    };
    let t = w.target(update(&w.key));
    assert_eq!(t.action, "iam:UpdateAccessKey");
    assert_eq!(t.resource, iam("user/eng/Alice"));
    assert!(!w.touches(update(&w.key)));
    let t = w.q_target(AccessKeyQuery::GetLastUsed {
        access_key_id: w.key.clone(),
    });
    assert_eq!(t.resource, iam("user/eng/Alice"));
    // Another account's key and an unknown key are not resolved: the account root.
    for id in [w.other_key.as_str(), "AKIANOSUCHKEY0000000"] {
        assert_eq!(w.target(update(id)).resource, iam("root"), "{id}");
        assert!(!w.touches(update(id)), "{id}");
    }
    // With a user name, that user (as stored).
    let t = w.target(AccessKeyOp::Delete {
        user_name: Some("alice".into()),
        access_key_id: w.key.clone(),
    });
    assert_eq!(t.resource, iam("user/eng/Alice"));
}

#[test]
fn root_keys_are_root_credentials() {
    let w = World::new();
    let create = AccessKeyOp::Create {
        user_name: String::new(),
        access_key_id: String::new(),
        secret_access_key: String::new(),
    };
    assert_eq!(w.target(create.clone()).resource, iam("root"));
    assert!(w.touches(create));
    let delete = |user: Option<&str>, id: &str| AccessKeyOp::Delete {
        user_name: user.map(str::to_owned),
        access_key_id: id.into(),
    };
    assert_eq!(w.target(delete(None, ROOT_KEY)).resource, iam("root"));
    assert!(w.touches(delete(None, ROOT_KEY)));
    assert!(w.touches(delete(Some(""), ROOT_KEY)));
    assert!(w.touches(AccessKeyOp::Update {
        user_name: None,
        access_key_id: ROOT_KEY.into(),
        status: "Inactive".into(),
    }));
    assert!(!w.touches(delete(None, &w.key.clone())));
    assert!(!w.touches(delete(Some("Alice"), ROOT_KEY)));
    assert!(!w.touches(create_user("root", "/")));
    // The server's own bookkeeping is not the caller's business.
    assert!(!w.touches(AccessKeyOp::RecordUse {
        access_key_id: ROOT_KEY.into(),
        service: "iam".into(),
        region: "us-east-1".into(),
    }));
    // The root key of account A seen from account B is nobody's there.
    assert!(!touches_root_credentials(
        &w.s,
        &Command::in_account(B, delete(None, ROOT_KEY))
    ));
    // The root's MFA devices (user name empty) are the root's credentials; a user's are not.
    let enable = |user: &str| iam_state::ops::mfa::MfaOp::Enable {
        user_name: user.into(),
        serial_number: SERIAL.into(),
        authentication_code1: "123456".into(),
        authentication_code2: "234567".into(),
    };
    assert_eq!(w.target(enable("")).resource, iam("root"));
    assert!(w.touches(enable("")));
    assert!(!w.touches(enable("alice")));
    assert!(w.touches(iam_state::ops::mfa::MfaOp::Deactivate {
        user_name: String::new(),
        serial_number: SERIAL.into(),
    }));
    let root_devices = iam_state::ops::mfa::MfaQuery::List {
        user_name: String::new(),
        page: PageRequest::default(),
    };
    assert!(query_touches_root_credentials(
        &w.s,
        &Query::in_account(A, root_devices)
    ));
    let touches_q =
        |q: AccessKeyQuery| query_touches_root_credentials(&w.s, &Query::in_account(A, q));
    let list = |user: &str| AccessKeyQuery::List {
        user_name: user.into(),
        page: PageRequest::default(),
    };
    assert!(touches_q(list("")));
    assert!(!touches_q(list("alice")));
    assert_eq!(w.q_target(list("")).resource, iam("root"));
    assert_eq!(w.q_target(list("alice")).resource, iam("user/eng/Alice"));
    assert!(touches_q(AccessKeyQuery::GetLastUsed {
        access_key_id: ROOT_KEY.into()
    }));
    assert!(!touches_q(AccessKeyQuery::GetLastUsed {
        access_key_id: w.key.clone()
    }));
}

#[path = "target/cases.rs"]
mod cases;
#[path = "target/condition_keys.rs"]
mod condition_keys;
