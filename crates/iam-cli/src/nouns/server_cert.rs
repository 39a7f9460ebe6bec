//! `iamctl server-cert ...`: server certificates (a PEM X.509 certificate, its chain and its
//! private key, kept for load balancers and CloudFront; at most 20 per account). The private
//! key is read from a file (or standard input) only, never from the command line, and no
//! command prints it: the server never returns it.

use super::user::TAG_COLUMNS;
use super::{parse_tags, Ctx, PageArgs};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use iam_state::ops::server_certs::{PrivateKeyText, ServerCertOp, ServerCertQuery};
use std::path::{Path, PathBuf};

/// The certificate a command acts on.
#[derive(Debug, Args)]
pub(crate) struct CertName {
    /// The server certificate's name.
    #[arg(long = "server-certificate-name", visible_alias = "name")]
    name: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ServerCertCmd {
    /// Upload a server certificate with its private key (and chain); prints its metadata.
    Upload {
        #[command(flatten)]
        cert: CertName,
        /// The path (`/` by default; CloudFront's certificates go under `/cloudfront/`).
        #[arg(long, default_value = "/")]
        path: String,
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
        certificate_body_file: Option<PathBuf>,
        /// A file holding the private key (unencrypted PEM: PKCS#1, PKCS#8 or SEC1), `-` for
        /// standard input. Never given inline: a command line is visible to other users.
        #[arg(long, allow_hyphen_values = true)]
        private_key_file: PathBuf,
        /// A file holding the chain: the certificate's issuer, then its issuer's, … (PEM).
        #[arg(long)]
        certificate_chain_file: Option<PathBuf>,
        /// Tags as Key=k,Value=v or k=v (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Show a server certificate: its metadata, body, chain and tags (never its key).
    Get {
        #[command(flatten)]
        cert: CertName,
    },
    /// List the account's server certificates (metadata).
    List {
        /// Only those whose path starts with this.
        #[arg(long, default_value = "/")]
        path_prefix: String,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Rename a server certificate and/or move it to another path.
    Update {
        #[command(flatten)]
        cert: CertName,
        #[arg(long)]
        new_server_certificate_name: Option<String>,
        #[arg(long)]
        new_path: Option<String>,
    },
    /// Delete a server certificate.
    Delete {
        #[command(flatten)]
        cert: CertName,
    },
    /// Add or replace tags on a server certificate.
    Tag {
        #[command(flatten)]
        cert: CertName,
        /// Tags as Key=k,Value=v or k=v (repeatable, at least one).
        #[arg(long = "tag", required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a server certificate (absent keys are ignored).
    Untag {
        #[command(flatten)]
        cert: CertName,
        /// Tag key to remove (repeatable, at least one).
        #[arg(long = "tag-key", required = true)]
        tag_keys: Vec<String>,
    },
    /// List a server certificate's tags.
    ListTags {
        #[command(flatten)]
        cert: CertName,
        #[command(flatten)]
        paging: PageArgs,
    },
}

const METADATA: &[&str] = &[
    "metadata.server_certificate_name",
    "metadata.server_certificate_id",
    "metadata.arn",
    "metadata.path",
    "metadata.upload_ms",
    "metadata.expiration_ms",
];

const COLUMNS: &[&str] = &[
    "server_certificate_name",
    "server_certificate_id",
    "path",
    "expiration_ms",
    "arn",
];

/// A file's text; `-` is standard input.
fn read_file(flag: &str, path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .with_context(|| format!("{flag}: cannot read standard input"))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| format!("{flag}: reading {}", path.display()))
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: ServerCertCmd) -> anyhow::Result<u8> {
    match cmd {
        ServerCertCmd::Upload {
            cert,
            path,
            certificate_body,
            certificate_body_file,
            private_key_file,
            certificate_chain_file,
            tags,
        } => {
            let certificate_body = match (certificate_body, certificate_body_file) {
                (Some(b), _) => b,
                (None, Some(f)) => read_file("--certificate-body-file", &f)?,
                (None, None) => {
                    anyhow::bail!("--certificate-body or --certificate-body-file is required")
                }
            };
            let certificate_chain = certificate_chain_file
                .map(|f| read_file("--certificate-chain-file", &f))
                .transpose()?;
            let private_key = PrivateKeyText(read_file("--private-key-file", &private_key_file)?);
            let op = ServerCertOp::Upload {
                server_certificate_name: cert.name,
                path,
                certificate_body,
                certificate_chain,
                private_key,
                tags: parse_tags("--tag", &tags)?,
                server_certificate_id: String::new(),
                key_check: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, METADATA);
        }
        ServerCertCmd::Get { cert } => {
            let v = ctx
                .read(ServerCertQuery::Get {
                    server_certificate_name: cert.name,
                })
                .await?;
            let fields: Vec<&str> = METADATA
                .iter()
                .copied()
                .chain(["certificate_body", "certificate_chain", "tags"])
                .collect();
            ctx.show(&v, &fields);
        }
        ServerCertCmd::List {
            path_prefix,
            paging,
        } => {
            let v = ctx
                .read_all(&paging, |page| {
                    ServerCertQuery::List {
                        path_prefix: path_prefix.clone(),
                        page,
                    }
                    .into()
                })
                .await?;
            ctx.show_list(&v, COLUMNS);
        }
        ServerCertCmd::Update {
            cert,
            new_server_certificate_name,
            new_path,
        } => {
            if new_server_certificate_name.is_none() && new_path.is_none() {
                anyhow::bail!(
                    "nothing to update: give --new-server-certificate-name and/or --new-path"
                );
            }
            let op = ServerCertOp::Update {
                server_certificate_name: cert.name,
                new_path,
                new_server_certificate_name,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        ServerCertCmd::Delete { cert } => {
            let op = ServerCertOp::Delete {
                server_certificate_name: cert.name,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        ServerCertCmd::Tag { cert, tags } => {
            let op = ServerCertOp::Tag {
                server_certificate_name: cert.name,
                tags: parse_tags("--tag", &tags)?,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        ServerCertCmd::Untag { cert, tag_keys } => {
            let op = ServerCertOp::Untag {
                server_certificate_name: cert.name,
                tag_keys,
            };
            let v = ctx.write(op).await?;
            ctx.done(&v);
        }
        ServerCertCmd::ListTags { cert, paging } => {
            let v = ctx
                .read_all(&paging, |page| {
                    ServerCertQuery::ListTags {
                        server_certificate_name: cert.name.clone(),
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
    fn server_cert_commands_parse() {
        let cli = Cli::try_parse_from([
            "iamctl",
            "server-cert",
            "upload",
            "--server-certificate-name",
            "web",
            "--path",
            "/cloudfront/",
            "--certificate-body-file",
            "cert.pem",
            "--private-key-file",
            "key.pem",
            "--certificate-chain-file",
            "chain.pem",
            "--tag",
            "env=prod",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::ServerCert(ServerCertCmd::Upload { ref path, ref private_key_file, ref certificate_chain_file, .. })
                if path == "/cloudfront/"
                    && private_key_file == Path::new("key.pem")
                    && certificate_chain_file.as_deref() == Some(Path::new("chain.pem"))
        ));
        // The key from standard input; `--name` for short; the path defaults to `/`.
        let cli = Cli::try_parse_from([
            "iamctl",
            "server-cert",
            "upload",
            "--name",
            "web",
            "--certificate-body",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
            "--private-key-file",
            "-",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::ServerCert(ServerCertCmd::Upload { ref path, ref private_key_file, ref certificate_body, .. })
                if path == "/"
                    && private_key_file == Path::new("-")
                    && certificate_body.as_deref().is_some_and(|b| b.starts_with("-----BEGIN"))
        ));
        // No key inline, no upload without a key or a certificate, not both a body and a file.
        for args in [
            &[
                "--name",
                "web",
                "--certificate-body-file",
                "c",
                "--private-key",
                "k",
            ][..],
            &["--name", "web", "--certificate-body-file", "c"][..],
            &["--name", "web", "--private-key-file", "k"][..],
            &[
                "--name",
                "web",
                "--certificate-body",
                "x",
                "--certificate-body-file",
                "c",
                "--private-key-file",
                "k",
            ][..],
        ] {
            let argv = ["iamctl", "server-cert", "upload"]
                .iter()
                .chain(args)
                .copied();
            assert!(Cli::try_parse_from(argv).is_err(), "{args:?}");
        }
        let cli = Cli::try_parse_from([
            "iamctl",
            "server-cert",
            "update",
            "--name",
            "web",
            "--new-server-certificate-name",
            "www",
            "--new-path",
            "/elb/",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Noun::ServerCert(ServerCertCmd::Update { ref new_server_certificate_name, ref new_path, .. })
                if new_server_certificate_name.as_deref() == Some("www")
                    && new_path.as_deref() == Some("/elb/")
        ));
        for verb in ["get", "delete", "list-tags"] {
            assert!(Cli::try_parse_from(["iamctl", "server-cert", verb, "--name", "web"]).is_ok());
            assert!(Cli::try_parse_from(["iamctl", "server-cert", verb]).is_err());
        }
        assert!(Cli::try_parse_from(["iamctl", "server-cert", "list"]).is_ok());
        assert!(
            Cli::try_parse_from(["iamctl", "server-cert", "tag", "--name", "web"]).is_err(),
            "a tag command names a tag"
        );
        assert!(Cli::try_parse_from([
            "iamctl",
            "server-cert",
            "untag",
            "--name",
            "web",
            "--tag-key",
            "env"
        ])
        .is_ok());
    }
}
