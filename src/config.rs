//! `tollgate.toml` (or `[tool.tollgate]` in `pyproject.toml`): found by walking up from the scan path, or
//! given with `--config`. Command-line flags override it. Unknown keys are an error that names the key.

use crate::error::{Error, Result};
use crate::finding::JobKind;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::model::FailOn;

/// `[serve]` in tollgate.toml: the HTTP service's settings, each also a `tollgate serve` flag.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeSection {
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub osv_db: Option<PathBuf>,
    pub database_url: Option<String>,
    pub workers: Option<usize>,
    pub max_concurrent_scans: Option<usize>,
    pub max_queued_scans: Option<u64>,
    pub max_body_size: Option<String>,
    pub max_uncompressed_size: Option<String>,
    pub max_files: Option<usize>,
    pub async_threshold: Option<String>,
    pub scan_timeout: Option<String>,
    pub retention: Option<String>,
    pub lease: Option<String>,
    pub osv_refresh: Option<String>,
    pub shutdown_grace: Option<String>,
    pub api_tokens_file: Option<PathBuf>,
    /// Do not share results between scans through the store's result cache.
    pub no_cache: Option<bool>,
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
    /// The result cache's directory (default `.tollgate_cache` in the current directory), relative to the
    /// config file.
    pub cache_dir: Option<PathBuf>,
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
    /// `[serve]`: defaults for `tollgate serve` (its flags and `TOLLGATE_*` variables win).
    #[serde(default)]
    pub serve: ServeSection,
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
        let mut cfg = Config::from_text(path, &text)?;
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
        cfg.cache_dir = rel(&cfg.cache_dir);
        Ok(cfg)
    }

    /// Parse a configuration file's text (`path` names it in errors and decides whether it is a
    /// `pyproject.toml`); relative paths in it are left as they are.
    pub fn from_text(path: &Path, text: &str) -> Result<Config> {
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let mut cfg = if is_pyproject {
            let py: PyProject = read_toml(path, text)?;
            match py.tool.and_then(|t| t.tollgate) {
                // Re-parse the section from the text so that errors keep their line numbers.
                Some(_) => parse_pyproject_section(path, text)?,
                None => Config::default(),
            }
        } else {
            read_toml::<Config>(path, text)?
        };
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
    use crate::model::Severity;

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
