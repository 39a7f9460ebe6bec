//! The one error type of the crate: why a policy document was rejected, with a stable
//! AWS error code, AWS's exact message, and iamd's detail and location kept apart.

use std::fmt;

/// The AWS error code family of a [`PolicyError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The document is not a valid policy (`MalformedPolicyDocument`).
    Malformed,
    /// The document is larger than its policy type allows (`LimitExceeded`).
    LimitExceeded,
}

/// Where in a document a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// Zero-based index of the statement in the `Statement` array (0 for a single object).
    pub statement: Option<usize>,
    /// The statement's `Sid`, when it has one.
    pub sid: Option<String>,
    /// The element the problem is in, e.g. `Action` or `Condition`.
    pub element: Option<&'static str>,
}

impl Location {
    pub(crate) fn statement(index: usize, sid: Option<&str>) -> Self {
        Location {
            statement: Some(index),
            sid: sid.map(str::to_owned),
            element: None,
        }
    }

    pub(crate) fn with_element(mut self, element: &'static str) -> Self {
        self.element = Some(element);
        self
    }

    fn is_empty(&self) -> bool {
        self.statement.is_none() && self.sid.is_none() && self.element.is_none()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(i) = self.statement {
            parts.push(format!("statement {i}"));
        }
        if let Some(sid) = &self.sid {
            parts.push(format!("Sid \"{sid}\""));
        }
        if let Some(element) = self.element {
            parts.push(format!("element {element}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// A rejected policy document.
///
/// [`PolicyError::code`] is the AWS error code (`MalformedPolicyDocument` or `LimitExceeded`);
/// [`PolicyError::aws_message`] is exactly the text AWS IAM returns for the document (for
/// example `Policy statement must contain actions.`); [`PolicyError::message`] (and `Display`)
/// adds iamd's detail and the location, e.g.
/// `Policy statement must contain actions. (statement 2, Sid "AllowS3")`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    kind: ErrorKind,
    /// AWS's text, then `" " + detail` when there is a detail, then `" (location)"`.
    message: String,
    /// The length of AWS's text at the start of `message`.
    base_len: usize,
    /// The length of the detail that follows it (after one space), 0 without one.
    detail_len: usize,
    location: Location,
}

impl PolicyError {
    /// A `MalformedPolicyDocument` error: `base` is AWS's exact wording, `detail` (may be
    /// empty) adds what exactly is wrong.
    pub(crate) fn malformed(base: &str, detail: &str, location: Location) -> Self {
        Self::build(ErrorKind::Malformed, base, detail, location)
    }

    /// A `LimitExceeded` error.
    pub(crate) fn limit(base: &str, detail: &str) -> Self {
        Self::build(ErrorKind::LimitExceeded, base, detail, Location::default())
    }

    /// The common "Syntax errors in policy." error with a detail.
    pub(crate) fn syntax(detail: &str, location: Location) -> Self {
        Self::malformed(SYNTAX, detail, location)
    }

    /// "The policy failed legacy parsing" with a detail.
    pub(crate) fn legacy(detail: &str, location: Location) -> Self {
        Self::malformed(LEGACY, detail, location)
    }

    fn build(kind: ErrorKind, base: &str, detail: &str, location: Location) -> Self {
        let mut message = base.to_owned();
        if !detail.is_empty() {
            message.push(' ');
            message.push_str(detail);
        }
        if !location.is_empty() {
            message.push_str(&format!(" ({location})"));
        }
        PolicyError {
            kind,
            message,
            base_len: base.len(),
            detail_len: detail.len(),
            location,
        }
    }

    /// The stable AWS error code: `"MalformedPolicyDocument"` or `"LimitExceeded"`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::Malformed => "MalformedPolicyDocument",
            ErrorKind::LimitExceeded => "LimitExceeded",
        }
    }

    /// Which family the error belongs to.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Exactly the message AWS IAM returns for this document, with no iamd detail: what the
    /// API gives AWS clients.
    pub fn aws_message(&self) -> &str {
        &self.message[..self.base_len]
    }

    /// iamd's explanation of what exactly is wrong (may be empty); not part of AWS's text.
    pub fn detail(&self) -> &str {
        if self.detail_len == 0 {
            return "";
        }
        let start = self.base_len + 1;
        &self.message[start..start + self.detail_len]
    }

    /// The full message: AWS's text, then the detail and the location. For people (e.g.
    /// `iamctl policy validate`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the problem is, as far as it is known.
    pub fn location(&self) -> &Location {
        &self.location
    }
}

/// AWS's generic wording for a document it cannot make sense of.
pub(crate) const SYNTAX: &str = "Syntax errors in policy.";

/// AWS's wording for a document its older parser rejects (wrong-case Effect, a date it cannot
/// read, a resource with too few ARN fields).
pub(crate) const LEGACY: &str = "The policy failed legacy parsing";
