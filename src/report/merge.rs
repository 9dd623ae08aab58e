//! `tollgate sarif merge`: put the SARIF of several `tollgate scan --shard I/N` runs (or any tollgate
//! runs of one tree) back into one run, the same as an unsharded scan writes: rules united and sorted,
//! results in the scan's order with their rule index renumbered, notifications united, statistics added
//! up, the verdict recomputed from the results with the same thresholds, GitHub's limits applied again.

use crate::config::FailOn;
use crate::finding::{
    BaselineState, Finding, JobKind, Location, NoteLevel, Notification, Severity, Suppression,
    SuppressionKind,
};
use crate::gate::{self, GatePolicy};
use crate::model::ScanResult;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The run property a sharded scan writes (`"2/4"`); the merged run has none.
pub const SHARD_PROPERTY: &str = "scan.shard";

type SortKey = (String, u64, u64, String, String, u64, u64);

/// The order the engine writes results in ([`Finding::sort_key`]), read back from a SARIF result.
fn sort_key(r: &Value) -> SortKey {
    let loc = r.pointer("/locations/0/physicalLocation");
    let uri = loc
        .and_then(|l| l.pointer("/artifactLocation/uri"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let region = loc.and_then(|l| l.get("region"));
    let num = |k: &str, d: u64| {
        region
            .and_then(|g| g.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(d)
    };
    let start = num("startLine", 1);
    (
        crate::text::percent_decode(uri),
        start,
        num("startColumn", 1),
        r.get("ruleId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        r.pointer("/message/text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        num("endLine", start),
        num("endColumn", 1),
    )
}

fn notification(n: &Value) -> Notification {
    let level = match n.get("level").and_then(Value::as_str) {
        Some("error") => NoteLevel::Error,
        Some("warning") => NoteLevel::Warning,
        _ => NoteLevel::Note,
    };
    let mut out = Notification::new(
        level,
        n.pointer("/descriptor/id")
            .and_then(Value::as_str)
            .unwrap_or(""),
        n.pointer("/message/text")
            .and_then(Value::as_str)
            .unwrap_or(""),
    );
    if let Some(p) = n.pointer("/locations/0/physicalLocation") {
        if let Some(uri) = p.pointer("/artifactLocation/uri").and_then(Value::as_str) {
            out.path = Some(crate::text::percent_decode(uri));
        }
        out.line = p
            .pointer("/region/startLine")
            .and_then(Value::as_u64)
            .map(|l| l as u32);
        out.column = p
            .pointer("/region/startColumn")
            .and_then(Value::as_u64)
            .map(|l| l as u32);
    }
    out
}

/// What the gate needs of a result.
fn gate_finding(r: &Value) -> Finding {
    let job: JobKind = r
        .pointer("/properties/job")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(JobKind::Sast);
    let severity: Severity = r
        .pointer("/properties/severity")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(Severity::Medium);
    let mut f = Finding::new(
        r.get("ruleId").and_then(Value::as_str).unwrap_or(""),
        job,
        severity,
        "",
        Location::line("", 1),
    );
    if r.get("suppressions")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        f.suppression = Some(Suppression {
            kind: SuppressionKind::External,
            justification: String::new(),
        });
    }
    f.baseline_state = match r.get("baselineState").and_then(Value::as_str) {
        Some("unchanged") => Some(BaselineState::Unchanged),
        Some("new") => Some(BaselineState::New),
        _ => None,
    };
    f
}

/// The run property with the gate policy a scan applied (`{"fail_on": "high", "jobs": {"sca": "critical"}}`).
pub const POLICY_PROPERTY: &str = "gate.policy";

pub fn policy_value(p: &GatePolicy) -> Value {
    let jobs: BTreeMap<JobKind, String> =
        p.per_job.iter().map(|(j, t)| (*j, t.to_string())).collect();
    json!({ "fail_on": p.fail_on.to_string(), "jobs": jobs })
}

fn policy_from_value(v: &Value) -> Option<GatePolicy> {
    let fail_on = v.get("fail_on")?.as_str()?.parse().ok()?;
    let mut per_job = BTreeMap::new();
    for (k, t) in v.get("jobs")?.as_object()? {
        per_job.insert(k.parse().ok()?, t.as_str()?.parse().ok()?);
    }
    Some(GatePolicy { fail_on, per_job })
}

/// The gate policy from the per-job thresholds a run records, when it did not record the policy itself:
/// the most common threshold is the default.
fn policy(thresholds: &BTreeMap<JobKind, String>) -> GatePolicy {
    let mut freq: BTreeMap<&str, usize> = BTreeMap::new();
    for t in thresholds.values() {
        *freq.entry(t.as_str()).or_default() += 1;
    }
    let default = freq
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .and_then(|(t, _)| t.parse::<FailOn>().ok())
        .unwrap_or_default();
    let per_job = thresholds
        .iter()
        .filter_map(|(j, t)| t.parse::<FailOn>().ok().map(|f| (*j, f)))
        .filter(|(_, f)| *f != default)
        .collect();
    GatePolicy {
        fail_on: default,
        per_job,
    }
}

fn add_counts(into: &mut Map<String, Value>, from: &Value, max: bool) {
    if let Some(o) = from.as_object() {
        for (k, v) in o {
            let n = v.as_u64().unwrap_or(0);
            let cur = into.get(k).and_then(Value::as_u64).unwrap_or(0);
            into.insert(k.clone(), json!(if max { cur.max(n) } else { cur + n }));
        }
    }
}

/// Merge tollgate SARIF documents into one (one run). Errors name the input (`names[i]`).
pub fn merge(docs: &[Value], names: &[String]) -> Result<Value, String> {
    if docs.is_empty() {
        return Err("nothing to merge".to_string());
    }
    let mut runs: Vec<(&str, &Value)> = Vec::new();
    for (doc, name) in docs.iter().zip(names) {
        if doc.get("version").and_then(Value::as_str) != Some("2.1.0") {
            return Err(format!("{name}: not SARIF 2.1.0"));
        }
        let list = doc
            .get("runs")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{name}: no runs"))?;
        for run in list {
            if run.pointer("/tool/driver/name").and_then(Value::as_str) != Some("tollgate") {
                return Err(format!(
                    "{name}: a run of another tool ({}); only tollgate's SARIF can be merged",
                    run.pointer("/tool/driver/name")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown")
                ));
            }
            runs.push((name.as_str(), run));
        }
    }
    let first = runs[0].1;
    for key in ["/tool/driver/version", "/automationDetails/id"] {
        for (name, run) in &runs {
            if run.pointer(key) != first.pointer(key) {
                return Err(format!(
                    "{name}: {} differs from {}'s ({} vs {}); merge only runs of one tollgate version and category",
                    key.trim_start_matches('/').replace('/', "."),
                    runs[0].0,
                    run.pointer(key).unwrap_or(&Value::Null),
                    first.pointer(key).unwrap_or(&Value::Null)
                ));
            }
        }
    }
    // Shards: all of one split, each once, none missing.
    let shards: Vec<Option<crate::model::shard::Shard>> = runs
        .iter()
        .map(|(name, r)| {
            r.pointer(&format!("/properties/{SHARD_PROPERTY}"))
                .and_then(Value::as_str)
                .map(|s| s.parse().map_err(|e| format!("{name}: {e}")))
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    if shards.iter().any(Option::is_some) {
        let count = shards.iter().flatten().map(|s| s.count).max().unwrap_or(1);
        let mut seen = BTreeSet::new();
        for ((name, _), s) in runs.iter().zip(&shards) {
            let s = s.ok_or_else(|| format!("{name}: not a shard, but other inputs are"))?;
            if s.count != count {
                return Err(format!(
                    "{name}: shard {s} is of another split than 1/{count}"
                ));
            }
            if !seen.insert(s.index) {
                return Err(format!("{name}: shard {s} given twice"));
            }
        }
        let missing: Vec<String> = (1..=count)
            .filter(|i| !seen.contains(i))
            .map(|i| format!("{i}/{count}"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "shard {} missing: merge every shard of the scan",
                missing.join(", ")
            ));
        }
    }

    // Rules and results.
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results: Vec<(SortKey, Value)> = Vec::new();
    let mut notes: Vec<Notification> = Vec::new();
    let mut success = true;
    let mut stats_files = 0u64;
    let mut skipped = Map::new();
    let mut per_job = Map::new();
    let mut thresholds: BTreeMap<JobKind, String> = BTreeMap::new();
    let mut failed_jobs: BTreeSet<JobKind> = BTreeSet::new();
    let mut extra: BTreeMap<String, Value> = BTreeMap::new();
    let fixed = [
        "verdict",
        "verdictReason",
        "thresholds",
        "stats",
        "failedJobs",
        SHARD_PROPERTY,
    ];
    for (_, run) in &runs {
        for r in run
            .pointer("/tool/driver/rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = r.get("id").and_then(Value::as_str) {
                rules.entry(id.to_string()).or_insert_with(|| r.clone());
            }
        }
        for r in run
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| r.is_object())
        {
            results.push((sort_key(r), r.clone()));
        }
        if let Some(inv) = run.pointer("/invocations/0") {
            success &= inv
                .get("executionSuccessful")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            for n in inv
                .get("toolExecutionNotifications")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if n.pointer("/descriptor/id").and_then(Value::as_str)
                    != Some(super::limits::NOTE_CODE)
                {
                    notes.push(notification(n));
                }
            }
        }
        let props = run.get("properties").cloned().unwrap_or(Value::Null);
        if let Some(st) = props.get("stats") {
            stats_files += st.get("files").and_then(Value::as_u64).unwrap_or(0);
            add_counts(
                &mut skipped,
                st.get("skipped").unwrap_or(&Value::Null),
                true,
            );
            add_counts(
                &mut per_job,
                st.get("files_per_job").unwrap_or(&Value::Null),
                false,
            );
        }
        if let Some(t) = props.get("thresholds").and_then(Value::as_object) {
            for (k, v) in t {
                if let (Ok(j), Some(v)) = (k.parse::<JobKind>(), v.as_str()) {
                    thresholds.entry(j).or_insert_with(|| v.to_string());
                }
            }
        }
        for j in props
            .get("failedJobs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(j) = j.as_str().and_then(|s| s.parse().ok()) {
                failed_jobs.insert(j);
            }
        }
        if let Some(o) = props.as_object() {
            for (k, v) in o {
                if !fixed.contains(&k.as_str()) {
                    extra.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    results.dedup_by(|a, b| a.0 == b.0);
    notes.sort();
    notes.dedup();
    let index: BTreeMap<String, usize> = rules
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect();
    let results: Vec<Value> = results
        .into_iter()
        .map(|(_, mut r)| {
            let id = r
                .get("ruleId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some(i) = index.get(&id) {
                r["ruleIndex"] = json!(i);
            }
            r
        })
        .collect();

    // The verdict, recomputed with the runs' thresholds.
    let scan = ScanResult {
        root: std::path::PathBuf::from("."),
        findings: results.iter().map(gate_finding).collect(),
        rules: Vec::new(),
        notifications: Vec::new(),
        stats: Default::default(),
        properties: BTreeMap::new(),
        jobs: thresholds.keys().copied().collect(),
        failed_jobs: failed_jobs.iter().copied().collect(),
    };
    let recorded = extra.get(POLICY_PROPERTY).and_then(policy_from_value);
    let verdict = gate::evaluate(&recorded.unwrap_or_else(|| policy(&thresholds)), &scan);

    let mut props = Map::new();
    props.insert("verdict".into(), json!(verdict.outcome));
    props.insert("verdictReason".into(), json!(verdict.reason));
    props.insert("thresholds".into(), json!(verdict.thresholds));
    // the engine's key orders: skip reasons alphabetical, jobs in job order
    let skipped: BTreeMap<String, Value> = skipped.into_iter().collect();
    let per_job: BTreeMap<JobKind, Value> = per_job
        .into_iter()
        .filter_map(|(k, v)| k.parse::<JobKind>().ok().map(|j| (j, v)))
        .collect();
    props.insert(
        "stats".into(),
        json!({ "files": stats_files, "skipped": skipped, "files_per_job": per_job }),
    );
    if !failed_jobs.is_empty() {
        props.insert("failedJobs".into(), json!(failed_jobs));
    }
    for (k, v) in extra {
        props.insert(k, v);
    }

    if !first.get("tool").is_some_and(Value::is_object) || !docs[0].is_object() {
        return Err(format!("{}: not a SARIF run", runs[0].0));
    }
    let mut run = first.clone();
    run["tool"]["driver"]["rules"] = Value::Array(rules.into_values().collect());
    run["invocations"] = json!([{
        "executionSuccessful": success,
        "toolExecutionNotifications": notes.iter().map(super::sarif::notification_value).collect::<Vec<_>>(),
    }]);
    run["results"] = Value::Array(results);
    run["properties"] = Value::Object(props);
    let mut doc = docs[0].clone();
    doc["runs"] = json!([run]);
    super::limits::apply(&mut doc, &super::limits::Limits::GITHUB);
    Ok(doc)
}

/// The verdict's exit code of a merged document: 0 passed, 1 failed, 2 error.
pub fn exit_code(doc: &Value) -> i32 {
    match doc
        .pointer("/runs/0/properties/verdict")
        .and_then(Value::as_str)
    {
        Some("passed") => gate::EXIT_PASS,
        Some("failed") => gate::EXIT_FAIL,
        _ => gate::EXIT_ERROR,
    }
}
