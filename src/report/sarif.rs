//! SARIF 2.1.0 as GitHub code scanning accepts it: one run, the rules that produced results (or all),
//! results with rule index, level, location relative to `%SRCROOT%`, partial fingerprints, code flows,
//! suppressions and baseline state, and every notification in `invocations[0]`.
//! Same input, same bytes: no timestamps, everything sorted. Every result carries GitHub's
//! `primaryLocationLineHash` beside our own fingerprint when its file can be read, and the document is kept
//! within GitHub's upload limits ([`super::limits`]).

use super::Report;
use crate::finding::{Finding, FlowStep, Location, Notification};
use crate::rule::RuleMeta;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub use crate::model::FINGERPRINT_KEY;
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(report: &Report) -> String {
    let mut doc = to_value(report);
    super::limits::apply(&mut doc, &super::limits::Limits::GITHUB);
    to_string(&doc)
}

/// The bytes of a SARIF document as tollgate writes it (pretty, final newline).
pub fn to_string(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("SARIF serializes");
    s.push('\n');
    s
}

/// Put `prefix/` before every relative `artifactLocation.uri` of a document: a scan of a subdirectory
/// names files relative to it, GitHub wants them relative to the repository.
pub fn prefix_uris(doc: &mut Value, prefix: &str) {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        return;
    }
    match doc {
        Value::Object(o) => {
            if let Some(Value::String(uri)) =
                o.get_mut("artifactLocation").and_then(|a| a.get_mut("uri"))
            {
                if !uri.starts_with('/') && !uri.contains("://") {
                    *uri = format!("{}/{uri}", uri_encode(prefix));
                }
            }
            for (k, v) in o.iter_mut() {
                if k != "artifactLocation" {
                    prefix_uris(v, prefix);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| prefix_uris(v, prefix)),
        _ => {}
    }
}

/// Percent-encode a relative path for `artifactLocation.uri` (RFC 3986: keep unreserved and `/`).
pub fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn rule_value(r: &RuleMeta) -> Value {
    let mut tags = vec!["security".to_string()];
    for c in &r.cwe {
        tags.push(format!("CWE-{c}"));
        tags.push(format!("external/cwe/cwe-{c}"));
    }
    tags.push(r.job.as_str().to_string());
    for t in &r.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": if r.description.trim().is_empty() { &r.title } else { r.description.trim() } },
        "help": { "text": r.help_text(), "markdown": r.help_markdown },
        "defaultConfiguration": { "level": r.severity.sarif_level() },
        "properties": {
            "tags": tags,
            "precision": r.precision.as_str(),
            "security-severity": format!("{:.1}", r.security_severity()),
            "problem.severity": problem_severity(r.severity),
        }
    });
    if let Some(u) = &r.help_uri {
        v["helpUri"] = json!(u);
    }
    v
}

fn problem_severity(s: crate::finding::Severity) -> &'static str {
    match s.sarif_level() {
        "error" => "error",
        "warning" => "warning",
        _ => "recommendation",
    }
}

fn region(loc: &Location, snippet: Option<&str>) -> Value {
    let mut r = Map::new();
    r.insert("startLine".into(), json!(loc.start_line.max(1)));
    let whole_line = loc.start_column <= 1 && loc.end_column <= 1;
    if !whole_line {
        r.insert("startColumn".into(), json!(loc.start_column.max(1)));
    }
    let end_line = loc.end_line.max(loc.start_line).max(1);
    r.insert("endLine".into(), json!(end_line));
    if !whole_line {
        let mut end_col = loc.end_column.max(1);
        if end_line == loc.start_line && end_col < loc.start_column {
            end_col = loc.start_column;
        }
        r.insert("endColumn".into(), json!(end_col));
    }
    if let Some(s) = snippet {
        r.insert("snippet".into(), json!({ "text": s }));
    }
    Value::Object(r)
}

fn physical(loc: &Location, snippet: Option<&str>) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri_encode(&loc.path), "uriBaseId": "%SRCROOT%" },
            "region": region(loc, snippet),
        }
    })
}

fn code_flow(steps: &[FlowStep]) -> Value {
    let locations: Vec<Value> = steps
        .iter()
        .map(|s| {
            let mut l = physical(&s.location, None);
            l["message"] = json!({ "text": s.message });
            json!({ "location": l })
        })
        .collect();
    json!([{ "threadFlows": [{ "locations": locations }] }])
}

fn result_value(f: &Finding, rule_index: usize, line_hash: Option<&String>) -> Value {
    let mut fingerprints = Map::new();
    if let Some(h) = line_hash {
        fingerprints.insert(crate::model::linehash::KEY.into(), json!(h));
    }
    fingerprints.insert(FINGERPRINT_KEY.into(), json!(f.fingerprint));
    let mut v = json!({
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": f.severity.sarif_level(),
        "message": { "text": f.message },
        "locations": [physical(&f.location, f.snippet.as_deref())],
        "partialFingerprints": fingerprints,
    });
    if !f.code_flow.is_empty() {
        v["codeFlows"] = code_flow(&f.code_flow);
    }
    if let Some(s) = &f.suppression {
        v["suppressions"] = json!([{ "kind": s.kind, "justification": s.justification }]);
    }
    if let Some(b) = f.baseline_state {
        v["baselineState"] = json!(b);
    }
    let mut props = Map::new();
    props.insert("severity".into(), json!(f.severity));
    props.insert("job".into(), json!(f.job));
    if !f.cwe.is_empty() {
        props.insert(
            "cwe".into(),
            json!(f.cwe.iter().map(|c| format!("CWE-{c}")).collect::<Vec<_>>()),
        );
    }
    if let Some(r) = &f.remediation {
        props.insert("remediation".into(), json!(r));
    }
    for (k, val) in &f.properties {
        props.insert(k.clone(), val.clone());
    }
    v["properties"] = Value::Object(props);
    v
}

pub(crate) fn notification_value(n: &Notification) -> Value {
    let mut v = json!({
        "level": match n.level {
            crate::finding::NoteLevel::Error => "error",
            crate::finding::NoteLevel::Warning => "warning",
            crate::finding::NoteLevel::Note => "note",
        },
        "message": { "text": n.message },
        "descriptor": { "id": n.code },
    });
    if let Some(p) = &n.path {
        let mut phys = json!({
            "artifactLocation": { "uri": uri_encode(p), "uriBaseId": "%SRCROOT%" }
        });
        if let Some(l) = n.line {
            let mut region = json!({ "startLine": l.max(1) });
            if let Some(c) = n.column {
                region["startColumn"] = json!(c.max(1));
            }
            phys["region"] = region;
        }
        v["locations"] = json!([{ "physicalLocation": phys }]);
    }
    v
}

pub fn to_value(report: &Report) -> Value {
    let result = report.result;
    let rules: Vec<&RuleMeta> = if report.all_rules {
        result.rules.iter().collect()
    } else {
        crate::model::rules_used(result)
    };
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let results: Vec<Value> = result
        .findings
        .iter()
        .map(|f| {
            let h = f.line_hash.as_ref();
            result_value(f, index.get(f.rule_id.as_str()).copied().unwrap_or(0), h)
        })
        .collect();
    let category = report
        .category
        .as_deref()
        .map(|c| c.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "tollgate".to_string());

    let mut properties = Map::new();
    properties.insert("verdict".into(), json!(report.verdict.outcome));
    properties.insert("verdictReason".into(), json!(report.verdict.reason));
    properties.insert("thresholds".into(), json!(report.verdict.thresholds));
    properties.insert("stats".into(), json!(result.stats));
    if !result.failed_jobs.is_empty() {
        properties.insert("failedJobs".into(), json!(result.failed_jobs));
    }
    for (k, v) in &result.properties {
        properties.insert(k.clone(), v.clone());
    }

    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tollgate",
                    "fullName": "tollgate security gate",
                    "version": crate::VERSION,
                    "semanticVersion": crate::VERSION,
                    "informationUri": crate::INFORMATION_URI,
                    "rules": rules.iter().map(|r| rule_value(r)).collect::<Vec<_>>(),
                }
            },
            "automationDetails": { "id": format!("{category}/") },
            "invocations": [{
                "executionSuccessful": result.failed_jobs.is_empty(),
                "toolExecutionNotifications": result.notifications.iter().map(notification_value).collect::<Vec<_>>(),
            }],
            "columnKind": "utf16CodeUnits",
            "results": results,
            "properties": Value::Object(properties),
        }]
    })
}
