//! Policy text → [`Policy`]: the JSON shape of the document and its statements (every
//! element as a string or a list), AWS's required/forbidden elements per policy kind, and
//! compilation of each element into matchers.

use crate::arn::{ArnPattern, ArnVars};
use crate::condition::Condition;
use crate::error::{Location, PolicyError};
use crate::glob::{Case, Matcher};
use crate::json::Json;
use crate::operator::{Operator, OperatorError};
use crate::policy::{
    ActionClause, Effect, Policy, PolicyKind, PrincipalClause, ResourceClause, Statement, Version,
};
use crate::principal::PrincipalSpec;
use crate::validate;
use crate::variables::{tokenize, Syntax};

/// Options for [`parse_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Enforce the kind's size limit and the transport length (default true). Simulators
    /// that evaluate documents never stored may turn it off.
    pub enforce_size: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { enforce_size: true }
    }
}

/// Parses and validates a policy document of the given kind.
pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    parse_with(text, kind, ParseOptions::default())
}

/// [`parse`] with options.
pub fn parse_with(
    text: &str,
    kind: PolicyKind,
    options: ParseOptions,
) -> Result<Policy, PolicyError> {
    let size = validate::check_text(text, kind, options.enforce_size)?;
    let json = Json::parse(text)
        .map_err(|e| PolicyError::syntax(&json_detail(&e), Location::default()))?;
    parse_json(&json, kind, size)
}

fn json_detail(e: &serde_json::Error) -> String {
    // serde_json's messages are lowercase except for acronyms such as "EOF"; keep those.
    let text = e.to_string();
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => {
            first.to_lowercase().chain(text.chars().skip(1)).collect()
        }
        _ => text,
    }
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

/// Parses an already-read JSON document.
pub(crate) fn parse_json(
    json: &Json,
    kind: PolicyKind,
    size: usize,
) -> Result<Policy, PolicyError> {
    let top = Location::default();
    let Json::Object(entries) = json else {
        return Err(PolicyError::syntax(
            &format!(
                "the document must be a JSON object, not {}",
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
            return Err(PolicyError::malformed(
                "The policy failed legacy parsing",
                &format!("(Version {shown} is not supported; use \"2012-10-17\")"),
                top.with_element("Version"),
            ));
        }
    };
    let id = match json.get("Id") {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(PolicyError::syntax(
                &format!("Id must be a string, not {}", other.type_name()),
                top.with_element("Id"),
            ))
        }
    };
    let raw = match json.get("Statement") {
        None => {
            return Err(PolicyError::malformed(
                "Missing required field Statement",
                "",
                top,
            ))
        }
        Some(Json::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(obj @ Json::Object(_)) => vec![obj],
        Some(other) => {
            return Err(PolicyError::syntax(
                &format!(
                    "Statement must be an object or an array of objects, not {}",
                    other.type_name()
                ),
                top.with_element("Statement"),
            ))
        }
    };
    if raw.is_empty() {
        return Err(PolicyError::syntax(
            "Statement must hold at least one statement",
            top.with_element("Statement"),
        ));
    }
    let mut statements = Vec::with_capacity(raw.len());
    for (index, item) in raw.into_iter().enumerate() {
        let stmt = parse_statement(item, index, kind, version)?;
        if let Some(sid) = stmt.sid.as_deref().filter(|s| !s.is_empty()) {
            if statements
                .iter()
                .any(|s: &Statement| s.sid.as_deref() == Some(sid))
            {
                return Err(PolicyError::malformed(
                    "Statement IDs (SID) in a single policy must be unique.",
                    "",
                    Location::statement(index, Some(sid)).with_element("Sid"),
                ));
            }
        }
        statements.push(stmt);
    }
    Ok(Policy {
        kind,
        version,
        id,
        statements,
        size,
    })
}

fn unknown(name: &str, known: &[&str], what: &str) -> String {
    match known.iter().find(|k| {
        k.eq_ignore_ascii_case(name) || k.eq_ignore_ascii_case(name.trim_end_matches('s'))
    }) {
        Some(k) => format!("unknown {what} \"{name}\"; did you mean \"{k}\"?"),
        None => format!("unknown {what} \"{name}\""),
    }
}

fn parse_statement(
    item: &Json,
    index: usize,
    kind: PolicyKind,
    version: Version,
) -> Result<Statement, PolicyError> {
    let Json::Object(entries) = item else {
        return Err(PolicyError::syntax(
            &format!("a statement must be an object, not {}", item.type_name()),
            Location::statement(index, None),
        ));
    };
    let sid = match item.get("Sid") {
        None => None,
        Some(Json::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(PolicyError::syntax(
                &format!("Sid must be a string, not {}", other.type_name()),
                Location::statement(index, None).with_element("Sid"),
            ))
        }
    };
    let loc = Location::statement(index, sid);
    if let Some(s) = sid {
        validate::check_sid(s, kind, &loc)?;
    }
    for (k, _) in entries {
        if !ELEMENTS.contains(&k.as_str()) {
            return Err(PolicyError::syntax(&unknown(k, &ELEMENTS, "element"), loc));
        }
    }
    let effect = match item.get("Effect") {
        None => {
            return Err(PolicyError::malformed(
                "Missing required field Effect",
                "",
                loc,
            ))
        }
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            let shown = match other {
                Json::String(s) => format!("\"{s}\""),
                o => o.type_name().to_owned(),
            };
            return Err(PolicyError::syntax(
                &format!("invalid Effect {shown}; use \"Allow\" or \"Deny\" (case-sensitive)"),
                loc.with_element("Effect"),
            ));
        }
    };
    let principal = parse_principal(item, kind, &loc)?;
    let action = parse_actions(item, kind, &loc)?;
    let resource = parse_resources(item, kind, version, &loc)?;
    let conditions = match item.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_conditions(c, version, &loc)?,
    };
    Ok(Statement {
        sid: sid.map(Into::into),
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// Exactly one of `name` / `Not{name}`; returns the value and whether it is the negated form.
fn pick<'a>(
    item: &'a Json,
    name: &'static str,
    not_name: &'static str,
    loc: &Location,
) -> Result<Option<(&'a Json, bool)>, PolicyError> {
    match (item.get(name), item.get(not_name)) {
        (Some(_), Some(_)) => Err(PolicyError::syntax(
            &format!("a statement cannot have both {name} and {not_name}"),
            loc.clone(),
        )),
        (Some(v), None) => Ok(Some((v, false))),
        (None, Some(v)) => Ok(Some((v, true))),
        (None, None) => Ok(None),
    }
}

/// A string or a list of strings.
fn strings<'a>(
    value: &'a Json,
    element: &'static str,
    loc: &Location,
) -> Result<Vec<&'a str>, PolicyError> {
    let err = |what: &str| {
        PolicyError::syntax(
            &format!("{element} must be a string or a list of strings, not {what}"),
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

fn parse_principal(
    item: &Json,
    kind: PolicyKind,
    loc: &Location,
) -> Result<Option<PrincipalClause>, PolicyError> {
    let picked = pick(item, "Principal", "NotPrincipal", loc)?;
    let Some((value, negated)) = picked else {
        if kind.is_identity() {
            return Ok(None);
        }
        return Err(PolicyError::malformed(
            "Missing required field Principal",
            "",
            loc.clone(),
        ));
    };
    let element = if negated { "NotPrincipal" } else { "Principal" };
    if kind.is_identity() {
        return Err(PolicyError::malformed(
            "Policy document should not specify a principal.",
            "",
            loc.clone().with_element(element),
        ));
    }
    let bad = |detail: &str| {
        PolicyError::malformed(
            "Invalid principal in policy",
            detail,
            loc.clone().with_element(element),
        )
    };
    let spec = match value {
        Json::String(s) if s == "*" => PrincipalSpec::any(),
        Json::Object(entries) if !entries.is_empty() => {
            let mut spec = PrincipalSpec::default();
            for (k, v) in entries {
                let values = strings(v, element, loc)?;
                if values.is_empty() {
                    return Err(bad(&format!("(\"{k}\" has no values)")));
                }
                for one in values {
                    spec.add(k, one).map_err(|d| {
                        PolicyError::malformed(&d, "", loc.clone().with_element(element))
                    })?;
                }
            }
            spec
        }
        Json::String(s) => {
            return Err(bad(&format!(
                "(\"{s}\"; use \"*\" or an object such as {{\"AWS\": ...}})"
            )))
        }
        other => {
            return Err(bad(&format!(
                "({element} must be \"*\" or a non-empty object, not {})",
                other.type_name()
            )))
        }
    };
    Ok(Some(PrincipalClause { negated, spec }))
}

fn parse_actions(
    item: &Json,
    kind: PolicyKind,
    loc: &Location,
) -> Result<ActionClause, PolicyError> {
    const NO_ACTIONS: &str = "Policy statement must contain actions.";
    let Some((value, negated)) = pick(item, "Action", "NotAction", loc)? else {
        return Err(PolicyError::malformed(NO_ACTIONS, "", loc.clone()));
    };
    let element = if negated { "NotAction" } else { "Action" };
    let raw = strings(value, element, loc)?;
    if raw.is_empty() {
        return Err(PolicyError::malformed(
            NO_ACTIONS,
            "",
            loc.clone().with_element(element),
        ));
    }
    let mut patterns = Vec::with_capacity(raw.len());
    let mut services: Option<Vec<Box<str>>> = if negated { None } else { Some(Vec::new()) };
    for a in raw {
        validate::check_action(a, loc)?;
        if kind == PolicyKind::Trust && !negated && !validate::is_trust_action(a) {
            return Err(PolicyError::malformed(
                "AssumeRole policy may only specify STS AssumeRole actions.",
                &format!("(action \"{a}\")"),
                loc.clone().with_element(element),
            ));
        }
        let toks = tokenize(
            a,
            Syntax {
                wildcards: true,
                variables: false,
            },
        );
        patterns.push(Matcher::new(toks, Case::AsciiInsensitive));
        let prefix = a.split_once(':').map(|(p, _)| p).unwrap_or("*");
        if prefix.contains(['*', '?']) {
            services = None;
        } else if let Some(list) = services.as_mut() {
            let lower: Box<str> = prefix.to_ascii_lowercase().into();
            if !list.contains(&lower) {
                list.push(lower);
            }
        }
    }
    Ok(ActionClause {
        negated,
        patterns,
        services,
    })
}

fn parse_resources(
    item: &Json,
    kind: PolicyKind,
    version: Version,
    loc: &Location,
) -> Result<Option<ResourceClause>, PolicyError> {
    let picked = pick(item, "Resource", "NotResource", loc)?;
    if kind == PolicyKind::Trust {
        return match picked {
            None => Ok(None),
            Some((_, negated)) => {
                let element = if negated { "NotResource" } else { "Resource" };
                Err(PolicyError::malformed(
                    &format!("Has prohibited field {element}"),
                    "",
                    loc.clone().with_element(element),
                ))
            }
        };
    }
    const NO_RESOURCES: &str = "Policy statement must contain resources.";
    let Some((value, negated)) = picked else {
        return Err(PolicyError::malformed(NO_RESOURCES, "", loc.clone()));
    };
    let element = if negated { "NotResource" } else { "Resource" };
    let raw = strings(value, element, loc)?;
    if raw.is_empty() {
        return Err(PolicyError::malformed(
            NO_RESOURCES,
            "",
            loc.clone().with_element(element),
        ));
    }
    let vars = if version.has_variables() {
        ArnVars::ResourcePart
    } else {
        ArnVars::None
    };
    let mut patterns = Vec::with_capacity(raw.len());
    for r in raw {
        validate::check_resource(r, loc)?;
        patterns.push(ArnPattern::new(r, vars, true));
    }
    Ok(Some(ResourceClause { negated, patterns }))
}

fn parse_conditions(
    value: &Json,
    version: Version,
    loc: &Location,
) -> Result<Vec<Condition>, PolicyError> {
    let cloc = loc.clone().with_element("Condition");
    let Json::Object(ops) = value else {
        return Err(PolicyError::syntax(
            &format!("Condition must be an object, not {}", value.type_name()),
            cloc,
        ));
    };
    let mut out = Vec::new();
    for (op_name, block) in ops {
        let op = match Operator::parse(op_name) {
            Ok(op) => op,
            Err(OperatorError::Unknown) => {
                return Err(PolicyError::malformed(
                    &format!("Invalid Condition type : {op_name}."),
                    "",
                    cloc,
                ));
            }
            Err(OperatorError::NullIfExists) => {
                return Err(PolicyError::malformed(
                    &format!("Invalid Condition type : {op_name}."),
                    "(IfExists cannot be used with the Null operator)",
                    cloc,
                ));
            }
        };
        let Json::Object(keys) = block else {
            return Err(PolicyError::syntax(
                &format!(
                    "condition {op_name} must map keys to values, not {}",
                    block.type_name()
                ),
                cloc,
            ));
        };
        if keys.is_empty() {
            return Err(PolicyError::syntax(
                &format!("condition {op_name} has no keys"),
                cloc,
            ));
        }
        for (key, values) in keys {
            if key.is_empty() {
                return Err(PolicyError::syntax(
                    &format!("condition {op_name} has an empty key"),
                    cloc,
                ));
            }
            let raw = condition_values(values, op_name, key, &cloc)?;
            let cond = Condition::compile(op, key, &raw, version.has_variables())
                .map_err(|d| PolicyError::syntax(&d, cloc.clone()))?;
            out.push(cond);
        }
    }
    Ok(out)
}

/// Condition values: strings, numbers or booleans, alone or in a non-empty list.
fn condition_values(
    value: &Json,
    op: &str,
    key: &str,
    loc: &Location,
) -> Result<Vec<String>, PolicyError> {
    let scalar = |v: &Json| {
        match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(PolicyError::syntax(
            &format!("condition {op} value for key \"{key}\" must be a string, number or boolean, not {}", other.type_name()),
            loc.clone(),
        )),
    }
    };
    match value {
        Json::Array(items) if items.is_empty() => Err(PolicyError::syntax(
            &format!("condition {op} key \"{key}\" has no values"),
            loc.clone(),
        )),
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}
