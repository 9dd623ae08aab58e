//! GitHub code scanning's upload limits, kept rather than hit: at most 25,000 results a run, 1,000
//! locations a result, 10 code-flow threads a result (10,000 locations a thread), 20 tags a rule and
//! 10 MB of gzip'd SARIF. Over a limit, the lowest-severity results are left out first (those that do not
//! count for the gate before those that do) and a warning notification in the SARIF itself says how many
//! and of which rules. Works on the SARIF document, so `tollgate sarif merge` applies it too.

use crate::finding::Severity;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// The notification code of everything this module does.
pub const NOTE_CODE: &str = "github-limits";

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub results: usize,
    pub locations: usize,
    pub thread_flows: usize,
    pub thread_flow_locations: usize,
    pub tags: usize,
    pub gzip_bytes: u64,
}

impl Limits {
    /// <https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#validating-your-sarif-file>
    pub const GITHUB: Limits = Limits {
        results: 25_000,
        locations: 1_000,
        thread_flows: 10,
        thread_flow_locations: 10_000,
        tags: 20,
        gzip_bytes: 10 * 1024 * 1024,
    };
}

/// The size of a SARIF document once gzip'd as an upload sends it.
pub fn gzip_size(doc: &Value) -> u64 {
    struct Count(u64);
    impl Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len() as u64;
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut enc = flate2::write::GzEncoder::new(Count(0), flate2::Compression::default());
    let _ = enc.write_all(super::sarif::to_string(doc).as_bytes());
    enc.finish().map(|c| c.0).unwrap_or(u64::MAX)
}

/// A result's severity: tollgate's own property, else its SARIF level.
fn severity(r: &Value) -> Severity {
    if let Some(s) = r
        .pointer("/properties/severity")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
    {
        return s;
    }
    match r.get("level").and_then(Value::as_str) {
        Some("error") => Severity::High,
        Some("note") => Severity::Low,
        Some("none") => Severity::Info,
        _ => Severity::Medium,
    }
}

/// Whether a result counts for the gate (not suppressed, not unchanged from the baseline).
fn counts(r: &Value) -> bool {
    let suppressed = r
        .get("suppressions")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let unchanged = r.get("baselineState").and_then(Value::as_str) == Some("unchanged");
    !suppressed && !unchanged
}

/// Remove `n` results, lowest severity first; those that do not count before those that do; later ones
/// before earlier ones. Returns the rules of the removed results with their counts.
fn drop_lowest(results: &mut Vec<Value>, n: usize, dropped: &mut BTreeMap<String, usize>) {
    if n == 0 {
        return;
    }
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by_key(|&i| {
        (
            severity(&results[i]),
            counts(&results[i]),
            std::cmp::Reverse(i),
        )
    });
    let gone: std::collections::BTreeSet<usize> = order.into_iter().take(n).collect();
    let mut i = 0;
    results.retain(|r| {
        let keep = !gone.contains(&i);
        if !keep {
            let rule = r.get("ruleId").and_then(Value::as_str).unwrap_or("?");
            *dropped.entry(rule.to_string()).or_default() += 1;
        }
        i += 1;
        keep
    });
}

fn describe(dropped: &BTreeMap<String, usize>) -> String {
    let mut by: Vec<(&String, &usize)> = dropped.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = by
        .iter()
        .take(20)
        .map(|(r, n)| format!("{r} ({n})"))
        .collect();
    if by.len() > 20 {
        parts.push(format!("and {} more rules", by.len() - 20));
    }
    parts.join(", ")
}

fn note(message: String) -> Value {
    json!({ "level": "warning", "message": { "text": message }, "descriptor": { "id": NOTE_CODE } })
}

/// Truncate what one result carries beyond the per-result limits; `true` when something was cut.
fn trim_result(r: &mut Value, limits: &Limits) -> bool {
    let mut cut = false;
    if let Some(locs) = r.get_mut("locations").and_then(Value::as_array_mut) {
        if locs.len() > limits.locations {
            locs.truncate(limits.locations);
            cut = true;
        }
    }
    if let Some(flows) = r.get_mut("codeFlows").and_then(Value::as_array_mut) {
        let mut threads_left = limits.thread_flows;
        for flow in flows.iter_mut() {
            if let Some(threads) = flow.get_mut("threadFlows").and_then(Value::as_array_mut) {
                if threads.len() > threads_left {
                    threads.truncate(threads_left);
                    cut = true;
                }
                threads_left -= threads.len();
                for t in threads.iter_mut() {
                    if let Some(l) = t.get_mut("locations").and_then(Value::as_array_mut) {
                        if l.len() > limits.thread_flow_locations {
                            l.truncate(limits.thread_flow_locations);
                            cut = true;
                        }
                    }
                }
            }
        }
        let before = flows.len();
        flows.retain(|f| {
            f.get("threadFlows")
                .and_then(Value::as_array)
                .is_some_and(|t| !t.is_empty())
        });
        cut |= flows.len() != before;
        if flows.is_empty() {
            r.as_object_mut().map(|o| o.remove("codeFlows"));
        }
    }
    cut
}

/// Bring every run of a SARIF document within `limits`, saying what was left out in the run's
/// `toolExecutionNotifications`.
pub fn apply(doc: &mut Value, limits: &Limits) {
    let n_runs = doc
        .get("runs")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for run_i in 0..n_runs {
        let mut notes = Vec::new();
        let run = &mut doc["runs"][run_i];
        if let Some(rules) = run
            .pointer_mut("/tool/driver/rules")
            .and_then(Value::as_array_mut)
        {
            for rule in rules {
                if let Some(tags) = rule
                    .pointer_mut("/properties/tags")
                    .and_then(Value::as_array_mut)
                {
                    tags.truncate(limits.tags);
                }
            }
        }
        let Some(results) = run.get_mut("results").and_then(Value::as_array_mut) else {
            continue;
        };
        let trimmed = results
            .iter_mut()
            .map(|r| trim_result(r, limits))
            .filter(|cut| *cut)
            .count();
        if trimmed > 0 {
            notes.push(note(format!(
                "{trimmed} results had more locations or code flows than GitHub code scanning accepts \
                 ({} locations, {} code-flow threads of {} steps); the first ones were kept",
                limits.locations, limits.thread_flows, limits.thread_flow_locations
            )));
        }
        let total = results.len();
        if total > limits.results {
            let mut dropped = BTreeMap::new();
            drop_lowest(results, total - limits.results, &mut dropped);
            notes.push(note(format!(
                "{} of {total} results left out, lowest severity first, to stay within GitHub code \
                 scanning's limit of {} results per run: {}",
                total - limits.results,
                limits.results,
                describe(&dropped)
            )));
        }
        // The compressed size: leave out more results, by the same order, until the document fits.
        let mut dropped = BTreeMap::new();
        let before = doc["runs"][run_i]["results"].as_array().map_or(0, Vec::len);
        loop {
            let size = gzip_size(doc);
            let results = doc["runs"][run_i]["results"].as_array_mut();
            let Some(results) = results else { break };
            if size <= limits.gzip_bytes || results.is_empty() {
                break;
            }
            let kept = results.len();
            let target = ((kept as f64) * (limits.gzip_bytes as f64 * 0.9) / size as f64) as usize;
            let target = target.min(kept - 1);
            drop_lowest(results, kept - target, &mut dropped);
        }
        if !dropped.is_empty() {
            let n: usize = dropped.values().sum();
            notes.push(note(format!(
                "{n} of {before} results left out, lowest severity first, to stay within GitHub code \
                 scanning's limit of {} bytes of gzip'd SARIF: {}",
                limits.gzip_bytes,
                describe(&dropped)
            )));
        }
        if notes.is_empty() {
            continue;
        }
        let run = &mut doc["runs"][run_i];
        let usable = run
            .get("invocations")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .is_some_and(Value::is_object);
        if !usable {
            run["invocations"] = json!([{ "executionSuccessful": true }]);
        }
        let inv = &mut run["invocations"][0];
        if !inv
            .get("toolExecutionNotifications")
            .is_some_and(Value::is_array)
        {
            inv["toolExecutionNotifications"] = json!([]);
        }
        if let Some(list) = inv["toolExecutionNotifications"].as_array_mut() {
            list.extend(notes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rule: &str, sev: &str, i: usize) -> Value {
        json!({ "ruleId": rule, "level": "note", "message": { "text": format!("finding {i} {}", "x".repeat(i % 7)) },
                "properties": { "severity": sev } })
    }

    fn doc(results: Vec<Value>) -> Value {
        json!({ "version": "2.1.0", "runs": [{ "tool": { "driver": { "name": "tollgate", "rules": [] } },
                "invocations": [{ "executionSuccessful": true, "toolExecutionNotifications": [] }],
                "results": results }] })
    }

    fn notes(d: &Value) -> Vec<String> {
        d["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["message"]["text"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn lowest_severity_results_go_first_and_are_named() {
        let mut rs = vec![
            result("HIGH-A", "high", 0),
            result("LOW-B", "low", 1),
            result("CRIT-C", "critical", 2),
            result("INFO-D", "info", 3),
            result("LOW-B", "low", 4),
        ];
        // a suppressed high goes before a counted high
        let mut sup = result("HIGH-A", "high", 5);
        sup["suppressions"] = json!([{ "kind": "inSource" }]);
        rs.push(sup);
        let mut d = doc(rs);
        let limits = Limits {
            results: 2,
            ..Limits::GITHUB
        };
        apply(&mut d, &limits);
        let kept: Vec<&str> = d["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(kept, ["HIGH-A", "CRIT-C"]);
        let n = notes(&d);
        assert_eq!(n.len(), 1);
        assert!(n[0].starts_with("4 of 6 results left out"), "{}", n[0]);
        assert!(
            n[0].contains("LOW-B (2), HIGH-A (1), INFO-D (1)"),
            "{}",
            n[0]
        );
    }

    #[test]
    fn under_the_limits_nothing_changes() {
        let mut d = doc(vec![result("A", "low", 0)]);
        let before = d.clone();
        apply(&mut d, &Limits::GITHUB);
        assert_eq!(d, before);
    }

    #[test]
    fn compressed_size_is_kept_under_the_limit() {
        // incompressible messages so the size really depends on the number of results
        let mut rs = Vec::new();
        let mut x: u64 = 12345;
        for i in 0..400 {
            let mut r = result(
                if i % 2 == 0 { "EVEN" } else { "ODD" },
                if i < 200 { "high" } else { "low" },
                i,
            );
            let mut s = String::new();
            for _ in 0..200 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(char::from(b'a' + (x >> 59) as u8 % 26));
            }
            r["message"]["text"] = json!(s);
            rs.push(r);
        }
        let mut d = doc(rs);
        let full = gzip_size(&d);
        let limits = Limits {
            gzip_bytes: full / 2,
            ..Limits::GITHUB
        };
        apply(&mut d, &limits);
        assert!(gzip_size(&d) <= full / 2);
        let kept = d["runs"][0]["results"].as_array().unwrap();
        assert!(kept.len() < 400 && kept.len() > 100, "{}", kept.len());
        // every high was kept before any low
        assert!(kept
            .iter()
            .take(200)
            .all(|r| r["properties"]["severity"] == "high"));
        let n = notes(&d);
        assert_eq!(n.len(), 1);
        assert!(n[0].contains("bytes of gzip'd SARIF"), "{}", n[0]);
    }

    #[test]
    fn locations_and_code_flows_are_cut_per_result() {
        let mut r = result("A", "high", 0);
        r["locations"] = json!((0..1500).map(|i| json!({ "id": i })).collect::<Vec<_>>());
        let thread = json!({ "locations": (0..20).map(|i| json!({ "i": i })).collect::<Vec<_>>() });
        r["codeFlows"] =
            json!([{ "threadFlows": vec![thread; 12] }, { "threadFlows": [{ "locations": [] }] }]);
        let mut d = doc(vec![r]);
        let limits = Limits {
            thread_flow_locations: 5,
            ..Limits::GITHUB
        };
        apply(&mut d, &limits);
        let r = &d["runs"][0]["results"][0];
        assert_eq!(r["locations"].as_array().unwrap().len(), 1000);
        let flows = r["codeFlows"].as_array().unwrap();
        assert_eq!(flows.len(), 1);
        let threads = flows[0]["threadFlows"].as_array().unwrap();
        assert_eq!(threads.len(), 10);
        assert_eq!(threads[0]["locations"].as_array().unwrap().len(), 5);
        assert_eq!(notes(&d).len(), 1);
    }
}
