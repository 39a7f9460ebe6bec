//! Every value this crate stores (log entries, vote, committed and purged ids, the state
//! machine's applied id and membership, snapshots) is an `iam_raft::format` record. Values
//! from before versioned formats (no magic) are still read: their bodies are the same
//! bincode, except that a log entry's requests were plain bincode rather than embedded
//! CBOR, which [`decode_entry`] converts.
//!
//! The data directory's own layout has a format of its own (`db.rs`, `check_format`).

use iam_raft::format::{self, FormatError};
use iam_raft::types::{Entry, IamNode, LeaderId, NodeId, Requests};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io;

pub fn encode<T: Serialize + ?Sized>(what: &str, value: &T) -> io::Result<Vec<u8>> {
    format::encode(what, value).map_err(io::Error::other)
}

/// A stored value of any format this build reads, unversioned ones included.
pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> io::Result<T> {
    match format::version(bytes) {
        Some(_) => format::decode(what, bytes).map_err(io::Error::other),
        None => bincode::deserialize(bytes).map_err(|e| {
            io::Error::other(FormatError::Corrupt {
                what: what.to_owned(),
                found: 0,
                detail: e.to_string(),
            })
        }),
    }
}

/// A request as stored before versioned formats (plain bincode, which reads fields by
/// position: the fields `iam_state::Request` gained since are not there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct UnversionedRequest {
    request_token: Option<String>,
    time_ms: u64,
    command: iam_state::Command,
}

impl From<UnversionedRequest> for iam_state::Request {
    fn from(r: UnversionedRequest) -> Self {
        let mut request = iam_state::Request::new(r.time_ms, r.command);
        request.request_token = r.request_token;
        request
    }
}

/// A log entry's requests as stored before versioned formats: plain bincode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
struct UnversionedRequests(Vec<UnversionedRequest>);

impl std::fmt::Display for UnversionedRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} request(s)", self.0.len())
    }
}

type UnversionedEntry =
    openraft::Entry<LeaderId, openraft::EntryPayload<UnversionedRequests, NodeId, IamNode>>;

/// A stored log entry, of any format this build reads.
pub fn decode_entry(index: u64, bytes: &[u8]) -> io::Result<Entry> {
    if format::version(bytes).is_some() {
        return format::decode(&format!("log entry {index}"), bytes).map_err(io::Error::other);
    }
    let old: UnversionedEntry = bincode::deserialize(bytes).map_err(|e| {
        io::Error::other(FormatError::Corrupt {
            what: format!("log entry {index}"),
            found: 0,
            detail: e.to_string(),
        })
    })?;
    let payload = match old.payload {
        openraft::EntryPayload::Blank => openraft::EntryPayload::Blank,
        openraft::EntryPayload::Normal(r) => {
            openraft::EntryPayload::Normal(Requests::new(r.0.into_iter().map(Into::into).collect()))
        }
        openraft::EntryPayload::Membership(m) => openraft::EntryPayload::Membership(m),
    };
    Ok(Entry {
        log_id: old.log_id,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iam_raft::types::LogId;

    fn request() -> UnversionedRequest {
        UnversionedRequest {
            request_token: Some("t".into()),
            time_ms: 1_700_000_000_000,
            command: iam_state::Command::RevokeTokenKey { key_id: 3 },
        }
    }

    #[test]
    fn an_entry_from_before_versioned_formats_still_reads() {
        use openraft::vote::RaftLeaderId;
        let log_id = LogId::new(LeaderId::new(2, 1), 9);
        let old: UnversionedEntry = openraft::Entry {
            log_id,
            payload: openraft::EntryPayload::Normal(UnversionedRequests(vec![request()])),
        };
        let bytes = bincode::serialize(&old).unwrap();
        assert_eq!(format::version(&bytes), None);
        let entry = decode_entry(9, &bytes).unwrap();
        assert_eq!(entry.log_id, log_id);
        assert!(
            matches!(&entry.payload, openraft::EntryPayload::Normal(r) if *r.0 == vec![request().into()])
        );
        // Written again, it is a versioned record that reads back the same.
        let again = encode("x", &entry).unwrap();
        assert_eq!(format::version(&again), Some(format::FORMAT));
        assert_eq!(decode_entry(9, &again).unwrap(), entry);
    }
}
