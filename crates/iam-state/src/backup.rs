//! Backup files (`iamctl snapshot save`): the whole state at one log index, with a header
//! that says what it is and a SHA-256 over everything, in a format of iamd's own that a
//! later version still reads.
//!
//! Layout, format version 1 (all integers big-endian):
//!
//! ```text
//! "IAMDSNAP"                 8 bytes, magic
//! version                    u32 (1)
//! header length, header      u32, that many bytes of JSON (Header)
//! pairs                      repeated: u32 key length, key, u32 value length, value
//!                            (key order, exactly Header::pairs of them)
//! sha256                     32 bytes over everything before it
//! ```
//!
//! The values are the state as stored: secrets stay sealed under the cluster secret key and
//! password hashes stay hashes, so a backup is only as sensitive as the state itself — and
//! is restorable only by a cluster given the same secret key.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const MAGIC: &[u8; 8] = b"IAMDSNAP";

/// The newest format this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Largest header this version reads.
const HEADER_MAX: usize = 1 << 20;

/// What a backup file says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The cluster the state was saved from.
    pub cluster_id: String,
    /// The node that saved it.
    pub node_id: u64,
    /// The log index the state is at (every entry up to it applied, none after).
    pub index: u64,
    /// When it was saved (ms since the epoch, the saving node's clock).
    pub created_ms: u64,
    /// The iamd version that saved it.
    pub iamd_version: String,
    /// Number of key/value pairs.
    pub pairs: u64,
    /// Pairs per keyspace (the key up to its first `/`, e.g. `user`, `tok`).
    pub counts: BTreeMap<String, u64>,
}

/// Why a backup file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error("not an iamd snapshot file (it does not start with IAMDSNAP)")]
    NotASnapshot,
    #[error("snapshot format {found} is newer than this iamd reads (up to {FORMAT_VERSION}); use a newer iamd")]
    NewerFormat { found: u32 },
    #[error("snapshot file is truncated ({0})")]
    Truncated(&'static str),
    #[error("snapshot file is corrupt: its SHA-256 is {actual}, the file says {expected}")]
    Checksum { expected: String, actual: String },
    #[error("snapshot file is corrupt: {0}")]
    Corrupt(String),
}

/// The keyspace of a state key: the part before its first `/` (the whole key if none).
pub fn keyspace(key: &[u8]) -> String {
    let end = key.iter().position(|b| *b == b'/').unwrap_or(key.len());
    String::from_utf8_lossy(&key[..end]).into_owned()
}

/// Counts pairs per keyspace.
pub fn count(pairs: &[(Vec<u8>, Vec<u8>)]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for (k, _) in pairs {
        *counts.entry(keyspace(k)).or_default() += 1;
    }
    counts
}

/// Encodes a backup file. `header.pairs` and `header.counts` are filled in from `pairs`.
pub fn encode(mut header: Header, pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    header.pairs = pairs.len() as u64;
    header.counts = count(pairs);
    let json = serde_json::to_vec(&header).unwrap_or_default();
    let body: usize = pairs.iter().map(|(k, v)| 8 + k.len() + v.len()).sum();
    let mut out = Vec::with_capacity(16 + json.len() + body + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    out.extend_from_slice(&(json.len() as u32).to_be_bytes());
    out.extend_from_slice(&json);
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// A reader over the file's bytes that fails on truncation instead of panicking.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], BackupError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(BackupError::Truncated(what))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, BackupError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Reads only the header (after checking magic and version): what `snapshot status` shows
/// before it verifies the whole file.
pub fn header(bytes: &[u8]) -> Result<Header, BackupError> {
    let mut c = Cursor { bytes, at: 0 };
    if c.take(MAGIC.len(), "magic")
        .map_err(|_| BackupError::NotASnapshot)?
        != MAGIC
    {
        return Err(BackupError::NotASnapshot);
    }
    let version = c.u32("version")?;
    if version > FORMAT_VERSION || version == 0 {
        return Err(BackupError::NewerFormat { found: version });
    }
    let len = c.u32("header length")? as usize;
    if len > HEADER_MAX {
        return Err(BackupError::Corrupt(format!(
            "a header of {len} bytes (at most {HEADER_MAX})"
        )));
    }
    let json = c.take(len, "header")?;
    serde_json::from_slice(json).map_err(|e| BackupError::Corrupt(format!("header: {e}")))
}

/// A state's key/value pairs, in key order.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Reads and verifies a whole backup file: checksum, every pair, their count and order.
pub fn decode(bytes: &[u8]) -> Result<(Header, Pairs), BackupError> {
    let header = header(bytes)?;
    if bytes.len() < 32 {
        return Err(BackupError::Truncated("checksum"));
    }
    let (content, sum) = bytes.split_at(bytes.len() - 32);
    let actual = Sha256::digest(content);
    if actual.as_slice() != sum {
        return Err(BackupError::Checksum {
            expected: hex::encode(sum),
            actual: hex::encode(actual),
        });
    }
    let mut c = Cursor {
        bytes: content,
        at: 0,
    };
    c.take(MAGIC.len() + 4, "magic")?;
    let len = c.u32("header length")? as usize;
    c.take(len, "header")?;
    let mut pairs: Pairs = Vec::new();
    while c.at < content.len() {
        if pairs.len() as u64 >= header.pairs {
            return Err(BackupError::Corrupt(format!(
                "more pairs than the {} the header counts",
                header.pairs
            )));
        }
        let klen = c.u32("key length")? as usize;
        let key = c.take(klen, "key")?.to_vec();
        let vlen = c.u32("value length")? as usize;
        let value = c.take(vlen, "value")?.to_vec();
        if pairs.last().is_some_and(|(prev, _)| *prev >= key) {
            return Err(BackupError::Corrupt("keys out of order".into()));
        }
        pairs.push((key, value));
    }
    if pairs.len() as u64 != header.pairs || count(&pairs) != header.counts {
        return Err(BackupError::Corrupt(format!(
            "{} pairs, the header counts {}",
            pairs.len(),
            header.pairs
        )));
    }
    Ok((header, pairs))
}

/// The SHA-256 of a backup file as `sha256sum` prints it.
pub fn file_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Header, Pairs) {
        let header = Header {
            cluster_id: "c1".into(),
            node_id: 3,
            index: 42,
            created_ms: 1_700_000_000_000,
            iamd_version: "0.1.0".into(),
            pairs: 0,
            counts: BTreeMap::new(),
        };
        let pairs = vec![
            (b"acct/111111111111".to_vec(), b"{}".to_vec()),
            (b"tok/s1:x".to_vec(), vec![0, 1, 2]),
            (b"tokn".to_vec(), b"1".to_vec()),
            (b"user/111111111111/alice".to_vec(), Vec::new()),
        ];
        (header, pairs)
    }

    #[test]
    fn a_backup_round_trips_and_counts_its_keyspaces() {
        let (h, pairs) = sample();
        let bytes = encode(h, &pairs);
        let (back, got) = decode(&bytes).unwrap();
        assert_eq!(got, pairs);
        assert_eq!(back.pairs, 4);
        assert_eq!(back.index, 42);
        assert_eq!(
            back.counts,
            BTreeMap::from([
                ("acct".into(), 1),
                ("tok".into(), 1),
                ("tokn".into(), 1),
                ("user".into(), 1)
            ])
        );
        assert_eq!(header(&bytes).unwrap(), back);
    }

    /// The format is fixed: this is format 1 as it must stay readable.
    #[test]
    fn format_1_golden_bytes_still_decode() {
        let golden = include_bytes!("../tests/golden/backup-v1.iamdsnap");
        let (h, pairs) = decode(golden).expect("format 1 reads");
        assert_eq!(h.cluster_id, "c1");
        assert_eq!(h.index, 42);
        assert_eq!(pairs, sample().1);
    }

    #[test]
    fn damaged_files_are_refused_with_the_reason() {
        let (h, pairs) = sample();
        let bytes = encode(h, &pairs);
        assert_eq!(decode(b"not a snapshot"), Err(BackupError::NotASnapshot));
        let mut newer = bytes.clone();
        newer[11] = 2;
        assert_eq!(decode(&newer), Err(BackupError::NewerFormat { found: 2 }));
        let mut flipped = bytes.clone();
        let mid = bytes.len() / 2;
        flipped[mid] ^= 1;
        assert!(matches!(
            decode(&flipped),
            Err(BackupError::Checksum { .. })
        ));
        for cut in [0, 5, 13, 20, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
