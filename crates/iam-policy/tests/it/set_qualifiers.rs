//! Multi-valued keys with the `ForAllValues:`/`ForAnyValue:` qualifiers (the IAM User
//! Guide's multi-valued context keys page), AND/OR across keys and values, and the MFA
//! idioms.

use iam_policy::{Context, Verdict};

use crate::operators::{check, list, none, one};
use crate::support::{decide, doc, holds};

#[test]
fn multi_valued_keys_and_set_qualifiers() {
    let tags = |v: &[&str]| list("aws:TagKeys", v);
    let all = r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    let any = r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    check(vec![
        (all, tags(&["environment"]), true),
        (all, tags(&["environment", "cost-center"]), true),
        (all, tags(&["environment", "owner"]), false),
        (all, tags(&[]), true),
        (all, none(), true),
        (any, tags(&["owner", "environment"]), true),
        (any, tags(&["owner"]), false),
        (any, tags(&[]), false),
        (any, none(), false),
        (
            r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"x"}}"#,
            none(),
            true,
        ),
        (
            r#"{"ForAllValues:StringLike":{"aws:TagKeys":["env*","cost*"]}}"#,
            tags(&["environment", "costs"]),
            true,
        ),
        (
            r#"{"ForAllValues:StringLike":{"aws:TagKeys":["env*","cost*"]}}"#,
            tags(&["environment", "x"]),
            false,
        ),
        // Negated operators under qualifiers negate per request value.
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            tags(&["a", "b"]),
            true,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            tags(&["a", "secret"]),
            false,
        ),
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            tags(&["secret", "a"]),
            true,
        ),
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            tags(&["secret"]),
            false,
        ),
        (
            r#"{"ForAnyValue:StringEqualsIgnoreCase":{"aws:TagKeys":["ENV"]}}"#,
            tags(&["env"]),
            true,
        ),
        // A qualifier on a single value treats it as a set of one.
        (
            r#"{"ForAnyValue:StringEquals":{"aws:RequestedRegion":"eu-west-1"}}"#,
            one(&[("aws:RequestedRegion", "eu-west-1")]),
            true,
        ),
        // Without a qualifier, a multi-valued key matches when any value matches ...
        (
            r#"{"StringEquals":{"aws:TagKeys":"environment"}}"#,
            tags(&["owner", "environment"]),
            true,
        ),
        // ... and a negated operator holds only when no value matches.
        (
            r#"{"StringNotEquals":{"aws:TagKeys":"environment"}}"#,
            tags(&["owner", "environment"]),
            false,
        ),
        (
            r#"{"ForAnyValue:IpAddress":{"k:ips":"10.0.0.0/8"}}"#,
            list("k:ips", &["192.0.2.1", "10.1.1.1"]),
            true,
        ),
        (
            r#"{"ForAllValues:NumericLessThan":{"k:n":"5"}}"#,
            list("k:n", &["1", "4"]),
            true,
        ),
        (
            r#"{"ForAllValues:NumericLessThan":{"k:n":"5"}}"#,
            list("k:n", &["1", "6"]),
            false,
        ),
    ]);
}

#[test]
fn and_across_keys_and_operators_or_across_values() {
    let cond = r#"{"StringEquals":{"aws:PrincipalTag/dept":["a","b"],"aws:RequestedRegion":"eu-west-1"},"Bool":{"aws:SecureTransport":"true"}}"#;
    let ctx = |dept: &str, region: &str, tls: &str| {
        one(&[
            ("aws:PrincipalTag/dept", dept),
            ("aws:RequestedRegion", region),
            ("aws:SecureTransport", tls),
        ])
    };
    check(vec![
        (cond, ctx("a", "eu-west-1", "true"), true),
        (cond, ctx("b", "eu-west-1", "true"), true),
        (cond, ctx("c", "eu-west-1", "true"), false),
        (cond, ctx("a", "us-east-1", "true"), false),
        (cond, ctx("a", "eu-west-1", "false"), false),
    ]);
}

#[test]
fn mfa_idioms() {
    let deny_without_mfa = doc(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"},
           {"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:ListMFADevices","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#);
    let run = |ctx: &Context, action: &str| decide(&[&deny_without_mfa], action, "*", ctx);
    let long_term = none();
    let no_mfa = one(&[("aws:MultiFactorAuthPresent", "false")]);
    let mfa = one(&[
        ("aws:MultiFactorAuthPresent", "true"),
        ("aws:MultiFactorAuthAge", "30"),
    ]);
    assert_eq!(run(&long_term, "ec2:RunInstances"), Verdict::ExplicitDeny);
    assert_eq!(run(&no_mfa, "ec2:RunInstances"), Verdict::ExplicitDeny);
    assert_eq!(run(&mfa, "ec2:RunInstances"), Verdict::Allow);
    assert_eq!(
        run(&long_term, "sts:GetSessionToken"),
        Verdict::ImplicitDeny
    );
    // `Bool ... true` on an Allow denies long-term keys; `BoolIfExists ... true` lets them in.
    let strict = r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#;
    let lenient = r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#;
    assert!(!holds(strict, &long_term));
    assert!(holds(lenient, &long_term));
    assert!(!holds(lenient, &no_mfa));
    // Requiring a recent MFA: NumericLessThan on the age is false when there was none.
    let recent = r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#;
    assert!(holds(recent, &mfa));
    assert!(!holds(recent, &long_term));
}
