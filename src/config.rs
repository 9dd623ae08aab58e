//! `tollgate.toml` (or `[tool.tollgate]` in `pyproject.toml`): found by walking up from the scan path, or
//! given with `--config`. Command-line flags override it. Unknown keys are an error that names the key.

use crate::error::{Error, Result};
use crate::finding::{JobKind, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
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

/// `[gate]`: the default threshold and per-job thresholds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GateConfig {
    pub fail_on: Option<FailOn>,
    /// Per-job thresholds, e.g. `sca = "critical"`.
    #[serde(default)]
    pub jobs: BTreeMap<JobKind, FailOn>,
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Jobs to run (default: all four).
    pub jobs: Option<Vec<JobKind>>,
    /// Glob patterns of paths to leave out, relative to the scan root (gitignore syntax).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped (default 2 MiB).
    pub max_file_size: Option<u64>,
    /// Rule selectors to enable (ids, id prefixes, job names, `ALL`).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rule selectors to disable.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Extra rule directories, relative to the config file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Shorthand for `[gate] fail-on`.
    pub fail_on: Option<FailOn>,
    #[serde(default)]
    pub gate: GateConfig,
    #[serde(default)]
    pub secrets: crate::secrets::Config,
    #[serde(default)]
    pub sast: crate::sast::Config,
    #[serde(default)]
    pub sca: crate::sca::Config,
    #[serde(default)]
    pub contract: crate::contract::Config,
    /// Where the configuration came from (not a key).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<PyProjectTool>,
}

#[derive(Deserialize)]
struct PyProjectTool {
    tollgate: Option<toml::Value>,
}

impl Config {
    /// Load a config file (`tollgate.toml`, `.tollgate.toml` or `pyproject.toml`).
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let mut cfg = if is_pyproject {
            let py: PyProject = read_toml(path, &text)?;
            match py.tool.and_then(|t| t.tollgate) {
                // Re-parse the section from the text so that errors keep their line numbers.
                Some(_) => parse_pyproject_section(path, &text)?,
                None => Config::default(),
            }
        } else {
            read_toml::<Config>(path, &text)?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        cfg.rules = cfg
            .rules
            .iter()
            .map(|r| {
                if r.is_absolute() {
                    r.clone()
                } else {
                    base.join(r)
                }
            })
            .collect();
        let rel = |p: &Option<PathBuf>| {
            p.as_ref().map(|p| {
                if p.is_absolute() {
                    p.clone()
                } else {
                    base.join(p)
                }
            })
        };
        cfg.sca.osv_db = rel(&cfg.sca.osv_db);
        cfg.sca.cache_dir = rel(&cfg.sca.cache_dir);
        cfg.source = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Find the config for a scan path: the nearest `tollgate.toml`, `.tollgate.toml`, or `pyproject.toml`
    /// with a `[tool.tollgate]` table, walking up from `start`.
    pub fn discover(start: &Path) -> Result<Option<Config>> {
        let start = if start.is_file() {
            start.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            start.to_path_buf()
        };
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        for dir in start.ancestors() {
            for name in ["tollgate.toml", ".tollgate.toml"] {
                let p = dir.join(name);
                if p.is_file() {
                    return Config::load(&p).map(Some);
                }
            }
            let py = dir.join("pyproject.toml");
            if py.is_file() {
                let text = std::fs::read_to_string(&py).unwrap_or_default();
                if text.contains("[tool.tollgate") {
                    return Config::load(&py).map(Some);
                }
            }
        }
        Ok(None)
    }

    /// The gate threshold for a job: per-job setting, else `[gate] fail-on`, else top-level `fail-on`.
    pub fn threshold_for(&self, job: JobKind) -> Option<FailOn> {
        self.gate
            .jobs
            .get(&job)
            .copied()
            .or(self.gate.fail_on)
            .or(self.fail_on)
    }
}

/// `[tool.tollgate]` of a pyproject.toml, with the line numbers of the original file in errors.
fn parse_pyproject_section(path: &Path, text: &str) -> Result<Config> {
    #[derive(Deserialize)]
    struct Outer {
        tool: OuterTool,
    }
    #[derive(Deserialize)]
    struct OuterTool {
        tollgate: Config,
    }
    read_toml::<Outer>(path, text).map(|o| o.tool.tollgate)
}

/// A TOML file through the shared reader (limits first); errors keep their line and column.
fn read_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    crate::doc::toml::from_str(text, &crate::doc::Limits::DEFAULT).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        line: e.line as usize,
        column: e.col as usize,
        message: e.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tollgate.toml");
        std::fs::write(&p, "fail-on = \"high\"\n\n[gate]\nfial-on = \"low\"\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("tollgate.toml:4:1"), "{err}");
        assert!(err.contains("fial-on"), "{err}");
    }

    #[test]
    fn pyproject_section_and_thresholds() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pyproject.toml");
        std::fs::write(
            &p,
            "[project]\nname='x'\n\n[tool.tollgate]\nfail-on = \"medium\"\n[tool.tollgate.gate.jobs]\nsca = \"critical\"\n",
        )
        .unwrap();
        let cfg = Config::discover(dir.path()).unwrap().unwrap();
        assert_eq!(
            cfg.threshold_for(JobKind::Sca),
            Some(FailOn::Severity(Severity::Critical))
        );
        assert_eq!(
            cfg.threshold_for(JobKind::Secrets),
            Some(FailOn::Severity(Severity::Medium))
        );
        assert!(!FailOn::Never.fails(Severity::Critical));
    }
}
