//! Walk the scan root: honour `.gitignore`/`.ignore` and `--exclude`, skip binary and oversized files
//! (counted and said), and flag files that are not valid UTF-8.

use super::file_index::{FileIndex, Stat};
use crate::error::{Error, Result};
use crate::finding::{NoteLevel, Notification};
use crate::model::{KnownContent, SourceFile};
use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a file was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    Binary,
    TooLarge,
    Unreadable,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too large",
            SkipReason::Unreadable => "unreadable",
        }
    }
}

#[derive(Debug, Default)]
pub struct WalkResult {
    pub files: Vec<SourceFile>,
    pub notifications: Vec<Notification>,
    pub skipped: BTreeMap<SkipReason, usize>,
    /// With a file index: each file's metadata, and the contents the index vouches for.
    pub stats: HashMap<String, Stat>,
    pub known: HashMap<String, KnownContent>,
}

pub struct WalkOptions {
    pub excludes: Vec<String>,
    pub max_file_size: u64,
    pub threads: usize,
    /// The file index of this root: a file it vouches for is not opened (its first bytes were checked
    /// when it was read).
    pub index: Option<std::sync::Arc<FileIndex>>,
}

pub use crate::model::rel_path;

/// Walk `root` (a directory) in parallel.
pub fn walk(root: &Path, opts: &WalkOptions) -> Result<WalkResult> {
    let mut ob = OverrideBuilder::new(root);
    for g in &opts.excludes {
        let pat = format!("!{}", g.trim_start_matches('!'));
        ob.add(&pat)
            .map_err(|e| Error::Usage(format!("invalid --exclude pattern `{g}`: {e}")))?;
    }
    let overrides = ob
        .build()
        .map_err(|e| Error::Usage(format!("invalid exclude patterns: {e}")))?;

    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .overrides(overrides)
        .threads(opts.threads.max(1))
        .filter_entry(|e| e.file_name() != ".git");

    let out = Mutex::new(WalkResult::default());
    let max = opts.max_file_size;
    let index = opts.index.as_deref();
    builder.build_parallel().run(|| {
        let out = &out;
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let path = error_path(&err);
                    let rel = path.as_deref().map(|p| rel_path(root, p));
                    let mut n = Notification::new(
                        NoteLevel::Warning,
                        "unreadable",
                        format!("cannot read {}: {err}", rel.as_deref().unwrap_or("a path")),
                    );
                    n.path = rel;
                    let mut o = out.lock().unwrap();
                    o.notifications.push(n);
                    *o.skipped.entry(SkipReason::Unreadable).or_default() += 1;
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path().to_path_buf();
            let rel = rel_path(root, &path);
            let mut stat = None;
            let mut known = None;
            let vouched = |meta: &std::fs::Metadata| {
                if let Some(index) = index {
                    stat = Stat::of(meta);
                    known = stat.and_then(|s| index.vouch(&rel, &s));
                }
                known.is_some()
            };
            match classify_with(&path, max, vouched) {
                Ok(size) => {
                    let mut o = out.lock().unwrap();
                    if let Some(s) = stat {
                        o.stats.insert(rel.clone(), s);
                    }
                    if let Some(k) = known {
                        o.known.insert(rel.clone(), k);
                    }
                    o.files.push(SourceFile {
                        rel,
                        abs: path,
                        size,
                    });
                }
                Err((reason, message)) => {
                    let level = if reason == SkipReason::Unreadable {
                        NoteLevel::Warning
                    } else {
                        NoteLevel::Note
                    };
                    let code = match reason {
                        SkipReason::Binary => "skipped-binary",
                        SkipReason::TooLarge => "skipped-too-large",
                        SkipReason::Unreadable => "unreadable",
                    };
                    let mut o = out.lock().unwrap();
                    o.notifications.push(
                        Notification::new(level, code, format!("{rel}: {message}")).at(rel, None),
                    );
                    *o.skipped.entry(reason).or_default() += 1;
                }
            }
            WalkState::Continue
        })
    });
    let mut res = out.into_inner().unwrap();
    res.files.sort();
    res.notifications.sort();
    Ok(res)
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

/// Lockfiles of large projects and API descriptions are often several MiB; they are read whatever
/// `--max-file-size` says, up to this size, because skipping them would silently hide vulnerable
/// dependencies or breaking API changes.
pub const LOCKFILE_MAX_SIZE: u64 = 128 * 1024 * 1024;

const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
];

/// Lockfiles and API descriptions (`openapi*.json|yaml|yml`, `swagger*...`): large ones are normal.
fn is_lockfile(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if LOCKFILES.contains(&name) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    (lower.contains("openapi") || lower.contains("swagger"))
        && [".json", ".yaml", ".yml"]
            .iter()
            .any(|e| lower.ends_with(e))
}

/// Size of a file that should be scanned, or why not. Only the first 8 KiB are read (a NUL byte there
/// means binary): the jobs read the file themselves, once. Invalid UTF-8 is noticed when they do
/// ([`super::ScanContext::read_text`]).
pub fn classify(path: &Path, max: u64) -> std::result::Result<u64, (SkipReason, String)> {
    classify_with(path, max, |_| false)
}

/// [`classify`], but the file is not opened when `vouched` says its content is known (from the file
/// index: it was not binary when it was read, and its metadata has not changed since).
fn classify_with(
    path: &Path,
    max: u64,
    vouched: impl FnOnce(&std::fs::Metadata) -> bool,
) -> std::result::Result<u64, (SkipReason, String)> {
    let meta = std::fs::metadata(path)
        .map_err(|e| (SkipReason::Unreadable, format!("cannot read file: {e}")))?;
    let size = meta.len();
    let max = if is_lockfile(path) {
        max.max(LOCKFILE_MAX_SIZE)
    } else {
        max
    };
    if size > max {
        return Err((
            SkipReason::TooLarge,
            format!("skipped: {size} bytes is over the --max-file-size limit of {max} bytes"),
        ));
    }
    if vouched(&meta) {
        return Ok(size);
    }
    let f = std::fs::File::open(path)
        .map_err(|e| (SkipReason::Unreadable, format!("cannot read file: {e}")))?;
    let mut head = Vec::with_capacity(8192);
    f.take(8192)
        .read_to_end(&mut head)
        .map_err(|e| (SkipReason::Unreadable, format!("cannot read file: {e}")))?;
    if head.contains(&0) {
        return Err((SkipReason::Binary, "skipped: binary file".to_string()));
    }
    Ok(size)
}
