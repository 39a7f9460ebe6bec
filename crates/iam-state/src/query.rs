//! Read-only queries over the state, used by every node to answer reads locally.

use crate::keys;
use crate::store::{decode, StateRead};
use iam_model::limits::LIST_ITEMS_MAX;
use iam_model::{names, Account, IamError, IamResult, User};

pub fn get_account(state: &(impl StateRead + ?Sized), id: &str) -> IamResult<Account> {
    let key = keys::account(id);
    state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| {
            IamError::new(
                iam_model::ErrorCode::NoSuchEntity,
                format!("The account {id} cannot be found."),
            )
        })
}

pub fn list_accounts(state: &(impl StateRead + ?Sized)) -> Vec<Account> {
    state
        .scan(keys::ACCOUNT_PREFIX.as_bytes(), None, usize::MAX)
        .into_iter()
        .filter_map(|(k, v)| decode(&k, &v))
        .collect()
}

pub fn get_user(state: &(impl StateRead + ?Sized), account: &str, name: &str) -> IamResult<User> {
    get_account(state, account)?;
    let key = keys::user(account, name);
    state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| IamError::no_such("user", name))
}

/// A page of a list: the items, and the marker to continue from when truncated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_marker: Option<String>,
}

/// Lists users whose path starts with `path_prefix`, ordered by lowercased name, starting
/// after `marker` (the lowercased name of the last user of the previous page).
pub fn list_users(
    state: &(impl StateRead + ?Sized),
    account: &str,
    path_prefix: &str,
    marker: Option<&str>,
    max_items: usize,
) -> IamResult<Page<User>> {
    get_account(state, account)?;
    names::validate_path_prefix(path_prefix)?;
    let max_items = max_items.clamp(1, LIST_ITEMS_MAX);
    let prefix = keys::user_prefix(account);
    let mut after = marker.map(|m| keys::user(account, m));
    let mut items = Vec::new();
    loop {
        let batch = state.scan(&prefix, after.as_deref(), 256);
        let done = batch.len() < 256;
        for (k, v) in batch {
            if let Some(user) = decode::<User>(&k, &v) {
                if user.path.starts_with(path_prefix) {
                    if items.len() == max_items {
                        let next = items.last().map(|u: &User| names::name_key(&u.name));
                        return Ok(Page {
                            items,
                            next_marker: next,
                        });
                    }
                    items.push(user);
                }
            }
            after = Some(k);
        }
        if done {
            return Ok(Page {
                items,
                next_marker: None,
            });
        }
    }
}
