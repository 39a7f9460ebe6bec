//! What AWS checks of an OpenID Connect provider's URL, client ids, thumbprints and ARN, with
//! its codes and wording: the model's length constraints first (one `ValidationError`
//! naming every violation), then the URL's form, then the list sizes.

use iam_model::limits::{CLIENT_IDS_PER_OIDC_PROVIDER_MAX, THUMBPRINTS_PER_OIDC_PROVIDER_MAX};
use iam_model::{ErrorCode, IamError, IamResult, Violations};

/// Longest provider URL (`https://` included).
pub const URL_LEN_MAX: usize = 255;
/// Longest client id.
pub const CLIENT_ID_LEN_MAX: usize = 255;
/// A thumbprint's length: the hex of a SHA-1 digest.
pub const THUMBPRINT_LEN: usize = 40;
/// ARN lengths AWS accepts (`arnType`).
const ARN_LEN: std::ops::RangeInclusive<usize> = 20..=2048;

const CLIENT_ID_LENGTHS: &str = "Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]";
const THUMBPRINT_LENGTHS: &str = "Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]";

fn len(s: &str) -> usize {
    s.chars().count()
}

/// The model's constraints on `CreateOpenIDConnectProvider`'s parameters, every violation
/// in one `ValidationError` (AWS's order: client ids, thumbprints, URL).
pub(super) fn create_lengths(
    url: &str,
    client_ids: &[String],
    thumbprints: &[String],
) -> IamResult<()> {
    let mut v = Violations::default();
    if client_ids
        .iter()
        .any(|c| !(1..=CLIENT_ID_LEN_MAX).contains(&len(c)))
    {
        v.add_unquoted("clientIDList", CLIENT_ID_LENGTHS);
    }
    thumbprint_lengths(&mut v, thumbprints);
    match len(url) {
        0 => v.add_unquoted("url", "Member must have length greater than or equal to 1"),
        n if n > URL_LEN_MAX => {
            v.add_unquoted("url", "Member must have length less than or equal to 255")
        }
        _ => {}
    }
    v.check()
}

fn thumbprint_lengths(v: &mut Violations, thumbprints: &[String]) {
    if thumbprints.iter().any(|t| len(t) != THUMBPRINT_LEN) {
        v.add_unquoted("thumbprintList", THUMBPRINT_LENGTHS);
    }
}

/// A thumbprint list as `UpdateOpenIDConnectProviderThumbprint` and
/// `CreateOpenIDConnectProvider` take it: at most 5, each the 40 hex digits of a SHA-1
/// digest (either case). Returns them lowercased, duplicates dropped.
pub(super) fn thumbprints(thumbprints: &[String]) -> IamResult<Vec<String>> {
    let mut v = Violations::default();
    thumbprint_lengths(&mut v, thumbprints);
    v.check()?;
    if thumbprints.len() > THUMBPRINTS_PER_OIDC_PROVIDER_MAX {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "Thumbprint list must contain fewer than 5 entries.",
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(thumbprints.len());
    for t in thumbprints {
        if !t.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(IamError::new(
                ErrorCode::InvalidInput,
                format!(
                    "Thumbprint {t} is not valid: a thumbprint is the hex-encoded SHA-1 hash of a certificate (40 hexadecimal digits)."
                ),
            ));
        }
        let t = t.to_ascii_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// A client id list as `CreateOpenIDConnectProvider` takes it (lengths already checked):
/// at most 100 distinct ids; duplicates dropped (adding a present id is a no-op too).
pub(super) fn client_ids(client_ids: &[String]) -> IamResult<Vec<String>> {
    // A set, not a search of the list: a request may carry many thousands of ids.
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for c in client_ids {
        if seen.insert(c.as_str()) {
            out.push(c.clone());
        }
        if out.len() > CLIENT_IDS_PER_OIDC_PROVIDER_MAX {
            return Err(too_many_client_ids());
        }
    }
    Ok(out)
}

pub(super) fn too_many_client_ids() -> IamError {
    IamError::quota(
        "ClientIdsPerOpenIdConnectProvider",
        CLIENT_IDS_PER_OIDC_PROVIDER_MAX as u64,
    )
}

/// One `ClientID` (`AddClientIDToOpenIDConnectProvider`, `Remove…`): 1–255 characters.
pub(super) fn client_id(client_id: &str) -> IamResult<()> {
    let constraint = match len(client_id) {
        0 => "Member must have length greater than or equal to 1",
        n if n > CLIENT_ID_LEN_MAX => "Member must have length less than or equal to 255",
        _ => return Ok(()),
    };
    Err(IamError::validation("clientID", client_id, constraint))
}

fn invalid_url() -> IamError {
    IamError::new(
        ErrorCode::InvalidInput,
        "Invalid Open ID Connect Provider URL.",
    )
}

/// The provider's URL without `https://` (what `GetOpenIDConnectProvider` returns and the
/// ARN ends with), if `url` is one AWS accepts: `https://`, a host name (letters, digits,
/// `.` and `-`) and optionally a path; no user, port, query or fragment.
pub(super) fn url(url: &str) -> IamResult<&str> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(if url.contains("://") {
            IamError::new(
                ErrorCode::InvalidInput,
                "Invalid Open ID Connect Provider URL. The URL must begin with https://.",
            )
        } else {
            IamError::new(
                ErrorCode::ValidationError,
                "Invalid Open ID Connect Provider URL",
            )
        });
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(IamError::new(
            ErrorCode::ValidationError,
            "Invalid Open ID Connect Provider URL",
        ));
    }
    let host_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        && !host.starts_with(['.', '-'])
        && !host.ends_with('-');
    let path_ok = rest[host.len()..]
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '?' | '#'));
    if !host_ok || !path_ok {
        return Err(invalid_url());
    }
    Ok(rest)
}

/// The URL part of a provider ARN of `account` (`arn:aws:iam::ACCT:oidc-provider/<url>`).
/// A malformed ARN is `InvalidInput`, too short or too long a `ValidationError`; an ARN of
/// another account is `Ok(None)` (no provider of this account has it).
pub(super) fn arn<'a>(account: &str, arn: &'a str) -> IamResult<Option<&'a str>> {
    if !ARN_LEN.contains(&len(arn)) {
        let constraint = if len(arn) < *ARN_LEN.start() {
            "Member must have length greater than or equal to 20"
        } else {
            "Member must have length less than or equal to 2048"
        };
        return Err(IamError::validation(
            "openIDConnectProviderArn",
            arn,
            constraint,
        ));
    }
    let invalid = || IamError::new(ErrorCode::InvalidInput, format!("ARN {arn} is not valid."));
    let (acct, url) = split_arn(arn).ok_or_else(invalid)?;
    Ok((acct == account).then_some(url))
}

/// `(account, url without scheme)` of a well-formed provider ARN.
pub(super) fn split_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (acct, resource) = rest.split_once(':')?;
    let url = resource.strip_prefix("oidc-provider/")?;
    let is_account =
        acct.len() == iam_model::limits::ACCOUNT_ID_LEN && acct.chars().all(|c| c.is_ascii_digit());
    (is_account && !url.is_empty()).then_some((acct, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: IamResult<impl std::fmt::Debug>) -> (ErrorCode, String) {
        let e = r.unwrap_err();
        (e.code, e.message)
    }

    #[test]
    fn urls_are_https_hosts_with_an_optional_path() {
        assert_eq!(url("https://example.com").unwrap(), "example.com");
        assert_eq!(
            url("https://oidc.eks.us-east-1.amazonaws.com/id/ABC123").unwrap(),
            "oidc.eks.us-east-1.amazonaws.com/id/ABC123"
        );
        assert_eq!(url("https://example.com/").unwrap(), "example.com/");
        assert_eq!(
            code(url("example.com")),
            (
                ErrorCode::ValidationError,
                "Invalid Open ID Connect Provider URL".to_owned()
            )
        );
        assert_eq!(code(url("https://")).0, ErrorCode::ValidationError);
        assert_eq!(
            code(url("http://example.com")),
            (
                ErrorCode::InvalidInput,
                "Invalid Open ID Connect Provider URL. The URL must begin with https://."
                    .to_owned()
            )
        );
        for bad in [
            "https://example.com:8443",
            "https://user@example.com",
            "https://example.com?a=1",
            "https://example.com/x#frag",
            "https://exa_mple.com",
            "https://example.com/a b",
        ] {
            assert_eq!(
                code(url(bad)),
                (
                    ErrorCode::InvalidInput,
                    "Invalid Open ID Connect Provider URL.".to_owned()
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn lengths_are_reported_together() {
        let (c, m) = code(create_lengths(
            &"b".repeat(256),
            &["b".repeat(256)],
            &["b".repeat(41)],
        ));
        assert_eq!(c, ErrorCode::ValidationError);
        assert_eq!(
            m,
            "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: \
             Member must satisfy constraint: [Member must have length less than or equal to 255, \
             Member must have length greater than or equal to 1]; Value at 'thumbprintList' \
             failed to satisfy constraint: Member must satisfy constraint: [Member must have \
             length less than or equal to 40, Member must have length greater than or equal to \
             40]; Value at 'url' failed to satisfy constraint: Member must have length less than \
             or equal to 255"
        );
        create_lengths("https://a.example", &["c".into()], &["a".repeat(40)]).unwrap();
        assert_eq!(
            code(create_lengths("", &[], &[])).1,
            "1 validation error detected: Value at 'url' failed to satisfy constraint: Member \
             must have length greater than or equal to 1"
        );
    }

    #[test]
    fn thumbprints_are_at_most_five_sha1_hex_digests() {
        let t = |c: char| c.to_string().repeat(40);
        assert_eq!(
            thumbprints(&[t('A'), t('a'), t('1')]).unwrap(),
            vec![t('a'), t('1')]
        );
        let five: Vec<String> = "12345".chars().map(t).collect();
        assert_eq!(thumbprints(&five).unwrap().len(), 5);
        let six: Vec<String> = "123456".chars().map(t).collect();
        assert_eq!(
            code(thumbprints(&six)),
            (
                ErrorCode::InvalidInput,
                "Thumbprint list must contain fewer than 5 entries.".to_owned()
            )
        );
        assert_eq!(code(thumbprints(&[t('z')])).0, ErrorCode::InvalidInput);
        assert_eq!(
            code(thumbprints(&["ab".into()])).0,
            ErrorCode::ValidationError
        );
        assert!(thumbprints(&[]).unwrap().is_empty());
    }

    #[test]
    fn client_ids_are_at_most_one_hundred() {
        let ids: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        assert_eq!(client_ids(&ids).unwrap().len(), 100);
        let mut more = ids.clone();
        more.push("0".into());
        assert_eq!(client_ids(&more).unwrap().len(), 100);
        more.push("100".into());
        assert_eq!(
            code(client_ids(&more)),
            (
                ErrorCode::LimitExceeded,
                "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100".to_owned()
            )
        );
        client_id("x").unwrap();
        assert_eq!(code(client_id("")).0, ErrorCode::ValidationError);
        assert_eq!(
            code(client_id(&"c".repeat(256))).0,
            ErrorCode::ValidationError
        );
    }

    #[test]
    fn arns_name_a_provider_of_an_account() {
        let a = "123456789012";
        assert_eq!(
            arn(a, "arn:aws:iam::123456789012:oidc-provider/example.com/x").unwrap(),
            Some("example.com/x")
        );
        assert_eq!(
            arn(a, "arn:aws:iam::210987654321:oidc-provider/example.com").unwrap(),
            None
        );
        assert_eq!(
            code(arn(a, "arn:aws:iam::123456789012:user/bob")),
            (
                ErrorCode::InvalidInput,
                "ARN arn:aws:iam::123456789012:user/bob is not valid.".to_owned()
            )
        );
        assert_eq!(code(arn(a, "arn:short")).0, ErrorCode::ValidationError);
        assert_eq!(
            code(arn(a, &"a".repeat(2049))).0,
            ErrorCode::ValidationError
        );
    }
}
