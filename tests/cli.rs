//! The command line as users and CI call it: exit codes, config errors, output files.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn tollgate() -> Command {
    let mut c = Command::cargo_bin("tollgate").unwrap();
    c.env_remove("NO_COLOR")
        .env("TOLLGATE_OSV_DB", fixtures().join("osv"));
    c
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[test]
fn clean_tree_passes_with_exit_0() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("hello.txt"), "hello world\n").unwrap();
    tollgate()
        .args(["scan", "--job", "secrets,sast"])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASSED"));
}

#[test]
fn missing_path_is_exit_2() {
    tollgate()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/definitely/not/here"));
}

#[test]
fn bad_flag_value_is_exit_2() {
    tollgate()
        .args(["scan", ".", "--fail-on", "severe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("severe"));
}

#[test]
fn unknown_config_key_is_exit_2_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("tollgate.toml"),
        "fail-on = \"high\"\nexclude = []\nfailon = \"low\"\n",
    )
    .unwrap();
    tollgate()
        .arg("scan")
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tollgate.toml:3:1"))
        .stderr(predicate::str::contains("failon"));
}

#[test]
fn invalid_config_value_is_exit_2() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("tollgate.toml"), "fail-on = \"severe\"\n").unwrap();
    tollgate()
        .arg("scan")
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("severe"));
}

#[test]
fn one_run_writes_several_formats() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.txt"), "nothing here\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("r.sarif");
    let json = out.path().join("r.json");
    let text = out.path().join("r.txt");
    tollgate()
        .args(["scan", "--job", "secrets", "--no-progress"])
        .arg(d.path())
        .arg("--sarif-out")
        .arg(&sarif)
        .arg("--json-out")
        .arg(&json)
        .arg("--output")
        .arg(&text)
        .assert()
        .code(0);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["verdict"]["outcome"], "passed");
    assert!(std::fs::read_to_string(&text).unwrap().contains("PASSED"));
}

#[test]
fn quiet_prints_only_the_verdict() {
    let d = tempfile::tempdir().unwrap();
    tollgate()
        .args(["scan", "--quiet", "--job", "secrets"])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("PASSED"));
}

#[test]
fn rules_explain_unknown_is_exit_2() {
    tollgate()
        .args(["rules", "explain", "NO-SUCH-RULE"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NO-SUCH-RULE"));
}

#[test]
fn help_and_version_exit_0() {
    tollgate().arg("--version").assert().code(0);
    tollgate()
        .args(["scan", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--fail-on"));
}

#[test]
fn jobs_sets_threads_and_job_selects_jobs() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.py"), "import os\nos.system(input())\n").unwrap();
    for threads in [["--jobs", "1"], ["--threads", "2"], ["-j", "1"]] {
        tollgate()
            .args(["scan", "--no-progress", "--format", "json", "--job", "sast"])
            .args(threads)
            .arg(d.path())
            .assert()
            .stdout(predicate::str::contains("\"sast\""))
            .stdout(predicate::str::contains("\"secrets\"").not());
    }
}
