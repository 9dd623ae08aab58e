//! The SAST job through the result cache: a cached scan gives the same bytes as an uncached one, a second
//! scan is served from the cache, and editing a module changes the results of the files that call into it.

mod common;
use common::copy_dir;

use std::path::Path;
use std::sync::Arc;
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::model::cache::{MemoryStore, ResultCache};
use tollgate::sast::{Config, SastJob};

/// Findings and notifications of a scan, serialized.
fn scan(job: &SastJob, dir: &Path, cache: Option<&Arc<MemoryStore>>) -> String {
    let files = SourceFile::collect(dir).unwrap();
    let mut ctx = ScanContext::new(dir.to_path_buf());
    if let Some(store) = cache {
        ctx.cache = ResultCache::new(store.clone(), &[b"all rules"]);
    }
    let out = job.scan(&files, &ctx);
    serde_json::to_string_pretty(&(&out.findings, &out.notifications)).unwrap()
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel}: {from}");
    std::fs::write(p, text.replace(from, to)).unwrap();
}

#[test]
fn cached_scans_equal_uncached_ones_and_edits_reach_the_files_that_depend_on_them() {
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python"),
        dir,
    );
    let store = Arc::new(MemoryStore::default());
    let cold = scan(&job, dir, None);
    assert!(
        cold.contains("shop/db.py"),
        "the cross-module findings are there"
    );
    assert_eq!(scan(&job, dir, Some(&store)), cold);
    assert!(!store.is_empty());
    assert_eq!(store.hits(), 0);
    let entries = store.len();
    let puts = store.puts();
    assert_eq!(scan(&job, dir, Some(&store)), cold);
    assert_eq!(store.puts(), puts, "a warm scan computes nothing");
    assert!(
        store.hits() >= entries / 2,
        "{} hits, {entries} entries",
        store.hits()
    );
    assert_eq!(store.len(), entries, "nothing new to keep");

    // the helper is fixed: the finding the view's input caused there goes, though views.py did not change
    edit(
        dir,
        "xmod/shop/db.py",
        "cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)",
        "cur.execute(\"SELECT * FROM users WHERE name = ?\", (name,))",
    );
    let fixed = scan(&job, dir, None);
    assert_ne!(fixed, cold);
    assert!(!fixed.contains("through `find_user_by_name()`"));
    assert_eq!(scan(&job, dir, Some(&store)), fixed);
    // a helper two modules away is made unsafe: the view's result changes again
    edit(
        dir,
        "xmod/shop/utils.py",
        "return \"<p>Hello \" + escape(name) + \"</p>\"",
        "return \"<p>Hello \" + name + \"</p>\"",
    );
    let unsafe_again = scan(&job, dir, None);
    assert_ne!(unsafe_again, fixed);
    assert_eq!(scan(&job, dir, Some(&store)), unsafe_again);
    // a file removed
    std::fs::remove_file(dir.join("xmod/shop/services/backup.py")).unwrap();
    let removed = scan(&job, dir, None);
    assert!(!removed.contains("backup.py"));
    assert_eq!(scan(&job, dir, Some(&store)), removed);
    // another configuration is another cache
    let report = SastJob::new(
        &Config {
            test_code: tollgate::sast::TestCode::Report,
            ..Config::default()
        },
        &[],
    )
    .unwrap();
    assert_eq!(scan(&report, dir, Some(&store)), scan(&report, dir, None));
}
