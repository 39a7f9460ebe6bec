//! Managed policies: create, get, list, delete, the quota, versions and tags.

use super::*;

#[test]
fn create_get_list_and_delete_a_policy() {
    let mut w = World::new();
    let p = w.ok(PolicyOp::Create {
        policy_name: "ReadOnly".into(),
        path: "/team/".into(),
        policy_document: doc("s3:Get*"),
        description: "read".into(),
        tags: vec![tag("team", "core")],
        policy_id: "ANPAAAAAAAAAAAAAAAAAA".into(),
    });
    assert_eq!(p["arn"], format!("arn:aws:iam::{A}:policy/team/ReadOnly"));
    assert_eq!(p["default_version_id"], "v1");
    assert_eq!(p["attachment_count"], 0);
    assert_eq!(p["is_attachable"], true);
    assert_eq!(p["policy_id"], "ANPAAAAAAAAAAAAAAAAAA");
    assert_eq!(w.counter("policies"), 1);
    assert_eq!(w.counter("policy-versions"), 1);

    let team_arn = format!("arn:aws:iam::{A}:policy/team/ReadOnly");
    let got = w
        .q(PolicyQuery::Get {
            policy_arn: team_arn.clone(),
        })
        .unwrap();
    assert_eq!(got, p);
    assert_eq!(got["tags"][0]["key"], "team");
    // The path is part of the ARN: a wrong path names nothing.
    let e = w
        .q(PolicyQuery::Get {
            policy_arn: arn("ReadOnly"),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!(
            "Policy {} does not exist or is not attachable.",
            arn("ReadOnly")
        )
    );
    let v = w
        .q(PolicyQuery::GetVersion {
            policy_arn: team_arn.clone(),
            version_id: "v1".into(),
        })
        .unwrap();
    assert_eq!(v["document"], doc("s3:Get*"));
    assert_eq!(v["is_default_version"], true);

    // Names are unique case-insensitively, whatever the path.
    let e = w.err(create("readonly", "/", &doc("s3:*")));
    assert_eq!(e.code, ErrorCode::EntityAlreadyExists);
    assert_eq!(
        e.message,
        "A policy called readonly already exists. Duplicate names are not allowed."
    );

    w.policy("Other");
    assert_eq!(list_policies(&w, false, None), vec!["Other", "ReadOnly"]);
    let v = w
        .q(PolicyQuery::List {
            scope: Scope::Local,
            only_attached: false,
            path_prefix: "/team/".into(),
            policy_usage_filter: None,
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(names(&v["items"], "policy_name"), vec!["ReadOnly"]);
    let v = w
        .q(PolicyQuery::List {
            scope: Scope::Aws,
            only_attached: false,
            path_prefix: "/".into(),
            policy_usage_filter: None,
            page: PageRequest::default(),
        })
        .unwrap();
    assert!(v["items"].as_array().unwrap().is_empty());

    w.ok(PolicyOp::Delete {
        policy_arn: team_arn.clone(),
    });
    assert_eq!(w.counter("policies"), 1);
    assert_eq!(w.counter("policy-versions"), 1);
    let e = w.err(PolicyOp::Delete {
        policy_arn: team_arn,
    });
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
}

#[test]
fn create_policy_validates_its_input() {
    let mut w = World::new();
    for (op, code) in [
        (
            create("bad name", "/", &doc("s3:*")),
            ErrorCode::ValidationError,
        ),
        (
            create(&"n".repeat(129), "/", &doc("s3:*")),
            ErrorCode::ValidationError,
        ),
        (
            create("P", "/a*/", &doc("s3:*")),
            ErrorCode::ValidationError,
        ),
        (create("P", "a/", &doc("s3:*")), ErrorCode::ValidationError),
        (
            create("P", "/", "{not json"),
            ErrorCode::MalformedPolicyDocument,
        ),
        (
            create("P", "/", r#"{"Version":"2012-10-17","Statement":[]}"#),
            ErrorCode::MalformedPolicyDocument,
        ),
        (
            create("P", "/", &doc_of_size(6145)),
            ErrorCode::LimitExceeded,
        ),
    ] {
        assert_eq!(w.err(op.clone()).code, code, "{op:?}");
    }
    let long = PolicyOp::Create {
        policy_name: "P".into(),
        path: "/".into(),
        policy_document: doc("s3:*"),
        description: "d".repeat(1001),
        tags: vec![],
        policy_id: String::new(),
    };
    assert_eq!(w.err(long).code, ErrorCode::ValidationError);
    let tagged = PolicyOp::Create {
        policy_name: "P".into(),
        path: "/".into(),
        policy_document: doc("s3:*"),
        description: String::new(),
        tags: vec![tag("aws:x", "1")],
        policy_id: String::new(),
    };
    assert_eq!(w.err(tagged).code, ErrorCode::InvalidInput);
    // The largest allowed document is accepted.
    w.ok(create("Big", "/", &doc_of_size(6144)));
    assert_eq!(w.counter("policies"), 1);
}

#[test]
fn malformed_documents_get_aws_exact_messages() {
    // The API returns AWS's text alone; iamd's detail and location stay in iam-policy's
    // full message (shown by `iamctl policy validate`).
    let mut w = World::new();
    // Before the cluster runs the release with AWS's rules, every replica applies the
    // grammar alone: a managed policy without a Version is still stored there.
    let unversioned = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    w.ok(create("Old", "/", unversioned));
    w.request(Command::FinalizeRelease {
        release: iam_state::release::AWS_POLICY_RULES,
    })
    .unwrap();
    for (document, message) in [
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            "Policy document must be version 2012-10-17 or greater.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#,
            "Policy statement must contain actions.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"*"}}"#,
            "Actions/Condition can contain only one colon.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"a:b:c"}}"#,
            "Partition \"b\" is not valid for resource \"arn:b:c:*:*:*\".",
        ),
    ] {
        let e = w.err(create("P", "/", document));
        assert_eq!(e.code, ErrorCode::MalformedPolicyDocument, "{document}");
        assert_eq!(e.message, message, "{document}");
    }
}

#[test]
fn the_policy_quota_is_enforced() {
    let mut w = World::new();
    let mut raise = WriteSet::default();
    raise
        .ops
        .insert(keys::quota(A, "policies"), Some(b"2".to_vec()));
    w.s.commit(raise);
    w.policy("P1");
    w.policy("P2");
    let e = w.err(create("P3", "/", &doc("s3:*")));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerAccount: 2");
    w.ok(PolicyOp::Delete {
        policy_arn: arn("P1"),
    });
    w.policy("P3");
}

#[test]
fn policy_versions() {
    let mut w = World::new();
    w.policy("P");
    let p = arn("P");
    let cv = |d: &str, set_as_default: bool| PolicyOp::CreateVersion {
        policy_arn: arn("P"),
        policy_document: doc(d),
        set_as_default,
    };
    let v2 = w.ok(cv("s3:v2", false));
    assert_eq!(v2["version_id"], "v2");
    assert_eq!(v2["is_default_version"], false);
    assert!(v2.get("document").is_none());
    w.ok(cv("s3:v3", true));
    assert_eq!(w.get_policy("P")["default_version_id"], "v3");
    w.ok(cv("s3:v4", false));
    w.ok(cv("s3:v5", false));
    assert_eq!(w.counter("policy-versions"), 5);
    let e = w.err(cv("s3:v6", false));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(
        e.message,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
    );
    assert_eq!(
        w.err(PolicyOp::CreateVersion {
            policy_arn: p.clone(),
            policy_document: "{".into(),
            set_as_default: false
        })
        .code,
        ErrorCode::MalformedPolicyDocument
    );
    assert_eq!(
        w.err(PolicyOp::CreateVersion {
            policy_arn: arn("Nope"),
            policy_document: doc("s3:*"),
            set_as_default: false
        })
        .code,
        ErrorCode::NoSuchEntity
    );

    // The default version cannot be deleted; others can, and their numbers are not reused.
    let dv = |v: &str| PolicyOp::DeleteVersion {
        policy_arn: arn("P"),
        version_id: v.into(),
    };
    let e = w.err(dv("v3"));
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert_eq!(e.message, "Cannot delete the default version of a policy.");
    let e = w.err(dv("v9"));
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!("Policy {p} version v9 does not exist or is not attachable.")
    );
    assert_eq!(w.err(dv("x1")).code, ErrorCode::ValidationError);
    w.ok(dv("v5"));
    assert_eq!(w.counter("policy-versions"), 4);
    let v6 = w.ok(cv("s3:v6", false));
    assert_eq!(v6["version_id"], "v6");

    // List (by version number) and page.
    let l = w
        .q(PolicyQuery::ListVersions {
            policy_arn: p.clone(),
            page: page(3, None),
        })
        .unwrap();
    assert_eq!(names(&l["items"], "version_id"), vec!["v1", "v2", "v3"]);
    assert_eq!(l["is_truncated"], true);
    let l = w
        .q(PolicyQuery::ListVersions {
            policy_arn: p.clone(),
            page: page(3, l["marker"].as_str()),
        })
        .unwrap();
    assert_eq!(names(&l["items"], "version_id"), vec!["v4", "v6"]);
    assert_eq!(l["is_truncated"], false);

    // SetDefaultPolicyVersion.
    let sd = |v: &str| PolicyOp::SetDefaultVersion {
        policy_arn: arn("P"),
        version_id: v.into(),
    };
    assert_eq!(w.err(sd("v5")).code, ErrorCode::NoSuchEntity);
    w.ok(sd("v1"));
    let v = w
        .q(PolicyQuery::GetVersion {
            policy_arn: p.clone(),
            version_id: "v3".into(),
        })
        .unwrap();
    assert_eq!(v["is_default_version"], false);
    assert_eq!(v["document"], doc("s3:v3"));
    assert_eq!(
        w.q(PolicyQuery::GetVersion {
            policy_arn: p.clone(),
            version_id: "v5".into()
        })
        .unwrap_err()
        .code,
        ErrorCode::NoSuchEntity
    );

    // DeletePolicy needs the non-default versions gone first.
    let e = w.err(PolicyOp::Delete {
        policy_arn: p.clone(),
    });
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert!(e
        .message
        .starts_with("This policy has more than one version."));
    for v in ["v2", "v3", "v4", "v6"] {
        w.ok(dv(v));
    }
    w.ok(PolicyOp::Delete { policy_arn: p });
    assert_eq!(w.counter("policy-versions"), 0);
    assert_eq!(w.counter("policies"), 0);
}

#[test]
fn policy_tags() {
    let mut w = World::new();
    w.policy("P");
    let tag_op = |tags: Vec<Tag>| PolicyOp::Tag {
        policy_arn: arn("P"),
        tags,
    };
    w.ok(tag_op(vec![tag("b", "1"), tag("a", "2")]));
    // An existing key (any case) is overwritten.
    w.ok(tag_op(vec![tag("B", "3")]));
    let l = w
        .q(PolicyQuery::ListTags {
            policy_arn: arn("P"),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(
        l["items"],
        serde_json::json!([{"key": "B", "value": "3"}, {"key": "a", "value": "2"}])
    );
    let many: Vec<Tag> = (0..49).map(|i| tag(&format!("k{i}"), "v")).collect();
    let e = w.err(tag_op(many));
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(
        w.err(tag_op(vec![tag("aws:x", "v")])).code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        w.err(PolicyOp::Tag {
            policy_arn: arn("Nope"),
            tags: vec![tag("a", "b")]
        })
        .code,
        ErrorCode::NoSuchEntity
    );
    w.ok(PolicyOp::Untag {
        policy_arn: arn("P"),
        tag_keys: vec!["A".into(), "absent".into()],
    });
    assert_eq!(
        w.get_policy("P")["tags"],
        serde_json::json!([{"key": "B", "value": "3"}])
    );
    assert_eq!(
        w.err(PolicyOp::Untag {
            policy_arn: arn("P"),
            tag_keys: vec![String::new()]
        })
        .code,
        ErrorCode::ValidationError
    );
}
