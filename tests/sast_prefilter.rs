//! The name prefilter changes no finding: every fixture and every rule example, scanned with and without it,
//! gives the same findings (the prefilter only skips files no enabled rule can match).

use std::path::Path;
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::sast::{Config, SastJob};

fn findings(job: &SastJob, dir: &Path, ctx: &ScanContext) -> String {
    let files = SourceFile::collect(dir).unwrap();
    let out = job.scan(&files, ctx);
    serde_json::to_string_pretty(&out.findings).unwrap()
}

fn same_with_and_without(dir: &Path, select: &[String]) -> usize {
    let mut on = SastJob::new(&Config::default(), &[]).unwrap();
    on.set_prefilter(true);
    let mut off = SastJob::new(&Config::default(), &[]).unwrap();
    off.set_prefilter(false);
    let mut ctx = ScanContext::new(dir.to_path_buf());
    ctx.selection.select = select.to_vec();
    let a = findings(&on, dir, &ctx);
    let b = findings(&off, dir, &ctx);
    assert_eq!(
        a,
        b,
        "{}: the prefilter changed the findings",
        dir.display()
    );
    serde_json::from_str::<Vec<serde_json::Value>>(&a)
        .unwrap()
        .len()
}

#[test]
fn every_fixture_gives_the_same_findings_with_and_without_the_prefilter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let n = same_with_and_without(&root, &[]);
    assert!(n > 100, "{n} findings");
    // one rule at a time: the prefilter is built from the enabled rules only
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    for id in [
        "PY-ASSERT-SECURITY",
        "PY-DJANGO-DEBUG",
        "PY-BIND-ALL-INTERFACES",
        "PY-SQLI",
    ] {
        assert!(job.loaded_rules().iter().any(|r| r.file.id == id));
        same_with_and_without(&root.join("python"), &[id.to_string()]);
    }
}

#[test]
fn every_rule_example_gives_the_same_findings_with_and_without_the_prefilter() {
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    for r in job.loaded_rules() {
        let ex = &r.file.examples;
        for (i, code) in ex.positive.iter().chain(&ex.negative).enumerate() {
            // Django settings rules look at the file name
            let name = if r.file.id == "PY-DJANGO-DEBUG" {
                "settings.py"
            } else {
                "example.py"
            };
            let p = tmp.path().join(format!("{}/{i}/{name}", r.file.id));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, code).unwrap();
            n += 1;
        }
    }
    assert!(n > 100, "{n} examples");
    let found = same_with_and_without(tmp.path(), &[]);
    assert!(found > 50, "{found} findings");
}

#[test]
fn a_rule_whose_names_cannot_be_derived_turns_the_prefilter_off() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("python");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("ACME-ANY-CALL.yaml"),
        "id: ACME-ANY-CALL\ntitle: t\nseverity: low\ncwe: [1]\nkind: pattern\nmessage: m\n\
         docs: {what: a, why: b, fix: c}\npattern:\n  query: '(call) @match'\n",
    )
    .unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("plain.py"), "x = len([1, 2])\n").unwrap();
    let job = SastJob::new(&Config::default(), &[dir.path().to_path_buf()]).unwrap();
    let ctx = ScanContext::new(src.clone());
    let out = findings(&job, &src, &ctx);
    assert!(out.contains("ACME-ANY-CALL"), "{out}");
}

/// A file may hold a named source only if it spells every segment of one as a whole word.
#[test]
fn named_sources_need_every_segment_as_a_whole_word() {
    let rules: Vec<(String, tollgate::sast::taint::TaintRule)> =
        tollgate::sast::rules::builtin_rules()
            .unwrap()
            .into_iter()
            .filter_map(|r| Some((r.file.id.clone(), r.taint?)))
            .collect();
    let c = tollgate::sast::taint::CompiledRules::new(&rules);
    for yes in [
        "import os\nx = os.environ['A']\n",
        "from os import getenv\nv = getenv('X')\n",
        "import sys\nname = sys.argv[1]\n",
        "x = input()\n",
    ] {
        assert!(c.might_have_sources(yes), "{yes}");
    }
    for no in [
        "os_environment = 1\n",
        "inputs = [1]\nraw_inputs = 2\n",
        "import sys\nsys.exit(argv_count)\n",
        "environ = {}\n",
    ] {
        assert!(!c.might_have_sources(no), "{no}");
    }
}
