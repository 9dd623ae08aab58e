//! The scan engine: walk the tree, run the jobs in parallel, then fingerprint, sort, suppress and compare
//! with a baseline. It knows findings, never a job's internals.

pub mod baseline;
pub mod cache_store;
mod diff;
mod file_index;
mod lines;
mod run;
pub mod suppress;
pub mod walk;

use crate::model::shard;
pub use crate::model::{
    Job, JobOutput, RuleSelection, ScanContext, ScanResult, ScanStats, SourceFile,
};
pub use diff::{diff_policy, diff_result};
pub use run::{
    run, safe_relative_path, write_files, InputFile, ScanInput, ScanRequest, MAX_PATH_LEN,
};
pub use walk::SkipReason;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::finding::{BaselineState, Finding, JobKind, NoteLevel, Notification};
use crate::model::{CancelReason, CancelToken, Progress};
use crate::rule::RuleMeta;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How long before a scan a file must have last changed for the file index to vouch for it later (git's
/// racy-file rule; 2 s covers the coarsest timestamps in use, FAT's).
pub const FILE_INDEX_MARGIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Default `--max-file-size`: 2 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Everything a scan needs besides the jobs.
pub struct ScanOptions {
    /// A directory or a single file.
    pub path: PathBuf,
    pub excludes: Vec<String>,
    pub max_file_size: u64,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    pub selection: RuleSelection,
    pub extra_rule_dirs: Vec<PathBuf>,
    pub baseline: Option<baseline::Baseline>,
    pub progress: Progress,
    pub cancel: CancelToken,
    /// `--shard I/N`: only this shard's files (see [`shard::Shard`]); applied after the walk.
    pub shard: Option<shard::Shard>,
    /// The result cache jobs use (disabled by default; the CLI and the service set one). The engine salts
    /// it with the rule selection.
    pub cache: Option<std::sync::Arc<dyn crate::model::CacheStore>>,
    /// Put every rule of the jobs into the result (`--all-rules`), not only those its findings use.
    pub all_rules: bool,
    /// With a cache: keep a file index in it (the CLI does; see `file_index.rs`), so files whose metadata
    /// did not change are not read again. A file changed less than this margin before a scan is not
    /// vouched for by the next one.
    pub file_index: Option<std::time::Duration>,
}

impl ScanOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ScanOptions {
            path: path.into(),
            excludes: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            selection: RuleSelection::default(),
            extra_rule_dirs: Vec::new(),
            baseline: None,
            progress: Progress::none(),
            cancel: CancelToken::default(),
            shard: None,
            cache: None,
            all_rules: false,
            file_index: None,
        }
    }
}

/// What identifies this build beyond its version: the executable's size and modification time, so a
/// rebuilt binary (a development build, an upgrade to the same version number) never reads results that
/// an older build cached.
fn build_stamp() -> Vec<u8> {
    static STAMP: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    STAMP
        .get_or_init(|| {
            let meta = std::env::current_exe().and_then(std::fs::metadata);
            match meta {
                Ok(m) => {
                    let mtime = m
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_nanos())
                        .unwrap_or(0);
                    format!("{}:{mtime}", m.len()).into_bytes()
                }
                Err(_) => b"unknown-build".to_vec(),
            }
        })
        .clone()
}

/// Stop with an error when the scan was cancelled or ran out of time: a scan that could not do its work
/// never gives a result that could pass the gate.
fn check_cancel(cancel: &CancelToken) -> Result<()> {
    match cancel.reason() {
        None => Ok(()),
        Some(CancelReason::Requested) => Err(Error::Cancelled),
        Some(CancelReason::Deadline) => Err(Error::TimedOut),
    }
}

/// Build the jobs a configuration asks for.
pub fn build_jobs(config: &Config, extra_rule_dirs: &[PathBuf]) -> Result<Vec<Box<dyn Job>>> {
    let wanted: Vec<JobKind> = config.jobs.clone().unwrap_or_else(|| JobKind::ALL.to_vec());
    let mut jobs: Vec<Box<dyn Job>> = Vec::new();
    for kind in JobKind::ALL {
        if !wanted.contains(&kind) {
            continue;
        }
        let job: Box<dyn Job> = match kind {
            JobKind::Secrets => Box::new(crate::secrets::SecretsJob::new(
                &config.secrets,
                extra_rule_dirs,
            )?),
            JobKind::Sast => Box::new(crate::sast::SastJob::new(&config.sast, extra_rule_dirs)?),
            JobKind::Sca => Box::new(crate::sca::ScaJob::new(&config.sca, extra_rule_dirs)?),
            JobKind::Contract => Box::new(crate::contract::ContractJob::new(
                &config.contract,
                extra_rule_dirs,
            )?),
        };
        jobs.push(job);
    }
    Ok(jobs)
}

/// Run a scan.
pub fn scan(jobs: &[Box<dyn Job>], opts: &ScanOptions) -> Result<ScanResult> {
    // --shard: whole-tree jobs run in shard 1 only (the files are split after the walk, below).
    let jobs: Vec<&dyn Job> = jobs
        .iter()
        .map(|j| j.as_ref())
        .filter(|j| opts.shard.is_none_or(|s| s.runs(j.kind())))
        .collect();
    let meta = std::fs::metadata(&opts.path)
        .map_err(|e| Error::Usage(format!("cannot scan {}: {e}", opts.path.display())))?;
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Other(format!("cannot start worker threads: {e}")))?;

    let started = std::time::SystemTime::now();
    let index = match (&opts.cache, opts.file_index) {
        (Some(store), Some(_)) if meta.is_dir() => Some(std::sync::Arc::new(
            file_index::FileIndex::load(store.as_ref(), &opts.path),
        )),
        _ => None,
    };
    // A single file is scanned with its directory as root, so paths stay relative.
    let (root, mut walked) = if meta.is_file() {
        let root = opts
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let rel = walk::rel_path(&root, &opts.path);
        let mut w = walk::WalkResult::default();
        match walk::classify(&opts.path, opts.max_file_size) {
            Ok(size) => {
                w.files.push(SourceFile {
                    rel,
                    abs: opts.path.clone(),
                    size,
                });
            }
            Err((reason, message)) => {
                w.notifications.push(
                    Notification::new(NoteLevel::Warning, "skipped", format!("{rel}: {message}"))
                        .at(rel, None),
                );
                *w.skipped.entry(reason).or_default() += 1;
            }
        }
        (root, w)
    } else {
        let w = walk::walk(
            &opts.path,
            &walk::WalkOptions {
                excludes: opts.excludes.clone(),
                max_file_size: opts.max_file_size,
                threads,
                index: index.clone(),
            },
        )?;
        (opts.path.clone(), w)
    };

    let mut ctx = ScanContext::new(root.clone());
    ctx.selection = opts.selection.clone();
    ctx.extra_rule_dirs = opts.extra_rule_dirs.clone();
    ctx.progress = opts.progress.clone();
    ctx.cancel = opts.cancel.clone();
    ctx.shard = opts.shard;
    if let Some(store) = &opts.cache {
        let sel = format!("{:?}|{:?}", opts.selection.select, opts.selection.ignore);
        ctx.cache =
            crate::model::ResultCache::new(store.clone(), &[sel.as_bytes(), &build_stamp()]);
    }
    let unchanged = walked.known.len();
    ctx.set_known_contents(std::mem::take(&mut walked.known));
    check_cancel(&opts.cancel)?;

    // --shard: this shard's files for the jobs that look at files one by one.
    let shard_files: Option<Vec<SourceFile>> = opts.shard.map(|s| {
        walked
            .files
            .iter()
            .filter(|f| s.keeps(&f.rel))
            .cloned()
            .collect()
    });
    let outputs: Mutex<Vec<(JobKind, JobOutput)>> = Mutex::new(Vec::new());
    let n_files = shard_files.as_ref().unwrap_or(&walked.files).len();
    let n_jobs = jobs.len();
    let jobs_done = std::sync::atomic::AtomicUsize::new(0);
    opts.progress
        .set_message(format!("scanning {n_files} files, 0/{n_jobs} jobs done"));
    pool.install(|| {
        rayon::scope(|s| {
            for job in &jobs {
                let ctx = &ctx;
                let files = match &shard_files {
                    Some(own)
                        if !shard::Shard::whole_tree(job.kind())
                            && !shard::Shard::context_from_whole_tree(job.kind()) =>
                    {
                        own
                    }
                    _ => &walked.files,
                };
                let outputs = &outputs;
                let jobs_done = &jobs_done;
                s.spawn(move |_| {
                    let out = job.scan(files, ctx);
                    let done = jobs_done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    ctx.progress.set_message(format!(
                        "scanning {n_files} files, {done}/{n_jobs} jobs done"
                    ));
                    outputs.lock().unwrap().push((job.kind(), out));
                });
            }
        })
    });
    opts.progress.finish();
    check_cancel(&opts.cancel)?;
    let known = ctx.known_contents();
    if let (Some(index), Some(store), Some(margin)) = (&index, &opts.cache, opts.file_index) {
        index.save(store.as_ref(), &walked.stats, &known, started, margin);
    }
    let mut outputs = outputs.into_inner().unwrap();
    outputs.sort_by_key(|(k, _)| *k);

    let mut findings = Vec::new();
    let mut notifications = walked.notifications;
    for rel in ctx.lossy_files() {
        notifications.push(
            Notification::new(
                NoteLevel::Note,
                "invalid-utf8",
                format!("{rel}: not valid UTF-8; scanned with invalid bytes replaced"),
            )
            .at(rel, None),
        );
    }
    let mut rules: BTreeMap<String, RuleMeta> = BTreeMap::new();
    let mut properties = BTreeMap::new();
    let mut stats = ScanStats {
        files: n_files,
        skipped: walked
            .skipped
            .iter()
            .map(|(r, n)| (r.as_str().to_string(), *n))
            .collect(),
        files_per_job: BTreeMap::new(),
        unchanged,
    };
    let mut failed_jobs = Vec::new();
    // Describing every rule costs start-up time (the contract job has 1,800): only those in use, unless
    // the caller wants them all; a job without findings is not asked.
    let mut used: BTreeMap<JobKind, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for (kind, o) in &outputs {
        for f in &o.findings {
            used.entry(*kind).or_default().insert(f.rule_id.as_str());
        }
    }
    for job in &jobs {
        let described = if opts.all_rules {
            job.rules()
        } else {
            match used.get(&job.kind()) {
                Some(ids) => job.rules_for(ids),
                None => Vec::new(),
            }
        };
        for r in described {
            rules.entry(r.id.clone()).or_insert(r);
        }
    }
    for (kind, out) in outputs {
        stats.files_per_job.insert(kind, out.files_scanned);
        if out.failed {
            failed_jobs.push(kind);
        }
        for r in out.dynamic_rules {
            rules.entry(r.id.clone()).or_insert(r);
        }
        for (k, v) in out.properties {
            // `sca.osv_database`, whether the job named its key `osv_database` or `sca.osv_database`
            let bare = k
                .strip_prefix(kind.as_str())
                .map(|r| r.trim_start_matches(['.', '_', '-']))
                .filter(|r| !r.is_empty())
                .unwrap_or(&k);
            properties.insert(format!("{}.{bare}", kind.as_str()), v);
        }
        notifications.extend(out.notifications);
        findings.extend(
            out.findings
                .into_iter()
                .filter(|f| opts.selection.enabled(&f.rule_id, f.job)),
        );
    }

    Ok(finish(
        &root,
        opts.path.clone(),
        findings,
        rules.into_values().collect(),
        notifications,
        Finish {
            stats,
            properties,
            jobs: jobs.iter().map(|j| j.kind()).collect(),
            failed_jobs,
            baseline: opts.baseline.as_ref(),
            lines: Some(lines::Known {
                cache: &ctx.cache,
                contents: &known,
            }),
        },
    ))
}

/// What [`finish`] needs besides findings, rules and notifications.
#[derive(Default)]
pub struct Finish<'a> {
    pub stats: ScanStats,
    pub properties: BTreeMap<String, serde_json::Value>,
    pub jobs: Vec<JobKind>,
    pub failed_jobs: Vec<JobKind>,
    pub baseline: Option<&'a baseline::Baseline>,
    /// The scan's cache and the digests it knows (suppressions and line hashes of unchanged files then
    /// come from the cache).
    pub lines: Option<lines::Known<'a>>,
}

/// Turn raw job results into a report-ready [`ScanResult`]: sort and dedupe, fingerprint, apply inline
/// suppressions (files read below `files_root`) and the baseline. `tollgate diff` uses it too, so every
/// output goes through the same writers.
pub fn finish(
    files_root: &Path,
    shown_root: PathBuf,
    mut findings: Vec<Finding>,
    rules: Vec<RuleMeta>,
    mut notifications: Vec<Notification>,
    extra: Finish,
) -> ScanResult {
    let mut rules: BTreeMap<String, RuleMeta> =
        rules.into_iter().map(|r| (r.id.clone(), r)).collect();
    // Every finding needs a rule for SARIF's ruleIndex: make a minimal one if a job forgot.
    for f in &findings {
        if !rules.contains_key(&f.rule_id) {
            rules.insert(f.rule_id.clone(), fallback_rule(f));
        }
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
    fingerprint(&mut findings);
    // read while the files are still there (an in-memory scan's scratch directory is gone by the time a
    // report is written)
    lines::apply(files_root, &mut findings, extra.lines.as_ref());
    if let Some(b) = extra.baseline {
        for f in &mut findings {
            f.baseline_state = Some(if b.contains(&f.fingerprint) {
                BaselineState::Unchanged
            } else {
                BaselineState::New
            });
        }
    }
    notifications.sort();
    notifications.dedup();
    ScanResult {
        root: shown_root,
        findings,
        rules: rules.into_values().collect(),
        notifications,
        stats: extra.stats,
        properties: extra.properties,
        jobs: extra.jobs,
        failed_jobs: extra.failed_jobs,
    }
}

fn fallback_rule(f: &Finding) -> RuleMeta {
    RuleMeta {
        id: f.rule_id.clone(),
        job: f.job,
        name: f.rule_id.clone(),
        title: f.rule_id.clone(),
        description: f.message.clone(),
        help_markdown: f.remediation.clone().unwrap_or_else(|| f.message.clone()),
        severity: f.severity,
        precision: crate::rule::Precision::Medium,
        cwe: f.cwe.clone(),
        tags: Vec::new(),
        help_uri: None,
        security_severity: None,
    }
}

/// A fingerprint that survives edits above the finding: a hash of the rule, the path, the job's
/// line-independent key (or the normalised snippet) and the occurrence number of that triple in the file.
fn fingerprint(findings: &mut [Finding]) {
    let mut seen: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    for f in findings.iter_mut() {
        let key = if !f.fingerprint_key.is_empty() {
            f.fingerprint_key.clone()
        } else if let Some(s) = &f.snippet {
            s.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            f.message.clone()
        };
        let n = seen
            .entry((f.rule_id.clone(), f.location.path.clone(), key.clone()))
            .or_insert(0);
        let mut h = Sha256::new();
        for part in [
            f.rule_id.as_bytes(),
            f.location.path.as_bytes(),
            key.as_bytes(),
        ] {
            h.update(part);
            h.update([0u8]);
        }
        h.update(n.to_le_bytes());
        *n += 1;
        f.fingerprint = hex::encode(&h.finalize()[..16]);
    }
}
