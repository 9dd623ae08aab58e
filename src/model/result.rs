//! The outcome of a scan, before the gate: sorted, fingerprinted findings, the rules they refer to,
//! notifications and counts. Every report writer and the gate read this and nothing else.

use super::finding::{Finding, JobKind, Notification};
use super::rule::RuleMeta;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Counts for the summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ScanStats {
    /// Files walked and handed to the jobs.
    pub files: usize,
    /// Files left out, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Files each job looked at.
    pub files_per_job: BTreeMap<JobKind, usize>,
    /// Files the file index vouched for (unchanged since an earlier scan: not read unless a job's cache
    /// missed). Not in any report: a cached scan must give the same bytes as an uncached one.
    #[serde(skip)]
    pub unchanged: usize,
}

/// The outcome of a scan, before the gate.
#[derive(Debug)]
pub struct ScanResult {
    /// The scan root as the user gave it.
    pub root: PathBuf,
    /// Sorted, fingerprinted, with suppressions and baseline state applied.
    pub findings: Vec<Finding>,
    /// Every rule of the jobs that ran, sorted by id (static rules and those made during the scan).
    pub rules: Vec<RuleMeta>,
    pub notifications: Vec<Notification>,
    pub stats: ScanStats,
    /// Run-level facts from the jobs (e.g. advisory database identity), keyed `job.key`.
    pub properties: BTreeMap<String, serde_json::Value>,
    /// Jobs that ran.
    pub jobs: Vec<JobKind>,
    /// Jobs that could not do their work (the scan is then an error, exit 2).
    pub failed_jobs: Vec<JobKind>,
}

impl ScanResult {
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }
}

/// Rules that produced results, in id order.
pub fn rules_used(result: &ScanResult) -> Vec<&RuleMeta> {
    let ids: BTreeSet<&str> = result.findings.iter().map(|f| f.rule_id.as_str()).collect();
    result
        .rules
        .iter()
        .filter(|r| ids.contains(r.id.as_str()))
        .collect()
}
