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

#[test]
#[ignore = "needs the OSV snapshot in ../shared/osv (or TOLLGATE_SHARED_OSV)"]
fn cargo_lock_packages_against_the_snapshot() {
    use tollgate::sca::model::{Dependency, Ecosystem, Resolved};
    let osv = snapshot();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = Config {
        osv_db: Some(osv),
        cache_dir: Some(tmp.path().join("cache")),
        ..Config::default()
    };
    let dep = |name: &str, v: &str| Dependency {
        ecosystem: Ecosystem::CratesIo,
        name: name.into(),
        display_name: name.into(),
        resolved: Resolved::Exact { version: v.into() },
        manifest: "Cargo.lock".into(),
        line: 1,
        column: 1,
        dev: false,
        transitive: true,
    };
    let deps = vec![
        dep("time", "0.1.43"),
        dep("time", "0.3.36"),
        dep("time", "0.3.47"),
        dep("chrono", "0.4.19"),
        dep("serde_cbor", "0.11.2"),
        dep("smallvec", "1.6.0"),
        dep("regex", "1.5.4"),
        dep("regex", "1.5.5"),
    ];
    let job = ScaJob::new(&cfg, &[]).unwrap();
    let out = job.check(&deps, &[], &ScanContext::new(tmp.path().to_path_buf()));
    assert!(!out.failed, "{:#?}", out.notifications);
    let got: Vec<(String, String, String, String)> = out
        .findings
        .iter()
        .map(|f| {
            let p = &f.properties;
            (
                p["package"].as_str().unwrap().to_string(),
                p["installed"].as_str().unwrap().to_string(),
                f.rule_id.clone(),
                f.severity.to_string(),
            )
        })
        .collect();
    for (pkg, ver, id) in [
        ("time", "0.1.43", "RUSTSEC-2020-0071"),
        ("chrono", "0.4.19", "RUSTSEC-2020-0159"),
        ("serde_cbor", "0.11.2", "RUSTSEC-2021-0127"),
        ("smallvec", "1.6.0", "RUSTSEC-2021-0003"),
        ("regex", "1.5.4", "RUSTSEC-2022-0013"),
        // introduced 0.3.6, fixed 0.3.47
        ("time", "0.3.36", "RUSTSEC-2026-0009"),
    ] {
        assert!(
            out.findings.iter().any(|f| f.properties["package"] == pkg
                && f.properties["installed"] == ver
                && (f.rule_id == id
                    || f.properties["aliases"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a == id))),
            "{pkg} {ver} {id} missing: {got:#?}"
        );
    }
    // Fixed versions are not reported.
    assert!(
        !got.iter().any(|g| g.0 == "time" && g.1 == "0.3.47"),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|g| g.0 == "regex" && g.1 == "1.5.5"),
        "{got:#?}"
    );
    // serde_cbor is unmaintained: info, not a vulnerability.
    let cbor = out
        .findings
        .iter()
        .find(|f| f.properties["package"] == "serde_cbor")
        .unwrap();
    assert_eq!(cbor.severity, tollgate::Severity::Info);
    assert!(cbor.message.contains("is unmaintained"), "{}", cbor.message);
    assert_eq!(got.len(), 6, "{got:#?}");
}
