//! ARN patterns: an ARN is split on `:` into at most six parts (`arn`, partition, service,
//! region, account, resource) and each part is globbed on its own, so `*` never crosses a
//! colon in the first five parts while in the resource part it swallows `/` and `:` alike.
//! Used by Resource/NotResource and by the Arn* condition operators.

use crate::context::Context;
use crate::glob::{Case, Matcher};
use crate::variables::{any_var, render, tokenize, variable_len, Syntax, Tok};

/// The number of parts an ARN is split into; the last one keeps any further colons.
const ARN_PARTS: usize = 6;

/// Where policy variables are honoured in an ARN pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArnVars {
    /// Nowhere (`Version` other than `2012-10-17`).
    None,
    /// Only in the resource part, after the fifth colon (Resource / NotResource).
    ResourcePart,
    /// Anywhere (Arn* condition values).
    Anywhere,
}

/// A compiled ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `*` alone: every resource.
    Any,
    /// One matcher per colon-separated part; the input must have as many parts.
    Parts(Box<[Matcher]>),
    /// A pattern with a variable and fewer than six parts (e.g. `${aws:PrincipalArn}`):
    /// rendered and split at evaluation time, because the value supplies the colons.
    Rendered(Box<[Tok]>),
}

impl ArnPattern {
    /// Compiles `text`. With `literal_service`, the service part has no wildcards.
    pub(crate) fn new(text: &str, vars: ArnVars, literal_service: bool) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        let parts = split_pattern(text, vars == ArnVars::Anywhere);
        if vars == ArnVars::Anywhere && parts.len() < ARN_PARTS {
            let toks = tokenize(
                text,
                Syntax {
                    wildcards: true,
                    variables: true,
                },
            );
            if any_var(&toks) {
                return ArnPattern::Rendered(toks.into());
            }
        }
        let last = parts.len().saturating_sub(1);
        let matchers = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let variables = match vars {
                    ArnVars::None => false,
                    ArnVars::ResourcePart => i == ARN_PARTS - 1 && i == last,
                    ArnVars::Anywhere => true,
                };
                let wildcards = !(literal_service && i == 2);
                Matcher::new(
                    tokenize(
                        part,
                        Syntax {
                            wildcards,
                            variables,
                        },
                    ),
                    Case::Sensitive,
                )
            })
            .collect();
        ArnPattern::Parts(matchers)
    }

    /// True when `input` matches.
    pub(crate) fn is_match(&self, input: &str, ctx: &Context) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Parts(matchers) => {
                let mut parts = input.splitn(matchers.len(), ':');
                for m in matchers.iter() {
                    match parts.next() {
                        Some(part) if m.is_match(part, Case::Sensitive, ctx) => {}
                        _ => return false,
                    }
                }
                true
            }
            ArnPattern::Rendered(toks) => match render(toks, ctx) {
                Some(text) => ArnPattern::new(&text, ArnVars::None, false).is_match(input, ctx),
                None => false,
            },
        }
    }
}

/// Splits a pattern on `:` into at most six parts, skipping colons inside `${...}` when
/// variables are honoured everywhere.
pub(crate) fn split_pattern(text: &str, skip_variables: bool) -> Vec<&str> {
    let mut parts = Vec::with_capacity(ARN_PARTS);
    let mut start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() && parts.len() < ARN_PARTS - 1 {
        if skip_variables && bytes[i] == b'$' {
            if let Some(n) = variable_len(&text[i..]) {
                i += n;
                continue;
            }
        }
        if bytes[i] == b':' {
            parts.push(&text[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(pattern: &str, input: &str) -> bool {
        ArnPattern::new(pattern, ArnVars::ResourcePart, true).is_match(input, &Context::new())
    }

    fn arn_like(pattern: &str, input: &str, ctx: &Context) -> bool {
        ArnPattern::new(pattern, ArnVars::Anywhere, false).is_match(input, ctx)
    }

    #[test]
    fn resource_part_star_swallows_slashes_and_colons() {
        assert!(res(
            "arn:aws:s3:::bucket/*/test/*",
            "arn:aws:s3:::bucket/1/2/test/3/x"
        ));
        assert!(res(
            "arn:aws:logs:*:*:log-group:*",
            "arn:aws:logs:us-east-1:1:log-group:a:b"
        ));
        assert!(!res("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/x"));
    }

    #[test]
    fn stars_in_leading_parts_stay_in_their_part() {
        assert!(res(
            "arn:aws:iam::*:user/*",
            "arn:aws:iam::123456789012:user/bob"
        ));
        assert!(!arn_like(
            "arn:aws:svc:*:111:finance/*",
            "arn:aws:svc:a:b:111:finance/x",
            &Context::new()
        ));
        assert!(arn_like(
            "arn:aws:svc:*:111:finance/*",
            "arn:aws:svc:a:111:finance/x",
            &Context::new()
        ));
    }

    #[test]
    fn service_part_is_literal_in_resources() {
        assert!(!res("arn:aws:s*:::b", "arn:aws:s3:::b"));
        assert!(res("arn:aws:s*:::b", "arn:aws:s*:::b"));
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert!(!res("arn:aws:iam::1:user/Bob", "arn:aws:iam::1:user/bob"));
    }

    #[test]
    fn variables_only_in_resource_part_of_resources() {
        let ctx = Context::new()
            .with("aws:username", "bob")
            .with("aws:principalaccount", "1");
        let p = ArnPattern::new(
            "arn:aws:s3:::home/${aws:username}/*",
            ArnVars::ResourcePart,
            true,
        );
        assert!(p.is_match("arn:aws:s3:::home/bob/x", &ctx));
        assert!(!p.is_match("arn:aws:s3:::home/alice/x", &ctx));
        let q = ArnPattern::new(
            "arn:aws:iam::${aws:principalaccount}:x",
            ArnVars::ResourcePart,
            true,
        );
        assert!(!q.is_match("arn:aws:iam::1:x", &ctx));
        assert!(arn_like(
            "arn:aws:iam::${aws:PrincipalAccount}:role/*",
            "arn:aws:iam::1:role/r",
            &ctx
        ));
    }

    #[test]
    fn whole_value_variables_are_rendered_then_split() {
        let ctx = Context::new().with("aws:principalarn", "arn:aws:iam::1:role/r");
        assert!(arn_like(
            "${aws:PrincipalArn}",
            "arn:aws:iam::1:role/r",
            &ctx
        ));
        assert!(!arn_like(
            "${aws:PrincipalArn}",
            "arn:aws:iam::1:role/q",
            &ctx
        ));
        assert!(!arn_like(
            "${aws:PrincipalArn}",
            "arn:aws:iam::1:role/r",
            &Context::new()
        ));
    }

    #[test]
    fn short_inputs_do_not_match_full_patterns() {
        assert!(!res("arn:aws:s3:::b", "arn:aws:s3"));
        assert!(res("*", "anything"));
    }
}
