//! Property tests: statement and policy order never matter, an object statement equals a
//! one-element array, adding a Deny never produces an Allow, an empty set denies, parsing
//! never panics, and the glob matcher agrees with a naive reference.

use std::sync::Arc;

use iam_policy::{
    evaluate, explain, parse, validate_document, CompiledSet, Context, Policies, PolicyKind,
    Request, Verdict,
};
use proptest::prelude::*;

use crate::support::{holds, USER};

const ACTIONS: [&str; 7] = [
    "s3:GetObject",
    "s3:*",
    "s3:Get*",
    "iam:*",
    "*",
    "ec2:RunInstances",
    "S3:PUTOBJECT",
];
const RESOURCES: [&str; 4] = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:iam::111122223333:user/*",
];
const CONDITIONS: [&str; 6] = [
    "",
    r#","Condition":{"StringEquals":{"k:a":"x"}}"#,
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"a*"}}"#,
    r#","Condition":{"StringNotEqualsIfExists":{"k:a":"y"}}"#,
];
const REQ_ACTIONS: [&str; 5] = [
    "s3:GetObject",
    "s3:PutObject",
    "iam:CreateUser",
    "ec2:RunInstances",
    "sqs:SendMessage",
];
const REQ_RESOURCES: [&str; 4] = [
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::c/k",
    "arn:aws:iam::111122223333:user/x",
    "*",
];

const KINDS: [PolicyKind; 8] = [
    PolicyKind::Managed,
    PolicyKind::UserInline,
    PolicyKind::GroupInline,
    PolicyKind::RoleInline,
    PolicyKind::Trust,
    PolicyKind::Resource,
    PolicyKind::Boundary,
    PolicyKind::Session,
];

#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    not_action: bool,
    action: usize,
    not_resource: bool,
    resource: usize,
    condition: usize,
}

impl Stmt {
    fn json(&self) -> String {
        format!(
            r#"{{"Effect":"{}","{}":"{}","{}":"{}"{}}}"#,
            if self.deny { "Deny" } else { "Allow" },
            if self.not_action {
                "NotAction"
            } else {
                "Action"
            },
            ACTIONS[self.action],
            if self.not_resource {
                "NotResource"
            } else {
                "Resource"
            },
            RESOURCES[self.resource],
            CONDITIONS[self.condition]
        )
    }
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        prop::bool::weighted(0.15),
        0..ACTIONS.len(),
        prop::bool::weighted(0.15),
        0..RESOURCES.len(),
        0..CONDITIONS.len(),
    )
        .prop_map(
            |(deny, not_action, action, not_resource, resource, condition)| Stmt {
                deny: deny && condition % 2 == 0,
                not_action,
                action,
                not_resource,
                resource,
                condition,
            },
        )
}

fn policies() -> impl Strategy<Value = Vec<Vec<Stmt>>> {
    prop::collection::vec(prop::collection::vec(stmt(), 1..5), 0..4)
}

fn compile(policies: &[Vec<Stmt>], as_array: bool) -> CompiledSet {
    CompiledSet::new(policies.iter().enumerate().map(|(i, stmts)| {
        let body = stmts.iter().map(Stmt::json).collect::<Vec<_>>().join(",");
        let statement = if as_array || stmts.len() != 1 {
            format!("[{body}]")
        } else {
            body
        };
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#);
        let policy = parse(&doc, PolicyKind::Managed).unwrap_or_else(|e| panic!("{e}: {doc}"));
        (format!("p{i}"), Arc::new(policy))
    }))
}

#[derive(Debug, Clone)]
struct Req {
    action: usize,
    resource: usize,
    ctx: Context,
}

fn req() -> impl Strategy<Value = Req> {
    (
        0..REQ_ACTIONS.len(),
        0..REQ_RESOURCES.len(),
        any::<[bool; 4]>(),
    )
        .prop_map(|(action, resource, keys)| {
            let mut ctx = Context::new();
            if keys[0] {
                ctx.insert("k:a", "x");
            }
            if keys[1] {
                ctx.insert("aws:SecureTransport", "true");
            }
            if keys[2] {
                ctx.insert("aws:SourceIp", "10.1.1.1");
            }
            if keys[3] {
                ctx.insert_list("aws:TagKeys", ["b", "abc"]);
            }
            Req {
                action,
                resource,
                ctx,
            }
        })
}

fn decide(
    set: &CompiledSet,
    boundary: Option<&CompiledSet>,
    r: &Req,
) -> (Verdict, iam_policy::Reason) {
    let request = Request::new(
        USER,
        REQ_ACTIONS[r.action],
        REQ_RESOURCES[r.resource],
        &r.ctx,
    );
    let mut p = Policies::new(set);
    p.boundary = boundary;
    let d = evaluate(&request, &p);
    let e = explain(&request, &p);
    assert_eq!((d.verdict, d.reason), (e.verdict, e.reason));
    (d.verdict, d.reason)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn statement_and_policy_order_never_matter(ps in policies(), boundary in policies(), r in req()) {
        let reversed: Vec<Vec<Stmt>> = ps.iter().rev().map(|s| s.iter().rev().cloned().collect()).collect();
        let b = (!boundary.is_empty()).then(|| compile(&boundary, false));
        prop_assert_eq!(decide(&compile(&ps, false), b.as_ref(), &r), decide(&compile(&reversed, false), b.as_ref(), &r));
    }

    #[test]
    fn object_and_one_element_array_are_the_same(ps in policies(), r in req()) {
        prop_assert_eq!(decide(&compile(&ps, false), None, &r), decide(&compile(&ps, true), None, &r));
    }

    #[test]
    fn adding_a_deny_never_produces_an_allow(ps in policies(), extra in stmt(), at in 0usize..4, r in req()) {
        let before = decide(&compile(&ps, false), None, &r).0;
        let mut more = ps.clone();
        let deny = Stmt { deny: true, ..extra };
        if more.is_empty() {
            more.push(vec![deny]);
        } else {
            let i = at % more.len();
            more[i].push(deny);
        }
        let after = decide(&compile(&more, false), None, &r).0;
        if before != Verdict::Allow {
            prop_assert_ne!(after, Verdict::Allow);
        }
        if before == Verdict::ExplicitDeny {
            prop_assert_eq!(after, Verdict::ExplicitDeny);
        }
    }

    #[test]
    fn an_empty_policy_set_denies(r in req(), principal in "arn:aws:iam::[0-9]{12}:user/[a-z]{1,8}") {
        let empty = CompiledSet::empty();
        let request = Request::new(&principal, REQ_ACTIONS[r.action], REQ_RESOURCES[r.resource], &r.ctx);
        prop_assert_eq!(evaluate(&request, &Policies::new(&empty)).verdict, Verdict::ImplicitDeny);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in ".{0,300}", kind in 0usize..8) {
        let kind = KINDS[kind];
        let parsed = parse(&text, kind);
        prop_assert_eq!(parsed.is_ok(), validate_document(&text, kind).is_valid());
    }

    #[test]
    fn parse_never_panics_on_policy_shaped_json(json in policy_shaped(), kind in 0usize..8) {
        let text = json.to_string();
        let kind = KINDS[kind];
        if let Ok(policy) = parse(&text, kind) {
            // Whatever parses also evaluates without panicking.
            let set = CompiledSet::new([("p", Arc::new(policy))]);
            let ctx = Context::new().with("aws:username", "bob").with_list("aws:TagKeys", ["a"]);
            let request = Request::new(USER, "s3:GetObject", "arn:aws:s3:::b/k", &ctx);
            let _ = explain(&request, &Policies::new(&set).resource(&set));
        }
        let _ = validate_document(&text, kind);
    }

    #[test]
    fn string_like_agrees_with_a_naive_glob(pattern in "[ab*?]{0,6}", input in "[ab]{0,6}") {
        let cond = format!(r#"{{"StringLike":{{"k:v":"{pattern}"}}}}"#);
        let ctx = Context::new().with("k:v", input.clone());
        prop_assert_eq!(holds(&cond, &ctx), naive_glob(pattern.as_bytes(), input.as_bytes()));
    }
}

proptest! {
    // Cheap cases, and the bugs they look for hide in narrow corners: run many.
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn parse_and_evaluate_never_panic_with_any_text_in_any_element(
        slot in 0usize..8,
        text in "([a-z0-9*$]{0,3}[:{}/])?[\\x09\\x20-\\xff]{0,14}",
        kind in 0usize..8,
    ) {
        // A valid trust/resource-style document with one element replaced by arbitrary text.
        let quoted = serde_json::to_string(&text).unwrap_or_default();
        let mut parts = [
            r#""sts:AssumeRole""#.to_owned(),
            r#""arn:aws:s3:::b/*""#.to_owned(),
            r#""111122223333""#.to_owned(),
            r#""StringLike""#.to_owned(),
            r#""aws:username""#.to_owned(),
            r#""x*""#.to_owned(),
            r#""S1""#.to_owned(),
            r#""ec2.amazonaws.com""#.to_owned(),
        ];
        parts[slot] = quoted;
        let [action, resource, account, op, key, value, sid, service] = parts;
        let resource_part = if KINDS[kind] == PolicyKind::Trust { String::new() } else { format!(r#","Resource":{resource}"#) };
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":{sid},"Effect":"Allow","Principal":{{"AWS":{account},"Service":{service}}},"Action":{action}{resource_part},"Condition":{{{op}:{{{key}:{value}}}}}}}}}"#
        );
        for kind in [KINDS[kind], PolicyKind::Trust, PolicyKind::Resource] {
            if let Ok(policy) = parse(&doc, kind) {
                let set = CompiledSet::new([("p", Arc::new(policy))]);
                let ctx = Context::new().with("aws:username", text.clone()).with_list("aws:TagKeys", [text.clone()]);
                let request = Request::new(&text, &text, &text, &ctx);
                let _ = explain(&request, &Policies::new(&set).resource(&set));
            }
            let _ = validate_document(&doc, kind);
        }
    }
}

fn naive_glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some(b'*'), _) => naive_glob(&p[1..], s) || (!s.is_empty() && naive_glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => naive_glob(&p[1..], &s[1..]),
        (Some(c), Some(d)) if c == d => naive_glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// JSON values built from the policy vocabulary, so most of them get deep into the parser.
fn policy_shaped() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let words = prop::sample::select(vec![
        "Version",
        "2012-10-17",
        "2008-10-17",
        "Statement",
        "Sid",
        "Effect",
        "Allow",
        "Deny",
        "Principal",
        "NotPrincipal",
        "AWS",
        "Service",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "*",
        "s3:GetObject",
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::${aws:username}/*",
        "111122223333",
        "arn:aws:iam::111122223333:role/r",
        "StringEquals",
        "ForAnyValue:StringLike",
        "IpAddress",
        "NumericLessThan",
        "DateGreaterThanIfExists",
        "Null",
        "Bool",
        "ArnLike",
        "BinaryEquals",
        "aws:SourceIp",
        "aws:TagKeys",
        "10.0.0.0/8",
        "2020-01-01T00:00:00Z",
        "true",
        "${aws:username}",
        "${*}",
        "${",
        "arn:aws:*",
        "",
        "ec2.amazonaws.com",
    ]);
    let leaf = prop_oneof![
        4 => words.clone().prop_map(|w| Value::String(w.to_owned())),
        // Arbitrary text in the allowed character set, glued to a vocabulary word so that it
        // lands in actions, ARNs, variables and operator names.
        2 => (words.clone(), "[\\x20-\\xff]{0,10}").prop_map(|(w, t)| Value::String(format!("{w}{t}"))),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((words.clone(), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}
