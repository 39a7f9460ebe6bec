//! May this caller make this call? iam-authz decides (`iam_authz::AuthzIndex::decide_call`,
//! AWS's whole decision); this module hands it the caller and one consistent state, and
//! notes an explicit deny's statement for the audit trail.

use super::{Caller, CallerKind};
use iam_authz::{AuthzIndex, CallerView, Denial, SessionView};
use iam_model::IamError;
use iam_state::ops::target::Target;
use iam_storage::StateView;

pub use iam_authz::{Scope, CLUSTER_RESOURCE};

impl Caller {
    /// The caller as the decision sees it.
    pub fn view(&self) -> CallerView<'_> {
        CallerView {
            account: &self.account,
            arn: &self.arn,
            root: self.kind == CallerKind::Root,
            session: self.session.as_ref().map(|s| SessionView {
                issued_ms: s.issued_ms,
                mfa_authenticated_ms: s.mfa_authenticated_ms,
                source_identity: s.source_identity.as_deref(),
                session_name: &s.session_name,
                policy: s.session_policy.as_deref(),
                policy_arns: &s.session_policy_arns,
            }),
            region: &self.region,
            source_ip: self.source_ip.as_deref(),
            secure_transport: self.secure_transport,
            session_tags: self
                .session
                .as_ref()
                .map_or(&[][..], |s| &s.session_tags[..]),
        }
    }
}

/// A federated user's session may make no call that needs a grant (AWS: "You cannot call
/// any IAM operations ... You cannot call any STS operations except GetCallerIdentity").
fn refuse_federated(caller: &Caller, target: &Target) -> Result<(), IamError> {
    if !matches!(caller.kind, CallerKind::Federated { .. }) {
        return Ok(());
    }
    let denial = format!(
        "User: {} is not authorized to perform: {} on resource: {}: a federated user's session (GetFederationToken) cannot call IAM operations",
        caller.arn, target.action, target.resource
    );
    crate::audit::note_decision(&target.action, vec![target.resource.clone()], Some(&denial));
    Err(IamError::new(iam_model::ErrorCode::AccessDenied, denial))
}

/// A decision's refusal as the caller sees it; an explicit deny's statement goes to the
/// audit trail.
fn refusal(d: Denial) -> IamError {
    if let Some(statement) = &d.deciding_statement {
        crate::audit::note_deciding_statement(statement);
    }
    d.error
}

/// Whether `caller` may make the call `target` in `scope`; `AccessDenied` with AWS's wording
/// otherwise. `root_credentials`: the call changes the account root's own access keys.
pub fn check(
    view: &StateView,
    authz: &AuthzIndex,
    caller: &Caller,
    scope: Scope<'_>,
    target: &Target,
    root_credentials: bool,
    now_ms: u64,
) -> Result<(), IamError> {
    refuse_federated(caller, target)?;
    let who = caller.view();
    view.reads(|state| authz.decide_call(state, &who, scope, target, root_credentials, now_ms))
        .map_err(refusal)
}

/// For a call the caller may make without a grant (a user changing their own password when
/// the account's password policy allows it): refused only by an explicit deny.
pub fn check_explicit_deny(
    view: &StateView,
    authz: &AuthzIndex,
    caller: &Caller,
    target: &Target,
    now_ms: u64,
) -> Result<(), IamError> {
    refuse_federated(caller, target)?;
    let who = caller.view();
    view.reads(|state| authz.decide_explicit_deny(state, &who, target, now_ms))
        .map_err(refusal)
}
