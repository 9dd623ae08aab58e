//! Secrets job: hardcoded credentials in any text file. Rules are data in `rules/secrets/`.

use crate::engine::{Job, JobOutput, ScanContext, SourceFile};
use crate::finding::JobKind;
use crate::rule::RuleMeta;
use serde::Deserialize;

/// `[secrets]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {}

pub struct SecretsJob {}

impl SecretsJob {
    pub fn new(
        _config: &Config,
        _extra_rule_dirs: &[std::path::PathBuf],
    ) -> crate::error::Result<Self> {
        Ok(SecretsJob {})
    }
}

impl Job for SecretsJob {
    fn kind(&self) -> JobKind {
        JobKind::Secrets
    }
    fn rules(&self) -> Vec<RuleMeta> {
        Vec::new()
    }
    fn scan(&self, _files: &[SourceFile], _ctx: &ScanContext) -> JobOutput {
        JobOutput::default()
    }
}
