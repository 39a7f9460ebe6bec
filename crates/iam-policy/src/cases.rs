//! The offline case runner: one JSON line in (policies, principal, action, resource,
//! context), one JSON line out (decision and matched statements), or an error line naming the
//! input line. Pure: the caller supplies the reader and writer.

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::compile::CompiledSet;
use crate::context::Context;
use crate::eval::{explain, Policies, Request};
use crate::json::Json;
use crate::parse::{parse_with, ParseOptions};
use crate::policy::PolicyKind;
use crate::report::guess_kind_json;

#[derive(Serialize)]
struct CaseOutput<'a> {
    id: &'a Json,
    decision: &'static str,
    matched: Vec<MatchedOut>,
}

#[derive(Serialize)]
struct MatchedOut {
    policy: String,
    statement: usize,
    sid: Option<String>,
    effect: &'static str,
}

#[derive(Serialize)]
struct CaseError<'a> {
    id: &'a Json,
    line: usize,
    error: String,
}

/// Counts from [`run_cases`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseStats {
    /// Lines decided.
    pub cases: usize,
    /// Lines answered with an error.
    pub errors: usize,
}

/// Runs one case line (`line_no` is reported in error lines) and returns the output line
/// (without a newline).
pub fn run_case_line(line: &str, line_no: usize) -> String {
    run_line(line, line_no).0
}

/// Runs every non-blank line of `input`, writing one output line per case to `out`.
pub fn run_cases(input: impl BufRead, mut out: impl Write) -> io::Result<CaseStats> {
    let mut stats = CaseStats::default();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let (text, ok) = run_line(&line, i + 1);
        if ok {
            stats.cases += 1;
        } else {
            stats.errors += 1;
        }
        writeln!(out, "{text}")?;
    }
    Ok(stats)
}

fn run_line(line: &str, line_no: usize) -> (String, bool) {
    let json = match Json::parse(line) {
        Ok(j) => j,
        Err(e) => {
            return (
                error_line(&Json::Null, line_no, format!("invalid JSON: {e}")),
                false,
            )
        }
    };
    let id = json.get("id").unwrap_or(&Json::Null);
    match decide(&json) {
        Ok(output) => (
            to_line(&CaseOutput {
                id,
                decision: output.0,
                matched: output.1,
            }),
            true,
        ),
        Err(message) => (error_line(id, line_no, message), false),
    }
}

fn error_line(id: &Json, line: usize, error: String) -> String {
    to_line(&CaseError { id, line, error })
}

fn to_line<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot encode output: {e}\"}}"))
}

fn decide(case: &Json) -> Result<(&'static str, Vec<MatchedOut>), String> {
    if !matches!(case, Json::Object(_)) {
        return Err(format!(
            "a case must be a JSON object, not {}",
            case.type_name()
        ));
    }
    let identity_docs = match case.get("identity_policies") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items.iter().collect(),
        Some(other) => {
            return Err(format!(
                "identity_policies must be a list, not {}",
                other.type_name()
            ))
        }
    };
    let mut identity = Vec::with_capacity(identity_docs.len());
    for (i, doc) in identity_docs.into_iter().enumerate() {
        let label = format!("identity[{i}]");
        // Identity policies of unknown storage: validated as inline policies, which (unlike
        // managed policies) may omit the Version or use 2008-10-17.
        let policy = load(doc, Some(PolicyKind::RoleInline), &label)?;
        identity.push((label, policy));
    }
    let identity = CompiledSet::new(identity);
    let single = |field: &str,
                  label: &str,
                  kind: Option<PolicyKind>|
     -> Result<Option<CompiledSet>, String> {
        match case.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(doc) => Ok(Some(CompiledSet::new([(label, load(doc, kind, field)?)]))),
        }
    };
    let boundary = single(
        "permission_boundary",
        "permission_boundary",
        Some(PolicyKind::Boundary),
    )?;
    let session = single(
        "session_policy",
        "session_policy",
        Some(PolicyKind::Session),
    )?;
    let resource = single("resource_policy", "resource_policy", None)?;

    let request = case.get("request").ok_or("missing \"request\"")?;
    let field = |name: &str| match request.get(name) {
        Some(Json::String(s)) => Ok(s.as_str()),
        Some(other) => Err(format!(
            "request.{name} must be a string, not {}",
            other.type_name()
        )),
        None => Err(format!("missing request.{name}")),
    };
    let (principal, action, resource_arn) =
        (field("principal")?, field("action")?, field("resource")?);
    let context = context(request.get("context"))?;

    let mut policies = Policies::new(&identity);
    policies.boundary = boundary.as_ref();
    policies.session = session.as_ref();
    policies.resource = resource.as_ref();
    let req = Request::new(principal, action, resource_arn, &context);
    let explanation = explain(&req, &policies);
    let matched = explanation
        .matched
        .into_iter()
        .map(|m| MatchedOut {
            policy: m.policy.to_string(),
            statement: m.statement,
            sid: m.sid,
            effect: m.effect.as_str(),
        })
        .collect();
    Ok((explanation.verdict.as_str(), matched))
}

/// A policy given as a JSON object or as a string holding the document. Without a kind, it
/// is guessed: a resource policy without Resource elements is a role trust policy.
fn load(doc: &Json, kind: Option<PolicyKind>, label: &str) -> Result<Arc<crate::Policy>, String> {
    let text = match doc {
        Json::String(s) => s.clone(),
        Json::Object(_) => doc.to_text(),
        other => {
            return Err(format!(
                "{label}: a policy must be a JSON object or string, not {}",
                other.type_name()
            ))
        }
    };
    let kind = match kind {
        Some(k) => k,
        None => Json::parse(&text).map_or(PolicyKind::Resource, |j| match guess_kind_json(&j) {
            PolicyKind::Trust => PolicyKind::Trust,
            _ => PolicyKind::Resource,
        }),
    };
    parse_with(
        &text,
        kind,
        // Cases ask for decisions: the grammar alone, as for stored documents.
        ParseOptions::stored(),
    )
    .map(Arc::new)
    .map_err(|e| format!("{label}: {}: {}", e.code(), e.message()))
}

fn context(value: Option<&Json>) -> Result<Context, String> {
    let entries = match value {
        None | Some(Json::Null) => return Ok(Context::new()),
        Some(Json::Object(entries)) => entries,
        Some(other) => {
            return Err(format!(
                "request.context must be an object, not {}",
                other.type_name()
            ))
        }
    };
    let mut ctx = Context::with_capacity(entries.len());
    for (key, v) in entries {
        match v {
            Json::Array(items) => {
                let list = items
                    .iter()
                    .map(|i| scalar(key, i))
                    .collect::<Result<Vec<_>, _>>()?;
                ctx.insert_list(key, list);
            }
            other => {
                ctx.insert(key, scalar(key, other)?);
            }
        }
    }
    Ok(ctx)
}

fn scalar(key: &str, v: &Json) -> Result<String, String> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(format!(
            "context value of \"{key}\" must be a string or a list of strings, not {}",
            other.type_name()
        )),
    }
}
