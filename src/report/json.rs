//! JSON for machines: the verdict, a summary, every finding with its structured properties, and every
//! notification. The shape is documented in README.md ("JSON output").

use super::Report;
use crate::finding::{JobKind, Severity};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const FORMAT_VERSION: u32 = 1;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).expect("JSON serializes");
    s.push('\n');
    s
}

/// Counts by job and severity of the findings that count for the gate.
pub fn counts(report: &Report) -> BTreeMap<JobKind, BTreeMap<Severity, usize>> {
    let mut m: BTreeMap<JobKind, BTreeMap<Severity, usize>> = BTreeMap::new();
    for j in &report.result.jobs {
        m.entry(*j).or_default();
    }
    for f in &report.result.findings {
        if f.counts_for_gate() {
            *m.entry(f.job).or_default().entry(f.severity).or_default() += 1;
        }
    }
    m
}

pub fn to_value(report: &Report) -> Value {
    let r = report.result;
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).expect("finding serializes");
            if let Some(rule) = r.rule(&f.rule_id) {
                v["rule_title"] = json!(rule.title);
            }
            v
        })
        .collect();
    json!({
        "tool": { "name": "tollgate", "version": crate::VERSION },
        "format_version": FORMAT_VERSION,
        "verdict": report.verdict,
        "summary": {
            "findings": r.findings.len(),
            "counted": report.verdict.counted,
            "suppressed": report.verdict.suppressed,
            "baselined": report.verdict.baselined,
            "by_job": counts(report),
            "files": r.stats.files,
            "skipped": r.stats.skipped,
            "files_per_job": r.stats.files_per_job,
        },
        "properties": r.properties,
        "findings": findings,
        "notifications": r.notifications,
    })
}
