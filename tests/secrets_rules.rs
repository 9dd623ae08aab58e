//! Every secret rule's own examples, and the catalogue's invariants. Rules are read from the working tree
//! (`rules/secrets/`), so a rule being written is tested before it is compiled in.

use std::collections::BTreeSet;
use std::path::Path;
use tollgate::secrets::{rules, Config, SecretsJob};

fn rules_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/secrets")
}

fn disk_rules() -> Vec<rules::Rule> {
    match rules::load_dir(&rules_dir()) {
        Ok(r) => r,
        Err(e) => panic!("a rule file is invalid: {e}"),
    }
}

fn describe(findings: &[tollgate::Finding]) -> String {
    if findings.is_empty() {
        return "nothing".into();
    }
    findings
        .iter()
        .map(|f| {
            format!(
                "{} at {}:{} `{}`",
                f.rule_id, f.location.start_line, f.location.start_column, f.message
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn every_rule_example_behaves() {
    let rules = disk_rules();
    assert!(!rules.is_empty());
    let job = SecretsJob::from_rules(&Config::default(), rules.clone()).unwrap();
    let mut failures = Vec::new();
    for r in &rules {
        if r.positive.is_empty() {
            failures.push(format!("{}: no positive example", r.id));
        }
        if r.negative.is_empty() {
            failures.push(format!("{}: no negative example", r.id));
        }
        for (i, ex) in r.positive.iter().enumerate() {
            let found = job.scan_text(ex.path(), ex.text());
            if !found.iter().any(|f| f.rule_id == r.id) {
                failures.push(format!(
                    "{}: positive example #{} ({}) {:?} gave no finding of this rule; found: {}",
                    r.id,
                    i + 1,
                    ex.path(),
                    ex.text(),
                    describe(&found)
                ));
            }
        }
        for (i, ex) in r.negative.iter().enumerate() {
            let found = job.scan_text(ex.path(), ex.text());
            let mine: Vec<_> = found
                .iter()
                .filter(|f| f.rule_id == r.id)
                .cloned()
                .collect();
            if !mine.is_empty() {
                failures.push(format!(
                    "{}: negative example #{} ({}) {:?} gave: {}",
                    r.id,
                    i + 1,
                    ex.path(),
                    ex.text(),
                    describe(&mine)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule example failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ids_are_unique_and_match_file_names() {
    let mut seen = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(rules_dir()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        files += 1;
        // The loader rejects a rule whose id differs from its file name; check it here too.
        let r = rules::parse_rule(
            &p.to_string_lossy(),
            name.trim_end_matches(".yaml").trim_end_matches(".yml"),
            &std::fs::read_to_string(&p).unwrap(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(seen.insert(r.id.clone()), "duplicate rule id {}", r.id);
    }
    assert_eq!(files, seen.len());
}

#[test]
fn keywords_are_lowercase_and_regexes_compile() {
    for r in disk_rules() {
        assert!(!r.keywords.is_empty(), "{}: no keywords", r.id);
        for k in &r.keywords {
            assert_eq!(k, &k.to_lowercase(), "{}: keyword {k} not lower-case", r.id);
            assert!(
                k.len() >= 3,
                "{}: keyword `{k}` is too short to prefilter",
                r.id
            );
        }
        match &r.matcher {
            rules::Matcher::Regex(re) => {
                assert!(!r.regex_source.is_empty());
                let (re, _) = re
                    .get()
                    .unwrap_or_else(|e| panic!("{}: regex does not compile: {e}", r.id));
                assert!(!re.is_match(b""), "{}: regex matches empty text", r.id);
            }
            rules::Matcher::Detector(_) => assert!(r.regex_source.is_empty()),
        }
        assert!(!r.description.trim().is_empty(), "{}", r.id);
        assert!(!r.remediation.trim().is_empty(), "{}", r.id);
        assert!(!r.cwe.is_empty(), "{}: no CWE", r.id);
        for a in &r.allow_regexes {
            assert!(
                a.get().is_ok(),
                "{}: allowlist regex does not compile",
                r.id
            );
        }
    }
}

#[test]
fn positive_examples_hit_a_keyword() {
    // A positive example whose text contains none of the rule's keywords can never match in a scan
    // (the prefilter skips the rule): catch that directly with a clear message.
    for r in disk_rules() {
        for ex in &r.positive {
            let lower = ex.text().to_lowercase();
            assert!(
                r.keywords.iter().any(|k| lower.contains(k.as_str())),
                "{}: positive example {:?} contains none of the keywords {:?}",
                r.id,
                ex.text(),
                r.keywords
            );
        }
    }
}

#[test]
fn compiled_in_rules_match_the_working_tree() {
    // The binary embeds rules/secrets at build time; a stale build would ship other rules.
    let job = SecretsJob::new(&Config::default(), &[]).unwrap();
    let embedded: BTreeSet<_> = job.loaded_rules().iter().map(|r| r.id.clone()).collect();
    let disk: BTreeSet<_> = disk_rules().into_iter().map(|r| r.id).collect();
    assert_eq!(embedded, disk);
}

#[test]
fn extra_rule_dirs_add_and_override() {
    let dir = tempfile::tempdir().unwrap();
    let sdir = dir.path().join("secrets");
    std::fs::create_dir(&sdir).unwrap();
    std::fs::write(
        sdir.join("SEC-ACME-INTERNAL-TOKEN.yaml"),
        r#"id: SEC-ACME-INTERNAL-TOKEN
title: ACME internal token
severity: medium
keywords: [acme_]
regex: '\b(?P<secret>acme_[a-z0-9]{20})\b'
description: An internal token.
remediation: Rotate it in the ACME console.
"#,
    )
    .unwrap();
    let job = SecretsJob::new(&Config::default(), &[dir.path().to_path_buf()]).unwrap();
    let f = job.scan_text("app.py", "TOKEN = 'acme_k3j4h5g6f7d8s9a0q1w2'\n");
    assert!(
        f.iter().any(|f| f.rule_id == "SEC-ACME-INTERNAL-TOKEN"),
        "{f:?}"
    );

    // A broken rule in an extra dir is an error naming file and line.
    std::fs::write(
        sdir.join("SEC-BROKEN.yaml"),
        "id: SEC-BROKEN\ntitle: x\nseverity: high\nkeywords: [abc]\nregex: '(abc'\ndescription: x\nremediation: y\n",
    )
    .unwrap();
    let err = SecretsJob::new(&Config::default(), &[dir.path().to_path_buf()])
        .err()
        .expect("broken rule must fail")
        .to_string();
    assert!(err.contains("SEC-BROKEN.yaml:5: invalid regex"), "{err}");
}

#[test]
fn a_rules_dir_named_secrets_is_used_directly() {
    let dir = tempfile::tempdir().unwrap();
    let sdir = dir.path().join("secrets");
    std::fs::create_dir(&sdir).unwrap();
    std::fs::write(
        sdir.join("SEC-GITHUB-PAT.yaml"),
        "id: SEC-GITHUB-PAT\ntitle: Overridden\nseverity: low\nkeywords: [ghp_]\nregex: '(ghp_[A-Za-z0-9]{36})'\ndescription: d\nremediation: r\n",
    )
    .unwrap();
    // Given as `DIR/secrets` itself: the built-in rule of the same id is replaced.
    let job = SecretsJob::new(&Config::default(), std::slice::from_ref(&sdir)).unwrap();
    let f = job.scan_text("x.env", "T=ghp_gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH\n");
    let pat: Vec<_> = f.iter().filter(|f| f.rule_id == "SEC-GITHUB-PAT").collect();
    assert_eq!(pat.len(), 1, "{f:?}");
    assert_eq!(pat[0].severity, tollgate::Severity::Low);
    assert!(
        pat[0].message.starts_with("Overridden: ghp_"),
        "{}",
        pat[0].message
    );
    // A directory that does not exist is an error.
    assert!(SecretsJob::new(&Config::default(), &[dir.path().join("nope")]).is_err());
}

#[test]
fn rule_help_never_shows_an_example_secret_whole() {
    let job = SecretsJob::new(&Config::default(), &[]).unwrap();
    for r in job.loaded_rules() {
        let help = r.meta().help_markdown;
        let Some(ex) = r.positive.first() else {
            continue;
        };
        for f in job.scan_text(ex.path(), ex.text()) {
            if f.rule_id != r.id || f.location.start_line != f.location.end_line {
                continue;
            }
            let line = ex
                .text()
                .lines()
                .nth(f.location.start_line as usize - 1)
                .unwrap();
            let (a, b) = (
                f.location.start_column as usize - 1,
                f.location.end_column as usize - 1,
            );
            if line.is_ascii() && b <= line.len() && b - a >= 8 {
                let secret = &line[a..b];
                assert!(!help.contains(secret), "{}: help shows {secret}", r.id);
            }
        }
    }
}
