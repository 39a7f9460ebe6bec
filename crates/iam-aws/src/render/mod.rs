//! Rendering: an operation's JSON result as AWS's XML success response.
//!
//! `<{Action}Response xmlns=…><{Action}Result>…</{Action}Result><ResponseMetadata>
//! <RequestId>…</RequestId></ResponseMetadata></{Action}Response>`, with AWS's element names
//! and member order (botocore's IAM model), lists as `<member>`, timestamps as
//! `2024-01-02T03:04:05Z`, policy documents URL-encoded and blobs base64-encoded. Actions
//! whose AWS output has no members (DeleteUser, Attach*, Put*Policy, ...) get no `Result`
//! element; UpdateRole, whose output shape is empty, gets an empty one (botocore looks the
//! wrapper up by name for every operation that has an output shape).

mod credentials;
mod policies;
mod principals;
pub(crate) mod sts;

use crate::xml::{escape, Xml, XMLNS};
use serde_json::Value;

/// The XML success response for `action` from its JSON `result` (the outcome JSON of a
/// write, the JSON of a read, or the shapes documented on [`crate::Call::Simulate`] and
/// [`crate::Call::ContextKeys`]). Fields missing from `result` are left out; never panics.
pub fn render(action: &str, result: &Value, request_id: &str) -> String {
    let action = escape(action);
    let mut out = format!("<{action}Response xmlns=\"{XMLNS}\">");
    if let Some(body) = result_body(&action, result) {
        out.push_str(&format!("<{action}Result>{body}</{action}Result>"));
    }
    out.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    ));
    out
}

/// The content of `{Action}Result`, or `None` for actions AWS answers without one.
pub fn result_body(action: &str, v: &Value) -> Option<String> {
    let mut x = Xml::new();
    let mine = principals::body(&mut x, action, v)
        || policies::body(&mut x, action, v)
        || credentials::body(&mut x, action, v);
    mine.then(|| x.finish())
}

/// The `items` of a page (`{"items": [...], "is_truncated": ..., "marker"?: ...}`).
pub(crate) const ITEMS: &str = "items";

/// `PermissionsBoundary` of a user or role record, when it has one.
pub(crate) fn boundary(x: &mut Xml, v: &Value) {
    if let Some(arn) = v.get("permissions_boundary").and_then(Value::as_str) {
        x.open("PermissionsBoundary")
            .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
            .text("PermissionsBoundaryArn", arn)
            .close("PermissionsBoundary");
    }
}
