//! `tollgate rules` and `tollgate rules explain ID`.

use crate::config::Config;
use crate::engine;
use crate::finding::JobKind;
use crate::rule::RuleMeta;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,
    /// Only the rules of this job.
    #[arg(long = "job", value_name = "JOB")]
    pub job: Option<JobKind>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Extra rule directory; repeatable.
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Print a rule's documentation: what it finds, why it matters, how to fix it, an example.
    Explain {
        /// The rule id (case-insensitive).
        id: String,
    },
}

/// Every rule known before a scan, sorted by id.
pub fn all_rules(extra: &[PathBuf]) -> anyhow::Result<Vec<RuleMeta>> {
    let jobs = engine::build_jobs(&Config::default(), extra)?;
    let mut rules: Vec<RuleMeta> = jobs.iter().flat_map(|j| j.rules()).collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules.dedup_by(|a, b| a.id == b.id);
    Ok(rules)
}

pub fn explain(rule: &RuleMeta) -> String {
    let cwe: Vec<String> = rule.cwe.iter().map(|c| format!("CWE-{c}")).collect();
    let mut s = format!(
        "{} — {}\njob: {}   severity: {}   precision: {}   {}\n\n",
        rule.id,
        rule.title,
        rule.job,
        rule.severity,
        rule.precision.as_str(),
        cwe.join(", ")
    );
    s.push_str(rule.help_markdown.trim_end());
    s.push('\n');
    s
}

pub fn run(args: &RulesArgs) -> anyhow::Result<i32> {
    let rules = all_rules(&args.rules)?;
    match &args.command {
        Some(RulesCommand::Explain { id }) => {
            match rules.iter().find(|r| r.id.eq_ignore_ascii_case(id)) {
                Some(r) => {
                    print!("{}", explain(r));
                    Ok(0)
                }
                None => {
                    eprintln!(
                        "tollgate: error: no rule `{id}` (run `tollgate rules` for the list)"
                    );
                    Ok(crate::gate::EXIT_ERROR)
                }
            }
        }
        None => {
            let shown: Vec<&RuleMeta> = rules
                .iter()
                .filter(|r| args.job.is_none_or(|j| r.job == j))
                .collect();
            if args.json {
                let v: Vec<serde_json::Value> = shown
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "job": r.job, "severity": r.severity,
                            "precision": r.precision.as_str(), "cwe": r.cwe, "title": r.title,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{:<40} {:<9} {:<9} {:<9} TITLE",
                    "ID", "JOB", "SEVERITY", "CWE"
                );
                for r in &shown {
                    let cwe = r
                        .cwe
                        .first()
                        .map(|c| format!("CWE-{c}"))
                        .unwrap_or_default();
                    println!(
                        "{:<40} {:<9} {:<9} {:<9} {}",
                        r.id,
                        r.job.as_str(),
                        r.severity.as_str(),
                        cwe,
                        r.title
                    );
                }
                println!("\n{} rules", shown.len());
            }
            Ok(0)
        }
    }
}
