//! `iamctl instance-profile ...`: instance profiles (containers for one role).

use super::user::TAG_COLUMNS;
use super::{parse_tags, Ctx, PageArgs};
use clap::Subcommand;
use iam_state::ops::instance_profiles::{InstanceProfileOp, InstanceProfileQuery};
use serde_json::Value;

#[derive(Debug, Subcommand)]
pub(crate) enum InstanceProfileCmd {
    /// Create an instance profile.
    Create {
        name: String,
        #[arg(long, default_value = "/")]
        path: String,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Show an instance profile with its role.
    Get { name: String },
    /// List instance profiles (all pages unless --no-paginate).
    List {
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Delete an instance profile (refused while it holds a role).
    Delete { name: String },
    /// Put a role in an instance profile (a profile holds at most one role).
    AddRole {
        #[arg(value_name = "PROFILE")]
        profile: String,
        #[arg(value_name = "ROLE")]
        role: String,
    },
    /// Take a role out of an instance profile.
    RemoveRole {
        #[arg(value_name = "PROFILE")]
        profile: String,
        #[arg(value_name = "ROLE")]
        role: String,
    },
    /// List the instance profiles a role is in.
    ListForRole {
        #[arg(value_name = "ROLE")]
        role: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Add or replace tags on an instance profile.
    Tag {
        name: String,
        /// Tags as Key=k,Value=v or k=v (repeatable, at least one).
        #[arg(long = "tag", required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from an instance profile (absent keys are ignored).
    Untag {
        name: String,
        /// Tag key to remove (repeatable, at least one).
        #[arg(long = "tag-key", required = true)]
        tag_keys: Vec<String>,
    },
    /// List an instance profile's tags.
    ListTags {
        name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
}

const FIELDS: &[&str] = &["name", "id", "arn", "path", "created_ms", "role_names"];
const COLUMNS: &[&str] = &["name", "id", "path", "role_names"];

/// Adds `role_names` (the roles' names) next to the full role records, for tables.
fn with_role_names(mut v: Value) -> Value {
    let add = |p: &mut Value| {
        let names: Vec<Value> = p
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").cloned())
            .collect();
        if let Some(o) = p.as_object_mut() {
            o.insert("role_names".into(), Value::Array(names));
        }
    };
    match v.get_mut("items").and_then(Value::as_array_mut) {
        Some(items) => items.iter_mut().for_each(add),
        None => add(&mut v),
    }
    v
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: InstanceProfileCmd) -> anyhow::Result<u8> {
    let table = ctx.output == crate::output::OutputFormat::Table;
    // JSON output stays the API's JSON exactly; tables get the role names column.
    let shape = |v: Value| if table { with_role_names(v) } else { v };
    match cmd {
        InstanceProfileCmd::Create { name, path, tags } => {
            let op = InstanceProfileOp::Create {
                name,
                path,
                tags: parse_tags("--tag", &tags)?,
                instance_profile_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&shape(v), FIELDS);
        }
        InstanceProfileCmd::Get { name } => {
            let v = ctx.read(InstanceProfileQuery::Get { name }).await?;
            ctx.show(&shape(v), FIELDS);
        }
        InstanceProfileCmd::List {
            path_prefix,
            paging,
        } => {
            let v = ctx
                .read_all(&paging, |page| {
                    InstanceProfileQuery::List {
                        path_prefix: path_prefix.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&shape(v), COLUMNS);
        }
        InstanceProfileCmd::Delete { name } => {
            let v = ctx.write(InstanceProfileOp::Delete { name }).await?;
            ctx.done(&v);
        }
        InstanceProfileCmd::AddRole { profile, role } => {
            let op = InstanceProfileOp::AddRole {
                instance_profile_name: profile,
                role_name: role,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        InstanceProfileCmd::RemoveRole { profile, role } => {
            let op = InstanceProfileOp::RemoveRole {
                instance_profile_name: profile,
                role_name: role,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        InstanceProfileCmd::ListForRole { role, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    InstanceProfileQuery::ListForRole {
                        role_name: role.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&shape(v), COLUMNS);
        }
        InstanceProfileCmd::Tag { name, tags } => {
            let tags = parse_tags("--tag", &tags)?;
            let v = ctx.write(InstanceProfileOp::Tag { name, tags }).await?;
            ctx.done(&v);
        }
        InstanceProfileCmd::Untag { name, tag_keys } => {
            let v = ctx
                .write(InstanceProfileOp::Untag { name, tag_keys })
                .await?;
            ctx.done(&v);
        }
        InstanceProfileCmd::ListTags { name, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    InstanceProfileQuery::ListTags {
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
    use clap::{CommandFactory, Parser};
    use serde_json::json;

    #[test]
    fn principal_nouns_parse() {
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["iamctl", "instance-profile", "add-role", "web", "app"]).unwrap();
        assert!(matches!(
            cli.command,
            Noun::InstanceProfile(InstanceProfileCmd::AddRole { ref profile, ref role })
                if profile == "web" && role == "app"
        ));
        let cli = Cli::try_parse_from([
            "iamctl",
            "role",
            "untag",
            "r",
            "--tag-key",
            "a",
            "--tag-key",
            "b",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::Role(crate::nouns::role::RoleCmd::Untag { ref tag_keys, .. }) if tag_keys.len() == 2
        ));
        assert!(Cli::try_parse_from(["iamctl", "group", "add-user", "g"]).is_err());
        assert!(Cli::try_parse_from(["iamctl", "role", "create", "r"]).is_err());
    }

    #[test]
    fn tables_get_role_names() {
        let v = with_role_names(json!({"items": [{"name": "p", "roles": [{"name": "r"}]}]}));
        assert_eq!(v["items"][0]["role_names"], json!(["r"]));
        let v = with_role_names(json!({"name": "p", "roles": []}));
        assert_eq!(v["role_names"], json!([]));
    }
}
