//! The SCA job on realistic manifests (fixtures/sca/realistic) against the real offline OSV snapshot
//! (`../shared/osv`, or `TOLLGATE_SHARED_OSV`), cross-checked by an independent Python evaluator that reads
//! the snapshot's zips (tests/ci/sca_osv_check.py): no false positive, no miss, and the expected advisories
//! of fixtures/sca/realistic/expected.txt. Needs the snapshot, so it is `#[ignore]`d in `cargo test`;
//! tests/ci/sca_snapshot.sh runs it (and the same check on the built binary) in CI.

use std::path::{Path, PathBuf};
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::sca::{Config, ScaJob};

fn snapshot() -> PathBuf {
    std::env::var_os("TOLLGATE_SHARED_OSV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osv"))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push(SourceFile {
                rel: p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                size: std::fs::metadata(&p).unwrap().len(),
                abs: p,
            });
        }
    }
}

#[test]
#[ignore = "needs the OSV snapshot in ../shared/osv (or TOLLGATE_SHARED_OSV)"]
fn realistic_manifests_against_the_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sca/realistic");
    check_project(&root, &root.join("expected.txt"), "SCA_SNAPSHOT_REPORT");
}

#[test]
#[ignore = "needs the OSV snapshot in ../shared/osv (or TOLLGATE_SHARED_OSV)"]
fn demo_project_against_the_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    if !root.is_dir() {
        eprintln!("no fixtures/demo here; skipped");
        return;
    }
    let expected = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ci/sca_demo_expected.txt");
    check_project(&root, &expected, "SCA_DEMO_REPORT");
}

fn check_project(root: &Path, expected: &Path, report_env: &str) {
    let root = root.to_path_buf();
    let osv = snapshot();
    assert!(
        osv.join("PyPI/all.zip").is_file(),
        "no snapshot at {}",
        osv.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let cfg = Config {
        osv_db: Some(osv.clone()),
        cache_dir: Some(tmp.path().join("cache")),
        ..Config::default()
    };
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    let job = ScaJob::new(&cfg, &[]).unwrap();
    let out = job.scan(&files, &ScanContext::new(root.clone()));
    assert!(!out.failed, "{:#?}", out.notifications);
    // The database identity is recorded.
    let db = &out.properties["osv_database"];
    assert!(db["PyPI"]["records"].as_u64().unwrap() > 1000);
    assert!(db["npm"]["records"].as_u64().unwrap() > 1000);
    assert_eq!(db["PyPI"]["sha256"].as_str().unwrap().len(), 64);
    // Same findings from the cached index.
    let again = job.scan(&files, &ScanContext::new(root.clone()));
    assert_eq!(
        serde_json::to_string(&out.findings).unwrap(),
        serde_json::to_string(&again.findings).unwrap()
    );

    let report = tmp.path().join("report.json");
    std::fs::write(
        &report,
        serde_json::to_string_pretty(&serde_json::json!({ "findings": out.findings })).unwrap(),
    )
    .unwrap();
    if let Some(p) = std::env::var_os(report_env) {
        std::fs::copy(&report, p).unwrap();
    }
    let status = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ci/sca_osv_check.py"))
        .arg(&report)
        .arg(&osv)
        .arg(&root)
        .arg(expected)
        .status()
        .expect("python3 runs");
    assert!(
        status.success(),
        "the independent check failed (see its output above)"
    );
}
