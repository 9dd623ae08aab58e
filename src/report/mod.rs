//! Report writers, one module per output format. They read a finished scan and its verdict; none of them
//! knows a job's internals.

pub mod github;
pub mod json;
pub mod junit;
pub mod limits;
pub mod markdown;
pub mod merge;
pub mod sarif;
pub mod text;

use crate::gate::Verdict;
use crate::model::ScanResult;
use std::path::{Path, PathBuf};

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
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// JUnit XML for Jenkins, GitLab, CircleCI test reports.
    Junit,
    /// A markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment.
    Markdown,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Junit,
        Format::Markdown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown format `{s}` (expected text, json, sarif, github, junit or markdown)"
                )
            })
    }
}

/// The directory the findings' paths are relative to: the scan root, or the directory of a scanned file.
pub fn files_root(result: &ScanResult) -> PathBuf {
    if result.root.is_file() {
        result
            .root
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        result.root.clone()
    }
}

/// A finding's path as CI systems want it: relative to the working directory (the repository root in a
/// GitHub workflow), `/`-separated, when the scan root is below it; otherwise as the scan root was given.
pub fn workspace_path(result: &ScanResult, rel: &str) -> String {
    let root = files_root(result);
    let joined = root.join(rel);
    let shown = if joined.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| joined.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or(joined)
    } else {
        joined
    };
    let mut out = String::new();
    for c in shown.components() {
        match c {
            std::path::Component::CurDir => continue,
            std::path::Component::RootDir => out.push('/'),
            _ => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&c.as_os_str().to_string_lossy());
            }
        }
    }
    out
}

/// Render a report in a format. `color` only affects text.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report, &markdown::Links::from_env()),
    }
}
