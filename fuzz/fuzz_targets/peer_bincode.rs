//! Fuzzes what the peer port decodes (bincode 1, `bincode::deserialize` from the payload's
//! bytes, exactly as `iam-raft`'s `peer.rs` and `network.rs` do): every input is decoded as
//! every message type a node receives from a peer, requests and replies alike. Decoding
//! never panics and allocates O(input) — at most a fixed 32 MiB plus 256 bytes per input
//! byte, whatever a length prefix claims (a global allocator counts) — and whatever decodes
//! re-encodes to bytes that decode to the same value. Writes that decode (ForwardWrites,
//! Forward's Propose, AppendEntries' normal entries) are then applied, in order, on a small
//! seeded `MemStore` as the leader's (or follower's) state machine would: apply never panics
//! and a rejected request writes nothing but its request-token record.
#![no_main]

use iam_raft::network::{SnapshotHeader, SnapshotReply};
use iam_raft::types::{EntryPayload, IamNode, NodeId, TypeConfig};
use iam_raft::RaftNodeError;
use iam_state::{apply_batch, Request};
use iamd_fuzz::{peak, reset_peak, seeded_store};
use libfuzzer_sys::fuzz_target;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, StreamAppendResult, VoteRequest, VoteResponse,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

#[global_allocator]
static ALLOC: iamd_fuzz::Counting = iamd_fuzz::Counting;

/// `iam_raft::node::ForwardRequest` (crate-private), field for field: bincode is not
/// self-describing, so the same shape decodes the same bytes. Keep in step with node.rs.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum ForwardRequest {
    Propose(Request),
    AddNode {
        id: NodeId,
        node: IamNode,
        voter: bool,
    },
    RemoveNode {
        id: NodeId,
    },
}

/// `iam_raft::node::LeaderReply` (crate-private), field for field.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LeaderReply {
    index: u64,
    response: Option<iam_state::Response>,
}

type ForwardResult = Result<LeaderReply, RaftNodeError>;
/// What `iam-storage` decodes a received snapshot's data as (`snapshot::Pairs`).
type SnapshotPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Fixed allowance for the (bounded) preallocation serde grants a sequence's claimed length
/// (1 MiB per sequence being decoded) and the decoder's own state.
const FIXED_BYTES: usize = 32 << 20;
/// Bytes a decoded value may take in memory per byte of input.
const BYTES_PER_INPUT_BYTE: usize = 256;

/// Decodes `data` as `T` as the peer code does, checking the allocation bound and that the
/// value re-encodes stably.
fn decode<T: Serialize + DeserializeOwned>(data: &[u8]) -> Option<T> {
    let base = reset_peak();
    let decoded = bincode::deserialize::<T>(data);
    let used = peak().saturating_sub(base);
    assert!(
        used <= FIXED_BYTES + BYTES_PER_INPUT_BYTE * data.len(),
        "decoding {} bytes as {} allocated {used} bytes",
        data.len(),
        std::any::type_name::<T>()
    );
    let value = decoded.ok()?;
    let bytes = bincode::serialize(&value).expect("a decoded value encodes");
    let again: T = bincode::deserialize(&bytes).expect("a re-encoded value decodes");
    assert_eq!(
        bincode::serialize(&again).expect("encodes"),
        bytes,
        "unstable encoding"
    );
    Some(value)
}

/// Applies `requests` as one log entry on the seeded state.
fn apply_all(requests: &[Request]) {
    if requests.is_empty() {
        return;
    }
    let store = seeded_store();
    let (responses, _writes) = apply_batch(&store, 100, requests);
    assert_eq!(responses.len(), requests.len());
    // Each alone: a rejection writes nothing but its request-token record (`tok…` keys).
    for req in requests.iter().take(4) {
        let (resp, writes) = iam_state::apply(&store, 100, req);
        if resp.result.is_err() {
            assert!(
                writes.ops.keys().all(|k| k.starts_with(b"tok")),
                "a rejected request wrote {writes:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Requests a node serves.
    if let Some(writes) = decode::<Vec<Request>>(data) {
        apply_all(&writes);
    }
    if let Some(ForwardRequest::Propose(req)) = decode::<ForwardRequest>(data) {
        apply_all(std::slice::from_ref(&req));
    }
    if let Some(append) = decode::<AppendEntriesRequest<TypeConfig>>(data) {
        let requests: Vec<Request> = append
            .entries
            .iter()
            .filter_map(|e| match &e.payload {
                EntryPayload::Normal(r) => Some(r.0.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        apply_all(&requests);
    }
    let _ = decode::<VoteRequest<TypeConfig>>(data);
    let _ = decode::<SnapshotHeader>(data);
    let _ = decode::<SnapshotPairs>(data);
    // Replies a node reads from a peer it called.
    let _ = decode::<Vec<ForwardResult>>(data);
    let _ = decode::<ForwardResult>(data);
    let _ = decode::<AppendEntriesResponse<TypeConfig>>(data);
    let _ = decode::<StreamAppendResult<TypeConfig>>(data);
    let _ = decode::<VoteResponse<TypeConfig>>(data);
    let _ = decode::<SnapshotReply>(data);
});
