//! Policy variables, after the IAM User Guide's policy variables page: substitution in the
//! resource part of Resource/NotResource and in String*/Arn*/Bool condition values, defaults,
//! the `${*}` `${?}` `${$}` escapes, missing and multi-valued keys, and documents whose
//! Version leaves `${...}` literal.

use iam_policy::{Context, Verdict};

use crate::support::{decide, decide_inline, doc, holds};

fn home(version: &str) -> String {
    format!(
        r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${{aws:username}}/*"}}}}"#
    )
}

#[test]
fn username_in_resource() {
    let p = home("2012-10-17");
    let bob = Context::new().with("aws:username", "bob");
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::home/bob/notes", &bob),
        Verdict::Allow
    );
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::home/alice/notes", &bob),
        Verdict::ImplicitDeny
    );
    // A role has no aws:username: the entry matches nothing.
    let role = Context::new().with("aws:userid", "AROAEXAMPLE:alice");
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::home//notes", &role),
        Verdict::ImplicitDeny
    );
    // Variable names are case-insensitive.
    let upper = p.replace("aws:username", "AWS:UserName");
    assert_eq!(
        decide(
            &[&upper],
            "s3:GetObject",
            "arn:aws:s3:::home/bob/notes",
            &bob
        ),
        Verdict::Allow
    );
}

#[test]
fn without_the_2012_version_the_text_is_literal() {
    let bob = Context::new().with("aws:username", "bob");
    let literal = "arn:aws:s3:::home/${aws:username}/notes";
    for version_doc in [
        home("2008-10-17"),
        home("2012-10-17").replace(r#""Version":"2012-10-17","#, ""),
    ] {
        assert_eq!(
            decide_inline(
                &[&version_doc],
                "s3:GetObject",
                "arn:aws:s3:::home/bob/notes",
                &bob
            ),
            Verdict::ImplicitDeny
        );
        assert_eq!(
            decide_inline(&[&version_doc], "s3:GetObject", literal, &bob),
            Verdict::Allow
        );
    }
    let cond = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}}"#;
    let ctx = bob.clone().with("s3:prefix", "bob");
    assert_eq!(
        decide_inline(&[cond], "s3:ListBucket", "*", &ctx),
        Verdict::ImplicitDeny
    );
    let ctx = bob.with("s3:prefix", "${aws:username}");
    assert_eq!(
        decide_inline(&[cond], "s3:ListBucket", "*", &ctx),
        Verdict::Allow
    );
}

#[test]
fn missing_variables_in_not_resource_make_the_entry_match_nothing() {
    let p = doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},
           {"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}"#);
    let bob = Context::new().with("aws:username", "bob");
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::home/bob/x", &bob),
        Verdict::Allow
    );
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::home/eve/x", &bob),
        Verdict::ExplicitDeny
    );
    assert_eq!(
        decide(
            &[&p],
            "s3:GetObject",
            "arn:aws:s3:::home/bob/x",
            &Context::new()
        ),
        Verdict::ExplicitDeny
    );
}

#[test]
fn variables_only_in_the_resource_part() {
    let p = doc(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:${aws:RequestedRegion}::b"}"#,
    );
    let ctx = Context::new().with("aws:RequestedRegion", "eu-west-1");
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:eu-west-1::b", &ctx),
        Verdict::ImplicitDeny
    );
}

#[test]
fn defaults_and_escapes() {
    let p = doc(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::teams/${aws:PrincipalTag/team, 'company-wide'}/*"}"#,
    );
    let tagged = Context::new().with("aws:PrincipalTag/team", "blue");
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::teams/blue/x", &tagged),
        Verdict::Allow
    );
    assert_eq!(
        decide(
            &[&p],
            "s3:GetObject",
            "arn:aws:s3:::teams/company-wide/x",
            &tagged
        ),
        Verdict::ImplicitDeny
    );
    assert_eq!(
        decide(
            &[&p],
            "s3:GetObject",
            "arn:aws:s3:::teams/company-wide/x",
            &Context::new()
        ),
        Verdict::Allow
    );
    let star =
        doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}${?}${$}"}"#);
    assert_eq!(
        decide(
            &[&star],
            "s3:GetObject",
            "arn:aws:s3:::b/*?$",
            &Context::new()
        ),
        Verdict::Allow
    );
    assert_eq!(
        decide(
            &[&star],
            "s3:GetObject",
            "arn:aws:s3:::b/xy$",
            &Context::new()
        ),
        Verdict::ImplicitDeny
    );
}

#[test]
fn multi_valued_keys_are_not_variables() {
    let p = doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:TagKeys}"}"#);
    let ctx = Context::new().with_list("aws:TagKeys", ["a"]);
    assert_eq!(
        decide(&[&p], "s3:GetObject", "arn:aws:s3:::b/a", &ctx),
        Verdict::ImplicitDeny
    );
}

#[test]
fn variables_in_condition_values() {
    let ctx = Context::new()
        .with("aws:username", "bob")
        .with("aws:PrincipalAccount", "111122223333")
        .with("aws:PrincipalTag/project", "apollo");
    let with = |k: &str, v: &str| ctx.clone().with(k, v);
    let rows: Vec<(&str, Context, bool)> = vec![
        (
            r#"{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}"#,
            with("s3:prefix", "home/bob/"),
            true,
        ),
        (
            r#"{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}"#,
            with("s3:prefix", "home/Bob/"),
            false,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/${aws:username}/"}}"#,
            with("s3:prefix", "home/BOB/"),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#,
            with("s3:prefix", "home/bob/docs/a"),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#,
            with("s3:prefix", "home/bobby/a"),
            false,
        ),
        (
            r#"{"StringEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/project}"}}"#,
            with("aws:ResourceTag/project", "apollo"),
            true,
        ),
        (
            r#"{"StringEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/project}"}}"#,
            with("aws:ResourceTag/project", "gemini"),
            false,
        ),
        // Missing variable: positive operators false, negated operators true.
        (
            r#"{"StringEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/missing}"}}"#,
            with("aws:ResourceTag/project", "apollo"),
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/missing}"}}"#,
            with("aws:ResourceTag/project", "apollo"),
            true,
        ),
        (
            r#"{"StringNotLike":{"aws:ResourceTag/project":"${aws:PrincipalTag/missing}*"}}"#,
            with("aws:ResourceTag/project", "apollo"),
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}"#,
            with("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t"),
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}"#,
            with("aws:SourceArn", "arn:aws:sns:us-east-1:444455556666:t"),
            false,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"${k:want}"}}"#,
            with("aws:SecureTransport", "true").with("k:want", "true"),
            true,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"${k:want}"}}"#,
            with("aws:SecureTransport", "true").with("k:want", "false"),
            false,
        ),
        // Variables are literal text in Numeric/Date/IP values: such a value is rejected at
        // parse time, so here only a plain value is evaluated.
        (
            r#"{"StringEquals":{"s3:prefix":"${aws:username, 'nobody'}"}}"#,
            Context::new().with("s3:prefix", "nobody"),
            true,
        ),
    ];
    for (cond, ctx, want) in rows {
        assert_eq!(holds(cond, &ctx), want, "{cond} with {ctx:?}");
    }
}
