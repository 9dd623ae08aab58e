//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…::message`), so findings
//! show as annotations on the pull request without code scanning, as Ruff's `--output-format github`.
//! Most severe first (GitHub shows a limited number of annotations per step), then tool errors and
//! warnings; suppressed and baselined findings are left out; the verdict ends the output.

use super::Report;
use crate::finding::{Finding, NoteLevel, Severity};
use std::fmt::Write;

/// Escape a workflow command's message (GitHub toolkit `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command property (GitHub toolkit `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(kind: &str, props: &[(&str, String)], message: &str) -> String {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    if props.is_empty() {
        format!("::{kind}::{}", escape_data(message))
    } else {
        format!("::{kind} {}::{}", props.join(","), escape_data(message))
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

fn annotation(report: &Report, f: &Finding) -> String {
    let loc = &f.location;
    let mut props = vec![
        ("file", super::workspace_path(report.result, &loc.path)),
        ("line", loc.start_line.max(1).to_string()),
    ];
    let end_line = loc.end_line.max(loc.start_line).max(1);
    if end_line != loc.start_line.max(1) {
        props.push(("endLine", end_line.to_string()));
    }
    if !(loc.start_column <= 1 && loc.end_column <= 1) {
        props.push(("col", loc.start_column.max(1).to_string()));
        if end_line == loc.start_line.max(1) && loc.end_column > loc.start_column {
            props.push(("endColumn", loc.end_column.to_string()));
        }
    }
    let title = match report.result.rule(&f.rule_id) {
        Some(r) if r.title != r.id => format!("{} ({}): {}", f.rule_id, f.severity, r.title),
        _ => format!("{} ({})", f.rule_id, f.severity),
    };
    props.push(("title", title));
    let mut msg = f.message.clone();
    if let Some(r) = &f.remediation {
        let _ = write!(msg, "\nFix: {r}");
    }
    command(level(f.severity), &props, &msg)
}

pub fn render(report: &Report) -> String {
    let r = report.result;
    let mut shown: Vec<&Finding> = r.findings.iter().filter(|f| f.counts_for_gate()).collect();
    // most severe first, then the findings' own order (stable sort)
    shown.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut out = String::new();
    for f in shown {
        out.push_str(&annotation(report, f));
        out.push('\n');
    }
    for n in &r.notifications {
        let kind = match n.level {
            NoteLevel::Error => "error",
            NoteLevel::Warning => "warning",
            NoteLevel::Note => continue,
        };
        let mut props = Vec::new();
        if let Some(p) = &n.path {
            props.push(("file", super::workspace_path(r, p)));
            if let Some(l) = n.line {
                props.push(("line", l.max(1).to_string()));
            }
        }
        props.push(("title", format!("tollgate: {}", n.code)));
        out.push_str(&command(kind, &props, &n.message));
        out.push('\n');
    }
    out.push_str(&escape_data(&report.verdict.reason));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_actions_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(
            command(
                "error",
                &[("file", "x,y.py".into()), ("title", "T: 1".into())],
                "m:1,2"
            ),
            "::error file=x%2Cy.py,title=T%3A 1::m:1,2"
        );
        assert_eq!(command("warning", &[], "a\nb"), "::warning::a%0Ab");
    }
}
