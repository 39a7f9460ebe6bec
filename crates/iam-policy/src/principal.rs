//! The Principal / NotPrincipal element: parsing its forms (`"*"`, `AWS`, `Service`,
//! `Federated`, `CanonicalUser`) and matching a caller's ARN against it, telling whether the
//! caller was named directly (its own user, session or federated-user ARN) or only through
//! its role, its account or a wildcard.

/// How a resource-policy statement reached the caller. The order is the strength of the
/// grant: a stronger match wins when several statements allow.
///
/// AWS's rules for a grant in a resource-based policy of the caller's own account (IAM User
/// Guide, "Policy evaluation logic" and "AWS JSON policy elements: Principal"):
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// Through the caller's account (`ACCT` or `arn:aws:iam::ACCT:root`). This *delegates*
    /// to the account: it grants nothing by itself, and the caller's identity-based
    /// policies must allow the request (then cut by its boundary and session policy, as any
    /// identity grant is). A Deny through the account applies to every principal of it.
    Account,
    /// Through the role ARN of a role session (`arn:aws:iam::A:role/R` for
    /// `arn:aws:sts::A:assumed-role/R/S`). No identity-based allow is needed, but an
    /// implicit deny in the role's permissions boundary or the session policy cuts it.
    Role,
    /// Through `"*"` (or an Allow with NotPrincipal not naming the caller): a grant to
    /// everyone. "For IAM users and role principals within your account, no other
    /// permissions are required", and boundaries and session policies do not limit it.
    Everyone,
    /// The caller's own ARN (IAM user, role session, federated user) or a service,
    /// federated or canonical-user principal named exactly. Such a grant stands on its own:
    /// an implicit deny in identity policies, boundary or session policy does not cut it.
    Direct,
}

impl PrincipalMatch {
    /// True when the grant stands on its own (no identity allow, boundary or session policy
    /// needed).
    pub fn stands_alone(self) -> bool {
        matches!(self, PrincipalMatch::Everyone | PrincipalMatch::Direct)
    }
}

/// One `AWS` principal value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsPrincipal {
    Any,
    /// A 12-digit account id or `arn:aws:iam::ACCT:root`: every principal of that account.
    Account(Box<str>),
    /// A role ARN: the role itself and every session of it.
    Role {
        arn: Box<str>,
        account: Box<str>,
        name: Box<str>,
    },
    /// Any other principal ARN or unique id, compared exactly.
    Exact(Box<str>),
}

/// A parsed Principal or NotPrincipal value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PrincipalSpec {
    any: bool,
    aws: Vec<AwsPrincipal>,
    /// Service, Federated and CanonicalUser values, compared exactly (services ignoring case).
    service: Vec<Box<str>>,
    other: Vec<Box<str>>,
}

/// The parts of a principal ARN that matching needs.
struct CallerArn<'a> {
    account: &'a str,
    service: &'a str,
    resource: &'a str,
}

fn split_arn(arn: &str) -> Option<CallerArn<'_>> {
    let mut it = arn.splitn(6, ':');
    let (prefix, _partition, service, _region, account, resource) = (
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    );
    (prefix == "arn").then_some(CallerArn {
        account,
        service,
        resource,
    })
}

impl PrincipalSpec {
    /// `"Principal": "*"`.
    pub(crate) fn any() -> Self {
        PrincipalSpec {
            any: true,
            ..Default::default()
        }
    }

    /// Adds one value under `kind` (`AWS`, `Service`, `Federated`, `CanonicalUser`); the
    /// error is a lowercase detail.
    pub(crate) fn add(&mut self, kind: &str, value: &str) -> Result<(), String> {
        match kind {
            "AWS" => self.aws.push(parse_aws(value)?),
            "Service" => {
                if value.is_empty() || value.contains(['*', '?']) {
                    return Err(invalid(kind, value));
                }
                self.service.push(value.to_ascii_lowercase().into());
            }
            "Federated" | "CanonicalUser" => {
                if value.is_empty() || value.contains(['*', '?']) {
                    return Err(invalid(kind, value));
                }
                self.other.push(value.into());
            }
            _ => return Err(format!("unknown principal type \"{kind}\"")),
        }
        Ok(())
    }

    /// How (if at all) this principal set names the caller.
    pub(crate) fn matches(&self, caller: &str) -> Option<PrincipalMatch> {
        let mut best = None;
        let mut note = |m: PrincipalMatch| best = best.max(Some(m));
        if self.service.iter().any(|s| s.eq_ignore_ascii_case(caller))
            || self.other.iter().any(|s| **s == *caller)
        {
            return Some(PrincipalMatch::Direct);
        }
        if self.any {
            note(PrincipalMatch::Everyone);
        }
        let parsed = split_arn(caller);
        for p in &self.aws {
            match p {
                AwsPrincipal::Any => note(PrincipalMatch::Everyone),
                AwsPrincipal::Exact(arn) if **arn == *caller => {
                    return Some(PrincipalMatch::Direct)
                }
                AwsPrincipal::Exact(_) => {}
                AwsPrincipal::Account(acct) => {
                    if parsed.as_ref().is_some_and(|c| c.account == &**acct) || **acct == *caller {
                        note(PrincipalMatch::Account);
                    }
                }
                AwsPrincipal::Role { arn, account, name } => {
                    let session_of_role = parsed.as_ref().is_some_and(|c| {
                        c.service == "sts"
                            && c.account == &**account
                            && c.resource
                                .strip_prefix("assumed-role/")
                                .and_then(|r| r.split_once('/'))
                                .is_some_and(|(role, _session)| role == &**name)
                    });
                    if session_of_role || **arn == *caller {
                        note(PrincipalMatch::Role);
                    }
                }
            }
        }
        best
    }
}

impl PrincipalSpec {
    /// The IAM user and role ARNs among the `AWS` values: the principals IAM binds to their
    /// unique ids when a role trust policy is saved.
    pub(crate) fn named_entities(&self) -> impl Iterator<Item = &str> {
        self.aws.iter().filter_map(|p| match p {
            AwsPrincipal::Role { arn, .. } => Some(&**arn),
            AwsPrincipal::Exact(arn)
                if split_arn(arn)
                    .is_some_and(|a| a.service == "iam" && a.resource.starts_with("user/")) =>
            {
                Some(&**arn)
            }
            _ => None,
        })
    }
}

fn invalid(kind: &str, value: &str) -> String {
    format!("Invalid principal in policy: \"{kind}\":\"{value}\"")
}

fn parse_aws(value: &str) -> Result<AwsPrincipal, String> {
    if value == "*" {
        return Ok(AwsPrincipal::Any);
    }
    if value.contains(['*', '?']) || value.is_empty() {
        return Err(invalid("AWS", value));
    }
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(AwsPrincipal::Account(value.into()));
    }
    if let Some(arn) = split_arn(value) {
        let ok_account = !arn.account.is_empty();
        return match (arn.service, arn.resource) {
            ("iam", "root") if ok_account => Ok(AwsPrincipal::Account(arn.account.into())),
            ("iam", r) if ok_account && r.starts_with("role/") => {
                let name = r.rsplit('/').next().unwrap_or(r);
                Ok(AwsPrincipal::Role {
                    arn: value.into(),
                    account: arn.account.into(),
                    name: name.into(),
                })
            }
            ("iam", r) if ok_account && r.starts_with("user/") => {
                Ok(AwsPrincipal::Exact(value.into()))
            }
            ("sts", r)
                if ok_account
                    && (r.starts_with("assumed-role/") || r.starts_with("federated-user/")) =>
            {
                Ok(AwsPrincipal::Exact(value.into()))
            }
            _ => Err(invalid("AWS", value)),
        };
    }
    // AWS rewrites the ARN of a deleted principal to its unique id (AIDA…, AROA…).
    if value.len() >= 16
        && value.starts_with('A')
        && value.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Ok(AwsPrincipal::Exact(value.into()));
    }
    Err(invalid("AWS", value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(values: &[(&str, &str)]) -> PrincipalSpec {
        let mut s = PrincipalSpec::default();
        for (k, v) in values {
            s.add(k, v).unwrap_or_else(|e| panic!("{e}"));
        }
        s
    }

    const USER: &str = "arn:aws:iam::111122223333:user/Bob";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Admin/alice";

    #[test]
    fn account_forms_match_everyone_in_the_account() {
        for form in ["111122223333", "arn:aws:iam::111122223333:root"] {
            let s = spec(&[("AWS", form)]);
            assert_eq!(s.matches(USER), Some(PrincipalMatch::Account));
            assert_eq!(s.matches(SESSION), Some(PrincipalMatch::Account));
            assert_eq!(s.matches("arn:aws:iam::444455556666:user/Bob"), None);
        }
    }

    #[test]
    fn user_and_session_arns_are_direct() {
        assert_eq!(
            spec(&[("AWS", USER)]).matches(USER),
            Some(PrincipalMatch::Direct)
        );
        assert_eq!(
            spec(&[("AWS", SESSION)]).matches(SESSION),
            Some(PrincipalMatch::Direct)
        );
        assert_eq!(
            spec(&[("AWS", USER)]).matches("arn:aws:iam::111122223333:user/bob"),
            None
        );
    }

    #[test]
    fn role_arn_matches_its_sessions_through_the_role() {
        let s = spec(&[("AWS", "arn:aws:iam::111122223333:role/ops/Admin")]);
        assert_eq!(s.matches(SESSION), Some(PrincipalMatch::Role));
        assert_eq!(
            s.matches("arn:aws:sts::111122223333:assumed-role/Other/alice"),
            None
        );
        assert_eq!(
            s.matches("arn:aws:sts::999999999999:assumed-role/Admin/alice"),
            None
        );
    }

    #[test]
    fn services_and_wildcards() {
        let s = spec(&[("Service", "ec2.amazonaws.com")]);
        assert_eq!(s.matches("ec2.amazonaws.com"), Some(PrincipalMatch::Direct));
        assert_eq!(s.matches(USER), None);
        assert_eq!(
            PrincipalSpec::any().matches(USER),
            Some(PrincipalMatch::Everyone)
        );
        assert_eq!(
            spec(&[("AWS", "*")]).matches(USER),
            Some(PrincipalMatch::Everyone)
        );
    }

    #[test]
    fn rejects_wildcards_inside_arns_and_unknown_forms() {
        let mut s = PrincipalSpec::default();
        assert!(s.add("AWS", "arn:aws:iam::*:root").is_err());
        assert!(s.add("AWS", "arn:aws:iam::111122223333:group/g").is_err());
        assert!(s.add("AWS", "bob").is_err());
        assert!(s.add("Foo", "x").is_err());
        assert!(s.add("AWS", "AIDAJQABLZS4A3QDU576Q").is_ok());
    }
}
