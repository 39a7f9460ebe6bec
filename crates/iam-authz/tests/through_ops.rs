//! The index fed as the storage layer will feed it: every command goes through
//! `iam_state::apply`, its write set is committed and then handed to `observe`. Decisions
//! must follow attach/detach, group membership, inline policies, default versions,
//! boundaries and renames made by the real operations.

use iam_authz::{AuthzDecision, AuthzDecision::*, AuthzIndex, AuthzRequest};
use iam_state::ops::groups::GroupOp;
use iam_state::ops::policies::{BoundaryEntity, EntityKind, PolicyOp};
use iam_state::ops::users::UserOp;
use iam_state::{apply, Command, MemStore, Op, Request};

const A: &str = "123456789012";

struct Node {
    store: MemStore,
    index: AuthzIndex,
    log: u64,
}

impl Node {
    fn new() -> Self {
        let mut n = Node {
            store: MemStore::new(),
            index: AuthzIndex::new(),
            log: 0,
        };
        n.run(Command::CreateAccount {
            account_id: A.into(),
            name: "acme".into(),
            email: "ops@acme.io".into(),
        });
        n
    }

    /// Applies, commits, then observes — the order the storage layer must keep.
    fn run(&mut self, command: Command) -> serde_json::Value {
        self.log += 1;
        let req = Request {
            request_token: None,
            time_ms: 1000 + self.log,
            command,
            origin: None,
        };
        let (resp, writes) = apply(&self.store, self.log, &req);
        let out = resp.result.unwrap_or_else(|e| panic!("{e}")).to_json();
        self.store.commit(writes.clone());
        self.index.observe(&writes);
        out
    }

    fn op(&mut self, op: impl Into<Op>) -> serde_json::Value {
        self.run(Command::in_account(A, op))
    }

    fn decide(&self, user: &str, action: &str) -> AuthzDecision {
        let req = AuthzRequest {
            principal_arn: format!("arn:aws:iam::{A}:user/{user}"),
            action: action.into(),
            resource: "*".into(),
            context: vec![],
            session_tags: vec![],
            with_explanation: false,
            identity_only: false,
        };
        self.index
            .authorize(&self.store, &req)
            .unwrap_or_else(|e| panic!("{e}"))
            .decision
    }
}

fn doc(effect: &str, action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"{action}","Resource":"*"}}]}}"#
    )
}

fn create_user(name: &str) -> UserOp {
    UserOp::Create {
        name: name.into(),
        path: "/".into(),
        tags: vec![],
        permissions_boundary: None,
        user_id: format!("AIDA{:A>17}", name.to_uppercase()),
    }
}

#[test]
fn decisions_follow_the_real_operations() {
    let mut n = Node::new();
    n.op(create_user("bob"));
    n.op(GroupOp::create("Devs", "/", "AGPAAAAAAAAAAAAAADEVS"));
    let p = n.op(PolicyOp::Create {
        policy_name: "S3".into(),
        path: "/".into(),
        policy_document: doc("Allow", "s3:GetObject"),
        description: String::new(),
        tags: vec![],
        policy_id: "ANPAAAAAAAAAAAAAAAAS3".into(),
    });
    let s3 = p["arn"].as_str().unwrap().to_owned();
    assert_eq!(n.decide("bob", "s3:GetObject"), ImplicitDeny);

    // Attach to the group, add bob: allowed.
    n.op(PolicyOp::Attach {
        entity: EntityKind::Group,
        entity_name: "Devs".into(),
        policy_arn: s3.clone(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), ImplicitDeny);
    n.op(GroupOp::AddUser {
        group_name: "Devs".into(),
        user_name: "bob".into(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), Allowed);

    // A new default version.
    n.op(PolicyOp::CreateVersion {
        policy_arn: s3.clone(),
        policy_document: doc("Allow", "s3:PutObject"),
        set_as_default: true,
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), ImplicitDeny);
    assert_eq!(n.decide("bob", "s3:PutObject"), Allowed);
    n.op(PolicyOp::SetDefaultVersion {
        policy_arn: s3.clone(),
        version_id: "v1".into(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), Allowed);

    // A group inline deny, then removed.
    n.op(PolicyOp::PutInline {
        entity: EntityKind::Group,
        entity_name: "Devs".into(),
        policy_name: "NoS3".into(),
        policy_document: doc("Deny", "s3:*"),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), ExplicitDeny);
    n.op(PolicyOp::DeleteInline {
        entity: EntityKind::Group,
        entity_name: "Devs".into(),
        policy_name: "NoS3".into(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), Allowed);

    // A boundary that does not allow s3, then removed.
    let b = n.op(PolicyOp::Create {
        policy_name: "OnlyEc2".into(),
        path: "/".into(),
        policy_document: doc("Allow", "ec2:*"),
        description: String::new(),
        tags: vec![],
        policy_id: "ANPAAAAAAAAAAAAAAAEC2".into(),
    });
    n.op(PolicyOp::PutBoundary {
        entity: BoundaryEntity::User,
        entity_name: "bob".into(),
        permissions_boundary: b["arn"].as_str().unwrap().into(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), ImplicitDeny);
    n.op(PolicyOp::DeleteBoundary {
        entity: BoundaryEntity::User,
        entity_name: "bob".into(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), Allowed);

    // Out of the group: nothing.
    n.op(GroupOp::RemoveUser {
        group_name: "Devs".into(),
        user_name: "bob".into(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), ImplicitDeny);

    // Attached to the user directly, then detached.
    n.op(PolicyOp::Attach {
        entity: EntityKind::User,
        entity_name: "bob".into(),
        policy_arn: s3.clone(),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), Allowed);
    n.op(PolicyOp::Detach {
        entity: EntityKind::User,
        entity_name: "bob".into(),
        policy_arn: s3,
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), ImplicitDeny);

    let s = n.index.stats();
    assert!(s.principal_hits > 0, "{s:?}");
    assert!(s.invalidations > 0, "{s:?}");
}

#[test]
fn a_renamed_user_is_a_different_principal() {
    let mut n = Node::new();
    n.op(create_user("bob"));
    n.op(PolicyOp::PutInline {
        entity: EntityKind::User,
        entity_name: "bob".into(),
        policy_name: "S3".into(),
        policy_document: doc("Allow", "s3:*"),
    });
    assert_eq!(n.decide("bob", "s3:GetObject"), Allowed);
    n.op(UserOp::Update {
        name: "bob".into(),
        new_name: Some("robert".into()),
        new_path: None,
    });
    let old = AuthzRequest {
        principal_arn: format!("arn:aws:iam::{A}:user/bob"),
        action: "s3:GetObject".into(),
        resource: "*".into(),
        context: vec![],
        session_tags: vec![],
        with_explanation: false,
        identity_only: false,
    };
    let e = n.index.authorize(&n.store, &old).unwrap_err();
    assert_eq!(e.code, iam_model::ErrorCode::NoSuchEntity);
    assert_eq!(n.decide("robert", "s3:GetObject"), Allowed);
}
