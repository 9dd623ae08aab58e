//! `tollgate scan --shard I/N` and `tollgate sarif merge`: the shards' SARIF merged is byte for byte the
//! SARIF of the unsharded scan (the demo with all four jobs, and the whole fixtures tree), every file is
//! in exactly one shard, whole-tree jobs run in shard 1 only, and a merge refuses inputs that do not make
//! one scan.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn tollgate() -> Command {
    let mut c = Command::cargo_bin("tollgate").unwrap();
    c.current_dir(ROOT)
        .env_remove("TOLLGATE_OSV_DB")
        .env_remove("GITHUB_STEP_SUMMARY");
    c
}

/// Scan `dir` (optionally one shard) into `out`; returns the exit code.
fn scan(dir: &str, shard: Option<&str>, out: &Path) -> i32 {
    let mut c = tollgate();
    c.args(["scan", dir, "--no-progress", "-q", "--sarif-out"])
        .arg(out);
    if let Some(s) = shard {
        c.args(["--shard", s]);
    }
    c.output().unwrap().status.code().unwrap()
}

fn merge(files: &[PathBuf], out: &Path) -> (i32, String) {
    let o = tollgate()
        .args(["sarif", "merge"])
        .args(files)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn check_identical(dir: &str, n: u32) {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full.sarif");
    let code = scan(dir, None, &full);
    let shards: Vec<PathBuf> = (1..=n)
        .map(|i| tmp.path().join(format!("s{i}.sarif")))
        .collect();
    for (i, p) in shards.iter().enumerate() {
        scan(dir, Some(&format!("{}/{n}", i + 1)), p);
    }
    // every result in exactly one shard; whole-tree jobs only in shard 1
    let mut total = 0;
    for (i, p) in shards.iter().enumerate() {
        let v = read(p);
        let run = &v["runs"][0];
        assert_eq!(run["properties"]["scan.shard"], format!("{}/{n}", i + 1));
        let results = run["results"].as_array().unwrap();
        total += results.len();
        if i > 0 {
            assert!(results
                .iter()
                .all(|r| r["properties"]["job"] == "secrets" || r["properties"]["job"] == "sast"));
        }
    }
    let full_v = read(&full);
    assert_eq!(
        total,
        full_v["runs"][0]["results"].as_array().unwrap().len()
    );
    let merged = tmp.path().join("merged.sarif");
    // shards in any order
    let mut order = shards.clone();
    order.reverse();
    let (mcode, err) = merge(&order, &merged);
    assert_eq!(
        mcode, code,
        "the merged verdict is the unsharded one: {err}"
    );
    assert!(
        std::fs::read(&full).unwrap() == std::fs::read(&merged).unwrap(),
        "{dir}: merged SARIF differs from the unsharded scan's"
    );
}

#[test]
fn merged_shards_of_the_demo_are_the_unsharded_sarif() {
    check_identical("fixtures/demo", 3);
}

#[test]
fn merged_shards_of_every_fixture_are_the_unsharded_sarif() {
    check_identical("fixtures", 4);
}

#[test]
fn merge_refuses_what_is_not_one_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    scan("fixtures/report", Some("1/3"), &p("s1.sarif"));
    scan("fixtures/report", Some("2/3"), &p("s2.sarif"));
    scan("fixtures/report", Some("2/2"), &p("t2.sarif"));
    scan("fixtures/report", None, &p("full.sarif"));
    let cases: [(&[&str], &str); 4] = [
        (&["s1.sarif", "s2.sarif"], "shard 3/3 missing"),
        (&["s1.sarif", "s2.sarif", "s2.sarif"], "given twice"),
        (&["s1.sarif", "t2.sarif"], "another split"),
        (&["s1.sarif", "full.sarif"], "not a shard"),
    ];
    for (files, expect) in cases {
        let files: Vec<PathBuf> = files.iter().map(|f| p(f)).collect();
        let (code, err) = merge(&files, &p("m.sarif"));
        assert_eq!(code, 2, "{files:?}");
        assert!(err.contains(expect), "{files:?}: {err}");
    }
    // another tool's SARIF
    let mut other = read(&p("full.sarif"));
    other["runs"][0]["tool"]["driver"]["name"] = "semgrep".into();
    std::fs::write(p("other.sarif"), other.to_string()).unwrap();
    let (code, err) = merge(&[p("full.sarif"), p("other.sarif")], &p("m.sarif"));
    assert_eq!(code, 2);
    assert!(err.contains("another tool (semgrep)"), "{err}");
    // a category mismatch
    let mut cat = read(&p("full.sarif"));
    cat["runs"][0]["automationDetails"]["id"] = "frontend/".into();
    std::fs::write(p("cat.sarif"), cat.to_string()).unwrap();
    let (code, err) = merge(&[p("full.sarif"), p("cat.sarif")], &p("m.sarif"));
    assert_eq!(code, 2);
    assert!(err.contains("automationDetails.id differs"), "{err}");
}

#[test]
fn shard_flag_is_checked() {
    for bad in ["0/2", "3/2", "x"] {
        let o = tollgate()
            .args(["scan", "fixtures/report", "--shard", bad])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("invalid shard"));
    }
}

#[test]
fn the_merged_verdict_uses_the_recorded_gate_policy() {
    // per-job thresholds that the thresholds alone could not tell apart from another policy
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("web")).unwrap();
    for f in ["app.py", "settings.py", "web/package.json"] {
        std::fs::copy(
            Path::new(ROOT).join("fixtures/report").join(f),
            tree.join(f),
        )
        .unwrap();
    }
    std::fs::write(
        tree.join("tollgate.toml"),
        format!(
            "[gate]\nfail-on = \"critical\"\n[gate.jobs]\nsecrets = \"never\"\nsast = \"never\"\nsca = \"never\"\n\n[sca]\nosv-db = \"{}\"\n",
            Path::new(ROOT).join("fixtures/demo-osv").display()
        ),
    )
    .unwrap();
    let dir = tree.to_str().unwrap();
    let full = tmp.path().join("full.sarif");
    assert_eq!(scan(dir, None, &full), 0);
    let shards: Vec<PathBuf> = (1..=2)
        .map(|i| tmp.path().join(format!("s{i}.sarif")))
        .collect();
    for (i, p) in shards.iter().enumerate() {
        scan(dir, Some(&format!("{}/2", i + 1)), p);
    }
    let merged = tmp.path().join("merged.sarif");
    assert_eq!(merge(&shards, &merged).0, 0);
    let v = read(&merged);
    let reason = v["runs"][0]["properties"]["verdictReason"]
        .as_str()
        .unwrap();
    assert!(
        reason.contains("(critical; secrets never, sast never, sca never)"),
        "{reason}"
    );
    assert!(std::fs::read(&full).unwrap() == std::fs::read(&merged).unwrap());
}
