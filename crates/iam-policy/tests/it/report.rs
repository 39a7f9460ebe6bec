//! The validation report of `iamctl policy validate`: errors from the parser and the
//! warnings for valid-but-suspicious documents, plus the kind guess.

use iam_policy::{guess_kind, validate_document, validate_document_auto, PolicyKind};

fn codes(doc: &str, kind: PolicyKind) -> (Vec<&'static str>, Vec<&'static str>) {
    let r = validate_document(doc, kind);
    (
        r.errors.iter().map(|f| f.code).collect(),
        r.warnings.iter().map(|f| f.code).collect(),
    )
}

#[test]
fn warnings_for_suspicious_but_valid_documents() {
    use PolicyKind::{Managed, UserInline};
    let rows: Vec<(&str, &str)> = vec![
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"*","Resource":"*"}}"#,
            "never-matches",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":"*"}}"#,
            "never-matches",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::b"}}"#,
            "action-star-not-resource",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            "full-admin",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
            "allow-not-action",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"bob"}}}}"#,
            "condition-key-prefix",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            "version-missing",
        ),
        (
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}"}}"#,
            "variables-literal",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}}}"#,
            "for-all-values-allow",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#,
            "qualifier-on-single-valued-key",
        ),
        (
            r#"{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            "id-ignored",
        ),
    ];
    for (doc, want) in rows {
        // Managed policies must be 2012-10-17; older or missing versions are inline ones.
        let kind = if doc.contains(r#""Version":"2012-10-17""#) {
            Managed
        } else {
            UserInline
        };
        let (errors, warnings) = codes(doc, kind);
        assert!(errors.is_empty(), "{doc}: {errors:?}");
        assert!(
            warnings.contains(&want),
            "{doc}: wanted {want}, got {warnings:?}"
        );
    }
    // A tidy document has no warnings.
    let clean = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}"#;
    assert_eq!(codes(clean, Managed), (vec![], vec![]));
}

#[test]
fn errors_carry_code_and_location() {
    let r = validate_document(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"X","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}]}"#,
        PolicyKind::Managed,
    );
    assert!(!r.is_valid());
    assert_eq!(r.errors[0].code, "MalformedPolicyDocument");
    assert_eq!(
        (r.errors[0].statement, r.errors[0].sid.as_deref()),
        (Some(1), Some("X"))
    );
    let big = format!(
        r#"{{"Statement":{{"Sid":"{}","Effect":"Allow","Action":"s3:*","Resource":"*"}}}}"#,
        "a".repeat(3000)
    );
    assert_eq!(codes(&big, PolicyKind::UserInline).0, vec!["LimitExceeded"]);
    let json = serde_json::to_value(&r).unwrap_or_default();
    assert_eq!(json["kind"], "managed");
}

#[test]
fn kind_guess_from_principal_and_resource() {
    let identity = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    let resource =
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#;
    let trust = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
    assert_eq!(guess_kind(identity), PolicyKind::Managed);
    assert_eq!(guess_kind(resource), PolicyKind::Resource);
    assert_eq!(guess_kind(trust), PolicyKind::Trust);
    assert_eq!(guess_kind("garbage"), PolicyKind::Managed);
    assert!(validate_document_auto(trust).is_valid());
    assert!(!validate_document(trust, PolicyKind::Managed).is_valid());
}
