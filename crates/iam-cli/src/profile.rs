//! iamctl profiles: a TOML file with `endpoints`, `account`, `output`, `credentials_file`
//! (an AWS credentials file) and `ca_bundle` (the CA certificates of https endpoints);
//! relative paths are relative to the profile.

use anyhow::Context;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    #[serde(default)]
    pub endpoints: Vec<String>,
    pub account: Option<String>,
    pub output: Option<String>,
    pub credentials_file: Option<std::path::PathBuf>,
    pub ca_bundle: Option<std::path::PathBuf>,
}

pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Profile> {
    let Some(path) = path else {
        return Ok(Profile::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read profile {}", path.display()))?;
    let mut p: Profile =
        toml::from_str(&text).with_context(|| format!("profile {} is invalid", path.display()))?;
    if let Some(dir) = path.parent() {
        for f in [&mut p.credentials_file, &mut p.ca_bundle]
            .into_iter()
            .flatten()
        {
            if f.is_relative() {
                *f = dir.join(&*f);
            }
        }
    }
    Ok(p)
}
