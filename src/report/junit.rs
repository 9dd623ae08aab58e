//! `--format junit`: JUnit XML for the test reports of Jenkins, GitLab and CircleCI. One `testsuite` per
//! rule (as Ruff groups by file and Semgrep by rule) with one `testcase` per finding: a `failure` when it
//! fails the gate, `skipped` when suppressed or in the baseline, a pass with the finding in `system-out`
//! when it is below its job's threshold. A first suite, `tollgate`, holds the gate itself (so a clean scan
//! is one passing test, never an empty report a CI system rejects) and every tool error.
//! The shape follows Jenkins' junit-10 schema; `tests/schemas/junit.xsd` checks it.

use super::Report;
use crate::config::FailOn;
use crate::finding::{Finding, NoteLevel};
use crate::gate::Outcome;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escape text for an XML 1.0 attribute or element: markup characters as entities, characters XML 1.0
/// cannot carry (most control characters) as U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// [`escape`] for element text, where line breaks and tabs can stay as they are.
pub fn escape_text(s: &str) -> String {
    escape(s)
        .replace("&#10;", "\n")
        .replace("&#9;", "\t")
        .replace("&#13;", "\r")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Failure,
    Skipped,
    Passed,
}

fn status(report: &Report, f: &Finding) -> Status {
    if !f.counts_for_gate() {
        return Status::Skipped;
    }
    let threshold: FailOn = report
        .verdict
        .thresholds
        .get(&f.job)
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    if threshold.fails(f.severity) {
        Status::Failure
    } else {
        Status::Passed
    }
}

fn details(report: &Report, f: &Finding) -> String {
    let loc = &f.location;
    let mut d = format!(
        "{}:{}:{}: {} [{} {}]",
        super::workspace_path(report.result, &loc.path),
        loc.start_line,
        loc.start_column,
        f.message,
        f.job,
        f.severity
    );
    if let Some(s) = &f.snippet {
        let _ = write!(d, "\n  {}", crate::text::clip(s, 200));
    }
    if let Some(r) = &f.remediation {
        let _ = write!(d, "\nFix: {r}");
    }
    if let Some(s) = &f.suppression {
        let _ = write!(d, "\nSuppressed: {}", s.justification);
    }
    d
}

struct Suite {
    name: String,
    cases: Vec<String>,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Suite {
    fn new(name: &str) -> Self {
        Suite {
            name: name.to_string(),
            cases: Vec::new(),
            failures: 0,
            errors: 0,
            skipped: 0,
        }
    }
}

fn case(name: &str, classname: &str, body: &str) -> String {
    if body.is_empty() {
        format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"/>\n",
            escape(name),
            escape(classname)
        )
    } else {
        format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">\n{body}    </testcase>\n",
            escape(name),
            escape(classname)
        )
    }
}

pub fn render(report: &Report) -> String {
    let r = report.result;
    let v = report.verdict;

    let mut gate = Suite::new("tollgate");
    let body = match v.outcome {
        Outcome::Passed => String::new(),
        Outcome::Failed => {
            gate.failures += 1;
            format!(
                "      <failure message=\"{}\" type=\"gate\"/>\n",
                escape(&v.reason)
            )
        }
        Outcome::Error => {
            gate.errors += 1;
            format!(
                "      <error message=\"{}\" type=\"gate\"/>\n",
                escape(&v.reason)
            )
        }
    };
    gate.cases.push(case("gate", "tollgate", &body));
    for n in r
        .notifications
        .iter()
        .filter(|n| n.level == NoteLevel::Error)
    {
        gate.errors += 1;
        let name = match (&n.path, n.line) {
            (Some(p), Some(l)) => format!("{}: {p}:{l}", n.code),
            (Some(p), None) => format!("{}: {p}", n.code),
            _ => n.code.clone(),
        };
        let body = format!(
            "      <error message=\"{}\" type=\"{}\"/>\n",
            escape(&n.message),
            escape(&n.code)
        );
        gate.cases.push(case(&name, "tollgate.errors", &body));
    }

    let mut by_rule: BTreeMap<&str, Suite> = BTreeMap::new();
    for f in &r.findings {
        let suite = by_rule
            .entry(f.rule_id.as_str())
            .or_insert_with(|| Suite::new(&f.rule_id));
        let path = super::workspace_path(r, &f.location.path);
        let name = format!(
            "{path}:{}:{}",
            f.location.start_line, f.location.start_column
        );
        let classname = format!("{}.{}", f.job, f.rule_id);
        let d = details(report, f);
        let body = match status(report, f) {
            Status::Failure => {
                suite.failures += 1;
                format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    escape(&f.message),
                    f.severity,
                    escape_text(&d)
                )
            }
            Status::Skipped => {
                suite.skipped += 1;
                let why = if f.suppression.is_some() {
                    "suppressed"
                } else {
                    "in the baseline"
                };
                format!(
                    "      <skipped message=\"{why}\"/>\n      <system-out>{}</system-out>\n",
                    escape_text(&d)
                )
            }
            Status::Passed => format!(
                "      <system-out>{}</system-out>\n",
                escape_text(&format!("below the gate threshold: {d}"))
            ),
        };
        suite.cases.push(case(&name, &classname, &body));
    }

    let suites: Vec<Suite> = std::iter::once(gate).chain(by_rule.into_values()).collect();
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| s.failures).sum();
    let errors: usize = suites.iter().map(|s| s.errors).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"tollgate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">"
    );
    for s in suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">",
            escape(&s.name),
            s.cases.len(),
            s.failures,
            s.errors,
            s.skipped
        );
        for c in &s.cases {
            out.push_str(c);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_xml_well_formed() {
        assert_eq!(
            escape("a<b>&\"c\"'\u{1}\u{7}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;\u{FFFD}\u{FFFD}&#10;"
        );
    }
}
