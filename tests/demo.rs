//! The README's main command: `tollgate scan fixtures/demo`. The demo marks each planted problem with a
//! `PLANTED` comment and each safe look-alike with a `safe` comment; this test reads those markers, so the
//! expectations live next to the code they are about.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn scan_json() -> (i32, Value) {
    let out = Command::cargo_bin("tollgate")
        .unwrap()
        .env_remove("TOLLGATE_OSV_DB")
        .args(["scan", "--format", "json", "--no-progress"])
        .arg(demo())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

/// (path, line) of the first code line after each comment containing `marker`.
fn marked_lines(marker: &str) -> BTreeSet<(String, u64)> {
    let mut out = BTreeSet::new();
    for entry in walk(&demo()) {
        let rel = entry
            .strip_prefix(demo())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            // a comment (alone on its line) that starts with the marker: `# PLANTED: ...`, `# safe: ...`
            let t = l.trim_start();
            let Some(body) = t.strip_prefix('#').or_else(|| t.strip_prefix("//")) else {
                continue;
            };
            if !body.trim_start().starts_with(marker) {
                continue;
            }
            // the next line that is not a comment
            if let Some((j, _)) = lines
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, n)| !n.trim_start().starts_with('#') && !n.trim().is_empty())
            {
                out.insert((rel.clone(), j as u64 + 1));
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

fn at<'a>(v: &'a Value, path: &str, line: u64) -> Vec<&'a Value> {
    findings(v)
        .iter()
        .filter(|f| {
            f["location"]["path"] == path
                && f["location"]["start_line"].as_u64().unwrap() <= line
                && f["location"]["end_line"].as_u64().unwrap() >= line
        })
        .collect()
}

#[test]
fn demo_scan_fails_the_gate_on_the_planted_problems() {
    let (code, v) = scan_json();
    assert_eq!(code, 1, "{}", v["verdict"]["reason"]);
    assert_eq!(v["verdict"]["outcome"], "failed");
    for job in ["secrets", "sast", "sca"] {
        assert!(
            v["verdict"]["failing"][job].is_object(),
            "the {job} job should fail the gate: {}",
            v["verdict"]
        );
    }
}

#[test]
fn every_planted_problem_is_found() {
    let (_, v) = scan_json();
    let planted = marked_lines("PLANTED:");
    assert!(planted.len() >= 12, "{planted:?}");
    for (path, line) in &planted {
        let hits = at(&v, path, *line);
        assert!(
            hits.iter().any(|f| f["severity"] != "info"),
            "nothing found at {path}:{line} (planted)"
        );
    }
}

#[test]
fn safe_look_alikes_stay_quiet() {
    let (_, v) = scan_json();
    let safe = marked_lines("safe:");
    assert!(safe.len() >= 8, "{safe:?}");
    for (path, line) in &safe {
        let loud: Vec<String> = at(&v, path, *line)
            .iter()
            .filter(|f| f["severity"] != "info" && f["severity"] != "low")
            .map(|f| format!("{} {}", f["rule_id"], f["message"]))
            .collect();
        assert!(loud.is_empty(), "{path}:{line} is safe but: {loud:?}");
    }
}

#[test]
fn no_secret_is_printed_whole() {
    let out = Command::cargo_bin("tollgate")
        .unwrap()
        .env_remove("TOLLGATE_OSV_DB")
        .args(["scan", "--no-progress"])
        .arg(demo())
        .output()
        .unwrap();
    let (_, json) = scan_json();
    let sarif = Command::cargo_bin("tollgate")
        .unwrap()
        .env_remove("TOLLGATE_OSV_DB")
        .args(["scan", "--format", "sarif", "--no-progress"])
        .arg(demo())
        .output()
        .unwrap();
    let texts = [
        String::from_utf8_lossy(&out.stdout).to_string(),
        json.to_string(),
        String::from_utf8_lossy(&sarif.stdout).to_string(),
    ];
    for secret in [
        "AKIAQDDZFRGRK6CHCXNS",
        "egqmjIgETGle0t/vpll4p7R7j1X4TI+2ghKX4TAU",
        "ghp_LmrSsbqDqEbIg1TN5d4MYUi4SI6g7VLynCU4",
        "Ks9e4bi3lRjq8eshPFiE",
        "sk_live_x6Cphz9yHYh759UHCjFCg4hF",
        "INtEnQlKdAPNALPpxJCrLjwmu01C5OTZWGtxHOiou0g",
    ] {
        for t in &texts {
            assert!(!t.contains(secret), "secret printed: {secret}");
            // and no long part of it either
            assert!(
                !t.contains(&secret[..secret.len() / 2]),
                "half a secret printed: {secret}"
            );
        }
    }
}

#[test]
fn sca_findings_carry_structured_data() {
    let (_, v) = scan_json();
    let sca: Vec<&Value> = findings(&v).iter().filter(|f| f["job"] == "sca").collect();
    let flask = sca
        .iter()
        .find(|f| f["properties"]["package"] == "flask")
        .expect("flask 0.12.2 is vulnerable");
    let p = &flask["properties"];
    assert_eq!(p["ecosystem"], "PyPI");
    assert_eq!(p["installed"], "0.12.2");
    assert_eq!(flask["location"]["path"], "requirements.txt");
    assert_eq!(flask["location"]["start_line"], 2);
    for key in ["advisory_id", "aliases", "fixed", "fixed_overall"] {
        assert!(!p[key].is_null(), "missing {key}: {p}");
    }
    // the unpinned dependency is its own low finding, never a guess
    let unpinned = sca
        .iter()
        .find(|f| f["rule_id"] == "SCA-UNPINNED" && f["location"]["path"] == "requirements.txt")
        .expect("gunicorn>=20.0 is unpinned");
    assert_eq!(unpinned["severity"], "low");
    // the database identity is recorded
    assert!(v["properties"]
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k.starts_with("sca.")));
}
