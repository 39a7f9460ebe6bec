//! The versioned format of everything a node writes to disk (log entries, Raft and state
//! machine metadata, snapshots) or sends to another node (every peer message's payload).
//!
//! Record: [`MAGIC`] (4 bytes), the format version (`u16`, big-endian), then the body. In
//! format 1 the body is bincode of the openraft or iamd structure, in which every IAM
//! request and response is embedded as JSON bytes (`iam_state::codec::json_bytes`). So:
//! - an IAM command may gain a field marked `#[serde(default)]`, or an enum a variant at the
//!   end, without a new format: older entries still decode (JSON names its fields). A
//!   record using such an addition must not reach a node that would drop it, which is what
//!   raising the format is for (below);
//! - anything else (a change of openraft's structures, a field without a default) is a new
//!   format: [`FORMAT`] goes up, and the previous format's decoding stays here.
//!
//! A reader accepts the formats from [`OLDEST`] to [`FORMAT`] and refuses a newer one with
//! an error naming both (an older node does not guess at a newer node's data). Records from
//! before versioned formats carry no magic (the storage crate still reads those; see
//! `iam_storage`); whether bytes carry one is unambiguous, because those records begin with
//! a little-endian term, index or count that would have to exceed 1.8 billion to look
//! like [`MAGIC`].
//!
//! Raising the format in a later release (documented for that release's engineer, in
//! ARCHITECTURE.md "Formats"): it reads both, writes the old one until every member runs
//! it, and only then writes the new one, so a rolling upgrade never sends a record to a
//! node that cannot read it, and a node rolled back before the switch still reads its disk.

use serde::{de::DeserializeOwned, Serialize};

/// Marks a versioned record. The first byte, 0xff, makes the bytes unlike any record from
/// before versioned formats (see the module documentation).
pub const MAGIC: [u8; 4] = [0xff, b'i', b'a', b'm'];
/// The format this build writes.
pub const FORMAT: u16 = 1;
/// The oldest versioned format this build reads.
pub const OLDEST: u16 = 1;
const HEADER_BYTES: usize = MAGIC.len() + 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("{what} is in format {found}, newer than this iamd reads (formats {OLDEST} to {FORMAT}); run a release of iamd that reads it")]
    Newer { what: String, found: u16 },
    #[error("{what} is in format {found}, older than this iamd reads (formats {OLDEST} to {FORMAT}); upgrade through a release that reads both")]
    Older { what: String, found: u16 },
    #[error("{what} carries no format version: it comes from an iamd older than versioned formats (upgrade that node)")]
    Unversioned { what: String },
    #[error("{what} (format {found}) is undecodable: {detail}")]
    Corrupt {
        what: String,
        found: u16,
        detail: String,
    },
    #[error("cannot encode {what}: {detail}")]
    Encode { what: String, detail: String },
}

/// `value` as a record of the current format.
pub fn encode<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<Vec<u8>, FormatError> {
    let body = bincode::serialize(value).map_err(|e| FormatError::Encode {
        what: what.to_owned(),
        detail: e.to_string(),
    })?;
    let mut out = Vec::with_capacity(HEADER_BYTES + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT.to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// The format version of `bytes`, or `None` for bytes without [`MAGIC`] (a record from
/// before versioned formats, or not a record at all).
pub fn version(bytes: &[u8]) -> Option<u16> {
    if bytes.len() < HEADER_BYTES || bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    Some(u16::from_be_bytes([bytes[4], bytes[5]]))
}

/// Decodes a record of any format this build reads; refuses an unversioned one.
pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, FormatError> {
    let found = version(bytes).ok_or_else(|| FormatError::Unversioned {
        what: what.to_owned(),
    })?;
    if found > FORMAT {
        return Err(FormatError::Newer {
            what: what.to_owned(),
            found,
        });
    }
    if found < OLDEST {
        return Err(FormatError::Older {
            what: what.to_owned(),
            found,
        });
    }
    bincode::deserialize(&bytes[HEADER_BYTES..]).map_err(|e| FormatError::Corrupt {
        what: what.to_owned(),
        found,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_names_its_format() {
        let bytes = encode("a test record", &(7u64, "x".to_owned())).unwrap();
        assert_eq!(&bytes[..4], &MAGIC);
        assert_eq!(version(&bytes), Some(FORMAT));
        let back: (u64, String) = decode("a test record", &bytes).unwrap();
        assert_eq!(back, (7, "x".to_owned()));
    }

    #[test]
    fn newer_older_unversioned_and_corrupt_records_are_refused_by_name() {
        let mut bytes = encode("x", &1u64).unwrap();
        bytes[4..6].copy_from_slice(&(FORMAT + 1).to_be_bytes());
        let e = decode::<u64>("log entry 9", &bytes).unwrap_err();
        assert_eq!(
            e,
            FormatError::Newer {
                what: "log entry 9".into(),
                found: FORMAT + 1
            }
        );
        assert!(e.to_string().contains("newer than this iamd reads"), "{e}");
        bytes[4..6].copy_from_slice(&0u16.to_be_bytes());
        assert!(matches!(
            decode::<u64>("x", &bytes),
            Err(FormatError::Older { found: 0, .. })
        ));
        let legacy = bincode::serialize(&1u64).unwrap();
        assert_eq!(version(&legacy), None);
        assert!(matches!(
            decode::<u64>("x", &legacy),
            Err(FormatError::Unversioned { .. })
        ));
        let short = encode("x", &1u8).unwrap();
        assert!(matches!(
            decode::<u64>("x", &short),
            Err(FormatError::Corrupt { found: 1, .. })
        ));
        assert_eq!(version(&[0xff, b'i']), None);
    }

    #[test]
    fn unversioned_records_never_look_versioned() {
        // What such records begin with: a little-endian u64 (term, index, count) or an
        // Option tag; the magic would need a value above 1.8e9 in the first four bytes.
        for first in [0u64, 1, 255, 65_535, 1 << 31, 1_000_000_000] {
            assert_eq!(version(&bincode::serialize(&(first, 0u64)).unwrap()), None);
        }
        let magic_as_le = u32::from_le_bytes(MAGIC) as u64;
        assert!(magic_as_le > 1_800_000_000, "{magic_as_le}");
    }
}
