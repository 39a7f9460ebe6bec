//! Customer managed policies: create, get, list, delete, versions and tags.

use super::super::limits::{self, Counter, QuotaKind};
use super::super::paging::{scan_page, vec_page, Page, PageRequest};
use super::super::{parse_new_policy, to_json, Ctx};
use super::{not_attachable, policy_name_from_arn, validate, PolicyUsage, Scope};
use crate::command::Outcome;
use crate::keys;
use crate::store::{decode, StateRead, Txn};
use iam_model::limits::POLICY_VERSIONS_MAX;
use iam_model::{arn, names, ErrorCode, IamError, IamResult, ManagedPolicy, PolicyVersion, Tag};
use iam_policy::PolicyKind;
use serde::{Deserialize, Serialize};

/// A managed policy as GetPolicy, CreatePolicy and ListPolicies return it (AWS's `Policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub policy_name: String,
    pub policy_id: String,
    pub arn: String,
    pub path: String,
    pub default_version_id: String,
    pub attachment_count: u32,
    pub permissions_boundary_usage_count: u32,
    pub is_attachable: bool,
    pub description: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub tags: Vec<Tag>,
}

impl From<&ManagedPolicy> for PolicyView {
    fn from(p: &ManagedPolicy) -> Self {
        Self {
            policy_name: p.name.clone(),
            policy_id: p.id.clone(),
            arn: p.arn.clone(),
            path: p.path.clone(),
            default_version_id: p.default_version.clone(),
            attachment_count: p.attachment_count,
            permissions_boundary_usage_count: p.boundary_usage_count,
            is_attachable: true,
            description: p.description.clone(),
            created_ms: p.created_ms,
            updated_ms: p.updated_ms,
            tags: p.tags.clone(),
        }
    }
}

/// A policy version (AWS's `PolicyVersion`); `document` only from GetPolicyVersion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub version_id: String,
    pub is_default_version: bool,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

fn version_view(p: &ManagedPolicy, v: &PolicyVersion, with_document: bool) -> VersionView {
    VersionView {
        version_id: v.version_id.clone(),
        is_default_version: v.version_id == p.default_version,
        created_ms: v.created_ms,
        document: with_document.then(|| v.document.clone()),
    }
}

/// Loads a policy by ARN in a transaction: its key and record.
pub(super) fn load(
    txn: &Txn<'_>,
    account: &str,
    policy_arn: &str,
) -> IamResult<(Vec<u8>, ManagedPolicy)> {
    let key = keys::policy(account, policy_name_from_arn(account, policy_arn)?);
    match txn.get_json::<ManagedPolicy>(&key) {
        Some(p) if p.arn == policy_arn => Ok((key, p)),
        _ => Err(not_attachable(policy_arn)),
    }
}

/// Reads a policy by ARN from committed state.
pub(super) fn read(
    state: &dyn StateRead,
    account: &str,
    policy_arn: &str,
) -> IamResult<ManagedPolicy> {
    find(state, account, policy_arn)?.ok_or_else(|| not_attachable(policy_arn))
}

/// Reads a policy by ARN; `None` when no such policy exists.
pub(super) fn find(
    state: &dyn StateRead,
    account: &str,
    policy_arn: &str,
) -> IamResult<Option<ManagedPolicy>> {
    let key = keys::policy(account, policy_name_from_arn(account, policy_arn)?);
    Ok(state
        .get(&key)
        .and_then(|v| decode::<ManagedPolicy>(&key, &v))
        .filter(|p| p.arn == policy_arn))
}

/// AWS's UpdateDate: the creation date while there is one version, else the creation date
/// of the newest version.
fn refresh_updated(p: &mut ManagedPolicy) {
    p.updated_ms = if p.versions.len() <= 1 {
        p.created_ms
    } else {
        p.versions
            .iter()
            .map(|v| v.created_ms)
            .max()
            .unwrap_or(p.created_ms)
    };
}

pub(super) struct NewPolicy<'a> {
    pub(super) name: &'a str,
    pub(super) path: &'a str,
    pub(super) document: &'a str,
    pub(super) description: &'a str,
    pub(super) tags: &'a [Tag],
    pub(super) id: &'a str,
}

pub(super) fn create(cx: &mut Ctx<'_, '_>, new: NewPolicy<'_>) -> IamResult<Outcome> {
    let a = cx.account;
    validate::policy_name(new.name)?;
    validate::policy_path(new.path)?;
    validate::description(new.description)?;
    names::validate_tags(new.tags)?;
    parse_new_policy(cx.txn, new.document, PolicyKind::Managed, true)?;
    let key = keys::policy(a, new.name);
    if cx.txn.exists(&key) {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                new.name
            ),
        ));
    }
    limits::admit_one(cx.txn, a, QuotaKind::Policies)?;
    limits::bump(cx.txn, a, Counter::PolicyVersions, 1);
    let p = ManagedPolicy {
        account: a.to_owned(),
        name: new.name.to_owned(),
        path: new.path.to_owned(),
        id: new.id.to_owned(),
        arn: arn::entity_arn(a, "policy", new.path, new.name),
        created_ms: cx.time_ms,
        updated_ms: cx.time_ms,
        description: new.description.to_owned(),
        default_version: "v1".to_owned(),
        versions: vec![PolicyVersion {
            version_id: "v1".to_owned(),
            document: new.document.to_owned(),
            created_ms: cx.time_ms,
        }],
        next_version: 2,
        attachment_count: 0,
        boundary_usage_count: 0,
        tags: new.tags.to_vec(),
    };
    cx.txn.put_json(key, &p);
    Ok(Outcome::record(&PolicyView::from(&p)))
}

fn delete_conflict(message: &str) -> IamError {
    IamError::new(ErrorCode::DeleteConflict, message)
}

pub(super) fn delete(cx: &mut Ctx<'_, '_>, policy_arn: &str) -> IamResult<Outcome> {
    let a = cx.account;
    let (key, p) = load(cx.txn, a, policy_arn)?;
    let attached = p.attachment_count > 0
        || !cx
            .txn
            .scan(&keys::policy_entities_prefix(a, &p.name), None, 1)
            .is_empty();
    // AWS also refuses while the policy is some user's or role's permissions boundary.
    if attached || p.boundary_usage_count > 0 {
        return Err(delete_conflict(
            "Cannot delete a policy attached to entities.",
        ));
    }
    if p.versions.len() > 1 {
        return Err(delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete \
             the policy's versions. The default version is deleted with the policy.",
        ));
    }
    cx.txn.delete(key);
    limits::bump(cx.txn, a, Counter::Policies, -1);
    limits::bump(
        cx.txn,
        a,
        Counter::PolicyVersions,
        -(p.versions.len() as i64),
    );
    Ok(Outcome::Deleted)
}

pub(super) fn create_version(
    cx: &mut Ctx<'_, '_>,
    policy_arn: &str,
    document: &str,
    set_as_default: bool,
) -> IamResult<Outcome> {
    let a = cx.account;
    let (key, mut p) = load(cx.txn, a, policy_arn)?;
    parse_new_policy(cx.txn, document, PolicyKind::Managed, true)?;
    if p.versions.len() >= POLICY_VERSIONS_MAX {
        return Err(IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "A managed policy can have up to {POLICY_VERSIONS_MAX} versions. Before you \
                 create a new version, you must delete an existing version."
            ),
        ));
    }
    let version = PolicyVersion {
        version_id: format!("v{}", p.next_version),
        document: document.to_owned(),
        created_ms: cx.time_ms,
    };
    p.next_version = p.next_version.saturating_add(1);
    if set_as_default {
        p.default_version = version.version_id.clone();
    }
    p.versions.push(version.clone());
    refresh_updated(&mut p);
    let view = version_view(&p, &version, false);
    cx.txn.put_json(key, &p);
    limits::bump(cx.txn, a, Counter::PolicyVersions, 1);
    Ok(Outcome::record(&view))
}

fn no_such_version(policy_arn: &str, version_id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("Policy {policy_arn} version {version_id} does not exist or is not attachable."),
    )
}

fn version_index(p: &ManagedPolicy, policy_arn: &str, version_id: &str) -> IamResult<usize> {
    p.versions
        .iter()
        .position(|v| v.version_id == version_id)
        .ok_or_else(|| no_such_version(policy_arn, version_id))
}

pub(super) fn delete_version(
    cx: &mut Ctx<'_, '_>,
    policy_arn: &str,
    version_id: &str,
) -> IamResult<Outcome> {
    validate::version_id(version_id)?;
    let (key, mut p) = load(cx.txn, cx.account, policy_arn)?;
    let i = version_index(&p, policy_arn, version_id)?;
    if p.default_version == version_id {
        return Err(delete_conflict(
            "Cannot delete the default version of a policy.",
        ));
    }
    p.versions.remove(i);
    refresh_updated(&mut p);
    cx.txn.put_json(key, &p);
    limits::bump(cx.txn, cx.account, Counter::PolicyVersions, -1);
    Ok(Outcome::Deleted)
}

pub(super) fn set_default_version(
    cx: &mut Ctx<'_, '_>,
    policy_arn: &str,
    version_id: &str,
) -> IamResult<Outcome> {
    validate::version_id(version_id)?;
    let (key, mut p) = load(cx.txn, cx.account, policy_arn)?;
    version_index(&p, policy_arn, version_id)?;
    p.default_version = version_id.to_owned();
    cx.txn.put_json(key, &p);
    Ok(Outcome::Nothing)
}

pub(super) fn tag(cx: &mut Ctx<'_, '_>, policy_arn: &str, tags: &[Tag]) -> IamResult<Outcome> {
    let (key, mut p) = load(cx.txn, cx.account, policy_arn)?;
    // The new tags are checked on their own first (duplicates among them are an error),
    // then merged: a tag whose key exists (case-insensitively) replaces it.
    names::validate_tags(tags)?;
    for t in tags {
        match p
            .tags
            .iter_mut()
            .find(|o| o.key.to_lowercase() == t.key.to_lowercase())
        {
            Some(old) => *old = t.clone(),
            None => p.tags.push(t.clone()),
        }
    }
    names::validate_tags(&p.tags)?;
    cx.txn.put_json(key, &p);
    Ok(Outcome::Nothing)
}

pub(super) fn untag(
    cx: &mut Ctx<'_, '_>,
    policy_arn: &str,
    tag_keys: &[String],
) -> IamResult<Outcome> {
    validate::tag_keys(tag_keys)?;
    let (key, mut p) = load(cx.txn, cx.account, policy_arn)?;
    p.tags.retain(|t| {
        !tag_keys
            .iter()
            .any(|k| k.to_lowercase() == t.key.to_lowercase())
    });
    cx.txn.put_json(key, &p);
    Ok(Outcome::Nothing)
}

pub(super) fn get(
    state: &dyn StateRead,
    account: &str,
    policy_arn: &str,
) -> IamResult<serde_json::Value> {
    Ok(to_json(&PolicyView::from(&read(
        state, account, policy_arn,
    )?)))
}

pub(super) fn list(
    state: &dyn StateRead,
    account: &str,
    scope: Scope,
    only_attached: bool,
    path_prefix: &str,
    usage: Option<PolicyUsage>,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    names::validate_path_prefix(path_prefix)?;
    if scope == Scope::Aws {
        page.size()?;
        let empty: Page<PolicyView> = Page {
            items: Vec::new(),
            is_truncated: false,
            marker: None,
        };
        return Ok(to_json(&empty));
    }
    let p = scan_page(
        state,
        &keys::prefix("policy", account),
        page,
        |p: &ManagedPolicy| {
            let used = match usage {
                None | Some(PolicyUsage::PermissionsPolicy) => p.attachment_count > 0,
                Some(PolicyUsage::PermissionsBoundary) => p.boundary_usage_count > 0,
            };
            p.path.starts_with(path_prefix) && (!only_attached || used)
        },
    )?;
    let p = Page {
        items: p.items.iter().map(PolicyView::from).collect(),
        is_truncated: p.is_truncated,
        marker: p.marker,
    };
    Ok(to_json(&p))
}

pub(super) fn get_version(
    state: &dyn StateRead,
    account: &str,
    policy_arn: &str,
    version_id: &str,
) -> IamResult<serde_json::Value> {
    validate::version_id(version_id)?;
    let p = read(state, account, policy_arn)?;
    let i = version_index(&p, policy_arn, version_id)?;
    let v = p
        .versions
        .get(i)
        .ok_or_else(|| no_such_version(policy_arn, version_id))?;
    Ok(to_json(&version_view(&p, v, true)))
}

/// Sort key of a version: its number, zero-padded (`v10` after `v9`).
fn version_sort_key(id: &str) -> String {
    let n: u64 = id
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    format!("{n:010}")
}

pub(super) fn list_versions(
    state: &dyn StateRead,
    account: &str,
    policy_arn: &str,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    let p = read(state, account, policy_arn)?;
    let items = p
        .versions
        .iter()
        .map(|v| (version_sort_key(&v.version_id), version_view(&p, v, false)))
        .collect();
    Ok(to_json(&vec_page(items, page)?))
}

pub(super) fn list_tags(
    state: &dyn StateRead,
    account: &str,
    policy_arn: &str,
    page: &PageRequest,
) -> IamResult<serde_json::Value> {
    let p = read(state, account, policy_arn)?;
    Ok(to_json(&crate::ops::users::tags::list(&p.tags, page)?))
}
