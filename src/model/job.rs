//! The contract between the engine and a job: the [`Job`] trait, the files a job is given ([`SourceFile`]),
//! what else it gets ([`ScanContext`]) and what it returns ([`JobOutput`]). The engine, the report writers and
//! the gate never look inside a job.

use super::control::{CancelToken, Progress};
use super::finding::{Finding, JobKind, Notification};
use super::rule::{selector_matches, RuleMeta};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One file of the scan: a regular, non-binary file within the size limit, not excluded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    /// Path relative to the scan root, `/` separators.
    pub rel: String,
    /// Path to open.
    pub abs: PathBuf,
    pub size: u64,
}

impl SourceFile {
    /// The file's text, with invalid UTF-8 replaced; an unreadable file gives a notification the job
    /// should add to its output. In a scan, prefer [`ScanContext::read_text`], which also tells the user
    /// about invalid UTF-8.
    pub fn read_text(&self) -> Result<String, Notification> {
        self.read_text_checked().map(|(s, _)| s)
    }

    /// [`SourceFile::read_text`], and whether bytes had to be replaced.
    pub fn read_text_checked(&self) -> Result<(String, bool), Notification> {
        match std::fs::read(&self.abs) {
            Ok(bytes) => Ok(match String::from_utf8(bytes) {
                Ok(s) => (s, false),
                Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
            }),
            Err(e) => Err(Notification::new(
                super::finding::NoteLevel::Warning,
                "unreadable",
                format!("{}: cannot read file: {e}", self.rel),
            )
            .at(self.rel.clone(), None)),
        }
    }

    /// Every regular file below `root` (no ignore files, no size limit), sorted: for calling a job
    /// directly, as the tests and benchmarks do. A scan uses the engine's walk instead.
    pub fn collect(root: &std::path::Path) -> std::io::Result<Vec<SourceFile>> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir)? {
                let p = e?.path();
                let meta = std::fs::symlink_metadata(&p)?;
                if meta.is_dir() {
                    stack.push(p);
                } else if meta.is_file() {
                    out.push(SourceFile {
                        rel: rel_path(root, &p),
                        abs: p,
                        size: meta.len(),
                    });
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The file name (last path component).
    pub fn file_name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }

    /// The lowercase extension without the dot, or "".
    pub fn extension(&self) -> String {
        let name = self.file_name();
        match name.rfind('.') {
            Some(i) if i > 0 => name[i + 1..].to_ascii_lowercase(),
            _ => String::new(),
        }
    }
}

/// Convert a path below `root` to the `/`-separated relative form used in every report.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&c.as_os_str().to_string_lossy());
    }
    out
}

/// Which rules the user selected (`--select`/`--ignore`, as ruff does it: the most specific selector wins;
/// ties go to ignore).
#[derive(Debug, Clone, Default)]
pub struct RuleSelection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl RuleSelection {
    pub fn enabled(&self, id: &str, job: JobKind) -> bool {
        let best = |list: &[String]| {
            list.iter()
                .filter(|s| selector_matches(id, job, s))
                .map(|s| specificity(s, job))
                .max()
        };
        let sel = if self.select.is_empty() {
            Some(0)
        } else {
            best(&self.select)
        };
        match (sel, best(&self.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(i)) => s > i,
        }
    }
}

fn specificity(selector: &str, job: JobKind) -> usize {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("all") {
        0
    } else if s == job.as_str() {
        1
    } else {
        1 + s.len()
    }
}

/// What every job gets besides its files.
pub struct ScanContext {
    /// The scan root (a directory).
    pub root: PathBuf,
    pub selection: RuleSelection,
    /// Extra rule directories from `--rules` / config `rules` (a job reads its own subfolder, e.g.
    /// `DIR/secrets/`, `DIR/python/`, or DIR itself when the folder has the job's name).
    pub extra_rule_dirs: Vec<PathBuf>,
    /// Advances by one per file a job has finished with (a no-op unless the caller asked for progress).
    pub progress: Progress,
    /// Set when the caller cancels the scan or its time budget runs out: [`ScanContext::read_text`] then
    /// refuses to read, so every job winds down at its next file.
    pub cancel: CancelToken,
    /// The result cache (disabled unless the caller set one): a job keeps per-unit results in it, keyed by
    /// everything they depend on, and skips the work on a hit.
    pub cache: super::cache::ResultCache,
    /// `--shard I/N`: the shard of this scan, for the jobs that get every file for context but analyse only
    /// their shard's ([`super::shard::Shard::context_from_whole_tree`]).
    pub shard: Option<super::shard::Shard>,
    /// Files read with invalid UTF-8 replaced (reported once by the engine).
    lossy: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl ScanContext {
    pub fn new(root: PathBuf) -> Self {
        ScanContext {
            root,
            selection: RuleSelection::default(),
            extra_rule_dirs: Vec::new(),
            progress: Progress::none(),
            cancel: CancelToken::default(),
            cache: super::cache::ResultCache::disabled(),
            shard: None,
            lossy: Default::default(),
        }
    }

    /// Read a file of the scan as text: invalid UTF-8 is replaced and remembered, so the engine says so
    /// once, whichever jobs read the file.
    pub fn read_text(&self, file: &SourceFile) -> Result<String, Notification> {
        if self.cancel.is_cancelled() {
            return Err(Notification::new(
                super::finding::NoteLevel::Error,
                "cancelled",
                format!("{}: not scanned: the scan was cancelled", file.rel),
            )
            .at(file.rel.clone(), None));
        }
        let (text, lossy) = file.read_text_checked()?;
        if lossy {
            self.lossy.lock().unwrap().insert(file.rel.clone());
        }
        Ok(text)
    }

    /// Files read so far that were not valid UTF-8.
    pub fn lossy_files(&self) -> Vec<String> {
        self.lossy.lock().unwrap().iter().cloned().collect()
    }

    /// Whether a file (relative path) is analysed in this scan's shard (always, without `--shard`).
    pub fn in_shard(&self, rel: &str) -> bool {
        self.shard.is_none_or(|s| s.keeps(rel))
    }

    pub fn rule_enabled(&self, id: &str, job: JobKind) -> bool {
        self.selection.enabled(id, job)
    }
}

/// What a job returns.
#[derive(Debug, Default)]
pub struct JobOutput {
    pub findings: Vec<Finding>,
    /// Rules made at scan time (SCA: one per advisory) that are not in [`Job::rules`].
    pub dynamic_rules: Vec<RuleMeta>,
    pub notifications: Vec<Notification>,
    /// Run-level facts for SARIF `run.properties` and the JSON report (e.g. the advisory database identity).
    pub properties: BTreeMap<String, serde_json::Value>,
    /// How many files the job looked at.
    pub files_scanned: usize,
    /// The job could not do its work (e.g. no advisory database): the scan exits 2 and SARIF says
    /// `executionSuccessful: false`. Say why in an error notification.
    pub failed: bool,
}

/// A job of the scan.
pub trait Job: Send + Sync {
    fn kind(&self) -> JobKind;
    /// Every rule the job can report that is known before a scan (for `tollgate rules`, SARIF with
    /// `--all-rules`).
    fn rules(&self) -> Vec<RuleMeta>;
    /// The rules among `ids` (a scan describes only the rules its findings use, unless asked for all);
    /// a job with many rules answers without building the others.
    fn rules_for(&self, ids: &std::collections::BTreeSet<&str>) -> Vec<RuleMeta> {
        self.rules()
            .into_iter()
            .filter(|r| ids.contains(r.id.as_str()))
            .collect()
    }
    /// Scan the files of the scan; the job picks the ones it wants and may run in parallel (rayon).
    fn scan(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_most_specific_wins() {
        let sel = RuleSelection {
            select: vec!["SEC-".into(), "SEC-AWS-ACCESS-KEY".into()],
            ignore: vec!["SEC-AWS".into()],
        };
        assert!(sel.enabled("SEC-GITHUB-PAT", JobKind::Secrets));
        assert!(!sel.enabled("SEC-AWS-SECRET-KEY", JobKind::Secrets));
        assert!(sel.enabled("SEC-AWS-ACCESS-KEY", JobKind::Secrets));
        assert!(!sel.enabled("PY-EVAL", JobKind::Sast));
        let all = RuleSelection::default();
        assert!(all.enabled("PY-EVAL", JobKind::Sast));
        let by_job = RuleSelection {
            select: vec![],
            ignore: vec!["sast".into()],
        };
        assert!(!by_job.enabled("PY-EVAL", JobKind::Sast));
        assert!(by_job.enabled("SEC-X", JobKind::Secrets));
    }
}
