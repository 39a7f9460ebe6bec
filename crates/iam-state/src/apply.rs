//! Deterministic apply: (state, log index, request) -> (response, writes).
//!
//! Validation here is the authoritative check against the state at this log index; the
//! server validates the same inputs before proposing only to fail fast. A rejected command
//! writes nothing at all (not even its request token): a retry of it runs again, which is
//! safe because the rejected attempt had no effect.

use crate::command::{Command, Outcome, Request, Response};
use crate::keys;
use crate::store::{encode, StateRead, Txn, WriteSet};
use iam_model::limits::{REQUEST_TOKEN_WINDOW_ENTRIES, USERS_PER_ACCOUNT_MAX};
use iam_model::{arn, names, Account, ErrorCode, IamError, IamResult, User};

/// Applies one request at log `index`.
pub fn apply<S: StateRead + ?Sized>(state: &S, index: u64, req: &Request) -> (Response, WriteSet) {
    if let Some(token) = &req.request_token {
        if let Some(prev) = Txn::new(state).get_json::<Response>(&keys::token(token)) {
            return (prev, WriteSet::default());
        }
    }
    let mut txn = Txn::new(state);
    let result = execute(&mut txn, req);
    let response = Response { result };
    let mut writes = txn.into_writes();
    if response.result.is_err() {
        writes = WriteSet::default();
    } else {
        writes.extend(token_writes(state, index, req, &response));
    }
    (response, writes)
}

/// Records the request token of a successful command and forgets tokens recorded more than
/// a window ago (a bounded number per apply; each apply adds at most one), so the token table
/// stays bounded and every replica prunes the same entries.
fn token_writes<S: StateRead + ?Sized>(
    state: &S,
    index: u64,
    req: &Request,
    resp: &Response,
) -> WriteSet {
    const PRUNE_PER_APPLY: usize = 16;
    let mut txn = Txn::new(state);
    if let Some(token) = &req.request_token {
        txn.put(keys::token(token), encode(resp));
        txn.put(keys::token_at(index), token.clone().into_bytes());
    }
    if let Some(cutoff) = index.checked_sub(REQUEST_TOKEN_WINDOW_ENTRIES) {
        let last = keys::token_at(cutoff);
        for (at, old) in state.scan(keys::TOKEN_AT_PREFIX.as_bytes(), None, PRUNE_PER_APPLY) {
            if at > last {
                break;
            }
            txn.delete(keys::token(&String::from_utf8_lossy(&old)));
            txn.delete(at);
        }
    }
    txn.into_writes()
}

fn execute<S: StateRead + ?Sized>(txn: &mut Txn<'_, S>, req: &Request) -> IamResult<Outcome> {
    match &req.command {
        Command::CreateAccount {
            account_id,
            name,
            email,
        } => create_account(txn, req.time_ms, account_id, name, email),
        Command::CreateUser {
            account,
            name,
            path,
            user_id,
            tags,
            permissions_boundary,
        } => {
            let user = User {
                account: account.clone(),
                name: name.clone(),
                path: path.clone(),
                id: user_id.clone(),
                arn: arn::user_arn(account, path, name),
                created_ms: req.time_ms,
                tags: tags.clone(),
                permissions_boundary: permissions_boundary.clone(),
            };
            create_user(txn, user)
        }
        Command::DeleteUser { account, name } => delete_user(txn, account, name),
    }
}

fn create_account<S: StateRead + ?Sized>(
    txn: &mut Txn<'_, S>,
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
    let account = Account {
        id: id.to_owned(),
        name: name.to_owned(),
        email: email.to_owned(),
        root_arn: arn::root_arn(id),
        created_ms: time_ms,
    };
    txn.put_json(key, &account);
    Ok(Outcome::Account(account))
}

fn require_account<S: StateRead + ?Sized>(txn: &Txn<'_, S>, account: &str) -> IamResult<()> {
    if txn.get(&keys::account(account)).is_none() {
        return Err(IamError::new(
            ErrorCode::NoSuchEntity,
            format!("The account {account} cannot be found."),
        ));
    }
    Ok(())
}

fn create_user<S: StateRead + ?Sized>(txn: &mut Txn<'_, S>, user: User) -> IamResult<Outcome> {
    names::validate_user_name(&user.name)?;
    names::validate_path("path", &user.path)?;
    names::validate_tags(&user.tags)?;
    require_account(txn, &user.account)?;
    let key = keys::user(&user.account, &user.name);
    if txn.get(&key).is_some() {
        return Err(IamError::already_exists("User", &user.name));
    }
    let count_key = keys::count(&user.account, "users");
    if txn.counter(&count_key) >= USERS_PER_ACCOUNT_MAX {
        return Err(IamError::quota("UsersPerAccount", USERS_PER_ACCOUNT_MAX));
    }
    txn.put_json(key, &user);
    txn.add_counter(count_key, 1);
    Ok(Outcome::User(user))
}

fn delete_user<S: StateRead + ?Sized>(
    txn: &mut Txn<'_, S>,
    account: &str,
    name: &str,
) -> IamResult<Outcome> {
    require_account(txn, account)?;
    let key = keys::user(account, name);
    if txn.get(&key).is_none() {
        return Err(IamError::no_such("user", name));
    }
    txn.delete(key);
    txn.add_counter(keys::count(account, "users"), -1);
    Ok(Outcome::Deleted)
}
