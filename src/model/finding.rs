//! The one result type every job produces, and what the engine adds to it.
//!
//! Jobs fill in everything but `fingerprint`, `suppression` and `baseline_state`: the engine computes the
//! fingerprint from the job's `fingerprint_key`, applies inline suppressions and compares with the baseline.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Severity, ordered from least to most severe so `a >= b` reads "at least as severe".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// SARIF `level` for a result or a rule's default configuration.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }

    /// The numeric `security-severity` GitHub code scanning ranks by
    /// (>= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low).
    pub fn security_severity(self) -> f64 {
        match self {
            Severity::Critical => 9.5,
            Severity::High => 8.0,
            Severity::Medium => 5.5,
            Severity::Low => 3.0,
            Severity::Info => 0.0,
        }
    }

    /// Map a CVSS base score to a severity using the CVSS v3 qualitative scale.
    pub fn from_cvss_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "informational" | "note" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}` (expected critical, high, medium, low or info)"
            )),
        }
    }
}

/// The four jobs of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Secrets,
    Sast,
    Sca,
    Contract,
}

impl JobKind {
    pub const ALL: [JobKind; 4] = [
        JobKind::Secrets,
        JobKind::Sast,
        JobKind::Sca,
        JobKind::Contract,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Secrets => "secrets",
            JobKind::Sast => "sast",
            JobKind::Sca => "sca",
            JobKind::Contract => "contract",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "secrets" => Ok(JobKind::Secrets),
            "sast" => Ok(JobKind::Sast),
            "sca" => Ok(JobKind::Sca),
            "contract" => Ok(JobKind::Contract),
            other => Err(format!(
                "unknown job `{other}` (expected secrets, sast, sca or contract)"
            )),
        }
    }
}

/// A place in a file. Path is relative to the scan root with `/` separators. Lines and columns are 1-based;
/// columns count UTF-16 code units (SARIF's default `columnKind`), see [`crate::text::LineIndex`].
/// `end_column` is exclusive, as in SARIF.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Location {
    /// A whole-line location (column 1 to the end of the line is unknown: end column 1 of the next line is
    /// avoided; we use start and end on the same line with columns 1..1).
    pub fn line(path: impl Into<String>, line: u32) -> Self {
        Location {
            path: path.into(),
            start_line: line.max(1),
            start_column: 1,
            end_line: line.max(1),
            end_column: 1,
        }
    }
}

/// One step of a taint path (source ... sink), shown as a SARIF `codeFlows` thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStep {
    pub location: Location,
    pub message: String,
}

/// Why a finding does not count for the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `inSource` for comments in the file, `external` for config ignores.
    pub kind: SuppressionKind,
    pub justification: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SuppressionKind {
    #[serde(rename = "inSource")]
    InSource,
    #[serde(rename = "external")]
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    New,
    Unchanged,
}

/// One problem found by one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub job: JobKind,
    pub severity: Severity,
    /// CWE numbers (`89` for CWE-89).
    pub cwe: Vec<u32>,
    pub message: String,
    pub location: Location,
    /// The source text at the location, with any secret redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// What identifies this finding independent of its line number: the engine hashes it with the rule id,
    /// the path and an occurrence counter into `fingerprint`. Jobs set it (e.g. a hash of the secret, the
    /// normalised code of the line and its enclosing function, package@version+advisory, a JSON pointer).
    /// Not in reports; kept when the result cache stores a finding (see [`super::cache::storing`]).
    #[serde(default, skip_serializing_if = "super::cache::not_storing")]
    pub fingerprint_key: String,
    /// Set by the engine.
    pub fingerprint: String,
    /// Source-to-sink steps for taint findings (empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub code_flow: Vec<FlowStep>,
    /// Structured, job-specific data for machines (SCA: ecosystem, package, installed, fixed ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub properties: BTreeMap<String, serde_json::Value>,
    /// Set by the engine (inline comments) or a job (config ignores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// Set by the engine when a baseline is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    /// GitHub's `primaryLocationLineHash` of the start line, when the file could be read (set by the
    /// engine when it finishes a scan; not part of the JSON report).
    #[serde(skip)]
    pub line_hash: Option<String>,
}

impl Finding {
    /// A finding with the required fields; the rest default to empty.
    pub fn new(
        rule_id: impl Into<String>,
        job: JobKind,
        severity: Severity,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Finding {
            rule_id: rule_id.into(),
            job,
            severity,
            cwe: Vec::new(),
            message: message.into(),
            location,
            snippet: None,
            remediation: None,
            fingerprint_key: String::new(),
            fingerprint: String::new(),
            code_flow: Vec::new(),
            properties: BTreeMap::new(),
            suppression: None,
            baseline_state: None,
            line_hash: None,
        }
    }

    /// Whether the gate counts it: neither suppressed nor already in the baseline.
    pub fn counts_for_gate(&self) -> bool {
        self.suppression.is_none() && self.baseline_state != Some(BaselineState::Unchanged)
    }

    /// The total order results are written in: path, position, rule, message.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str, u32, u32) {
        (
            &self.location.path,
            self.location.start_line,
            self.location.start_column,
            &self.rule_id,
            &self.message,
            self.location.end_line,
            self.location.end_column,
        )
    }
}

/// Severity of a tool notification (SARIF `notification.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteLevel {
    Note,
    Warning,
    Error,
}

/// Something the tool wants the user to know that is not a finding: a skipped file, a parse error, a
/// database that could not be loaded. Reported in SARIF `invocations[0].toolExecutionNotifications`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Notification {
    pub level: NoteLevel,
    /// A stable short code, e.g. `skipped-binary`, `parse-error`, `manifest-error`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Notification {
    pub fn new(level: NoteLevel, code: impl Into<String>, message: impl Into<String>) -> Self {
        Notification {
            level,
            code: code.into(),
            message: message.into(),
            path: None,
            line: None,
            column: None,
        }
    }
    pub fn at(mut self, path: impl Into<String>, line: Option<u32>) -> Self {
        self.path = Some(path.into());
        self.line = line;
        self
    }
    pub fn with_column(mut self, column: Option<u32>) -> Self {
        self.column = column;
        self
    }
}
