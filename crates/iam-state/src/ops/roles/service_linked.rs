//! Service-linked roles: roles an AWS service owns, created with `CreateServiceLinkedRole`
//! at the path `/aws-service-role/{service}/` and deleted with `DeleteServiceLinkedRole`.
//!
//! **The marker.** A role is service-linked when its path starts with `/aws-service-role/`
//! ([`is_service_linked`]): derivable from the stored record, nothing new stored on the role.
//! It is the marker the policies family already used (a role under that path refused
//! attaching, detaching and inline policies and boundaries since the family was written, at
//! every release). From release [`SERVICE_LINKED_ROLES`], `CreateRole` refuses that path
//! (as AWS does), so only `CreateServiceLinkedRole` makes such roles; a role a cluster
//! created there before (when `CreateRole` allowed it) counts as service-linked too, and
//! `DeleteServiceLinkedRole` is how it goes.
//!
//! **Protection** ([`guard`]): from release [`SERVICE_LINKED_ROLES`], `DeleteRole`,
//! `UpdateAssumeRolePolicy` and `UpdateRole` with a `MaxSessionDuration` refuse a
//! service-linked role with `UnmodifiableEntity`; its description stays editable
//! (`UpdateRole` with only a `Description`, `UpdateRoleDescription`), as in AWS. Before that
//! release these operations apply as they always did: an older member applies the same log
//! entries the same way.
//!
//! **Names** ([`role_name`]): the services of [`KNOWN`] have AWS's names; any other
//! `{label}.….amazonaws.com` gets `AWSServiceRoleFor` + its first label with an uppercase
//! first letter (iamd runs no AWS service, so it cannot know every service's name). A
//! `CustomSuffix` makes `{name}_{suffix}`, refused for the services of [`KNOWN`] that AWS
//! refuses one for, allowed for the others (unknown services included).
//!
//! **Deletion** ([`delete`]): iamd runs no service that could still use the role, so the
//! deletion succeeds at once. As AWS's cleanup does, it takes the role's managed policy
//! attachments, inline policies, permissions boundary and instance profile memberships with
//! it. The task is recorded `SUCCEEDED` under `task/aws-service-role/{service}/{role}/{uuid}`
//! (`uuid` chosen by the proposing node) in one record per account (`slrtask/{a}`) that keeps
//! the [`DELETION_TASKS_MAX`] most recent tasks: older ones are dropped, and
//! `GetServiceLinkedRoleDeletionStatus` then answers `NoSuchEntity` for them, as AWS does for
//! a task record it has purged.
//!
//! New in release [`SERVICE_LINKED_ROLES`]: an older build cannot decode the two ops, so a
//! cluster refuses them until its upgrade to that release is finalized.

use super::{check_description, check_trust_policy, load, RoleOp};
use crate::command::Outcome;
use crate::keys;
use crate::ops::limits::{self, Counter, QuotaKind};
use crate::ops::{instance_profiles, policies, Ctx};
use crate::release::SERVICE_LINKED_ROLES;
use crate::store::{StateRead, Txn};
use iam_model::limits::ROLE_SESSION_DURATION_MIN;
use iam_model::{arn, names, ErrorCode, IamError, IamResult, Role};
use serde::{Deserialize, Serialize};

/// The path prefix of service-linked roles.
pub const PATH_PREFIX: &str = "/aws-service-role/";
/// Deletion tasks kept per account (the oldest are dropped beyond it).
pub const DELETION_TASKS_MAX: usize = 100;
/// `AWSServiceName`'s longest value.
pub const SERVICE_NAME_LEN_MAX: usize = 128;
/// `CustomSuffix`'s longest value.
pub const CUSTOM_SUFFIX_LEN_MAX: usize = 64;
/// `DeletionTaskId`'s longest value.
pub const TASK_ID_LEN_MAX: usize = 1000;
/// The status of every task iamd records: its deletions complete at once.
pub const SUCCEEDED: &str = "SUCCEEDED";

/// Services whose service-linked role names AWS documents, and whether AWS takes a
/// `CustomSuffix` for them: (service principal, role name, suffix allowed).
#[rustfmt::skip]
pub const KNOWN: &[(&str, &str, bool)] = &[
    ("access-analyzer.amazonaws.com", "AWSServiceRoleForAccessAnalyzer", false),
    ("acm.amazonaws.com", "AWSServiceRoleForCertificateManager", false),
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", true),
    ("backup.amazonaws.com", "AWSServiceRoleForBackup", false),
    ("cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail", false),
    ("config.amazonaws.com", "AWSServiceRoleForConfig", false),
    ("connect.amazonaws.com", "AWSServiceRoleForAmazonConnect", true),
    ("dynamodb.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", false),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS", false),
    ("ecs.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_ECSService", false),
    ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS", false),
    ("eks-fargate.amazonaws.com", "AWSServiceRoleForAmazonEKSForFargate", false),
    ("eks-nodegroup.amazonaws.com", "AWSServiceRoleForAmazonEKSNodegroup", false),
    ("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache", false),
    ("elasticbeanstalk.amazonaws.com", "AWSServiceRoleForElasticBeanstalk", false),
    ("elasticfilesystem.amazonaws.com", "AWSServiceRoleForAmazonElasticFileSystem", false),
    ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing", false),
    ("elasticmapreduce.amazonaws.com", "AWSServiceRoleForEMRCleanup", false),
    ("es.amazonaws.com", "AWSServiceRoleForAmazonElasticsearchService", false),
    ("guardduty.amazonaws.com", "AWSServiceRoleForAmazonGuardDuty", false),
    ("kafka.amazonaws.com", "AWSServiceRoleForKafka", false),
    ("lexv2.amazonaws.com", "AWSServiceRoleForLexV2Bots", true),
    ("opensearchservice.amazonaws.com", "AWSServiceRoleForAmazonOpenSearchService", false),
    ("ops.apigateway.amazonaws.com", "AWSServiceRoleForAPIGateway", false),
    ("organizations.amazonaws.com", "AWSServiceRoleForOrganizations", false),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS", false),
    ("redshift.amazonaws.com", "AWSServiceRoleForRedshift", false),
    ("securityhub.amazonaws.com", "AWSServiceRoleForSecurityHub", false),
    ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot", false),
    ("spotfleet.amazonaws.com", "AWSServiceRoleForEC2SpotFleet", false),
    ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM", false),
    ("sso.amazonaws.com", "AWSServiceRoleForSSO", false),
    ("support.amazonaws.com", "AWSServiceRoleForSupport", false),
    ("trustedadvisor.amazonaws.com", "AWSServiceRoleForTrustedAdvisor", false),
];

/// `DeleteServiceLinkedRole`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionTaskView {
    pub deletion_task_id: String,
}

/// `GetServiceLinkedRoleDeletionStatus`'s answer (`Reason` is never given: no iamd
/// deletion fails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionStatusView {
    /// `SUCCEEDED`, `IN_PROGRESS`, `FAILED` or `NOT_STARTED` (iamd records only the first).
    pub status: String,
}

/// One recorded deletion task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionTask {
    pub deletion_task_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub status: String,
    pub created_ms: u64,
}

/// The record `slrtask/{a}`: an account's most recent deletion tasks, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionTasks {
    pub tasks: Vec<DeletionTask>,
}

/// Whether a role is service-linked (its path is under [`PATH_PREFIX`]).
pub fn is_service_linked(role: &Role) -> bool {
    role.path.starts_with(PATH_PREFIX)
}

/// The service a service-linked role belongs to: its path between [`PATH_PREFIX`] and the
/// final `/` (`autoscaling.amazonaws.com` for `/aws-service-role/autoscaling.amazonaws.com/`).
pub fn service_of(role: &Role) -> Option<&str> {
    role.path
        .strip_prefix(PATH_PREFIX)
        .map(|rest| rest.strip_suffix('/').unwrap_or(rest))
}

/// AWS's refusal of an ordinary operation on a service-linked role.
pub fn protected(role_name: &str) -> IamError {
    IamError::new(
        ErrorCode::UnmodifiableEntity,
        format!(
            "Cannot perform the operation on the protected role '{role_name}' - this role is only modifiable by AWS"
        ),
    )
}

/// Whether the cluster runs the release that protects service-linked roles.
fn enforced(txn: &Txn<'_>) -> bool {
    crate::release::cluster_release(txn) >= SERVICE_LINKED_ROLES
}

/// Refuses an ordinary change to `role` when it is service-linked, from release
/// [`SERVICE_LINKED_ROLES`] (before it, the change applies as it always did).
pub(super) fn guard(txn: &Txn<'_>, role: &Role) -> IamResult<()> {
    if is_service_linked(role) && enforced(txn) {
        return Err(protected(&role.name));
    }
    Ok(())
}

/// `CreateRole` refuses the service-linked path, from release [`SERVICE_LINKED_ROLES`].
pub(super) fn check_create_path(txn: &Txn<'_>, path: &str) -> IamResult<()> {
    if path.starts_with(PATH_PREFIX) && enforced(txn) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
        ));
    }
    Ok(())
}

/// `AWSServiceName`: 1–128 characters of `[\w+=,.@-]` (the model's constraint,
/// `ValidationError`), and a service principal: dot-separated non-empty labels ending in
/// `.amazonaws.com` (`InvalidInput`; iamd's rule, as it cannot ask the service).
pub fn validate_service_name(service: &str) -> IamResult<()> {
    let len = service.chars().count();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if !(1..=SERVICE_NAME_LEN_MAX).contains(&len) || !service.chars().all(allowed) {
        return Err(IamError::validation(
            "aWSServiceName",
            service,
            "Member must have length between 1 and 128 and satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    let principal = service
        .strip_suffix(".amazonaws.com")
        .is_some_and(|head| !head.is_empty() && head.split('.').all(|l| !l.is_empty()));
    if !principal {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!(
                "Invalid service name {service}: expected a service principal such as autoscaling.amazonaws.com"
            ),
        ));
    }
    Ok(())
}

/// `CustomSuffix`: 1–64 characters of `[\w+=,.@-]`.
fn validate_suffix(suffix: &str) -> IamResult<()> {
    let len = suffix.chars().count();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if !(1..=CUSTOM_SUFFIX_LEN_MAX).contains(&len) || !suffix.chars().all(allowed) {
        return Err(IamError::validation(
            "customSuffix",
            suffix,
            "Member must have length between 1 and 64 and satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

/// The name of `service`'s service-linked role with an optional `suffix` (see the module
/// documentation); `InvalidInput` for a suffix the service does not take. `service` must
/// have passed [`validate_service_name`].
pub fn role_name(service: &str, suffix: Option<&str>) -> IamResult<String> {
    let (base, suffix_allowed) = match KNOWN.iter().find(|(s, ..)| *s == service) {
        Some((_, name, allowed)) => ((*name).to_owned(), *allowed),
        None => {
            let label = service.split('.').next().unwrap_or_default();
            let mut chars = label.chars();
            let capitalized: String = chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
                .collect();
            (format!("AWSServiceRoleFor{capitalized}"), true)
        }
    };
    match suffix {
        None => Ok(base),
        Some(_) if !suffix_allowed => Err(IamError::new(
            ErrorCode::InvalidInput,
            format!("Custom suffix is not allowed for {service}"),
        )),
        Some(s) => Ok(format!("{base}_{s}")),
    }
}

/// The trust policy AWS gives a service-linked role: the service may assume it.
pub fn trust_policy(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// A version-4 UUID (lowercase, hyphenated) from 16 random bytes: a deletion task's.
pub fn task_uuid(random: &[u8; 16]) -> String {
    let mut b = *random;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

/// The role a well-formed deletion task id names, as `aws-service-role/{service}/{role}`
/// (the role's ARN resource after `role/`), or `None` for an id not of the form
/// `task/aws-service-role/{service}/{role}/{uuid}`.
pub fn task_role(task_id: &str) -> Option<&str> {
    let rest = task_id.strip_prefix("task/")?;
    let (role, uuid) = rest.rsplit_once('/')?;
    let (head, name) = role.rsplit_once('/')?;
    let service = head.strip_prefix("aws-service-role/")?;
    (is_uuid(uuid) && !service.is_empty() && !name.is_empty()).then_some(role)
}

pub(super) fn apply(cx: &mut Ctx<'_, '_>, op: &RoleOp) -> IamResult<Outcome> {
    crate::release::require(&*cx.txn, SERVICE_LINKED_ROLES, op.name())?;
    match op {
        RoleOp::CreateServiceLinked {
            aws_service_name,
            description,
            custom_suffix,
            role_id,
        } => create(
            cx,
            aws_service_name,
            description.as_deref(),
            custom_suffix.as_deref(),
            role_id,
        ),
        RoleOp::DeleteServiceLinked { name, task_uuid } => delete(cx, name, task_uuid),
        _ => Err(IamError::new(
            ErrorCode::ServiceFailure,
            "not a service-linked role operation",
        )),
    }
}

fn create(
    cx: &mut Ctx<'_, '_>,
    service: &str,
    description: Option<&str>,
    suffix: Option<&str>,
    role_id: &str,
) -> IamResult<Outcome> {
    validate_service_name(service)?;
    if let Some(d) = description {
        check_description(d)?;
    }
    if let Some(s) = suffix {
        validate_suffix(s)?;
    }
    let name = role_name(service, suffix)?;
    names::validate_role_name(&name)?;
    let path = format!("{PATH_PREFIX}{service}/");
    names::validate_path("path", &path)?;
    let key = keys::role(cx.account, &name);
    if cx.txn.exists(&key) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            ),
        ));
    }
    let trust = trust_policy(service);
    let mut role = Role {
        account: cx.account.to_owned(),
        arn: arn::entity_arn(cx.account, "role", &path, &name),
        name,
        path,
        id: role_id.to_owned(),
        created_ms: cx.time_ms,
        assume_role_policy: trust,
        description: description.unwrap_or_default().to_owned(),
        max_session_duration: ROLE_SESSION_DURATION_MIN,
        tags: Vec::new(),
        permissions_boundary: None,
        attached_policies: Vec::new(),
        inline_policies: Default::default(),
        trust_principal_ids: None,
    };
    role.trust_principal_ids = Some(check_trust_policy(cx, &role.assume_role_policy)?);
    limits::admit_one(cx.txn, cx.account, QuotaKind::Roles)?;
    cx.txn.put_json(key, &role);
    Ok(Outcome::record(&role))
}

fn delete(cx: &mut Ctx<'_, '_>, name: &str, uuid: &str) -> IamResult<Outcome> {
    let a = cx.account;
    names::validate_role_name(name)?;
    let role = load(cx.txn, a, name)?;
    let Some(service) = service_of(&role).map(str::to_owned) else {
        return Err(IamError::new(
            ErrorCode::NoSuchEntity,
            format!(
                "The role with name {} is not a service-linked role.",
                role.name
            ),
        ));
    };
    if !is_uuid(uuid) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "the deletion task id was not chosen before proposing",
        ));
    }
    // AWS's cleanup: the role leaves its instance profiles and releases its policies.
    let memberships = cx.txn.scan_all(&keys::role_profiles_prefix(a, &role.name));
    for (key, _) in memberships {
        let profile_key = key.rsplit(|b| *b == b'/').next().unwrap_or_default();
        let profile_name = String::from_utf8_lossy(profile_key).into_owned();
        if let Ok(mut p) = instance_profiles::load(cx.txn, a, &profile_name) {
            p.roles
                .retain(|r| keys::name_key(r) != keys::name_key(&role.name));
            cx.txn.put_json(keys::instance_profile(a, &p.name), &p);
        }
        cx.txn.delete(key);
    }
    policies::release_role(cx, &role)?;
    cx.txn.delete(keys::role(a, &role.name));
    limits::bump(cx.txn, a, Counter::Roles, -1);
    let deletion_task_id = format!("task/aws-service-role/{service}/{}/{uuid}", role.name);
    let tasks_key = keys::service_linked_role_tasks(a);
    let mut tasks: DeletionTasks = cx.txn.get_json(&tasks_key).unwrap_or_default();
    tasks.tasks.push(DeletionTask {
        deletion_task_id: deletion_task_id.clone(),
        role_name: role.name.clone(),
        role_arn: role.arn.clone(),
        status: SUCCEEDED.to_owned(),
        created_ms: cx.time_ms,
    });
    if tasks.tasks.len() > DELETION_TASKS_MAX {
        let excess = tasks.tasks.len() - DELETION_TASKS_MAX;
        tasks.tasks.drain(..excess);
    }
    cx.txn.put_json(tasks_key, &tasks);
    Ok(Outcome::record(&DeletionTaskView { deletion_task_id }))
}

/// `GetServiceLinkedRoleDeletionStatus`.
pub(super) fn deletion_status(
    state: &dyn StateRead,
    account: &str,
    task_id: &str,
) -> IamResult<DeletionStatusView> {
    let len = task_id.chars().count();
    if !(1..=TASK_ID_LEN_MAX).contains(&len) {
        return Err(IamError::validation(
            "deletionTaskId",
            task_id,
            "Member must have length between 1 and 1000",
        ));
    }
    if task_role(task_id).is_none() {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!(
                "Invalid deletion task id {task_id}: expected task/aws-service-role/<service>/<role>/<uuid>"
            ),
        ));
    }
    let tasks: DeletionTasks = Txn::new(state)
        .get_json(&keys::service_linked_role_tasks(account))
        .unwrap_or_default();
    tasks
        .tasks
        .iter()
        .find(|t| t.deletion_task_id == task_id)
        .map(|t| DeletionStatusView {
            status: t.status.clone(),
        })
        .ok_or_else(|| {
            IamError::new(
                ErrorCode::NoSuchEntity,
                format!("The deletion task with id {task_id} cannot be found."),
            )
        })
}
