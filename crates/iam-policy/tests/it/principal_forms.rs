//! Every principal form a resource-based policy can name, against every combination of the
//! caller's other policy layers, as the IAM User Guide's "Policy evaluation logic" page
//! tabulates them ("Resource-based policies and implicit denies in other policy types") and
//! "AWS JSON policy elements: Principal" describes them:
//!
//! | named in the resource policy | identity allow needed | cut by boundary | cut by session policy |
//! |---|---|---|---|
//! | the caller's user ARN | no | no | (no session) |
//! | the caller's role session ARN | no | no | no |
//! | the caller's role ARN | no | yes | yes |
//! | the caller's account (delegation) | yes | yes | yes |
//! | `"*"` | no | no | no |
//! | nobody the caller is | yes | yes | yes |
//!
//! A role trust policy must name the caller itself; across accounts both the resource
//! policy (any form) and the caller's own side must allow.

use iam_policy::{CompiledSet, Context, Policies, PolicyKind, Reason, Request, Verdict};

use crate::support::{both, doc, identity, one, USER};

const ROLE: &str = "arn:aws:iam::111122223333:role/teams/Dev";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Dev/alice";
const ACCOUNT: &str = "arn:aws:iam::111122223333:root";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    UserArn,
    SessionArn,
    RoleArn,
    Account,
    AccountId,
    Everyone,
    Nobody,
}

impl Form {
    fn principal(self) -> String {
        match self {
            Form::UserArn => format!(r#"{{"AWS":"{USER}"}}"#),
            Form::SessionArn => format!(r#"{{"AWS":"{SESSION}"}}"#),
            Form::RoleArn => format!(r#"{{"AWS":"{ROLE}"}}"#),
            Form::Account => format!(r#"{{"AWS":"{ACCOUNT}"}}"#),
            Form::AccountId => r#"{"AWS":"111122223333"}"#.to_owned(),
            Form::Everyone => r#""*""#.to_owned(),
            Form::Nobody => r#"{"AWS":"arn:aws:iam::111122223333:user/carol"}"#.to_owned(),
        }
    }

    /// (needs an identity allow, cut by the boundary, cut by the session policy) for a
    /// caller this form names (or fails to name).
    fn rule(self) -> (bool, bool, bool) {
        match self {
            Form::UserArn | Form::SessionArn | Form::Everyone => (false, false, false),
            Form::RoleArn => (false, true, true),
            Form::Account | Form::AccountId | Form::Nobody => (true, true, true),
        }
    }
}

fn allow(action: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"*"}}"#
    ))
}

/// (identity, boundary, session) sets for one combination: each layer absent, allowing or
/// not allowing `action`.
struct Layers {
    identity: CompiledSet,
    boundary: Option<CompiledSet>,
    session: Option<CompiledSet>,
}

fn layers(action: &str, id: bool, boundary: Option<bool>, session: Option<bool>) -> Layers {
    let set = |ok: bool, kind| one(&allow(if ok { action } else { "ec2:*" }), kind);
    Layers {
        identity: if id {
            identity(&[&allow(action)])
        } else {
            CompiledSet::empty()
        },
        boundary: boundary.map(|ok| set(ok, PolicyKind::Boundary)),
        session: session.map(|ok| set(ok, PolicyKind::Session)),
    }
}

fn policies<'a>(l: &'a Layers, resource: &'a CompiledSet) -> Policies<'a> {
    let mut p = Policies::new(&l.identity).resource(resource);
    p.boundary = l.boundary.as_ref();
    p.session = l.session.as_ref();
    p
}

const FORMS: [Form; 7] = [
    Form::UserArn,
    Form::SessionArn,
    Form::RoleArn,
    Form::Account,
    Form::AccountId,
    Form::Everyone,
    Form::Nobody,
];

/// Every combination of (identity allows?, boundary absent/allows/denies, session
/// absent/allows/denies).
fn combinations() -> Vec<(bool, Option<bool>, Option<bool>)> {
    let opts = [None, Some(true), Some(false)];
    let mut out = Vec::new();
    for id in [false, true] {
        for b in opts {
            for s in opts {
                out.push((id, b, s));
            }
        }
    }
    out
}

fn expected(rule: (bool, bool, bool), id: bool, b: Option<bool>, s: Option<bool>) -> bool {
    let (needs_id, cut_b, cut_s) = rule;
    (!needs_id || id) && (!cut_b || b != Some(false)) && (!cut_s || s != Some(false))
}

#[test]
fn same_account_resource_policy_by_principal_form() {
    let ctx = Context::new();
    for form in FORMS {
        let rp = one(
            &doc(&format!(
                r#"{{"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"*"}}"#,
                form.principal()
            )),
            PolicyKind::Resource,
        );
        // The caller this form is about: the user for user-ARN rows, the session otherwise.
        let caller = if form == Form::UserArn { USER } else { SESSION };
        let req = Request::new(caller, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
        for (id, b, s) in combinations() {
            if caller == USER && s.is_some() {
                continue; // IAM users have no session policy.
            }
            let l = layers("s3:GetObject", id, b, s);
            let (d, _) = both(&req, &policies(&l, &rp));
            let want = expected(form.rule(), id, b, s);
            assert_eq!(
                d.verdict == Verdict::Allow,
                want,
                "{form:?} identity={id} boundary={b:?} session={s:?}: {d:?}"
            );
        }
    }
}

#[test]
fn trust_policy_by_principal_form() {
    let ctx = Context::new();
    for form in FORMS {
        let trust = one(
            &doc(&format!(
                r#"{{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}}"#,
                form.principal()
            )),
            PolicyKind::Trust,
        );
        let caller = if form == Form::UserArn { USER } else { SESSION };
        let target = "arn:aws:iam::111122223333:role/Target";
        let req = Request::new(caller, "sts:AssumeRole", target, &ctx);
        for (id, b, s) in combinations() {
            if caller == USER && s.is_some() {
                continue;
            }
            let l = layers("sts:AssumeRole", id, b, s);
            let (d, _) = both(&req, &policies(&l, &trust));
            // A trust policy that does not name the caller never lets it in.
            let want = form != Form::Nobody && expected(form.rule(), id, b, s);
            assert_eq!(
                d.verdict == Verdict::Allow,
                want,
                "{form:?} identity={id} boundary={b:?} session={s:?}: {d:?}"
            );
            if form == Form::Nobody {
                assert_eq!(d.reason, Reason::TrustPolicyNoAllow);
            }
        }
    }
}

#[test]
fn cross_account_needs_both_sides_whatever_the_form() {
    let ctx = Context::new();
    // The caller lives in 444455556666; the resource policy is 111122223333's.
    let caller_user = "arn:aws:iam::444455556666:user/bob";
    let caller_session = "arn:aws:sts::444455556666:assumed-role/Dev/alice";
    let forms = [
        (format!(r#"{{"AWS":"{caller_user}"}}"#), caller_user, true),
        (
            format!(r#"{{"AWS":"{caller_session}"}}"#),
            caller_session,
            true,
        ),
        (
            r#"{"AWS":"arn:aws:iam::444455556666:role/Dev"}"#.to_owned(),
            caller_session,
            true,
        ),
        (r#"{"AWS":"444455556666"}"#.to_owned(), caller_session, true),
        (r#""*""#.to_owned(), caller_user, true),
        (r#"{"AWS":"111122223333"}"#.to_owned(), caller_user, false),
    ];
    for (principal, caller, names_caller) in forms {
        for kind in [PolicyKind::Trust, PolicyKind::Resource] {
            let stmt = if kind == PolicyKind::Trust {
                format!(r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}"#)
            } else {
                format!(
                    r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole","Resource":"*"}}"#
                )
            };
            let rp = one(&doc(&stmt), kind);
            let req = Request::new(
                caller,
                "sts:AssumeRole",
                "arn:aws:iam::111122223333:role/Target",
                &ctx,
            );
            for (id, b, s) in combinations() {
                let l = layers("sts:AssumeRole", id, b, s);
                let p = policies(&l, &rp).cross_account();
                let (d, _) = both(&req, &p);
                let want = names_caller && id && b != Some(false) && s != Some(false);
                assert_eq!(
                    d.verdict == Verdict::Allow,
                    want,
                    "{principal} {kind:?} identity={id} boundary={b:?} session={s:?}: {d:?}"
                );
            }
        }
    }
}

#[test]
fn denies_through_any_form_beat_direct_grants() {
    let ctx = Context::new();
    let set = identity(&[&allow("s3:*")]);
    let req = Request::new(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    for deny in [
        Form::RoleArn,
        Form::Account,
        Form::AccountId,
        Form::Everyone,
    ] {
        let rp = one(
            &doc(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"{SESSION}"}},"Action":"s3:*","Resource":"*"}},
                   {{"Effect":"Deny","Principal":{},"Action":"s3:*","Resource":"*"}}"#,
                deny.principal()
            )),
            PolicyKind::Resource,
        );
        let (d, _) = both(&req, &Policies::new(&set).resource(&rp));
        assert_eq!(d.verdict, Verdict::ExplicitDeny, "{deny:?}");
        let (d, _) = both(&req, &Policies::new(&set).resource(&rp).cross_account());
        assert_eq!(d.verdict, Verdict::ExplicitDeny, "{deny:?} cross-account");
    }
}

#[test]
fn services_and_not_principal_grants_stand_alone() {
    let ctx = Context::new();
    let nothing = CompiledSet::empty();
    let boundary = one(&allow("ec2:*"), PolicyKind::Boundary);
    let svc = one(
        &doc(
            r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
        ),
        PolicyKind::Trust,
    );
    let req = Request::new("ec2.amazonaws.com", "sts:AssumeRole", ROLE, &ctx);
    assert_eq!(
        both(&req, &Policies::new(&nothing).resource(&svc))
            .0
            .verdict,
        Verdict::Allow
    );
    // Allow + NotPrincipal: everyone but the listed, like "*".
    let all_but_carol = one(
        &doc(
            r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/carol"},"Action":"s3:GetObject","Resource":"*"}"#,
        ),
        PolicyKind::Resource,
    );
    let bob = Request::new(USER, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    let p = Policies::new(&nothing)
        .boundary(&boundary)
        .resource(&all_but_carol);
    assert_eq!(
        both(&bob, &p).0.reason,
        Reason::ResourceAllow { direct: true }
    );
    let carol = Request::new(
        "arn:aws:iam::111122223333:user/carol",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        &ctx,
    );
    assert_eq!(both(&carol, &p).0.reason, Reason::NoAllow);
}

#[test]
fn the_root_is_allowed_at_home_but_needs_the_resource_policy_abroad() {
    let ctx = Context::new();
    let nothing = CompiledSet::empty();
    let other = one(
        &doc(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"s3:GetObject","Resource":"*"}"#,
        ),
        PolicyKind::Resource,
    );
    let root = Request::new(ACCOUNT, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    assert_eq!(
        both(&root, &Policies::new(&nothing).resource(&other))
            .0
            .verdict,
        Verdict::Allow
    );
    assert_eq!(
        both(
            &root,
            &Policies::new(&nothing).resource(&other).cross_account()
        )
        .0
        .verdict,
        Verdict::ImplicitDeny
    );
    let mine = one(
        &doc(
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}"#,
        ),
        PolicyKind::Resource,
    );
    assert_eq!(
        both(
            &root,
            &Policies::new(&nothing).resource(&mine).cross_account()
        )
        .0
        .reason,
        Reason::CrossAccountAllow
    );
}
