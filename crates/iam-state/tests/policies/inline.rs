//! Inline policies, permissions boundaries, protected roles, effective documents and
//! operation names.

use super::*;

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
