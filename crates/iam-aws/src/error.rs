//! Errors in AWS's shape: the code exactly as AWS spells it (botocore maps it to an
//! exception class), a message, and the HTTP status AWS uses for that code — all of it
//! `iam_model`'s one error type — and their XML (`<ErrorResponse>`).

use crate::xml::{escape, XMLNS};
use iam_model::{ErrorCode, IamError};

/// An error to send back as `<ErrorResponse>`: an [`IamError`] (the one error type), whose
/// HTTP status is its code's ([`ErrorCode::http_status`]); made with [`AwsErrors`].
pub type AwsError = IamError;

/// The Query API's own refusals, in AWS's words, and the rendering of any error.
pub trait AwsErrors {
    /// `ValidationError` for a required parameter that is absent, in AWS's wording:
    /// "1 validation error detected: Value null at 'userName' failed to satisfy constraint:
    /// Member must not be null". `param` is the wire name (`UserName`).
    fn missing(param: &str) -> Self;
    /// `ValidationError` for a value that does not parse as its type or enum.
    fn invalid(param: &str, value: &str, constraint: &str) -> Self;
    /// `InvalidAction` for an `Action` AWS IAM does not have.
    fn invalid_action(action: &str) -> Self;
    /// `NotImplemented` (501) for an AWS IAM operation iamd does not support.
    fn not_implemented(action: &str) -> Self;
    /// The `<ErrorResponse>` document and its status.
    fn render(&self, request_id: &str) -> (u16, String);
}

impl AwsErrors for IamError {
    fn missing(param: &str) -> Self {
        Self::new(
            ErrorCode::ValidationError,
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                field_name(param)
            ),
        )
    }

    fn invalid(param: &str, value: &str, constraint: &str) -> Self {
        IamError::validation(&field_name(param), value, constraint)
    }

    fn invalid_action(action: &str) -> Self {
        Self::new(
            ErrorCode::InvalidAction,
            format!("The action {action} is not valid for this web service."),
        )
    }

    fn not_implemented(action: &str) -> Self {
        Self::new(
            ErrorCode::NotImplemented,
            format!("iamd does not support {action}."),
        )
    }

    fn render(&self, request_id: &str) -> (u16, String) {
        render_error(self.code.as_str(), &self.message, request_id)
    }
}

/// The name AWS's validation messages use for a wire parameter: the first letter
/// lowercased (`UserName` → `userName`, `VirtualMFADeviceName` → `virtualMFADeviceName`).
pub fn field_name(param: &str) -> String {
    let mut chars = param.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// AWS's HTTP status for an error code ([`ErrorCode::http_status`]); a code iamd does not
/// define (none it sends) is a client error, 400.
pub fn status_of(code: &str) -> u16 {
    ErrorCode::parse(code).map_or(400, ErrorCode::http_status)
}

/// `<ErrorResponse>` for `code`, with its HTTP status; `Type` is `Receiver` for 5xx and
/// `Sender` otherwise.
pub fn render_error(code: &str, message: &str, request_id: &str) -> (u16, String) {
    (status_of(code), error_xml(code, message, request_id))
}

fn error_xml(code: &str, message: &str, request_id: &str) -> String {
    let kind = if status_of(code) >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    format!(
        "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{kind}</Type><Code>{}</Code>\
         <Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        escape(code),
        escape(message),
        escape(request_id)
    )
}
