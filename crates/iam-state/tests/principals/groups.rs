//! Groups: create, get (with members, paged), list, update (rename/move), delete checks,
//! memberships and their limits.

use super::*;

#[test]
fn create_get_and_list_groups() {
    let mut s = S::new();
    let g = s.ok(group_at("Admins", "/corp/"));
    assert_eq!(
        g["arn"],
        json!(format!("arn:aws:iam::{A}:group/corp/Admins"))
    );
    assert_eq!(g["id"], "AGPA00000000000000001");
    s.ok(group("dev"));
    let m = s.err(group("ADMINS"), ErrorCode::EntityAlreadyExists);
    assert_eq!(m, "Group with name ADMINS already exists.");
    s.err(group("bad name"), ErrorCode::ValidationError);
    s.err(group(&"g".repeat(129)), ErrorCode::ValidationError);
    s.ok(group(&"g".repeat(128)));
    s.err(group_at("x", "/no"), ErrorCode::ValidationError);
    assert_eq!(s.count("groups"), 3);
    let l = s.qok(GroupQuery::List {
        path_prefix: "/corp".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&l["items"]), ["Admins"]);
    let l = s.qok(GroupQuery::List {
        path_prefix: "/".into(),
        page: page(None, 1),
    });
    assert_eq!(names(&l["items"]), ["Admins"]);
    let l = s.qok(GroupQuery::List {
        path_prefix: "/".into(),
        page: page(l["marker"].as_str(), 1),
    });
    assert_eq!(names(&l["items"]), ["dev"]);
    let e = s
        .q(GroupQuery::Get {
            name: "nope".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.message, "The group with name nope cannot be found.");
}

#[test]
fn group_quota_is_enforced() {
    let mut s = S::new();
    s.raw_put(&format!("count/{A}/groups"), "300");
    let m = s.err(group("one-too-many"), ErrorCode::LimitExceeded);
    assert_eq!(m, "Cannot exceed quota for GroupsPerAccount: 300");
    s.raw_put(&format!("quota/{A}/groups"), "301");
    s.ok(group("fits-now"));
    assert_eq!(s.count("groups"), 301);
}

#[test]
fn memberships_are_recorded_both_ways_and_paged() {
    let mut s = S::new();
    s.ok(group("dev"));
    for u in ["u1", "U2", "u3"] {
        s.ok(user(u));
        s.ok(add("DEV", u));
    }
    // Adding a member again is a no-op success.
    let before = state_hash(&s.store);
    s.ok(add("dev", "u1"));
    assert_eq!(state_hash(&s.store), before);
    let g = s.qok(GroupQuery::Get {
        name: "dev".into(),
        page: page(None, 2),
    });
    assert_eq!(g["group"]["name"], "dev");
    assert_eq!(names(&g["users"]), ["u1", "U2"]);
    assert_eq!(g["is_truncated"], true);
    let g = s.qok(GroupQuery::Get {
        name: "dev".into(),
        page: page(g["marker"].as_str(), 2),
    });
    assert_eq!(names(&g["users"]), ["u3"]);
    assert_eq!(g["is_truncated"], false);
    assert!(g.get("marker").is_none());
    let u = s.qok(UserQuery::Get { name: "u2".into() });
    assert_eq!(u["groups"], json!(["dev"]));

    s.err(add("nope", "u1"), ErrorCode::NoSuchEntity);
    s.err(add("dev", "nobody"), ErrorCode::NoSuchEntity);
    s.err(remove("nope", "u1"), ErrorCode::NoSuchEntity);
    s.err(remove("dev", "nobody"), ErrorCode::NoSuchEntity);
    s.ok(remove("dev", "U1"));
    let m = s.err(remove("dev", "u1"), ErrorCode::NoSuchEntity);
    assert!(m.contains("u1"), "{m}");
    let u = s.qok(UserQuery::Get { name: "u1".into() });
    assert_eq!(u["groups"], json!([]));
    assert!(s.raw_get(&format!("gmem/{A}/dev/u1")).is_none());
}

#[test]
fn a_user_is_in_at_most_ten_groups_listed_in_order() {
    let mut s = S::new();
    s.ok(user("bob"));
    for i in (0..10).rev() {
        s.ok(group(&format!("g{i}")));
        s.ok(add(&format!("g{i}"), "bob"));
    }
    s.ok(group("g10"));
    let m = s.err(add("g10", "bob"), ErrorCode::LimitExceeded);
    assert_eq!(m, "Cannot exceed quota for GroupsPerUser: 10");
    let l = s.qok(GroupQuery::ListForUser {
        user_name: "BOB".into(),
        page: page(None, 4),
    });
    assert_eq!(names(&l["items"]), ["g0", "g1", "g2", "g3"]);
    let l = s.qok(GroupQuery::ListForUser {
        user_name: "bob".into(),
        page: page(l["marker"].as_str(), 100),
    });
    assert_eq!(names(&l["items"]).len(), 6);
    assert_eq!(l["is_truncated"], false);
    let e = s
        .q(GroupQuery::ListForUser {
            user_name: "nobody".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
}

fn update(name: &str, new_name: Option<&str>, new_path: Option<&str>) -> GroupOp {
    GroupOp::Update {
        name: name.into(),
        new_name: new_name.map(Into::into),
        new_path: new_path.map(Into::into),
    }
}

#[test]
fn rename_group_moves_members_and_attachments() {
    let mut s = S::new();
    s.ok(group("dev"));
    s.ok(group("zeta"));
    s.ok(user("ann"));
    s.ok(user("bob"));
    s.ok(add("dev", "ann"));
    s.ok(add("dev", "bob"));
    s.ok(add("zeta", "bob"));
    let policy_arn = format!("arn:aws:iam::{A}:policy/P1");
    s.raw_edit(&format!("group/{A}/dev"), |g| {
        g["attached_policies"] = json!([policy_arn]);
    });
    s.raw_put(&format!("pent/{A}/p1/group/dev"), "");
    let g = s.ok(update("DEV", Some("Alpha"), Some("/t/")));
    assert_eq!(g["name"], "Alpha");
    assert_eq!(g["arn"], json!(format!("arn:aws:iam::{A}:group/t/Alpha")));
    assert!(s.raw_get(&format!("pent/{A}/p1/group/dev")).is_none());
    assert!(s.raw_get(&format!("pent/{A}/p1/group/alpha")).is_some());
    assert!(s.raw_get(&format!("gmem/{A}/dev/ann")).is_none());
    let got = s.qok(GroupQuery::Get {
        name: "alpha".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&got["users"]), ["ann", "bob"]);
    let bob = s.qok(UserQuery::Get { name: "bob".into() });
    assert_eq!(bob["groups"], json!(["Alpha", "zeta"]));
    assert!(s
        .q(GroupQuery::Get {
            name: "dev".into(),
            page: PageRequest::default()
        })
        .is_err());
    assert_eq!(s.count("groups"), 2);
    // Conflicts and bad input change nothing.
    let m = s.err(
        update("alpha", Some("ZETA"), None),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(m, "Group with name ZETA already exists.");
    s.err(update("nope", Some("x"), None), ErrorCode::NoSuchEntity);
    let m = s.err(
        update("alpha", Some("a b"), None),
        ErrorCode::ValidationError,
    );
    assert!(m.contains("newGroupName"), "{m}");
    s.err(update("alpha", None, Some("t")), ErrorCode::ValidationError);
    // Case-only rename.
    s.ok(update("alpha", Some("ALPHA"), None));
    let bob = s.qok(UserQuery::Get { name: "bob".into() });
    assert_eq!(bob["groups"], json!(["ALPHA", "zeta"]));
}

#[test]
fn delete_group_requires_it_empty_and_policy_free() {
    let mut s = S::new();
    s.ok(group("dev"));
    s.ok(user("bob"));
    s.ok(add("dev", "bob"));
    let m = s.err(
        GroupOp::Delete { name: "dev".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(
        m,
        "Cannot delete entity, must remove users from group first."
    );
    s.ok(remove("dev", "bob"));
    s.raw_edit(&format!("group/{A}/dev"), |g| {
        g["inline_policies"] = json!({"p": "{}"});
    });
    let m = s.err(
        GroupOp::Delete { name: "dev".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(m, "Cannot delete entity, must delete policies first.");
    s.raw_edit(&format!("group/{A}/dev"), |g| {
        g["inline_policies"] = json!({});
        g["attached_policies"] = json!([format!("arn:aws:iam::{A}:policy/p")]);
    });
    let m = s.err(
        GroupOp::Delete { name: "dev".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(m, "Cannot delete entity, must detach all policies first.");
    s.raw_edit(&format!("group/{A}/dev"), |g| {
        g["attached_policies"] = json!([]);
    });
    s.ok(GroupOp::Delete { name: "DEV".into() });
    assert_eq!(s.count("groups"), 0);
    s.err(
        GroupOp::Delete { name: "dev".into() },
        ErrorCode::NoSuchEntity,
    );
}
