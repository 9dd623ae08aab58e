//! The gate threshold a job's findings are held to: a severity, or never. The gate and the configuration
//! both speak it.

use super::finding::Severity;
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// The gate threshold: fail on findings at or above a severity, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl FailOn {
    /// Does a finding of this severity fail the gate?
    pub fn fails(self, s: Severity) -> bool {
        match self {
            FailOn::Severity(t) => s >= t,
            FailOn::Never => false,
        }
    }
}

impl Default for FailOn {
    fn default() -> Self {
        FailOn::Severity(Severity::High)
    }
}

impl FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("never") || s.eq_ignore_ascii_case("none") {
            return Ok(FailOn::Never);
        }
        s.parse::<Severity>().map(FailOn::Severity).map_err(|_| {
            format!("unknown threshold `{s}` (expected critical, high, medium, low, info or never)")
        })
    }
}

impl TryFrom<String> for FailOn {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailOn::Severity(s) => write!(f, "{s}"),
            FailOn::Never => f.write_str("never"),
        }
    }
}
