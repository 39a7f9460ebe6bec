//! The first of AWS's checks: the JSON shape of the whole document. Anything here is AWS's
//! `Syntax errors in policy.` (iamd adds the detail): unknown elements, wrong value types,
//! an unknown `Version`, a missing or empty `Statement`, a missing or unknown `Effect` (any
//! case is fine here; the case is checked later, by the legacy parser), both `X` and `NotX`,
//! and condition blocks that are not `operator → key → value(s)` or whose operator is
//! unknown (an unknown operator with an empty block is accepted, as AWS does).
//!
//! The result is a borrowed view of the document that the later checks and compilation read.

use crate::error::{Location, PolicyError};
use crate::json::Json;
use crate::operator::{Operator, OperatorError};
use crate::policy::Version;

/// The document after the shape check.
pub(crate) struct Shape<'a> {
    pub(crate) version: Version,
    pub(crate) id: Option<&'a str>,
    pub(crate) statements: Vec<RawStatement<'a>>,
}

/// One statement after the shape check: every element of the right type.
pub(crate) struct RawStatement<'a> {
    pub(crate) index: usize,
    pub(crate) sid: Option<&'a str>,
    /// `Allow` or `Deny` in any case.
    pub(crate) effect: &'a str,
    /// Principal or NotPrincipal (true); its value is checked with the policy kind.
    pub(crate) principal: Option<(&'a Json, bool)>,
    /// Action or NotAction (true), possibly empty.
    pub(crate) action: Option<(Vec<&'a str>, bool)>,
    /// Resource or NotResource (true), possibly empty.
    pub(crate) resource: Option<(Vec<&'a str>, bool)>,
    /// Condition blocks with at least one key.
    pub(crate) conditions: Vec<RawBlock<'a>>,
}

impl RawStatement<'_> {
    /// The statement's location (index and Sid).
    pub(crate) fn loc(&self) -> Location {
        Location::statement(self.index, self.sid)
    }

    /// `Action` or `NotAction`.
    pub(crate) fn action_element(&self) -> &'static str {
        match self.action {
            Some((_, true)) => "NotAction",
            _ => "Action",
        }
    }

    /// `Resource` or `NotResource`.
    pub(crate) fn resource_element(&self) -> &'static str {
        match self.resource {
            Some((_, true)) => "NotResource",
            _ => "Resource",
        }
    }
}

/// One `operator: {key: values}` block of a Condition.
pub(crate) struct RawBlock<'a> {
    pub(crate) name: &'a str,
    pub(crate) op: Operator,
    /// Keys with their values as text (numbers and booleans written as JSON writes them).
    pub(crate) keys: Vec<(&'a str, Vec<String>)>,
}

const TOP_LEVEL: [&str; 3] = ["Version", "Id", "Statement"];
const ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Checks the shape of a parsed document.
pub(crate) fn check(json: &Json) -> Result<Shape<'_>, PolicyError> {
    let top = Location::default();
    let Json::Object(entries) = json else {
        return Err(PolicyError::syntax(
            &format!(
                "(the document must be a JSON object, not {})",
                json.type_name()
            ),
            top,
        ));
    };
    for (k, _) in entries {
        if !TOP_LEVEL.contains(&k.as_str()) {
            return Err(PolicyError::syntax(
                &unknown(k, &TOP_LEVEL, "top-level element"),
                top,
            ));
        }
    }
    let version = match json.get("Version") {
        None => Version::Absent,
        Some(Json::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
        Some(Json::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
        Some(v) => {
            let shown = match v {
                Json::String(s) => format!("\"{s}\""),
                other => other.type_name().to_owned(),
            };
            return Err(PolicyError::syntax(
                &format!("(Version {shown} is not a policy language version; use \"2012-10-17\")"),
                top.with_element("Version"),
            ));
        }
    };
    let id = match json.get("Id") {
        None => None,
        Some(Json::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(PolicyError::syntax(
                &format!("(Id must be a string, not {})", other.type_name()),
                top.with_element("Id"),
            ))
        }
    };
    let raw = match json.get("Statement") {
        None => {
            return Err(PolicyError::syntax(
                "(missing required element Statement)",
                top,
            ))
        }
        Some(Json::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(obj @ Json::Object(_)) => vec![obj],
        Some(other) => {
            return Err(PolicyError::syntax(
                &format!(
                    "(Statement must be an object or an array of objects, not {})",
                    other.type_name()
                ),
                top.with_element("Statement"),
            ))
        }
    };
    if raw.is_empty() {
        return Err(PolicyError::syntax(
            "(Statement must hold at least one statement)",
            top.with_element("Statement"),
        ));
    }
    let statements = raw
        .into_iter()
        .enumerate()
        .map(|(index, item)| statement(item, index))
        .collect::<Result<_, _>>()?;
    Ok(Shape {
        version,
        id,
        statements,
    })
}

fn unknown(name: &str, known: &[&str], what: &str) -> String {
    match known.iter().find(|k| {
        k.eq_ignore_ascii_case(name) || k.eq_ignore_ascii_case(name.trim_end_matches('s'))
    }) {
        Some(k) => format!("(unknown {what} \"{name}\"; did you mean \"{k}\"?)"),
        None => format!("(unknown {what} \"{name}\")"),
    }
}

fn statement(item: &Json, index: usize) -> Result<RawStatement<'_>, PolicyError> {
    let Json::Object(entries) = item else {
        return Err(PolicyError::syntax(
            &format!("(a statement must be an object, not {})", item.type_name()),
            Location::statement(index, None),
        ));
    };
    let sid = match item.get("Sid") {
        None => None,
        Some(Json::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(PolicyError::syntax(
                &format!("(Sid must be a string, not {})", other.type_name()),
                Location::statement(index, None).with_element("Sid"),
            ))
        }
    };
    let loc = Location::statement(index, sid);
    for (k, _) in entries {
        if !ELEMENTS.contains(&k.as_str()) {
            return Err(PolicyError::syntax(&unknown(k, &ELEMENTS, "element"), loc));
        }
    }
    let effect = match item.get("Effect") {
        None => {
            return Err(PolicyError::syntax(
                "(missing required element Effect)",
                loc,
            ))
        }
        Some(Json::String(e))
            if e.eq_ignore_ascii_case("Allow") || e.eq_ignore_ascii_case("Deny") =>
        {
            e.as_str()
        }
        Some(other) => {
            let shown = match other {
                Json::String(s) => format!("\"{s}\""),
                o => o.type_name().to_owned(),
            };
            return Err(PolicyError::syntax(
                &format!("(invalid Effect {shown}; use \"Allow\" or \"Deny\")"),
                loc.with_element("Effect"),
            ));
        }
    };
    let principal = pick(item, "Principal", "NotPrincipal", &loc)?;
    let action = match pick(item, "Action", "NotAction", &loc)? {
        Some((v, negated)) => {
            let element = if negated { "NotAction" } else { "Action" };
            Some((strings(v, element, &loc)?, negated))
        }
        None => None,
    };
    let resource = match pick(item, "Resource", "NotResource", &loc)? {
        Some((v, negated)) => {
            let element = if negated { "NotResource" } else { "Resource" };
            Some((strings(v, element, &loc)?, negated))
        }
        None => None,
    };
    let conditions = match item.get("Condition") {
        None => Vec::new(),
        Some(c) => conditions(c, &loc.clone().with_element("Condition"))?,
    };
    Ok(RawStatement {
        index,
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// At most one of `name` / `Not{name}`; returns the value and whether it is the negated form.
fn pick<'a>(
    item: &'a Json,
    name: &'static str,
    not_name: &'static str,
    loc: &Location,
) -> Result<Option<(&'a Json, bool)>, PolicyError> {
    match (item.get(name), item.get(not_name)) {
        (Some(_), Some(_)) => Err(PolicyError::syntax(
            &format!("(a statement cannot have both {name} and {not_name})"),
            loc.clone(),
        )),
        (Some(v), None) => Ok(Some((v, false))),
        (None, Some(v)) => Ok(Some((v, true))),
        (None, None) => Ok(None),
    }
}

/// A string or a list of strings.
pub(crate) fn strings<'a>(
    value: &'a Json,
    element: &'static str,
    loc: &Location,
) -> Result<Vec<&'a str>, PolicyError> {
    let err = |what: &str| {
        PolicyError::syntax(
            &format!("({element} must be a string or a list of strings, not {what})"),
            loc.clone().with_element(element),
        )
    };
    match value {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::String(s) => Ok(s.as_str()),
                other => Err(err(&format!("a list holding {}", other.type_name()))),
            })
            .collect(),
        other => Err(err(other.type_name())),
    }
}

fn conditions<'a>(value: &'a Json, cloc: &Location) -> Result<Vec<RawBlock<'a>>, PolicyError> {
    let Json::Object(ops) = value else {
        return Err(PolicyError::syntax(
            &format!("(Condition must be an object, not {})", value.type_name()),
            cloc.clone(),
        ));
    };
    let mut out = Vec::new();
    for (name, block) in ops {
        let Json::Object(keys) = block else {
            return Err(PolicyError::syntax(
                &format!(
                    "(condition {name} must map keys to values, not {})",
                    block.type_name()
                ),
                cloc.clone(),
            ));
        };
        let mut values = Vec::with_capacity(keys.len());
        for (key, v) in keys {
            if key.is_empty() {
                return Err(PolicyError::syntax(
                    &format!("(condition {name} has an empty key)"),
                    cloc.clone(),
                ));
            }
            values.push((key.as_str(), condition_values(v, name, key, cloc)?));
        }
        if values.is_empty() {
            // AWS accepts an empty block whatever its operator; it adds no condition.
            continue;
        }
        let op = Operator::parse(name).map_err(|e| {
            let why = match e {
                OperatorError::Unknown => "is not a condition operator",
                OperatorError::NullIfExists => {
                    "is not a condition operator (IfExists cannot be used with Null)"
                }
            };
            PolicyError::syntax(&format!("(\"{name}\" {why})"), cloc.clone())
        })?;
        out.push(RawBlock {
            name: name.as_str(),
            op,
            keys: values,
        });
    }
    Ok(out)
}

/// Condition values: strings, numbers or booleans, alone or in a list (which may be empty).
fn condition_values(
    value: &Json,
    op: &str,
    key: &str,
    loc: &Location,
) -> Result<Vec<String>, PolicyError> {
    let scalar = |v: &Json| match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(PolicyError::syntax(
            &format!(
                "(condition {op} value for key \"{key}\" must be a string, number or boolean, \
                 not {})",
                other.type_name()
            ),
            loc.clone(),
        )),
    };
    match value {
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}
