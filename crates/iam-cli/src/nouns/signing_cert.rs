//! `iamctl signing-cert ...`: signing certificates of IAM users (one PEM X.509 certificate
//! each, valid now, at most two per user).

use super::access_key::StatusArg;
use super::{Ctx, PageArgs};
use anyhow::Context as _;
use clap::Subcommand;
use iam_state::ops::signing_certs::{SigningCertOp, SigningCertQuery};

#[derive(Debug, Subcommand)]
pub(crate) enum SigningCertCmd {
    /// Upload a user's signing certificate (PEM); prints its id.
    Upload {
        #[arg(long)]
        user_name: String,
        /// The certificate itself (`-----BEGIN CERTIFICATE-----` …).
        #[arg(
            long,
            allow_hyphen_values = true,
            conflicts_with = "certificate_body_file",
            required_unless_present = "certificate_body_file"
        )]
        certificate_body: Option<String>,
        /// A file holding the certificate (PEM).
        #[arg(long)]
        certificate_body_file: Option<std::path::PathBuf>,
    },
    /// List a user's signing certificates.
    List {
        #[arg(long)]
        user_name: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Activate or deactivate a certificate.
    Update {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        certificate_id: String,
        #[arg(long, value_enum, ignore_case = true)]
        status: StatusArg,
    },
    /// Delete a certificate.
    Delete {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        certificate_id: String,
    },
}

const FIELDS: &[&str] = &[
    "certificate_id",
    "user_name",
    "status",
    "upload_ms",
    "certificate_body",
];

pub(crate) async fn run(ctx: &mut Ctx, cmd: SigningCertCmd) -> anyhow::Result<u8> {
    match cmd {
        SigningCertCmd::Upload {
            user_name,
            certificate_body,
            certificate_body_file,
        } => {
            let certificate_body = match (certificate_body, certificate_body_file) {
                (Some(b), _) => b,
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
                (None, None) => {
                    anyhow::bail!("--certificate-body or --certificate-body-file is required")
                }
            };
            let op = SigningCertOp::Upload {
                user_name,
                certificate_body,
                certificate_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, FIELDS);
        }
        SigningCertCmd::List { user_name, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    SigningCertQuery::List {
                        user_name: user_name.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, &["certificate_id", "status", "upload_ms", "user_name"]);
        }
        SigningCertCmd::Update {
            user_name,
            certificate_id,
            status,
        } => {
            let status = match status {
                StatusArg::Active => "Active",
                StatusArg::Inactive => "Inactive",
            };
            let op = SigningCertOp::Update {
                user_name,
                certificate_id,
                status: status.to_owned(),
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        SigningCertCmd::Delete {
            user_name,
            certificate_id,
        } => {
            let op = SigningCertOp::Delete {
                user_name,
                certificate_id,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
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
    fn signing_cert_commands_parse() {
        let cli = Cli::try_parse_from([
            "iamctl",
            "signing-cert",
            "upload",
            "--user-name",
            "bob",
            "--certificate-body-file",
            "cert.pem",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::SigningCert(SigningCertCmd::Upload { ref certificate_body_file, .. })
                if certificate_body_file.as_deref() == Some(std::path::Path::new("cert.pem"))
        ));
        let cli = Cli::try_parse_from([
            "iamctl",
            "signing-cert",
            "update",
            "--user-name",
            "bob",
            "--certificate-id",
            "AAAAAAAAAAAAAAAAAAAAAAAA",
            "--status",
            "inactive",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::SigningCert(SigningCertCmd::Update {
                status: StatusArg::Inactive,
                ..
            })
        ));
        // A PEM given inline starts with hyphens: it is a value, not a flag.
        let cli = Cli::try_parse_from([
            "iamctl",
            "signing-cert",
            "upload",
            "--user-name",
            "bob",
            "--certificate-body",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::SigningCert(SigningCertCmd::Upload { ref certificate_body, .. })
                if certificate_body.as_deref().is_some_and(|b| b.starts_with("-----BEGIN"))
        ));
        // An upload names a certificate; a body and a file are not both given.
        assert!(
            Cli::try_parse_from(["iamctl", "signing-cert", "upload", "--user-name", "bob"])
                .is_err()
        );
        assert!(Cli::try_parse_from([
            "iamctl",
            "signing-cert",
            "upload",
            "--user-name",
            "bob",
            "--certificate-body",
            "x",
            "--certificate-body-file",
            "f",
        ])
        .is_err());
        // Every verb names the user.
        assert!(Cli::try_parse_from(["iamctl", "signing-cert", "list"]).is_err());
    }
}
