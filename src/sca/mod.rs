//! SCA job: dependency manifests and lockfiles matched against OSV advisories.

use crate::engine::{Job, JobOutput, ScanContext, SourceFile};
use crate::finding::JobKind;
use crate::rule::RuleMeta;
use serde::Deserialize;

/// `[sca]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {}

pub struct ScaJob {}

impl ScaJob {
    pub fn new(
        _config: &Config,
        _extra_rule_dirs: &[std::path::PathBuf],
    ) -> crate::error::Result<Self> {
        Ok(ScaJob {})
    }
}

impl Job for ScaJob {
    fn kind(&self) -> JobKind {
        JobKind::Sca
    }
    fn rules(&self) -> Vec<RuleMeta> {
        Vec::new()
    }
    fn scan(&self, _files: &[SourceFile], _ctx: &ScanContext) -> JobOutput {
        JobOutput::default()
    }
}

pub mod manifests;
pub mod model;
