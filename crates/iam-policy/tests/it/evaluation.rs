//! The evaluation logic page of the IAM User Guide as tests: deny beats allow, identity ∪
//! resource grants, ∩ boundary, ∩ session policy, direct grants to a user or session ARN,
//! trust policies, the account root; plus Action/Resource/Principal matching and the
//! statements an explanation reports.

use iam_policy::{
    explain, CompiledSet, Context, Layer, Policies, PolicyKind, Reason, Request, Verdict,
};

use crate::support::{both, decide, doc, identity, one, USER};

const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Dev/alice";
const ROLE: &str = "arn:aws:iam::111122223333:role/teams/Dev";
const ROOT: &str = "arn:aws:iam::111122223333:root";

fn allow(action: &str, resource: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#
    ))
}

fn resource_policy(effect: &str, principal: &str, action: &str) -> CompiledSet {
    let d = doc(&format!(
        r#"{{"Sid":"R","Effect":"{effect}","Principal":{principal},"Action":"{action}","Resource":"*"}}"#
    ));
    one(&d, PolicyKind::Resource)
}

#[test]
fn an_empty_policy_set_denies_implicitly() {
    let empty = CompiledSet::empty();
    let ctx = Context::new();
    let req = Request::new(USER, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    let (d, e) = both(&req, &Policies::new(&empty));
    assert_eq!(
        (d.verdict, d.reason, d.decided_by),
        (Verdict::ImplicitDeny, Reason::NoAllow, None)
    );
    assert!(e.matched.is_empty());
}

#[test]
fn explicit_deny_in_any_policy_beats_allows_in_others() {
    let user_policy = allow("s3:*", "*");
    let group_policy = doc(
        r#"{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"arn:aws:s3:::prod/*"}"#,
    );
    let set = identity(&[&user_policy, &group_policy]);
    let ctx = Context::new();
    let del = Request::new(USER, "s3:DeleteObject", "arn:aws:s3:::prod/x", &ctx);
    let (d, e) = both(&del, &Policies::new(&set));
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::ExplicitDeny, Reason::ExplicitDeny)
    );
    assert_eq!(e.matched.len(), 1);
    assert_eq!((&*e.matched[0].policy, e.matched[0].statement), ("p1", 0));
    assert_eq!(e.matched[0].sid.as_deref(), Some("NoDelete"));
    let get = Request::new(USER, "s3:GetObject", "arn:aws:s3:::prod/x", &ctx);
    assert_eq!(
        both(&get, &Policies::new(&set)).0.reason,
        Reason::IdentityAllow
    );
    let del_dev = Request::new(USER, "s3:DeleteObject", "arn:aws:s3:::dev/x", &ctx);
    assert_eq!(
        both(&del_dev, &Policies::new(&set)).0.verdict,
        Verdict::Allow
    );
}

#[test]
fn permissions_boundary_intersects_and_grants_nothing_alone() {
    let set = identity(&[&allow("s3:*", "*"), &allow("iam:*", "*")]);
    let boundary = one(&allow("s3:*", "*"), PolicyKind::Boundary);
    let bigger_boundary = one(&allow("*", "*"), PolicyKind::Boundary);
    let ctx = Context::new();
    let s3 = Request::new(USER, "s3:ListBucket", "arn:aws:s3:::b", &ctx);
    let iam = Request::new(
        USER,
        "iam:CreateUser",
        "arn:aws:iam::111122223333:user/x",
        &ctx,
    );
    let p = Policies::new(&set).boundary(&boundary);
    assert_eq!(both(&s3, &p).0.verdict, Verdict::Allow);
    let (d, e) = both(&iam, &p);
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::ImplicitDeny, Reason::BoundaryNoAllow)
    );
    assert_eq!(e.matched.len(), 1, "the identity allow is shown: {e:?}");
    assert_eq!(e.matched[0].layer, Layer::Identity);
    // The boundary alone allows nothing.
    let nothing = CompiledSet::empty();
    let alone = Policies::new(&nothing).boundary(&bigger_boundary);
    assert_eq!(both(&s3, &alone).0.reason, Reason::NoAllow);
    // A Deny in the boundary is an explicit deny.
    let deny_boundary = one(
        &doc(
            r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:ListBucket","Resource":"*"}"#,
        ),
        PolicyKind::Boundary,
    );
    assert_eq!(
        both(&s3, &Policies::new(&set).boundary(&deny_boundary))
            .0
            .verdict,
        Verdict::ExplicitDeny
    );
}

#[test]
fn session_policies_intersect_and_absence_means_no_limit() {
    let role_policies = identity(&[&allow("s3:*", "*"), &allow("dynamodb:*", "*")]);
    let session = one(&allow("s3:GetObject", "*"), PolicyKind::Session);
    let ctx = Context::new();
    let get = Request::new(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    let put = Request::new(SESSION, "s3:PutObject", "arn:aws:s3:::b/k", &ctx);
    assert_eq!(
        both(&put, &Policies::new(&role_policies)).0.verdict,
        Verdict::Allow
    );
    let p = Policies::new(&role_policies).session(&session);
    assert_eq!(both(&get, &p).0.verdict, Verdict::Allow);
    assert_eq!(both(&put, &p).0.reason, Reason::SessionNoAllow);
    // A federated-user session without a session policy has no permissions: an empty set.
    let none = CompiledSet::empty();
    let fed = Policies::new(&role_policies).session(&none);
    assert_eq!(both(&get, &fed).0.reason, Reason::SessionNoAllow);
}

#[test]
fn resource_grants_union_with_identity_and_direct_grants_skip_boundary_and_session() {
    let nothing = CompiledSet::empty();
    let boundary = one(&allow("ec2:*", "*"), PolicyKind::Boundary);
    let session = one(&allow("ec2:*", "*"), PolicyKind::Session);
    let ctx = Context::new();
    let user_req = Request::new(USER, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    let session_req = Request::new(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);

    // Granted to the user ARN: allowed without identity policy, despite the boundary.
    let to_user = resource_policy("Allow", &format!(r#"{{"AWS":"{USER}"}}"#), "s3:GetObject");
    let p = Policies::new(&nothing)
        .boundary(&boundary)
        .resource(&to_user);
    let (d, e) = both(&user_req, &p);
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::Allow, Reason::ResourceAllow { direct: true })
    );
    assert_eq!(
        e.matched.iter().map(|m| m.layer).collect::<Vec<_>>(),
        vec![Layer::Resource]
    );

    // Granted to the session ARN: not cut by the session policy either.
    let to_session = resource_policy(
        "Allow",
        &format!(r#"{{"AWS":"{SESSION}"}}"#),
        "s3:GetObject",
    );
    let p = Policies::new(&nothing)
        .boundary(&boundary)
        .session(&session)
        .resource(&to_session);
    assert_eq!(
        both(&session_req, &p).0.reason,
        Reason::ResourceAllow { direct: true }
    );

    // Granted to the role ARN: cut by the boundary and by the session policy.
    let to_role = resource_policy("Allow", &format!(r#"{{"AWS":"{ROLE}"}}"#), "s3:GetObject");
    assert_eq!(
        both(&session_req, &Policies::new(&nothing).resource(&to_role))
            .0
            .reason,
        Reason::ResourceAllow { direct: false }
    );
    let p = Policies::new(&nothing)
        .boundary(&boundary)
        .resource(&to_role);
    assert_eq!(both(&session_req, &p).0.reason, Reason::BoundaryNoAllow);
    let p = Policies::new(&nothing).session(&session).resource(&to_role);
    assert_eq!(both(&session_req, &p).0.reason, Reason::SessionNoAllow);

    // Granted to someone else: nothing.
    let other = resource_policy(
        "Allow",
        r#"{"AWS":"arn:aws:iam::111122223333:user/carol"}"#,
        "s3:GetObject",
    );
    assert_eq!(
        both(&user_req, &Policies::new(&nothing).resource(&other))
            .0
            .reason,
        Reason::NoAllow
    );

    // The account only delegates: no grant without an identity allow, and then it is an
    // identity grant (cut by the boundary). "*" is a grant to everyone that stands alone.
    let to_account = resource_policy("Allow", r#"{"AWS":"111122223333"}"#, "s3:GetObject");
    assert_eq!(
        both(&user_req, &Policies::new(&nothing).resource(&to_account))
            .0
            .reason,
        Reason::NoAllow
    );
    let to_everyone = resource_policy("Allow", r#""*""#, "s3:GetObject");
    let p = Policies::new(&nothing)
        .boundary(&boundary)
        .resource(&to_everyone);
    assert_eq!(
        both(&user_req, &p).0.reason,
        Reason::ResourceAllow { direct: true }
    );
}

#[test]
fn resource_policy_denies_apply_through_role_and_account() {
    let set = crate::support::identity(&[&allow("s3:*", "*")]);
    let ctx = Context::new();
    let session_req = Request::new(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    for principal in [
        format!(r#"{{"AWS":"{ROLE}"}}"#),
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#.into(),
        r#""*""#.into(),
    ] {
        let deny = resource_policy("Deny", &principal, "s3:*");
        let (d, e) = both(&session_req, &Policies::new(&set).resource(&deny));
        assert_eq!(d.verdict, Verdict::ExplicitDeny, "{principal}");
        assert_eq!(e.matched[0].layer, Layer::Resource);
    }
    let elsewhere = resource_policy("Deny", r#"{"AWS":"444455556666"}"#, "s3:*");
    assert_eq!(
        both(&session_req, &Policies::new(&set).resource(&elsewhere))
            .0
            .verdict,
        Verdict::Allow
    );
}

#[test]
fn not_principal_excludes_the_listed_principals() {
    let set = identity(&[&allow("s3:*", "*")]);
    let deny_all_but_bob = one(
        &doc(&format!(
            r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":["{USER}","arn:aws:iam::111122223333:root"]}},"Action":"s3:*","Resource":"*"}}"#
        )),
        PolicyKind::Resource,
    );
    let deny_all_but_bob_only = one(
        &doc(&format!(
            r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":"{USER}"}},"Action":"s3:*","Resource":"*"}}"#
        )),
        PolicyKind::Resource,
    );
    let ctx = Context::new();
    let bob = Request::new(USER, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    let alice = Request::new(
        "arn:aws:iam::444455556666:user/alice",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        &ctx,
    );
    let carol = Request::new(
        "arn:aws:iam::111122223333:user/carol",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        &ctx,
    );
    assert_eq!(
        both(&bob, &Policies::new(&set).resource(&deny_all_but_bob))
            .0
            .verdict,
        Verdict::Allow
    );
    assert_eq!(
        both(&alice, &Policies::new(&set).resource(&deny_all_but_bob))
            .0
            .verdict,
        Verdict::ExplicitDeny
    );
    assert_eq!(
        both(
            &carol,
            &Policies::new(&set).resource(&deny_all_but_bob_only)
        )
        .0
        .verdict,
        Verdict::ExplicitDeny
    );
    assert_eq!(
        both(&bob, &Policies::new(&set).resource(&deny_all_but_bob_only))
            .0
            .verdict,
        Verdict::Allow
    );
}

#[test]
fn trust_policies_must_allow_the_caller_themselves() {
    let trust = |principal: &str| {
        one(
            &doc(&format!(
                r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}"#
            )),
            PolicyKind::Trust,
        )
    };
    let ctx = Context::new();
    let assume = Request::new(USER, "sts:AssumeRole", ROLE, &ctx);
    let nothing = CompiledSet::empty();
    let may_assume = identity(&[&allow("sts:AssumeRole", "*")]);
    // Named directly: no identity policy needed.
    let direct = trust(&format!(r#"{{"AWS":"{USER}"}}"#));
    assert_eq!(
        both(&assume, &Policies::new(&nothing).resource(&direct))
            .0
            .verdict,
        Verdict::Allow
    );
    // Named through the account: the identity policy must allow too.
    let account = trust(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#);
    assert_eq!(
        both(&assume, &Policies::new(&nothing).resource(&account))
            .0
            .reason,
        Reason::NoAllow
    );
    assert_eq!(
        both(&assume, &Policies::new(&may_assume).resource(&account))
            .0
            .verdict,
        Verdict::Allow
    );
    // Not named: the identity policy alone is not enough.
    let other = trust(r#"{"Service":"ec2.amazonaws.com"}"#);
    let (d, _) = both(&assume, &Policies::new(&may_assume).resource(&other));
    assert_eq!(
        (d.verdict, d.reason),
        (Verdict::ImplicitDeny, Reason::TrustPolicyNoAllow)
    );
    // A service principal named in the trust policy may assume.
    let svc = Request::new("ec2.amazonaws.com", "sts:AssumeRole", ROLE, &ctx);
    assert_eq!(
        both(&svc, &Policies::new(&nothing).resource(&other))
            .0
            .verdict,
        Verdict::Allow
    );
}

#[test]
fn the_account_root_is_always_allowed() {
    let deny = identity(&[&doc(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#)]);
    let ctx = Context::new();
    let req = Request::new(
        ROOT,
        "iam:DeleteUser",
        "arn:aws:iam::111122223333:user/x",
        &ctx,
    );
    assert!(req.is_account_root);
    let (d, e) = both(&req, &Policies::new(&deny));
    assert_eq!((d.verdict, d.reason), (Verdict::Allow, Reason::AccountRoot));
    assert_eq!(e.matched.len(), 1, "matched statements are still reported");
    let mut not_root = req;
    not_root.is_account_root = false;
    assert_eq!(
        both(&not_root, &Policies::new(&deny)).0.verdict,
        Verdict::ExplicitDeny
    );
}

#[test]
fn actions_ignore_case_and_take_wildcards() {
    let ctx = Context::new();
    let p = allow("iam:*AccessKey*", "*");
    for (action, want) in [
        ("iam:CreateAccessKey", Verdict::Allow),
        ("IAM:listaccesskeys", Verdict::Allow),
        ("iam:UpdateAccessKeyLastUsed", Verdict::Allow),
        ("iam:ListUsers", Verdict::ImplicitDeny),
        ("sts:CreateAccessKey", Verdict::ImplicitDeny),
    ] {
        assert_eq!(decide(&[&p], action, "*", &ctx), want, "{action}");
    }
    assert_eq!(
        decide(&[&allow("s3:Get?bject", "*")], "s3:getobject", "*", &ctx),
        Verdict::Allow
    );
    assert_eq!(
        decide(&[&allow("*", "*")], "anything:AtAll", "*", &ctx),
        Verdict::Allow
    );
    assert_eq!(
        decide(&[&allow("S3:GetObject", "*")], "s3:GetObjectAcl", "*", &ctx),
        Verdict::ImplicitDeny
    );
}

#[test]
fn resources_are_case_sensitive_and_arn_aware() {
    let ctx = Context::new();
    let p = allow("iam:*", "arn:aws:iam::111122223333:user/accounting/*");
    let run = |resource: &str| decide(&[&p], "iam:GetUser", resource, &ctx);
    assert_eq!(
        run("arn:aws:iam::111122223333:user/accounting/bob"),
        Verdict::Allow
    );
    assert_eq!(
        run("arn:aws:iam::111122223333:user/accounting/east/bob"),
        Verdict::Allow
    );
    assert_eq!(
        run("arn:aws:iam::111122223333:user/Accounting/bob"),
        Verdict::ImplicitDeny
    );
    assert_eq!(
        run("arn:aws:iam::444455556666:user/accounting/bob"),
        Verdict::ImplicitDeny
    );
    let any_account = allow("s3:*", "arn:aws:s3:::bucket/*/test/*");
    assert_eq!(
        decide(
            &[&any_account],
            "s3:GetObject",
            "arn:aws:s3:::bucket/1/2/test/3/x",
            &ctx
        ),
        Verdict::Allow
    );
    assert_eq!(
        decide(
            &[&any_account],
            "s3:GetObject",
            "arn:aws:s3:::bucket/test",
            &ctx
        ),
        Verdict::ImplicitDeny
    );
    let regional = allow("dynamodb:*", "arn:aws:dynamodb:*:111122223333:table/Books");
    assert_eq!(
        decide(
            &[&regional],
            "dynamodb:GetItem",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/Books",
            &ctx
        ),
        Verdict::Allow
    );
    assert_eq!(
        decide(
            &[&regional],
            "dynamodb:GetItem",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/Books2",
            &ctx
        ),
        Verdict::ImplicitDeny
    );
}

#[test]
fn not_action_and_not_resource() {
    let ctx = Context::new();
    // "Allow everything except IAM" (NotAction with Allow).
    let all_but_iam = doc(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#);
    assert_eq!(
        decide(&[&all_but_iam], "s3:GetObject", "*", &ctx),
        Verdict::Allow
    );
    assert_eq!(
        decide(&[&all_but_iam], "IAM:CreateUser", "*", &ctx),
        Verdict::ImplicitDeny
    );
    // "Deny everything outside one bucket" (NotResource with Deny).
    let only_bucket = doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},
           {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#);
    assert_eq!(
        decide(&[&only_bucket], "s3:GetObject", "arn:aws:s3:::b/k", &ctx),
        Verdict::Allow
    );
    assert_eq!(
        decide(&[&only_bucket], "s3:ListBucket", "arn:aws:s3:::b", &ctx),
        Verdict::Allow
    );
    assert_eq!(
        decide(
            &[&only_bucket],
            "s3:GetObject",
            "arn:aws:s3:::other/k",
            &ctx
        ),
        Verdict::ExplicitDeny
    );
    // Deny with NotAction: everything but the listed actions is denied.
    let only_reads = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"},
           {"Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"*"}"#);
    assert_eq!(
        decide(&[&only_reads], "s3:ListBucket", "*", &ctx),
        Verdict::Allow
    );
    assert_eq!(
        decide(&[&only_reads], "ec2:RunInstances", "*", &ctx),
        Verdict::ExplicitDeny
    );
}

#[test]
fn explanations_list_allowing_statements_of_every_layer_in_order() {
    let set = identity(&[
        &doc(r#"{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        &doc(
            r#"{"Sid":"B","Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Sid":"C","Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#,
        ),
    ]);
    let boundary = one(
        &doc(r#"{"Sid":"Bound","Effect":"Allow","Action":"*","Resource":"*"}"#),
        PolicyKind::Boundary,
    );
    let ctx = Context::new();
    let req = Request::new(USER, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    let e = explain(&req, &Policies::new(&set).boundary(&boundary));
    let got: Vec<_> = e
        .matched
        .iter()
        .map(|m| (m.layer, m.policy.to_string(), m.statement, m.sid.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Layer::Identity, "p0".into(), 0, Some("A".into())),
            (Layer::Identity, "p1".into(), 1, Some("C".into())),
            (Layer::Boundary, "p".into(), 0, Some("Bound".into())),
        ]
    );
}
