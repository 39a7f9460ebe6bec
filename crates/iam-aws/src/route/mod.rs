//! Routing: an AWS Query request's parameters to one iamd operation ([`Call`]).
//!
//! Each family file maps its AWS actions to the family's `XxxOp` (a [`Call::Write`]) or
//! `XxxQuery` (a [`Call::Read`]) with AWS's parameter names, defaults and required
//! parameters. Values are passed through as sent: the state machine validates names, paths,
//! documents and ranges and answers with AWS's errors, so only presence and types are
//! checked here.

mod account;
mod credentials;
mod policies;
mod principals;
mod providers;
mod server_certs;
mod signing_certs;
mod simulate;
mod ssh_keys;
mod unsupported;

use crate::error::{AwsError, AwsErrors};
use crate::params::{ContextEntry, Params};
use iam_model::ErrorCode;
use iam_state::ops::{Op, Page, PageRequest, Q};
use iam_state::{Command, Query};

pub use unsupported::UNSUPPORTED;

/// The only API version IAM has.
pub const API_VERSION: &str = "2010-05-08";

/// Who sent the request, for the operations whose `UserName` defaults to the caller
/// (GetUser, CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
/// ListMFADevices, DeactivateMFADevice, GetLoginProfile, DeleteLoginProfile,
/// CreateLoginProfile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// The account's root identity.
    Root,
    /// An IAM user of the account, by name.
    User(&'a str),
    /// Any other principal (a role session, a federated user): AWS requires `UserName`.
    Other,
}

impl<'a> From<Option<&'a str>> for Caller<'a> {
    fn from(user: Option<&'a str>) -> Self {
        match user {
            Some(u) => Self::User(u),
            None => Self::Root,
        }
    }
}

/// What the server must do for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Propose this command (after `Command::prepare`); render its outcome
    /// ([`crate::Answer::State`]).
    Write(Command),
    /// Run this query; render its result ([`crate::Answer::State`]).
    Read(Query),
    /// The result is known without the state (e.g. the root's access keys: iamd keeps
    /// none): render this answer as is.
    Answer(crate::Answer),
    /// SimulatePrincipalPolicy / SimulateCustomPolicy, answered by the server's policy
    /// evaluation: one [`crate::EvaluationResult`] per action × resource, paged by
    /// `Simulate::page` ([`crate::Answer::Simulation`]).
    Simulate(Simulate),
    /// GetContextKeysForPrincipalPolicy / GetContextKeysForCustomPolicy
    /// ([`crate::Answer::ContextKeys`]).
    ContextKeys(ContextKeys),
}

/// A policy simulation request. `policy_source_arn` is set for SimulatePrincipalPolicy
/// (the user, group or role whose policies are simulated, plus `policy_input_list`) and
/// `None` for SimulateCustomPolicy (only `policy_input_list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulate {
    pub account: String,
    pub policy_source_arn: Option<String>,
    /// Extra identity policies (documents, as JSON text).
    pub policy_input_list: Vec<String>,
    /// Permissions boundary documents to simulate with (`PermissionsBoundaryPolicyInputList`).
    pub permissions_boundary_policy_input_list: Vec<String>,
    /// `ActionNames` (`s3:GetObject`, ...), at least one.
    pub action_names: Vec<String>,
    /// `ResourceArns`; AWS's default `["*"]` when absent.
    pub resource_arns: Vec<String>,
    pub resource_policy: Option<String>,
    pub resource_owner: Option<String>,
    pub caller_arn: Option<String>,
    pub context_entries: Vec<ContextEntry>,
    pub resource_handling_option: Option<String>,
    /// Paging over the evaluation results (one per action × resource).
    pub page: PageRequest,
}

/// A context-keys request: the keys used in conditions of the principal's policies
/// (`policy_source_arn`, for ...PrincipalPolicy) plus those of `policy_input_list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextKeys {
    pub account: String,
    pub policy_source_arn: Option<String>,
    pub policy_input_list: Vec<String>,
}

/// Routes a request made as the root (`caller: None`) or as an IAM user (`Some(name)`).
/// See [`route_as`].
pub fn route(account: &str, caller: Option<&str>, params: &Params) -> Result<Call, AwsError> {
    route_as(account, caller.into(), params)
}

/// Routes a request in `account` sent by `caller`.
///
/// Errors: no `Action` → `MissingAction`; a `Version` other than 2010-05-08 or an action IAM
/// does not have → `InvalidAction`; an IAM action iamd does not implement ([`UNSUPPORTED`])
/// → `NotImplemented` (501); a required parameter absent or a number/boolean that does not
/// parse → `ValidationError`.
pub fn route_as(account: &str, caller: Caller<'_>, params: &Params) -> Result<Call, AwsError> {
    let action = params
        .get("Action")
        .ok_or_else(|| AwsError::new(ErrorCode::MissingAction, "Missing Action"))?;
    if let Some(v) = params.get("Version") {
        if v != API_VERSION {
            return Err(AwsError::new(
                ErrorCode::InvalidAction,
                format!("Could not find operation {action} for version {v}"),
            ));
        }
    }
    let cx = Cx {
        account,
        caller,
        p: params,
    };
    let routed = match principals::route(&cx, action)? {
        Some(call) => Some(call),
        None => match policies::route(&cx, action)? {
            Some(call) => Some(call),
            None => match credentials::route(&cx, action)? {
                Some(call) => Some(call),
                None => match account::route(&cx, action)? {
                    Some(call) => Some(call),
                    None => match providers::route(&cx, action)? {
                        Some(call) => Some(call),
                        None => match ssh_keys::route(&cx, action)? {
                            Some(call) => Some(call),
                            None => match signing_certs::route(&cx, action)? {
                                Some(call) => Some(call),
                                None => match server_certs::route(&cx, action)? {
                                    Some(call) => Some(call),
                                    None => simulate::route(&cx, action)?,
                                },
                            },
                        },
                    },
                },
            },
        },
    };
    match routed {
        Some(call) => Ok(call),
        None if UNSUPPORTED.contains(&action) => Err(AwsError::not_implemented(action)),
        None => Err(AwsError::invalid_action(action)),
    }
}

/// Whether `route` maps `action` to an operation (for documentation and tests).
pub fn is_supported(action: &str) -> bool {
    SUPPORTED.contains(&action)
}

/// Every action [`route`] maps to an iamd operation.
#[rustfmt::skip]
pub const SUPPORTED: &[&str] = &[
    // users
    "CreateUser", "GetUser", "UpdateUser", "DeleteUser", "ListUsers", "TagUser", "UntagUser",
    "ListUserTags",
    // groups
    "CreateGroup", "GetGroup", "UpdateGroup", "DeleteGroup", "ListGroups", "ListGroupsForUser",
    "AddUserToGroup", "RemoveUserFromGroup",
    // roles
    "CreateRole", "GetRole", "UpdateRole", "UpdateRoleDescription", "UpdateAssumeRolePolicy",
    "DeleteRole", "ListRoles", "TagRole", "UntagRole", "ListRoleTags",
    // service-linked roles
    "CreateServiceLinkedRole", "DeleteServiceLinkedRole", "GetServiceLinkedRoleDeletionStatus",
    // instance profiles
    "CreateInstanceProfile", "GetInstanceProfile", "DeleteInstanceProfile",
    "ListInstanceProfiles", "ListInstanceProfilesForRole", "AddRoleToInstanceProfile",
    "RemoveRoleFromInstanceProfile", "TagInstanceProfile", "UntagInstanceProfile",
    "ListInstanceProfileTags",
    // managed policies
    "CreatePolicy", "GetPolicy", "DeletePolicy", "ListPolicies", "CreatePolicyVersion",
    "GetPolicyVersion", "DeletePolicyVersion", "ListPolicyVersions", "SetDefaultPolicyVersion",
    "TagPolicy", "UntagPolicy", "ListPolicyTags", "ListEntitiesForPolicy",
    // attachments
    "AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy", "DetachUserPolicy",
    "DetachGroupPolicy", "DetachRolePolicy", "ListAttachedUserPolicies",
    "ListAttachedGroupPolicies", "ListAttachedRolePolicies",
    // inline policies
    "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy", "GetUserPolicy", "GetGroupPolicy",
    "GetRolePolicy", "DeleteUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy",
    "ListUserPolicies", "ListGroupPolicies", "ListRolePolicies",
    // permissions boundaries
    "PutUserPermissionsBoundary", "PutRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary",
    // access keys
    "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "ListAccessKeys",
    "GetAccessKeyLastUsed",
    // login profiles
    "CreateLoginProfile", "GetLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile",
    "ChangePassword",
    // MFA
    "CreateVirtualMFADevice", "EnableMFADevice", "DeactivateMFADevice", "ResyncMFADevice",
    "DeleteVirtualMFADevice", "ListVirtualMFADevices", "ListMFADevices", "GetMFADevice",
    "ListMFADeviceTags", "TagMFADevice", "UntagMFADevice",
    // OpenID Connect providers
    "CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "ListOpenIDConnectProviders",
    "DeleteOpenIDConnectProvider", "AddClientIDToOpenIDConnectProvider",
    "RemoveClientIDFromOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint",
    "TagOpenIDConnectProvider", "UntagOpenIDConnectProvider", "ListOpenIDConnectProviderTags",
    // SSH public keys
    "UploadSSHPublicKey", "GetSSHPublicKey", "ListSSHPublicKeys", "UpdateSSHPublicKey",
    "DeleteSSHPublicKey",
    // signing certificates
    "UploadSigningCertificate", "ListSigningCertificates", "UpdateSigningCertificate",
    "DeleteSigningCertificate",
    // server certificates
    "UploadServerCertificate", "GetServerCertificate", "ListServerCertificates",
    "UpdateServerCertificate", "DeleteServerCertificate", "TagServerCertificate",
    "UntagServerCertificate", "ListServerCertificateTags",
    // account
    "CreateAccountAlias", "DeleteAccountAlias", "ListAccountAliases",
    "UpdateAccountPasswordPolicy", "GetAccountPasswordPolicy", "DeleteAccountPasswordPolicy",
    "GetAccountSummary", "GetAccountAuthorizationDetails", "GenerateCredentialReport",
    "GetCredentialReport",
    // simulation
    "SimulatePrincipalPolicy", "SimulateCustomPolicy", "GetContextKeysForPrincipalPolicy",
    "GetContextKeysForCustomPolicy",
];

/// What the family routers read from.
pub(crate) struct Cx<'a> {
    pub(crate) account: &'a str,
    pub(crate) caller: Caller<'a>,
    pub(crate) p: &'a Params,
}

impl Cx<'_> {
    pub(crate) fn write(&self, op: impl Into<Op>) -> Call {
        Call::Write(Command::in_account(self.account, op))
    }

    pub(crate) fn read(&self, q: impl Into<Q>) -> Call {
        Call::Read(Query::in_account(self.account, q))
    }

    pub(crate) fn req(&self, name: &str) -> Result<String, AwsError> {
        self.p.required(name)
    }

    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        self.p.optional(name)
    }

    /// `PathPrefix`, `/` when absent.
    pub(crate) fn path_prefix(&self) -> String {
        self.opt("PathPrefix").unwrap_or_else(|| "/".to_owned())
    }

    /// `Path`, `/` when absent.
    pub(crate) fn path(&self) -> String {
        self.opt("Path").unwrap_or_else(|| "/".to_owned())
    }

    /// `UserName`, or the calling user's name when absent. The root and other principals
    /// get `None` (the caller decides what that means for its action).
    pub(crate) fn user_or_caller(&self) -> Option<String> {
        match (self.opt("UserName"), self.caller) {
            (Some(u), _) => Some(u),
            (None, Caller::User(u)) => Some(u.to_owned()),
            (None, _) => None,
        }
    }

    /// `UserName` defaulting to the calling user; for other callers AWS's error: the root
    /// gets "Value null" (iamd keeps no root credentials of these kinds), other
    /// principals AWS's "Must specify userName when calling with non-User credentials".
    pub(crate) fn user_or_caller_required(&self) -> Result<String, AwsError> {
        match self.user_or_caller() {
            Some(u) => Ok(u),
            None if self.caller == Caller::Other => Err(non_user()),
            None => Err(AwsError::missing("UserName")),
        }
    }

    pub(crate) fn page(&self) -> Result<PageRequest, AwsError> {
        self.p.page()
    }
}

/// AWS's answer to a caller-defaulting action sent by a role session or federated user.
pub(crate) fn non_user() -> AwsError {
    AwsError::new(
        ErrorCode::ValidationError,
        "Must specify userName when calling with non-User credentials",
    )
}

/// An empty page (of any item type: it has no items).
pub(crate) fn empty_page() -> Call {
    let page = Page::<String> {
        items: Vec::new(),
        is_truncated: false,
        marker: None,
    };
    Call::Answer(crate::Answer::State(iam_state::ops::to_json(&page)))
}
