//! Deterministic apply: (state, log index, request) -> (response, writes).
//!
//! Validation here is the authoritative check against the state at this log index; the
//! server validates the same inputs before proposing only to fail fast. A rejected command
//! writes nothing at all (not even its request token): a retry of it runs again, which is
//! safe because the rejected attempt had no effect.

use crate::command::{Command, Outcome, Request, Response};
use crate::keys;
use crate::ops::Ctx;
use crate::store::{encode, StateRead, Txn, WriteSet};
use iam_model::limits::{REQUEST_TOKENS_MAX, REQUEST_TOKEN_WINDOW_ENTRIES};
use iam_model::{arn, names, Account, ErrorCode, IamError, IamResult};

/// Applies the requests one log entry carries, in order, each seeing the writes of those
/// before it; returns their responses and all their writes (committed together).
pub fn apply_batch(
    state: &dyn StateRead,
    index: u64,
    requests: &[Request],
) -> (Vec<Response>, WriteSet) {
    let mut txn = Txn::new(state);
    let mut responses = Vec::with_capacity(requests.len());
    for (position, req) in requests.iter().enumerate() {
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        let (response, writes) = apply_at(&txn, index, position, req);
        txn.absorb(writes);
        responses.push(response);
    }
    (responses, txn.into_writes())
}

/// Applies one request at log `index` (alone in its entry).
pub fn apply(state: &dyn StateRead, index: u64, req: &Request) -> (Response, WriteSet) {
    apply_at(state, index, 0, req)
}

/// Applies the request at `position` of the entry at log `index`.
fn apply_at(
    state: &dyn StateRead,
    index: u64,
    position: u32,
    req: &Request,
) -> (Response, WriteSet) {
    if let Some(token) = &req.request_token {
        if let Some(prev) = Txn::new(state).get_json::<Response>(&keys::token(token)) {
            return (prev, WriteSet::default());
        }
    }
    let mut txn = Txn::new(state);
    let result = execute(&mut txn, index, req);
    let response = Response { result };
    let mut writes = txn.into_writes();
    if response.result.is_err() {
        writes = WriteSet::default();
    } else {
        writes.extend(token_writes(state, index, position, req, &response));
    }
    (response, writes)
}

/// Records the request token of a successful command and forgets tokens recorded more than
/// a window of log entries ago, or the oldest ones past [`REQUEST_TOKENS_MAX`] (an entry may
/// carry many requests): a bounded number per apply (each apply adds at most one), so the
/// token table stays bounded and every replica prunes the same entries.
fn token_writes(
    state: &dyn StateRead,
    index: u64,
    position: u32,
    req: &Request,
    resp: &Response,
) -> WriteSet {
    token_writes_bounded(state, index, position, req, resp, REQUEST_TOKENS_MAX)
}

fn token_writes_bounded(
    state: &dyn StateRead,
    index: u64,
    position: u32,
    req: &Request,
    resp: &Response,
    max_tokens: u64,
) -> WriteSet {
    const PRUNE_PER_APPLY: usize = 16;
    let mut txn = Txn::new(state);
    let before = txn.counter(keys::TOKEN_COUNT);
    let mut count = before;
    if let Some(token) = &req.request_token {
        txn.put(keys::token(token), encode(resp));
        txn.put(keys::token_at(index, position), token.clone().into_bytes());
        count += 1;
    }
    let expired = index
        .checked_sub(REQUEST_TOKEN_WINDOW_ENTRIES)
        .map(|cutoff| keys::token_at(cutoff, u32::MAX));
    for (at, old) in state.scan(keys::TOKEN_AT_PREFIX.as_bytes(), None, PRUNE_PER_APPLY) {
        let too_old = expired.as_ref().is_some_and(|last| at <= *last);
        if !too_old && count <= max_tokens {
            break;
        }
        txn.delete(keys::token(&String::from_utf8_lossy(&old)));
        txn.delete(at);
        count = count.saturating_sub(1);
    }
    // Written only when it changed (a sandbox reset, which records no token, empties the
    // table and its count itself).
    if count != before {
        txn.add_counter(keys::TOKEN_COUNT.to_vec(), count as i64 - before as i64);
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

    fn req(token: &str) -> Request {
        Request {
            request_token: Some(token.into()),
            time_ms: 1,
            command: Command::CreateAccount {
                account_id: String::new(),
                name: String::new(),
                email: String::new(),
            },
        }
    }

    #[test]
    fn the_token_table_stays_bounded_when_entries_carry_many_requests() {
        let mut s = MemStore::new();
        let ok = Response {
            result: Ok(Outcome::Nothing),
        };
        // Ten requests in one entry, then five more in the next: at most 3 remembered.
        for (index, tokens) in [(1, 0..10), (2, 10..15)] {
            for t in tokens {
                let r = req(&format!("t{t}"));
                let w = token_writes_bounded(&s, index, t, &r, &ok, 3);
                s.commit(w);
            }
        }
        let mut kept = Vec::new();
        s.for_each(&mut |k, _| {
            if let Some(t) = k.strip_prefix(b"tok/") {
                kept.push(String::from_utf8_lossy(t).into_owned());
            }
        });
        assert_eq!(kept, ["t12", "t13", "t14"], "the newest three");
        assert_eq!(s.get(keys::TOKEN_COUNT).as_deref(), Some(&b"3"[..]));
    }
}
