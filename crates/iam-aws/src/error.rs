//! Errors in AWS's shape: a code string exactly as AWS spells it (botocore maps it to an
//! exception class), a message and the HTTP status AWS uses for that code; and their XML
//! (`<ErrorResponse>`).

use crate::xml::{escape, XMLNS};
use iam_model::{ErrorCode, IamError};

/// An error to send back as `<ErrorResponse>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// AWS's code (`NoSuchEntity`, `ValidationError`, `InvalidAction`, ...).
    pub code: String,
    pub message: String,
    /// The HTTP status for `code` ([`status_of`]).
    pub status: u16,
}

impl AwsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code: code.as_str().to_owned(),
            message: message.into(),
            status: code.http_status(),
        }
    }

    /// `ValidationError` for a required parameter that is absent, in AWS's wording:
    /// "1 validation error detected: Value null at 'userName' failed to satisfy constraint:
    /// Member must not be null". `param` is the wire name (`UserName`).
    pub fn missing(param: &str) -> Self {
        Self::new(
            ErrorCode::ValidationError,
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                field_name(param)
            ),
        )
    }

    /// `ValidationError` for a value that does not parse as its type or enum.
    pub fn invalid(param: &str, value: &str, constraint: &str) -> Self {
        IamError::validation(&field_name(param), value, constraint).into()
    }

    /// `InvalidAction` for an `Action` AWS IAM does not have.
    pub fn invalid_action(action: &str) -> Self {
        Self::new(
            ErrorCode::InvalidAction,
            format!("The action {action} is not valid for this web service."),
        )
    }

    /// `NotImplemented` (501) for an AWS IAM operation iamd does not support.
    pub fn not_implemented(action: &str) -> Self {
        Self::new(
            ErrorCode::NotImplemented,
            format!("iamd does not support {action}."),
        )
    }

    /// The `<ErrorResponse>` document and its status.
    pub fn render(&self, request_id: &str) -> (u16, String) {
        (
            self.status,
            error_xml(&self.code, &self.message, request_id),
        )
    }
}

impl From<IamError> for AwsError {
    fn from(e: IamError) -> Self {
        Self {
            code: e.code.as_str().to_owned(),
            message: e.message,
            status: e.code.http_status(),
        }
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

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
