//! Error XML, statuses per code, and the value encodings (timestamps, URL-encoding).

use iam_aws::{render_error, status_of, timestamp, url_encode, AwsError, AwsErrors};
use iam_model::{ErrorCode, IamError};

#[test]
fn error_response_shape() {
    let (status, xml) = render_error(
        "NoSuchEntity",
        "The user with name <b> cannot be found.",
        "rid",
    );
    assert_eq!(status, 404);
    assert_eq!(
        xml,
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>NoSuchEntity</Code><Message>The user with name &lt;b&gt; cannot be found.</Message></Error>\
         <RequestId>rid</RequestId></ErrorResponse>"
    );
    let (status, xml) = render_error("ServiceFailure", "boom", "rid");
    assert_eq!(status, 500);
    assert!(xml.contains("<Type>Receiver</Type><Code>ServiceFailure</Code>"));
    let (status, xml) = AwsError::not_implemented("ChangePassword").render("rid");
    assert_eq!(status, 501);
    assert!(xml.contains("<Type>Receiver</Type><Code>NotImplemented</Code><Message>iamd does not support ChangePassword.</Message>"));
}

#[test]
fn statuses_follow_aws() {
    for (code, status) in [
        ("NoSuchEntity", 404),
        ("EntityAlreadyExists", 409),
        ("LimitExceeded", 409),
        ("DeleteConflict", 409),
        ("MalformedPolicyDocument", 400),
        ("ValidationError", 400),
        ("InvalidAuthenticationCode", 403),
        ("ReportNotPresent", 410),
        ("ReportInProgress", 404),
        ("AccessDenied", 403),
        ("InvalidClientTokenId", 403),
        ("SignatureDoesNotMatch", 403),
        ("IncompleteSignature", 400),
        ("MissingAuthenticationToken", 403),
        ("ExpiredToken", 403),
        ("InvalidAction", 400),
        ("MissingAction", 400),
        ("Throttling", 400),
        ("ServiceUnavailable", 503),
        ("NotImplemented", 501),
    ] {
        assert_eq!(status_of(code), status, "{code}");
    }
}

#[test]
fn business_errors_keep_code_and_message() {
    let e: AwsError = IamError::new(
        ErrorCode::DeleteConflict,
        "Cannot delete entity, must detach all policies first.",
    );
    assert_eq!(
        (e.code.as_str(), e.code.http_status()),
        ("DeleteConflict", 409)
    );
    assert_eq!(
        e.message,
        "Cannot delete entity, must detach all policies first."
    );
}

#[test]
fn timestamps_are_iso8601_utc() {
    assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
    assert_eq!(timestamp(1_704_164_645_999), "2024-01-02T03:04:05Z");
    assert_eq!(timestamp(951_782_400_000), "2000-02-29T00:00:00Z");
    assert!(timestamp(u64::MAX).len() >= 20);
}

#[test]
fn documents_are_rfc3986_encoded() {
    assert_eq!(
        url_encode(r#"{"A": "b c+d/é"}"#),
        "%7B%22A%22%3A%20%22b%20c%2Bd%2F%C3%A9%22%7D"
    );
    assert_eq!(url_encode("a-b_c.d~e"), "a-b_c.d~e");
}
