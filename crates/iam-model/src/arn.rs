//! ARN formats for IAM entities (`arn:aws:iam::ACCT:user/<path-without-leading-slash><name>`).

/// `arn:aws:iam::ACCT:root`
pub fn root_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// An IAM entity ARN: `kind` is `user`, `group`, `role`, `policy`, `instance-profile`, `mfa`.
pub fn entity_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// `arn:aws:iam::ACCT:user/path/name`
pub fn user_arn(account: &str, path: &str, name: &str) -> String {
    entity_arn(account, "user", path, name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn arns_include_path() {
        assert_eq!(
            super::user_arn("123456789012", "/", "bob"),
            "arn:aws:iam::123456789012:user/bob"
        );
        assert_eq!(
            super::user_arn("123456789012", "/division_abc/", "JaneDoe"),
            "arn:aws:iam::123456789012:user/division_abc/JaneDoe"
        );
        assert_eq!(
            super::root_arn("123456789012"),
            "arn:aws:iam::123456789012:root"
        );
    }
}
