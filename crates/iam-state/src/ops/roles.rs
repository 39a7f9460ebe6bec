//! Roles: create (with a trust policy), get, list, update (description, maximum session
//! duration, trust policy), delete (refused while the role is in an instance profile or has
//! policies) and tags. Roles cannot be renamed (as in AWS). Service-linked roles (created
//! and deleted by their own operations, protected from the ordinary ones):
//! [`service_linked`].

use super::limits::{self, Counter, QuotaKind};
use super::paging::{scan_page, PageRequest};
use super::users::{conflict, default_path, tags};
use super::{parse_new_policy, policies, to_json, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::store::{decode, StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::limits::{
    DESCRIPTION_LEN_MAX, ROLE_SESSION_DURATION_MAX, ROLE_SESSION_DURATION_MIN,
};
use iam_model::{arn, names, IamError, IamResult, Role, Tag};
use serde::{Deserialize, Serialize};

pub mod service_linked;
pub mod trust_binding;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleOp {
    Create {
        name: String,
        #[serde(default = "default_path")]
        path: String,
        assume_role_policy_document: String,
        #[serde(default)]
        description: Option<String>,
        /// Seconds; 3600 when absent.
        #[serde(default)]
        max_session_duration: Option<u32>,
        #[serde(default)]
        permissions_boundary: Option<String>,
        #[serde(default)]
        tags: Vec<Tag>,
        /// Chosen by the proposing node.
        #[serde(default)]
        role_id: String,
    },
    /// UpdateRole: the fields given change, the others stay.
    Update {
        name: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        max_session_duration: Option<u32>,
    },
    UpdateDescription {
        name: String,
        description: String,
    },
    UpdateAssumeRolePolicy {
        name: String,
        policy_document: String,
    },
    Delete {
        name: String,
    },
    Tag {
        name: String,
        tags: Vec<Tag>,
    },
    Untag {
        name: String,
        tag_keys: Vec<String>,
    },
    /// `CreateServiceLinkedRole` (from release [`crate::release::SERVICE_LINKED_ROLES`];
    /// added last).
    CreateServiceLinked {
        aws_service_name: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        custom_suffix: Option<String>,
        /// Chosen by the proposing node.
        #[serde(default)]
        role_id: String,
    },
    /// `DeleteServiceLinkedRole` (from release [`crate::release::SERVICE_LINKED_ROLES`];
    /// added last).
    DeleteServiceLinked {
        name: String,
        /// The deletion task's UUID, chosen by the proposing node.
        #[serde(default)]
        task_uuid: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleQuery {
    Get {
        name: String,
    },
    List {
        #[serde(default = "default_path")]
        path_prefix: String,
        #[serde(default)]
        page: PageRequest,
    },
    ListTags {
        name: String,
        #[serde(default)]
        page: PageRequest,
    },
    /// `GetServiceLinkedRoleDeletionStatus` (added last).
    ServiceLinkedDeletionStatus {
        deletion_task_id: String,
    },
}

impl RoleOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateRole",
            Self::Update { .. } => "UpdateRole",
            Self::UpdateDescription { .. } => "UpdateRoleDescription",
            Self::UpdateAssumeRolePolicy { .. } => "UpdateAssumeRolePolicy",
            Self::Delete { .. } => "DeleteRole",
            Self::Tag { .. } => "TagRole",
            Self::Untag { .. } => "UntagRole",
            Self::CreateServiceLinked { .. } => "CreateServiceLinkedRole",
            Self::DeleteServiceLinked { .. } => "DeleteServiceLinkedRole",
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        match self {
            Self::Create { role_id, .. } | Self::CreateServiceLinked { role_id, .. } => {
                *role_id = env.unique_id(IdPrefix::Role);
            }
            Self::DeleteServiceLinked { task_uuid, .. } => {
                let bytes = env.random_bytes(16);
                if let Ok(bytes) = <[u8; 16]>::try_from(bytes.get(..16).unwrap_or_default()) {
                    *task_uuid = service_linked::task_uuid(&bytes);
                }
            }
            _ => {}
        }
    }
}

impl RoleQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetRole",
            Self::List { .. } => "ListRoles",
            Self::ListTags { .. } => "ListRoleTags",
            Self::ServiceLinkedDeletionStatus { .. } => "GetServiceLinkedRoleDeletionStatus",
        }
    }
}

/// Loads a role or fails with AWS's `NoSuchEntity`.
pub fn load(txn: &Txn<'_>, account: &str, name: &str) -> IamResult<Role> {
    txn.get_json(&keys::role(account, name))
        .ok_or_else(|| IamError::no_such("role", name))
}

/// Checks a trust policy (its grammar, then its size against the account's quota) and
/// binds the users and roles it names to their unique ids ([`trust_binding`]).
fn check_trust_policy(
    cx: &Ctx<'_, '_>,
    text: &str,
) -> IamResult<std::collections::BTreeMap<String, String>> {
    let policy = parse_new_policy(cx.txn, text, iam_policy::PolicyKind::Trust, false)?;
    let size = iam_policy::policy_size(text) as u64;
    limits::check(cx.txn, cx.account, QuotaKind::AssumeRolePolicySize, size)?;
    trust_binding::bind(cx.txn, &policy, !cx.is_dry_run())
}

fn check_description(text: &str) -> IamResult<()> {
    if text.chars().count() > DESCRIPTION_LEN_MAX {
        return Err(IamError::validation(
            "description",
            text,
            "Member must have length less than or equal to 1000",
        ));
    }
    let ok = |c: char| matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
    if !text.chars().all(ok) {
        return Err(IamError::validation(
            "description",
            text,
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
        ));
    }
    Ok(())
}

fn check_duration(seconds: u32) -> IamResult<()> {
    if seconds < ROLE_SESSION_DURATION_MIN {
        return Err(IamError::validation(
            "maxSessionDuration",
            &seconds.to_string(),
            "Member must have value greater than or equal to 3600",
        ));
    }
    if seconds > ROLE_SESSION_DURATION_MAX {
        return Err(IamError::validation(
            "maxSessionDuration",
            &seconds.to_string(),
            "Member must have value less than or equal to 43200",
        ));
    }
    Ok(())
}

fn save(cx: &mut Ctx<'_, '_>, role: &Role) {
    cx.txn.put_json(keys::role(cx.account, &role.name), role);
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &RoleOp) -> IamResult<Outcome> {
    match op {
        RoleOp::Create {
            name,
            path,
            assume_role_policy_document,
            description,
            max_session_duration,
            permissions_boundary,
            tags,
            role_id,
        } => {
            let role = Role {
                account: cx.account.to_owned(),
                name: name.clone(),
                path: path.clone(),
                id: role_id.clone(),
                arn: arn::entity_arn(cx.account, "role", path, name),
                created_ms: cx.time_ms,
                assume_role_policy: assume_role_policy_document.clone(),
                description: description.clone().unwrap_or_default(),
                max_session_duration: max_session_duration.unwrap_or(ROLE_SESSION_DURATION_MIN),
                tags: tags.clone(),
                permissions_boundary: permissions_boundary.clone(),
                attached_policies: Vec::new(),
                inline_policies: Default::default(),
                trust_principal_ids: None,
            };
            create(cx, role)
        }
        RoleOp::Update {
            name,
            description,
            max_session_duration,
        } => {
            let mut role = load(cx.txn, cx.account, name)?;
            if max_session_duration.is_some() {
                service_linked::guard(cx.txn, &role)?;
            }
            if let Some(d) = description {
                check_description(d)?;
                role.description = d.clone();
            }
            if let Some(s) = max_session_duration {
                check_duration(*s)?;
                role.max_session_duration = *s;
            }
            save(cx, &role);
            Ok(Outcome::record(&role))
        }
        RoleOp::UpdateDescription { name, description } => {
            let mut role = load(cx.txn, cx.account, name)?;
            check_description(description)?;
            role.description = description.clone();
            save(cx, &role);
            Ok(Outcome::record(&role))
        }
        RoleOp::UpdateAssumeRolePolicy {
            name,
            policy_document,
        } => {
            let mut role = load(cx.txn, cx.account, name)?;
            service_linked::guard(cx.txn, &role)?;
            let ids = check_trust_policy(cx, policy_document)?;
            role.assume_role_policy = policy_document.clone();
            role.trust_principal_ids = Some(ids);
            save(cx, &role);
            Ok(Outcome::Nothing)
        }
        RoleOp::Delete { name } => delete(cx, name),
        RoleOp::Tag { name, tags: new } => {
            let mut role = load(cx.txn, cx.account, name)?;
            tags::tag(&mut role.tags, new)?;
            save(cx, &role);
            Ok(Outcome::Nothing)
        }
        RoleOp::Untag { name, tag_keys } => {
            let mut role = load(cx.txn, cx.account, name)?;
            tags::untag(&mut role.tags, tag_keys)?;
            save(cx, &role);
            Ok(Outcome::Nothing)
        }
        RoleOp::CreateServiceLinked { .. } | RoleOp::DeleteServiceLinked { .. } => {
            service_linked::apply(cx, op)
        }
    }
}

fn create(cx: &mut Ctx<'_, '_>, mut role: Role) -> IamResult<Outcome> {
    names::validate_role_name(&role.name)?;
    names::validate_path("path", &role.path)?;
    service_linked::check_create_path(cx.txn, &role.path)?;
    check_description(&role.description)?;
    check_duration(role.max_session_duration)?;
    names::validate_tags(&role.tags)?;
    role.trust_principal_ids = Some(check_trust_policy(cx, &role.assume_role_policy)?);
    let key = keys::role(cx.account, &role.name);
    if cx.txn.exists(&key) {
        return Err(IamError::already_exists("Role", &role.name));
    }
    if let Some(b) = &role.permissions_boundary {
        policies::use_as_boundary(cx, b, 1)?;
    }
    limits::admit_one(cx.txn, cx.account, QuotaKind::Roles)?;
    cx.txn.put_json(key, &role);
    Ok(Outcome::record(&role))
}

fn delete(cx: &mut Ctx<'_, '_>, name: &str) -> IamResult<Outcome> {
    let a = cx.account;
    let role = load(cx.txn, a, name)?;
    service_linked::guard(cx.txn, &role)?;
    if !cx
        .txn
        .scan(&keys::role_profiles_prefix(a, name), None, 1)
        .is_empty()
    {
        return Err(conflict("remove roles from instance profile"));
    }
    if !role.inline_policies.is_empty() {
        return Err(conflict("delete policies"));
    }
    if !role.attached_policies.is_empty() {
        return Err(conflict("detach all policies"));
    }
    if let Some(b) = &role.permissions_boundary {
        policies::use_as_boundary(cx, b, -1)?;
    }
    cx.txn.delete(keys::role(a, name));
    limits::bump(cx.txn, a, Counter::Roles, -1);
    Ok(Outcome::Deleted)
}

/// A role as queries show it: its trust policy as in force (the ids of deleted principals
/// in place of their ARNs, as IAM shows them).
pub(crate) fn shown(state: &dyn StateRead, mut role: Role) -> Role {
    role.assume_role_policy = trust_binding::in_force(state, &role);
    role
}

/// Reads a role for a query.
pub(crate) fn read(state: &dyn StateRead, account: &str, name: &str) -> IamResult<Role> {
    let key = keys::role(account, name);
    state
        .get(&key)
        .and_then(|v| decode(&key, &v))
        .ok_or_else(|| IamError::no_such("role", name))
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &RoleQuery,
) -> IamResult<serde_json::Value> {
    match q {
        RoleQuery::Get { name } => Ok(to_json(&shown(state, read(state, account, name)?))),
        RoleQuery::List { path_prefix, page } => {
            names::validate_path_prefix(path_prefix)?;
            let mut p = scan_page(state, &keys::prefix("role", account), page, |r: &Role| {
                r.path.starts_with(path_prefix.as_str())
            })?;
            p.items = p.items.into_iter().map(|r| shown(state, r)).collect();
            Ok(to_json(&p))
        }
        RoleQuery::ListTags { name, page } => {
            let role = read(state, account, name)?;
            Ok(to_json(&tags::list(&role.tags, page)?))
        }
        RoleQuery::ServiceLinkedDeletionStatus { deletion_task_id } => Ok(to_json(
            &service_linked::deletion_status(state, account, deletion_task_id)?,
        )),
    }
}
