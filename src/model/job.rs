//! The contract between the engine and a job: the [`Job`] trait, the files a job is given ([`SourceFile`]),
//! what else it gets ([`ScanContext`]) and what it returns ([`JobOutput`]). The engine, the report writers and
//! the gate never look inside a job.

use super::control::{CancelToken, Progress};
use super::finding::{Finding, JobKind, Notification};
use super::rule::{selector_matches, RuleMeta};
use std::collections::{BTreeMap, HashMap};
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
    /// What is known of files' contents by path: the digests the engine's file index vouches for (those
    /// files need not be read), and those computed during the scan ([`ScanContext::content`]).
    digests: std::sync::Mutex<HashMap<String, KnownContent>>,
}

/// A BLAKE3 digest of a file's text (as the jobs see it: invalid UTF-8 replaced).
pub type ContentDigest = [u8; 32];

/// What is known of one file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownContent {
    pub digest: ContentDigest,
    /// The file is not valid UTF-8 (reported as if it had been read).
    pub lossy: bool,
}

/// A file's content as a cached job first needs it: its digest for the cache key, and its text when it
/// had to be read to get the digest. [`Content::text`] reads it when a cache miss needs it.
#[derive(Debug)]
pub struct Content {
    digest: ContentDigest,
    text: Option<String>,
}

impl Content {
    /// The digest to build cache keys from. After [`Content::text`] it is the digest of the text read,
    /// so a result is always kept under the digest of the text it was computed from.
    pub fn digest(&self) -> &ContentDigest {
        &self.digest
    }

    /// The file's text, read now if it was not read for the digest.
    pub fn text(&mut self, ctx: &ScanContext, file: &SourceFile) -> Result<&str, Notification> {
        if self.text.is_none() {
            let text = ctx.read_text(file)?;
            self.digest = digest_text(&text);
            self.text = Some(text);
        }
        Ok(self.text.as_deref().unwrap_or_default())
    }

    /// The digest and, when it was read for the digest, the text.
    pub fn into_parts(self) -> (ContentDigest, Option<String>) {
        (self.digest, self.text)
    }

    /// [`Content::text`], owned.
    pub fn into_text(
        mut self,
        ctx: &ScanContext,
        file: &SourceFile,
    ) -> Result<String, Notification> {
        self.text(ctx, file)?;
        Ok(self.text.unwrap_or_default())
    }
}

/// The digest of a file's text.
pub fn digest_text(text: &str) -> ContentDigest {
    *blake3::hash(text.as_bytes()).as_bytes()
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
            digests: Default::default(),
        }
    }

    /// What the engine's file index vouches for (the file's metadata is unchanged since a scan that read
    /// it): jobs then get the digest without reading the file.
    pub fn set_known_contents(&mut self, known: HashMap<String, KnownContent>) {
        *self.digests.get_mut().unwrap() = known;
    }

    /// Every digest known at the end of the scan (vouched for, or computed by a job), for the index.
    pub fn known_contents(&self) -> HashMap<String, KnownContent> {
        self.digests.lock().unwrap().clone()
    }

    /// A file's content for a job that caches per file: its digest (without reading the file when it is
    /// already known this scan), and its text when it had to be read. Invalid UTF-8 is reported as by
    /// [`ScanContext::read_text`], whether or not the file is read.
    /// Without a cache the file is just read (no digest is needed).
    pub fn content(&self, file: &SourceFile) -> Result<Content, Notification> {
        if !self.cache.is_enabled() {
            return Ok(Content {
                digest: [0; 32],
                text: Some(self.read_text(file)?),
            });
        }
        let known = self.digests.lock().unwrap().get(&file.rel).copied();
        if let Some(k) = known {
            if self.cancel.is_cancelled() {
                return Err(cancelled(file));
            }
            if k.lossy {
                self.lossy.lock().unwrap().insert(file.rel.clone());
            }
            return Ok(Content {
                digest: k.digest,
                text: None,
            });
        }
        let text = self.read_text(file)?;
        let digest = digest_text(&text);
        let lossy = self.lossy.lock().unwrap().contains(&file.rel);
        self.digests
            .lock()
            .unwrap()
            .insert(file.rel.clone(), KnownContent { digest, lossy });
        Ok(Content {
            digest,
            text: Some(text),
        })
    }

    /// Read a file of the scan as text: invalid UTF-8 is replaced and remembered, so the engine says so
    /// once, whichever jobs read the file.
    pub fn read_text(&self, file: &SourceFile) -> Result<String, Notification> {
        if self.cancel.is_cancelled() {
            return Err(cancelled(file));
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

fn cancelled(file: &SourceFile) -> Notification {
    Notification::new(
        super::finding::NoteLevel::Error,
        "cancelled",
        format!("{}: not scanned: the scan was cancelled", file.rel),
    )
    .at(file.rel.clone(), None)
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
