//! Users: get, list, update (rename/move), tags, delete checks.

use super::*;

#[test]
fn get_and_list_users_by_path_prefix() {
    let mut s = S::new();
    s.ok(user_at("Alice", "/eng/"));
    s.ok(user_at("bob", "/eng/backend/"));
    s.ok(user_at("carol", "/ops/"));
    let u = s.qok(UserQuery::Get {
        name: "ALICE".into(),
    });
    assert_eq!(u["name"], "Alice");
    assert_eq!(u["arn"], json!(format!("arn:aws:iam::{A}:user/eng/Alice")));
    let e = s.q(UserQuery::Get { name: "zed".into() }).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(e.message, "The user with name zed cannot be found.");
    let l = s.qok(UserQuery::List {
        path_prefix: "/eng/".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&l["items"]), ["Alice", "bob"]);
    let l = s.qok(UserQuery::List {
        path_prefix: "/".into(),
        page: page(None, 2),
    });
    assert_eq!(names(&l["items"]), ["Alice", "bob"]);
    assert_eq!(l["is_truncated"], true);
    let l = s.qok(UserQuery::List {
        path_prefix: "/".into(),
        page: page(l["marker"].as_str(), 2),
    });
    assert_eq!(names(&l["items"]), ["carol"]);
    assert_eq!(l["is_truncated"], false);
    let e = s
        .q(UserQuery::List {
            path_prefix: "eng".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
    let e = s
        .q(UserQuery::List {
            path_prefix: "/".into(),
            page: page(None, 0),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
}

fn update(name: &str, new_name: Option<&str>, new_path: Option<&str>) -> UserOp {
    UserOp::Update {
        name: name.into(),
        new_name: new_name.map(Into::into),
        new_path: new_path.map(Into::into),
    }
}

#[test]
fn update_user_moves_the_path_and_arn() {
    let mut s = S::new();
    s.ok(user("bob"));
    let u = s.ok(update("bob", None, Some("/new/")));
    assert_eq!(u["path"], "/new/");
    let u = s.qok(UserQuery::Get { name: "bob".into() });
    assert_eq!(u["arn"], json!(format!("arn:aws:iam::{A}:user/new/bob")));
    s.err(update("bob", None, Some("new")), ErrorCode::ValidationError);
    s.err(update("nobody", Some("x"), None), ErrorCode::NoSuchEntity);
    let m = s.err(
        update("bob", Some("bad name"), None),
        ErrorCode::ValidationError,
    );
    assert!(m.contains("'newUserName'"), "{m}");
    s.err(
        update("bob", Some(&"x".repeat(65)), None),
        ErrorCode::ValidationError,
    );
    // An update with nothing to change is accepted and changes nothing.
    let before = state_hash(&s.store);
    s.ok(update("bob", None, None));
    assert_eq!(state_hash(&s.store), before);
}

#[test]
fn rename_to_an_existing_name_is_refused() {
    let mut s = S::new();
    s.ok(user("bob"));
    s.ok(user("carol"));
    let m = s.err(
        update("bob", Some("CAROL"), None),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(m, "User with name CAROL already exists.");
    assert_eq!(s.count("users"), 2);
}

#[test]
fn rename_moves_every_key_naming_the_user() {
    let mut s = S::new();
    s.ok(user("bob"));
    s.ok(group("Dev"));
    s.ok(group("ops"));
    s.ok(add("dev", "bob"));
    s.ok(add("ops", "bob"));
    // What the policy, access-key, login-profile and MFA families would have stored.
    let policy_arn = format!("arn:aws:iam::{A}:policy/team/ReadOnly");
    s.raw_edit(&format!("user/{A}/bob"), |u| {
        u["attached_policies"] = json!([policy_arn]);
    });
    s.raw_put(&format!("pent/{A}/readonly/user/bob"), "");
    s.raw_put(&format!("pent/{A}/readonly/group/dev"), "");
    s.raw_put(&format!("ukey/{A}/bob/AKIAEXAMPLE1"), "");
    s.raw_put(
        "akey/AKIAEXAMPLE1",
        r#"{"id":"AKIAEXAMPLE1","account":"123456789012","user_name":"bob","status":"Active"}"#,
    );
    s.raw_put(
        &format!("login/{A}/bob"),
        r#"{"user_name":"bob","hash":"h","reset_required":false}"#,
    );
    s.raw_put(&format!("umfa/{A}/bob/phone"), "");
    s.raw_put(
        &format!("mfa/{A}/phone"),
        r#"{"name":"Phone","user_name":"bob","serial":"arn:x"}"#,
    );
    s.raw_put(
        &format!("mfa/{A}/other"),
        r#"{"name":"other","user_name":null}"#,
    );

    let u = s.ok(update("BOB", Some("Robert"), Some("/people/")));
    assert_eq!(u["name"], "Robert");
    assert_eq!(
        u["arn"],
        json!(format!("arn:aws:iam::{A}:user/people/Robert"))
    );
    assert!(s.q(UserQuery::Get { name: "bob".into() }).is_err());
    let u = s.qok(UserQuery::Get {
        name: "robert".into(),
    });
    assert_eq!(u["groups"], json!(["Dev", "ops"]));
    assert_eq!(u["attached_policies"], json!([policy_arn]));
    for gone in [
        format!("gmem/{A}/dev/bob"),
        format!("gmem/{A}/ops/bob"),
        format!("pent/{A}/readonly/user/bob"),
        format!("ukey/{A}/bob/AKIAEXAMPLE1"),
        format!("login/{A}/bob"),
        format!("umfa/{A}/bob/phone"),
    ] {
        assert!(s.raw_get(&gone).is_none(), "{gone} still there");
    }
    for moved in [
        format!("gmem/{A}/dev/robert"),
        format!("gmem/{A}/ops/robert"),
        format!("pent/{A}/readonly/user/robert"),
        format!("pent/{A}/readonly/group/dev"),
        format!("ukey/{A}/robert/AKIAEXAMPLE1"),
        format!("umfa/{A}/robert/phone"),
    ] {
        assert!(s.raw_get(&moved).is_some(), "{moved} missing");
    }
    let field = |s: &S, key: &str| -> Value {
        serde_json::from_str::<Value>(&s.raw_get(key).unwrap()).unwrap()
    };
    let k = field(&s, "akey/AKIAEXAMPLE1");
    assert_eq!(k["user_name"], "Robert");
    assert_eq!(k["status"], "Active");
    let l = field(&s, &format!("login/{A}/robert"));
    assert_eq!(l["user_name"], "Robert");
    assert_eq!(l["hash"], "h");
    assert_eq!(field(&s, &format!("mfa/{A}/phone"))["user_name"], "Robert");
    assert_eq!(
        field(&s, &format!("mfa/{A}/other"))["user_name"],
        Value::Null
    );
    // The groups see the renamed member.
    let g = s.qok(GroupQuery::Get {
        name: "dev".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&g["users"]), ["Robert"]);
    assert_eq!(s.count("users"), 1);
    // And the old name is free again.
    s.ok(user("bob"));
}

#[test]
fn case_only_rename_keeps_keys_and_respells_records() {
    let mut s = S::new();
    s.ok(user("bob"));
    s.ok(group("dev"));
    s.ok(add("dev", "bob"));
    s.raw_put(
        &format!("login/{A}/bob"),
        r#"{"user_name":"bob","hash":"h"}"#,
    );
    s.ok(update("bob", Some("Bob"), None));
    let u = s.qok(UserQuery::Get { name: "bob".into() });
    assert_eq!(u["name"], "Bob");
    assert_eq!(u["arn"], json!(format!("arn:aws:iam::{A}:user/Bob")));
    assert!(s.raw_get(&format!("gmem/{A}/dev/bob")).is_some());
    let l: Value = serde_json::from_str(&s.raw_get(&format!("login/{A}/bob")).unwrap()).unwrap();
    assert_eq!(l["user_name"], "Bob");
    assert_eq!(s.count("users"), 1);
}

#[test]
fn user_tags_replace_by_key_and_are_limited() {
    let mut s = S::new();
    s.ok(user("bob"));
    s.ok(UserOp::Tag {
        name: "bob".into(),
        tags: vec![tag("Team", "core"), tag("env", "prod")],
    });
    s.ok(UserOp::Tag {
        name: "BOB".into(),
        tags: vec![tag("team", "edge")],
    });
    let t = s.qok(UserQuery::ListTags {
        name: "bob".into(),
        page: PageRequest::default(),
    });
    assert_eq!(
        t["items"],
        // In the order added; the replaced tag keeps its place (and takes the new spelling).
        json!([{"key":"team","value":"edge"},{"key":"env","value":"prod"}])
    );
    s.ok(UserOp::Untag {
        name: "bob".into(),
        tag_keys: vec!["ENV".into(), "absent".into()],
    });
    let t = s.qok(UserQuery::ListTags {
        name: "bob".into(),
        page: PageRequest::default(),
    });
    assert_eq!(t["items"], json!([{"key":"team","value":"edge"}]));
    // 49 more fit, one more does not.
    let many: Vec<Tag> = (0..49).map(|i| tag(&format!("k{i:02}"), "v")).collect();
    s.ok(UserOp::Tag {
        name: "bob".into(),
        tags: many,
    });
    let m = s.err(
        UserOp::Tag {
            name: "bob".into(),
            tags: vec![tag("one-more", "v")],
        },
        ErrorCode::LimitExceeded,
    );
    assert_eq!(m, "Cannot exceed quota for TagsPerResource: 50");
    // Replacing an existing key still fits.
    s.ok(UserOp::Tag {
        name: "bob".into(),
        tags: vec![tag("K00", "w")],
    });
    let t = s.qok(UserQuery::ListTags {
        name: "bob".into(),
        page: page(None, 20),
    });
    assert_eq!(t["items"].as_array().unwrap().len(), 20);
    assert_eq!(t["items"][0], json!({"key":"team","value":"edge"}));
    assert_eq!(t["items"][1], json!({"key":"K00","value":"w"}));
    assert_eq!(t["is_truncated"], true);
    let t = s.qok(UserQuery::ListTags {
        name: "bob".into(),
        page: page(t["marker"].as_str(), 100),
    });
    assert_eq!(t["items"].as_array().unwrap().len(), 30);
    s.err(
        UserOp::Tag {
            name: "bob".into(),
            tags: vec![tag("aws:x", "v")],
        },
        ErrorCode::InvalidInput,
    );
    s.err(
        UserOp::Tag {
            name: "bob".into(),
            tags: vec![tag("a", "1"), tag("A", "2")],
        },
        ErrorCode::InvalidInput,
    );
    s.err(
        UserOp::Tag {
            name: "nobody".into(),
            tags: vec![tag("a", "1")],
        },
        ErrorCode::NoSuchEntity,
    );
    s.err(
        UserOp::Untag {
            name: "bob".into(),
            tag_keys: vec!["".into()],
        },
        ErrorCode::ValidationError,
    );
    s.err(
        UserOp::Untag {
            name: "nobody".into(),
            tag_keys: vec!["a".into()],
        },
        ErrorCode::NoSuchEntity,
    );
    assert!(s
        .q(UserQuery::ListTags {
            name: "nobody".into(),
            page: PageRequest::default()
        })
        .is_err());
}

#[test]
fn delete_user_refuses_while_in_a_group() {
    let mut s = S::new();
    s.ok(user("bob"));
    s.ok(group("dev"));
    s.ok(add("dev", "bob"));
    let m = s.err(
        UserOp::Delete { name: "bob".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(
        m,
        "Cannot delete entity, must remove user from all groups first."
    );
    s.ok(remove("dev", "bob"));
    s.ok(UserOp::Delete { name: "bob".into() });
    assert_eq!(s.count("users"), 0);
}
