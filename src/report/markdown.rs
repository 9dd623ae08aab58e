//! `--format markdown`: a summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment: the verdict, the
//! counts by job and severity, the most severe findings with links to their file and line, and the tool
//! errors. In a GitHub workflow the links point at the commit being scanned.

use super::Report;
use crate::finding::{Finding, NoteLevel, Severity};
use crate::gate::Outcome;
use std::fmt::Write;

/// How many findings the summary lists.
pub const TOP: usize = 20;

/// Where file links point: `{base}/{path}#L{line}`; relative paths when there is no base.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub base: Option<String>,
}

impl Links {
    /// `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA` when a GitHub workflow sets them.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let base = match (var("GITHUB_REPOSITORY"), var("GITHUB_SHA")) {
            (Some(repo), Some(sha)) => {
                let server =
                    var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
                Some(format!(
                    "{}/{}/blob/{}",
                    server.trim_end_matches('/'),
                    repo.trim_matches('/'),
                    sha
                ))
            }
            _ => None,
        };
        Links { base }
    }

    fn to(&self, path: &str, line: u32) -> String {
        let p = super::sarif::uri_encode(path);
        match &self.base {
            Some(b) => format!("{b}/{p}#L{line}"),
            None => format!("{p}#L{line}"),
        }
    }
}

/// Text safe in a markdown table cell: no line breaks, pipes escaped, no HTML.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn icon(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "✅",
        Outcome::Failed => "❌",
        Outcome::Error => "⚠️",
    }
}

pub fn render(report: &Report, links: &Links) -> String {
    let r = report.result;
    let v = report.verdict;
    let mut out = String::new();
    let title = match v.outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Error => "error",
    };
    let _ = writeln!(out, "## {} tollgate: {title}\n", icon(v.outcome));
    let _ = writeln!(out, "{}\n", cell(&v.reason));

    // counts by job and severity (findings that count for the gate)
    let counts = super::json::counts(report);
    let _ = writeln!(
        out,
        "| job | threshold | critical | high | medium | low | info | total |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|");
    let mut totals = [0usize; 5];
    for (job, m) in &counts {
        let row: Vec<usize> = Severity::ALL
            .iter()
            .map(|s| m.get(s).copied().unwrap_or(0))
            .collect();
        for (t, n) in totals.iter_mut().zip(&row) {
            *t += n;
        }
        let failed = if r.failed_jobs.contains(job) {
            " (could not run)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| {job}{failed} | {} | {} | {} | {} | {} | {} | {} |",
            v.thresholds.get(job).map(String::as_str).unwrap_or("-"),
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row.iter().sum::<usize>()
        );
    }
    let _ = writeln!(
        out,
        "| **total** | | {} | {} | {} | {} | {} | {} |\n",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals.iter().sum::<usize>()
    );
    let _ = writeln!(
        out,
        "{} file{} scanned; {} suppressed, {} in baseline.\n",
        r.stats.files,
        if r.stats.files == 1 { "" } else { "s" },
        v.suppressed,
        v.baselined
    );

    let mut top: Vec<&Finding> = r.findings.iter().filter(|f| f.counts_for_gate()).collect();
    top.sort_by_key(|f| std::cmp::Reverse(f.severity));
    if !top.is_empty() {
        let n = top.len();
        let _ = writeln!(
            out,
            "### {} finding{}\n",
            if n > TOP {
                format!("Top {TOP} of {n}")
            } else {
                n.to_string()
            },
            if n == 1 { "" } else { "s" }
        );
        let _ = writeln!(out, "| severity | rule | location | message |");
        let _ = writeln!(out, "|---|---|---|---|");
        for f in top.iter().take(TOP) {
            let path = super::workspace_path(r, &f.location.path);
            let line = f.location.start_line.max(1);
            let _ = writeln!(
                out,
                "| {} | `{}` | [{}:{line}]({}) | {} |",
                f.severity,
                cell(&f.rule_id),
                cell(&path),
                links.to(&path, line),
                cell(&f.message)
            );
        }
        out.push('\n');
    }

    let errors: Vec<_> = r
        .notifications
        .iter()
        .filter(|n| n.level == NoteLevel::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "### Errors\n");
        for n in errors {
            let _ = writeln!(out, "- `{}`: {}", cell(&n.code), cell(&n.message));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(
            cell("a|b\n<img src=x> `c` [l](u)"),
            "a\\|b &lt;img src=x&gt; 'c' \\[l\\](u)"
        );
    }

    #[test]
    fn links_use_the_commit_when_known() {
        let l = Links {
            base: Some("https://github.com/o/r/blob/abc".into()),
        };
        assert_eq!(
            l.to("a b/c.py", 3),
            "https://github.com/o/r/blob/abc/a%20b/c.py#L3"
        );
        assert_eq!(Links::default().to("c.py", 1), "c.py#L1");
    }
}
