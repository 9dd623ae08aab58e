//! `tollgate scan [PATH]`.

use crate::config::{Config, FailOn};
use crate::engine::{self, baseline::Baseline, ScanInput, ScanRequest};
use crate::finding::JobKind;
use crate::gate::{self, GatePolicy};
use crate::model::{Progress, ProgressEvent};
use crate::report::{self, Format, Report};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Directory or file to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// More files to scan with the first (e.g. the staged files pre-commit passes); paths are kept as given.
    #[arg(value_name = "MORE_FILES", conflicts_with_all = ["diff_base", "history"])]
    pub more_paths: Vec<PathBuf>,
    /// The paths are files to scan as a set, reported with the paths as given even when there is one
    /// (what the pre-commit hook passes).
    #[arg(long, conflicts_with_all = ["diff_base", "history"])]
    pub files: bool,

    /// Output format on stdout.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: Format,
    /// Write the `--format` output to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write SARIF 2.1.0 to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif_out: Option<PathBuf>,
    /// Also write JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json_out: Option<PathBuf>,
    /// Also write JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit_out: Option<PathBuf>,
    /// Also write the markdown summary to FILE (it goes to $GITHUB_STEP_SUMMARY by itself when set).
    #[arg(long, value_name = "FILE")]
    pub markdown_out: Option<PathBuf>,
    /// Also write GitHub workflow commands (annotations) to FILE.
    #[arg(long, value_name = "FILE")]
    pub github_out: Option<PathBuf>,
    /// Also write FORMAT to FILE (any format: text, json, sarif, github, junit, markdown); repeatable.
    #[arg(long = "out", value_name = "FORMAT=FILE", value_parser = parse_out)]
    pub out: Vec<(Format, PathBuf)>,
    /// Do not append the markdown summary to $GITHUB_STEP_SUMMARY.
    #[arg(long)]
    pub no_step_summary: bool,

    /// Scan only shard I of N (a stable split of the files by path, for CI matrix jobs; SCA and contract
    /// run in shard 1 only). Put the shards together with `tollgate sarif merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::model::shard::Shard>,
    /// Upload the SARIF to GitHub code scanning (token, repository, commit and ref from the Actions
    /// environment or the --github-* flags) and wait until it is processed.
    #[arg(long)]
    pub github_upload: bool,
    #[command(flatten)]
    pub github: super::github::UploadFlags,

    /// Fail the gate on findings at or above this severity
    /// (critical, high, medium, low, info, never) [default: high].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Only run these jobs (comma-separated: secrets, sast, sca, contract). Not to be confused with
    /// `--jobs N`, the number of threads.
    #[arg(
        long = "job",
        visible_alias = "only",
        value_name = "JOB",
        value_delimiter = ','
    )]
    pub jobs: Vec<JobKind>,
    /// Enable only these rules: ids, id prefixes (`SEC-AWS`), job names or ALL (comma-separated, repeatable).
    #[arg(long, value_name = "RULE_OR_PREFIX")]
    pub select: Vec<String>,
    /// Disable these rules: ids, id prefixes or job names (comma-separated, repeatable).
    #[arg(long, value_name = "RULE_OR_PREFIX")]
    pub ignore: Vec<String>,
    /// Extra rule directory (`DIR/secrets/*.yaml`, `DIR/python/*.yaml`); repeatable.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// Leave out paths matching this glob (gitignore syntax, relative to PATH); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files larger than this (bytes, or with k/M/G) [default: 2M].
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    pub max_file_size: Option<u64>,
    /// Worker threads [default: all cores].
    #[arg(
        long = "jobs",
        short = 'j',
        visible_alias = "threads",
        value_name = "N"
    )]
    pub threads: Option<usize>,

    /// Offline OSV database directory (`DIR/<ECOSYSTEM>/all.zip`); overrides the config file.
    #[arg(long, value_name = "DIR", env = "TOLLGATE_OSV_DB")]
    pub osv_db: Option<PathBuf>,
    /// Ask the osv.dev API instead of the offline database.
    #[arg(long)]
    pub online: bool,
    /// Diff every OpenAPI document in the tree against the same path at this git ref (e.g. origin/main).
    #[arg(long, value_name = "REF")]
    pub contract_base: Option<String>,

    /// Configuration file [default: nearest tollgate.toml or pyproject.toml [tool.tollgate]].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Only findings not in this baseline count for the gate (a file from --write-baseline, or a SARIF file).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline in FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// SARIF `automationDetails.id` category, to upload several analyses side by side.
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Put every rule in the SARIF, not only those that produced results.
    #[arg(long)]
    pub all_rules: bool,

    /// Print only the verdict line (and errors).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Only findings that are not in a scan of this git ref count for the gate (the ref is checked out
    /// in a temporary worktree and scanned with the same configuration); OpenAPI documents are also diffed
    /// against it unless --contract-base says otherwise.
    #[arg(long, value_name = "REF")]
    pub diff_base: Option<String>,
    /// Scan the lines added by each commit of RANGE for secrets, instead of the tree [default RANGE: the
    /// pull request's commits, `origin/$GITHUB_BASE_REF..HEAD`, else those on top of the default branch].
    #[arg(long, value_name = "RANGE", num_args = 0..=1, default_missing_value = "", conflicts_with = "diff_base")]
    pub history: Option<String>,
    /// Do not read or write the result cache (every file is scanned afresh).
    #[arg(long, env = "TOLLGATE_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    /// The result cache's directory [default: .tollgate_cache, or `cache-dir` in the config file].
    #[arg(long, value_name = "DIR", env = "TOLLGATE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Never download anything: no advisory database download or refresh.
    #[arg(long, env = "TOLLGATE_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,
}

fn parse_out(s: &str) -> Result<(Format, PathBuf), String> {
    let (f, p) = s
        .split_once('=')
        .filter(|(_, p)| !p.is_empty())
        .ok_or_else(|| {
            format!("invalid --out `{s}` (expected FORMAT=FILE, e.g. junit=report.xml)")
        })?;
    Ok((f.parse()?, PathBuf::from(p)))
}

fn load_config(args: &ScanArgs) -> anyhow::Result<Config> {
    if args.no_config {
        return Ok(Config::default());
    }
    if let Some(p) = &args.config {
        return Ok(Config::load(p)?);
    }
    Ok(Config::discover(&args.path)?.unwrap_or_default())
}

/// Merge command-line flags over the configuration file.
fn effective_config(args: &ScanArgs) -> anyhow::Result<Config> {
    let mut cfg = load_config(args)?;
    if !args.jobs.is_empty() {
        cfg.jobs = Some(args.jobs.clone());
    }
    if !args.select.is_empty() {
        cfg.select = super::split_list(&args.select);
    }
    cfg.ignore.extend(super::split_list(&args.ignore));
    cfg.exclude.extend(args.exclude.iter().cloned());
    cfg.rules.extend(args.rules.iter().cloned());
    if let Some(m) = args.max_file_size {
        cfg.max_file_size = Some(m);
    }
    if let Some(db) = &args.osv_db {
        cfg.sca.osv_db = Some(db.clone());
    }
    if args.online {
        cfg.sca.online = true;
    }
    if let Some(base) = &args.contract_base {
        cfg.contract.base = Some(base.clone());
    }
    // One flag serves both: --diff-base is the contract base unless one is given.
    if let (Some(base), None) = (&args.diff_base, &cfg.contract.base) {
        cfg.contract.base = Some(base.clone());
    }
    if args.offline {
        cfg.sca.offline = true;
    }
    Ok(cfg)
}

fn gate_policy(cfg: &Config, cli: Option<FailOn>) -> GatePolicy {
    let mut p = GatePolicy {
        fail_on: cli.or(cfg.gate.fail_on).or(cfg.fail_on).unwrap_or_default(),
        per_job: cfg.gate.jobs.clone(),
    };
    // A threshold given on the command line applies to every job.
    if cli.is_some() {
        p.per_job.clear();
    }
    p
}

fn write_file(path: &Path, content: &str) -> anyhow::Result<()> {
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}

/// A progress bar on stderr, drawn only when the scan takes more than a moment.
fn progress_bar() -> Progress {
    let bar = indicatif::ProgressBar::hidden();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}; {pos} file checks, {elapsed}")
            .expect("valid template"),
    );
    let pb = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(400));
        if !pb.is_finished() {
            pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    });
    Progress::new(move |e| match e {
        ProgressEvent::Files(n) => bar.inc(n),
        ProgressEvent::Message(m) => bar.set_message(m),
        ProgressEvent::Finished => bar.finish_and_clear(),
    })
}

pub fn run(args: &ScanArgs) -> anyhow::Result<i32> {
    if !args.path.exists() {
        anyhow::bail!(
            "cannot scan {}: no such file or directory",
            args.path.display()
        );
    }
    let cfg = effective_config(args)?;
    let baseline = match &args.baseline {
        Some(p) => Some(Baseline::load(p)?),
        None => None,
    };
    let cache = super::cache::open(args.no_cache, args.cache_dir.as_deref(), &cfg);
    let store = || {
        cache
            .clone()
            .map(|c| c as std::sync::Arc<dyn crate::model::CacheStore>)
    };
    let (extras, baseline) = super::scan_extras::Extras::prepare(args, &cfg, baseline, store())?;
    let show_progress = !args.quiet && !args.no_progress && std::io::stderr().is_terminal();
    let progress = if show_progress {
        progress_bar()
    } else {
        Progress::none()
    };
    let policy = gate_policy(&cfg, args.fail_on);
    let history = super::scan_extras::Extras::history(args, &cfg, baseline.as_ref());
    let mut result = match history {
        Some(r) => r?,
        None => engine::run(ScanRequest {
            input: ScanInput::Path(extras.scan_path(args)),
            config: cfg,
            threads: args.threads.unwrap_or(0),
            baseline,
            progress,
            cancel: Default::default(),
            jobs: None,
            shard: args.shard,
            cache: store(),
            all_rules: args.all_rules,
            // as Ruff does: a file whose metadata did not change is not read again
            file_index: Some(engine::FILE_INDEX_MARGIN),
        })?,
    };
    super::cache::persist(cache.as_deref());
    extras.finish(&mut result);
    if let Some(s) = args.shard {
        result.properties.insert(
            report::merge::SHARD_PROPERTY.to_string(),
            serde_json::json!(s.to_string()),
        );
    }
    // The policy goes into the reports, so `sarif merge` recomputes the verdict exactly.
    result.properties.insert(
        report::merge::POLICY_PROPERTY.to_string(),
        report::merge::policy_value(&policy),
    );
    let verdict = gate::evaluate(&policy, &result);
    let report = Report {
        result: &result,
        verdict: &verdict,
        category: args.category.clone(),
        all_rules: args.all_rules,
    };

    if let Some(p) = &args.write_baseline {
        Baseline::write(p, &result.findings)?;
    }
    let mut outs: Vec<(Format, &PathBuf)> = Vec::new();
    for (flag, format) in [
        (&args.sarif_out, Format::Sarif),
        (&args.json_out, Format::Json),
        (&args.junit_out, Format::Junit),
        (&args.markdown_out, Format::Markdown),
        (&args.github_out, Format::Github),
    ] {
        if let Some(p) = flag {
            outs.push((format, p));
        }
    }
    outs.extend(args.out.iter().map(|(f, p)| (*f, p)));
    for (format, p) in &outs {
        write_file(p, &report::render(&report, *format, false))?;
    }
    step_summary(args, &report)?;
    match &args.output {
        Some(p) => write_file(p, &report::render(&report, args.format, false))?,
        None => {
            if args.quiet {
                if args.format == Format::Text {
                    println!("{}", verdict.reason);
                } else {
                    print!("{}", report::render(&report, args.format, false));
                }
            } else {
                let color = args.format == Format::Text
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                print!("{}", report::render(&report, args.format, color));
            }
        }
    }
    // The report went to a file: still tell the person at the terminal the verdict.
    if args.output.is_some() && !args.quiet {
        eprintln!("{}", verdict.reason);
    }
    if args.github_upload {
        let mut sarif = report::render(&report, Format::Sarif, false);
        // GitHub maps paths from the repository root (the working directory in a workflow).
        let prefix = report::workspace_path(&result, "");
        if !prefix.is_empty() && !prefix.starts_with('/') && !prefix.starts_with("..") {
            let mut doc: serde_json::Value =
                crate::doc::json::from_str(&sarif, &crate::doc::Limits::DEFAULT)?;
            report::sarif::prefix_uris(&mut doc, &prefix);
            sarif = report::sarif::to_string(&doc);
        }
        let (code, lines) =
            super::github::upload_sarif(&sarif, &args.github, args.category.clone())?;
        for l in lines {
            eprintln!("{l}");
        }
        if code != 0 {
            return Ok(code);
        }
    }
    Ok(verdict.exit_code())
}

/// In a GitHub workflow, append the markdown summary to the job's page (`$GITHUB_STEP_SUMMARY`).
fn step_summary(args: &ScanArgs, report: &Report) -> anyhow::Result<()> {
    if args.no_step_summary {
        return Ok(());
    }
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot write $GITHUB_STEP_SUMMARY ({})",
                Path::new(&path).display()
            )
        })?;
    f.write_all(report::render(report, Format::Markdown, false).as_bytes())
        .with_context(|| "cannot write $GITHUB_STEP_SUMMARY".to_string())?;
    Ok(())
}
