//! `iamd cert`: a CA and the certificates it signs, written as PEM files (private keys
//! 0600), for operators without a PKI of their own.

use crate::cli::CertCmd;
use anyhow::{bail, Context};
use iam_tls::gen::{self, Usage};
use std::path::{Path, PathBuf};

fn refuse_overwrite(paths: &[&Path], force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    for p in paths {
        if p.exists() {
            bail!("{} exists; give --force to overwrite it", p.display());
        }
    }
    Ok(())
}

fn write_public(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Runs one `iamd cert` command; prints the files it wrote.
pub fn run(cmd: CertCmd) -> anyhow::Result<()> {
    match cmd {
        CertCmd::Ca {
            out_dir,
            common_name,
            days,
            force,
        } => {
            let cert = out_dir.join("ca.pem");
            let key = out_dir.join("ca-key.pem");
            refuse_overwrite(&[&cert, &key], force)?;
            let pem = gen::new_ca(&common_name, days)?;
            write_public(&cert, &pem.cert)?;
            crate::config::write_private(&key, &pem.key)?;
            println!("{}\n{}", cert.display(), key.display());
        }
        CertCmd::Issue {
            ca,
            ca_key,
            names,
            usage,
            days,
            out,
            force,
        } => {
            let usage = match usage.as_str() {
                "server" => Usage::Server,
                "client" => Usage::Client,
                "peer" => Usage::Both,
                other => bail!("--usage {other:?} is not one of: server, client, peer"),
            };
            let names: Vec<String> = names
                .into_iter()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect();
            let cert = with_suffix(&out, ".pem");
            let key = with_suffix(&out, "-key.pem");
            refuse_overwrite(&[&cert, &key], force)?;
            let pem = gen::issue(
                &read(&ca, "CA certificate")?,
                &read(&ca_key, "CA key")?,
                &names,
                usage,
                days,
            )?;
            write_public(&cert, &pem.cert)?;
            crate::config::write_private(&key, &pem.key)?;
            println!("{}\n{}", cert.display(), key.display());
        }
    }
    Ok(())
}
