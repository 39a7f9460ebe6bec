//! The request context: condition keys (case-insensitive, stored lowercased) and their
//! values, single- or multi-valued. A small sorted vector searched by binary search, cheap
//! to build per request and allocation-free to query.

/// The values of one context key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: Box<str>,
    values: Values,
}

/// One value (the common case, one allocation) or a list given as such (a multi-valued key
/// such as `aws:TagKeys`, even a list of one value).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Values {
    One(String),
    List(Vec<String>),
}

impl Values {
    fn as_slice(&self) -> &[String] {
        match self {
            Values::One(v) => std::slice::from_ref(v),
            Values::List(vs) => vs,
        }
    }
}

/// Condition keys and their values for one request.
///
/// Keys are case-insensitive (`aws:SourceIp` ≡ `AWS:sourceip`). Values are strings; each
/// condition operator reads them as it needs (number, date, IP address, base64, boolean).
/// Nothing is derived: a key is present exactly when the caller inserted it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: Vec<Entry>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// An empty context usable in a `static`.
    pub(crate) const fn empty_static() -> Self {
        Context {
            entries: Vec::new(),
        }
    }

    /// An empty context with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Context {
            entries: Vec::with_capacity(n),
        }
    }

    /// Sets a single-valued key, replacing any earlier value.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.put(key, Values::One(value.into()));
        self
    }

    /// Sets a multi-valued key (such as `aws:TagKeys`), replacing any earlier value. An empty
    /// list is a key that is present with no values (a "null dataset"): `Null` and the set
    /// qualifiers treat it like a missing key, but `...IfExists` does not (the key exists).
    pub fn insert_list<I, S>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.put(
            key,
            Values::List(values.into_iter().map(Into::into).collect()),
        );
        self
    }

    /// Builder form of [`Context::insert`].
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Builder form of [`Context::insert_list`].
    pub fn with_list<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert_list(key, values);
        self
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        let key = key.to_lowercase();
        if let Ok(i) = self.find(&key) {
            self.entries.remove(i);
        }
    }

    /// The values of `key` (any case), if present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
            let lower = key.to_lowercase();
            return self.get_lower(&lower).map(|(v, _)| v);
        }
        self.get_lower(key).map(|(v, _)| v)
    }

    /// True when the key was inserted as a list.
    pub fn is_multi_valued(&self, key: &str) -> bool {
        self.get_lower(&key.to_lowercase())
            .is_some_and(|(_, multi)| multi)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lookup by an already-lowercased key (what compiled policies hold).
    pub(crate) fn get_lower(&self, key: &str) -> Option<(&[String], bool)> {
        self.find(key).ok().map(|i| {
            let values = &self.entries[i].values;
            (values.as_slice(), matches!(values, Values::List(_)))
        })
    }

    /// The value of a single-valued key: `None` when the key is missing, a list, or empty.
    pub(crate) fn single(&self, key: &str) -> Option<&str> {
        match self.get_lower(key) {
            Some((values, false)) if values.len() == 1 => Some(values[0].as_str()),
            _ => None,
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| (*e.key).cmp(key))
    }

    fn put(&mut self, key: &str, values: Values) {
        let key = if key.is_ascii() {
            key.to_ascii_lowercase()
        } else {
            key.to_lowercase()
        };
        match self.find(&key) {
            Ok(i) => self.entries[i].values = values,
            Err(i) => self.entries.insert(
                i,
                Entry {
                    key: key.into_boxed_str(),
                    values,
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let ctx = Context::new().with("AWS:SourceIp", "10.0.0.1");
        assert_eq!(ctx.get("aws:sourceip"), Some(&["10.0.0.1".to_owned()][..]));
        assert_eq!(ctx.single("aws:sourceip"), Some("10.0.0.1"));
    }

    #[test]
    fn lists_are_not_single_values() {
        let ctx = Context::new().with_list("aws:TagKeys", ["a"]);
        assert_eq!(ctx.single("aws:tagkeys"), None);
        assert!(ctx.is_multi_valued("aws:TagKeys"));
    }

    #[test]
    fn insert_replaces_and_keeps_order() {
        let mut ctx = Context::new();
        ctx.insert("b", "1").insert("a", "2").insert("B", "3");
        assert_eq!(ctx.len(), 2);
        assert_eq!(ctx.single("b"), Some("3"));
        ctx.remove("A");
        assert_eq!(ctx.get("a"), None);
    }
}
