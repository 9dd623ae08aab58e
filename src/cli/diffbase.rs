//! `tollgate scan --diff-base REF`: the same scan, with the same configuration, of the commit REF checked
//! out in a temporary `git worktree`; the fingerprints of its findings become the baseline of this scan, so
//! only findings the change introduces count for the gate (Semgrep's `--baseline-commit`).

use crate::config::Config;
use crate::engine::{self, baseline::Baseline};
use crate::finding::{JobKind, NoteLevel, Notification};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the scan of the base commit gave.
#[derive(Debug)]
pub struct BaseScan {
    /// The ref as the user gave it.
    pub reference: String,
    /// The commit it names.
    pub commit: String,
    /// Fingerprints of the base's findings that were not suppressed there.
    pub baseline: Baseline,
    /// How many findings the base scan had (suppressed ones included).
    pub findings: usize,
    /// Jobs that could not run on the base (their findings then all count as new).
    pub failed_jobs: Vec<JobKind>,
}

impl BaseScan {
    /// What the report says about the comparison.
    pub fn notifications(&self) -> Vec<Notification> {
        let short = &self.commit[..self.commit.len().min(12)];
        let mut notes = vec![Notification::new(
            NoteLevel::Note,
            "diff-base",
            format!(
                "compared with {} ({short}): {} findings there; only findings not among them count",
                self.reference, self.findings
            ),
        )];
        if !self.failed_jobs.is_empty() {
            let names: Vec<&str> = self.failed_jobs.iter().map(|j| j.as_str()).collect();
            notes.push(Notification::new(
                NoteLevel::Warning,
                "diff-base-incomplete",
                format!(
                    "the {} job could not run on {} ({short}): all of its findings count as new",
                    names.join(", "),
                    self.reference
                ),
            ));
        }
        notes
    }

    /// Run-level facts for SARIF `run.properties` / the JSON report.
    pub fn property(&self) -> serde_json::Value {
        serde_json::json!({
            "ref": self.reference,
            "commit": self.commit,
            "base_findings": self.findings,
            "base_failed_jobs": self.failed_jobs,
        })
    }
}

/// Run git in `dir`; stdout on success, a clear error with git's own message otherwise.
pub(crate) fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("cannot run git (is it installed and on PATH?)")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "git {}: {}",
            args.join(" "),
            err.trim().lines().next().unwrap_or("failed")
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// The directory of a scan path (a file's parent).
pub(crate) fn dir_of(path: &Path) -> PathBuf {
    if path.is_file() {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        path.to_path_buf()
    }
}

/// The top of the git work tree holding `path`.
pub(crate) fn toplevel(path: &Path) -> anyhow::Result<PathBuf> {
    let dir = dir_of(path);
    let top = git(&dir, &["rev-parse", "--show-toplevel"]).with_context(|| {
        format!(
            "{} is not inside a git work tree (--diff-base and --history need one)",
            path.display()
        )
    })?;
    Ok(PathBuf::from(top))
}

/// The commit a ref names (`origin/main`, a tag, a sha, `HEAD~3`).
pub(crate) fn resolve_commit(repo: &Path, reference: &str) -> anyhow::Result<String> {
    if reference.starts_with('-') || reference.trim().is_empty() {
        bail!("`{reference}` is not a git ref");
    }
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        anyhow::anyhow!(
            "--diff-base {reference}: no such commit in {} (in CI, fetch it first, e.g. \
             `git fetch origin main` or `actions/checkout` with `fetch-depth: 0`)",
            repo.display()
        )
    })
}

/// A detached worktree of one commit in a temporary directory; removed (and unregistered) on drop.
struct Worktree {
    repo: PathBuf,
    dir: PathBuf,
}

/// Remove the base worktrees an interrupted run left behind (`tollgate-base-<commit>-<pid>-<n>` in the
/// temp directory, whose process is gone), so that they do not pile up.
fn remove_stale(repo: &Path) {
    let Ok(list) = git(repo, &["worktree", "list", "--porcelain"]) else {
        return;
    };
    let tmp = std::env::temp_dir();
    for path in list.lines().filter_map(|l| l.strip_prefix("worktree ")) {
        let p = Path::new(path);
        let Some(name) = p
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|_| p.parent() == Some(tmp.as_path()))
        else {
            continue;
        };
        let Some(rest) = name.strip_prefix("tollgate-base-") else {
            continue;
        };
        let pid = rest.split('-').nth(1).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| {
            pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
        });
        if pid.is_some() && !alive && Path::new("/proc/self").exists() {
            drop(Worktree {
                repo: repo.to_path_buf(),
                dir: p.to_path_buf(),
            });
        }
    }
}

impl Worktree {
    fn add(repo: &Path, commit: &str) -> anyhow::Result<Worktree> {
        remove_stale(repo);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "tollgate-base-{}-{}-{nanos}",
            &commit[..commit.len().min(12)],
            std::process::id()
        ));
        let dir_s = dir.to_string_lossy().into_owned();
        // No checkout hooks, no LFS smudge downloads: only the tracked files of the commit.
        let out = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "worktree",
                "add",
                "--detach",
            ])
            .args(["--quiet", &dir_s, commit])
            .env("GIT_LFS_SKIP_SMUDGE", "1")
            .output()
            .context("cannot run git")?;
        let wt = Worktree {
            repo: repo.to_path_buf(),
            dir,
        };
        if !out.status.success() {
            bail!(
                "cannot check out {commit} in a temporary worktree: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(wt)
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let dir_s = self.dir.to_string_lossy().into_owned();
        let _ = Command::new("git")
            .arg("-C")
            .arg(&self.repo)
            .args(["worktree", "remove", "--force", "--force", &dir_s])
            .output();
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let _ = Command::new("git")
            .arg("-C")
            .arg(&self.repo)
            .args(["worktree", "prune"])
            .output();
    }
}

/// The configuration of the base scan: the same, minus the contract job (its findings are already a
/// comparison with the base).
fn base_config(cfg: &Config) -> Config {
    let mut c = cfg.clone();
    let jobs: Vec<JobKind> = c
        .jobs
        .clone()
        .unwrap_or_else(|| JobKind::ALL.to_vec())
        .into_iter()
        .filter(|j| *j != JobKind::Contract)
        .collect();
    c.jobs = Some(jobs);
    c.contract.base = None;
    c
}

/// Scan `reference` as it was committed, with the configuration of this scan, and return the baseline it
/// gives. `scan_path` is the path of this scan (the same relative path is scanned in the base).
pub fn scan_base(
    scan_path: &Path,
    cfg: &Config,
    reference: &str,
    threads: usize,
    cache: Option<std::sync::Arc<dyn crate::model::CacheStore>>,
) -> anyhow::Result<BaseScan> {
    let top = toplevel(scan_path)?;
    let commit = resolve_commit(&top, reference)?;
    let abs = std::fs::canonicalize(scan_path)
        .with_context(|| format!("cannot resolve {}", scan_path.display()))?;
    let top_c = std::fs::canonicalize(&top).unwrap_or(top.clone());
    let rel = abs
        .strip_prefix(&top_c)
        .unwrap_or(Path::new(""))
        .to_path_buf();

    let wt = Worktree::add(&top, &commit)?;
    let base_path = wt.dir.join(&rel);
    if !base_path.exists() {
        // The scanned directory (or file) is new: nothing at the base, every finding is new.
        return Ok(BaseScan {
            reference: reference.to_string(),
            commit,
            baseline: Baseline::default(),
            findings: 0,
            failed_jobs: Vec::new(),
        });
    }
    let mut req = engine::ScanRequest::new(engine::ScanInput::Path(base_path), base_config(cfg));
    req.threads = threads;
    // Most files are the same at the base: the result cache makes the second scan cheap.
    req.cache = cache;
    let result =
        engine::run(req).with_context(|| format!("scanning the base {reference} ({commit})"))?;
    drop(wt);
    let fingerprints = result
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .map(|f| f.fingerprint.clone());
    Ok(BaseScan {
        reference: reference.to_string(),
        commit,
        baseline: Baseline::from_fingerprints(fingerprints),
        findings: result.findings.len(),
        failed_jobs: result.failed_jobs.clone(),
    })
}

/// The baseline of a scan with `--diff-base` (and maybe `--baseline FILE` too: a finding then counts only
/// when it is in neither).
pub fn combine(file: Option<Baseline>, base: &BaseScan) -> Baseline {
    let mut b = file.unwrap_or_default();
    b.extend(&base.baseline);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_config_drops_the_contract_job_only() {
        let mut cfg = Config::default();
        cfg.contract.base = Some("main".into());
        let b = base_config(&cfg);
        assert_eq!(
            b.jobs.unwrap(),
            vec![JobKind::Secrets, JobKind::Sast, JobKind::Sca]
        );
        assert!(b.contract.base.is_none());
        cfg.jobs = Some(vec![JobKind::Secrets]);
        assert_eq!(base_config(&cfg).jobs.unwrap(), vec![JobKind::Secrets]);
    }

    #[test]
    fn options_are_not_refs() {
        let d = std::env::temp_dir();
        assert!(resolve_commit(&d, "--output=/tmp/x").is_err());
        assert!(resolve_commit(&d, " ").is_err());
    }
}
