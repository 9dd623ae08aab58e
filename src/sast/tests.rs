//! Unit tests of the SAST job: rule loading, a file scanned through `scan_source`, metadata.

use super::*;

fn job() -> SastJob {
    SastJob::new(&Config::default(), &[]).unwrap()
}

#[test]
fn a_tree_without_python_does_not_load_the_built_in_rules() {
    let j = job();
    assert!(j.loaded.get().is_none());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# hi\n").unwrap();
    let files = SourceFile::collect(dir.path()).unwrap();
    let mut ctx = ScanContext::new(dir.path().to_path_buf());
    ctx.selection.ignore = vec!["PY-EVAL".into()];
    let out = j.scan(&files, &ctx);
    assert!(j.loaded.get().is_none(), "no Python file, no rules loaded");
    // the count of enabled rules is the one the loaded rules give
    let enabled = j.enabled_rules(&ctx).iter().filter(|e| **e).count();
    assert!(j.loaded.get().is_some());
    assert_eq!(out.properties["sast.rules"], serde_json::json!(enabled));
    assert_eq!(j.rule_ids().len(), j.rules_list().len());
    // the same settings digest from every job built the same way, another for another configuration
    assert_eq!(job().settings, j.settings);
    let other = SastJob::new(
        &Config {
            test_code: TestCode::Report,
            ..Config::default()
        },
        &[],
    )
    .unwrap();
    assert_ne!(other.settings, j.settings);
}

fn scan(src: &str) -> (Vec<Finding>, Vec<Notification>) {
    let j = job();
    let enabled = vec![true; j.rules_list().len()];
    j.scan_source(&mut new_parser(), "app.py", src, &enabled)
}

#[test]
fn deferred_rules_run_only_when_their_replacement_does_not() {
    let rule = |id: &str, extra: &str| {
        let text = format!(
            "id: {id}\ntitle: t\nseverity: high\ncwe: [89]\nkind: pattern\nmessage: m\n{extra}docs: {{what: a, why: b, fix: c}}\npattern: {{call: [eval]}}\n"
        );
        rules::parse_rule(&text, std::path::Path::new("x.yaml"), Some(id)).unwrap()
    };
    let job = SastJob::from_rules(vec![
        rule("ACME-PRECISE", ""),
        rule("ACME-FALLBACK", "deferred-to: [ACME-PRECISE]\n"),
    ])
    .unwrap();
    let mut ctx = ScanContext::new(".".into());
    assert_eq!(job.enabled_rules(&ctx), vec![true, true]);
    ctx.selection.ignore = vec!["ACME-PRECISE".into()];
    assert_eq!(job.enabled_rules(&ctx), vec![false, true]);
}

#[test]
fn test_paths() {
    for p in [
        "tests/test_x.py",
        "pkg/tests/util.py",
        "test_app.py",
        "a/conftest.py",
        "a/b_test.py",
        "testing/x.py",
    ] {
        assert!(is_test_path(p), "{p}");
    }
    for p in [
        "testcode/BenchmarkTest00001.py",
        "app/views.py",
        "contest.py",
        "tests.py.bak",
        "latest/x.py",
    ] {
        assert!(!is_test_path(p), "{p}");
    }
}

#[test]
fn builtin_rules_load_and_compile() {
    let j = job();
    assert!(j.rules_list().len() >= 30, "{} rules", j.rules_list().len());
    let metas = j.rules();
    assert!(metas.iter().all(|m| !m.help_markdown.is_empty()));
}

#[test]
fn syntax_error_is_a_notification_and_the_rest_is_scanned() {
    let (f, n) = scan("import os\ndef broken(:\n    pass\n\nos.system(cmd)\n");
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].code, "parse-error");
    assert_eq!(n[0].line, Some(2));
    assert!(f.iter().any(|f| f.rule_id == "PY-OS-SYSTEM"), "{f:#?}");
}

#[test]
fn findings_have_positions_snippets_and_stable_keys() {
    let src = "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n";
    let (f, _) = scan(src);
    let f = f
        .iter()
        .find(|f| f.rule_id == "PY-SUBPROCESS-SHELL")
        .unwrap();
    assert_eq!(f.location.start_line, 4);
    assert_eq!(f.location.start_column, 5);
    assert_eq!(
        f.snippet.as_deref(),
        Some("subprocess.call(cmd, shell=True)")
    );
    assert!(!f.fingerprint_key.contains('4'));
    assert!(f.fingerprint_key.contains("run"));
    let moved = format!("\n\n{src}");
    let (g, _) = scan(&moved);
    let g = g
        .iter()
        .find(|f| f.rule_id == "PY-SUBPROCESS-SHELL")
        .unwrap();
    assert_eq!(f.fingerprint_key, g.fingerprint_key);
}
