//! `iamctl role ...`: IAM roles (create with a trust policy, get, list, update, delete,
//! tags) and service-linked roles (create-service-linked, delete-service-linked,
//! deletion-status). Roles cannot be renamed.

use super::user::TAG_COLUMNS;
use super::{parse_tags, read_document, Ctx, PageArgs};
use clap::Subcommand;
use iam_state::ops::roles::{RoleOp, RoleQuery};

#[derive(Debug, Subcommand)]
pub(crate) enum RoleCmd {
    /// Create a role.
    Create {
        name: String,
        /// The trust policy: file://path, @path, - (stdin) or inline JSON.
        #[arg(long)]
        assume_role_policy_document: String,
        #[arg(long, default_value = "/")]
        path: String,
        #[arg(long)]
        description: Option<String>,
        /// Seconds (3600-43200; default 3600).
        #[arg(long)]
        max_session_duration: Option<u32>,
        /// ARN of a managed policy to use as the permissions boundary.
        #[arg(long)]
        permissions_boundary: Option<String>,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Show a role.
    Get { name: String },
    /// List roles (all pages unless --no-paginate).
    List {
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Change a role's description and/or maximum session duration.
    Update {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Seconds (3600-43200).
        #[arg(long)]
        max_session_duration: Option<u32>,
    },
    /// Replace a role's description (an empty one clears it).
    UpdateDescription {
        name: String,
        #[arg(long)]
        description: String,
    },
    /// Replace a role's trust policy.
    UpdateAssumeRolePolicy {
        name: String,
        /// The trust policy: file://path, @path, - (stdin) or inline JSON.
        #[arg(long)]
        policy_document: String,
    },
    /// Delete a role (refused while it is in an instance profile or has policies).
    Delete { name: String },
    /// Revoke every session of the role issued before now (AWS's "revoke active sessions":
    /// an inline policy `AWSRevokeOlderSessions` denying everything to older tokens). Takes
    /// effect on each node as soon as it has applied the write.
    RevokeSessions { name: String },
    /// Add or replace tags on a role.
    Tag {
        name: String,
        /// Tags as Key=k,Value=v or k=v (repeatable, at least one).
        #[arg(long = "tag", required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a role (absent keys are ignored).
    Untag {
        name: String,
        /// Tag key to remove (repeatable, at least one).
        #[arg(long = "tag-key", required = true)]
        tag_keys: Vec<String>,
    },
    /// List a role's tags.
    ListTags {
        name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Create the service-linked role of an AWS service (path
    /// /aws-service-role/SERVICE/, named after the service; AWS's CreateServiceLinkedRole).
    CreateServiceLinked {
        /// The service principal, e.g. autoscaling.amazonaws.com.
        #[arg(long = "service")]
        aws_service_name: String,
        /// The role's description.
        #[arg(long)]
        description: Option<String>,
        /// Appended to the role name as NAME_SUFFIX (only for services that take one).
        #[arg(long)]
        custom_suffix: Option<String>,
    },
    /// Delete a service-linked role with its policies; prints the deletion task id.
    DeleteServiceLinked { name: String },
    /// Show the status of a service-linked role deletion task.
    DeletionStatus { task_id: String },
}

const FIELDS: &[&str] = &[
    "name",
    "id",
    "arn",
    "path",
    "created_ms",
    "description",
    "max_session_duration",
    "permissions_boundary",
    "assume_role_policy",
];

pub(crate) async fn run(ctx: &mut Ctx, cmd: RoleCmd) -> anyhow::Result<u8> {
    match cmd {
        RoleCmd::Create {
            name,
            assume_role_policy_document,
            path,
            description,
            max_session_duration,
            permissions_boundary,
            tags,
        } => {
            let op = RoleOp::Create {
                name,
                path,
                assume_role_policy_document: read_document(
                    "--assume-role-policy-document",
                    &assume_role_policy_document,
                )?,
                description,
                max_session_duration,
                permissions_boundary,
                tags: parse_tags("--tag", &tags)?,
                role_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        RoleCmd::Get { name } => {
            let v = ctx.read(RoleQuery::Get { name }).await?;
            ctx.show(&v, FIELDS);
        }
        RoleCmd::List {
            path_prefix,
            paging,
        } => {
            let v = ctx
                .read_all(&paging, |page| {
                    RoleQuery::List {
                        path_prefix: path_prefix.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["name", "id", "path", "arn", "max_session_duration"]);
        }
        RoleCmd::Update {
            name,
            description,
            max_session_duration,
        } => {
            if description.is_none() && max_session_duration.is_none() {
                anyhow::bail!("role update: pass --description and/or --max-session-duration");
            }
            let op = RoleOp::Update {
                name,
                description,
                max_session_duration,
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        RoleCmd::UpdateDescription { name, description } => {
            let v = ctx
                .write(RoleOp::UpdateDescription { name, description })
                .await?;
            ctx.show(&v, FIELDS);
        }
        RoleCmd::UpdateAssumeRolePolicy {
            name,
            policy_document,
        } => {
            let policy_document = read_document("--policy-document", &policy_document)?;
            let v = ctx
                .write(RoleOp::UpdateAssumeRolePolicy {
                    name,
                    policy_document,
                })
                .await?;
            ctx.done(&v);
        }
        RoleCmd::Delete { name } => {
            let v = ctx.write(RoleOp::Delete { name }).await?;
            ctx.done(&v);
        }
        RoleCmd::RevokeSessions { name } => {
            // Every token issued up to now: issue times have second granularity, and a node
            // may stamp them up to the cluster's clock tolerance (iamd's default
            // --max-clock-offset-ms, 500 ms) ahead of this clock.
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let stamp = super::sts::iso8601(now_ms + 1000 + 500);
            let document = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{stamp}"}}}}}}]}}"#
            );
            let v = ctx
                .write(iam_state::ops::policies::PolicyOp::PutInline {
                    entity: iam_state::keys::EntityKind::Role,
                    entity_name: name,
                    policy_name: "AWSRevokeOlderSessions".into(),
                    policy_document: document,
                })
                .await?;
            ctx.done(&v);
        }
        RoleCmd::Tag { name, tags } => {
            let tags = parse_tags("--tag", &tags)?;
            let v = ctx.write(RoleOp::Tag { name, tags }).await?;
            ctx.done(&v);
        }
        RoleCmd::Untag { name, tag_keys } => {
            let v = ctx.write(RoleOp::Untag { name, tag_keys }).await?;
            ctx.done(&v);
        }
        RoleCmd::CreateServiceLinked {
            aws_service_name,
            description,
            custom_suffix,
        } => {
            let op = RoleOp::CreateServiceLinked {
                aws_service_name,
                description,
                custom_suffix,
                role_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        RoleCmd::DeleteServiceLinked { name } => {
            let op = RoleOp::DeleteServiceLinked {
                name,
                task_uuid: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, &["deletion_task_id"]);
        }
        RoleCmd::DeletionStatus { task_id } => {
            let v = ctx
                .read(RoleQuery::ServiceLinkedDeletionStatus {
                    deletion_task_id: task_id,
                })
                .await?;
            ctx.show(&v, &["status"]);
        }
        RoleCmd::ListTags { name, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    RoleQuery::ListTags {
                        name: name.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, TAG_COLUMNS);
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Noun};
    use clap::Parser;

    #[test]
    fn service_linked_role_commands_parse() {
        let cli = Cli::try_parse_from([
            "iamctl",
            "role",
            "create-service-linked",
            "--service",
            "autoscaling.amazonaws.com",
            "--custom-suffix",
            "web",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::Role(RoleCmd::CreateServiceLinked {
                ref aws_service_name,
                description: None,
                custom_suffix: Some(ref s),
            }) if aws_service_name == "autoscaling.amazonaws.com" && s == "web"
        ));
        let cli = Cli::try_parse_from([
            "iamctl",
            "role",
            "delete-service-linked",
            "AWSServiceRoleForAutoScaling_web",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::Role(RoleCmd::DeleteServiceLinked { ref name })
                if name == "AWSServiceRoleForAutoScaling_web"
        ));
        let cli = Cli::try_parse_from([
            "iamctl",
            "role",
            "deletion-status",
            "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::Role(RoleCmd::DeletionStatus { ref task_id }) if task_id.starts_with("task/")
        ));
        assert!(Cli::try_parse_from(["iamctl", "role", "create-service-linked"]).is_err());
    }
}
