//! What the report writers and `tollgate rules` know about a rule, whatever job it belongs to.
//!
//! Every job turns its own rule files (or, for SCA, its advisories) into `RuleMeta`. SARIF's
//! `tool.driver.rules[]` is written from these, `tollgate rules explain ID` prints `help_markdown`.

use super::finding::{JobKind, Severity};
use serde::Serialize;

/// How often a rule's findings are real: SARIF `properties.precision` as GitHub reads it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    VeryHigh,
    High,
    #[default]
    Medium,
    Low,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::VeryHigh => "very-high",
            Precision::High => "high",
            Precision::Medium => "medium",
            Precision::Low => "low",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RuleMeta {
    /// Stable id, e.g. `SEC-AWS-ACCESS-KEY`, `PY-SQLI-TAINT`, `GHSA-xxxx-xxxx-xxxx`, `api-path-removed`.
    pub id: String,
    pub job: JobKind,
    /// A PascalCase or kebab-case name (SARIF `name`).
    pub name: String,
    /// One line (SARIF `shortDescription`).
    pub title: String,
    /// A paragraph (SARIF `fullDescription`).
    pub description: String,
    /// Full documentation in markdown: what, why it matters, how to fix, example, references.
    pub help_markdown: String,
    pub severity: Severity,
    pub precision: Precision,
    pub cwe: Vec<u32>,
    /// Extra tags besides `security` and `CWE-###` (e.g. `secrets`, `python`, `supply-chain`).
    pub tags: Vec<String>,
    /// Where to read more (SARIF `helpUri`).
    pub help_uri: Option<String>,
    /// Overrides the severity-derived `security-severity` (SCA rules use the CVSS base score).
    pub security_severity: Option<f64>,
}

impl RuleMeta {
    /// Plain-text help for SARIF `help.text`: the markdown with its most visible markup removed.
    pub fn help_text(&self) -> String {
        let mut out = String::with_capacity(self.help_markdown.len());
        for line in self.help_markdown.lines() {
            let l = line.trim_start_matches('#').trim_start();
            if l.starts_with("```") {
                continue;
            }
            out.push_str(&l.replace("**", "").replace('`', ""));
            out.push('\n');
        }
        out.trim_end().to_string()
    }

    pub fn security_severity(&self) -> f64 {
        self.security_severity
            .unwrap_or_else(|| self.severity.security_severity())
    }

    /// `true` when `selector` (a full id or an id prefix such as `SEC-` or `PY-SQLI`) matches this rule.
    pub fn matches_selector(&self, selector: &str) -> bool {
        selector_matches(&self.id, self.job, selector)
    }
}

/// Rule selection as ruff does it: a selector is a job name (`secrets`), `ALL`, or an id prefix.
pub fn selector_matches(id: &str, job: JobKind, selector: &str) -> bool {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("all") || s == job.as_str() {
        return true;
    }
    id.len() >= s.len() && id[..s.len()].eq_ignore_ascii_case(s)
}

/// A readable identifier for SARIF `name`: `PY-SQLI-FORMAT` -> `PySqliFormat`, `@types/node` -> `TypesNode`.
pub fn pascal_case(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lower = p.to_ascii_lowercase();
            let mut c = lower.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}
