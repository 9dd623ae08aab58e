//! Cross-module taint: a view's input reaching a sink in a helper of another module of the scanned tree
//! (`fixtures/python/xmod`), found through per-function summaries, with a path across both files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::finding::Finding;
use tollgate::sast::{Config, SastJob};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python/xmod")
}

/// `# expect: A, B` markers of every file under `dir`: (path, line, rule).
fn expectations(dir: &Path, files: &[SourceFile]) -> BTreeSet<(String, u32, String)> {
    let mut out = BTreeSet::new();
    for f in files.iter().filter(|f| f.rel.ends_with(".py")) {
        let text = std::fs::read_to_string(dir.join(&f.rel)).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, ids)) = line.split_once("# expect:") {
                for id in ids.split(',') {
                    out.insert((f.rel.clone(), i as u32 + 1, id.trim().to_string()));
                }
            }
        }
    }
    out
}

fn scan(dir: &Path) -> Vec<Finding> {
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let files = SourceFile::collect(dir).unwrap();
    let mut ctx = ScanContext::new(dir.to_path_buf());
    // the taint rules only: pattern rules also report some helper lines on their own
    ctx.selection.select = job
        .loaded_rules()
        .iter()
        .filter(|r| r.taint.is_some())
        .map(|r| r.file.id.clone())
        .collect();
    let out = job.scan(&files, &ctx);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    out.findings
}

#[test]
fn input_reaching_sinks_in_other_modules_is_found_and_safe_twins_stay_quiet() {
    let dir = root();
    let files = SourceFile::collect(&dir).unwrap();
    let want = expectations(&dir, &files);
    let findings = scan(&dir);
    let got: BTreeSet<(String, u32, String)> = findings
        .iter()
        .map(|f| {
            (
                f.location.path.clone(),
                f.location.start_line,
                f.rule_id.clone(),
            )
        })
        .collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, unexpected {extra:?}"
    );
}

#[test]
fn the_path_goes_from_the_view_to_the_helper() {
    let findings = scan(&root());
    let f = findings
        .iter()
        .find(|f| {
            f.location.path == "shop/db.py"
                && f.location.start_line == 13
                && f.properties["cross-module"] == "shop/views.py"
        })
        .expect("the query in find_user_by_name");
    let steps: Vec<(&str, u32)> = f
        .code_flow
        .iter()
        .map(|s| (s.location.path.as_str(), s.location.start_line))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("shop/views.py", 18),
            ("shop/views.py", 18),
            ("shop/views.py", 19),
            ("shop/db.py", 11),
            ("shop/db.py", 13),
        ]
    );
    assert!(
        f.message.contains("through `find_user_by_name()`"),
        "{}",
        f.message
    );
    assert_eq!(
        f.snippet.as_deref(),
        Some("cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)  # expect: PY-SQLI")
    );
    assert_eq!(f.properties["cross-module"], "shop/views.py");
    // a helper reached from two places: two findings at the same sink, one per path
    let raw: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.location.path == "shop/db.py" && f.location.start_line == 34)
        .collect();
    assert_eq!(raw.len(), 2, "{raw:#?}");
    assert!(raw.iter().any(|f| f
        .code_flow
        .iter()
        .any(|s| s.location.path == "shop/services/backup.py")));
}

/// The file and line where a finding's path starts.
fn origin(f: &Finding) -> (&str, u32) {
    let s = f.code_flow.first().expect("a path");
    (s.location.path.as_str(), s.location.start_line)
}

#[test]
fn environment_and_argv_values_are_followed_into_other_modules_at_low_severity() {
    use tollgate::finding::Severity;
    let findings = scan(&root());
    type Row<'a> = (&'a str, u32, &'a str, Severity, (&'a str, u32));
    let from_cli: Vec<Row> = findings
        .iter()
        .filter(|f| origin(f).0 == "shop/cli.py")
        .map(|f| {
            (
                f.location.path.as_str(),
                f.location.start_line,
                f.rule_id.as_str(),
                f.severity,
                origin(f),
            )
        })
        .collect();
    assert_eq!(
        from_cli,
        vec![
            // sys.argv[1] -> archive() -> subprocess.run(..., shell=True)
            (
                "shop/cli.py",
                16,
                "PY-CMDI",
                Severity::Low,
                ("shop/cli.py", 16)
            ),
            (
                "shop/db.py",
                13,
                "PY-SQLI",
                Severity::Low,
                ("shop/cli.py", 14)
            ),
            (
                "shop/services/backup.py",
                8,
                "PY-CMDI",
                Severity::Low,
                ("shop/cli.py", 12)
            ),
        ]
    );
    // the environment value comes back from shop/config.py
    let du = findings
        .iter()
        .find(|f| f.location.path == "shop/cli.py")
        .unwrap();
    assert!(du.message.contains("backup_dir()"), "{}", du.message);
}

#[test]
fn a_file_without_input_calling_a_helper_that_returns_input_gets_a_source() {
    use tollgate::finding::Severity;
    let findings = scan(&root());
    let got: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.location.path == "shop/reports.py")
        .collect();
    assert_eq!(got.len(), 1, "{got:#?}");
    let f = got[0];
    assert_eq!((f.location.start_line, f.rule_id.as_str()), (6, "PY-SQLI"));
    assert_eq!(f.severity, Severity::High);
    assert!(f.message.contains("current_user_id()"), "{}", f.message);
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn long_chains_and_cycles_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // a chain of 40 modules, each passing its parameter to the next; the last one runs it
    for i in 0..40 {
        write(
            dir.path(),
            &format!("pkg/m{i}.py"),
            &format!("from pkg.m{} import f as g\n\ndef f(x):\n    g(x)\n", i + 1),
        );
    }
    write(
        dir.path(),
        "pkg/m40.py",
        "import os\n\ndef f(x):\n    os.system(x)\n",
    );
    // two modules calling each other forever, and a package re-exporting itself
    write(
        dir.path(),
        "pkg/a.py",
        "from pkg.b import f as g\n\ndef f(x):\n    return g(x)\n",
    );
    write(
        dir.path(),
        "pkg/b.py",
        "from pkg.a import f as g\n\ndef f(x):\n    return g(x)\n",
    );
    write(
        dir.path(),
        "pkg/__init__.py",
        "from pkg import f\nfrom .a import f\n",
    );
    write(
        dir.path(),
        "app.py",
        "import os\nfrom flask import request\nfrom pkg.m37 import f as near\nfrom pkg.m0 import f as far\n\
         from pkg.a import f as loop\nfrom pkg import f as re\n\n\
         def view(request):\n    x = request.GET['x']\n    near(x)\n    far(x)\n    os.system(loop(x))\n    os.system(re(x))\n",
    );
    let findings = scan(dir.path());
    let got: BTreeSet<(String, u32)> = findings
        .iter()
        .map(|f| (f.location.path.clone(), f.location.start_line))
        .collect();
    // near: m37 -> m38 -> m39 -> m40 is within the hop limit; far is not followed that deep
    assert!(got.contains(&("pkg/m40.py".to_string(), 4)), "{got:?}");
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.location.path == "pkg/m40.py")
            .count(),
        1
    );
    // the cycles end (the value is assumed to come back)
    assert!(got.contains(&("app.py".to_string(), 12)), "{got:?}");
    assert!(got.contains(&("app.py".to_string(), 13)), "{got:?}");
}

#[test]
fn helpers_the_prefilter_skips_are_still_summarized() {
    let dir = tempfile::tempdir().unwrap();
    // no name any rule needs and no source: the prefilter does not parse this file in phase 1
    write(
        dir.path(),
        "app/helpers.py",
        "def to_id(x):\n    return int(x)\n\n\ndef where_name(x):\n    return \" WHERE name = '\" + x + \"'\"\n",
    );
    write(
        dir.path(),
        "app/views.py",
        "import sqlite3\nfrom flask import request\nfrom app.helpers import to_id, where_name\n\n\
         def view(request):\n    cur = sqlite3.connect('x').cursor()\n\
         \x20   cur.execute('SELECT * FROM t WHERE id = ' + to_id(request.args['id']))\n\
         \x20   cur.execute('SELECT * FROM t' + where_name(request.args['n']))\n",
    );
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let prefilter = tollgate::sast::prefilter::Prefilter::new(
        job.loaded_rules()
            .iter()
            .filter(|r| r.taint.is_none())
            .map(|r| r.file.pattern.as_ref()),
        0,
    );
    assert!(prefilter.is_on());
    let helpers = std::fs::read_to_string(dir.path().join("app/helpers.py")).unwrap();
    assert!(!prefilter.passes("app/helpers.py", &helpers));
    let mut lines = Vec::new();
    for on in [true, false] {
        let mut job = SastJob::new(&Config::default(), &[]).unwrap();
        job.set_prefilter(on);
        let files = SourceFile::collect(dir.path()).unwrap();
        let mut ctx = ScanContext::new(dir.path().to_path_buf());
        ctx.selection.select = vec!["PY-SQLI".into()];
        let out = job.scan(&files, &ctx);
        lines.push(
            out.findings
                .iter()
                .map(|f| (f.location.path.clone(), f.location.start_line))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(lines[0], vec![("app/views.py".to_string(), 8)]);
    assert_eq!(lines[0], lines[1]);
}

#[test]
fn hostile_modules_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // thousands of functions calling each other, a huge body, deep nesting, a module importing itself
    let mut many = String::from("import os\nfrom pkg.big import f0 as again\n");
    for i in 0..3000 {
        many.push_str(&format!("def f{i}(x):\n    return f{}(x)\n", i + 1));
    }
    many.push_str("def f3000(x):\n    os.system(x)\n");
    let mut huge = String::from("def huge(x):\n");
    for i in 0..3000 {
        huge.push_str(&format!("    v{i} = x + '{i}'\n"));
    }
    huge.push_str("    os.system(v2999)\n");
    many.push_str(&huge);
    many.push_str(&format!(
        "def nested(x):\n    return {}x{}\n",
        "(".repeat(200),
        ")".repeat(200)
    ));
    write(dir.path(), "pkg/big.py", &many);
    write(
        dir.path(),
        "app.py",
        "from flask import request\nfrom pkg.big import f0, f2999, huge, nested, again\n\n\
         def view(request):\n    x = request.args['x']\n    f0(x)\n    f2999(x)\n    huge(x)\n    nested(x)\n    again(x)\n",
    );
    let start = std::time::Instant::now();
    let findings = scan(dir.path());
    assert!(start.elapsed().as_secs() < 60);
    let got: BTreeSet<(String, u32)> = findings
        .iter()
        .map(|f| (f.location.path.clone(), f.location.start_line))
        .collect();
    // f2999 -> f3000 runs the command (same-file calls are followed two levels deep); the huge body is
    // over the summary limit and the 3000-step chain beyond every bound
    assert!(got.contains(&("pkg/big.py".to_string(), 6004)), "{got:?}");
}
