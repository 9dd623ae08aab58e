//! Contract job: OpenAPI documents diffed against their previous version.

use crate::engine::{Job, JobOutput, ScanContext, SourceFile};
use crate::finding::JobKind;
use crate::rule::RuleMeta;
use serde::Deserialize;

/// `[contract]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {}

pub struct ContractJob {}

impl ContractJob {
    pub fn new(
        _config: &Config,
        _extra_rule_dirs: &[std::path::PathBuf],
    ) -> crate::error::Result<Self> {
        Ok(ContractJob {})
    }
}

impl Job for ContractJob {
    fn kind(&self) -> JobKind {
        JobKind::Contract
    }
    fn rules(&self) -> Vec<RuleMeta> {
        Vec::new()
    }
    fn scan(&self, _files: &[SourceFile], _ctx: &ScanContext) -> JobOutput {
        JobOutput::default()
    }
}
