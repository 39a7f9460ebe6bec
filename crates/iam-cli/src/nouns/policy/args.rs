//! The clap arguments of `iamctl policy ...` (see `super` for what each verb does).

use super::super::PageArgs;
use crate::policy_cmd::OfflinePolicyCmd;
use clap::{Args, Subcommand, ValueEnum};
use iam_state::ops::policies::{BoundaryEntity, EntityKind, PolicyUsage};
/// The user, group or role a command acts on (exactly one).
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Entity {
    /// The user.
    #[arg(long)]
    user: Option<String>,
    /// The group.
    #[arg(long)]
    group: Option<String>,
    /// The role.
    #[arg(long)]
    role: Option<String>,
}

impl Entity {
    pub(crate) fn split(self) -> (EntityKind, String) {
        match (self.user, self.group, self.role) {
            (Some(u), _, _) => (EntityKind::User, u),
            (None, Some(g), _) => (EntityKind::Group, g),
            (None, None, r) => (EntityKind::Role, r.unwrap_or_default()),
        }
    }
}

/// The user or role whose permissions boundary a command changes (exactly one).
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct BoundaryHolder {
    /// The user.
    #[arg(long)]
    user: Option<String>,
    /// The role.
    #[arg(long)]
    role: Option<String>,
}

impl BoundaryHolder {
    pub(crate) fn split(self) -> (BoundaryEntity, String) {
        match (self.user, self.role) {
            (Some(u), _) => (BoundaryEntity::User, u),
            (None, r) => (BoundaryEntity::Role, r.unwrap_or_default()),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ScopeArg {
    All,
    Local,
    Aws,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum UsageArg {
    PermissionsPolicy,
    PermissionsBoundary,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum EntityFilterArg {
    User,
    Role,
    Group,
    LocalManagedPolicy,
    AwsManagedPolicy,
}

pub(crate) fn usage(u: Option<UsageArg>) -> Option<PolicyUsage> {
    u.map(|u| match u {
        UsageArg::PermissionsPolicy => PolicyUsage::PermissionsPolicy,
        UsageArg::PermissionsBoundary => PolicyUsage::PermissionsBoundary,
    })
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCmd {
    #[command(flatten)]
    Offline(OfflinePolicyCmd),
    /// Create a customer managed policy (its document becomes version v1, the default).
    Create {
        #[arg(long)]
        policy_name: String,
        /// The document: file://path, @path, - (stdin) or inline JSON.
        #[arg(long)]
        policy_document: String,
        #[arg(long, default_value = "/")]
        path: String,
        /// Cannot be changed later.
        #[arg(long, default_value = "")]
        description: String,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag", visible_alias = "tags")]
        tags: Vec<String>,
    },
    /// Show a managed policy.
    Get {
        /// The policy ARN, or the name of a policy at path /.
        #[arg(long)]
        policy_arn: String,
    },
    /// List managed policies (all pages unless --no-paginate).
    List {
        /// `aws` lists nothing: iamd has no AWS managed policies.
        #[arg(long, value_enum, default_value = "all")]
        scope: ScopeArg,
        /// Only policies attached to a user, group or role (or, with
        /// --policy-usage-filter permissions-boundary, used as a boundary).
        #[arg(long)]
        only_attached: bool,
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[arg(long, value_enum)]
        policy_usage_filter: Option<UsageArg>,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Delete a managed policy (refused while attached, used as a boundary, or with
    /// non-default versions).
    Delete {
        #[arg(long)]
        policy_arn: String,
    },
    /// Add a version (at most 5 are kept).
    CreateVersion {
        #[arg(long)]
        policy_arn: String,
        #[arg(long)]
        policy_document: String,
        #[arg(long)]
        set_as_default: bool,
    },
    /// Show one version with its document.
    GetVersion {
        #[arg(long)]
        policy_arn: String,
        #[arg(long)]
        version_id: String,
    },
    /// List a policy's versions.
    ListVersions {
        #[arg(long)]
        policy_arn: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Delete a version other than the default.
    DeleteVersion {
        #[arg(long)]
        policy_arn: String,
        #[arg(long)]
        version_id: String,
    },
    /// Make a version the default.
    SetDefaultVersion {
        #[arg(long)]
        policy_arn: String,
        #[arg(long)]
        version_id: String,
    },
    /// Attach a managed policy to a user, group or role.
    Attach {
        #[arg(long)]
        policy_arn: String,
        #[command(flatten)]
        entity: Entity,
    },
    /// Detach a managed policy from a user, group or role.
    Detach {
        #[arg(long)]
        policy_arn: String,
        #[command(flatten)]
        entity: Entity,
    },
    /// List the managed policies attached to a user, group or role.
    ListAttached {
        #[command(flatten)]
        entity: Entity,
        /// Only policies whose path starts with this.
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// List the users, groups and roles a managed policy is attached to or bounds.
    ListEntities {
        #[arg(long)]
        policy_arn: String,
        #[arg(long, value_enum)]
        entity_filter: Option<EntityFilterArg>,
        /// Only entities whose path starts with this.
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[arg(long, value_enum)]
        policy_usage_filter: Option<UsageArg>,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Create or replace an inline policy of a user, group or role.
    PutInline {
        #[command(flatten)]
        entity: Entity,
        #[arg(long)]
        policy_name: String,
        #[arg(long)]
        policy_document: String,
    },
    /// Show an inline policy.
    GetInline {
        #[command(flatten)]
        entity: Entity,
        #[arg(long)]
        policy_name: String,
    },
    /// Delete an inline policy.
    DeleteInline {
        #[command(flatten)]
        entity: Entity,
        #[arg(long)]
        policy_name: String,
    },
    /// List the inline policy names of a user, group or role.
    ListInline {
        #[command(flatten)]
        entity: Entity,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Set the permissions boundary of a user or role (replacing any previous one).
    PutBoundary {
        #[command(flatten)]
        holder: BoundaryHolder,
        /// ARN (or name at path /) of the managed policy to use.
        #[arg(long)]
        permissions_boundary: String,
    },
    /// Remove the permissions boundary of a user or role.
    DeleteBoundary {
        #[command(flatten)]
        holder: BoundaryHolder,
    },
    /// Add or overwrite tags on a managed policy.
    Tag {
        #[arg(long)]
        policy_arn: String,
        /// Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag", visible_alias = "tags", required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a managed policy.
    Untag {
        #[arg(long)]
        policy_arn: String,
        /// A tag key to remove (repeatable).
        #[arg(long = "tag-key", visible_alias = "tag-keys", required = true)]
        tag_keys: Vec<String>,
    },
    /// List a managed policy's tags.
    ListTags {
        #[arg(long)]
        policy_arn: String,
        #[command(flatten)]
        paging: PageArgs,
    },
}
