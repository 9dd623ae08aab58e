//! Python SAST job: tree-sitter pattern rules and taint tracking. Rules are data in `rules/python/`.

pub mod imports;
pub mod taint;

use crate::engine::{Job, JobOutput, ScanContext, SourceFile};
use crate::finding::JobKind;
use crate::rule::RuleMeta;
use serde::Deserialize;

/// `[sast]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {}

pub struct SastJob {}

impl SastJob {
    pub fn new(
        _config: &Config,
        _extra_rule_dirs: &[std::path::PathBuf],
    ) -> crate::error::Result<Self> {
        Ok(SastJob {})
    }
}

impl Job for SastJob {
    fn kind(&self) -> JobKind {
        JobKind::Sast
    }
    fn rules(&self) -> Vec<RuleMeta> {
        Vec::new()
    }
    fn scan(&self, _files: &[SourceFile], _ctx: &ScanContext) -> JobOutput {
        JobOutput::default()
    }
}
