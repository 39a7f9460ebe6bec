//! The report behind `iamctl policy validate`: the parse error (if any) plus warnings about
//! documents that are valid but probably not what their author meant, and a guess of the
//! policy kind from the presence of Principal and Resource.

use serde::Serialize;

use crate::json::Json;
use crate::operator::{BaseOp, Operator, Qualifier};
use crate::parse::parse;
use crate::policy::PolicyKind;
use crate::variables::has_variable;

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// For errors the AWS code (`MalformedPolicyDocument`, `LimitExceeded`); for warnings a
    /// stable kebab-case id such as `full-admin`.
    pub code: &'static str,
    pub message: String,
    /// Zero-based statement index, when the finding is about one statement.
    pub statement: Option<usize>,
    pub sid: Option<String>,
}

/// The result of [`validate_document`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// The kind the document was validated as.
    #[serde(serialize_with = "kind_name")]
    pub kind: PolicyKind,
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

fn kind_name<S: serde::Serializer>(kind: &PolicyKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.name())
}

impl ValidationReport {
    /// True when there are no errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Guesses the kind of a document: with a Principal/NotPrincipal in any statement it is a
/// resource-based policy (a role trust policy if no statement has Resource/NotResource);
/// otherwise an identity-based managed policy. Unparseable text guesses `Managed`.
pub fn guess_kind(text: &str) -> PolicyKind {
    Json::parse(text).map_or(PolicyKind::Managed, |json| guess_kind_json(&json))
}

pub(crate) fn guess_kind_json(json: &Json) -> PolicyKind {
    let statements = statements(json);
    let has = |names: [&str; 2]| {
        statements
            .iter()
            .any(|s| names.iter().any(|n| s.get(n).is_some()))
    };
    if !has(["Principal", "NotPrincipal"]) {
        PolicyKind::Managed
    } else if has(["Resource", "NotResource"]) {
        PolicyKind::Resource
    } else {
        PolicyKind::Trust
    }
}

fn statements(json: &Json) -> Vec<&Json> {
    match json.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(obj @ Json::Object(_)) => vec![obj],
        _ => Vec::new(),
    }
}

/// Validates `text` as `kind`: errors (at most one: parsing stops at the first problem) and
/// warnings.
pub fn validate_document(text: &str, kind: PolicyKind) -> ValidationReport {
    let mut report = ValidationReport {
        kind,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    if let Err(e) = parse(text, kind) {
        report.errors.push(Finding {
            code: e.code(),
            message: e.message().to_owned(),
            statement: e.location().statement,
            sid: e.location().sid.clone(),
        });
    }
    if let Ok(json) = Json::parse(text) {
        warn_document(&json, kind, &mut report.warnings);
    }
    report
}

/// [`validate_document`] with the kind from [`guess_kind`].
pub fn validate_document_auto(text: &str) -> ValidationReport {
    validate_document(text, guess_kind(text))
}

fn warn_document(json: &Json, kind: PolicyKind, out: &mut Vec<Finding>) {
    let version = json.get("Version");
    let legacy = !matches!(version, Some(Json::String(v)) if v == "2012-10-17");
    if version.is_none() {
        out.push(doc_finding(
            "version-missing",
            "no Version element: the document is read as 2008-10-17; add \"Version\": \"2012-10-17\"",
        ));
    }
    if legacy && has_variable(&json.to_text()) {
        out.push(doc_finding(
            "variables-literal",
            "policy variables such as ${aws:username} are literal text unless Version is \"2012-10-17\"",
        ));
    }
    if kind.is_identity() && json.get("Id").is_some() {
        out.push(doc_finding(
            "id-ignored",
            "the Id element is meant for resource-based policies; IAM ignores it here",
        ));
    }
    for (i, stmt) in statements(json).into_iter().enumerate() {
        warn_statement(stmt, i, out);
    }
}

fn doc_finding(code: &'static str, message: &str) -> Finding {
    Finding {
        code,
        message: message.to_owned(),
        statement: None,
        sid: None,
    }
}

fn values(v: Option<&Json>) -> Vec<&str> {
    match v {
        Some(Json::String(s)) => vec![s.as_str()],
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Json::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn warn_statement(stmt: &Json, index: usize, out: &mut Vec<Finding>) {
    let sid = match stmt.get("Sid") {
        Some(Json::String(s)) => Some(s.clone()),
        _ => None,
    };
    let mut warn = |code: &'static str, message: String| {
        out.push(Finding {
            code,
            message,
            statement: Some(index),
            sid: sid.clone(),
        });
    };
    let allow = matches!(stmt.get("Effect"), Some(Json::String(e)) if e == "Allow");
    let actions = values(stmt.get("Action"));
    let not_actions = values(stmt.get("NotAction"));
    let resources = values(stmt.get("Resource"));
    let not_resources = values(stmt.get("NotResource"));
    if not_actions.contains(&"*") {
        warn(
            "never-matches",
            "NotAction \"*\" excludes every action, so the statement never matches".into(),
        );
    }
    if not_resources.contains(&"*") {
        warn(
            "never-matches",
            "NotResource \"*\" excludes every resource, so the statement never matches".into(),
        );
    }
    let not_principal_any = match stmt.get("NotPrincipal") {
        Some(Json::String(s)) => s == "*",
        Some(p @ Json::Object(_)) => values(p.get("AWS")).contains(&"*"),
        _ => false,
    };
    if not_principal_any {
        warn(
            "never-matches",
            "NotPrincipal \"*\" excludes every principal, so the statement never matches".into(),
        );
    }
    if allow && actions.contains(&"*") && !not_resources.is_empty() {
        warn(
            "action-star-not-resource",
            "Allow with Action \"*\" and NotResource grants every action on every other resource, \
             including ones that do not exist yet"
                .into(),
        );
    }
    if allow && actions.contains(&"*") && resources.contains(&"*") {
        warn(
            "full-admin",
            "Allow with Action \"*\" on Resource \"*\" grants full administrator access".into(),
        );
    }
    if allow && !not_actions.is_empty() && !not_actions.contains(&"*") {
        warn(
            "allow-not-action",
            "Allow with NotAction grants every action of every service except those listed; \
             consider a Deny or an explicit Action list"
                .into(),
        );
    }
    if let Some(Json::Object(ops)) = stmt.get("Condition") {
        for (op_name, block) in ops {
            let Ok(op) = Operator::parse(op_name) else {
                continue;
            };
            let Json::Object(keys) = block else { continue };
            for (key, _) in keys {
                warn_condition(op, op_name, key, allow, &mut warn);
            }
        }
    }
}

/// Global keys that always hold one value; set qualifiers on them are a mistake.
const SINGLE_VALUED: [&str; 12] = [
    "aws:sourceip",
    "aws:currenttime",
    "aws:epochtime",
    "aws:securetransport",
    "aws:username",
    "aws:userid",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principaltype",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:requestedregion",
];

fn warn_condition(
    op: Operator,
    op_name: &str,
    key: &str,
    allow: bool,
    warn: &mut impl FnMut(&'static str, String),
) {
    if !key.contains(':') {
        warn(
            "condition-key-prefix",
            format!("condition key \"{key}\" has no \"aws:\" or service prefix, so no request will have it"),
        );
    }
    if op.qualifier.is_some() && SINGLE_VALUED.contains(&key.to_lowercase().as_str()) {
        warn(
            "qualifier-on-single-valued-key",
            format!("{op_name} on the single-valued key \"{key}\": set qualifiers are for multi-valued keys"),
        );
    }
    if op.qualifier == Some(Qualifier::ForAllValues)
        && allow
        && !op.if_exists
        && op.base != BaseOp::Null
    {
        warn(
            "for-all-values-allow",
            format!(
                "{op_name} with Allow is also true when \"{key}\" is missing or empty; \
                 add a Null condition on the key if that is not intended"
            ),
        );
    }
    if op.qualifier.is_some() && op.base == BaseOp::Null {
        warn(
            "qualifier-on-null",
            format!("{op_name}: set qualifiers have no meaning with Null"),
        );
    }
}
