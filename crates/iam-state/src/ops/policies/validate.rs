//! Input rules of the policy operations, with AWS's `ValidationError` wording.

use iam_model::limits::{DESCRIPTION_LEN_MAX, PATH_LEN_MAX, POLICY_NAME_LEN_MAX, TAG_KEY_LEN_MAX};
use iam_model::limits::{GROUP_NAME_LEN_MAX, TAGS_PER_RESOURCE_MAX};
use iam_model::{IamError, IamResult};

use iam_model::names::check_name;

/// Managed and inline policy names: 1–128 characters of `[\w+=,.@-]`.
pub(super) fn policy_name(name: &str) -> IamResult<()> {
    check_name("policyName", name, POLICY_NAME_LEN_MAX)
}

/// The name of an existing user, group or role being looked up (AWS accepts up to 128
/// characters in lookups).
pub(super) fn entity_name(kind: crate::keys::EntityKind, name: &str) -> IamResult<()> {
    let field = match kind {
        crate::keys::EntityKind::User => "userName",
        crate::keys::EntityKind::Group => "groupName",
        crate::keys::EntityKind::Role => "roleName",
    };
    check_name(field, name, GROUP_NAME_LEN_MAX)
}

/// Managed policy paths: `((/[A-Za-z0-9\.,\+@=_-]+)*)/`, 1–512 characters.
pub(super) fn policy_path(path: &str) -> IamResult<()> {
    if path.is_empty() || path.len() > PATH_LEN_MAX {
        return Err(IamError::validation(
            "path",
            path,
            &format!("Member must have length between 1 and {PATH_LEN_MAX}"),
        ));
    }
    let segment_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '+' | '@' | '=' | '_' | '-');
    // "/" alone, or "/" + segments each followed by "/".
    let ok = path == "/"
        || path
            .strip_prefix('/')
            .and_then(|p| p.strip_suffix('/'))
            .is_some_and(|inner| {
                inner
                    .split('/')
                    .all(|s| !s.is_empty() && s.chars().all(segment_char))
            });
    if !ok {
        return Err(IamError::validation(
            "path",
            path,
            "Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/",
        ));
    }
    Ok(())
}

/// Policy descriptions: at most 1000 characters of U+0009, U+000A, U+000D, U+0020–U+007E,
/// U+00A1–U+00FF.
pub(super) fn description(text: &str) -> IamResult<()> {
    if text.chars().count() > DESCRIPTION_LEN_MAX {
        return Err(IamError::validation(
            "description",
            text,
            &format!("Member must have length less than or equal to {DESCRIPTION_LEN_MAX}"),
        ));
    }
    let ok = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
    if !text.chars().all(ok) {
        return Err(IamError::validation(
            "description",
            text,
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
        ));
    }
    Ok(())
}

/// Policy version ids: `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
pub(super) fn version_id(id: &str) -> IamResult<()> {
    let ok = id.strip_prefix('v').is_some_and(|rest| {
        let (num, suffix) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        num.starts_with(|c: char| ('1'..='9').contains(&c))
            && num.chars().all(|c| c.is_ascii_digit())
            && suffix.is_none_or(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    });
    if !ok {
        return Err(IamError::validation(
            "versionId",
            id,
            "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
        ));
    }
    Ok(())
}

/// `UntagPolicy` keys: at most 50, each 1–128 characters.
pub(super) fn tag_keys(keys: &[String]) -> IamResult<()> {
    if keys.len() > TAGS_PER_RESOURCE_MAX {
        return Err(IamError::validation(
            "tagKeys",
            &format!("{} keys", keys.len()),
            &format!("Member must have length less than or equal to {TAGS_PER_RESOURCE_MAX}"),
        ));
    }
    for k in keys {
        let len = k.chars().count();
        if len == 0 || len > TAG_KEY_LEN_MAX {
            return Err(IamError::validation(
                "tagKeys.member",
                k,
                "Member must have length between 1 and 128",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_policy_paths() {
        for ok in ["/", "/a/", "/a.b/c_d-e/", "/x+y@z=w,v/"] {
            assert!(policy_path(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/", "/a", "//", "/a//b/", "/a*/", "/é/", "/a b/"] {
            assert!(policy_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn version_ids() {
        for ok in ["v1", "v10", "v2.x-1", "v3."] {
            assert!(version_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "v", "v0", "1", "v1a", "V1", "v01", "vé"] {
            assert!(version_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions() {
        assert!(description("").is_ok());
        assert!(description(&"d".repeat(1000)).is_ok());
        assert!(description(&"d".repeat(1001)).is_err());
        assert!(description("\u{1}").is_err());
    }
}
