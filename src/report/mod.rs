//! Report writers, one module per output format. They read a finished scan and its verdict; none of them
//! knows a job's internals.

pub mod json;
pub mod sarif;
pub mod text;

use crate::gate::Verdict;
use crate::model::ScanResult;

/// What every writer gets.
pub struct Report<'a> {
    pub result: &'a ScanResult,
    pub verdict: &'a Verdict,
    /// SARIF `automationDetails.id` prefix (`--category`).
    pub category: Option<String>,
    /// Put every rule in SARIF `tool.driver.rules`, not only the ones that produced results.
    pub all_rules: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// Render a report in a format. `color` only affects text.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
    }
}
