//! AWS's rules for entity names, paths and tags, with AWS's `ValidationError` wording.
//!
//! Names are unique per account case-insensitively but stored as given: [`name_key`] is the
//! form used for uniqueness and lookup.

use crate::error::{IamError, IamResult};
use crate::limits::*;

const NAME_PATTERN: &str = "Member must satisfy regular expression pattern: [\\w+=,.@-]+";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

/// A name of 1–`len_max` characters of `[\w+=,.@-]` (AWS's rule for every entity name),
/// reported as `field`.
pub fn check_name(field: &str, value: &str, len_max: usize) -> IamResult<()> {
    let len = value.chars().count();
    if len == 0 || len > len_max {
        return Err(IamError::validation(
            field,
            value,
            &format!("Member must have length between 1 and {len_max}"),
        ));
    }
    if !value.chars().all(is_name_char) {
        return Err(IamError::validation(field, value, NAME_PATTERN));
    }
    Ok(())
}

/// User names: 1–64 characters of `[\w+=,.@-]`.
pub fn validate_user_name(name: &str) -> IamResult<()> {
    check_name("userName", name, USER_NAME_LEN_MAX)
}

/// Role names: 1–64 characters of `[\w+=,.@-]`.
pub fn validate_role_name(name: &str) -> IamResult<()> {
    check_name("roleName", name, USER_NAME_LEN_MAX)
}

/// Group names: 1–128 characters of `[\w+=,.@-]`.
pub fn validate_group_name(name: &str) -> IamResult<()> {
    check_name("groupName", name, GROUP_NAME_LEN_MAX)
}

/// Paths: `/` or `/a/b/`, 1–512 characters in U+0021–U+007E.
pub fn validate_path(field: &str, path: &str) -> IamResult<()> {
    let ok_chars = path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if path.is_empty() || path.len() > PATH_LEN_MAX {
        return Err(IamError::validation(
            field,
            path,
            &format!("Member must have length between 1 and {PATH_LEN_MAX}"),
        ));
    }
    if !ok_chars || !path.starts_with('/') || !path.ends_with('/') || path.contains("//") {
        return Err(IamError::validation(
            field,
            path,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(())
}

/// Path prefixes for list calls: start with `/`, characters U+0021–U+007F.
pub fn validate_path_prefix(prefix: &str) -> IamResult<()> {
    if prefix.is_empty()
        || prefix.len() > PATH_LEN_MAX
        || !prefix.starts_with('/')
        || !prefix.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c))
    {
        return Err(IamError::validation(
            "pathPrefix",
            prefix,
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        ));
    }
    Ok(())
}

/// Tag keys and values, and the count per resource.
pub fn validate_tags(tags: &[crate::Tag]) -> IamResult<()> {
    if tags.len() > TAGS_PER_RESOURCE_MAX {
        return Err(IamError::quota(
            "TagsPerResource",
            TAGS_PER_RESOURCE_MAX as u64,
        ));
    }
    let tag_char = |c: char| {
        c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    };
    let mut seen: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let klen = tag.key.chars().count();
        if klen == 0 || klen > TAG_KEY_LEN_MAX || !tag.key.chars().all(tag_char) {
            return Err(IamError::validation(
                "tags.member.key",
                &tag.key,
                "Member must have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            ));
        }
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(IamError::new(
                crate::ErrorCode::InvalidInput,
                format!("tag key '{}' uses the reserved prefix 'aws:'", tag.key),
            ));
        }
        if tag.value.chars().count() > TAG_VALUE_LEN_MAX || !tag.value.chars().all(tag_char) {
            return Err(IamError::validation(
                "tags.member.value",
                &tag.value,
                "Member must have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            ));
        }
        let lower = tag.key.to_lowercase();
        if seen.contains(&lower) {
            return Err(IamError::new(
                crate::ErrorCode::InvalidInput,
                format!(
                    "duplicate tag key '{}' (tag keys are case-insensitive)",
                    tag.key
                ),
            ));
        }
        seen.push(lower);
    }
    Ok(())
}

/// Root identity email: a plausible address, at most 254 characters.
pub fn validate_email(email: &str) -> IamResult<()> {
    let ok = email.len() <= EMAIL_LEN_MAX
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(IamError::validation(
            "email",
            email,
            "Member must be an email address like ops@example.com",
        ))
    }
}

/// Account display names: 1–50 printable characters.
pub fn validate_account_name(name: &str) -> IamResult<()> {
    let len = name.chars().count();
    if len == 0 || len > ACCOUNT_NAME_LEN_MAX || name.chars().any(char::is_control) {
        return Err(IamError::validation(
            "accountName",
            name,
            "Member must have length between 1 and 50 printable characters",
        ));
    }
    Ok(())
}

/// The key under which a name is unique: ASCII-lowercased (IAM names are ASCII).
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tag;

    #[test]
    fn user_names_follow_aws_rules() {
        assert!(validate_user_name("alice").is_ok());
        assert!(validate_user_name("a.b+c=d,e@f-g_h").is_ok());
        assert!(validate_user_name(&"x".repeat(64)).is_ok());
        assert!(validate_user_name(&"x".repeat(65)).is_err());
        assert!(validate_user_name("").is_err());
        let err = validate_user_name("bad name").unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::ValidationError);
        assert!(err.message.contains("'bad name'"), "{}", err.message);
        assert!(validate_user_name("é").is_err());
    }

    #[test]
    fn paths_follow_aws_rules() {
        assert!(validate_path("path", "/").is_ok());
        assert!(validate_path("path", "/division_abc/sub/").is_ok());
        assert!(validate_path("path", "division/").is_err());
        assert!(validate_path("path", "/division").is_err());
        assert!(validate_path("path", "/a b/").is_err());
        assert!(validate_path("path", "//").is_err());
    }

    #[test]
    fn tags_are_checked() {
        let t = |k: &str, v: &str| Tag {
            key: k.into(),
            value: v.into(),
        };
        assert!(validate_tags(&[t("team", "core"), t("cost center", "")]).is_ok());
        assert!(validate_tags(&[t("aws:x", "1")]).is_err());
        assert!(validate_tags(&[t("Team", "a"), t("team", "b")]).is_err());
        assert!(validate_tags(&[t("", "a")]).is_err());
        let many: Vec<Tag> = (0..51).map(|i| t(&format!("k{i}"), "v")).collect();
        assert_eq!(
            validate_tags(&many).unwrap_err().code,
            crate::ErrorCode::LimitExceeded
        );
    }
}
