//! Templates traced to the views that render them (`fixtures/python/templates`): request data a view passes to
//! a template is reported at the template line that writes it unescaped, with a path from the view; escaped
//! outputs, escaped or cleaned values and constants stay quiet; a changed template invalidates the view's
//! cached results.

mod common;
use common::copy_dir;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::finding::Finding;
use tollgate::model::cache::{MemoryStore, ResultCache};
use tollgate::sast::{Config, SastJob};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python/templates")
}

/// `expect: A, B` markers (after `#` in Python, inside `{# ... #}` in templates): (path, line, rule).
fn expectations(dir: &Path, files: &[SourceFile]) -> BTreeSet<(String, u32, String)> {
    let mut out = BTreeSet::new();
    for f in files.iter().filter(|f| !f.rel.ends_with(".md")) {
        let text = std::fs::read_to_string(dir.join(&f.rel)).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, ids)) = line.split_once("expect:") {
                for id in ids.trim_end_matches("#}").trim().split(',') {
                    out.insert((f.rel.clone(), i as u32 + 1, id.trim().to_string()));
                }
            }
        }
    }
    out
}

fn taint_only(job: &SastJob, ctx: &mut ScanContext) {
    ctx.selection.select = job
        .loaded_rules()
        .iter()
        .filter(|r| r.taint.is_some())
        .map(|r| r.file.id.clone())
        .collect();
}

fn scan(dir: &Path) -> (Vec<Finding>, Vec<tollgate::finding::Notification>) {
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let files = SourceFile::collect(dir).unwrap();
    let mut ctx = ScanContext::new(dir.to_path_buf());
    taint_only(&job, &mut ctx);
    let out = job.scan(&files, &ctx);
    (out.findings, out.notifications)
}

fn got(findings: &[Finding]) -> BTreeSet<(String, u32, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f.location.path.clone(),
                f.location.start_line,
                f.rule_id.clone(),
            )
        })
        .collect()
}

#[test]
fn unescaped_template_outputs_of_request_data_are_found_and_safe_twins_stay_quiet() {
    let dir = root();
    let files = SourceFile::collect(&dir).unwrap();
    let want = expectations(&dir, &files);
    let (findings, notes) = scan(&dir);
    assert!(notes.is_empty(), "{notes:#?}");
    let got = got(&findings);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, unexpected {extra:?}"
    );
    // one finding per view and output
    assert_eq!(findings.len(), want.len(), "{findings:#?}");
}

#[test]
fn the_path_goes_from_the_view_to_the_template_line() {
    let (findings, _) = scan(&root());
    let f = findings
        .iter()
        .find(|f| f.location.path == "flaskr/templates/hello.html")
        .expect("hello.html");
    assert_eq!(f.rule_id, "PY-XSS-TEMPLATE");
    assert_eq!(f.cwe, vec![79]);
    let steps: Vec<(&str, u32)> = f
        .code_flow
        .iter()
        .map(|s| (s.location.path.as_str(), s.location.start_line))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("flaskr/app.py", 12),
            ("flaskr/app.py", 12),
            ("flaskr/templates/hello.html", 4),
        ]
    );
    assert_eq!(f.location.start_column, 13);
    assert_eq!(
        f.snippet.as_deref(),
        Some("<h1>Hello {{ name|safe }}!</h1> {# expect: PY-XSS-TEMPLATE #}")
    );
    assert!(f.message.contains("`name`"), "{}", f.message);
    assert_eq!(f.properties["rendered-by"], "flaskr/app.py");
    // an included template: the path ends in the include
    let card = findings
        .iter()
        .find(|f| f.location.path == "flaskr/templates/partials/card.html")
        .expect("card.html");
    assert_eq!(
        card.code_flow.first().unwrap().location.path,
        "flaskr/app.py"
    );
}

#[test]
fn a_changed_template_changes_the_cached_results_of_its_view() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root(), tmp.path());
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let store = Arc::new(MemoryStore::default());
    let run = || {
        let files = SourceFile::collect(tmp.path()).unwrap();
        let mut ctx = ScanContext::new(tmp.path().to_path_buf());
        ctx.cache = ResultCache::new(store.clone(), &[b"all rules"]);
        taint_only(&job, &mut ctx);
        got(&job.scan(&files, &ctx).findings)
    };
    let greet = (
        "flaskr/templates/greet.html".to_string(),
        2,
        "PY-XSS-TEMPLATE".to_string(),
    );
    let before = run();
    assert!(!before.contains(&greet));
    assert_eq!(run(), before);
    let p = tmp.path().join("flaskr/templates/greet.html");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("{{ name }}", "{{ name|safe }}")).unwrap();
    let after = run();
    assert!(after.contains(&greet), "{after:?}");
    // and an included template too
    let p = tmp.path().join("flaskr/templates/partials/card.html");
    std::fs::write(&p, "<p>{{ user_bio }}</p>\n").unwrap();
    assert!(!run()
        .iter()
        .any(|(path, _, _)| path == "flaskr/templates/partials/card.html"));
}

#[test]
fn huge_templates_are_skipped_with_a_notification_and_broken_ones_do_not_stop_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "app.py",
        "from flask import Flask, request, render_template\napp = Flask(__name__)\n\n@app.route('/a')\ndef a():\n    return render_template('big.html', x=request.args['x'])\n\n@app.route('/b')\ndef b():\n    return render_template('broken.html', x=request.args['x'])\n\n@app.route('/c')\ndef c():\n    return render_template('../etc/passwd.html', x=request.args['x'])\n",
    );
    w(
        "templates/big.html",
        &format!("{{{{ x|safe }}}}\n{}", "<p>filler</p>\n".repeat(90_000)),
    );
    w(
        "templates/broken.html",
        "{% autoescape false %}{{ x }}\n{{ x|safe",
    );
    let (findings, notes) = scan(tmp.path());
    assert_eq!(
        got(&findings),
        BTreeSet::from([(
            "templates/broken.html".to_string(),
            1,
            "PY-XSS-TEMPLATE".to_string()
        )])
    );
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(notes[0].code, "too-large");
    assert_eq!(notes[0].path.as_deref(), Some("templates/big.html"));
}
