//! The secrets job through the result cache: a cached scan gives the same SARIF bytes as an uncached one,
//! a second scan of an unchanged tree is served from the cache, and an edited file, a changed rule
//! selection or a changed configuration is scanned again.

mod common;
use common::copy_dir;

use std::path::Path;
use std::sync::Arc;
use tollgate::engine::{self, Job, ScanOptions};
use tollgate::model::cache::MemoryStore;
use tollgate::model::CacheStore;
use tollgate::secrets::{Config, SecretsJob};

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets/recall")
}

fn jobs(config: &Config) -> Vec<Box<dyn Job>> {
    vec![Box::new(SecretsJob::new(config, &[]).unwrap())]
}

/// One scan of `root` (through `store` when given), rendered as SARIF with every rule listed.
fn sarif(
    jobs: &[Box<dyn Job>],
    root: &Path,
    store: Option<Arc<MemoryStore>>,
    ignore: &[&str],
) -> String {
    let mut opts = ScanOptions::new(root);
    opts.threads = 2;
    opts.selection.ignore = ignore.iter().map(|s| s.to_string()).collect();
    opts.cache = store.map(|s| s as Arc<dyn CacheStore>);
    common::sarif(&engine::scan(jobs, &opts).unwrap())
}

fn results(sarif: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(sarif).unwrap();
    v["runs"][0]["results"].as_array().unwrap().clone()
}

#[test]
fn cached_scans_give_the_same_bytes_and_are_served_from_the_cache() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    copy_dir(&fixtures(), root);
    let jobs = jobs(&Config::default());
    let uncached = sarif(&jobs, root, None, &[]);
    assert!(
        results(&uncached).len() >= 10,
        "the fixture tree has secrets"
    );

    let store = Arc::new(MemoryStore::default());
    let cold = sarif(&jobs, root, Some(store.clone()), &[]);
    assert_eq!(
        cold, uncached,
        "a cold cached scan differs from an uncached one"
    );
    let files = store.len();
    assert!(files >= 10, "one entry per file, got {files}");
    assert_eq!(store.hits(), 0);

    let warm = sarif(&jobs, root, Some(store.clone()), &[]);
    assert_eq!(
        warm, uncached,
        "a warm cached scan differs from an uncached one"
    );
    assert_eq!(
        store.hits(),
        files,
        "every file of the second scan is a hit"
    );
    assert_eq!(store.len(), files);

    // A fresh job (as a new process would build it) computes the same keys.
    let again = sarif(
        &self::jobs(&Config::default()),
        root,
        Some(store.clone()),
        &[],
    );
    assert_eq!(again, uncached);
    assert_eq!(store.hits(), 2 * files);
}

#[test]
fn edits_selection_and_config_are_scanned_again() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    copy_dir(&fixtures(), root);
    let jobs = jobs(&Config::default());
    let store = Arc::new(MemoryStore::default());
    let before = sarif(&jobs, root, Some(store.clone()), &[]);
    let files = store.len();

    // Edit one file: a new secret in it; only that file is scanned again.
    let edited = root.join("app.ini");
    let mut text = std::fs::read_to_string(&edited).unwrap();
    text.push_str("\n[extra]\naws_key = AKIAZ5Q3XJ4PL7NM2RTW\n");
    std::fs::write(&edited, &text).unwrap();
    let hits = store.hits();
    let after = sarif(&jobs, root, Some(store.clone()), &[]);
    // each file has an entry for its findings, and each file with findings (app.ini has some) one for
    // their suppressions and line hashes: all are hits but the edited file's two
    assert!(before.contains("app.ini"));
    assert_eq!(
        store.hits() - hits,
        files - 2,
        "the unchanged files are hits"
    );
    assert_eq!(after, sarif(&jobs, root, None, &[]));
    let new_in_file = |s: &str| {
        results(s)
            .iter()
            .filter(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app.ini"
                    && r["ruleId"] == "SEC-AWS-ACCESS-KEY-ID"
            })
            .count()
    };
    assert_eq!(new_in_file(&before), 0);
    assert_eq!(new_in_file(&after), 1, "{after}");

    // Another rule selection: nothing from the earlier scans is served.
    let hits = store.hits();
    let ignored = sarif(&jobs, root, Some(store.clone()), &["SEC-GENERIC-"]);
    assert_eq!(store.hits(), hits);
    assert_eq!(ignored, sarif(&jobs, root, None, &["SEC-GENERIC-"]));
    assert!(results(&ignored).len() < results(&after).len());

    // Another configuration: a new settings digest.
    let config = Config {
        stopwords: vec!["z5q3".into()],
        ..Config::default()
    };
    let other = self::jobs(&config);
    let puts = store.puts();
    let with_stopword = sarif(&other, root, Some(store.clone()), &[]);
    // every file is scanned again (only the engine's suppressions and line hashes of files whose
    // text and findings are the same may be served)
    let n_files = std::fs::read_dir(root).unwrap().count();
    assert!(
        store.puts() - puts >= n_files,
        "{} new entries for {n_files} files",
        store.puts() - puts
    );
    assert_eq!(with_stopword, sarif(&other, root, None, &[]));
    assert_eq!(new_in_file(&with_stopword), 0);
}
