//! iamctl profiles: a TOML file with `endpoints`, `account`, `output` and
//! `credentials_file` (an AWS credentials file; relative paths are relative to the profile).

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
}

pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Profile> {
    let Some(path) = path else {
        return Ok(Profile::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read profile {}", path.display()))?;
    let mut p: Profile =
        toml::from_str(&text).with_context(|| format!("profile {} is invalid", path.display()))?;
    if let (Some(f), Some(dir)) = (&p.credentials_file, path.parent()) {
        if f.is_relative() {
            p.credentials_file = Some(dir.join(f));
        }
    }
    Ok(p)
}
