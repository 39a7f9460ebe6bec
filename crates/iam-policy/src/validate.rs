//! AWS's rules that are not about JSON shape: the character set, the size limits per policy
//! kind (whitespace not counted), and the formats of Sids and actions (resources are in
//! `resource_arn`).

use crate::error::{Location, PolicyError};
use crate::policy::{PolicyKind, POLICY_DOCUMENT_LENGTH_MAX};

/// Characters of a policy document, whitespace not counted — the measure AWS's size limits
/// use.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !is_policy_whitespace(*c)).count()
}

fn is_policy_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// True for the characters AWS accepts in a policy: U+0009, U+000A, U+000D, U+0020–U+00FF.
pub(crate) fn allowed_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{ff}')
}

/// Checks the raw text: transport length, character set, then the kind's size limit.
/// Returns the size.
pub(crate) fn check_text(
    text: &str,
    kind: PolicyKind,
    enforce_size: bool,
) -> Result<usize, PolicyError> {
    let length = text.chars().count();
    if enforce_size && length > POLICY_DOCUMENT_LENGTH_MAX {
        return Err(PolicyError::limit(
            &format!("Cannot exceed quota for PolicyDocumentLength: {POLICY_DOCUMENT_LENGTH_MAX}."),
            &format!("the document has {length} characters"),
        ));
    }
    if let Some((i, c)) = text.chars().enumerate().find(|(_, c)| !allowed_char(*c)) {
        return Err(PolicyError::syntax(
            &format!(
                "character U+{:04X} at position {i} is not allowed; policies may only contain \
                 U+0009, U+000A, U+000D and U+0020-U+00FF",
                u32::from(c)
            ),
            Location::default(),
        ));
    }
    let size = policy_size(text);
    if enforce_size && size > kind.size_max() {
        return Err(size_error(kind, size));
    }
    Ok(size)
}

fn size_error(kind: PolicyKind, size: usize) -> PolicyError {
    let max = kind.size_max();
    let base = match kind {
        PolicyKind::Managed | PolicyKind::Boundary => {
            format!("Cannot exceed quota for PolicySize: {max}")
        }
        PolicyKind::Trust => format!("Cannot exceed quota for ACLSizePerRole: {max}"),
        PolicyKind::UserInline => format!("Maximum policy size of {max} bytes exceeded for user"),
        PolicyKind::GroupInline => format!("Maximum policy size of {max} bytes exceeded for group"),
        PolicyKind::RoleInline => format!("Maximum policy size of {max} bytes exceeded for role"),
        PolicyKind::Session => {
            format!("Maximum policy size of {max} bytes exceeded for session policy")
        }
        PolicyKind::Resource => format!("Cannot exceed quota for PolicySize: {max}"),
    };
    PolicyError::limit(
        &base,
        &format!("(the document has {size} characters without whitespace)"),
    )
}

/// Sids that IAM stores: ASCII letters and digits only.
pub(crate) fn check_sid(sid: &str, kind: PolicyKind, loc: &Location) -> Result<(), PolicyError> {
    if kind.iam_sids() && !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(PolicyError::malformed(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the \
             regular expression [0-9A-Za-z]*",
            "",
            loc.clone().with_element("Sid"),
        ));
    }
    Ok(())
}

/// AWS's wording for an action without a service prefix.
pub(crate) const VENDOR: &str =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

/// AWS's action format, checked in AWS's order: `*`, or `vendor:name` with exactly one colon
/// (the name may hold spaces); the vendor is letters, digits, `-`, `.` and wildcards. iamd
/// also refuses an empty vendor or name (with AWS's "prefaced by a vendor" wording).
pub(crate) fn check_action(
    action: &str,
    element: &'static str,
    loc: &Location,
) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    let loc = || loc.clone().with_element(element);
    let detail = format!("(action \"{action}\")");
    let Some((vendor, name)) = action.split_once(':') else {
        return Err(PolicyError::malformed(VENDOR, &detail, loc()));
    };
    if name.contains(':') {
        return Err(PolicyError::malformed(
            "Actions/Condition can contain only one colon.",
            &detail,
            loc(),
        ));
    }
    if !vendor
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'*' | b'?'))
    {
        return Err(PolicyError::malformed(
            &format!("Vendor {vendor} is not valid"),
            &detail,
            loc(),
        ));
    }
    if vendor.is_empty() || name.is_empty() {
        return Err(PolicyError::malformed(VENDOR, &detail, loc()));
    }
    Ok(())
}

/// The actions a trust policy may name.
pub(crate) fn is_trust_action(action: &str) -> bool {
    action == "*"
        || action
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("sts:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_ignores_whitespace_everywhere() {
        assert_eq!(policy_size("{ \"a b\" :\n\t1 }\r"), 8);
    }

    #[test]
    fn character_set_is_enforced() {
        assert!(check_text("{\"é\":1}", PolicyKind::Managed, true).is_ok());
        let err = check_text("{\"\u{4e00}\":1}", PolicyKind::Managed, true).err();
        assert_eq!(err.map(|e| e.code()), Some("MalformedPolicyDocument"));
        assert!(check_text("\u{1}", PolicyKind::Managed, true).is_err());
    }

    #[test]
    fn size_limits_per_kind_are_limit_exceeded() {
        let text = format!("\"{}\"", "a".repeat(2047));
        assert_eq!(policy_size(&text), 2049);
        let err = check_text(&text, PolicyKind::UserInline, true).err();
        assert_eq!(err.as_ref().map(|e| e.code()), Some("LimitExceeded"));
        assert!(check_text(&text, PolicyKind::GroupInline, true).is_ok());
        assert!(check_text(&text, PolicyKind::UserInline, false).is_ok());
        let spaced = format!("\"{}\"", "a ".repeat(2000));
        assert!(check_text(&spaced, PolicyKind::UserInline, true).is_ok());
    }

    #[test]
    fn action_formats() {
        let loc = Location::default();
        let check =
            |a: &str| check_action(a, "Action", &loc).map_err(|e| e.aws_message().to_owned());
        assert!(check("s3:GetObject").is_ok());
        assert!(check("*").is_ok());
        assert!(check("s3*:Get*").is_ok());
        assert!(check("iam: asdf safdsf af ").is_ok());
        assert!(check("s3.s:ListBucket").is_ok());
        assert_eq!(check("GetObject").err().as_deref(), Some(VENDOR));
        assert_eq!(check("s3:").err().as_deref(), Some(VENDOR));
        assert_eq!(check(":x").err().as_deref(), Some(VENDOR));
        assert_eq!(
            check("s3:List:Bucket").err().as_deref(),
            Some("Actions/Condition can contain only one colon.")
        );
        assert_eq!(
            check("a a:ListBucket").err().as_deref(),
            Some("Vendor a a is not valid")
        );
        assert!(is_trust_action("STS:AssumeRole"));
        assert!(!is_trust_action("abcé:x"));
        assert!(!is_trust_action("sts"));
    }
}
