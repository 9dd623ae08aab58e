//! GitHub's limits kept by the SARIF writer itself (25,000 results a run: the lowest severity left out
//! first, said in a notification), and `sarif merge` on hostile input: errors, never a panic.

use serde_json::{json, Value};
use std::path::PathBuf;
use tollgate::engine::{self, Finish};
use tollgate::finding::{Finding, JobKind, Location, Severity};
use tollgate::gate::{self, GatePolicy};
use tollgate::report::{self, merge, Format, Report};

#[test]
fn over_25000_results_the_lowest_severity_go_and_the_sarif_says_so() {
    let mut findings = Vec::new();
    for i in 0..25_000u32 {
        let mut f = Finding::new(
            "SEC-HIGH",
            JobKind::Secrets,
            Severity::High,
            format!("high {i}"),
            Location::line(format!("f{}.py", i / 1000), i % 1000 + 1),
        );
        f.fingerprint_key = i.to_string();
        findings.push(f);
    }
    for i in 0..7u32 {
        findings.push(Finding::new(
            "PY-LOW",
            JobKind::Sast,
            Severity::Low,
            format!("low {i}"),
            Location::line("a.py", i + 1),
        ));
    }
    for i in 0..3u32 {
        findings.push(Finding::new(
            "PY-INFO",
            JobKind::Sast,
            Severity::Info,
            format!("info {i}"),
            Location::line("b.py", i + 1),
        ));
    }
    let result = engine::finish(
        std::path::Path::new("/nonexistent"),
        PathBuf::from("/nonexistent"),
        findings,
        Vec::new(),
        Vec::new(),
        Finish {
            jobs: vec![JobKind::Secrets, JobKind::Sast],
            ..Default::default()
        },
    );
    let verdict = gate::evaluate(&GatePolicy::default(), &result);
    let report = Report {
        result: &result,
        verdict: &verdict,
        category: None,
        all_rules: false,
    };
    let v: Value = serde_json::from_str(&report::render(&report, Format::Sarif, false)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    assert!(results.iter().all(|r| r["ruleId"] == "SEC-HIGH"));
    let notes = v["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let note = notes
        .iter()
        .find(|n| n["descriptor"]["id"] == "github-limits")
        .expect("a github-limits notification");
    assert_eq!(note["level"], "warning");
    let text = note["message"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("10 of 25010 results left out")
            && text.contains("PY-LOW (7), PY-INFO (3)"),
        "{text}"
    );
    // the gate still counted everything
    assert_eq!(verdict.counted, 25_010);
}

#[test]
fn merge_rejects_hostile_input_without_panicking() {
    let names = vec!["x.sarif".to_string(), "y.sarif".to_string()];
    let good = json!({ "version": "2.1.0", "runs": [{ "tool": { "driver": { "name": "tollgate", "version": "0.1.0" } },
        "results": [1, "two", null, { "ruleId": 5, "locations": "nowhere" }],
        "invocations": [7], "properties": { "stats": "many", "thresholds": [1], "failedJobs": {} } }] });
    for doc in [
        json!(null),
        json!([]),
        json!({ "version": "2.1.0" }),
        json!({ "version": "2.1.0", "runs": 3 }),
        json!({ "version": "2.1.0", "runs": [1] }),
        json!({ "version": "2.1.0", "runs": [{ "tool": 1 }] }),
        json!({ "version": "2.1.0", "runs": [{ "tool": { "driver": { "name": "tollgate", "version": 1 } }, "properties": { "scan.shard": "9/2" } }] }),
    ] {
        assert!(
            merge::merge(&[doc.clone(), good.clone()], &names).is_err(),
            "{doc}"
        );
    }
    // odd but tollgate-shaped: merged, odd parts ignored
    let merged = merge::merge(&[good.clone(), good], &names).unwrap();
    assert_eq!(merged["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert!(merge::merge(&[], &[]).is_err());
}
