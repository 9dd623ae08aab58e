//! `tollgate diff` and `POST /v1/contract-diffs` as a scan result: the changes between two API
//! descriptions become findings of the contract job and go through the same finishing, gate and report
//! writers as a scan.

use crate::contract::{self, diff::Change, Config, LevelThreshold};
use crate::gate::GatePolicy;
use crate::model::{FailOn, JobKind, Notification, ScanResult};
use std::path::{Path, PathBuf};

/// The changes as a finished scan result (paths as the documents were named).
pub fn diff_result(changes: &[Change], notes: &[Notification], cfg: &Config) -> ScanResult {
    let findings = changes
        .iter()
        .map(|c| contract::to_finding(c, cfg, None))
        .collect();
    let rules = contract::checks::all()
        .iter()
        .map(contract::rule_meta)
        .collect();
    super::finish(
        Path::new("."),
        PathBuf::from("."),
        findings,
        rules,
        notes.to_vec(),
        super::Finish {
            jobs: vec![JobKind::Contract],
            ..Default::default()
        },
    )
}

/// The gate of a diff: changes at or above `threshold` fail it.
pub fn diff_policy(threshold: LevelThreshold) -> GatePolicy {
    GatePolicy {
        fail_on: match threshold {
            LevelThreshold::Level(l) => FailOn::Severity(l.severity()),
            LevelThreshold::Never => FailOn::Never,
        },
        ..Default::default()
    }
}
