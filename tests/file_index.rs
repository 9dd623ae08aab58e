//! The file index: a scan through the cache does not read a file whose metadata is unchanged since a scan
//! that read it, yet gives the same bytes as a scan without the cache; a changed file is always read again,
//! even when its size and modification time were put back as they were.

mod common;
use common::copy_dir;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tollgate::config::Config;
use tollgate::engine::{self, ScanOptions};
use tollgate::finding::JobKind;
use tollgate::model::cache::MemoryStore;
use tollgate::model::CacheStore;

/// SARIF of a scan (secrets and SAST), through `store` with the file index (no racy margin) or without a
/// cache; how many files the index vouched for, and how many were walked.
fn scan(root: &Path, store: Option<&Arc<MemoryStore>>) -> (String, usize, usize) {
    let config = Config {
        jobs: Some(vec![JobKind::Secrets, JobKind::Sast]),
        ..Config::default()
    };
    let jobs = engine::build_jobs(&config, &[]).unwrap();
    let mut opts = ScanOptions::new(root);
    if let Some(s) = store {
        opts.cache = Some(s.clone() as Arc<dyn CacheStore>);
        opts.file_index = Some(Duration::ZERO);
    }
    let result = engine::scan(&jobs, &opts).unwrap();
    (
        common::sarif(&result),
        result.stats.unchanged,
        result.stats.files,
    )
}

#[test]
fn unchanged_files_are_not_read_again_and_changed_ones_always_are() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tree");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    copy_dir(&fixtures.join("demo"), &root);
    copy_dir(&fixtures.join("python/xmod"), &root.join("xmod"));
    // a file that is not valid UTF-8: said in the report whether or not it is read
    std::fs::write(root.join("latin1.txt"), b"caf\xe9 password = 'hunter22'\n").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let (plain, _, files) = scan(&root, None);
    assert!(files > 20);
    assert!(plain.contains("invalid-utf8"));

    let store = Arc::new(MemoryStore::default());
    let (cold, vouched, _) = scan(&root, Some(&store));
    assert_eq!(cold, plain);
    assert_eq!(vouched, 0, "nothing to vouch for in the first scan");
    let puts = store.puts();
    let (warm, vouched, _) = scan(&root, Some(&store));
    assert_eq!(warm, plain);
    assert_eq!(vouched, files, "every file is known by its metadata");
    assert_eq!(store.puts(), puts, "a warm scan computes and keeps nothing");

    // The SQL of a helper is made safe (the same number of bytes), and its modification time is put
    // back: the change time gives it away, and the view that calls it loses its finding.
    let helper = root.join("xmod/shop/db.py");
    let before = std::fs::metadata(&helper).unwrap();
    let text = std::fs::read_to_string(&helper).unwrap();
    let from = "WHERE name = '%s'\" % name)";
    let to = "WHERE name = ?\", (name,)) ";
    assert_eq!(from.len(), to.len());
    assert!(text.contains(from));
    std::fs::write(&helper, text.replace(from, to)).unwrap();
    let f = std::fs::File::options().write(true).open(&helper).unwrap();
    f.set_modified(before.modified().unwrap()).unwrap();
    drop(f);
    let after = std::fs::metadata(&helper).unwrap();
    assert_eq!(
        (after.len(), after.modified().unwrap()),
        (before.len(), before.modified().unwrap())
    );
    std::thread::sleep(Duration::from_millis(20));
    let fixed = scan(&root, None).0;
    assert_ne!(fixed, plain, "the edit changes the findings");
    let (cached, vouched, _) = scan(&root, Some(&store));
    assert_eq!(cached, fixed);
    assert_eq!(vouched, files - 1);
    // and once more, the edited file now known too
    let (again, vouched, _) = scan(&root, Some(&store));
    assert_eq!(again, fixed);
    assert_eq!(vouched, files);

    // a deleted file and a new one
    std::fs::remove_file(root.join("xmod/shop/utils.py")).unwrap();
    std::fs::write(root.join("new.py"), "import os\nos.system(input())\n").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let changed = scan(&root, None).0;
    assert!(changed.contains("new.py"));
    let (cached, vouched, _) = scan(&root, Some(&store));
    assert_eq!(cached, changed);
    assert_eq!(vouched, files - 1);
}
