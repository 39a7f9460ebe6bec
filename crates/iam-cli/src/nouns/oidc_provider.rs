//! `iamctl oidc-provider ...`: OpenID Connect identity providers (the IAM side of web
//! identity federation: the URL a token's issuer must match, its client ids and the
//! certificate thumbprints).

use super::user::TAG_COLUMNS;
use super::{parse_tags, Ctx, PageArgs};
use clap::{Args, Subcommand};
use iam_state::ops::oidc_providers::{OidcProviderOp, OidcProviderQuery};

/// The provider a command acts on.
#[derive(Debug, Args)]
pub(crate) struct ProviderArn {
    /// The provider's ARN (`arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH]`).
    #[arg(long, visible_alias = "open-id-connect-provider-arn")]
    arn: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OidcProviderCmd {
    /// Register an OpenID Connect provider by its issuer URL (https://, no port, query or
    /// fragment); prints its ARN.
    Create {
        #[arg(long)]
        url: String,
        /// A client id (audience) tokens may be issued to (repeatable, at most 100).
        #[arg(long = "client-id")]
        client_ids: Vec<String>,
        /// The hex SHA-1 thumbprint of the provider's certificate (repeatable, at most 5).
        #[arg(long = "thumbprint")]
        thumbprints: Vec<String>,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Show a provider: URL, client ids, thumbprints, creation time and tags.
    Get {
        #[command(flatten)]
        provider: ProviderArn,
    },
    /// List the account's providers (their ARNs).
    List,
    /// Delete a provider (deleting one that does not exist is not an error).
    Delete {
        #[command(flatten)]
        provider: ProviderArn,
    },
    /// Add a client id (audience) to a provider (already there: nothing changes).
    AddClientId {
        #[command(flatten)]
        provider: ProviderArn,
        #[arg(long)]
        client_id: String,
    },
    /// Remove a client id from a provider (absent: nothing changes).
    RemoveClientId {
        #[command(flatten)]
        provider: ProviderArn,
        #[arg(long)]
        client_id: String,
    },
    /// Replace a provider's certificate thumbprints.
    UpdateThumbprint {
        #[command(flatten)]
        provider: ProviderArn,
        /// A hex SHA-1 thumbprint (repeatable, at least one, at most 5).
        #[arg(long = "thumbprint", required = true)]
        thumbprints: Vec<String>,
    },
    /// Add or replace tags on a provider.
    Tag {
        #[command(flatten)]
        provider: ProviderArn,
        /// Tags as Key=k,Value=v or k=v (repeatable, at least one).
        #[arg(long = "tag", required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a provider (absent keys are ignored).
    Untag {
        #[command(flatten)]
        provider: ProviderArn,
        /// Tag key to remove (repeatable, at least one).
        #[arg(long = "tag-key", required = true)]
        tag_keys: Vec<String>,
    },
    /// List a provider's tags.
    ListTags {
        #[command(flatten)]
        provider: ProviderArn,
        #[command(flatten)]
        paging: PageArgs,
    },
}

const FIELDS: &[&str] = &["arn", "url", "client_ids", "thumbprints", "created_ms"];

pub(crate) async fn run(ctx: &mut Ctx, cmd: OidcProviderCmd) -> anyhow::Result<u8> {
    match cmd {
        OidcProviderCmd::Create {
            url,
            client_ids,
            thumbprints,
            tags,
        } => {
            let op = OidcProviderOp::Create {
                url,
                client_id_list: client_ids,
                thumbprint_list: thumbprints,
                tags: parse_tags("--tag", &tags)?,
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, &["arn"]);
        }
        OidcProviderCmd::Get { provider } => {
            let v = ctx
                .read(OidcProviderQuery::Get {
                    provider_arn: provider.arn,
                })
                .await?;
            ctx.show(&v, FIELDS);
        }
        OidcProviderCmd::List => {
            let v = ctx.read(OidcProviderQuery::List {}).await?;
            ctx.show_list(&v, &["arn"]);
        }
        OidcProviderCmd::Delete { provider } => {
            let op = OidcProviderOp::Delete {
                provider_arn: provider.arn,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        OidcProviderCmd::AddClientId {
            provider,
            client_id,
        } => {
            let op = OidcProviderOp::AddClientId {
                provider_arn: provider.arn,
                client_id,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        OidcProviderCmd::RemoveClientId {
            provider,
            client_id,
        } => {
            let op = OidcProviderOp::RemoveClientId {
                provider_arn: provider.arn,
                client_id,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        OidcProviderCmd::UpdateThumbprint {
            provider,
            thumbprints,
        } => {
            let op = OidcProviderOp::UpdateThumbprint {
                provider_arn: provider.arn,
                thumbprint_list: thumbprints,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        OidcProviderCmd::Tag { provider, tags } => {
            let op = OidcProviderOp::Tag {
                provider_arn: provider.arn,
                tags: parse_tags("--tag", &tags)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        OidcProviderCmd::Untag { provider, tag_keys } => {
            let op = OidcProviderOp::Untag {
                provider_arn: provider.arn,
                tag_keys,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        OidcProviderCmd::ListTags { provider, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    OidcProviderQuery::ListTags {
                        provider_arn: provider.arn.clone(),
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
    fn oidc_provider_commands_parse() {
        let thumbprint = "f".repeat(40);
        let cli = Cli::try_parse_from([
            "iamctl",
            "oidc-provider",
            "create",
            "--url",
            "https://token.example.com",
            "--client-id",
            "a",
            "--client-id",
            "b",
            "--thumbprint",
            thumbprint.as_str(),
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::OidcProvider(OidcProviderCmd::Create { ref client_ids, ref thumbprints, .. })
                if client_ids.len() == 2 && thumbprints.len() == 1
        ));
        let arn = "arn:aws:iam::123456789012:oidc-provider/token.example.com";
        let cli = Cli::try_parse_from([
            "iamctl",
            "oidc-provider",
            "add-client-id",
            "--open-id-connect-provider-arn",
            arn,
            "--client-id",
            "c",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::OidcProvider(OidcProviderCmd::AddClientId { ref provider, .. }) if provider.arn == arn
        ));
        // A thumbprint update names at least one thumbprint; a get names the provider.
        assert!(Cli::try_parse_from([
            "iamctl",
            "oidc-provider",
            "update-thumbprint",
            "--arn",
            arn
        ])
        .is_err());
        assert!(Cli::try_parse_from(["iamctl", "oidc-provider", "get"]).is_err());
    }
}
