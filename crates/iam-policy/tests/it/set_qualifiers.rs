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

/// A multivalued key present with no values (`aws:TagKeys: []`, a "null dataset") against
/// the same key missing, under every qualifier and `IfExists` form (IAM User Guide,
/// "Condition operators": IfExists applies only to a key that is not present; "Set operators
/// for multivalued context keys": ForAllValues is true and ForAnyValue false for a missing
/// key or a null dataset; Null is true for both).
#[test]
fn empty_multivalued_keys_are_present_but_null() {
    let empty = || list("aws:TagKeys", &[]);
    let rows: [(&str, bool, bool); 14] = [
        // (operator, holds when missing, holds when present with no values)
        ("StringEquals", false, false),
        ("StringNotEquals", true, true),
        ("StringEqualsIfExists", true, false),
        ("StringNotEqualsIfExists", true, true),
        ("ForAllValues:StringEquals", true, true),
        ("ForAllValues:StringEqualsIfExists", true, true),
        ("ForAllValues:StringNotEquals", true, true),
        ("ForAllValues:StringNotEqualsIfExists", true, true),
        ("ForAnyValue:StringEquals", false, false),
        ("ForAnyValue:StringEqualsIfExists", true, false),
        ("ForAnyValue:StringNotEquals", false, false),
        ("ForAnyValue:StringNotEqualsIfExists", true, false),
        ("ForAnyValue:StringLikeIfExists", true, false),
        ("ForAllValues:StringLikeIfExists", true, true),
    ];
    for (op, missing, present_empty) in rows {
        let cond = format!(r#"{{"{op}":{{"aws:TagKeys":["team"]}}}}"#);
        assert_eq!(holds(&cond, &none()), missing, "{op} with the key missing");
        assert_eq!(
            holds(&cond, &empty()),
            present_empty,
            "{op} with the key present and empty"
        );
    }
    // Null: an empty list is a null value, like a missing key.
    check(vec![
        (r#"{"Null":{"aws:TagKeys":"true"}}"#, none(), true),
        (r#"{"Null":{"aws:TagKeys":"true"}}"#, empty(), true),
        (r#"{"Null":{"aws:TagKeys":"false"}}"#, none(), false),
        (r#"{"Null":{"aws:TagKeys":"false"}}"#, empty(), false),
        (
            r#"{"Null":{"aws:TagKeys":"false"}}"#,
            list("aws:TagKeys", &["a"]),
            true,
        ),
    ]);
    // The documented guard: ForAllValues plus Null false refuses both missing and empty.
    let guarded =
        r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]},"Null":{"aws:TagKeys":"false"}}"#;
    check(vec![
        (guarded, none(), false),
        (guarded, empty(), false),
        (guarded, list("aws:TagKeys", &["team"]), true),
        (guarded, list("aws:TagKeys", &["team", "x"]), false),
    ]);
}

/// The same rows decide whole requests: an Allow with `ForAnyValue:StringEqualsIfExists`
/// does not grant for an empty tag list (it did before: the empty list was taken for a
/// missing key), and a Deny with it does not fire.
#[test]
fn empty_multivalued_keys_in_allow_and_deny_statements() {
    let allow = doc(
        r#"{"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["team"]}}}"#,
    );
    let empty = list("aws:TagKeys", &[]);
    assert_eq!(
        decide(&[&allow], "iam:TagUser", "*", &empty),
        Verdict::ImplicitDeny
    );
    assert_eq!(
        decide(&[&allow], "iam:TagUser", "*", &none()),
        Verdict::Allow
    );
    let tagged = list("aws:TagKeys", &["team"]);
    assert_eq!(
        decide(&[&allow], "iam:TagUser", "*", &tagged),
        Verdict::Allow
    );
    let deny_untagged = doc(r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"},
        {"Effect":"Deny","Action":"iam:TagUser","Resource":"*","Condition":{"ForAllValues:StringNotEqualsIfExists":{"aws:TagKeys":["team"]}}}"#);
    // ForAllValues over no values is true: the Deny fires for an empty list and a missing key.
    assert_eq!(
        decide(&[&deny_untagged], "iam:TagUser", "*", &empty),
        Verdict::ExplicitDeny
    );
    assert_eq!(
        decide(&[&deny_untagged], "iam:TagUser", "*", &none()),
        Verdict::ExplicitDeny
    );
    assert_eq!(
        decide(&[&deny_untagged], "iam:TagUser", "*", &tagged),
        Verdict::Allow
    );
}
