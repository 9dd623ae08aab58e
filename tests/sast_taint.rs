//! Taint engine tests: rule examples, and one fixture per source/sink family and per precision item.
//!
//! A fixture marks each line where a finding is expected with `# expect: RULE-ID` (several ids separated by
//! commas). Every other line must stay silent, so the safe variants in a fixture are checked too.

use std::collections::BTreeSet;
use std::path::Path;
use tollgate::sast::imports::Imports;
use tollgate::sast::taint::{analyze, TaintHit, TaintRule};

#[derive(serde::Deserialize)]
struct RuleFile {
    id: String,
    kind: String,
    #[serde(default)]
    examples: Examples,
    #[serde(default)]
    taint: Option<TaintRule>,
    cwe: Vec<u32>,
}

#[derive(serde::Deserialize, Default)]
struct Examples {
    #[serde(default)]
    positive: Vec<String>,
    #[serde(default)]
    negative: Vec<String>,
}

fn rule_files() -> Vec<RuleFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/python");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().map(|e| e == "yaml").unwrap_or(false))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let v: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        if v.get("kind").and_then(|k| k.as_str()) != Some("taint") {
            continue;
        }
        let rf: RuleFile = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(
            p.file_stem().unwrap().to_str().unwrap(),
            rf.id,
            "file name = rule id"
        );
        out.push(rf);
    }
    out
}

fn rules() -> Vec<(String, TaintRule)> {
    rule_files()
        .into_iter()
        .map(|r| (r.id, r.taint.expect("taint rule has a taint section")))
        .collect()
}

fn run(code: &str, rules: &[(String, TaintRule)]) -> Vec<TaintHit> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(code, None).unwrap();
    let imports = Imports::from_tree(&tree, code.as_bytes());
    analyze(&tree, code, &imports, rules)
}

fn line_of(code: &str, byte: usize) -> usize {
    code[..byte].matches('\n').count() + 1
}

/// Compare the hits on a fixture with its `# expect:` markers.
fn check_fixture(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/python/taint")
        .join(name);
    let code = std::fs::read_to_string(&path).unwrap();
    let rules = rules();
    let hits = run(&code, &rules);
    let got: BTreeSet<(usize, String)> = hits
        .iter()
        .map(|h| (line_of(&code, h.sink_start_byte), h.rule_id.clone()))
        .collect();
    let mut want = BTreeSet::new();
    for (i, line) in code.lines().enumerate() {
        if let Some(pos) = line.find("# expect:") {
            for id in line[pos + 9..].split(',') {
                let id = id.trim();
                if !id.is_empty() {
                    want.insert((i + 1, id.to_string()));
                }
            }
        }
    }
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    let detail: Vec<String> = hits.iter().map(|h| h.message.clone()).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: missing {missing:?}, unexpected {extra:?}\nall hits:\n{}",
        detail.join("\n")
    );
    assert!(!want.is_empty(), "{name} expects at least one finding");
}

#[test]
fn every_taint_rule_is_complete() {
    let files = rule_files();
    assert!(files.len() >= 11, "one taint rule per sink class");
    for f in &files {
        assert_eq!(f.kind, "taint");
        assert!(!f.cwe.is_empty(), "{}: cwe", f.id);
        assert!(!f.examples.positive.is_empty(), "{}: positive examples", f.id);
        assert!(!f.examples.negative.is_empty(), "{}: negative examples", f.id);
    }
    let cwes: BTreeSet<u32> = files.iter().flat_map(|f| f.cwe.iter().copied()).collect();
    for c in [22, 78, 79, 89, 90, 94, 501, 502, 601, 643, 918] {
        assert!(cwes.contains(&c), "a taint rule for CWE-{c}");
    }
}

#[test]
fn rule_examples() {
    let files = rule_files();
    let rules = rules();
    let mut failures = Vec::new();
    for f in &files {
        for (i, code) in f.examples.positive.iter().enumerate() {
            let hits = run(code, &rules);
            if !hits.iter().any(|h| h.rule_id == f.id) {
                failures.push(format!("{} positive #{i} not found:\n{code}", f.id));
            }
        }
        for (i, code) in f.examples.negative.iter().enumerate() {
            let hits = run(code, &rules);
            let own: Vec<_> = hits.iter().filter(|h| h.rule_id == f.id).collect();
            if !own.is_empty() {
                failures.push(format!(
                    "{} negative #{i} flagged: {}\n{code}",
                    f.id, own[0].message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
