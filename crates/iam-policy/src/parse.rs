//! Policy text → [`Policy`]: AWS's checks in AWS's order (see `VALIDATION.md`), then
//! compilation of each element into matchers.
//!
//! The order, each stage over the whole document before the next:
//! 1. the text: transport length, character set, size (`validate`);
//! 2. the JSON shape: `Syntax errors in policy.` (`syntax`);
//! 3. `Version` for managed policies;
//! 4. legacy parsing: Effect case and Date values (`legacy`), then the resource scan
//!    (`resource_arn`), which fails at once on a legacy resource error and keeps the first
//!    format error;
//! 5. Sids: unique, then alphanumeric;
//! 6. every statement has actions;
//! 7. the kept resource format error;
//! 8. action formats;
//! 9. every statement has resources (not trust policies);
//! 10. per statement: the policy kind's Principal/Resource/action rules and the values of
//!     non-date conditions, while compiling.

use crate::arn::{ArnPattern, ArnVars};
use crate::condition::Condition;
use crate::error::{Location, PolicyError};
use crate::glob::{Case, Matcher};
use crate::json::Json;
use crate::policy::{
    ActionClause, Effect, Policy, PolicyKind, PrincipalClause, ResourceClause, Statement, Version,
};
use crate::principal::PrincipalSpec;
use crate::syntax::{self, RawStatement};
use crate::variables::{tokenize, Syntax};
use crate::{legacy, resource_arn, validate};

/// Options for [`parse_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Enforce the kind's size limit and the transport length (default true). Simulators
    /// that evaluate documents never stored may turn it off.
    pub enforce_size: bool,
    /// Apply AWS's rules beyond the grammar (default true): the `Version` a managed policy
    /// needs, "legacy parsing" and the resource ARN formats (`VALIDATION.md`). Off for
    /// documents already stored — accepted by an earlier build's rules, they must still
    /// evaluate — and for the apply of a cluster that has not finalized the release that
    /// brought these rules (every replica must accept what the others accept).
    pub aws_rules: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            enforce_size: true,
            aws_rules: true,
        }
    }
}

impl ParseOptions {
    /// A document that was accepted when it was stored: grammar only, no size limit.
    pub fn stored() -> Self {
        ParseOptions {
            enforce_size: false,
            aws_rules: false,
        }
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
        .map_err(|e| PolicyError::syntax(&format!("({})", json_detail(&e)), Location::default()))?;
    parse_json(&json, kind, size, options.aws_rules)
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

const NO_ACTIONS: &str = "Policy statement must contain actions.";
const NO_RESOURCES: &str = "Policy statement must contain resources.";

/// Parses an already-read JSON document.
pub(crate) fn parse_json(
    json: &Json,
    kind: PolicyKind,
    size: usize,
    aws_rules: bool,
) -> Result<Policy, PolicyError> {
    let shape = syntax::check(json)?;
    let version = shape.version;
    if aws_rules && kind.requires_version() && version != Version::V2012_10_17 {
        return Err(PolicyError::malformed(
            "Policy document must be version 2012-10-17 or greater.",
            &format!(
                "(a {} policy needs \"Version\": \"2012-10-17\")",
                kind.name()
            ),
            Location::default().with_element("Version"),
        ));
    }
    let statements = &shape.statements;
    let resource_error = if aws_rules {
        for st in statements {
            legacy::check_statement(st)?;
        }
        resource_arn::scan(statements)?
    } else {
        for st in statements {
            legacy::check_effect(st)?;
        }
        None
    };
    check_sids(statements, kind)?;
    for st in statements {
        if st.action.as_ref().is_none_or(|(a, _)| a.is_empty()) {
            let loc = match st.action {
                Some(_) => st.loc().with_element(st.action_element()),
                None => st.loc(),
            };
            return Err(PolicyError::malformed(NO_ACTIONS, "", loc));
        }
    }
    if let Some(e) = resource_error {
        return Err(e);
    }
    for st in statements {
        let loc = st.loc();
        for a in st.action.iter().flat_map(|(a, _)| a) {
            validate::check_action(a, st.action_element(), &loc)?;
        }
    }
    if kind != PolicyKind::Trust {
        for st in statements {
            if st.resource.as_ref().is_none_or(|(r, _)| r.is_empty()) {
                let loc = match st.resource {
                    Some(_) => st.loc().with_element(st.resource_element()),
                    None => st.loc(),
                };
                return Err(PolicyError::malformed(NO_RESOURCES, "", loc));
            }
        }
    }
    let compiled = statements
        .iter()
        .map(|st| statement(st, kind, version))
        .collect::<Result<_, _>>()?;
    Ok(Policy {
        kind,
        version,
        id: shape.id.map(str::to_owned),
        statements: compiled,
        size,
    })
}

/// Non-empty Sids must be unique; IAM's own kinds also want them alphanumeric.
fn check_sids(statements: &[RawStatement<'_>], kind: PolicyKind) -> Result<(), PolicyError> {
    for (i, st) in statements.iter().enumerate() {
        let Some(sid) = st.sid.filter(|s| !s.is_empty()) else {
            continue;
        };
        if statements[..i].iter().any(|s| s.sid == Some(sid)) {
            return Err(PolicyError::malformed(
                "Statement IDs (SID) in a single policy must be unique.",
                "",
                st.loc().with_element("Sid"),
            ));
        }
    }
    for st in statements {
        if let Some(sid) = st.sid {
            validate::check_sid(sid, kind, &st.loc())?;
        }
    }
    Ok(())
}

/// The kind's rules for one statement, and its compilation.
fn statement(
    st: &RawStatement<'_>,
    kind: PolicyKind,
    version: Version,
) -> Result<Statement, PolicyError> {
    let loc = st.loc();
    let effect = if st.effect == "Allow" {
        Effect::Allow
    } else {
        Effect::Deny
    };
    let principal = parse_principal(st.principal, kind, &loc)?;
    let action = compile_actions(st, kind, &loc)?;
    let resource = compile_resources(st, kind, version, &loc)?;
    let mut conditions = Vec::new();
    for block in &st.conditions {
        for (key, values) in &block.keys {
            let cond = Condition::compile(block.op, key, values, version.has_variables()).map_err(
                |d| PolicyError::syntax(&format!("({d})"), loc.clone().with_element("Condition")),
            )?;
            conditions.push(cond);
        }
    }
    Ok(Statement {
        sid: st.sid.map(Into::into),
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

fn parse_principal(
    picked: Option<(&Json, bool)>,
    kind: PolicyKind,
    loc: &Location,
) -> Result<Option<PrincipalClause>, PolicyError> {
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
                let values = syntax::strings(v, element, loc)?;
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

fn compile_actions(
    st: &RawStatement<'_>,
    kind: PolicyKind,
    loc: &Location,
) -> Result<ActionClause, PolicyError> {
    let element = st.action_element();
    let (raw, negated) = match &st.action {
        Some((raw, negated)) => (raw.as_slice(), *negated),
        None => (&[][..], false),
    };
    let mut patterns = Vec::with_capacity(raw.len());
    let mut services: Option<Vec<Box<str>>> = if negated { None } else { Some(Vec::new()) };
    for a in raw {
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

fn compile_resources(
    st: &RawStatement<'_>,
    kind: PolicyKind,
    version: Version,
    loc: &Location,
) -> Result<Option<ResourceClause>, PolicyError> {
    let Some((raw, negated)) = &st.resource else {
        return Ok(None);
    };
    if kind == PolicyKind::Trust {
        return Err(PolicyError::malformed(
            &format!("Has prohibited field {}", st.resource_element()),
            "",
            loc.clone().with_element(st.resource_element()),
        ));
    }
    let vars = if version.has_variables() {
        ArnVars::ResourcePart
    } else {
        ArnVars::None
    };
    let patterns = raw.iter().map(|r| ArnPattern::new(r, vars, true)).collect();
    Ok(Some(ResourceClause {
        negated: *negated,
        patterns,
    }))
}
