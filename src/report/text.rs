//! Text for people: findings grouped by file with the redacted snippet and the fix, the notifications that
//! matter, a summary table (counts by job and severity) and the verdict line.

use super::Report;
use crate::finding::{Finding, JobKind, NoteLevel, Severity};
use crate::gate::Outcome;
use owo_colors::OwoColorize;
use std::collections::BTreeMap;
use std::fmt::Write;

struct Style {
    color: bool,
}

impl Style {
    fn sev(&self, s: Severity) -> String {
        let t = format!("{:<8}", s.as_str());
        if !self.color {
            return t;
        }
        match s {
            Severity::Critical => t.on_red().white().bold().to_string(),
            Severity::High => t.red().bold().to_string(),
            Severity::Medium => t.yellow().to_string(),
            Severity::Low => t.blue().to_string(),
            Severity::Info => t.dimmed().to_string(),
        }
    }
    fn bold(&self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }
    fn cyan(&self, s: &str) -> String {
        if self.color {
            s.cyan().to_string()
        } else {
            s.to_string()
        }
    }
    fn verdict(&self, outcome: Outcome, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        match outcome {
            Outcome::Passed => s.green().bold().to_string(),
            Outcome::Failed => s.red().bold().to_string(),
            Outcome::Error => s.magenta().bold().to_string(),
        }
    }
}

fn status_tag(f: &Finding) -> &'static str {
    if f.suppression.is_some() {
        " [suppressed]"
    } else if f.baseline_state == Some(crate::finding::BaselineState::Unchanged) {
        " [baseline]"
    } else {
        ""
    }
}

fn sca_upgrade(f: &Finding) -> Option<String> {
    if f.job != JobKind::Sca {
        return None;
    }
    let pkg = f.properties.get("package")?.as_str()?;
    let installed = f.properties.get("installed")?.as_str()?;
    let fixed = f
        .properties
        .get("fixed_overall")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| "no fixed version".to_string());
    Some(format!("{pkg} {installed} -> {fixed}"))
}

pub fn render(report: &Report, color: bool) -> String {
    let st = Style { color };
    let r = report.result;
    let mut out = String::new();

    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings {
        by_file.entry(f.location.path.as_str()).or_default().push(f);
    }
    for (path, fs) in &by_file {
        let _ = writeln!(out, "{}", st.bold(path));
        for f in fs {
            let pos = format!("{}:{}", f.location.start_line, f.location.start_column);
            let _ = writeln!(
                out,
                "  {:>8}  {} {}  {}{}",
                st.dim(&pos),
                st.sev(f.severity),
                st.cyan(&f.rule_id),
                f.message,
                st.dim(status_tag(f))
            );
            if let Some(up) = sca_upgrade(f) {
                let _ = writeln!(out, "            {} {}", st.dim("upgrade:"), up);
            }
            if let Some(snip) = &f.snippet {
                let s = crate::text::clip(snip, 160);
                if !s.is_empty() {
                    let _ = writeln!(out, "            {} {}", st.dim("│"), s);
                }
            }
            if f.code_flow.len() > 1 {
                for step in &f.code_flow {
                    let _ = writeln!(
                        out,
                        "            {} line {}: {}",
                        st.dim("↳"),
                        step.location.start_line,
                        step.message
                    );
                }
            }
            if let Some(fix) = &f.remediation {
                let first = fix.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                if !first.is_empty() {
                    let _ = writeln!(out, "            {} {}", st.dim("fix:"), first.trim());
                }
            }
        }
        out.push('\n');
    }

    // Notifications that need attention (warnings and errors), then a count of the rest.
    let important: Vec<_> = r
        .notifications
        .iter()
        .filter(|n| n.level >= NoteLevel::Warning)
        .collect();
    if !important.is_empty() {
        let _ = writeln!(out, "{}", st.bold("Notifications"));
        for n in important.iter().take(50) {
            let lvl = match n.level {
                NoteLevel::Error => "error",
                NoteLevel::Warning => "warning",
                NoteLevel::Note => "note",
            };
            let _ = writeln!(out, "  {lvl:<8} {}", n.message);
        }
        if important.len() > 50 {
            let _ = writeln!(
                out,
                "  ... and {} more (see --format json or sarif)",
                important.len() - 50
            );
        }
        out.push('\n');
    }

    // Summary table.
    let counts = super::json::counts(report);
    let _ = writeln!(out, "{}", st.bold("Summary"));
    let _ = writeln!(
        out,
        "  {:<10} {:>8} {:>6} {:>7} {:>5} {:>5} {:>6}",
        "job", "critical", "high", "medium", "low", "info", "total"
    );
    let mut totals = [0usize; 5];
    for (job, sev) in &counts {
        let row: Vec<usize> = Severity::ALL
            .iter()
            .map(|s| sev.get(s).copied().unwrap_or(0))
            .collect();
        for (t, n) in totals.iter_mut().zip(&row) {
            *t += n;
        }
        let _ = writeln!(
            out,
            "  {:<10} {:>8} {:>6} {:>7} {:>5} {:>5} {:>6}",
            job.as_str(),
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
        "  {:<10} {:>8} {:>6} {:>7} {:>5} {:>5} {:>6}",
        "total",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals.iter().sum::<usize>()
    );
    let skipped: usize = r.stats.skipped.values().sum();
    let mut line = format!("  {} files scanned", r.stats.files);
    if skipped > 0 {
        let parts: Vec<String> = r
            .stats
            .skipped
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        let _ = write!(line, ", {skipped} skipped ({})", parts.join(", "));
    }
    let _ = write!(
        line,
        "; {} suppressed, {} in baseline",
        report.verdict.suppressed, report.verdict.baselined
    );
    let _ = writeln!(out, "{line}");
    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        st.verdict(report.verdict.outcome, &report.verdict.reason)
    );
    out
}
