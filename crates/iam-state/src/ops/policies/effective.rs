//! The identity policy documents that apply to a principal, for the authorization index.

use super::principal::Principal;
use super::{managed, EntityKind};
use crate::store::StateRead;
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// A policy document with the label that names it in decisions: `user/alice/inline/P1`
/// (`kind/entity name/inline/policy name`) for an inline policy, the policy ARN for a
/// managed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledDocument {
    pub label: String,
    pub document: String,
}

/// Everything that decides a principal's identity-based permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveDocuments {
    /// Inline policies and the default versions of attached managed policies: for a user its
    /// own, then each group's (groups in the user's order); a managed policy attached more
    /// than once appears once.
    pub policies: Vec<LabelledDocument>,
    /// The permissions boundary's default version, if one is set.
    pub boundary: Option<LabelledDocument>,
}

fn add_own(state: &dyn StateRead, account: &str, who: &Principal, out: &mut Vec<LabelledDocument>) {
    for (name, document) in who.inline() {
        out.push(LabelledDocument {
            label: format!("{}/{}/inline/{name}", who.kind().as_str(), who.name()),
            document: document.clone(),
        });
    }
    for arn in who.attached() {
        if out.iter().any(|d| &d.label == arn) {
            continue;
        }
        // A managed policy cannot be deleted while attached, so it is always found.
        if let Ok(Some(p)) = managed::find(state, account, arn) {
            if let Some(doc) = p.default_document() {
                out.push(LabelledDocument {
                    label: arn.clone(),
                    document: doc.to_owned(),
                });
            }
        }
    }
}

/// The documents that apply to a user (its own and its groups'), a group or a role.
/// Fails with `NoSuchEntity` when the principal does not exist, and with `ServiceFailure`
/// when its permissions boundary policy is missing (so that a caller fails closed).
pub fn effective_documents(
    state: &dyn StateRead,
    account: &str,
    kind: EntityKind,
    name: &str,
) -> IamResult<EffectiveDocuments> {
    let who = Principal::read(state, account, kind, name)?;
    let mut out = EffectiveDocuments::default();
    add_own(state, account, &who, &mut out.policies);
    if let Principal::User(u) = &who {
        for g in &u.groups {
            if let Some(group) = Principal::find(state, account, EntityKind::Group, g) {
                add_own(state, account, &group, &mut out.policies);
            }
        }
    }
    if let Some(Some(arn)) = who.boundary() {
        let doc = managed::find(state, account, arn)
            .ok()
            .flatten()
            .and_then(|p| p.default_document().map(str::to_owned))
            .ok_or_else(|| {
                IamError::new(
                    ErrorCode::ServiceFailure,
                    format!(
                        "The permissions boundary {arn} of {} {} is missing.",
                        kind.as_str(),
                        who.name()
                    ),
                )
            })?;
        out.boundary = Some(LabelledDocument {
            label: arn.clone(),
            document: doc,
        });
    }
    Ok(out)
}
