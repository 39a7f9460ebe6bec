//! Condition operator names: the base operators, the `IfExists` suffix and the
//! `ForAllValues:` / `ForAnyValue:` set qualifiers, parsed case-insensitively.

/// A condition operator without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOp {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The operator families, which decide how values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

const ALL: [BaseOp; 27] = [
    BaseOp::StringEquals,
    BaseOp::StringNotEquals,
    BaseOp::StringEqualsIgnoreCase,
    BaseOp::StringNotEqualsIgnoreCase,
    BaseOp::StringLike,
    BaseOp::StringNotLike,
    BaseOp::NumericEquals,
    BaseOp::NumericNotEquals,
    BaseOp::NumericLessThan,
    BaseOp::NumericLessThanEquals,
    BaseOp::NumericGreaterThan,
    BaseOp::NumericGreaterThanEquals,
    BaseOp::DateEquals,
    BaseOp::DateNotEquals,
    BaseOp::DateLessThan,
    BaseOp::DateLessThanEquals,
    BaseOp::DateGreaterThan,
    BaseOp::DateGreaterThanEquals,
    BaseOp::Bool,
    BaseOp::BinaryEquals,
    BaseOp::IpAddress,
    BaseOp::NotIpAddress,
    BaseOp::ArnEquals,
    BaseOp::ArnLike,
    BaseOp::ArnNotEquals,
    BaseOp::ArnNotLike,
    BaseOp::Null,
];

impl BaseOp {
    /// The operator's AWS name, e.g. `StringEquals`.
    pub fn name(self) -> &'static str {
        use BaseOp::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            BinaryEquals => "BinaryEquals",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
            ArnEquals => "ArnEquals",
            ArnLike => "ArnLike",
            ArnNotEquals => "ArnNotEquals",
            ArnNotLike => "ArnNotLike",
            Null => "Null",
        }
    }

    /// True for the negated operators (`StringNotEquals`, `NotIpAddress`, ...): with several
    /// values they hold only when no value matches, and they hold for a missing key.
    pub fn is_negated(self) -> bool {
        use BaseOp::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    pub(crate) fn family(self) -> Family {
        use BaseOp::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Family::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Family::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Family::Date,
            Bool => Family::Bool,
            BinaryEquals => Family::Binary,
            IpAddress | NotIpAddress => Family::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Family::Arn,
            Null => Family::Null,
        }
    }

    /// How Numeric*/Date* operators compare the request value with the policy value.
    pub(crate) fn ordering(self) -> Compare {
        use BaseOp::*;
        match self {
            NumericLessThan | DateLessThan => Compare::Less,
            NumericLessThanEquals | DateLessThanEquals => Compare::LessEq,
            NumericGreaterThan | DateGreaterThan => Compare::Greater,
            NumericGreaterThanEquals | DateGreaterThanEquals => Compare::GreaterEq,
            _ => Compare::Equal,
        }
    }
}

/// The comparison of an ordered operator (negation is handled separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compare {
    Equal,
    Less,
    LessEq,
    Greater,
    GreaterEq,
}

impl Compare {
    pub(crate) fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Compare::Equal => request == policy,
            Compare::Less => request < policy,
            Compare::LessEq => request <= policy,
            Compare::Greater => request > policy,
            Compare::GreaterEq => request >= policy,
        }
    }
}

/// A set qualifier for multi-valued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `ForAllValues:` — every request value matches (true for a missing or empty key).
    ForAllValues,
    /// `ForAnyValue:` — at least one request value matches (false for a missing or empty key).
    ForAnyValue,
}

/// A full condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub base: BaseOp,
    pub qualifier: Option<Qualifier>,
    pub if_exists: bool,
}

/// Why an operator name was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperatorError {
    Unknown,
    NullIfExists,
}

impl Operator {
    /// Parses an operator name (case-insensitive).
    pub(crate) fn parse(name: &str) -> Result<Operator, OperatorError> {
        let (qualifier, rest) = split_qualifier(name);
        let (rest, if_exists) = match strip_suffix_ci(rest, "IfExists") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let base = ALL
            .iter()
            .copied()
            .find(|op| op.name().eq_ignore_ascii_case(rest))
            .ok_or(OperatorError::Unknown)?;
        if base == BaseOp::Null && if_exists {
            return Err(OperatorError::NullIfExists);
        }
        Ok(Operator {
            base,
            qualifier,
            if_exists,
        })
    }

    /// The canonical spelling, e.g. `ForAnyValue:StringLikeIfExists`.
    pub fn name(&self) -> String {
        let q = match self.qualifier {
            Some(Qualifier::ForAllValues) => "ForAllValues:",
            Some(Qualifier::ForAnyValue) => "ForAnyValue:",
            None => "",
        };
        let e = if self.if_exists { "IfExists" } else { "" };
        format!("{q}{}{e}", self.base.name())
    }
}

fn split_qualifier(name: &str) -> (Option<Qualifier>, &str) {
    for (prefix, q) in [
        ("ForAllValues:", Qualifier::ForAllValues),
        ("ForAnyValue:", Qualifier::ForAnyValue),
    ] {
        if name.len() >= prefix.len()
            && name.is_char_boundary(prefix.len())
            && name[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return (Some(q), &name[prefix.len()..]);
        }
    }
    (None, name)
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_base_with_modifiers() {
        for op in ALL {
            let plain = Operator::parse(op.name()).map(|o| o.base);
            assert_eq!(plain, Ok(op));
            if op != BaseOp::Null {
                let full = format!("ForAnyValue:{}IfExists", op.name());
                let parsed = Operator::parse(&full).unwrap_or_else(|e| panic!("{full}: {e:?}"));
                assert_eq!(parsed.name(), full);
            }
        }
    }

    #[test]
    fn names_are_case_insensitive() {
        let op = Operator::parse("forallvalues:stringlike").map(|o| (o.base, o.qualifier));
        assert_eq!(op, Ok((BaseOp::StringLike, Some(Qualifier::ForAllValues))));
    }

    #[test]
    fn rejects_unknown_and_null_if_exists() {
        assert_eq!(Operator::parse("StringEqual"), Err(OperatorError::Unknown));
        assert_eq!(
            Operator::parse("NullIfExists"),
            Err(OperatorError::NullIfExists)
        );
        assert_eq!(
            Operator::parse("ForSomeValues:StringLike"),
            Err(OperatorError::Unknown)
        );
        assert_eq!(Operator::parse(""), Err(OperatorError::Unknown));
    }
}
