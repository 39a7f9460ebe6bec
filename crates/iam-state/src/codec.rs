//! How requests and responses are embedded in the node's binary records (log entries,
//! snapshots of the log, forwarded writes): as CBOR bytes, a self-describing encoding that
//! names struct fields and enum variants. The records around them are bincode, which is
//! not self-describing (it cannot skip or default a field), so a command's shape would
//! otherwise be frozen by every entry ever written. With CBOR, a field added with
//! `#[serde(default)]` reads as its default from older entries, and an unknown variant is
//! refused by name. The record's format version (`iam_raft::format`) says which shapes a
//! reader may meet.
//!
//! Use as `#[serde(with = "iam_state::codec::cbor")]` on a field of a bincode record.

use serde::de::{DeserializeOwned, Deserializer, Error as _, Visitor};
use serde::ser::{Error as _, Serializer};
use serde::Serialize;

/// The value's CBOR encoding.
pub fn to_cbor<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A value from its CBOR encoding.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    ciborium::from_reader(bytes).map_err(|e| e.to_string())
}

/// A field carried as a byte string holding its CBOR encoding.
pub mod cbor {
    use super::*;

    pub fn serialize<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        let bytes = to_cbor(value).map_err(S::Error::custom)?;
        s.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        let bytes = d.deserialize_byte_buf(ByteBuf)?;
        from_cbor(&bytes).map_err(|e| D::Error::custom(format!("embedded CBOR: {e}")))
    }
}

/// A value carried like a [`cbor`] field (a byte string holding its CBOR encoding: the
/// same bytes), shared rather than copied when cloned, and encoded at most once: the bytes
/// are kept beside the value, from the first encoding or from the decoding that made it.
/// A log entry's requests are encoded for the log, for each follower's `AppendEntries` and
/// again by each follower for its own log; they are cloned into the in-memory tail of the
/// log and into each replication batch. With this, each of those is a reference count.
pub struct Shared<T>(std::sync::Arc<SharedInner<T>>);

struct SharedInner<T> {
    value: T,
    cbor: std::sync::OnceLock<Vec<u8>>,
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Self(std::sync::Arc::new(SharedInner {
            value,
            cbor: std::sync::OnceLock::new(),
        }))
    }

    /// The value, taken out when nothing else shares it, else a copy.
    pub fn into_inner(self) -> T
    where
        T: Clone,
    {
        match std::sync::Arc::try_unwrap(self.0) {
            Ok(inner) => inner.value,
            Err(shared) => shared.value.clone(),
        }
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0.value == other.0.value
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.value.fmt(f)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(bytes) = self.0.cbor.get() {
            return s.serialize_bytes(bytes);
        }
        let bytes = to_cbor(&self.0.value).map_err(S::Error::custom)?;
        let done = s.serialize_bytes(&bytes);
        // Another thread may have encoded it meanwhile: the same bytes either way.
        let _ = self.0.cbor.set(bytes);
        done
    }
}

impl<'de, T: DeserializeOwned> serde::Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = d.deserialize_byte_buf(ByteBuf)?;
        let value =
            from_cbor(&bytes).map_err(|e| D::Error::custom(format!("embedded CBOR: {e}")))?;
        let cbor = std::sync::OnceLock::new();
        let _ = cbor.set(bytes);
        Ok(Self(std::sync::Arc::new(SharedInner { value, cbor })))
    }
}

/// Key/value pairs whose keys and values are byte strings (not sequences of numbers, which
/// CBOR would spend up to two bytes per byte on). Under bincode the encoding is the same as
/// that of a plain `Vec<(Vec<u8>, Vec<u8>)>`.
pub mod byte_pairs {
    use super::*;
    use serde::ser::SerializeSeq;

    struct Bytes<'a>(&'a [u8]);

    impl Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    struct OwnedBytes(Vec<u8>);

    impl<'de> serde::Deserialize<'de> for OwnedBytes {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_byte_buf(ByteBuf).map(OwnedBytes)
        }
    }

    pub fn serialize<S: Serializer>(pairs: &[(Vec<u8>, Vec<u8>)], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(pairs.len()))?;
        for (k, v) in pairs {
            seq.serialize_element(&(Bytes(k), Bytes(v)))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<crate::backup::Pairs, D::Error> {
        let pairs: Vec<(OwnedBytes, OwnedBytes)> = serde::Deserialize::deserialize(d)?;
        Ok(pairs.into_iter().map(|(k, v)| (k.0, v.0)).collect())
    }
}

/// Reads a byte string, or a sequence of numbers (how some encoders write bytes).
struct ByteBuf;

impl<'de> Visitor<'de> for ByteBuf {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Old {
        a: u64,
        #[serde(with = "byte_pairs")]
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct New {
        a: u64,
        #[serde(with = "byte_pairs")]
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
        #[serde(default)]
        added: Option<String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record<T: Serialize + DeserializeOwned> {
        index: u64,
        #[serde(with = "cbor")]
        inner: T,
    }

    #[test]
    fn a_field_added_with_a_default_reads_from_records_written_without_it() {
        let old = Record {
            index: 3,
            inner: Old {
                a: 1,
                pairs: vec![(b"k".to_vec(), vec![0, 255, 7])],
            },
        };
        let bytes = bincode::serialize(&old).unwrap();
        let new: Record<New> = bincode::deserialize(&bytes).unwrap();
        assert_eq!(new.inner.added, None);
        assert_eq!(new.inner.pairs, old.inner.pairs);
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct SharedRecord {
        index: u64,
        inner: Shared<New>,
    }

    #[test]
    fn a_shared_value_is_the_same_bytes_as_a_cbor_field_and_keeps_what_it_was_read_from() {
        let old = Record {
            index: 3,
            inner: Old {
                a: 1,
                pairs: vec![(b"k".to_vec(), vec![0, 255, 7])],
            },
        };
        let bytes = bincode::serialize(&old).unwrap();
        let shared: SharedRecord = bincode::deserialize(&bytes).unwrap();
        assert_eq!(shared.inner.added, None);
        assert_eq!(shared.inner.pairs, old.inner.pairs);
        // Written again: the bytes it was read from (an older shape stays that shape).
        assert_eq!(bincode::serialize(&shared).unwrap(), bytes);
        // A new value encodes as a `cbor` field does, once, and its clones share it.
        let new = New {
            a: 2,
            pairs: vec![],
            added: Some("x".into()),
        };
        let plain = bincode::serialize(&Record {
            index: 4,
            inner: New {
                a: 2,
                pairs: vec![],
                added: Some("x".into()),
            },
        })
        .unwrap();
        let record = SharedRecord {
            index: 4,
            inner: Shared::new(new),
        };
        let copy = SharedRecord {
            index: 4,
            inner: record.inner.clone(),
        };
        assert_eq!(bincode::serialize(&record).unwrap(), plain);
        assert!(
            copy.inner.0.cbor.get().is_some(),
            "the clone shares the encoding"
        );
        assert_eq!(bincode::serialize(&copy).unwrap(), plain);
        assert_eq!(copy.inner.into_inner().added.as_deref(), Some("x"));
    }

    #[test]
    fn byte_pairs_are_bincodes_plain_pairs_and_compact_in_cbor() {
        let pairs = vec![(b"user/x".to_vec(), vec![200u8; 1000])];
        let plain = bincode::serialize(&pairs).unwrap();
        let with = bincode::serialize(&Old {
            a: 0,
            pairs: pairs.clone(),
        })
        .unwrap();
        assert_eq!(&with[8..], &plain[..], "same bytes after the u64 field");
        let cbor = to_cbor(&Old { a: 0, pairs }).unwrap();
        assert!(cbor.len() < 1100, "{} bytes", cbor.len());
    }
}
