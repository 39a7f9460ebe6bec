//! Instance profiles: create, get (roles as records), list, delete checks, role membership
//! (one role at most), listing by role, tags.

use super::*;

#[test]
fn create_get_list_and_delete_profiles() {
    let mut s = S::new();
    let p = s.ok(InstanceProfileOp::Create {
        name: "Web".into(),
        path: "/app/".into(),
        tags: vec![tag("env", "prod")],
        instance_profile_id: "AIPA00000000000000009".into(),
    });
    assert_eq!(
        p["arn"],
        json!(format!("arn:aws:iam::{A}:instance-profile/app/Web"))
    );
    assert_eq!(p["roles"], json!([]));
    s.ok(profile("db"));
    let m = s.err(profile("WEB"), ErrorCode::EntityAlreadyExists);
    assert!(m.contains("WEB"), "{m}");
    let m = s.err(profile("a b"), ErrorCode::ValidationError);
    assert!(m.contains("instanceProfileName"), "{m}");
    s.err(profile(&"p".repeat(129)), ErrorCode::ValidationError);
    s.err(
        InstanceProfileOp::Create {
            name: "x".into(),
            path: "app".into(),
            tags: vec![],
            instance_profile_id: String::new(),
        },
        ErrorCode::ValidationError,
    );
    assert_eq!(s.count("instance-profiles"), 2);
    let g = s.qok(InstanceProfileQuery::Get { name: "web".into() });
    assert_eq!(g["name"], "Web");
    assert_eq!(g["tags"], json!([{"key":"env","value":"prod"}]));
    let e = s
        .q(InstanceProfileQuery::Get { name: "zz".into() })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    let l = s.qok(InstanceProfileQuery::List {
        path_prefix: "/app/".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&l["items"]), ["Web"]);
    let l = s.qok(InstanceProfileQuery::List {
        path_prefix: "/".into(),
        page: page(None, 1),
    });
    assert_eq!(names(&l["items"]), ["db"]);
    let l = s.qok(InstanceProfileQuery::List {
        path_prefix: "/".into(),
        page: page(l["marker"].as_str(), 1),
    });
    assert_eq!(names(&l["items"]), ["Web"]);
    s.ok(InstanceProfileOp::Delete { name: "DB".into() });
    s.err(
        InstanceProfileOp::Delete { name: "db".into() },
        ErrorCode::NoSuchEntity,
    );
    assert_eq!(s.count("instance-profiles"), 1);
}

#[test]
fn instance_profile_quota() {
    let mut s = S::new();
    s.raw_put(&format!("count/{A}/instance-profiles"), "1000");
    let m = s.err(profile("p"), ErrorCode::LimitExceeded);
    assert_eq!(
        m,
        "Cannot exceed quota for InstanceProfilesPerAccount: 1000"
    );
}

#[test]
fn a_profile_holds_one_role() {
    let mut s = S::new();
    s.ok(profile("web"));
    s.ok(profile("web2"));
    s.ok(role("App"));
    s.ok(role("other"));
    s.err(add_role("web", "nope"), ErrorCode::NoSuchEntity);
    s.err(add_role("nope", "app"), ErrorCode::NoSuchEntity);
    s.ok(add_role("WEB", "app"));
    let m = s.err(add_role("web", "APP"), ErrorCode::EntityAlreadyExists);
    assert!(m.contains("App"), "{m}");
    let m = s.err(add_role("web", "other"), ErrorCode::LimitExceeded);
    assert_eq!(
        m,
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    );
    s.ok(add_role("web2", "app"));
    let g = s.qok(InstanceProfileQuery::Get { name: "web".into() });
    assert_eq!(g["roles"][0]["name"], "App");
    assert_eq!(g["roles"][0]["assume_role_policy"], TRUST);
    let l = s.qok(InstanceProfileQuery::ListForRole {
        role_name: "app".into(),
        page: page(None, 1),
    });
    assert_eq!(names(&l["items"]), ["web"]);
    assert_eq!(l["items"][0]["roles"][0]["name"], "App");
    let l = s.qok(InstanceProfileQuery::ListForRole {
        role_name: "app".into(),
        page: page(l["marker"].as_str(), 1),
    });
    assert_eq!(names(&l["items"]), ["web2"]);
    assert_eq!(l["is_truncated"], false);
    let e = s
        .q(InstanceProfileQuery::ListForRole {
            role_name: "zz".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);

    let m = s.err(
        InstanceProfileOp::Delete { name: "web".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(
        m,
        "Cannot delete entity, must remove roles from instance profile first."
    );
    let rm = |p: &str, r: &str| InstanceProfileOp::RemoveRole {
        instance_profile_name: p.into(),
        role_name: r.into(),
    };
    s.err(rm("web", "other"), ErrorCode::NoSuchEntity);
    s.err(rm("web", "zz"), ErrorCode::NoSuchEntity);
    s.err(rm("zz", "app"), ErrorCode::NoSuchEntity);
    s.ok(rm("web", "APP"));
    s.err(rm("web", "app"), ErrorCode::NoSuchEntity);
    assert!(s.raw_get(&format!("rprof/{A}/app/web")).is_none());
    s.ok(InstanceProfileOp::Delete { name: "web".into() });
    let l = s.qok(InstanceProfileQuery::ListForRole {
        role_name: "app".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&l["items"]), ["web2"]);
}

#[test]
fn instance_profile_tags() {
    let mut s = S::new();
    s.ok(profile("web"));
    s.ok(InstanceProfileOp::Tag {
        name: "web".into(),
        tags: vec![tag("a", "1")],
    });
    s.ok(InstanceProfileOp::Tag {
        name: "WEB".into(),
        tags: vec![tag("A", "2"), tag("b", "")],
    });
    let t = s.qok(InstanceProfileQuery::ListTags {
        name: "web".into(),
        page: PageRequest::default(),
    });
    assert_eq!(
        t["items"],
        json!([{"key":"A","value":"2"},{"key":"b","value":""}])
    );
    s.ok(InstanceProfileOp::Untag {
        name: "web".into(),
        tag_keys: vec!["a".into()],
    });
    let t = s.qok(InstanceProfileQuery::ListTags {
        name: "web".into(),
        page: PageRequest::default(),
    });
    assert_eq!(t["items"], json!([{"key":"b","value":""}]));
    s.err(
        InstanceProfileOp::Tag {
            name: "web".into(),
            tags: vec![tag("bad\u{1}", "v")],
        },
        ErrorCode::ValidationError,
    );
    s.err(
        InstanceProfileOp::Untag {
            name: "zz".into(),
            tag_keys: vec![],
        },
        ErrorCode::NoSuchEntity,
    );
}
