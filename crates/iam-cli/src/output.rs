//! Rendering results as aligned tables or JSON (the only module that prints results).

use clap::ValueEnum;
use serde_json::Value;

/// How results are shown (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
}

/// Prints rows as a table (with a header) or as JSON (`json` is what JSON output shows).
pub(crate) fn print(format: OutputFormat, headers: &[&str], rows: &[Vec<String>], json: &Value) {
    match format {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(json).unwrap_or_default());
        }
        OutputFormat::Table => println!("{}", table(headers, rows)),
    }
}

pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.iter().map(|r| line(r.clone())));
    out.join("\n")
}

/// Prints text as it is (e.g. a CSV report).
pub(crate) fn print_text(text: &str) {
    println!("{text}");
}

/// A hint below a table (on stderr, so that stdout stays the table).
pub(crate) fn note(text: &str) {
    eprintln!("{text}");
}
