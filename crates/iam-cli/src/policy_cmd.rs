//! Offline policy commands: `iamctl policy validate` and `iamctl policy eval`. They use the
//! policy engine directly and need no cluster.

use crate::output::{print, OutputFormat};
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use iam_policy::{validate_document, validate_document_auto, PolicyKind, ValidationReport};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// Guess from the document: Principal present means a resource policy.
    Auto,
    Managed,
    UserInline,
    GroupInline,
    RoleInline,
    Trust,
    Resource,
    Boundary,
    Session,
}

/// The offline policy verbs (flattened into `iamctl policy`).
#[derive(Debug, Subcommand)]
pub(crate) enum OfflinePolicyCmd {
    /// Report errors and warnings for policy documents (exit 1 if any has errors).
    Validate {
        /// Policy files (`-` for standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// What kind of policy the files are (decides Principal rules and size limits).
        #[arg(long, value_enum, default_value = "auto")]
        kind: KindArg,
    },
    /// Evaluate JSON-lines test cases and print one JSON line per case (exit 1 if any line
    /// could not be evaluated).
    Eval {
        /// Cases file (`-` for standard input).
        #[arg(long)]
        cases: PathBuf,
    },
}

fn kind(k: KindArg) -> Option<PolicyKind> {
    Some(match k {
        KindArg::Auto => return None,
        KindArg::Managed => PolicyKind::Managed,
        KindArg::UserInline => PolicyKind::UserInline,
        KindArg::GroupInline => PolicyKind::GroupInline,
        KindArg::RoleInline => PolicyKind::RoleInline,
        KindArg::Trust => PolicyKind::Trust,
        KindArg::Resource => PolicyKind::Resource,
        KindArg::Boundary => PolicyKind::Boundary,
        KindArg::Session => PolicyKind::Session,
    })
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(text)
}

pub(crate) fn run(cmd: OfflinePolicyCmd, output: OutputFormat) -> anyhow::Result<u8> {
    match cmd {
        OfflinePolicyCmd::Validate { files, kind: k } => validate(&files, kind(k), output),
        OfflinePolicyCmd::Eval { cases } => eval(&cases),
    }
}

fn validate(
    files: &[std::path::PathBuf],
    kind: Option<PolicyKind>,
    output: OutputFormat,
) -> anyhow::Result<u8> {
    let mut reports: Vec<(String, ValidationReport)> = Vec::new();
    for f in files {
        let text = read_input(f)?;
        let report = match kind {
            Some(k) => validate_document(&text, k),
            None => validate_document_auto(&text),
        };
        reports.push((f.display().to_string(), report));
    }
    let mut rows = Vec::new();
    for (file, r) in &reports {
        for (level, findings) in [("error", &r.errors), ("warning", &r.warnings)] {
            for f in findings {
                let at = match (f.statement, &f.sid) {
                    (Some(i), Some(sid)) => format!("statement {i} ({sid})"),
                    (Some(i), None) => format!("statement {i}"),
                    _ => "document".into(),
                };
                rows.push(vec![
                    file.clone(),
                    level.into(),
                    f.code.into(),
                    at,
                    f.message.clone(),
                ]);
            }
        }
        if r.errors.is_empty() && r.warnings.is_empty() {
            rows.push(vec![
                file.clone(),
                "ok".into(),
                "-".into(),
                "-".into(),
                "valid".into(),
            ]);
        }
    }
    let list: Vec<_> = reports
        .iter()
        .map(|(f, r)| json!({"file": f, "report": r}))
        .collect();
    print(
        output,
        &["FILE", "LEVEL", "CODE", "WHERE", "MESSAGE"],
        &rows,
        &json!({ "results": list }),
    );
    Ok(u8::from(reports.iter().any(|(_, r)| !r.errors.is_empty())))
}

fn eval(cases: &Path) -> anyhow::Result<u8> {
    let input: Box<dyn BufRead> = if cases == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(cases)
            .with_context(|| format!("cannot read {}", cases.display()))?;
        Box::new(BufReader::new(f))
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let stats = iam_policy::run_cases(input, &mut out).context("cannot run cases")?;
    out.flush()?;
    Ok(u8::from(stats.errors > 0))
}
