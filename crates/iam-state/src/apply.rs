//! Deterministic apply: (state, log index, request) -> (response, writes).
//!
//! Validation here is the authoritative check against the state at this log index; the
//! server validates the same inputs before proposing only to fail fast. A rejected command
//! changes nothing; what it writes is at most its request token with the refusal (a scoped
//! `s2` token, see [`crate::token`]), so that the first outcome of a request decides for
//! every copy and retry of it. (Entries of older versions replay as they were applied: a
//! refusal under an `s1` or legacy token writes nothing, and a retry of it runs again.)

use crate::command::{Command, Outcome, Request, Response};
use crate::keys;
use crate::ops::Ctx;
use crate::store::{encode, StateRead, Txn, WriteSet};
use crate::token::{self, Remembered};
use iam_model::limits::{REQUEST_TOKENS_MAX, REQUEST_TOKEN_WINDOW_ENTRIES};
use iam_model::{arn, names, Account, ErrorCode, IamError, IamResult};

/// Applies the requests one log entry carries, in order, each seeing the writes of those
/// before it; returns their responses and all their writes (committed together).
pub fn apply_batch(
    state: &dyn StateRead,
    index: u64,
    requests: &[Request],
) -> (Vec<Response>, WriteSet) {
    apply_batch_bounded(state, index, requests, REQUEST_TOKENS_MAX)
}

fn apply_batch_bounded(
    state: &dyn StateRead,
    index: u64,
    requests: &[Request],
    max_tokens: u64,
) -> (Vec<Response>, WriteSet) {
    let mut txn = Txn::new(state);
    let mut responses = Vec::with_capacity(requests.len());
    let mut applied = 0;
    // The last request that recorded an event (its time and bounds prune the history).
    let mut recorded: Option<&Request> = None;
    let mut events = 0;
    // From release 5 the entry's events are one record, written once all are known; the
    // layout is the release's at the start of the entry (a finalization inside it changes
    // the next entry's).
    let per_entry = crate::release::cluster_release(state) >= crate::release::EVENTS_PER_ENTRY;
    let mut changes: Vec<(u64, &crate::events::Origin)> = Vec::new();
    for (position, req) in requests.iter().enumerate() {
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        let (response, writes, changed) = apply_at(&txn, index, position, per_entry, req);
        if !writes.is_empty() || changed {
            applied += 1;
        }
        if changed {
            recorded = Some(req);
            events += 1;
            if matches!(req.command, Command::RestoreState { .. }) {
                // The restored state replaced the events of the requests before it.
                changes.clear();
            }
            if let (true, Some(origin)) = (per_entry, &req.origin) {
                changes.push((req.time_ms, origin));
            }
        }
        txn.absorb(writes);
        responses.push(response);
    }
    crate::events::record_entry(&mut txn, index, &changes);
    if applied > 0 {
        let pruned = prune_tokens(&txn, index, applied * PRUNE_PER_APPLY, max_tokens);
        txn.absorb(pruned);
    }
    if let Some(req) = recorded {
        if let Some(origin) = &req.origin {
            let pruned = crate::events::prune(&txn, req.time_ms, origin, events);
            txn.absorb(pruned);
        }
    }
    (responses, txn.into_writes())
}

/// Applies one request at log `index` (alone in its entry).
pub fn apply(state: &dyn StateRead, index: u64, req: &Request) -> (Response, WriteSet) {
    let (mut responses, writes) = apply_batch(state, index, std::slice::from_ref(req));
    let response = responses.pop().unwrap_or(Response {
        result: Err(IamError::new(
            ErrorCode::ServiceFailure,
            "apply returned no response",
        )),
    });
    (response, writes)
}

/// Executes `req` against `state` without recording anything (no request token, no
/// pruning), for its response only: what a node checks before it proposes.
pub fn dry_run(state: &dyn StateRead, req: &Request) -> Response {
    let mut txn = Txn::new(state);
    Response {
        result: execute(&mut txn, 0, req),
    }
}

/// Applies the request at `position` of the entry at log `index`. A request token seen
/// before answers with the response remembered for it (see [`crate::token`]). Also answers
/// whether the request made a change of its origin's (an event of the history), which it
/// records itself unless the caller records the entry's changes together (`per_entry`).
fn apply_at(
    state: &dyn StateRead,
    index: u64,
    position: u32,
    per_entry: bool,
    req: &Request,
) -> (Response, WriteSet, bool) {
    // A restore replaces the token table with the backup's: it remembers no token of its
    // own (and applying it twice gives the same state anyway).
    let token = match req.command {
        Command::RestoreState { .. } => None,
        _ => req.request_token.as_deref().map(token::parse),
    };
    if let Some(t) = &token {
        let key = keys::token(&t.key);
        let prev = match t.digest {
            None => Txn::new(state).get_json::<Response>(&key),
            Some(digest) => Txn::new(state)
                .get_json::<Remembered>(&key)
                .map(|r| replay(r, digest)),
        };
        if let Some(prev) = prev {
            return (prev, WriteSet::default(), false);
        }
    }
    let mut txn = Txn::new(state);
    let result = execute(&mut txn, index, req);
    let changed = result.is_ok() && req.origin.is_some();
    if let (false, Ok(_), Some(origin)) = (per_entry, &result, &req.origin) {
        crate::events::record(&mut txn, index, position, req.time_ms, origin);
    }
    let response = Response { result };
    if response.result.is_err() {
        // Nothing the refused command wrote survives; only the token may remember it.
        txn = Txn::new(state);
        if !token.as_ref().is_some_and(|t| t.remembers_refusals) {
            return (response, WriteSet::default(), false);
        }
    }
    if let Some(t) = token {
        let key = keys::token(&t.key);
        match t.digest {
            None => txn.put(key, encode(&response)),
            Some(digest) => txn.put(
                key,
                encode(&Remembered {
                    response: response.clone(),
                    digest: digest.to_owned(),
                }),
            ),
        }
        txn.put(keys::token_at(index, position), t.key.as_bytes().to_vec());
        txn.add_counter(keys::TOKEN_COUNT.to_vec(), 1);
    }
    (response, txn.into_writes(), changed)
}

/// The answer to a scoped token seen before: the first response for the same request,
/// `IdempotentParameterMismatch` for another one.
fn replay(remembered: Remembered, digest: &str) -> Response {
    if remembered.digest == digest {
        return remembered.response;
    }
    Response {
        result: Err(IamError::new(
            ErrorCode::IdempotentParameterMismatch,
            "The request token was already used for a different request; use a new token for a new request.",
        )),
    }
}

/// Tokens an entry may forget per request it applied: more than it can record (one each),
/// so the table shrinks back under its bounds.
const PRUNE_PER_APPLY: usize = 16;

/// Forgets request tokens recorded more than a window of log entries ago, or the oldest ones
/// past `max_tokens` (an entry may carry many requests): at most `budget` of them, oldest
/// first, so the token table stays bounded and every replica prunes the same entries.
///
/// `keys::TOKEN_FLOOR` is a log index no recorded token is older than. While the table is
/// under its count and its floor inside the window, nothing can be due and nothing is
/// scanned (the common case: two point reads per entry). Otherwise the scan starts at the
/// floor rather than at the start of the table, where the entries already forgotten would
/// have to be skipped on every apply until compaction removed them.
fn prune_tokens(state: &Txn<'_>, index: u64, budget: usize, max_tokens: u64) -> WriteSet {
    const CHUNK: usize = 16;
    let mut txn = Txn::new(state);
    let mut count = txn.counter(keys::TOKEN_COUNT);
    let floor = txn.counter(keys::TOKEN_FLOOR);
    let cutoff = index.checked_sub(REQUEST_TOKEN_WINDOW_ENTRIES);
    if count <= max_tokens && cutoff.is_none_or(|c| floor > c) {
        return txn.into_writes();
    }
    let expired = cutoff.map(|c| keys::token_at(c, u32::MAX));
    let mut after = floor
        .checked_sub(1)
        .map(|below| keys::token_at(below, u32::MAX));
    let mut pruned = 0;
    // Where the oldest token left is known to be at or after, once done.
    let mut new_floor = floor;
    'scan: while pruned < budget {
        let want = CHUNK.min(budget - pruned);
        let chunk = state.scan(keys::TOKEN_AT_PREFIX.as_bytes(), after.as_deref(), want);
        let exhausted = chunk.len() < want;
        for (at, token) in chunk {
            let at_index = keys::token_at_index(&at).unwrap_or(new_floor);
            let too_old = expired.as_ref().is_some_and(|last| at <= *last);
            if !too_old && count <= max_tokens {
                new_floor = at_index;
                break 'scan;
            }
            txn.delete(keys::token(&String::from_utf8_lossy(&token)));
            txn.delete(at.clone());
            new_floor = at_index;
            after = Some(at);
            count = count.saturating_sub(1);
            pruned += 1;
        }
        if exhausted {
            // Nothing is left: every token from now on is recorded at a later entry.
            new_floor = index + 1;
            break;
        }
    }
    if pruned > 0 {
        txn.add_counter(keys::TOKEN_COUNT.to_vec(), -(pruned as i64));
    }
    if new_floor != floor {
        txn.put(
            keys::TOKEN_FLOOR.to_vec(),
            new_floor.to_string().into_bytes(),
        );
    }
    txn.into_writes()
}

fn execute(txn: &mut Txn<'_>, index: u64, req: &Request) -> IamResult<Outcome> {
    match &req.command {
        Command::CreateAccount {
            account_id,
            name,
            email,
        } => create_account(txn, req.time_ms, account_id, name, email),
        Command::SandboxReset {
            account_id,
            name,
            email,
        } => {
            // Every replica deletes the same keys: the state as of this log index. Kept: the
            // cluster records (`sys/`: operator account, token keys) and the root access keys
            // of the sandbox account, so the operator's credentials survive a reset.
            let root_index = keys::user_keys_prefix(account_id, crate::ops::access_keys::ROOT);
            let mut keep: Vec<Vec<u8>> = Vec::new();
            for (k, _) in txn.scan_all(&root_index) {
                if let Some(id) = k.get(root_index.len()..) {
                    keep.push(keys::access_key(&String::from_utf8_lossy(id)));
                }
                keep.push(k);
            }
            for (key, _) in txn.scan_all(b"") {
                if !key.starts_with(b"sys/") && !keep.contains(&key) {
                    txn.delete(key);
                }
            }
            create_account(txn, req.time_ms, account_id, name, email)
        }
        Command::RotateTokenKey { sealed_key } => {
            crate::system::rotate(txn, req.time_ms, sealed_key)
        }
        Command::RevokeTokenKey { key_id } => crate::system::revoke(txn, *key_id),
        Command::RestoreState { pairs } => {
            // Every replica deletes the same keys and writes the same pairs.
            let release = crate::release::cluster_release(&*txn);
            for (key, _) in txn.scan_all(b"") {
                txn.delete(key);
            }
            for (key, value) in pairs {
                txn.put(key.clone(), value.clone());
            }
            crate::release::keep_after_restore(
                txn,
                release,
                crate::release::release_of_pairs(pairs),
            );
            Ok(Outcome::Nothing)
        }
        Command::FinalizeRelease { release } => crate::release::finalize(txn, *release),
        Command::In { account, op } => {
            require_account(txn, account)?;
            let mut cx = Ctx {
                txn,
                account,
                time_ms: req.time_ms,
                index,
            };
            op.apply(&mut cx)
        }
    }
}

fn create_account(
    txn: &mut Txn<'_>,
    time_ms: u64,
    id: &str,
    name: &str,
    email: &str,
) -> IamResult<Outcome> {
    iam_model::AccountId::parse(id)?;
    names::validate_account_name(name)?;
    names::validate_email(email)?;
    let key = keys::account(id);
    if txn.get(&key).is_some() {
        return Err(IamError::already_exists("Account", id));
    }
    if txn.get(keys::OPERATOR.as_bytes()).is_none() {
        // The first account administers the cluster.
        txn.put(keys::OPERATOR.as_bytes().to_vec(), id.as_bytes().to_vec());
    }
    let account = Account {
        id: id.to_owned(),
        name: name.to_owned(),
        email: email.to_owned(),
        root_arn: arn::root_arn(id),
        created_ms: time_ms,
        alias: None,
    };
    txn.put_json(key, &account);
    Ok(Outcome::Account(account))
}

fn require_account(txn: &Txn<'_>, account: &str) -> IamResult<()> {
    if txn.get(&keys::account(account)).is_none() {
        return Err(IamError::new(
            ErrorCode::NoSuchEntity,
            format!("The account {account} cannot be found."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;

    /// A successful write (a new account per token) carrying `token`.
    fn req(token: &str) -> Request {
        let n: u64 = token.bytes().fold(7, |h, b| h * 31 + u64::from(b)) % 1_000_000;
        Request {
            request_token: Some(token.into()),
            time_ms: 1,
            command: Command::CreateAccount {
                account_id: format!("{:012}", 100_000_000_000 + n),
                name: format!("account-{token}"),
                email: "owner@example.com".into(),
            },
            origin: None,
        }
    }

    #[test]
    fn the_token_table_stays_bounded_when_entries_carry_many_requests() {
        let mut s = MemStore::new();
        // Ten requests in one entry, then five more in the next: at most 3 remembered.
        for (index, tokens) in [(1, 0..10), (2, 10..15)] {
            let requests: Vec<Request> = tokens.map(|t| req(&format!("t{t}"))).collect();
            let (responses, w) = apply_batch_bounded(&s, index, &requests, 3);
            assert!(responses.iter().all(|r| r.result.is_ok()), "{responses:?}");
            s.commit(w);
        }
        let mut kept = Vec::new();
        let mut recorded_at = 0;
        s.for_each(&mut |k, _| {
            if let Some(t) = k.strip_prefix(b"tok/") {
                kept.push(String::from_utf8_lossy(t).into_owned());
            }
            if k.starts_with(keys::TOKEN_AT_PREFIX.as_bytes()) {
                recorded_at += 1;
            }
        });
        assert_eq!(kept, ["t12", "t13", "t14"], "the newest three");
        assert_eq!(recorded_at, 3);
        assert_eq!(s.get(keys::TOKEN_COUNT).as_deref(), Some(&b"3"[..]));
        // No token left is older than entry 2 (t12 is entry 2, position 2).
        assert_eq!(s.get(keys::TOKEN_FLOOR).as_deref(), Some(&b"2"[..]));
        // A retry of a remembered token answers from the table and records nothing.
        let (again, w) = apply_batch_bounded(&s, 3, &[req("t14")], 3);
        assert!(again[0].result.is_ok());
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn tokens_older_than_the_window_are_forgotten() {
        let mut s = MemStore::new();
        let (_, w) = apply_batch(&s, 1, &[req("old")]);
        s.commit(w);
        let (_, w) = apply_batch(&s, 2, &[req("newer")]);
        s.commit(w);
        // Still within the window: both remembered.
        assert!(s.get(&keys::token("old")).is_some());
        // A window of entries after the first: only the first is forgotten.
        let (_, w) = apply_batch(&s, 1 + REQUEST_TOKEN_WINDOW_ENTRIES, &[req("later")]);
        s.commit(w);
        assert!(s.get(&keys::token("old")).is_none());
        assert!(s.get(&keys::token("newer")).is_some());
        assert!(s.get(&keys::token("later")).is_some());
        assert_eq!(s.get(keys::TOKEN_COUNT).as_deref(), Some(&b"2"[..]));
        assert_eq!(s.get(keys::TOKEN_FLOOR).as_deref(), Some(&b"2"[..]));
    }

    #[test]
    fn nothing_is_scanned_or_written_for_pruning_while_nothing_is_due() {
        let mut s = MemStore::new();
        let (_, w) = apply_batch(&s, 1, &[req("first")]);
        s.commit(w);
        // Under the count and inside the window: the entry writes only its own records.
        let (_, w) = apply_batch(&s, 2, &[req("second")]);
        assert!(!w.ops.contains_key(keys::TOKEN_FLOOR), "{w:?}");
        assert!(w.ops.values().all(Option::is_some), "no deletes: {w:?}");
    }

    /// An account creation with a scoped token (`scope`, request `digest`).
    fn scoped_req(scope: char, digest: char, token: &str, account: &str) -> Request {
        Request {
            request_token: Some(crate::token::scoped(
                &scope.to_string().repeat(32),
                &digest.to_string().repeat(32),
                token,
            )),
            time_ms: 1,
            command: Command::CreateAccount {
                account_id: account.into(),
                name: format!("account-{account}"),
                email: "owner@example.com".into(),
            },
            origin: None,
        }
    }

    /// CreateUser `alice` in account `account`, with the token `token` of version `prefix`.
    fn create_user(prefix: &str, account: &str, token: &str) -> Request {
        Request {
            request_token: Some(format!(
                "{prefix}{}:{}:{token}",
                "a".repeat(32),
                "1".repeat(32)
            )),
            time_ms: 1,
            command: Command::In {
                account: account.into(),
                op: crate::ops::Op::User(crate::ops::users::UserOp::Create {
                    name: "alice".into(),
                    path: "/".into(),
                    tags: vec![],
                    permissions_boundary: None,
                    user_id: "AIDAAAAAAAAAAAAAAAAAA".into(),
                }),
            },
            origin: None,
        }
    }

    fn users_in(s: &MemStore, account: &str) -> usize {
        let mut n = 0;
        s.for_each(&mut |k, _| {
            if k.starts_with(&keys::user(account, "alice")) {
                n += 1;
            }
        });
        n
    }

    /// The chaos suite's finding 3: a retry refused while an earlier copy of the same
    /// request is still in flight must decide for that copy too.
    #[test]
    fn a_refusal_decides_for_every_later_copy_of_the_request() {
        let account = "111111111111";
        let mut s = MemStore::new();
        // The retry is applied first and refused: the account does not exist yet.
        let (first, w) = apply(&s, 1, &create_user(token::SCOPED_PREFIX, account, "t"));
        assert_eq!(
            first.result.clone().unwrap_err().code,
            ErrorCode::NoSuchEntity
        );
        assert!(!w.is_empty(), "the refusal is remembered under its token");
        s.commit(w);
        // The state changes so that the request would now succeed...
        let (r, w) = apply(&s, 2, &scoped_req('b', '2', "other", account));
        assert!(r.result.is_ok(), "{r:?}");
        s.commit(w);
        // ...and the earlier copy arrives: it gets the refusal the caller was given, and
        // changes nothing.
        let (late, w) = apply(&s, 3, &create_user(token::SCOPED_PREFIX, account, "t"));
        assert_eq!(late, first);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(users_in(&s, account), 0);
        // A refusal writes no entity, only the token record and its bookkeeping.
        let s2 = MemStore::new();
        let (_, w) = apply(&s2, 1, &create_user(token::SCOPED_PREFIX, account, "t"));
        assert!(w.ops.keys().all(|k| k.starts_with(b"tok")), "{w:?}");

        // Entries of the first scoped version replay as they were applied: a refusal was
        // not remembered, so a later copy ran again.
        let mut old = MemStore::new();
        let (r, w) = apply(&old, 1, &create_user(token::SCOPED_PREFIX_V1, account, "t"));
        assert!(r.result.is_err());
        assert!(w.is_empty(), "{w:?}");
        old.commit(w);
        let (_, w) = apply(&old, 2, &scoped_req('b', '2', "other", account));
        old.commit(w);
        let (r, w) = apply(&old, 3, &create_user(token::SCOPED_PREFIX_V1, account, "t"));
        assert!(r.result.is_ok(), "{r:?}");
        old.commit(w);
        assert_eq!(users_in(&old, account), 1);
        // A retry written by this version finds what the s1 entry remembered.
        let (again, w) = apply(&old, 4, &create_user(token::SCOPED_PREFIX, account, "t"));
        assert_eq!(again, r);
        assert!(w.is_empty());
    }

    #[test]
    fn scoped_tokens_replay_only_for_their_caller_and_request() {
        let mut s = MemStore::new();
        let (r, w) = apply(&s, 1, &scoped_req('a', '1', "t", "111111111111"));
        assert!(r.result.is_ok(), "{r:?}");
        s.commit(w);
        // The same caller retrying the same request: the first response, nothing written.
        let (again, w) = apply(&s, 2, &scoped_req('a', '1', "t", "111111111111"));
        assert_eq!(again, r);
        assert!(w.is_empty());
        // The same caller, the same token, another request: refused, nothing written.
        let (other, w) = apply(&s, 3, &scoped_req('a', '2', "t", "222222222222"));
        assert_eq!(
            other.result.unwrap_err().code,
            ErrorCode::IdempotentParameterMismatch
        );
        assert!(w.is_empty());
        // Another caller using the same token: its own request runs (it sees nothing of
        // the first caller's response).
        let (theirs, w) = apply(&s, 4, &scoped_req('b', '1', "t", "333333333333"));
        match theirs.result {
            Ok(Outcome::Account(a)) => assert_eq!(a.id, "333333333333"),
            other => panic!("{other:?}"),
        }
        s.commit(w);
        // Both are remembered under their own keys, and pruned like any token.
        let mut kept = Vec::new();
        s.for_each(&mut |k, _| {
            if let Some(t) = k.strip_prefix(b"tok/") {
                kept.push(String::from_utf8_lossy(t).into_owned());
            }
        });
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept
            .iter()
            .all(|k| k.starts_with("s1:") && k.ends_with(":t")));
        let (_, w) = apply(&s, 5 + REQUEST_TOKEN_WINDOW_ENTRIES, &req("later"));
        s.commit(w);
        assert!(s.get(&keys::token(&kept[0])).is_none());
        assert!(s.get(&keys::token(&kept[1])).is_none());
    }
}
