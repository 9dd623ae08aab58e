//! `tollgate scan --history [RANGE]` on temporary git repositories: a secret added in one commit and
//! removed in the next is still found, named by its commit; the default range is the branch's own commits.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

const SECRET: &str = "ghp_gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH";
const OTHER: &str = "ghp_LmrSsbqDqEbIg1TN5d4MYUi4SI6g7VLynCU4";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Ann Author",
            "-c",
            "user.email=ann@example.com",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

fn tollgate() -> Command {
    let mut c = Command::cargo_bin("tollgate").unwrap();
    c.env_remove("GITHUB_BASE_REF");
    c
}

/// main: one clean commit. feature: adds a secret at line 3 of settings.py, then removes it.
fn repo() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    git(r, &["init", "-q"]);
    write(r, "settings.py", "DEBUG = False\n");
    commit(r, "start");
    git(r, &["checkout", "-q", "-b", "feature"]);
    write(
        r,
        "settings.py",
        &format!("DEBUG = False\n\nGITHUB_TOKEN = \"{SECRET}\"\n"),
    );
    let leak = commit(r, "add a token");
    write(
        r,
        "settings.py",
        "DEBUG = False\n\nimport os\nGITHUB_TOKEN = os.environ[\"GITHUB_TOKEN\"]\n",
    );
    commit(r, "read the token from the environment");
    (d, leak)
}

fn results(out: &std::process::Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"][0]["results"].as_array().unwrap().clone()
}

#[test]
fn a_removed_secret_is_found_in_the_commit_that_added_it() {
    let (d, leak) = repo();
    let r = d.path();
    // The tree itself is clean.
    tollgate()
        .args(["scan", "--job", "secrets", "--no-config"])
        .arg(r)
        .assert()
        .code(0);
    // Its history is not.
    let out = tollgate()
        .args(["scan", "--no-config", "--format", "sarif", "--history"])
        .current_dir(r)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rs = results(&out);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    let f = &rs[0];
    assert_eq!(f["properties"]["commit"], leak.as_str());
    assert_eq!(f["properties"]["commit_author"], "Ann Author");
    assert_eq!(f["properties"]["commit_summary"], "add a token");
    let msg = f["message"]["text"].as_str().unwrap();
    assert!(msg.contains(&leak[..12]), "{msg}");
    assert!(
        !msg.contains(SECRET),
        "the secret is never printed whole: {msg}"
    );
    let loc = &f["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "settings.py");
    assert_eq!(loc["region"]["startLine"], 3);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(SECRET));
    // The default range was the branch's own commits, and the report says so.
    assert!(
        stdout.contains("on top of the default branch main"),
        "{stdout}"
    );
}

#[test]
fn explicit_ranges_and_the_pull_request_range() {
    let (d, leak) = repo();
    let r = d.path();
    // Only the last commit: nothing.
    tollgate()
        .args(["scan", "--no-config", "--history", "HEAD~1..HEAD"])
        .arg(r)
        .assert()
        .code(0);
    // main has no commits of its own: the default is then all of HEAD's history.
    git(r, &["checkout", "-q", "main"]);
    write(r, "keys.txt", &format!("{OTHER}\n"));
    commit(r, "oops on main");
    let out = tollgate()
        .args(["scan", "--no-config", "--format", "json", "--history"])
        .current_dir(r)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("all of its history"), "{text}");
    assert!(
        !text.contains(&leak),
        "feature's commit is not in main's history"
    );
    // In a GitHub pull request: origin/$GITHUB_BASE_REF..HEAD.
    git(r, &["checkout", "-q", "feature"]);
    git(r, &["update-ref", "refs/remotes/origin/main", "main"]);
    let out = tollgate()
        .args(["scan", "--no-config", "--format", "sarif", "--history"])
        .env("GITHUB_BASE_REF", "main")
        .current_dir(r)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rs = results(&out);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert_eq!(rs[0]["properties"]["commit"], leak.as_str());
    assert!(String::from_utf8_lossy(&out.stdout).contains("GITHUB_BASE_REF=main"));
}

#[test]
fn suppressed_lines_and_excluded_paths_stay_quiet() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    git(r, &["init", "-q"]);
    write(r, "a.env", &format!("T={SECRET} # gitleaks:allow\n"));
    write(r, "vendor/b.env", &format!("T={OTHER}\n"));
    commit(r, "one");
    let out = tollgate()
        .args([
            "scan",
            "--no-config",
            "--format",
            "sarif",
            "--history",
            "HEAD",
        ])
        .args(["--exclude", "vendor/"])
        .arg(r)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rs = results(&out);
    assert_eq!(rs.len(), 1, "{rs:#?}");
    assert!(rs[0]["suppressions"].is_array());
}

#[test]
fn bad_ranges_are_errors() {
    let (d, _) = repo();
    tollgate()
        .args(["scan", "--no-config", "--history", "nope..HEAD"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope"));
    let plain = tempfile::tempdir().unwrap();
    tollgate()
        .args(["scan", "--no-config", "--history", "HEAD"])
        .arg(plain.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("git"));
}

#[test]
fn a_shallow_clone_is_an_error_by_default_and_a_warning_for_a_range() {
    let (d, _) = repo();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", d.path().display());
    let out = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", "--branch", "feature", &url])
        .arg(clone.path().join("c"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The default range cannot be trusted: an error, never a pass.
    tollgate()
        .args(["scan", "--no-config", "--history"])
        .current_dir(clone.path().join("c"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("fetch-depth: 0"));
    // An explicit range is scanned, with a warning.
    let out = tollgate()
        .args([
            "scan",
            "--no-config",
            "--format",
            "sarif",
            "--history",
            "HEAD",
        ])
        .arg(clone.path().join("c"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shallow"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("history-shallow"));
}
