//! One scan of the service: a [`Submission`] becomes the same engine call, gate and reports as
//! `tollgate scan` on the same tree, so the SARIF bytes are the CLI's. What a tree's own `tollgate.toml`
//! may decide is limited here: rules, jobs, thresholds and exclusions, never paths or network access.

use super::input::{ScanParams, Submission};
use super::problem::Problem;
use super::AppState;
use crate::config::Config;
use crate::engine::{self, baseline::Baseline, ScanInput, ScanRequest};
use crate::gate::{self, GatePolicy, Verdict};
use crate::model::{CancelToken, FailOn, Job, JobKind, Progress, ScanResult};
use crate::report::{self, Format, Report};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Configuration file names honoured at the root of an uploaded tree, in the order `tollgate scan` looks.
const TREE_CONFIGS: &[&str] = &["tollgate.toml", ".tollgate.toml", "pyproject.toml"];

/// Jobs built for a configuration, kept so that a scan does not pay for compiling every rule again.
#[derive(Default)]
pub struct JobCache {
    entries: Mutex<BTreeMap<String, (Instant, Jobs)>>,
}

/// A built job list, shared by the scans that use it.
pub type Jobs = Arc<Vec<Box<dyn Job>>>;

const JOB_CACHE_TTL: Duration = Duration::from_secs(600);
const JOB_CACHE_MAX: usize = 32;

impl JobCache {
    pub fn get(&self, cfg: &Config) -> crate::Result<Jobs> {
        // The Debug form of the job-relevant sections identifies the jobs they build; the day is part
        // of it because SCA ignore entries expire by date.
        let key = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{}",
            cfg.jobs,
            cfg.secrets,
            cfg.sast,
            cfg.sca,
            cfg.contract,
            chrono::Utc::now().date_naive()
        );
        if let Some((at, jobs)) = self.entries.lock().unwrap().get(&key) {
            if at.elapsed() < JOB_CACHE_TTL {
                return Ok(jobs.clone());
            }
        }
        let jobs: Vec<Box<dyn Job>> = engine::build_jobs(cfg, &cfg.rules)?
            .into_iter()
            .map(|j| Box::new(RulesOnce::new(j)) as Box<dyn Job>)
            .collect();
        let jobs = Arc::new(jobs);
        let mut m = self.entries.lock().unwrap();
        if m.len() >= JOB_CACHE_MAX {
            m.retain(|_, (at, _)| at.elapsed() < JOB_CACHE_TTL);
            if m.len() >= JOB_CACHE_MAX {
                m.clear();
            }
        }
        m.insert(key, (Instant::now(), jobs.clone()));
        Ok(jobs)
    }
}

/// A job whose rule list is made once: building it (documentation, redacted examples, the contract's
/// check table) costs more than a small scan, and the engine asks for it on every scan.
struct RulesOnce {
    inner: Box<dyn Job>,
    rules: Vec<crate::model::RuleMeta>,
}

impl RulesOnce {
    fn new(inner: Box<dyn Job>) -> Self {
        let rules = inner.rules();
        RulesOnce { inner, rules }
    }
}

impl Job for RulesOnce {
    fn kind(&self) -> JobKind {
        self.inner.kind()
    }
    fn rules(&self) -> Vec<crate::model::RuleMeta> {
        self.rules.clone()
    }
    fn scan(
        &self,
        files: &[crate::model::SourceFile],
        ctx: &crate::model::ScanContext,
    ) -> crate::model::JobOutput {
        self.inner.scan(files, ctx)
    }
}

/// A finished scan, ready to store and answer with.
pub struct Executed {
    pub verdict: Verdict,
    /// The JSON report (`tollgate scan --format json`).
    pub report: String,
    /// The SARIF report (`tollgate scan --format sarif`).
    pub sarif: String,
    pub files: usize,
    /// Configuration keys of the tree that the service did not apply.
    pub ignored_keys: Vec<String>,
    /// Counted findings by job and severity (for metrics).
    pub counts: Vec<(JobKind, crate::model::Severity, usize)>,
}

impl Executed {
    /// `summary` of the JSON report.
    pub fn summary(&self) -> Value {
        crate::doc::json::from_str::<Value>(&self.report, &crate::doc::Limits::DEFAULT)
            .map(|v| v["summary"].clone())
            .unwrap_or(Value::Null)
    }
}

/// The configuration a scan of `sub` runs with, and the keys of the tree's configuration that were
/// ignored because only the service decides them.
pub fn effective_config(base: &Config, sub: &Submission) -> Result<(Config, Vec<String>), Problem> {
    let mut ignored = Vec::new();
    let mut cfg = base.clone();
    for name in TREE_CONFIGS {
        let Some(f) = sub.files.iter().find(|f| f.path == *name) else {
            continue;
        };
        let text = String::from_utf8_lossy(&f.content);
        if *name == "pyproject.toml" && !text.contains("[tool.tollgate") {
            continue;
        }
        let mut tree = Config::from_text(Path::new(name), &text)?;
        // What reaches outside the tree stays the service's.
        if !tree.rules.is_empty() {
            ignored.push("rules".to_string());
        }
        if tree.sca.osv_db.is_some() {
            ignored.push("sca.osv-db".into());
        }
        if tree.sca.online {
            ignored.push("sca.online".into());
        }
        if tree.sca.api_url.is_some() {
            ignored.push("sca.api-url".into());
        }
        if tree.sca.cache_dir.is_some() {
            ignored.push("sca.cache-dir".into());
        }
        if tree.contract.base.is_some() {
            ignored.push("contract.base".into());
        }
        if tree.cache_dir.is_some() {
            ignored.push("cache-dir".into());
        }
        let serve = &tree.serve;
        if format!("{serve:?}") != format!("{:?}", crate::config::ServeSection::default()) {
            ignored.push("serve".into());
        }
        tree.rules = base.rules.clone();
        tree.sca.osv_db = base.sca.osv_db.clone();
        tree.sca.online = base.sca.online;
        tree.sca.api_url = base.sca.api_url.clone();
        tree.sca.cache_dir = base.sca.cache_dir.clone();
        tree.contract.base = None;
        tree.cache_dir = None;
        tree.serve = base.serve.clone();
        tree.source = Some(name.into());
        cfg = tree;
        break;
    }
    apply_params(&mut cfg, &sub.params)?;
    Ok((cfg, ignored))
}

fn apply_params(cfg: &mut Config, p: &ScanParams) -> Result<(), Problem> {
    if let Some(jobs) = &p.jobs {
        let parsed: Result<Vec<JobKind>, String> = jobs.iter().map(|j| j.parse()).collect();
        cfg.jobs = Some(parsed.map_err(|e| Problem::bad_request(format!("`jobs`: {e}")))?);
    }
    if !p.select.is_empty() {
        cfg.select = p.select.clone();
    }
    cfg.ignore.extend(p.ignore.iter().cloned());
    Ok(())
}

/// The gate policy: the request's `fail_on` over the configuration's (as `--fail-on` over the file), then
/// the request's per-job thresholds.
pub fn gate_policy(cfg: &Config, p: &ScanParams) -> Result<GatePolicy, Problem> {
    let parse = |what: &str, v: &str| -> Result<FailOn, Problem> {
        v.parse::<FailOn>()
            .map_err(|e| Problem::bad_request(format!("`{what}`: {e}")))
    };
    let cli = p
        .fail_on
        .as_deref()
        .map(|v| parse("fail_on", v))
        .transpose()?;
    let mut policy = GatePolicy {
        fail_on: cli.or(cfg.gate.fail_on).or(cfg.fail_on).unwrap_or_default(),
        per_job: cfg.gate.jobs.clone(),
    };
    if cli.is_some() {
        policy.per_job.clear();
    }
    for (job, v) in &p.fail_on_jobs {
        let kind: JobKind = job
            .parse()
            .map_err(|e: String| Problem::bad_request(format!("`fail_on_{job}`: {e}")))?;
        policy
            .per_job
            .insert(kind, parse(&format!("fail_on_{job}"), v)?);
    }
    Ok(policy)
}

/// Run one submission to the end (blocking: call from a blocking thread).
pub fn execute(
    state: &AppState,
    sub: Submission,
    threads: usize,
    progress: Progress,
    cancel: CancelToken,
) -> Result<Executed, Problem> {
    let (mut cfg, ignored_keys) = effective_config(&state.config.base_config, &sub)?;
    let policy = gate_policy(&cfg, &sub.params)?;
    if let Some(db) = state.osv.load_full() {
        cfg.sca.osv_db = Some(db.dir.clone());
        cfg.sca.preloaded = Some(db);
    } else if let Some(dir) = &state.config.osv_db {
        cfg.sca.osv_db = Some(dir.clone());
    }
    if cfg.sca.cache_dir.is_none() {
        cfg.sca.cache_dir = Some(state.config.data_dir.join("cache"));
    }
    let baseline = match &sub.baseline {
        Some(text) => Some(Baseline::from_text(Path::new("baseline"), text)?),
        None => None,
    };
    // Base documents for the contract job go to their own scratch directory, removed with this scope.
    let base_dir = if sub.contract_base.is_empty() {
        None
    } else {
        let d = tempfile::Builder::new()
            .prefix("tollgate-base-")
            .tempdir()
            .map_err(|e| Problem::internal(format!("scratch directory: {e}")))?;
        let files: Vec<engine::InputFile> =
            sub.contract_base.iter().cloned().map(Into::into).collect();
        engine::write_files(d.path(), &files)?;
        cfg.contract.base = Some("the uploaded base".into());
        cfg.contract.base_dir = Some(d.path().to_path_buf());
        Some(d)
    };
    let jobs = state.jobs.get(&cfg)?;
    let params = sub.params.clone();
    let files: Vec<engine::InputFile> = sub.files.into_iter().map(Into::into).collect();
    let cache = (!state.config.no_cache)
        .then(tokio::runtime::Handle::try_current)
        .and_then(Result::ok)
        .map(|rt| Arc::new(super::cache::StoreCache::new(state.store.clone(), rt)));
    let result = engine::run(ScanRequest {
        input: ScanInput::Files(files),
        config: cfg,
        threads,
        baseline,
        progress,
        cancel,
        jobs: Some(jobs),
        shard: None,
        all_rules: sub.params.all_rules,
        cache: cache
            .clone()
            .map(|c| c as Arc<dyn crate::model::CacheStore>),
        // uploads are written to a fresh directory: no metadata to trust
        file_index: None,
    });
    if let Some(c) = &cache {
        if result.is_ok() {
            c.flush(super::now_ms());
        }
        let m = &state.metrics;
        m.cache_hits
            .inc_by(c.hits.load(std::sync::atomic::Ordering::Relaxed));
        m.cache_misses
            .inc_by(c.misses.load(std::sync::atomic::Ordering::Relaxed));
    }
    let result = result?;
    drop(base_dir);
    Ok(finish(result, &policy, &params, ignored_keys))
}

fn finish(
    mut result: ScanResult,
    policy: &GatePolicy,
    params: &ScanParams,
    ignored_keys: Vec<String>,
) -> Executed {
    // as `tollgate scan` does, so the same tree gives the same bytes
    result.properties.insert(
        report::merge::POLICY_PROPERTY.to_string(),
        report::merge::policy_value(policy),
    );
    let verdict = gate::evaluate(policy, &result);
    let rep = Report {
        result: &result,
        verdict: &verdict,
        category: params.category.clone(),
        all_rules: params.all_rules,
    };
    let report = report::render(&rep, Format::Json, false);
    let sarif = report::render(&rep, Format::Sarif, false);
    let mut counts = Vec::new();
    for (job, sev) in report::json::counts(&rep) {
        for (s, n) in sev {
            counts.push((job, s, n));
        }
    }
    Executed {
        files: result.stats.files,
        verdict,
        report,
        sarif,
        ignored_keys,
        counts,
    }
}

/// The body of a finished scan in JSON: id, status, verdict, summary, findings and notifications.
pub fn scan_body(id: &str, report: &str, ignored_keys: &[String]) -> Value {
    let r: Value =
        crate::doc::json::from_str(report, &crate::doc::Limits::DEFAULT).unwrap_or(Value::Null);
    json!({
        "id": id,
        "status": "done",
        "verdict": r["verdict"],
        "summary": r["summary"],
        "findings": r["findings"],
        "notifications": r["notifications"],
        "ignored_config_keys": ignored_keys,
        "links": links(id),
    })
}

pub fn links(id: &str) -> Value {
    json!({
        "self": format!("/v1/scans/{id}"),
        "sarif": format!("/v1/scans/{id}/sarif"),
    })
}
