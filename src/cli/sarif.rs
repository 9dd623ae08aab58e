//! `tollgate sarif merge A B ... [-o OUT]`: one SARIF run from the shards of `tollgate scan --shard I/N`.
//! Exit code: the merged verdict (0 passed, 1 failed, 2 error or unusable input).

use crate::report::{merge, sarif};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum SarifCommand {
    /// Merge the SARIF of sharded scans (`tollgate scan --shard I/N`) into the run an unsharded scan writes.
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// SARIF files written by tollgate (every shard of one scan).
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Write the merged SARIF to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(cmd: &SarifCommand) -> anyhow::Result<i32> {
    match cmd {
        SarifCommand::Merge(a) => {
            let mut docs = Vec::new();
            let mut names = Vec::new();
            for f in &a.files {
                let text = std::fs::read_to_string(f)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?;
                let doc: serde_json::Value =
                    crate::doc::json::from_str(&text, &crate::doc::Limits::DEFAULT)
                        .map_err(|e| anyhow::anyhow!("{}", e.in_file(f.display().to_string())))?;
                docs.push(doc);
                names.push(f.display().to_string());
            }
            let merged = merge::merge(&docs, &names).map_err(|e| anyhow::anyhow!("{e}"))?;
            let out = sarif::to_string(&merged);
            match &a.output {
                Some(p) => std::fs::write(p, out)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
                None => print!("{out}"),
            }
            Ok(merge::exit_code(&merged))
        }
    }
}
