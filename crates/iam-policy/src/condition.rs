//! Condition blocks: compiling each `operator → key → values` entry into pre-parsed values
//! (templates, globs, numbers, dates, CIDRs, bytes, ARN patterns) and evaluating it against
//! a request context with AWS's rules for missing keys, negation, `IfExists` and the
//! `ForAllValues`/`ForAnyValue` set qualifiers.

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;

use crate::arn::{ArnPattern, ArnVars};
use crate::context::Context;
use crate::glob::{template_eq, Case, Matcher};
use crate::operator::{BaseOp, Family, Operator, Qualifier};
use crate::scalar::{parse_bool, parse_date, parse_number, Nanos};
use crate::variables::{tokenize, Syntax, Tok};

/// The policy values of one condition, read once at compile time.
#[derive(Debug, Clone)]
enum Values {
    /// StringEquals / StringNotEquals: literal text with variables.
    Equals(Box<[Box<[Tok]>]>),
    /// The IgnoreCase variants: literals stored lowercased.
    EqualsFold(Box<[Box<[Tok]>]>),
    /// StringLike / StringNotLike.
    Like(Box<[Matcher]>),
    Number(Box<[f64]>),
    /// `None` for a value AWS's lenient date grammar accepts (e.g. `01T`) but that is not a
    /// date iamd can place in time: it matches nothing.
    Date(Box<[Option<Nanos>]>),
    Bool(Box<[BoolValue]>),
    Binary(Box<[Box<[u8]>]>),
    Ip(Box<[IpNet]>),
    Arn(Box<[ArnPattern]>),
    /// Null: `true` means "the key must be absent".
    Null(Box<[bool]>),
}

#[derive(Debug, Clone)]
enum BoolValue {
    Literal(bool),
    Template(Box<[Tok]>),
}

/// One compiled condition: an operator, a (lowercased) key and its values.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    op: Operator,
    key: Box<str>,
    values: Values,
}

impl Condition {
    /// Compiles one condition. `variables` is true for `2012-10-17` documents. The error is
    /// a lowercase detail naming the bad value.
    pub(crate) fn compile(
        op: Operator,
        key: &str,
        raw: &[String],
        variables: bool,
    ) -> Result<Condition, String> {
        let values = compile_values(op.base, key, raw, variables)?;
        Ok(Condition {
            op,
            key: key.to_lowercase().into(),
            values,
        })
    }

    /// True when the condition holds for the request context.
    ///
    /// AWS's rules (IAM User Guide, "Condition operators" and "Single-valued vs. multivalued
    /// context keys") distinguish a key that is *missing* from one that is *present with no
    /// values* (a multivalued key such as `aws:TagKeys` given as an empty list, a "null
    /// dataset"):
    ///
    /// | condition | missing | present, no values |
    /// |---|---|---|
    /// | `Op` (positive) | false | false (no value matches) |
    /// | `NotOp` (negated) | true | true (no value matches) |
    /// | `OpIfExists` / `NotOpIfExists` | true | as `Op` / `NotOp`: the key is present |
    /// | `ForAllValues:Op[IfExists]` | true | true (every one of no values) |
    /// | `ForAnyValue:Op` | false | false |
    /// | `ForAnyValue:OpIfExists` | true | false: the key is present |
    /// | `Null: true` | true | true (the value is null) |
    /// | `Null: false` | false | false |
    pub(crate) fn holds(&self, ctx: &Context) -> bool {
        let negated = self.op.base.is_negated();
        let Some((values, _)) = ctx.get_lower(&self.key) else {
            return match (&self.values, self.op.qualifier) {
                (Values::Null(expect_absent), _) => expect_absent.contains(&true),
                _ if self.op.if_exists => true,
                (_, Some(Qualifier::ForAllValues)) => true,
                (_, Some(Qualifier::ForAnyValue)) => false,
                (_, None) => negated,
            };
        };
        // The key is present, possibly with no values: `IfExists` no longer applies.
        if let Values::Null(expect_absent) = &self.values {
            return expect_absent.contains(&values.is_empty());
        }
        match self.op.qualifier {
            // Without a qualifier: does any request value match? (None: no.)
            None => values.iter().any(|v| self.matches(v, ctx)) != negated,
            Some(Qualifier::ForAllValues) => values.iter().all(|v| self.matches(v, ctx) != negated),
            Some(Qualifier::ForAnyValue) => values.iter().any(|v| self.matches(v, ctx) != negated),
        }
    }

    /// The positive test: does the request value match any of the policy values?
    fn matches(&self, value: &str, ctx: &Context) -> bool {
        match &self.values {
            Values::Equals(ts) => ts.iter().any(|t| template_eq(t, value, false, ctx)),
            Values::EqualsFold(ts) => ts.iter().any(|t| template_eq(t, value, true, ctx)),
            Values::Like(ms) => ms.iter().any(|m| m.is_match(value, Case::Sensitive, ctx)),
            Values::Number(ps) => {
                let cmp = self.op.base.ordering();
                parse_number(value).is_some_and(|x| ps.iter().any(|&p| cmp.holds(x, p)))
            }
            Values::Date(ps) => {
                let cmp = self.op.base.ordering();
                parse_date(value).is_some_and(|x| ps.iter().flatten().any(|&p| cmp.holds(x, p)))
            }
            Values::Bool(ps) => parse_bool(value).is_some_and(|x| {
                ps.iter().any(|p| match p {
                    BoolValue::Literal(b) => *b == x,
                    BoolValue::Template(t) => {
                        crate::variables::render(t, ctx).and_then(|s| parse_bool(&s)) == Some(x)
                    }
                })
            }),
            Values::Binary(ps) => {
                decode_base64(value).is_some_and(|bytes| ps.iter().any(|p| **p == *bytes))
            }
            Values::Ip(nets) => {
                parse_ip(value).is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)))
            }
            Values::Arn(ps) => ps.iter().any(|p| p.is_match(value, ctx)),
            Values::Null(_) => false,
        }
    }
}

fn compile_values(
    base: BaseOp,
    key: &str,
    raw: &[String],
    variables: bool,
) -> Result<Values, String> {
    let bad = |what: &str, v: &str| {
        format!(
            "condition {} value \"{v}\" for key \"{key}\" is not {what}",
            base.name()
        )
    };
    let text = |wildcards| Syntax {
        wildcards,
        variables,
    };
    Ok(match base.family() {
        Family::String => match base {
            BaseOp::StringLike | BaseOp::StringNotLike => Values::Like(
                raw.iter()
                    .map(|v| Matcher::new(tokenize(v, text(true)), Case::Sensitive))
                    .collect(),
            ),
            BaseOp::StringEqualsIgnoreCase | BaseOp::StringNotEqualsIgnoreCase => {
                Values::EqualsFold(
                    raw.iter()
                        .map(|v| fold_literals(tokenize(v, text(false))).into())
                        .collect(),
                )
            }
            _ => Values::Equals(
                raw.iter()
                    .map(|v| tokenize(v, text(false)).into())
                    .collect(),
            ),
        },
        Family::Numeric => Values::Number(
            raw.iter()
                .map(|v| parse_number(v).ok_or_else(|| bad("a number", v)))
                .collect::<Result<_, _>>()?,
        ),
        // Date values were checked against AWS's grammar by the legacy stage.
        Family::Date => Values::Date(raw.iter().map(|v| parse_date(v)).collect()),
        Family::Bool => Values::Bool(
            raw.iter()
                .map(|v| match parse_bool(v) {
                    Some(b) => Ok(BoolValue::Literal(b)),
                    None => {
                        let toks = tokenize(v, text(false));
                        if crate::variables::any_var(&toks) {
                            Ok(BoolValue::Template(toks.into()))
                        } else {
                            Err(bad("\"true\" or \"false\"", v))
                        }
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        Family::Binary => Values::Binary(
            raw.iter()
                .map(|v| {
                    decode_base64(v)
                        .map(Vec::into_boxed_slice)
                        .ok_or_else(|| bad("base64", v))
                })
                .collect::<Result<_, _>>()?,
        ),
        Family::Ip => Values::Ip(
            raw.iter()
                .map(|v| parse_cidr(v).ok_or_else(|| bad("an IP address or CIDR", v)))
                .collect::<Result<_, _>>()?,
        ),
        Family::Arn => {
            let vars = if variables {
                ArnVars::Anywhere
            } else {
                ArnVars::None
            };
            Values::Arn(
                raw.iter()
                    .map(|v| ArnPattern::new(v, vars, false))
                    .collect(),
            )
        }
        Family::Null => Values::Null(
            raw.iter()
                .map(|v| parse_bool(v).ok_or_else(|| bad("\"true\" or \"false\"", v)))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn fold_literals(mut toks: Vec<Tok>) -> Vec<Tok> {
    for t in &mut toks {
        if let Tok::Lit(s) = t {
            *s = s.to_lowercase().into();
        }
    }
    toks
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}

/// A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a bare address (a /32 or /128).
pub(crate) fn parse_cidr(text: &str) -> Option<IpNet> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net.trunc());
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
}

/// A request's address; a CIDR given as the request value stands for its first address.
fn parse_ip(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<IpNet>().ok().map(|n| n.addr()))
}
