//! AWS's checks of Resource and NotResource values, in AWS's order: a value is `*` or has
//! a colon; its second field is a known partition; it has a third (service) field without
//! wildcards; IAM ARNs have no region and a known resource type; S3 ARNs without an account
//! have no region. The first such error is recorded and reported only after the Sid and
//! "must contain actions" checks; without one, the statement's values go through AWS's legacy
//! parser (at least five colons or no `::`, and a non-empty service), which fails at once.

use crate::error::PolicyError;
use crate::syntax::RawStatement;

/// The partitions AWS accepts in a resource ARN.
pub(crate) const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The resource types an IAM resource ARN may start with.
const IAM_TYPES: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// Scans every statement's resources. Returns the first format error (to report later), or
/// fails at once with the legacy error of a statement checked before any format error.
pub(crate) fn scan(statements: &[RawStatement<'_>]) -> Result<Option<PolicyError>, PolicyError> {
    let mut first: Option<PolicyError> = None;
    for st in statements {
        let Some((values, _)) = &st.resource else {
            continue;
        };
        let loc = st.loc().with_element(st.resource_element());
        if first.is_none() {
            first = values
                .iter()
                .find_map(|r| format_error(r))
                .map(|m| PolicyError::malformed(&m, "", loc.clone()));
        }
        if first.is_none() {
            if let Some(bad) = values.iter().find(|r| !legacy_ok(r)) {
                return Err(PolicyError::legacy(
                    &format!("(resource \"{bad}\" has too few ARN fields or an empty service)"),
                    loc,
                ));
            }
        }
    }
    Ok(first)
}

/// AWS's message for a resource value in the wrong format, if it is.
pub(crate) fn format_error(resource: &str) -> Option<String> {
    if resource == "*" {
        return None;
    }
    let Some((_, rest)) = resource.split_once(':') else {
        return Some(format!(
            "Resource {resource} must be in ARN format or \"*\"."
        ));
    };
    let (partition, after) = match rest.split_once(':') {
        Some((p, a)) => (p, Some(a)),
        None => (rest, None),
    };
    if !PARTITIONS.contains(&partition) {
        return Some(format!(
            "Partition \"{partition}\" is not valid for resource \"{}\".",
            normalized(partition, after.unwrap_or(""))
        ));
    }
    let Some(after) = after else {
        return Some(VENDOR_REGEX.to_owned());
    };
    let mut fields = after.splitn(4, ':');
    let service = fields.next().unwrap_or("");
    if service.contains(['*', '?']) {
        return Some(VENDOR_REGEX.to_owned());
    }
    let region = fields.next().unwrap_or("");
    let account = fields.next().unwrap_or("");
    let path = fields.next().unwrap_or("");
    match service {
        "iam" if !region.is_empty() => Some(format!(
            "IAM resource {resource} cannot contain region information."
        )),
        "iam" if path != "*" && !IAM_TYPES.iter().any(|t| path.starts_with(t)) => {
            Some(IAM_PATH.to_owned())
        }
        "s3" if !region.is_empty() && account.is_empty() => Some(format!(
            "Resource {resource} can not contain region information."
        )),
        _ => None,
    }
}

/// AWS's six-field rendering of a resource with a bad partition: `arn`, the partition, then
/// the next three fields and the rest, `*` for each one missing.
fn normalized(partition: &str, after: &str) -> String {
    let mut fields = ["*"; 4];
    if !after.is_empty() {
        for (i, f) in after.splitn(4, ':').enumerate() {
            fields[i] = f;
        }
    }
    format!("arn:{partition}:{}", fields.join(":"))
}

/// AWS's legacy test of a resource: `*`, or at least five colons or no `::`, and a
/// non-empty third field.
pub(crate) fn legacy_ok(resource: &str) -> bool {
    resource == "*"
        || (resource.matches(':').count() >= 5 || !resource.contains("::"))
            && resource.split(':').nth(2).is_some_and(|s| !s.is_empty())
}

const VENDOR_REGEX: &str = "Resource vendor must be fully qualified and cannot contain regexes.";
const IAM_PATH: &str = "IAM resource path must either be \"*\" or start with user/, \
     federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, \
     sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";

/// One value's format check, then its legacy check.
#[cfg(test)]
fn check_one(resource: &str) -> Result<(), String> {
    if let Some(m) = format_error(resource) {
        return Err(m);
    }
    if legacy_ok(resource) {
        Ok(())
    } else {
        Err(crate::error::LEGACY.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(check_one("*"), Ok(()));
        assert_eq!(check_one("arn:aws:s3:::b/*"), Ok(()));
        assert_eq!(check_one("arn:aws:fdsasf"), Ok(()));
        assert_eq!(
            check_one("arn:aws:s3:us-west-2:123456789012:accesspoint/x"),
            Ok(())
        );
        assert_eq!(
            check_one("a:b:cadfsdf").err().as_deref(),
            Some("Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\".")
        );
        assert_eq!(
            check_one("a:bsdfdsafsad").err().as_deref(),
            Some(
                "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\"."
            )
        );
        assert_eq!(
            check_one("aws:s3:::example_bucket").err().as_deref(),
            Some("Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\".")
        );
        assert_eq!(
            check_one("a:b:c:d:e:f:g:h").err().as_deref(),
            Some("Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\".")
        );
        assert_eq!(check_one("arn:aws").err().as_deref(), Some(VENDOR_REGEX));
        assert_eq!(
            check_one("arn:aws:s*:::b").err().as_deref(),
            Some(VENDOR_REGEX)
        );
        assert_eq!(
            check_one("arn:aws:s3::b").err().as_deref(),
            Some(crate::error::LEGACY)
        );
        assert_eq!(
            check_one("arn:aws::::b").err().as_deref(),
            Some(crate::error::LEGACY)
        );
        assert_eq!(
            check_one("arn:aws:iam::1:root").err().as_deref(),
            Some(IAM_PATH)
        );
        assert_eq!(check_one("arn:aws:iam::*:*"), Ok(()));
    }
}
