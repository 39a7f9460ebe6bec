//! A small XML writer for AWS's response shapes, and the value encodings AWS uses in them:
//! ISO-8601 UTC timestamps, URL-encoded (RFC 3986) policy documents and base64 blobs.
//!
//! Values come from JSON records; a field that is absent or of the wrong type is left out
//! rather than failing, so rendering never panics.

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// The IAM Query API's XML namespace.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Escapes text for element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all are dropped; CR is kept as a reference
            // so parsers do not normalize it away.
            '\r' => out.push_str("&#xD;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n') => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 3986 unreserved characters stay, everything else is percent-encoded (spaces as
/// `%20`, never `+`): what botocore's `unquote` expects of policy documents.
const DOCUMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A policy document as AWS returns it: URL-encoded.
pub fn url_encode(document: &str) -> String {
    utf8_percent_encode(document, DOCUMENT).to_string()
}

/// Milliseconds since the Unix epoch as AWS's timestamp, e.g. `2024-01-02T03:04:05Z`.
pub fn timestamp(ms: u64) -> String {
    iam_model::time::Utc::from_ms(ms).iso8601()
}

/// Base64 (standard alphabet, padded), AWS's wire form of blobs.
pub(crate) fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Builds a document element by element.
#[derive(Debug, Default)]
pub(crate) struct Xml {
    out: String,
}

impl Xml {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    pub(crate) fn open(&mut self, tag: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    pub(crate) fn close(&mut self, tag: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag>text</tag>`, escaped.
    pub(crate) fn text(&mut self, tag: &str, text: &str) -> &mut Self {
        self.open(tag);
        self.out.push_str(&escape(text));
        self.close(tag)
    }

    /// `<tag/>`.
    pub(crate) fn empty(&mut self, tag: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str("/>");
        self
    }

    /// `<tag>` with the string field `key` of `v`, when present.
    pub(crate) fn str_field(&mut self, tag: &str, v: &Value, key: &str) -> &mut Self {
        if let Some(s) = v.get(key).and_then(Value::as_str) {
            self.text(tag, s);
        }
        self
    }

    /// Like [`Xml::str_field`], but leaves out an empty string.
    pub(crate) fn nonempty_field(&mut self, tag: &str, v: &Value, key: &str) -> &mut Self {
        if let Some(s) = v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            self.text(tag, s);
        }
        self
    }

    /// `<tag>` with the integer field `key`, when present.
    pub(crate) fn int_field(&mut self, tag: &str, v: &Value, key: &str) -> &mut Self {
        if let Some(n) = v.get(key).and_then(Value::as_u64) {
            self.text(tag, &n.to_string());
        }
        self
    }

    /// `<tag>true|false</tag>` from the boolean field `key`, when present.
    pub(crate) fn bool_field(&mut self, tag: &str, v: &Value, key: &str) -> &mut Self {
        if let Some(b) = v.get(key).and_then(Value::as_bool) {
            self.text(tag, if b { "true" } else { "false" });
        }
        self
    }

    /// `<tag>` with the epoch-milliseconds field `key` as a timestamp, when present.
    pub(crate) fn time_field(&mut self, tag: &str, v: &Value, key: &str) -> &mut Self {
        if let Some(ms) = v.get(key).and_then(Value::as_u64) {
            self.text(tag, &timestamp(ms));
        }
        self
    }

    /// `<tag>` with the policy-document field `key`, URL-encoded, when present.
    pub(crate) fn doc_field(&mut self, tag: &str, v: &Value, key: &str) -> &mut Self {
        if let Some(s) = v.get(key).and_then(Value::as_str) {
            self.text(tag, &url_encode(s));
        }
        self
    }

    /// `<tag><member>…</member>…</tag>` over the array field `key` (an absent field is an
    /// empty list), each item written by `item`.
    pub(crate) fn members(
        &mut self,
        tag: &str,
        v: &Value,
        key: &str,
        mut item: impl FnMut(&mut Self, &Value),
    ) -> &mut Self {
        let items = v.get(key).and_then(Value::as_array);
        match items {
            Some(items) if !items.is_empty() => {
                self.open(tag);
                for i in items {
                    self.open("member");
                    item(self, i);
                    self.close("member");
                }
                self.close(tag)
            }
            _ => self.empty(tag),
        }
    }

    /// A list of strings: `<tag><member>s</member>…</tag>`.
    pub(crate) fn string_members(&mut self, tag: &str, v: &Value, key: &str) -> &mut Self {
        self.members(tag, v, key, |x, s| {
            if let Some(s) = s.as_str() {
                x.out.push_str(&escape(s));
            }
        })
    }

    /// `Tags` of a record, left out when there are none (as AWS does in entity records).
    pub(crate) fn tags_if_any(&mut self, v: &Value) -> &mut Self {
        if v.get("tags")
            .and_then(Value::as_array)
            .is_some_and(|t| !t.is_empty())
        {
            self.tags(v, "tags");
        }
        self
    }

    /// `<Tags><member><Key/><Value/></member>…</Tags>` from the array field `key`.
    pub(crate) fn tags(&mut self, v: &Value, key: &str) -> &mut Self {
        self.members("Tags", v, key, |x, t| {
            x.str_field("Key", t, "key").str_field("Value", t, "value");
        })
    }

    /// `IsTruncated` and, when present, `Marker` of a page.
    pub(crate) fn paging(&mut self, v: &Value) -> &mut Self {
        let truncated = v
            .get("is_truncated")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.text("IsTruncated", if truncated { "true" } else { "false" });
        self.str_field("Marker", v, "marker")
    }
}
