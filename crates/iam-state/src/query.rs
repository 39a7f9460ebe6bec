//! Read-only queries over accounts (the account-scoped ones live with their families in
//! [`crate::ops`] and are reached through [`crate::ops::Query`]).

use crate::keys;
use crate::store::{decode, StateRead};
use iam_model::{Account, IamError, IamResult};

pub fn get_account(state: &dyn StateRead, id: &str) -> IamResult<Account> {
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

pub fn list_accounts(state: &dyn StateRead) -> Vec<Account> {
    state
        .scan(keys::ACCOUNT_PREFIX.as_bytes(), None, usize::MAX)
        .into_iter()
        .filter_map(|(k, v)| decode(&k, &v))
        .collect()
}
