//! Finding credentials the way the AWS CLI does: `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`; then the profile `AWS_PROFILE` (or
//! `default`) of `AWS_SHARED_CREDENTIALS_FILE` (or `~/.aws/credentials`); then the
//! credentials file named by iamctl's own profile (`credentials_file`, as `iamd dev` writes).

use anyhow::{bail, Context};
use iam_client::Credentials;
use std::path::{Path, PathBuf};

/// Where the credentials came from (shown by `iamctl whoami`-style errors).
pub(crate) fn discover(profile_file: Option<&Path>) -> anyhow::Result<Option<Credentials>> {
    discover_from(&|k| std::env::var(k).ok(), profile_file)
}

fn discover_from(
    env: &dyn Fn(&str) -> Option<String>,
    profile_file: Option<&Path>,
) -> anyhow::Result<Option<Credentials>> {
    let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    match (
        non_empty("AWS_ACCESS_KEY_ID"),
        non_empty("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(id), Some(secret)) => {
            return Ok(Some(Credentials {
                access_key_id: id.trim().to_owned(),
                secret_access_key: secret.trim().to_owned(),
                session_token: non_empty("AWS_SESSION_TOKEN").map(|t| t.trim().to_owned()),
            }))
        }
        (Some(_), None) => bail!("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
        (None, Some(_)) => bail!("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"),
        (None, None) => {}
    }
    let profile = non_empty("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
    let shared = non_empty("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| Path::new(&h).join(".aws/credentials")));
    if let Some(path) = shared.filter(|p| p.exists()) {
        if let Some(c) = read_file(&path, &profile)? {
            return Ok(Some(c));
        }
        if env("AWS_PROFILE").is_some() && profile_file.is_none() {
            bail!("profile {profile:?} is not in {}", path.display());
        }
    }
    if let Some(path) = profile_file {
        return read_file(path, "default")?
            .map(Some)
            .with_context(|| format!("no [default] credentials in {}", path.display()));
    }
    Ok(None)
}

/// The `[profile]` section of an AWS credentials file.
pub(crate) fn read_file(path: &Path, profile: &str) -> anyhow::Result<Option<Credentials>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read credentials file {}", path.display()))?;
    Ok(Credentials::from_file_text(&text, profile))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const FILE: &str = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n\n[ops]\naws_access_key_id=AKIAOPS\naws_secret_access_key=s2\naws_session_token = tok\n";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn environment_first_then_named_profile_then_iamctl_profile() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("credentials");
        std::fs::write(&f, FILE).unwrap();
        let fs = f.display().to_string();
        let c = discover_from(
            &env(&[
                ("AWS_ACCESS_KEY_ID", "AKIAENV"),
                ("AWS_SECRET_ACCESS_KEY", "e"),
                ("AWS_SHARED_CREDENTIALS_FILE", &fs),
            ]),
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.access_key_id, "AKIAENV");
        let c = discover_from(
            &env(&[("AWS_PROFILE", "ops"), ("AWS_SHARED_CREDENTIALS_FILE", &fs)]),
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.session_token.as_deref()),
            ("AKIAOPS", Some("tok"))
        );
        let c = discover_from(&env(&[("AWS_SHARED_CREDENTIALS_FILE", &fs)]), None)
            .unwrap()
            .unwrap();
        assert_eq!(c.access_key_id, "AKIADEFAULT");
        assert!(discover_from(
            &env(&[
                ("AWS_PROFILE", "nope"),
                ("AWS_SHARED_CREDENTIALS_FILE", &fs)
            ]),
            None
        )
        .is_err());
        // No shared file: iamctl's own profile's credentials file.
        let c = discover_from(&env(&[("HOME", "/nonexistent")]), Some(&f))
            .unwrap()
            .unwrap();
        assert_eq!(c.access_key_id, "AKIADEFAULT");
        assert!(discover_from(&env(&[("HOME", "/nonexistent")]), None)
            .unwrap()
            .is_none());
        assert!(discover_from(&env(&[("AWS_ACCESS_KEY_ID", "AKIA")]), None).is_err());
    }
}
