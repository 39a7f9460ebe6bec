//! Every condition operator, table-driven, mostly from the IAM User Guide's condition
//! operator and multi-valued key pages: each row is a Condition block, a request context and
//! whether an Allow statement carrying that block applies.

use iam_policy::Context;

use crate::support::holds;

pub(crate) fn one(pairs: &[(&str, &str)]) -> Context {
    let mut ctx = Context::new();
    for (k, v) in pairs {
        ctx.insert(k, *v);
    }
    ctx
}

pub(crate) fn list(key: &str, values: &[&str]) -> Context {
    Context::new().with_list(key, values.iter().copied())
}

pub(crate) fn none() -> Context {
    Context::new()
}

pub(crate) fn check(rows: Vec<(&str, Context, bool)>) {
    for (condition, ctx, want) in rows {
        assert_eq!(
            holds(condition, &ctx),
            want,
            "condition {condition} with {ctx:?}"
        );
    }
}

#[test]
fn string_operators() {
    check(vec![
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            one(&[("aws:PrincipalTag/job-category", "iamuser-admin")]),
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            one(&[("aws:principaltag/JOB-category", "iamuser-admin")]),
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            one(&[("aws:PrincipalTag/job-category", "IAMuser-admin")]),
            false,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            none(),
            false,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-*"}}"#,
            one(&[("aws:PrincipalTag/job-category", "iamuser-admin")]),
            false,
        ),
        (
            r#"{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}"#,
            one(&[("aws:RequestedRegion", "eu-central-1")]),
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}"#,
            one(&[("aws:RequestedRegion", "eu-central-1")]),
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}"#,
            one(&[("aws:RequestedRegion", "us-east-1")]),
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}"#,
            none(),
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Finance"}}"#,
            one(&[("aws:PrincipalTag/dept", "FINANCE")]),
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Finance"}}"#,
            one(&[("aws:PrincipalTag/dept", "Finances")]),
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Finance"}}"#,
            one(&[("aws:PrincipalTag/dept", "finance")]),
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Finance"}}"#,
            one(&[("aws:PrincipalTag/dept", "hr")]),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/*"]}}"#,
            one(&[("s3:prefix", "home/bob/")]),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/*"]}}"#,
            one(&[("s3:prefix", "")]),
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/*"]}}"#,
            one(&[("s3:prefix", "Home/")]),
            false,
        ),
        (
            r#"{"StringLike":{"aws:userid":"AIDA?????????"}}"#,
            one(&[("aws:userid", "AIDA123456789")]),
            true,
        ),
        (
            r#"{"StringLike":{"aws:userid":"AIDA?????????"}}"#,
            one(&[("aws:userid", "AIDA12345678")]),
            false,
        ),
        (
            r#"{"StringLike":{"ec2:InstanceType":"t2.*"}}"#,
            one(&[("ec2:InstanceType", "t2")]),
            false,
        ),
        (
            r#"{"StringNotLike":{"ec2:InstanceType":["t2.*","t3.*"]}}"#,
            one(&[("ec2:InstanceType", "m5.large")]),
            true,
        ),
        (
            r#"{"StringNotLike":{"ec2:InstanceType":["t2.*","t3.*"]}}"#,
            one(&[("ec2:InstanceType", "t3.micro")]),
            false,
        ),
        (
            r#"{"StringNotLike":{"ec2:InstanceType":["t2.*","t3.*"]}}"#,
            none(),
            true,
        ),
        (
            r#"{"StringEquals":{"s3:max-keys":10}}"#,
            one(&[("s3:max-keys", "10")]),
            true,
        ),
        (
            r#"{"StringEquals":{"aws:SecureTransport":true}}"#,
            one(&[("aws:SecureTransport", "true")]),
            true,
        ),
    ]);
}

#[test]
fn numeric_operators() {
    let keys = |v: &str| one(&[("s3:max-keys", v)]);
    check(vec![
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            keys("10"),
            true,
        ),
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            keys("11"),
            false,
        ),
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":10}}"#,
            keys("9.5"),
            true,
        ),
        (
            r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#,
            keys("10"),
            false,
        ),
        (
            r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#,
            keys("10.01"),
            true,
        ),
        (
            r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#,
            keys("10"),
            true,
        ),
        (
            r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#,
            keys("-10"),
            false,
        ),
        (
            r#"{"NumericEquals":{"s3:max-keys":"10"}}"#,
            keys("10.0"),
            true,
        ),
        (
            r#"{"NumericEquals":{"s3:max-keys":["5","10"]}}"#,
            keys("5"),
            true,
        ),
        (
            r#"{"NumericNotEquals":{"s3:max-keys":["5","10"]}}"#,
            keys("5"),
            false,
        ),
        (
            r#"{"NumericNotEquals":{"s3:max-keys":["5","10"]}}"#,
            keys("7"),
            true,
        ),
        (
            r#"{"NumericNotEquals":{"s3:max-keys":["5","10"]}}"#,
            none(),
            true,
        ),
        (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, none(), false),
        (
            r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#,
            keys("many"),
            false,
        ),
        (
            r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#,
            none(),
            true,
        ),
        (
            r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#,
            keys("20"),
            false,
        ),
        (
            r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
            one(&[("aws:MultiFactorAuthAge", "120")]),
            true,
        ),
    ]);
}

#[test]
fn date_operators() {
    let t = |v: &str| one(&[("aws:CurrentTime", v)]);
    let issued = |v: &str| one(&[("aws:TokenIssueTime", v)]);
    check(vec![
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            issued("2020-01-01T00:00:02Z"),
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            issued("2020-01-01T00:00:01Z"),
            false,
        ),
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            none(),
            false,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}"#,
            t("2020-03-31T23:59:59.999Z"),
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}"#,
            t("2020-04-01T01:00:00+02:00"),
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2020-04-01"}}"#,
            t("2020-04-01T00:00:00Z"),
            false,
        ),
        (
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"2020-04-01"}}"#,
            t("2020-04-01T00:00:00Z"),
            true,
        ),
        (
            r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"1585699200"}}"#,
            t("2020-04-01T00:00:00Z"),
            true,
        ),
        (
            r#"{"DateGreaterThanEquals":{"aws:CurrentTime":1585699200}}"#,
            t("1585699199"),
            false,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}"#,
            t("2020-04-01T00:00:00.000Z"),
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}"#,
            t("2020-04-01T00:00:00Z"),
            false,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}"#,
            none(),
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:EpochTime":"2020-04-01T00:00:00Z"}}"#,
            one(&[("aws:EpochTime", "1585699100")]),
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}"#,
            t("yesterday"),
            false,
        ),
    ]);
}

#[test]
fn bool_binary_and_null() {
    let secure = |v: &str| one(&[("aws:SecureTransport", v)]);
    let bin = |v: &str| one(&[("s3:bin", v)]);
    check(vec![
        (
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            secure("true"),
            true,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            secure("false"),
            false,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":true}}"#,
            secure("TRUE"),
            true,
        ),
        (r#"{"Bool":{"aws:SecureTransport":"false"}}"#, none(), false),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#,
            none(),
            true,
        ),
        (
            r#"{"BinaryEquals":{"s3:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            bin("QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
            true,
        ),
        (
            r#"{"BinaryEquals":{"s3:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            bin("QmluYXJ5VmFsdWVJbkJhc2U2NA"),
            true,
        ),
        (
            r#"{"BinaryEquals":{"s3:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            bin("QmluYXJ5"),
            false,
        ),
        (
            r#"{"BinaryEquals":{"s3:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            none(),
            false,
        ),
        (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, none(), true),
        (
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            one(&[("aws:TokenIssueTime", "2020-01-01T00:00:00Z")]),
            false,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            one(&[("aws:TokenIssueTime", "2020-01-01T00:00:00Z")]),
            true,
        ),
        (r#"{"Null":{"aws:TokenIssueTime":false}}"#, none(), false),
        (
            r#"{"Null":{"aws:TagKeys":"true"}}"#,
            list("aws:TagKeys", &[]),
            true,
        ),
    ]);
}

#[test]
fn ip_operators() {
    let ip = |v: &str| one(&[("aws:SourceIp", v)]);
    let cond = r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#;
    let not = r#"{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#;
    check(vec![
        (cond, ip("203.0.113.7"), true),
        (cond, ip("203.0.114.7"), false),
        (cond, ip("2001:db8:1234:5678::1"), true),
        (cond, ip("2001:db8:1234:5679::1"), false),
        (cond, ip("not-an-ip"), false),
        (cond, none(), false),
        (not, ip("203.0.113.7"), false),
        (not, ip("198.51.100.1"), true),
        (not, none(), true),
        (
            r#"{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}"#,
            ip("192.0.2.10"),
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}"#,
            ip("192.0.2.11"),
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"2001:db8::1"}}"#,
            ip("2001:db8::1"),
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}"#,
            ip("10.200.0.1"),
            true,
        ),
    ]);
}

#[test]
fn arn_operators() {
    let src = |v: &str| one(&[("aws:SourceArn", v)]);
    let like = r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic-*"}}"#;
    check(vec![
        (
            like,
            src("arn:aws:sns:us-east-1:123456789012:topic-a"),
            true,
        ),
        (
            like,
            src("arn:aws:sns:us-east-1:999999999999:topic-a"),
            false,
        ),
        (like, src("arn:aws:sns:us:east:123456789012:topic-a"), false),
        (
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic-*"}}"#,
            src("arn:aws:sns:eu-west-1:123456789012:topic-b"),
            true,
        ),
        (
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:t"}}"#,
            src("arn:aws:sns:us-east-1:123456789012:T"),
            false,
        ),
        (
            r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#,
            src("arn:aws:sns:us-east-1:123456789012:x"),
            false,
        ),
        (
            r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#,
            src("arn:aws:sns:us-east-1:1:x"),
            true,
        ),
        (
            r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#,
            none(),
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#,
            src("not-an-arn"),
            false,
        ),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops/*"}}"#,
            one(&[(
                "aws:PrincipalArn",
                "arn:aws:iam::123456789012:role/ops/team/admin",
            )]),
            true,
        ),
        // StringLike, unlike ArnLike, lets `*` cross colons.
        (
            r#"{"StringLike":{"aws:SourceArn":"arn:aws:svc:*:111:finance/*"}}"#,
            src("arn:aws:svc:a:b:111:finance/x"),
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:svc:*:111:finance/*"}}"#,
            src("arn:aws:svc:a:b:111:finance/x"),
            false,
        ),
    ]);
}

#[test]
fn if_exists_on_every_family() {
    let cases = [
        r#"{"StringEqualsIfExists":{"k:x":"a"}}"#,
        r#"{"StringLikeIfExists":{"k:x":"a*"}}"#,
        r#"{"NumericEqualsIfExists":{"k:x":"1"}}"#,
        r#"{"DateEqualsIfExists":{"k:x":"2020-01-01"}}"#,
        r#"{"BoolIfExists":{"k:x":"true"}}"#,
        r#"{"BinaryEqualsIfExists":{"k:x":"YQ=="}}"#,
        r#"{"IpAddressIfExists":{"k:x":"10.0.0.0/8"}}"#,
        r#"{"ArnLikeIfExists":{"k:x":"arn:aws:s3:::*"}}"#,
    ];
    for c in cases {
        assert!(holds(c, &none()), "{c} with a missing key");
        assert!(
            !holds(c, &one(&[("k:x", "zzz")])),
            "{c} with a non-matching value"
        );
        let plain = c.replace("IfExists", "");
        assert!(!holds(&plain, &none()), "{plain} with a missing key");
    }
}
