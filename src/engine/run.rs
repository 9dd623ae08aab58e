//! The one entry point both faces call: scan a directory or a set of in-memory files with a configuration,
//! a cancellation token and a progress callback. The CLI and the HTTP server differ only in how they build
//! the [`ScanRequest`] and what they do with the result.

use super::{baseline::Baseline, build_jobs, scan, ScanOptions, DEFAULT_MAX_FILE_SIZE};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{CancelToken, Job, Progress, RuleSelection, ScanResult};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// What to scan.
#[derive(Debug)]
pub enum ScanInput {
    /// A directory (or a single file) on disk.
    Path(PathBuf),
    /// Files given by the caller (the HTTP service's JSON body): written to a private scratch directory
    /// that is removed when the scan ends, then scanned exactly as a directory is, so the same tree gives
    /// the same findings and the same report bytes whichever face sent it.
    Files(Vec<InputFile>),
}

/// One in-memory file: a relative `/`-separated path and its bytes.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: String,
    pub content: Vec<u8>,
}

/// Everything one scan needs.
pub struct ScanRequest {
    pub input: ScanInput,
    /// The effective configuration (file, flags or request options already merged).
    pub config: Config,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    pub baseline: Option<Baseline>,
    pub progress: Progress,
    pub cancel: CancelToken,
    /// Jobs built earlier for the same configuration (the service keeps them between scans); built from
    /// `config` when `None`.
    pub jobs: Option<Arc<Vec<Box<dyn Job>>>>,
    /// `--shard I/N`: only this shard's files (see [`crate::model::shard::Shard`]).
    pub shard: Option<crate::model::shard::Shard>,
    /// The result cache (`None`: every file is scanned afresh).
    pub cache: Option<Arc<dyn crate::model::CacheStore>>,
    /// Put every rule into the result, not only those the findings use (`--all-rules`).
    pub all_rules: bool,
    /// Keep a file index in the cache ([`ScanOptions::file_index`]); only for a path input (uploaded
    /// files are written to a fresh directory each time).
    pub file_index: Option<std::time::Duration>,
}

impl ScanRequest {
    pub fn new(input: ScanInput, config: Config) -> Self {
        ScanRequest {
            input,
            config,
            threads: 0,
            baseline: None,
            progress: Progress::none(),
            cancel: CancelToken::default(),
            jobs: None,
            shard: None,
            cache: None,
            all_rules: false,
            file_index: None,
        }
    }
}

/// Run a scan: build the jobs the configuration asks for, walk the input, run them in parallel, and
/// return the finished result (the caller applies the gate and writes reports).
pub fn run(req: ScanRequest) -> Result<ScanResult> {
    let jobs = match req.jobs {
        Some(j) => j,
        None => Arc::new(build_jobs(&req.config, &req.config.rules)?),
    };
    let cfg = &req.config;
    let mut opts = ScanOptions {
        path: PathBuf::new(),
        excludes: cfg.exclude.clone(),
        max_file_size: cfg.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
        threads: req.threads,
        selection: RuleSelection {
            select: cfg.select.clone(),
            ignore: cfg.ignore.clone(),
        },
        extra_rule_dirs: cfg.rules.clone(),
        baseline: req.baseline,
        progress: req.progress,
        cancel: req.cancel,
        shard: req.shard,
        cache: req.cache,
        all_rules: req.all_rules,
        file_index: req.file_index,
    };
    match req.input {
        ScanInput::Path(p) => {
            opts.path = p;
            scan(&jobs, &opts)
        }
        ScanInput::Files(files) => {
            let scratch = tempfile::Builder::new()
                .prefix("tollgate-scan-")
                .tempdir()
                .map_err(|e| Error::Other(format!("cannot create a scratch directory: {e}")))?;
            write_files(scratch.path(), &files)?;
            // The bytes are on disk now; a large upload should not be held twice while it is scanned.
            drop(files);
            opts.path = scratch.path().to_path_buf();
            opts.file_index = None;
            let mut result = scan(&jobs, &opts)?;
            result.root = PathBuf::from(".");
            Ok(result)
        }
    }
}

/// Write in-memory files below `dir`, refusing any path that could land outside it.
pub fn write_files(dir: &Path, files: &[InputFile]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for f in files {
        let rel = safe_relative_path(&f.path)?;
        if !seen.insert(rel.clone()) {
            return Err(Error::Usage(format!("{}: the file is given twice", f.path)));
        }
        let dest = dir.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&dest, &f.content).map_err(|e| Error::io(&dest, e))?;
    }
    Ok(())
}

/// Longest relative path accepted from a caller, in bytes.
pub const MAX_PATH_LEN: usize = 1024;

/// A path from a stranger, as a relative path with only normal components: no absolute paths, drive
/// letters, `..`, empty names, NUL bytes or backslashes (a Windows separator would smuggle `..\`).
pub fn safe_relative_path(path: &str) -> Result<PathBuf> {
    let bad = |why: &str| Err(Error::Usage(format!("{path:?}: {why}")));
    if path.is_empty() {
        return bad("empty path");
    }
    if path.len() > MAX_PATH_LEN {
        return bad(&format!("path longer than {MAX_PATH_LEN} bytes"));
    }
    if path.contains('\0') || path.contains('\\') {
        return bad("path contains a NUL byte or a backslash");
    }
    if path.starts_with('/') || (path.len() > 1 && path.as_bytes()[1] == b':') {
        return bad("absolute path");
    }
    let mut out = PathBuf::new();
    for c in Path::new(path.trim_start_matches("./")).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => return bad("path leaves the tree (`..`)"),
            Component::RootDir | Component::Prefix(_) => return bad("absolute path"),
        }
    }
    if out.as_os_str().is_empty() {
        return bad("no file name");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_refused() {
        for p in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/..",
            "C:/x",
            "a\\..\\x",
            "a\0b",
            ".",
            "./",
        ] {
            assert!(safe_relative_path(p).is_err(), "{p:?} accepted");
        }
        assert_eq!(
            safe_relative_path("./src/app.py").unwrap(),
            PathBuf::from("src/app.py")
        );
        assert_eq!(safe_relative_path("a/./b").unwrap(), PathBuf::from("a/b"));
        assert!(safe_relative_path(&"a/".repeat(600)).is_err());
    }

    #[test]
    fn duplicate_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let f = |p: &str| InputFile {
            path: p.into(),
            content: b"x".to_vec(),
        };
        assert!(write_files(d.path(), &[f("a.py"), f("./a.py")]).is_err());
        write_files(d.path(), &[f("a/b.py"), f("c.py")]).unwrap();
        assert!(d.path().join("a/b.py").is_file());
    }
}
