//! Every shipped Python rule: valid against the published JSON Schema, id = file name, unique, and its
//! positive examples are found while its negative examples stay silent.

use std::collections::BTreeSet;
use tollgate::sast::rules::{builtin_rules, RuleKind, BUILTIN_RULES};
use tollgate::sast::{new_parser, Config, SastJob};

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("rules/schema/python-rule.schema.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_rule_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let mut checked = 0;
    for f in BUILTIN_RULES.files() {
        let text = f.contents_utf8().unwrap();
        let value: serde_json::Value =
            serde_norway::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", f.path().display()));
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.path().display());
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} rule files");
}

#[test]
fn schema_rejects_broken_rules() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let bad: serde_json::Value = serde_norway::from_str(
        "id: PY-X\ntitle: t\nseverity: urgent\ncwe: [1]\nkind: pattern\nmessage: m\ndocs: {what: a, why: b, fix: c}\npattern: {call: [eval]}\n",
    )
    .unwrap();
    assert!(!validator.is_valid(&bad));
    let no_pattern: serde_json::Value = serde_norway::from_str(
        "id: PY-X\ntitle: t\nseverity: high\ncwe: [1]\nkind: pattern\nmessage: m\ndocs: {what: a, why: b, fix: c}\n",
    )
    .unwrap();
    assert!(!validator.is_valid(&no_pattern));
}

#[test]
fn ids_are_unique_and_equal_file_names() {
    let rules = builtin_rules().unwrap();
    let mut seen = BTreeSet::new();
    for r in &rules {
        assert!(seen.insert(r.file.id.clone()), "duplicate id {}", r.file.id);
        let stem = r.origin.file_stem().unwrap().to_str().unwrap();
        assert_eq!(stem, r.file.id);
        assert!(r.file.id.starts_with("PY-"), "{}", r.file.id);
    }
}

/// An example is scanned as `example.py`, or as the path its first line names (`# path: app/settings.py`).
fn example_path(code: &str) -> &str {
    code.lines()
        .next()
        .and_then(|l| l.strip_prefix("# path:"))
        .map(str::trim)
        .unwrap_or("example.py")
}

#[test]
fn examples_positive_found_negative_silent() {
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let rules = job.loaded_rules();
    let enabled = vec![true; rules.len()];
    let mut parser = new_parser();
    let mut failures = Vec::new();
    let mut checked = 0;
    for r in rules {
        let id = &r.file.id;
        if r.file.kind == RuleKind::Pattern {
            assert!(
                r.file.examples.positive.len() >= 2,
                "{id}: needs >= 2 positive examples"
            );
            assert!(
                r.file.examples.negative.len() >= 2,
                "{id}: needs >= 2 negative examples"
            );
        }
        // a view rendering a template: the finding is at the template line, which a lone example does not
        // have (tests/sast_templates.rs scans views with their templates)
        let renders = r
            .taint
            .as_ref()
            .is_some_and(|t| t.sinks.iter().any(|s| s.template.is_some()));
        for (i, code) in r.file.examples.positive.iter().enumerate() {
            if renders {
                continue;
            }
            let (findings, _) = job.scan_source(&mut parser, example_path(code), code, &enabled);
            // a rule deferred to a taint rule may be reported by that rule instead (in a web handler)
            if !findings
                .iter()
                .any(|f| &f.rule_id == id || r.file.deferred_to.contains(&f.rule_id))
            {
                failures.push(format!("{id}: positive example {i} not found:\n{code}"));
            }
            checked += 1;
        }
        for (i, code) in r.file.examples.negative.iter().enumerate() {
            let (findings, _) = job.scan_source(&mut parser, example_path(code), code, &enabled);
            let hits: Vec<_> = findings.iter().filter(|f| &f.rule_id == id).collect();
            if !hits.is_empty() {
                failures.push(format!(
                    "{id}: negative example {i} flagged at line {}:\n{code}",
                    hits[0].location.start_line
                ));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 100, "{checked}");
}

/// The build step's JSON (what the binary loads at start-up) gives exactly the rules the YAML files say:
/// same files, same fields, same taint sections, same patterns (compared through their compiled engine's
/// findings on every rule's examples elsewhere; here through their full debug form).
#[test]
fn precompiled_builtin_rules_equal_the_yaml() {
    let fast = tollgate::sast::rules::builtin_rules().unwrap();
    let slow = tollgate::sast::rules::builtin_rules_from_yaml().unwrap();
    assert_eq!(fast.len(), slow.len());
    assert!(fast.len() >= 50, "{} rules", fast.len());
    assert_eq!(tollgate::sast::rules::precompiled_rule_count(), fast.len());
    for (a, b) in fast.iter().zip(&slow) {
        assert_eq!(a.file.id, b.file.id);
        assert_eq!(a.origin, b.origin);
        assert_eq!(a.text, b.text);
        assert_eq!(a.taint, b.taint, "{}", a.file.id);
        assert_eq!(
            format!("{:?}", a.file.pattern),
            format!("{:?}", b.file.pattern),
            "{}",
            a.file.id
        );
        let (ma, mb) = (a.meta(), b.meta());
        assert_eq!(
            serde_json::to_string(&ma).unwrap(),
            serde_json::to_string(&mb).unwrap()
        );
        assert_eq!(
            format!("{:?}", a.file.examples),
            format!("{:?}", b.file.examples)
        );
        assert_eq!(a.file.deferred_to, b.file.deferred_to);
    }
}
