//! Decisions from the state: user inline, group managed, boundary cut, explicit deny, roles
//! and sessions, principal context keys, the account root, errors, and `simulate`.

mod common;

use common::*;
use iam_authz::{AuthzDecision::*, AuthzIndex, SimulateRequest, SourceKind};
use iam_model::ErrorCode;

#[test]
fn user_inline_policy_allows_only_what_it_names() {
    let mut w = World::new();
    let mut u = user("bob");
    u.inline_policies
        .insert("ReadS3".into(), allow("s3:GetObject", "*"));
    w.user(&u);
    let ix = AuthzIndex::new();
    let a = answer(
        &ix,
        &w.store,
        &user_arn("bob"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    );
    assert_eq!(a.decision, Allowed);
    let by = a.decided_by.unwrap();
    assert_eq!(by.layer, "identity");
    assert_eq!(by.policy, "user/bob/inline/ReadS3");
    assert_eq!(by.sid.as_deref(), Some("A"));
    assert_eq!(by.source.unwrap().kind, SourceKind::UserInline);
    assert_eq!(a.principal.principal_type, "User");
    assert_eq!(a.principal.policy_count, 1);
    let a = answer(&ix, &w.store, &user_arn("bob"), "s3:PutObject", "*");
    assert_eq!(a.decision, ImplicitDeny);
    assert!(a.decided_by.is_none());
    assert_eq!(a.reason, iam_policy::Reason::NoAllow.describe());
}

#[test]
fn group_managed_policy_applies_to_members() {
    let mut w = World::new();
    w.policy(&policy("Ec2Read", &[&allow("ec2:Describe*", "*")], 1));
    let mut g = group("Devs");
    g.attached_policies.push(policy_arn("Ec2Read"));
    w.group(&g);
    let mut u = user("ann");
    u.groups.push("Devs".into());
    w.user(&u);
    w.user(&user("carl"));
    let ix = AuthzIndex::new();
    let a = answer(
        &ix,
        &w.store,
        &user_arn("ann"),
        "EC2:DescribeInstances",
        "*",
    );
    assert_eq!(a.decision, Allowed);
    let src = a.decided_by.unwrap().source.unwrap();
    assert_eq!(src.kind, SourceKind::Managed);
    assert_eq!(src.via.as_deref(), Some("group/Devs"));
    assert_eq!(src.version.as_deref(), Some("v1"));
    assert_eq!(
        decide(
            &ix,
            &w.store,
            &user_arn("carl"),
            "ec2:DescribeInstances",
            "*"
        ),
        ImplicitDeny
    );
}

#[test]
fn the_boundary_cuts_what_identity_policies_grant() {
    let mut w = World::new();
    w.policy(&policy("S3Only", &[&allow("s3:*", "*")], 1));
    let mut u = user("dev");
    u.inline_policies.insert("Admin".into(), allow("*", "*"));
    u.permissions_boundary = Some(policy_arn("S3Only"));
    w.user(&u);
    let ix = AuthzIndex::new();
    assert_eq!(
        decide(&ix, &w.store, &user_arn("dev"), "s3:GetObject", "*"),
        Allowed
    );
    let a = answer(&ix, &w.store, &user_arn("dev"), "iam:CreateUser", "*");
    assert_eq!(a.decision, ImplicitDeny);
    assert_eq!(a.reason, iam_policy::Reason::BoundaryNoAllow.describe());
    assert!(a.principal.has_boundary);
    // A boundary that names a missing policy allows nothing.
    let mut v = user("eve");
    v.inline_policies.insert("Admin".into(), allow("*", "*"));
    v.permissions_boundary = Some(policy_arn("Gone"));
    w.user(&v);
    let a = answer(&ix, &w.store, &user_arn("eve"), "s3:GetObject", "*");
    assert_eq!(a.decision, ImplicitDeny);
    assert_eq!(a.principal.unresolved_policies, vec![policy_arn("Gone")]);
}

#[test]
fn an_explicit_deny_anywhere_wins() {
    let mut w = World::new();
    let mut g = group("NoIam");
    g.inline_policies.insert("Deny".into(), deny("iam:*"));
    w.group(&g);
    let mut u = user("bob");
    u.inline_policies.insert("Admin".into(), allow("*", "*"));
    u.groups.push("NoIam".into());
    w.user(&u);
    let ix = AuthzIndex::new();
    let mut req = ask(&user_arn("bob"), "iam:DeleteUser", "*");
    req.with_explanation = true;
    let a = ix.authorize(&w.store, &req).unwrap();
    assert_eq!(a.decision, ExplicitDeny);
    assert_eq!(
        a.decided_by.as_ref().unwrap().policy,
        "group/NoIam/inline/Deny"
    );
    assert_eq!(a.matched.len(), 1);
    assert_eq!(a.matched[0].effect, "Deny");
    assert_eq!(
        a.matched[0].source.as_ref().unwrap().kind,
        SourceKind::GroupInline
    );
    assert_eq!(
        decide(&ix, &w.store, &user_arn("bob"), "s3:ListBucket", "*"),
        Allowed
    );
}

#[test]
fn principal_keys_come_from_the_state_not_the_caller() {
    let mut w = World::new();
    let mut u = user("bob");
    u.tags.push(tag("team", "blue"));
    u.inline_policies.insert(
        "Home".into(),
        allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"),
    );
    u.inline_policies.insert(
        "Team".into(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:StartInstances","Resource":"*",
            "Condition":{"StringEquals":{"aws:PrincipalTag/Team":"blue","aws:PrincipalType":"User"},
                         "IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#
            .into(),
    );
    w.user(&u);
    let ix = AuthzIndex::new();
    let bob = user_arn("bob");
    assert_eq!(
        decide(
            &ix,
            &w.store,
            &bob,
            "s3:GetObject",
            "arn:aws:s3:::home/bob/x"
        ),
        Allowed
    );
    assert_eq!(
        decide(
            &ix,
            &w.store,
            &bob,
            "s3:GetObject",
            "arn:aws:s3:::home/alice/x"
        ),
        ImplicitDeny
    );
    let mut req = ask(&bob, "ec2:StartInstances", "*");
    req.context = vec![("aws:SourceIp".into(), vec!["10.1.2.3".into()])];
    assert_eq!(ix.authorize(&w.store, &req).unwrap().decision, Allowed);
    req.context = vec![("aws:SourceIp".into(), vec!["192.168.0.1".into()])];
    assert_eq!(ix.authorize(&w.store, &req).unwrap().decision, ImplicitDeny);
    // A caller cannot spoof principal keys.
    let mut spoof = ask(&bob, "s3:GetObject", "arn:aws:s3:::home/alice/x");
    spoof.context = vec![("AWS:UserName".into(), vec!["alice".into()])];
    assert_eq!(
        ix.authorize(&w.store, &spoof).unwrap().decision,
        ImplicitDeny
    );
    let mut u2 = user("red");
    u2.tags.push(tag("team", "red"));
    u2.inline_policies = u.inline_policies.clone();
    w.user(&u2);
    let mut spoof = ask(&user_arn("red"), "ec2:StartInstances", "*");
    spoof.context = vec![
        ("aws:SourceIp".into(), vec!["10.1.2.3".into()]),
        ("aws:PrincipalTag/team".into(), vec!["blue".into()]),
    ];
    assert_eq!(
        ix.authorize(&w.store, &spoof).unwrap().decision,
        ImplicitDeny
    );
}

#[test]
fn roles_and_their_sessions_are_assumed_role_principals() {
    let mut w = World::new();
    let mut r = role("Ops");
    r.inline_policies.insert(
        "Ops".into(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*",
            "Condition":{"StringEquals":{"aws:PrincipalType":"AssumedRole"},
                         "StringLike":{"aws:userid":"AROA*:night-shift"}}}]}"#
            .into(),
    );
    w.role(&r);
    let ix = AuthzIndex::new();
    let session = format!("arn:aws:sts::{A}:assumed-role/Ops/night-shift");
    let a = answer(&ix, &w.store, &session, "ssm:SendCommand", "*");
    assert_eq!(a.decision, Allowed);
    assert_eq!(a.principal.principal_type, "AssumedRole");
    assert_eq!(
        decide(
            &ix,
            &w.store,
            &format!("arn:aws:sts::{A}:assumed-role/Ops/day"),
            "ssm:SendCommand",
            "*"
        ),
        ImplicitDeny
    );
    assert_eq!(
        decide(&ix, &w.store, &role_arn("Ops"), "ssm:SendCommand", "*"),
        ImplicitDeny
    );
    assert_eq!(
        ix.stats().principal_loads,
        1,
        "sessions share the role's entry"
    );
}

#[test]
fn session_tags_override_the_role_s_tags_for_its_sessions_only() {
    let mut w = World::new();
    let mut r = role("Ops");
    r.tags.push(tag("Team", "blue"));
    r.inline_policies.insert(
        "Team".into(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::${aws:PrincipalTag/team}/*"}]}"#
            .into(),
    );
    w.role(&r);
    let ix = AuthzIndex::new();
    let session = format!("arn:aws:sts::{A}:assumed-role/Ops/s1");
    let mut req = ask(&session, "s3:GetObject", "arn:aws:s3:::blue/x");
    assert_eq!(ix.authorize(&w.store, &req).unwrap().decision, Allowed);
    // A session tag of the same key (any spelling) replaces the role's.
    req.session_tags = vec![("TEAM".into(), "red".into())];
    assert_eq!(ix.authorize(&w.store, &req).unwrap().decision, ImplicitDeny);
    req.resource = "arn:aws:s3:::red/x".into();
    assert_eq!(ix.authorize(&w.store, &req).unwrap().decision, Allowed);
    // The role itself (no session) keeps its own tags.
    let mut own = ask(&role_arn("Ops"), "s3:GetObject", "arn:aws:s3:::red/x");
    own.session_tags = vec![("team".into(), "red".into())];
    assert_eq!(ix.authorize(&w.store, &own).unwrap().decision, ImplicitDeny);
}

#[test]
fn the_root_is_allowed_in_its_account_and_errors_are_clear() {
    let mut w = World::new();
    w.user(&user("bob"));
    let ix = AuthzIndex::new();
    let root = format!("arn:aws:iam::{A}:root");
    let a = answer(&ix, &w.store, &root, "iam:DeleteAccount", "*");
    assert_eq!(a.decision, Allowed);
    assert_eq!(a.principal.principal_type, "Account");
    assert_eq!(
        decide(
            &ix,
            &w.store,
            &root,
            "iam:GetUser",
            "arn:aws:iam::210987654321:user/x"
        ),
        ImplicitDeny
    );
    let err = |p: &str| {
        ix.authorize(&w.store, &ask(p, "s3:GetObject", "*"))
            .unwrap_err()
    };
    assert_eq!(err(&user_arn("nobody")).code, ErrorCode::NoSuchEntity);
    assert_eq!(err(&role_arn("nobody")).code, ErrorCode::NoSuchEntity);
    assert_eq!(
        err(&format!("arn:aws:iam::{A}:user/wrong/path/bob")).code,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(
        err("arn:aws:iam::210987654321:root").code,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(
        err("arn:aws:iam::210987654321:user/bob").code,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(err("bob").code, ErrorCode::InvalidInput);
    let e = ix
        .authorize(&w.store, &ask(&user_arn("bob"), "", "*"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn resources_of_another_account_are_implicitly_denied() {
    let mut w = World::new();
    let mut u = user("bob");
    u.inline_policies
        .insert("All".into(), allow("iam:GetUser", "*"));
    w.user(&u);
    let ix = AuthzIndex::new();
    let a = answer(
        &ix,
        &w.store,
        &user_arn("bob"),
        "iam:GetUser",
        "arn:aws:iam::210987654321:user/x",
    );
    assert_eq!(a.decision, ImplicitDeny);
    assert!(a.reason.contains("another account"), "{}", a.reason);
    assert_eq!(
        decide(
            &ix,
            &w.store,
            &user_arn("bob"),
            "iam:GetUser",
            &user_arn("x")
        ),
        Allowed
    );
}

#[test]
fn a_corrupt_stored_document_is_an_error_not_an_allow() {
    let mut w = World::new();
    let mut u = user("bob");
    u.inline_policies.insert("Bad".into(), "{not json".into());
    w.user(&u);
    let ix = AuthzIndex::new();
    let e = ix
        .authorize(&w.store, &ask(&user_arn("bob"), "s3:GetObject", "*"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PolicyEvaluation);
    assert!(e.message.contains("user/bob/inline/Bad"), "{}", e.message);
}

#[test]
fn aws_managed_and_missing_policies_grant_nothing() {
    let mut w = World::new();
    let mut u = user("bob");
    u.attached_policies
        .push("arn:aws:iam::aws:policy/AdministratorAccess".into());
    u.attached_policies.push(policy_arn("Deleted"));
    w.user(&u);
    let ix = AuthzIndex::new();
    let a = answer(&ix, &w.store, &user_arn("bob"), "s3:GetObject", "*");
    assert_eq!(a.decision, ImplicitDeny);
    assert_eq!(a.principal.unresolved_policies.len(), 2);
}

#[test]
fn simulate_covers_actions_by_resources_and_custom_documents() {
    let mut w = World::new();
    let mut u = user("bob");
    u.inline_policies
        .insert("S3".into(), allow("s3:GetObject", "arn:aws:s3:::pub/*"));
    w.user(&u);
    let ix = AuthzIndex::new();
    let req = SimulateRequest {
        principal_arn: Some(user_arn("bob")),
        actions: vec!["s3:GetObject".into(), "s3:PutObject".into()],
        resources: vec!["arn:aws:s3:::pub/a".into(), "arn:aws:s3:::priv/a".into()],
        context: vec![],
        policy_documents: None,
        boundary_document: None,
        with_explanation: true,
        session_tags: vec![],
    };
    let r = ix.simulate(&w.store, &req).unwrap();
    let got: Vec<_> = r
        .results
        .iter()
        .map(|x| (x.action.as_str(), x.resource.as_str(), x.decision))
        .collect();
    assert_eq!(
        got,
        vec![
            ("s3:GetObject", "arn:aws:s3:::pub/a", Allowed),
            ("s3:GetObject", "arn:aws:s3:::priv/a", ImplicitDeny),
            ("s3:PutObject", "arn:aws:s3:::pub/a", ImplicitDeny),
            ("s3:PutObject", "arn:aws:s3:::priv/a", ImplicitDeny),
        ]
    );
    assert_eq!(r.results[0].matched.len(), 1);
    assert_eq!(r.principal.unwrap().name.as_deref(), Some("bob"));
    // Custom documents replace the principal's; the principal still supplies its keys.
    let custom = SimulateRequest {
        actions: vec!["s3:PutObject".into(), "iam:CreateUser".into()],
        resources: vec!["arn:aws:s3:::home/bob/x".into()],
        policy_documents: Some(vec![allow("*", "arn:aws:s3:::home/${aws:username}/*")]),
        boundary_document: Some(allow("s3:*", "*")),
        with_explanation: false,
        ..req.clone()
    };
    let r = ix.simulate(&w.store, &custom).unwrap();
    assert_eq!(r.results[0].decision, Allowed);
    assert_eq!(
        r.results[0]
            .decided_by
            .as_ref()
            .unwrap()
            .source
            .as_ref()
            .unwrap()
            .kind,
        SourceKind::Custom
    );
    assert_eq!(r.results[1].decision, ImplicitDeny);
    // Without a principal.
    let anon = SimulateRequest {
        principal_arn: None,
        resources: vec![],
        ..custom.clone()
    };
    let r = ix.simulate(&w.store, &anon).unwrap();
    assert_eq!(r.results.len(), 2);
    assert!(r.principal.is_none());
    // Errors.
    let bad = SimulateRequest {
        policy_documents: Some(vec!["{".into()]),
        ..custom.clone()
    };
    assert_eq!(
        ix.simulate(&w.store, &bad).unwrap_err().code,
        ErrorCode::MalformedPolicyDocument
    );
    let none = SimulateRequest {
        principal_arn: None,
        policy_documents: None,
        ..custom.clone()
    };
    assert_eq!(
        ix.simulate(&w.store, &none).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let many = SimulateRequest {
        actions: (0..101).map(|i| format!("s3:A{i}")).collect(),
        resources: (0..10).map(|i| format!("arn:aws:s3:::b{i}")).collect(),
        ..custom.clone()
    };
    assert_eq!(
        ix.simulate(&w.store, &many).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let empty = SimulateRequest {
        actions: vec![],
        ..custom
    };
    assert_eq!(
        ix.simulate(&w.store, &empty).unwrap_err().code,
        ErrorCode::InvalidInput
    );
}

#[test]
fn answers_serialize_with_the_documented_decision_names() {
    let mut w = World::new();
    w.user(&user("bob"));
    let ix = AuthzIndex::new();
    let a = answer(&ix, &w.store, &user_arn("bob"), "s3:GetObject", "*");
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["decision"], "implicitDeny");
    assert_eq!(v["principal"]["principal_type"], "User");
    let req: iam_authz::AuthzRequest = serde_json::from_value(serde_json::json!({
        "principal_arn": user_arn("bob"), "action": "s3:GetObject",
        "context": [["aws:SourceIp", ["10.0.0.1"]]]
    }))
    .unwrap();
    assert_eq!(req.resource, "*");
    assert!(!req.with_explanation);
}

/// `authorize_with`: a role's trust policy and the caller's session policies evaluated with
/// the principal's own policies, by AWS's rules per principal form.
#[test]
fn trust_and_session_layers_follow_the_principal_form() {
    use iam_authz::Layers;
    use iam_policy::{parse, CompiledSet, PolicyKind};
    use std::sync::Arc;
    let mut w = World::new();
    let mut app = role("app");
    app.inline_policies
        .insert("Assume".into(), allow("sts:AssumeRole", "*"));
    w.role(&app);
    w.role(&role("bare"));
    let set = |doc: String, kind| CompiledSet::new([("p", Arc::new(parse(&doc, kind).unwrap()))]);
    let trust = |principal: &str| {
        set(
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
            ),
            PolicyKind::Trust,
        )
    };
    let only_get_user = set(allow("iam:GetUser", "*"), PolicyKind::Session);
    let ix = AuthzIndex::new();
    let target = role_arn("target");
    let session = |r: &str| format!("arn:aws:sts::{A}:assumed-role/{r}/s1");
    let run = |who: &str, t: &CompiledSet, s: Option<&CompiledSet>| {
        let layers = Layers {
            resource: Some(t),
            session: s,
        };
        ix.authorize_with(&w.store, &ask(who, "sts:AssumeRole", &target), layers)
            .unwrap()
    };
    // Named by the role ARN: no identity allow needed, but the session policy cuts it.
    let by_role = trust(&role_arn("bare"));
    assert_eq!(run(&session("bare"), &by_role, None).decision, Allowed);
    let a = run(&session("bare"), &by_role, Some(&only_get_user));
    assert_eq!(a.decision, ImplicitDeny);
    assert_eq!(a.reason, iam_policy::Reason::SessionNoAllow.describe());
    // Named by the account: a delegation, the identity policies must allow.
    let by_account = trust(&format!("arn:aws:iam::{A}:root"));
    assert_eq!(
        run(&session("bare"), &by_account, None).decision,
        ImplicitDeny
    );
    let a = run(&session("app"), &by_account, None);
    assert_eq!(a.decision, Allowed);
    assert_eq!(a.decided_by.unwrap().layer, "identity");
    assert_eq!(
        run(&session("app"), &by_account, Some(&only_get_user)).decision,
        ImplicitDeny
    );
    // Named by the session ARN itself: stands alone, even against the session policy.
    let by_session = trust(&session("bare"));
    let a = run(&session("bare"), &by_session, Some(&only_get_user));
    assert_eq!(a.decision, Allowed);
    assert_eq!(a.decided_by.unwrap().layer, "resource");
    // Not named: nothing, whatever the identity policies say.
    assert_eq!(
        run(&session("app"), &trust(&role_arn("other")), None).decision,
        ImplicitDeny
    );
}

#[test]
fn a_foreign_resource_with_its_policy_needs_both_sides() {
    use iam_authz::Layers;
    use iam_policy::{parse, CompiledSet, PolicyKind};
    use std::sync::Arc;
    let mut w = World::new();
    let mut amy = user("amy");
    amy.inline_policies
        .insert("Assume".into(), allow("sts:AssumeRole", "*"));
    w.user(&amy);
    w.user(&user("ned"));
    let ix = AuthzIndex::new();
    let foreign_role = "arn:aws:iam::210987654321:role/auditor";
    let trust = CompiledSet::new([(
        "trust",
        Arc::new(
            parse(
                &format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["{A}","{}"]}},"Action":"sts:AssumeRole"}}]}}"#, user_arn("ned")),
                PolicyKind::Trust,
            )
            .unwrap(),
        ),
    )]);
    let layers = Layers {
        resource: Some(&trust),
        session: None,
    };
    let run = |who: &str| {
        ix.authorize_with(&w.store, &ask(who, "sts:AssumeRole", foreign_role), layers)
            .unwrap()
            .decision
    };
    assert_eq!(run(&user_arn("amy")), Allowed);
    // Named by ARN, but across accounts its own side must allow too.
    assert_eq!(run(&user_arn("ned")), ImplicitDeny);
    // Without the resource's policy a foreign resource is refused as before.
    assert_eq!(
        decide(
            &ix,
            &w.store,
            &user_arn("amy"),
            "sts:AssumeRole",
            foreign_role
        ),
        ImplicitDeny
    );
}
