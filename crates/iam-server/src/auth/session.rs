//! A session is bound to the principal it was issued for, by unique id: a role session (or
//! a user's GetSessionToken or sign-in session) stops authenticating once its role or user
//! is deleted, and does not carry over to a new role or user created under the same name,
//! as AWS binds sessions to the role's `AROA…` / the user's `AIDA…` id.

use iam_auth::token::SessionClaims;
use iam_state::ops::roles::trust_binding;
use iam_state::StateRead;

/// Whether the principal `claims` was issued for is still the one at its ARN. Tokens
/// without a bound id (the root's, or issued before iamd bound sessions) are checked by
/// time instead: the principal at the ARN must be older than the session.
pub(crate) fn principal_current(state: &dyn StateRead, claims: &SessionClaims) -> bool {
    if iam_policy::is_root_arn(&claims.principal_arn) {
        return true;
    }
    let Some((id, created_ms)) = trust_binding::principal(state, &claims.principal_arn) else {
        return false;
    };
    match &claims.principal_id {
        Some(bound) => *bound == id,
        None => created_ms <= claims.issued_ms,
    }
}
