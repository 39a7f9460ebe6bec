//! Malformed and oversized documents: each case names the AWS code and a piece of the full
//! message (AWS's wording plus iamd's detail and the location), and valid documents in all
//! accepted shapes. `aws_messages.rs` checks AWS's exact text.

use iam_policy::{parse, policy_size, ErrorKind, PolicyKind, MANAGED_POLICY_SIZE_MAX};

const M: &str = "MalformedPolicyDocument";
const L: &str = "LimitExceeded";

fn err(doc: &str, kind: PolicyKind) -> (String, String) {
    match parse(doc, kind) {
        Ok(_) => panic!("accepted: {doc}"),
        Err(e) => (e.code().to_owned(), e.message().to_owned()),
    }
}

#[test]
fn malformed_documents_are_rejected_with_precise_messages() {
    use PolicyKind::*;
    let s3 = r#""Action":"s3:GetObject","Resource":"*""#;
    let cases: Vec<(String, PolicyKind, &str, &str)> = vec![
        ("not json".into(), Managed, M, "Syntax errors in policy."),
        ("[]".into(), Managed, M, "must be a JSON object"),
        (r#"{"Version":"2012-10-17"}"#.into(), Managed, M, "Syntax errors in policy. (missing required element Statement)"),
        (r#"{"Version":"2012-10-17","Statement":[]}"#.into(), Managed, M, "at least one statement"),
        (r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into(), Managed, M, "Syntax errors in policy. (Version \"2012-10-18\" is not a policy language version"),
        (r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into(), Managed, M, "Policy document must be version 2012-10-17 or greater."),
        (r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into(), Boundary, M, "Policy document must be version 2012-10-17 or greater."),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Foo":1}"#.into(), Managed, M, "unknown top-level element \"Foo\""),
        (format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",{s3}}},{{"Sid":"AllowS3","Effect":"Allow","Resource":"*"}}]}}"#), Managed, M, "Policy statement must contain actions. (statement 1, Sid \"AllowS3\")"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}}"#.into(), Managed, M, "Policy statement must contain resources. (statement 0)"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#.into(), Managed, M, "Policy statement must contain actions."),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":"*",{s3}}}}}"#), Managed, M, "Policy document should not specify a principal."),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","NotPrincipal":{{"AWS":"111122223333"}},{s3}}}}}"#), UserInline, M, "Policy document should not specify a principal."),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3}}}}}"#), Resource, M, "Missing required field Principal"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#.into(), Trust, M, "Missing required field Principal"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}}"#.into(), Trust, M, "Has prohibited field Resource"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}}"#.into(), Trust, M, "AssumeRole policy may only specify STS AssumeRole actions."),
        (format!(r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"A","Effect":"Allow",{s3}}},{{"Sid":"A","Effect":"Deny",{s3}}}]}}"#), Managed, M, "Statement IDs (SID) in a single policy must be unique. (statement 1, Sid \"A\", element Sid)"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Sid":"has space","Effect":"Allow",{s3}}}}}"#), Managed, M, "Statement IDs (SID) must be alpha-numeric"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Actions":"s3:*",{s3}}}}}"#), Managed, M, "unknown element \"Actions\"; did you mean \"Action\"?"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"allow",{s3}}}}}"#), Managed, M, "The policy failed legacy parsing (Effect \"allow\" must be spelled \"Allow\" or \"Deny\")"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{{s3}}}}}"#), Managed, M, "Syntax errors in policy. (missing required element Effect)"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:Put*","Resource":"*"}}"#.into(), Managed, M, "both Action and NotAction"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}"#.into(), Managed, M, "Actions/Conditions must be prefaced by a vendor"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket"}}"#.into(), Managed, M, "must be in ARN format"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s*:::b"}}"#.into(), Managed, M, "Resource vendor must be fully qualified"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":5}}"#.into(), Managed, M, "Resource must be a string or a list of strings"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"StringEqual":{{"aws:username":"x"}}}}}}}}"#), Managed, M, "Syntax errors in policy. (\"StringEqual\" is not a condition operator)"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"NullIfExists":{{"aws:username":"true"}}}}}}}}"#), Managed, M, "IfExists cannot be used with Null"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"NumericLessThan":{{"s3:max-keys":"ten"}}}}}}}}"#), Managed, M, "is not a number"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"DateLessThan":{{"aws:CurrentTime":"tomorrow"}}}}}}}}"#), Managed, M, "The policy failed legacy parsing (condition DateLessThan value \"tomorrow\" for key \"aws:CurrentTime\" is not a date or epoch seconds)"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"IpAddress":{{"aws:SourceIp":"10.0.0.300/8"}}}}}}}}"#), Managed, M, "is not an IP address"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"BinaryEquals":{{"k:b":"!!!"}}}}}}}}"#), Managed, M, "is not base64"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"Bool":{{"aws:SecureTransport":"yes"}}}}}}}}"#), Managed, M, "is not \"true\" or \"false\""),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"StringEquals":{{"aws:username":{{"a":1}}}}}}}}}}"#), Managed, M, "must be a string, number or boolean"),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",{s3},"Condition":{{"StringEquals":{{"aws:username":"a","aws:username":"b"}}}}}}}}"#), Managed, M, "duplicate key \"aws:username\""),
        (format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Effect":"Deny",{s3}}}}}"#), Managed, M, "duplicate key \"Effect\""),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:*","Resource":"*"}}"#.into(), Resource, M, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::*:root\""),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"bob","Action":"s3:*","Resource":"*"}}"#.into(), Resource, M, "Invalid principal in policy"),
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Group":"x"},"Action":"s3:*","Resource":"*"}}"#.into(), Resource, M, "unknown principal type \"Group\""),
        (format!("{{\"Statement\":{{\"Sid\":\"\u{4e2d}\",\"Effect\":\"Allow\",{s3}}}}}"), Managed, M, "U+4E2D"),
    ];
    for (doc, kind, code, needle) in &cases {
        let (got_code, message) = err(doc, *kind);
        assert_eq!(&got_code, code, "{doc}: {message}");
        assert!(
            message.contains(needle),
            "{doc}\n  message: {message}\n  wanted: {needle}"
        );
    }
}

#[test]
fn size_limits_follow_the_kind_and_ignore_whitespace() {
    let stmt = |n: usize| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}}}"#,
            "a".repeat(n)
        )
    };
    let base = policy_size(&stmt(0));
    let exact = stmt(MANAGED_POLICY_SIZE_MAX - base);
    assert_eq!(policy_size(&exact), MANAGED_POLICY_SIZE_MAX);
    assert!(parse(&exact, PolicyKind::Managed).is_ok());
    let over = stmt(MANAGED_POLICY_SIZE_MAX - base + 1);
    let e = parse(&over, PolicyKind::Managed)
        .err()
        .map(|e| (e.kind(), e.code(), e.message().to_owned()));
    let (kind, code, message) = e.unwrap_or_else(|| panic!("oversized managed policy accepted"));
    assert_eq!((kind, code), (ErrorKind::LimitExceeded, L));
    assert!(
        message.contains("Cannot exceed quota for PolicySize: 6144"),
        "{message}"
    );
    // Whitespace does not count, even a lot of it.
    let padded = exact.replace(",", " ,\n\t ");
    assert!(parse(&padded, PolicyKind::Managed).is_ok());
    // Each kind has its own limit.
    let mid = stmt(3000);
    assert_eq!(err(&mid, PolicyKind::UserInline).0, L);
    assert_eq!(err(&mid, PolicyKind::Session).0, L);
    assert!(parse(&mid, PolicyKind::GroupInline).is_ok());
    let big = stmt(8000);
    assert_eq!(err(&big, PolicyKind::GroupInline).0, L);
    assert!(parse(&big, PolicyKind::RoleInline).is_ok());
    let trust = format!(
        r#"{{"Statement":{{"Sid":"{}","Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}}}}"#,
        "a".repeat(2100)
    );
    let (code, message) = err(&trust, PolicyKind::Trust);
    assert_eq!(code, L);
    assert!(message.contains("ACLSizePerRole: 2048"), "{message}");
}

#[test]
fn accepted_shapes() {
    use PolicyKind::*;
    let ok: Vec<(&str, PolicyKind)> = vec![
        // Statement as an object, values as strings; no Version (fine for inline policies,
        // not for managed ones).
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            UserInline,
        ),
        // 2008 version (inline), Id, lists everywhere, NotAction/NotResource.
        (
            r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#,
            GroupInline,
        ),
        // A condition key with an empty list of values, an empty operator block.
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":[]},"StringLike":{}}}}"#,
            Managed,
        ),
        // Conditions with numbers and booleans as JSON values.
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"ForAnyValue:StringLike":{"aws:TagKeys":["a*"]}}}}"#,
            Boundary,
        ),
        // Trust policies: Service, Federated, AWS account, NotAction of sts.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/idp"},"Action":"sts:AssumeRoleWithSAML"},{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:role/r"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#,
            Trust,
        ),
        // Resource policy with Sids that IAM would reject (resource policies allow them).
        (
            r#"{"Version":"2012-10-17","Statement":{"Sid":"Public read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            Resource,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbaced"},"Action":"s3:*","Resource":"*"}}"#,
            Resource,
        ),
        // Operators in any case, all families.
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"stringnotequalsifexists":{"aws:RequestedRegion":"eu-west-1"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"},"Null":{"aws:TokenIssueTime":"true"},"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}}}"#,
            Managed,
        ),
    ];
    for (doc, kind) in ok {
        if let Err(e) = parse(doc, kind) {
            panic!("rejected: {e}\n{doc}");
        }
    }
}

#[test]
fn object_and_one_element_array_are_the_same() {
    let a = parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
        PolicyKind::Managed,
    );
    let b = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}"#,
        PolicyKind::Managed,
    );
    let (a, b) = (
        a.map(|p| p.statements().len()),
        b.map(|p| p.statements().len()),
    );
    assert_eq!(a.ok(), Some(1));
    assert_eq!(b.ok(), Some(1));
}
