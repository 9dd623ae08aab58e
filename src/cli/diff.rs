//! `tollgate diff BASE REVISION`: compare two OpenAPI documents. (Owned by the contract job.)

use crate::contract::{self, Config as ContractConfig, LevelThreshold, Source};
use crate::engine;
use crate::finding::Notification;
use crate::gate;
use crate::report::{self, Format, Report};
use std::path::PathBuf;

/// Output formats of `tollgate diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Sarif,
    Markdown,
}

/// Arguments of `tollgate diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The previous version: a file, or `git:REF:path`.
    pub base: String,
    /// The new version: a file, or `git:REF:path`.
    pub revision: String,
    /// Output format (`markdown` is a changelog grouped by operation, breaking changes first).
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Write the output to a file instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Exit 1 when a change at or above this level is found: error (breaking, the default), warning,
    /// info or never.
    #[arg(long)]
    pub fail_on: Option<LevelThreshold>,
    /// SARIF `automationDetails.id` category.
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    /// Configuration file (tollgate.toml or pyproject.toml); its `[contract]` section is used.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Run `tollgate diff`; returns the process exit code (0 pass, 1 breaking changes at or above the
/// threshold, 2 error).
pub fn run(args: &DiffArgs) -> anyhow::Result<i32> {
    let cfg: ContractConfig = match &args.config {
        Some(p) => crate::config::Config::load(p)?.contract,
        None => {
            let mut found = None;
            for name in ["tollgate.toml", ".tollgate.toml"] {
                let p = PathBuf::from(name);
                if p.is_file() {
                    found = Some(crate::config::Config::load(&p)?.contract);
                    break;
                }
            }
            found.unwrap_or_default()
        }
    };
    let opts = cfg.options();
    let (changes, notes) = contract::diff_sources(
        Source::from_arg(&args.base),
        Source::from_arg(&args.revision),
        &opts,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let out = match args.format {
        DiffFormat::Text => {
            let mut s = String::new();
            for n in &notes {
                s.push_str(&format!("note: {}\n", n.message));
            }
            s.push_str(&contract::render_text(&changes, &cfg));
            s
        }
        DiffFormat::Markdown => contract::render_markdown(&changes, &cfg),
        DiffFormat::Json => contract::render_json(&changes, &notes, &cfg),
        DiffFormat::Sarif => sarif(&changes, &notes, &cfg, threshold(args, &cfg), args),
    };
    match &args.output {
        Some(p) => std::fs::write(p, out).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => {
            use std::io::Write;
            let mut so = std::io::stdout().lock();
            let _ = so.write_all(out.as_bytes());
        }
    }
    let threshold = threshold(args, &cfg);
    let fails = changes
        .iter()
        .any(|c| cfg.ignored(c).is_none() && threshold.fails(c.level));
    Ok(if fails { 1 } else { 0 })
}

fn threshold(args: &DiffArgs, cfg: &ContractConfig) -> LevelThreshold {
    args.fail_on
        .or(cfg.fail_on)
        .unwrap_or(LevelThreshold::Level(contract::Level::Error))
}

/// SARIF through the same writer as `tollgate scan`: changes become findings of the contract job.
fn sarif(
    changes: &[contract::diff::Change],
    notes: &[Notification],
    cfg: &ContractConfig,
    threshold: LevelThreshold,
    args: &DiffArgs,
) -> String {
    let result = engine::diff_result(changes, notes, cfg);
    let verdict = gate::evaluate(&engine::diff_policy(threshold), &result);
    report::render(
        &Report {
            result: &result,
            verdict: &verdict,
            category: args.category.clone(),
            all_rules: false,
        },
        Format::Sarif,
        false,
    )
}
