//! Attachments: attach, detach, limits, ListAttached*Policies and ListEntitiesForPolicy.

use super::*;

#[test]
fn attach_and_detach_keep_every_record_consistent() {
    let mut w = World::new();
    w.user("alice");
    w.group("devs", "/");
    w.role("app", "/svc/");
    w.policy("P");
    let p = arn("P");
    w.ok(attach(EntityKind::User, "Alice", &p));
    w.ok(attach(EntityKind::Group, "devs", &p));
    w.ok(attach(EntityKind::Role, "app", &p));
    // Attaching again is a no-op success.
    let before = state_hash(&w.s);
    w.ok(attach(EntityKind::User, "alice", &p));
    assert_eq!(state_hash(&w.s), before);

    assert_eq!(w.get_policy("P")["attachment_count"], 3);
    assert_eq!(w.get_user("alice").attached_policies, vec![p.clone()]);
    assert!(w
        .s
        .get(&keys::policy_entity(A, "P", EntityKind::Group, "devs"))
        .is_some());
    assert_eq!(list_policies(&w, true, None), vec!["P"]);

    let e = w.err(attach(EntityKind::User, "alice", &arn("Nope")));
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!(
            "Policy {} does not exist or is not attachable.",
            arn("Nope")
        )
    );
    let aws = "arn:aws:iam::aws:policy/AdministratorAccess";
    assert_eq!(
        w.err(attach(EntityKind::User, "alice", aws)).code,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(
        w.err(attach(EntityKind::User, "alice", "not-an-arn")).code,
        ErrorCode::InvalidInput
    );
    let e = w.err(attach(EntityKind::User, "bob", &p));
    assert_eq!(e.message, "The user with name bob cannot be found.");
    assert_eq!(
        w.err(attach(EntityKind::Group, "nogroup", &p)).code,
        ErrorCode::NoSuchEntity
    );

    // A policy in use cannot be deleted.
    let e = w.err(PolicyOp::Delete {
        policy_arn: p.clone(),
    });
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert_eq!(e.message, "Cannot delete a policy attached to entities.");

    // Lists.
    let l = w
        .q(PolicyQuery::ListAttached {
            entity: EntityKind::Role,
            entity_name: "app".into(),
            path_prefix: "/".into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(l["items"][0]["policy_name"], "P");
    assert_eq!(l["items"][0]["policy_arn"], p);
    let le = |filter: Option<EntityFilter>, prefix: &str| {
        w.q(PolicyQuery::ListEntities {
            policy_arn: arn("P"),
            entity_filter: filter,
            path_prefix: prefix.into(),
            policy_usage_filter: None,
            page: PageRequest::default(),
        })
        .unwrap()
    };
    let all = le(None, "/");
    assert_eq!(names(&all["policy_users"], "user_name"), vec!["alice"]);
    assert_eq!(all["policy_users"][0]["user_id"], w.get_user("alice").id);
    assert_eq!(names(&all["policy_groups"], "group_name"), vec!["devs"]);
    assert_eq!(names(&all["policy_roles"], "role_name"), vec!["app"]);
    let roles = le(Some(EntityFilter::Role), "/");
    assert!(roles["policy_users"].as_array().unwrap().is_empty());
    assert_eq!(names(&roles["policy_roles"], "role_name"), vec!["app"]);
    let svc = le(None, "/svc/");
    assert!(svc["policy_groups"].as_array().unwrap().is_empty());
    assert_eq!(names(&svc["policy_roles"], "role_name"), vec!["app"]);
    assert!(
        le(Some(EntityFilter::LocalManagedPolicy), "/")["policy_roles"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Detach.
    let e = w.err(detach(EntityKind::User, "alice", &arn("Other")));
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(e.message, format!("Policy {} was not found.", arn("Other")));
    for (k, n) in [
        (EntityKind::User, "alice"),
        (EntityKind::Group, "devs"),
        (EntityKind::Role, "app"),
    ] {
        w.ok(detach(k, n, &p));
    }
    assert_eq!(w.get_policy("P")["attachment_count"], 0);
    assert!(w.get_user("alice").attached_policies.is_empty());
    assert!(w
        .s
        .scan(&keys::policy_entities_prefix(A, "P"), None, 10)
        .is_empty());
    assert!(list_policies(&w, true, None).is_empty());
    w.ok(PolicyOp::Delete { policy_arn: p });
}

#[test]
fn attachment_limits() {
    let mut w = World::new();
    w.user("u");
    w.group("g", "/");
    w.role("r", "/");
    for i in 0..11 {
        w.policy(&format!("P{i:02}"));
    }
    for i in 0..10 {
        let p = arn(&format!("P{i:02}"));
        w.ok(attach(EntityKind::User, "u", &p));
        w.ok(attach(EntityKind::Group, "g", &p));
        w.ok(attach(EntityKind::Role, "r", &p));
    }
    let p = arn("P10");
    let e = w.err(attach(EntityKind::User, "u", &p));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerUser: 10");
    let e = w.err(attach(EntityKind::Group, "g", &p));
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerGroup: 10");
    let e = w.err(attach(EntityKind::Role, "r", &p));
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerRole: 10");

    // Paging over the attached list, by policy name.
    let l = |marker: Option<&str>| {
        w.q(PolicyQuery::ListAttached {
            entity: EntityKind::User,
            entity_name: "u".into(),
            path_prefix: "/".into(),
            page: page(4, marker),
        })
        .unwrap()
    };
    let p1 = l(None);
    assert_eq!(
        names(&p1["items"], "policy_name"),
        vec!["P00", "P01", "P02", "P03"]
    );
    assert_eq!(p1["is_truncated"], true);
    let p2 = l(p1["marker"].as_str());
    assert_eq!(names(&p2["items"], "policy_name")[0], "P04");

    // Paging over ListEntitiesForPolicy: groups, roles, then users.
    let le = |marker: Option<&str>| {
        w.q(PolicyQuery::ListEntities {
            policy_arn: arn("P00"),
            entity_filter: None,
            path_prefix: "/".into(),
            policy_usage_filter: None,
            page: page(2, marker),
        })
        .unwrap()
    };
    let e1 = le(None);
    assert_eq!(e1["policy_groups"].as_array().unwrap().len(), 1);
    assert_eq!(e1["policy_roles"].as_array().unwrap().len(), 1);
    assert_eq!(e1["is_truncated"], true);
    let e2 = le(e1["marker"].as_str());
    assert_eq!(names(&e2["policy_users"], "user_name"), vec!["u"]);
    assert_eq!(e2["is_truncated"], false);
}

#[test]
fn attached_lists_filter_by_policy_path() {
    let mut w = World::new();
    w.user("u");
    w.policy_at("A", "/x/");
    w.policy("B");
    w.ok(attach(
        EntityKind::User,
        "u",
        &format!("arn:aws:iam::{A}:policy/x/A"),
    ));
    w.ok(attach(EntityKind::User, "u", &arn("B")));
    let l = w
        .q(PolicyQuery::ListAttached {
            entity: EntityKind::User,
            entity_name: "u".into(),
            path_prefix: "/x/".into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(names(&l["items"], "policy_name"), vec!["A"]);
    let e = w
        .q(PolicyQuery::ListAttached {
            entity: EntityKind::User,
            entity_name: "u".into(),
            path_prefix: "x".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
}
