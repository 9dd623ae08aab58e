//! The SAST job as the engine runs it: file picking, realistic sample apps with their expected findings,
//! extra rule directories, rule selection, parse errors, test code, determinism.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tollgate::engine::{Job, RuleSelection, ScanContext, SourceFile};
use tollgate::finding::Severity;
use tollgate::sast::rules::RuleKind;
use tollgate::sast::{Config, SastJob, TestCode};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python")
}

fn source_files(root: &Path) -> Vec<SourceFile> {
    SourceFile::collect(root).unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `# expect: A, B` markers of a fixture: (line, rule) pairs.
fn expectations(text: &str) -> BTreeSet<(u32, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, ids)) = line.split_once("# expect:") {
            for id in ids.split(',') {
                out.insert((i as u32 + 1, id.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn sample_apps_give_exactly_the_expected_pattern_findings() {
    let root = fixtures().join("apps");
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let pattern_rules: BTreeSet<String> = job
        .loaded_rules()
        .iter()
        .filter(|r| r.file.kind == RuleKind::Pattern)
        .map(|r| r.file.id.clone())
        .collect();
    let files = source_files(&root);
    let ctx = ScanContext::new(root.clone());
    // A pattern rule deferred to a (taint) rule stands down inside functions that read web input, where
    // the taint rule reports instead: its expectation is met by either.
    let deferred: std::collections::BTreeMap<String, Vec<String>> = job
        .loaded_rules()
        .iter()
        .filter(|r| !r.file.deferred_to.is_empty())
        .map(|r| {
            let mut either = r.file.deferred_to.clone();
            either.push(r.file.id.clone());
            (r.file.id.clone(), either)
        })
        .collect();
    let out = job.scan(&files, &ctx);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let mut checked = 0;
    for f in files.iter().filter(|f| f.rel.ends_with(".py")) {
        let text = std::fs::read_to_string(&f.abs).unwrap();
        let all_want = expectations(&text);
        assert!(
            all_want.len() >= 8,
            "{}: only {} expectations",
            f.rel,
            all_want.len()
        );
        let mut want = BTreeSet::new();
        for (line, id) in all_want {
            match deferred.get(&id) {
                Some(instead) => {
                    assert!(
                        out.findings.iter().any(|x| x.location.path == f.rel
                            && x.location.start_line == line
                            && instead.contains(&x.rule_id)),
                        "{}:{line}: neither {id} nor the rule it defers to found anything ({instead:?})",
                        f.rel
                    );
                    checked += 1;
                }
                None => {
                    want.insert((line, id));
                }
            }
        }
        let got: BTreeSet<(u32, String)> = out
            .findings
            .iter()
            .filter(|x| x.location.path == f.rel && pattern_rules.contains(&x.rule_id))
            .filter(|x| !deferred.contains_key(&x.rule_id))
            .map(|x| (x.location.start_line, x.rule_id.clone()))
            .collect();
        // a deferred rule that does report must be where it is expected
        let expected_here = expectations(&text);
        for x in out
            .findings
            .iter()
            .filter(|x| x.location.path == f.rel && deferred.contains_key(&x.rule_id))
        {
            assert!(
                expected_here.contains(&(x.location.start_line, x.rule_id.clone())),
                "{}:{}: unexpected {}",
                f.rel,
                x.location.start_line,
                x.rule_id
            );
        }
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: missing {missing:?}, unexpected {extra:?}",
            f.rel
        );
        checked += want.len();
    }
    assert!(checked >= 25);
    for f in &out.findings {
        assert!(!f.cwe.is_empty() && f.remediation.is_some() && f.snippet.is_some());
        assert!(!f.fingerprint_key.is_empty());
    }
}

#[test]
fn extra_rule_dir_adds_rules_and_selection_is_respected() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.py",
        "import os\nprint(password)\nos.system(cmd)\neval(x)\n",
    );
    let job = SastJob::new(&Config::default(), &[fixtures().join("rules")]).unwrap();
    assert!(job.rules().iter().any(|r| r.id == "ACME-NO-PRINT"));
    let files = source_files(dir.path());
    let mut ctx = ScanContext::new(dir.path().to_path_buf());
    let ids = |ctx: &ScanContext| -> BTreeSet<String> {
        job.scan(&files, ctx)
            .findings
            .into_iter()
            .map(|f| f.rule_id)
            .collect()
    };
    let all = ids(&ctx);
    assert!(
        all.contains("ACME-NO-PRINT") && all.contains("PY-OS-SYSTEM") && all.contains("PY-EVAL"),
        "{all:?}"
    );
    ctx.selection = RuleSelection {
        select: vec![],
        ignore: vec!["PY-EVAL".into(), "ACME".into()],
    };
    let some = ids(&ctx);
    assert!(
        !some.contains("PY-EVAL")
            && !some.contains("ACME-NO-PRINT")
            && some.contains("PY-OS-SYSTEM"),
        "{some:?}"
    );
    ctx.selection = RuleSelection {
        select: vec!["PY-EVAL".into()],
        ignore: vec![],
    };
    assert_eq!(ids(&ctx), BTreeSet::from(["PY-EVAL".to_string()]));
}

#[test]
fn broken_rule_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "python/PY-BAD.yaml", "id: PY-BAD\ntitle: t\nseverity: high\ncwe: [1]\nkind: pattern\nmessage: m\ndocs: {what: a, why: b, fix: c}\npattern: {call: [eval], where: [{keyword: x, equals: true, bogus: 1}]}\n");
    let err = SastJob::new(&Config::default(), &[dir.path().to_path_buf()])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("PY-BAD.yaml"), "{err}");
    write(dir.path(), "python/PY-BAD.yaml", "id: PY-OTHER\ntitle: t\nseverity: high\ncwe: [1]\nkind: pattern\nmessage: m\ndocs: {what: a, why: b, fix: c}\npattern: {call: [eval]}\n");
    let err = SastJob::new(&Config::default(), &[dir.path().to_path_buf()])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("must equal the file name"), "{err}");
}

#[test]
fn picks_python_files_and_scripts_only() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", "eval(x)\n");
    write(dir.path(), "bin/tool", "#!/usr/bin/env python3\neval(x)\n");
    write(dir.path(), "bin/sh-tool", "#!/bin/sh\neval \"$x\"\n");
    write(dir.path(), "stubs.pyi", "eval(x)\n");
    write(dir.path(), "notes.txt", "eval(x)\n");
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let out = job.scan(
        &source_files(dir.path()),
        &ScanContext::new(dir.path().to_path_buf()),
    );
    assert_eq!(out.files_scanned, 2);
    let paths: BTreeSet<String> = out
        .findings
        .iter()
        .map(|f| f.location.path.clone())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["a.py".to_string(), "bin/tool".to_string()])
    );
}

#[test]
fn parse_errors_are_notifications_and_scanning_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.py", "import os\nos.system(cmd)\n");
    write(
        dir.path(),
        "py2.py",
        "import os\ndef f(:\n  pass\nos.system(cmd)\n",
    );
    write(dir.path(), "latin1.py", "");
    std::fs::write(
        dir.path().join("latin1.py"),
        b"# caf\xe9\nimport os\nos.system(cmd)\n",
    )
    .unwrap();
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let out = job.scan(
        &source_files(dir.path()),
        &ScanContext::new(dir.path().to_path_buf()),
    );
    let notes: Vec<_> = out
        .notifications
        .iter()
        .filter(|n| n.code == "parse-error")
        .collect();
    assert_eq!(notes.len(), 1, "{:#?}", out.notifications);
    assert_eq!(notes[0].path.as_deref(), Some("py2.py"));
    assert_eq!(notes[0].line, Some(2));
    let hits: BTreeSet<&str> = out
        .findings
        .iter()
        .filter(|f| f.rule_id == "PY-OS-SYSTEM")
        .map(|f| f.location.path.as_str())
        .collect();
    assert_eq!(hits, BTreeSet::from(["latin1.py", "ok.py", "py2.py"]));
}

#[test]
fn test_code_is_demoted_or_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/views.py",
        "import pickle\npickle.loads(data)\n",
    );
    write(
        dir.path(),
        "app/tests/test_views.py",
        "import pickle\npickle.loads(data)\n",
    );
    let files = source_files(dir.path());
    let ctx = ScanContext::new(dir.path().to_path_buf());
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let out = job.scan(&files, &ctx);
    let sev = |p: &str| {
        out.findings
            .iter()
            .find(|f| f.location.path == p)
            .map(|f| f.severity)
    };
    assert_eq!(sev("app/views.py"), Some(Severity::High));
    assert_eq!(sev("app/tests/test_views.py"), Some(Severity::Info));
    assert!(out
        .notifications
        .iter()
        .any(|n| n.code == "sast-tests-demoted"));

    let report = SastJob::new(
        &Config {
            test_code: TestCode::Report,
            ..Config::default()
        },
        &[],
    )
    .unwrap();
    let out = report.scan(&files, &ctx);
    assert!(out.findings.iter().all(|f| f.severity == Severity::High));

    let skip = SastJob::new(
        &Config {
            test_code: TestCode::Skip,
            ..Config::default()
        },
        &[],
    )
    .unwrap();
    let out = skip.scan(&files, &ctx);
    assert_eq!(out.files_scanned, 1);
    assert_eq!(out.findings.len(), 1);
    assert!(out
        .notifications
        .iter()
        .any(|n| n.code == "sast-tests-skipped"));
}

#[test]
fn same_input_same_output() {
    let root = fixtures().join("apps");
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let files = source_files(&root);
    let a = job.scan(&files, &ScanContext::new(root.clone()));
    let b = job.scan(&files, &ScanContext::new(root.clone()));
    assert_eq!(
        serde_json::to_string(&a.findings).unwrap(),
        serde_json::to_string(&b.findings).unwrap()
    );
    let keys: Vec<_> = a
        .findings
        .iter()
        .map(|f| (&f.fingerprint_key, f.location.start_line))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] != w[1]));
}

#[test]
fn pattern_rules_defer_to_taint_inside_web_handlers_only() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "views.py",
        r#"import sqlite3
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/a")
def a():
    name = request.args.get("name")
    db = sqlite3.connect("x")
    db.execute("SELECT * FROM t WHERE n = '%s'" % name)


@app.route("/b")
def b():
    mode = request.args.get("mode") if 7 * 3 > 100 else "fast"
    db = sqlite3.connect("x")
    db.execute("SELECT * FROM t WHERE m = '%s'" % mode)
    subprocess.run("ls " + mode, shell=True)


def helper(db, owner):
    db.execute("SELECT * FROM t WHERE owner = '%s'" % owner)
"#,
    );
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let ctx = ScanContext::new(d.path().to_path_buf());
    let out = job.scan(&source_files(d.path()), &ctx);
    let got: BTreeSet<(u32, String)> = out
        .findings
        .iter()
        .filter(|f| {
            ["PY-SQLI", "PY-SQL-FORMAT", "PY-CMDI", "PY-SUBPROCESS-SHELL"]
                .contains(&f.rule_id.as_str())
        })
        .map(|f| (f.location.start_line, f.rule_id.clone()))
        .collect();
    let want: BTreeSet<(u32, String)> = [
        // a real injection in a handler: the taint rule, once (no duplicate pattern finding)
        (12, "PY-SQLI"),
        // library code that formats a parameter into SQL: the pattern rule, as Bandit would
        (24, "PY-SQL-FORMAT"),
    ]
    .into_iter()
    .map(|(l, id)| (l, id.to_string()))
    .collect();
    // lines 19-20 (a constant in a handler) stay quiet
    assert_eq!(got, want);
}

/// Hostile nesting (issue 13): 50,000 nested parentheses, calls, lists, `+` terms, and ifs give a
/// `too-deep` notification, never a stack overflow; code just under the limit is analysed, on the
/// 2 MiB stack of a test thread, by every pattern and taint rule.
#[test]
fn deep_nesting_gives_a_notification_not_a_crash() {
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let enabled = vec![true; job.loaded_rules().len()];
    let mut parser = tollgate::sast::new_parser();
    let shapes = |n: usize| -> Vec<(&'static str, String)> {
        vec![
            ("parens", format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n))),
            (
                "calls",
                format!(
                    "from flask import request\nimport os\ndef f():\n    os.system({}request.args['a']{})\n",
                    "g(".repeat(n),
                    ")".repeat(n)
                ),
            ),
            ("lists", format!("x = {}{}\n", "[".repeat(n), "]".repeat(n))),
            (
                "plus",
                format!(
                    "from flask import request\nimport os\ndef f():\n    os.system(\"a\"{} + request.args['a'])\n",
                    " + x".repeat(n)
                ),
            ),
            (
                "ifs",
                (0..n / 3)
                    .map(|i| format!("{}if x:\n", " ".repeat(i)))
                    .collect::<String>()
                    + &" ".repeat(n / 3)
                    + "eval(y)\n",
            ),
        ]
    };
    for (name, src) in shapes(50_000) {
        if name == "ifs" {
            continue; // 16,666 levels of indentation are 140 MB; the shallower variant below covers ifs
        }
        let (findings, notes) = job.scan_source(&mut parser, "deep.py", &src, &enabled);
        assert!(findings.is_empty(), "{name}");
        assert!(
            notes
                .iter()
                .any(|n| n.code == "too-deep" && n.path.as_deref() == Some("deep.py")),
            "{name}: {notes:?}"
        );
    }
    let (_, notes) = job.scan_source(
        &mut parser,
        "deep.py",
        &shapes(1_500).pop().unwrap().1,
        &enabled,
    );
    assert!(notes.iter().any(|n| n.code == "too-deep"), "ifs: {notes:?}");
    // just under the limit: scanned without a crash (the taint engine gives up past its own depth bound)
    for (name, src) in shapes(190) {
        let (_, notes) = job.scan_source(&mut parser, "deep.py", &src, &enabled);
        assert!(
            !notes.iter().any(|n| n.code == "too-deep"),
            "{name}: {notes:?}"
        );
    }
    // nesting as deep as real code gets: the sinks are still found
    for (name, src) in shapes(20) {
        let (findings, _) = job.scan_source(&mut parser, "deep.py", &src, &enabled);
        if name == "calls" || name == "plus" || name == "ifs" {
            assert!(!findings.is_empty(), "{name}: nothing found");
        }
    }
}
