//! Form bodies and AWS's Query-protocol parameter encodings: scalars as `Name=value`, lists
//! as `Name.member.N` (N from 1), structures in lists as `Name.member.N.Field`, and an empty
//! list as `Name=` with no value.

use crate::error::{AwsError, AwsErrors};
use iam_auth::sigv4::query_pairs;
use iam_model::ErrorCode;
use iam_model::Tag;
use iam_state::ops::PageRequest;
use std::collections::BTreeMap;

/// Decodes an `application/x-www-form-urlencoded` body (`+` is a space; invalid UTF-8 is
/// replaced, never rejected) with the decoder SigV4's canonical query uses
/// ([`query_pairs`]). A server executing a request uses [`Params::from_request`], which is
/// strict.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    query_pairs(body)
        .into_iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect()
}

/// The code of a query string or form body that cannot be read as parameters (AWS's
/// common Query-protocol error).
pub(crate) const MALFORMED: ErrorCode = ErrorCode::MalformedQueryString;

/// One entry of `ContextEntries` (SimulatePrincipalPolicy / SimulateCustomPolicy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    /// `ContextKeyName`.
    pub name: String,
    /// `ContextKeyValues.member.M`, in order.
    pub values: Vec<String>,
    /// `ContextKeyType` (`string`, `stringList`, `numeric`, `boolean`, `ip`, `date`, ...
    /// as sent; the server interprets it).
    pub kind: Option<String>,
}

/// The request's parameters. When a name repeats, the first value counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
        Self { map }
    }

    /// Parameters of a form body ([`parse_form`]).
    pub fn from_form(body: &[u8]) -> Self {
        Self::new(parse_form(body))
    }

    /// The parameters of a Query API request as a server executes them: those of the raw
    /// query string and of the form body together (AWS's Query protocol merges them),
    /// decoded exactly as SigV4's canonical query decodes them ([`query_pairs`]), so the
    /// signature covers the very bytes executed (the query through the canonical request,
    /// the body through its hash). A parameter given twice — in either part or across
    /// both — is refused rather than read one way here and another there; so is a name or
    /// value that is not UTF-8 (it could only be executed as something else).
    pub fn from_request(query: &[u8], body: &[u8]) -> Result<Self, AwsError> {
        let mut map = BTreeMap::new();
        for (part, raw) in [("query string", query), ("body", body)] {
            for (k, v) in query_pairs(raw) {
                let utf8 = |b: Vec<u8>| {
                    String::from_utf8(b).map_err(|e| {
                        AwsError::new(
                            MALFORMED,
                            format!(
                                "The {part} is not valid UTF-8 once decoded: '{}'.",
                                String::from_utf8_lossy(e.as_bytes())
                            ),
                        )
                    })
                };
                let (k, v) = (utf8(k)?, utf8(v)?);
                if map.contains_key(&k) {
                    return Err(AwsError::new(
                        MALFORMED,
                        format!(
                            "The parameter '{k}' is given more than once (query string and \
                             body together); give each parameter once."
                        ),
                    ));
                }
                map.insert(k, v);
            }
        }
        Ok(Self { map })
    }

    /// A scalar parameter.
    /// Every parameter, by name.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// A required scalar: absent is AWS's "Value null ... Member must not be null".
    pub fn required(&self, name: &str) -> Result<String, AwsError> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| AwsError::missing(name))
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// An optional boolean: `true` or `false` (any case, as AWS's Query protocol accepts).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(AwsError::invalid(
                name,
                v,
                "Member must be a boolean (true or false)",
            )),
        }
    }

    /// An optional non-negative integer. Values beyond `u32` are clamped, so range checks
    /// downstream report them as too large.
    pub fn u32(&self, name: &str) -> Result<Option<u32>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => {
                let t = v.trim();
                if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(Some(t.parse().unwrap_or(u32::MAX)))
                } else if t.starts_with('-')
                    && t.len() > 1
                    && t[1..].bytes().all(|b| b.is_ascii_digit())
                {
                    // Negative numbers are numbers: let range checks report them as 0.
                    Ok(Some(0))
                } else {
                    Err(AwsError::invalid(name, v, "Member must be a number"))
                }
            }
        }
    }

    /// `Marker` and `MaxItems`.
    pub fn page(&self) -> Result<PageRequest, AwsError> {
        Ok(PageRequest {
            marker: self.optional("Marker"),
            max_items: self.u32("MaxItems")?,
        })
    }

    /// Members of `Name.member.N.*` keyed by N, for N ≥ 1, in numeric order, each with the
    /// rest of the parameter name after `Name.member.N` (empty for scalar members).
    fn members(&self, name: &str) -> BTreeMap<u32, Vec<(&str, &str)>> {
        let prefix = format!("{name}.member.");
        let mut out: BTreeMap<u32, Vec<(&str, &str)>> = BTreeMap::new();
        for (k, v) in self.map.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            let (n, field) = match rest.split_once('.') {
                Some((n, field)) => (n, field),
                None => (rest, ""),
            };
            if let Ok(n) = n.parse::<u32>() {
                if n >= 1 {
                    out.entry(n).or_default().push((field, v.as_str()));
                }
            }
        }
        out
    }

    /// Whether the list `name` was sent at all (as members or as the empty `Name=`).
    pub fn has_list(&self, name: &str) -> bool {
        self.map.contains_key(name) || !self.members(name).is_empty()
    }

    /// A list of strings, `Name.member.N` (e.g. `TagKeys`, `ActionNames`, `ResourceArns`,
    /// `PolicyInputList`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.members(name)
            .into_values()
            .filter_map(|fields| {
                fields
                    .into_iter()
                    .find(|(f, _)| f.is_empty())
                    .map(|(_, v)| v.to_owned())
            })
            .collect()
    }

    /// A required list: absent is AWS's null error; `Name=` is an empty list.
    pub fn required_list(&self, name: &str) -> Result<Vec<String>, AwsError> {
        if !self.has_list(name) {
            return Err(AwsError::missing(name));
        }
        Ok(self.list(name))
    }

    /// `Tags.member.N.Key` / `.Value` (a missing value is the empty string, which AWS
    /// allows; a missing key is AWS's null error for `tags.N.member.key`).
    pub fn tags(&self, name: &str) -> Result<Vec<Tag>, AwsError> {
        let mut tags = Vec::new();
        for (n, fields) in self.members(name) {
            let get = |f: &str| fields.iter().find(|(k, _)| *k == f).map(|(_, v)| *v);
            let Some(key) = get("Key") else {
                return Err(AwsError::new(
                    ErrorCode::ValidationError,
                    format!(
                        "1 validation error detected: Value null at '{}.{n}.member.key' failed \
                         to satisfy constraint: Member must not be null",
                        crate::error::field_name(name)
                    ),
                ));
            };
            tags.push(Tag {
                key: key.to_owned(),
                value: get("Value").unwrap_or("").to_owned(),
            });
        }
        Ok(tags)
    }

    /// `ContextEntries.member.N.ContextKeyName` / `.ContextKeyValues.member.M` /
    /// `.ContextKeyType`. Entries without a name are skipped.
    pub fn context_entries(&self, name: &str) -> Vec<ContextEntry> {
        let mut out = Vec::new();
        for fields in self.members(name).into_values() {
            let get = |f: &str| {
                fields
                    .iter()
                    .find(|(k, _)| *k == f)
                    .map(|(_, v)| (*v).to_owned())
            };
            let Some(key) = get("ContextKeyName") else {
                continue;
            };
            let mut values: BTreeMap<u32, String> = BTreeMap::new();
            for (f, v) in &fields {
                if let Some(m) = f.strip_prefix("ContextKeyValues.member.") {
                    if let Ok(m) = m.parse::<u32>() {
                        values.entry(m).or_insert_with(|| (*v).to_owned());
                    }
                }
            }
            out.push(ContextEntry {
                name: key,
                values: values.into_values().collect(),
                kind: get("ContextKeyType"),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_merges_query_and_body_and_refuses_repeats() {
        let p = Params::from_request(b"Action=GetUser", b"UserName=a+b%2Bc&Path=%2F").unwrap();
        assert_eq!(p.get("Action"), Some("GetUser"));
        assert_eq!(p.get("UserName"), Some("a b+c"));
        assert_eq!(p.get("Path"), Some("/"));
        for (query, body) in [
            (&b"Action=GetUser&Action=CreateUser"[..], &b""[..]),
            (b"", b"UserName=a&UserName=b"),
            (b"Action=GetUser", b"Action=CreateUser&UserName=x"),
            // The same name however it is spelled on the wire.
            (b"User%4Eame=a", b"UserName=b"),
        ] {
            let e = Params::from_request(query, body).unwrap_err();
            assert_eq!(e.code, MALFORMED, "{e}");
            assert!(e.message.contains("more than once"), "{e}");
        }
        let e = Params::from_request(b"", b"UserName=%FF").unwrap_err();
        assert_eq!(e.code, MALFORMED);
        assert!(e.message.contains("UTF-8"), "{e}");
    }
}
