//! A small XML writer for AWS's response shapes, and the value encodings AWS uses in them:
//! ISO-8601 UTC timestamps, URL-encoded (RFC 3986) policy documents and base64 blobs.
//!
//! Values come from the typed records the renderer decoded (`crate::render`); writing them
//! never fails.

use base64::Engine as _;
use iam_model::Tag;
use iam_state::ops::Page;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

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

    /// `<tag>text</tag>` when there is a text.
    pub(crate) fn opt_text(&mut self, tag: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.text(tag, t);
        }
        self
    }

    /// Like [`Xml::text`], but leaves out an empty string.
    pub(crate) fn nonempty(&mut self, tag: &str, text: &str) -> &mut Self {
        if !text.is_empty() {
            self.text(tag, text);
        }
        self
    }

    /// `<tag>` with a number.
    pub(crate) fn num(&mut self, tag: &str, n: impl std::fmt::Display) -> &mut Self {
        self.text(tag, &n.to_string())
    }

    /// `<tag>true|false</tag>`.
    pub(crate) fn flag(&mut self, tag: &str, b: bool) -> &mut Self {
        self.text(tag, if b { "true" } else { "false" })
    }

    /// `<tag>` with epoch milliseconds as AWS's timestamp.
    pub(crate) fn time(&mut self, tag: &str, ms: u64) -> &mut Self {
        self.text(tag, &timestamp(ms))
    }

    /// `<tag>` with a policy document, URL-encoded.
    pub(crate) fn doc(&mut self, tag: &str, document: &str) -> &mut Self {
        self.text(tag, &url_encode(document))
    }

    /// `<tag><member>…</member>…</tag>` over `items` (`<tag/>` when there are none), each
    /// item written by `item`.
    pub(crate) fn list<T>(
        &mut self,
        tag: &str,
        items: &[T],
        mut item: impl FnMut(&mut Self, &T),
    ) -> &mut Self {
        if items.is_empty() {
            return self.empty(tag);
        }
        self.open(tag);
        for i in items {
            self.open("member");
            item(self, i);
            self.close("member");
        }
        self.close(tag)
    }

    /// A list of strings: `<tag><member>s</member>…</tag>`.
    pub(crate) fn strings(&mut self, tag: &str, items: &[String]) -> &mut Self {
        self.list(tag, items, |x, s| x.out.push_str(&escape(s)))
    }

    /// `Tags` of a record, left out when there are none (as AWS does in entity records).
    pub(crate) fn tags_if_any(&mut self, tags: &[Tag]) -> &mut Self {
        if !tags.is_empty() {
            self.tags(tags);
        }
        self
    }

    /// `<Tags><member><Key/><Value/></member>…</Tags>`.
    pub(crate) fn tags(&mut self, tags: &[Tag]) -> &mut Self {
        self.list("Tags", tags, |x, t| {
            x.text("Key", &t.key).text("Value", &t.value);
        })
    }

    /// `IsTruncated` and, when there is one, `Marker` of a page.
    pub(crate) fn paging(&mut self, is_truncated: bool, marker: Option<&str>) -> &mut Self {
        self.flag("IsTruncated", is_truncated)
            .opt_text("Marker", marker)
    }

    /// A page's items as `<tag>` members, then its paging elements.
    pub(crate) fn page<T>(
        &mut self,
        tag: &str,
        page: &Page<T>,
        item: impl FnMut(&mut Self, &T),
    ) -> &mut Self {
        self.list(tag, &page.items, item)
            .paging(page.is_truncated, page.marker.as_deref())
    }
}
