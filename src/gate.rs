//! Pass or fail: the verdict counts only findings that are neither suppressed nor in the baseline, each
//! against its job's threshold (`--fail-on`, `[gate] fail-on`, `[gate.jobs]`).

use crate::finding::{JobKind, Severity};
use crate::model::FailOn;
use crate::model::ScanResult;
use serde::Serialize;
use std::collections::BTreeMap;

/// Exit codes: a documented contract.
pub const EXIT_PASS: i32 = 0;
pub const EXIT_FAIL: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Clone, Default)]
pub struct GatePolicy {
    pub fail_on: FailOn,
    pub per_job: BTreeMap<JobKind, FailOn>,
}

impl GatePolicy {
    pub fn threshold(&self, job: JobKind) -> FailOn {
        self.per_job.get(&job).copied().unwrap_or(self.fail_on)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// One line for people: why it passed or failed.
    pub reason: String,
    /// Findings that failed the gate, by job and severity.
    pub failing: BTreeMap<JobKind, BTreeMap<Severity, usize>>,
    /// Thresholds that were applied, by job.
    pub thresholds: BTreeMap<JobKind, String>,
    /// Counted findings (not suppressed, not in the baseline).
    pub counted: usize,
    pub suppressed: usize,
    pub baselined: usize,
}

impl Verdict {
    pub fn exit_code(&self) -> i32 {
        match self.outcome {
            Outcome::Passed => EXIT_PASS,
            Outcome::Failed => EXIT_FAIL,
            Outcome::Error => EXIT_ERROR,
        }
    }
}

pub fn evaluate(policy: &GatePolicy, result: &ScanResult) -> Verdict {
    let mut failing: BTreeMap<JobKind, BTreeMap<Severity, usize>> = BTreeMap::new();
    let (mut counted, mut suppressed, mut baselined) = (0, 0, 0);
    for f in &result.findings {
        if f.suppression.is_some() {
            suppressed += 1;
            continue;
        }
        if !f.counts_for_gate() {
            baselined += 1;
            continue;
        }
        counted += 1;
        if policy.threshold(f.job).fails(f.severity) {
            *failing
                .entry(f.job)
                .or_default()
                .entry(f.severity)
                .or_default() += 1;
        }
    }
    let thresholds = result
        .jobs
        .iter()
        .map(|j| (*j, policy.threshold(*j).to_string()))
        .collect();

    if !result.failed_jobs.is_empty() {
        let names: Vec<&str> = result.failed_jobs.iter().map(|j| j.as_str()).collect();
        return Verdict {
            outcome: Outcome::Error,
            reason: format!(
                "ERROR: the {} job could not run (see the error notifications); the gate cannot pass",
                names.join(", ")
            ),
            failing,
            thresholds,
            counted,
            suppressed,
            baselined,
        };
    }

    let total: usize = failing.values().flat_map(|m| m.values()).sum();
    let (outcome, reason) = if total == 0 {
        let extra = if suppressed + baselined > 0 {
            format!(" ({suppressed} suppressed, {baselined} in baseline)")
        } else {
            String::new()
        };
        (
            Outcome::Passed,
            format!(
                "PASSED: no finding at or above the gate threshold{}{extra}",
                describe_thresholds(policy, &result.jobs)
            ),
        )
    } else {
        let parts: Vec<String> = failing
            .iter()
            .map(|(job, sev)| {
                let by: Vec<String> = sev.iter().rev().map(|(s, n)| format!("{n} {s}")).collect();
                format!(
                    "{job}: {} (threshold {})",
                    by.join(", "),
                    policy.threshold(*job)
                )
            })
            .collect();
        (
            Outcome::Failed,
            format!(
                "FAILED: {total} finding{} at or above the threshold — {}",
                if total == 1 { "" } else { "s" },
                parts.join("; ")
            ),
        )
    };
    Verdict {
        outcome,
        reason,
        failing,
        thresholds,
        counted,
        suppressed,
        baselined,
    }
}

fn describe_thresholds(policy: &GatePolicy, jobs: &[JobKind]) -> String {
    let special: Vec<String> = jobs
        .iter()
        .filter_map(|j| policy.per_job.get(j).map(|t| format!("{j} {t}")))
        .collect();
    if special.is_empty() {
        format!(" ({})", policy.fail_on)
    } else {
        format!(" ({}; {})", policy.fail_on, special.join(", "))
    }
}
