//! Roles: create (trust policy, description, session duration, boundary, tags, quota), get,
//! list, updates, delete checks, tags.

use super::*;

fn create(name: &str, f: impl FnOnce(&mut RoleOp)) -> RoleOp {
    let mut op = role(name);
    f(&mut op);
    op
}

fn set_doc(op: &mut RoleOp, doc: &str) {
    if let RoleOp::Create {
        assume_role_policy_document,
        ..
    } = op
    {
        *assume_role_policy_document = doc.into();
    }
}

#[test]
fn create_role_validates_its_inputs() {
    let mut s = S::new();
    let r = s.ok(create("App", |op| {
        if let RoleOp::Create {
            path,
            description,
            tags,
            ..
        } = op
        {
            *path = "/svc/".into();
            *description = Some("the app".into());
            *tags = vec![tag("team", "core")];
        }
    }));
    assert_eq!(r["arn"], json!(format!("arn:aws:iam::{A}:role/svc/App")));
    assert_eq!(r["max_session_duration"], 3600);
    assert_eq!(r["assume_role_policy"], TRUST);
    assert_eq!(r["description"], "the app");
    assert_eq!(s.count("roles"), 1);
    let m = s.err(role("app"), ErrorCode::EntityAlreadyExists);
    assert_eq!(m, "Role with name app already exists.");
    s.err(role("bad name"), ErrorCode::ValidationError);
    s.err(role(&"r".repeat(65)), ErrorCode::ValidationError);
    s.err(
        create("r", |op| set_doc(op, "{not json")),
        ErrorCode::MalformedPolicyDocument,
    );
    // An identity policy is not a trust policy.
    s.err(
        create("r", |op| {
            set_doc(
                op,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            )
        }),
        ErrorCode::MalformedPolicyDocument,
    );
    let m = s.err(
        create("r", |op| set_doc(op, &trust_of_size_over(2048))),
        ErrorCode::LimitExceeded,
    );
    assert_eq!(m, "Cannot exceed quota for ACLSizePerRole: 2048");
    // A raised quota admits the larger document.
    s.raw_put(&format!("quota/{A}/assume-role-policy-size"), "4096");
    s.ok(create("big", |op| set_doc(op, &trust_of_size_over(2048))));
    let desc = |d: String| {
        create("r", move |op| {
            if let RoleOp::Create { description, .. } = op {
                *description = Some(d);
            }
        })
    };
    s.err(desc("d".repeat(1001)), ErrorCode::ValidationError);
    s.err(desc("tab\u{7}".into()), ErrorCode::ValidationError);
    s.ok(desc("d".repeat(1000)));
    let dur = |name: &str, d: u32| {
        create(name, move |op| {
            if let RoleOp::Create {
                max_session_duration,
                ..
            } = op
            {
                *max_session_duration = Some(d);
            }
        })
    };
    s.err(dur("d1", 3599), ErrorCode::ValidationError);
    s.err(dur("d1", 43201), ErrorCode::ValidationError);
    assert_eq!(s.ok(dur("d1", 43200))["max_session_duration"], 43200);
    s.err(
        create("t", |op| {
            if let RoleOp::Create { tags, .. } = op {
                *tags = vec![tag("aws:x", "1")];
            }
        }),
        ErrorCode::InvalidInput,
    );
    let m = s.err(
        create("b", |op| {
            if let RoleOp::Create {
                permissions_boundary,
                ..
            } = op
            {
                *permissions_boundary = Some(format!("arn:aws:iam::{A}:policy/Missing"));
            }
        }),
        ErrorCode::NoSuchEntity,
    );
    assert!(m.contains("Missing"), "{m}");
    assert_eq!(s.count("roles"), 4);
}

#[test]
fn role_quota_defaults_to_250() {
    let mut s = S::new();
    s.raw_put(&format!("count/{A}/roles"), "250");
    let m = s.err(role("r"), ErrorCode::LimitExceeded);
    assert_eq!(m, "Cannot exceed quota for RolesPerAccount: 250");
}

#[test]
fn get_list_and_update_roles() {
    let mut s = S::new();
    s.ok(role("a"));
    s.ok(create("B", |op| {
        if let RoleOp::Create { path, .. } = op {
            *path = "/x/".into();
        }
    }));
    s.ok(role("c"));
    let e = s.q(RoleQuery::Get { name: "z".into() }).unwrap_err();
    assert_eq!(e.message, "The role with name z cannot be found.");
    let l = s.qok(RoleQuery::List {
        path_prefix: "/x/".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&l["items"]), ["B"]);
    let l = s.qok(RoleQuery::List {
        path_prefix: "/".into(),
        page: page(None, 2),
    });
    assert_eq!(names(&l["items"]), ["a", "B"]);
    let l = s.qok(RoleQuery::List {
        path_prefix: "/".into(),
        page: page(l["marker"].as_str(), 2),
    });
    assert_eq!(names(&l["items"]), ["c"]);

    s.ok(RoleOp::Update {
        name: "A".into(),
        description: Some("new".into()),
        max_session_duration: Some(7200),
    });
    s.ok(RoleOp::Update {
        name: "a".into(),
        description: None,
        max_session_duration: None,
    });
    let r = s.qok(RoleQuery::Get { name: "a".into() });
    assert_eq!(r["description"], "new");
    assert_eq!(r["max_session_duration"], 7200);
    s.err(
        RoleOp::Update {
            name: "a".into(),
            description: None,
            max_session_duration: Some(100),
        },
        ErrorCode::ValidationError,
    );
    s.err(
        RoleOp::Update {
            name: "zz".into(),
            description: None,
            max_session_duration: None,
        },
        ErrorCode::NoSuchEntity,
    );
    let r = s.ok(RoleOp::UpdateDescription {
        name: "a".into(),
        description: "".into(),
    });
    assert_eq!(r["description"], "");
    s.err(
        RoleOp::UpdateDescription {
            name: "a".into(),
            description: "x".repeat(1001),
        },
        ErrorCode::ValidationError,
    );
    s.err(
        RoleOp::UpdateDescription {
            name: "zz".into(),
            description: "x".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    let doc = TRUST.replace("ec2", "lambda");
    s.ok(RoleOp::UpdateAssumeRolePolicy {
        name: "a".into(),
        policy_document: doc.clone(),
    });
    assert_eq!(
        s.qok(RoleQuery::Get { name: "a".into() })["assume_role_policy"],
        json!(doc)
    );
    s.err(
        RoleOp::UpdateAssumeRolePolicy {
            name: "a".into(),
            policy_document: "[]".into(),
        },
        ErrorCode::MalformedPolicyDocument,
    );
    s.err(
        RoleOp::UpdateAssumeRolePolicy {
            name: "a".into(),
            policy_document: trust_of_size_over(2048),
        },
        ErrorCode::LimitExceeded,
    );
    s.err(
        RoleOp::UpdateAssumeRolePolicy {
            name: "zz".into(),
            policy_document: TRUST.into(),
        },
        ErrorCode::NoSuchEntity,
    );
}

#[test]
fn delete_role_checks_profiles_and_policies() {
    let mut s = S::new();
    s.ok(role("app"));
    s.ok(profile("web"));
    s.ok(add_role("web", "app"));
    let m = s.err(
        RoleOp::Delete { name: "app".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(
        m,
        "Cannot delete entity, must remove roles from instance profile first."
    );
    s.ok(InstanceProfileOp::RemoveRole {
        instance_profile_name: "web".into(),
        role_name: "app".into(),
    });
    s.raw_edit(&format!("role/{A}/app"), |r| {
        r["inline_policies"] = json!({"p": "{}"});
    });
    let m = s.err(
        RoleOp::Delete { name: "app".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(m, "Cannot delete entity, must delete policies first.");
    s.raw_edit(&format!("role/{A}/app"), |r| {
        r["inline_policies"] = json!({});
        r["attached_policies"] = json!(["arn:aws:iam::123456789012:policy/p"]);
    });
    let m = s.err(
        RoleOp::Delete { name: "app".into() },
        ErrorCode::DeleteConflict,
    );
    assert_eq!(m, "Cannot delete entity, must detach all policies first.");
    s.raw_edit(&format!("role/{A}/app"), |r| {
        r["attached_policies"] = json!([]);
    });
    assert_eq!(s.count("roles"), 1);
    s.ok(RoleOp::Delete { name: "APP".into() });
    assert_eq!(s.count("roles"), 0);
    s.err(
        RoleOp::Delete { name: "app".into() },
        ErrorCode::NoSuchEntity,
    );
}

#[test]
fn role_tags() {
    let mut s = S::new();
    s.ok(role("app"));
    s.ok(RoleOp::Tag {
        name: "app".into(),
        tags: vec![tag("b", "1"), tag("a", "2")],
    });
    s.ok(RoleOp::Tag {
        name: "app".into(),
        tags: vec![tag("B", "3")],
    });
    let t = s.qok(RoleQuery::ListTags {
        name: "APP".into(),
        page: PageRequest::default(),
    });
    assert_eq!(
        t["items"],
        json!([{"key":"B","value":"3"},{"key":"a","value":"2"}])
    );
    s.ok(RoleOp::Untag {
        name: "app".into(),
        tag_keys: vec!["A".into(), "nope".into()],
    });
    let r = s.qok(RoleQuery::Get { name: "app".into() });
    assert_eq!(r["tags"], json!([{"key":"B","value":"3"}]));
    let many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    s.err(
        RoleOp::Tag {
            name: "app".into(),
            tags: many,
        },
        ErrorCode::LimitExceeded,
    );
    s.err(
        RoleOp::Untag {
            name: "app".into(),
            tag_keys: (0..51).map(|i| format!("k{i}")).collect(),
        },
        ErrorCode::ValidationError,
    );
    s.err(
        RoleOp::Tag {
            name: "zz".into(),
            tags: vec![],
        },
        ErrorCode::NoSuchEntity,
    );
}

/// A trust policy's users and roles are bound to their unique ids when it is saved: a
/// principal that does not exist is refused (by the authoritative apply; a dry run lets it
/// through), and one deleted and created again under the same name no longer matches (the
/// policy in force, which GetRole shows, holds the old id in place of the ARN).
#[test]
fn trust_policies_bind_named_principals_to_unique_ids() {
    let mut s = S::new();
    let bob = format!("arn:aws:iam::{A}:user/bob");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["{bob}","{A}"]}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let m = s.err(
        create("Ops", |op| set_doc(op, &trust)),
        ErrorCode::MalformedPolicyDocument,
    );
    assert_eq!(m, format!("Invalid principal in policy: \"AWS\":\"{bob}\""));
    // A dry run (what a possibly lagging node checks before proposing) does not refuse it.
    let dry = iam_state::dry_run(
        &s.store,
        &Request {
            request_token: None,
            time_ms: 1,
            command: Command::in_account(A, create("Ops", |op| set_doc(op, &trust))),
            origin: None,
        },
    );
    assert!(dry.result.is_ok(), "{:?}", dry.result);
    s.ok(UserOp::Create {
        name: "bob".into(),
        path: "/".into(),
        tags: vec![],
        permissions_boundary: None,
        user_id: "AIDABOBFIRST000000001".into(),
    });
    let r = s.ok(create("Ops", |op| set_doc(op, &trust)));
    assert_eq!(
        r["trust_principal_ids"],
        json!({ bob.clone(): "AIDABOBFIRST000000001" })
    );
    let shown = s.qok(RoleQuery::Get { name: "Ops".into() });
    assert_eq!(shown["assume_role_policy"], trust.as_str());
    // Bob is deleted and a new bob created: the policy in force names the old id.
    s.ok(UserOp::Delete { name: "bob".into() });
    s.ok(UserOp::Create {
        name: "bob".into(),
        path: "/".into(),
        tags: vec![],
        permissions_boundary: None,
        user_id: "AIDABOBSECOND00000002".into(),
    });
    let shown = s.qok(RoleQuery::Get { name: "Ops".into() });
    let doc = shown["assume_role_policy"].as_str().unwrap();
    assert!(
        doc.contains("AIDABOBFIRST000000001") && !doc.contains(&bob),
        "{doc}"
    );
    let listed = s.qok(RoleQuery::List {
        path_prefix: "/".into(),
        page: PageRequest::default(),
    });
    assert_eq!(listed["items"][0]["assume_role_policy"], doc);
    // Saving the policy again binds the new bob.
    s.ok(RoleOp::UpdateAssumeRolePolicy {
        name: "Ops".into(),
        policy_document: trust.clone(),
    });
    let r = s.qok(RoleQuery::Get { name: "Ops".into() });
    assert_eq!(r["assume_role_policy"], trust.as_str());
    assert_eq!(
        r["trust_principal_ids"],
        json!({ bob: "AIDABOBSECOND00000002" })
    );
    // A role may trust itself once it exists (not while it is being created).
    let me = format!("arn:aws:iam::{A}:role/Ops");
    let self_trust = trust.replace(&format!("arn:aws:iam::{A}:user/bob"), &me);
    s.ok(RoleOp::UpdateAssumeRolePolicy {
        name: "Ops".into(),
        policy_document: self_trust.clone(),
    });
    s.err(
        create("Other", |op| {
            set_doc(op, &self_trust.replace("role/Ops", "role/Other"))
        }),
        ErrorCode::MalformedPolicyDocument,
    );
}
