//! Sandbox mode's identity for made-up credentials: an IAM *user* with administrator rights,
//! `arn:aws:iam::123456789012:user/sandbox`, rather than the account root — application
//! test suites expect their default credentials to assume roles, to have a user name, and
//! to be refused what AWS refuses a user (the root's own keys, other accounts).
//!
//! The user is real: it lives in the replicated state like any user (ListUsers shows it),
//! with one inline policy allowing everything. The bootstrapping node creates it with the
//! sandbox account, and a reset recreates it. A test suite that deletes it has no fallback
//! identity until the next reset (its made-up keys are then refused, saying so), as an AWS
//! account would lose an administrator it deleted.

use crate::api::ApiState;
use iam_state::keys::EntityKind;
use iam_state::ops::policies::PolicyOp;
use iam_state::ops::users::UserOp;
use iam_state::Command;
use iam_state::Txn;
use iam_storage::StateView;

/// The sandbox account (AWS's documentation account).
pub(crate) use crate::config::SANDBOX_ACCOUNT as ACCOUNT;

/// The user made-up credentials act as.
pub(crate) const USER: &str = "sandbox";

/// Its inline policy's name and document.
pub(crate) const POLICY_NAME: &str = "AdministratorAccess";
const POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The sandbox user as this node's state has it, if it exists.
pub(crate) fn user(view: &StateView) -> Option<iam_model::User> {
    iam_state::ops::users::load(&Txn::new(view), ACCOUNT, USER).ok()
}

/// Creates the sandbox user with its policy unless this node's state (which must include
/// every commit: bootstrap checks) has it. `token`: a request token prefix unique to this
/// attempt (a retry with the same prefix replays the first result).
pub(crate) async fn ensure_user(s: &ApiState, token: &str) -> Result<(), String> {
    if user(&s.view).is_some() {
        return Ok(());
    }
    create_user(s, token).await
}

/// Creates the sandbox user (an existing one is kept) and gives it its policy, whatever
/// this node's state holds yet (after a reset it may still show the user the reset wiped).
pub(crate) async fn create_user(s: &ApiState, token: &str) -> Result<(), String> {
    let create = Command::in_account(
        ACCOUNT,
        UserOp::Create {
            name: USER.into(),
            path: "/".into(),
            tags: Vec::new(),
            permissions_boundary: None,
            user_id: String::new(),
        },
    );
    match s
        .execute_internal_with_token(&format!("{token}-sandbox-user"), create)
        .await
    {
        Ok(_) => {}
        Err(e) if e.code == iam_model::ErrorCode::EntityAlreadyExists => {}
        Err(e) => return Err(format!("cannot create the sandbox user: {}", e.message)),
    }
    let policy = Command::in_account(
        ACCOUNT,
        PolicyOp::PutInline {
            entity: EntityKind::User,
            entity_name: USER.into(),
            policy_name: POLICY_NAME.into(),
            policy_document: POLICY.into(),
        },
    );
    s.execute_internal_with_token(&format!("{token}-sandbox-policy"), policy)
        .await
        .map(|_| ())
        .map_err(|e| format!("cannot give the sandbox user its policy: {}", e.message))
}
