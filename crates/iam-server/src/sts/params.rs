//! The parameters STS actions share, read and checked as AWS does (its messages).

use super::{err, StsError, ASSUME_ROLE_MAX_S, CHAINED_MAX_S, SESSION_MIN_S, SESSION_POLICY_MAX};
use iam_aws::Params;
use iam_model::ErrorCode;
use iam_policy::{parse, PolicyKind};

/// A parameter the action requires (`MissingParameter` when absent).
pub(super) fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, StsError> {
    params.get(name).ok_or_else(|| {
        err(
            ErrorCode::MissingParameter,
            format!("The request must contain the parameter {name}"),
        )
    })
}

/// `RoleSessionName`: 2 to 64 characters of `[\w+=,.@-]`.
pub(super) fn session_name(params: &Params) -> Result<String, StsError> {
    let name = required(params, "RoleSessionName")?;
    if !valid_session_name(name) {
        return Err(err(ErrorCode::ValidationError,
            format!("1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*"),
        ));
    }
    Ok(name.to_owned())
}

pub(super) fn duration(params: &Params, default: u64, max: u64) -> Result<u64, StsError> {
    let Some(text) = params.get("DurationSeconds") else {
        return Ok(default.min(max));
    };
    let d: u64 = text.parse().map_err(|_| {
        err(ErrorCode::ValidationError,
            format!("Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"),
        )
    })?;
    if d < SESSION_MIN_S || d > max {
        return Err(err(ErrorCode::ValidationError,
            format!(
                "The requested DurationSeconds exceeds the allowed range: {d} is not between {SESSION_MIN_S} and {max} seconds."
            ),
        ));
    }
    Ok(d)
}

fn valid_session_name(n: &str) -> bool {
    (2..=64).contains(&n.len())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// `Name.member.N.Field` values for N = 1, 2, ...
pub(super) fn members(params: &Params, name: &str, field: &str) -> Vec<String> {
    (1..=50)
        .map_while(|i| {
            params
                .get(&format!("{name}.member.{i}.{field}"))
                .map(str::to_owned)
        })
        .collect()
}

/// `(account, role name)` of a role ARN (`arn:aws:iam::A:role/path/name`).
pub(super) fn role_arn_parts(role_arn: &str) -> Result<(String, String), StsError> {
    let invalid = || {
        err(
            ErrorCode::ValidationError,
            format!("{role_arn} is not a valid role ARN"),
        )
    };
    let mut parts = role_arn.splitn(6, ':');
    let (account, resource) = match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("arn"), Some(_), Some("iam"), Some(""), Some(a), Some(r)) => (a, r),
        _ => return Err(invalid()),
    };
    let name = resource
        .strip_prefix("role/")
        .and_then(|r| r.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .ok_or_else(invalid)?;
    Ok((account.to_owned(), name.to_owned()))
}

/// The session's `DurationSeconds` (default 1 hour): within AssumeRole's range, the role's
/// MaxSessionDuration and, for role chaining, 1 hour (AWS's messages for each).
pub(super) fn role_duration(
    params: &Params,
    role: &iam_model::Role,
    chained: bool,
) -> Result<u64, StsError> {
    let d = duration(params, 3600, ASSUME_ROLE_MAX_S)?;
    if chained && d > CHAINED_MAX_S {
        return Err(err(ErrorCode::ValidationError,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if d > u64::from(role.max_session_duration) {
        return Err(err(
            ErrorCode::ValidationError,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    Ok(d)
}

/// The request's session policy (`Policy`, checked) and managed session policy ARNs.
pub(super) fn session_policies(params: &Params) -> Result<(Option<String>, Vec<String>), StsError> {
    let policy = params.get("Policy").map(str::to_owned);
    if let Some(p) = &policy {
        if p.len() > SESSION_POLICY_MAX {
            return Err(err(
                ErrorCode::PackedPolicyTooLarge,
                "Packed size of the session policy exceeds the limit (2048 characters).",
            ));
        }
        // A session policy, which (unlike a managed policy) may omit the Version; the
        // caller gets AWS's exact text.
        parse(p, PolicyKind::Session)
            .map_err(|e| err(ErrorCode::MalformedPolicyDocument, e.aws_message()))?;
    }
    Ok((policy, members(params, "PolicyArns", "arn")))
}
