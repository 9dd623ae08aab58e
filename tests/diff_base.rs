//! `tollgate scan --diff-base REF` end to end on temporary git repositories: only findings the change
//! introduces count; the base is checked out in a worktree that is gone afterwards; the same flag is the
//! contract base.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const OLD_SECRET: &str = "ghp_gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH";
const NEW_SECRET: &str = "ghp_LmrSsbqDqEbIg1TN5d4MYUi4SI6g7VLynCU4";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=t@example.com",
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

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

fn tollgate() -> Command {
    let mut c = Command::cargo_bin("tollgate").unwrap();
    c.env("TOLLGATE_OSV_DB", fixtures().join("osv"))
        .env_remove("GITHUB_BASE_REF");
    c
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A repository whose `main` has an old secret and an old shell=True call; the branch `feature` moves them
/// down (edits above them) and adds a new secret.
fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    git(r, &["init", "-q"]);
    write(
        r,
        "app/run.py",
        "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n",
    );
    write(r, "config/old.env", &format!("TOKEN={OLD_SECRET}\n"));
    commit_all(r, "base");
    git(r, &["checkout", "-q", "-b", "feature"]);
    write(
        r,
        "app/run.py",
        "\"\"\"Runner.\"\"\"\nimport subprocess\n\n\ndef run(cmd):\n    # still here\n    subprocess.call(cmd, shell=True)\n",
    );
    write(
        r,
        "config/old.env",
        &format!("# header\n\nTOKEN={OLD_SECRET}\n"),
    );
    d
}

fn worktrees(r: &Path) -> usize {
    git(r, &["worktree", "list", "--porcelain"])
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count()
}

fn sarif(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn only_new_findings_count_and_the_worktree_is_removed() {
    let d = repo();
    let r = d.path();
    let out = tempfile::tempdir().unwrap();
    let sarif_path = out.path().join("r.sarif");

    // Without a base both old findings fail the gate.
    tollgate()
        .args(["scan", "--job", "secrets,sast", "--no-config"])
        .arg(r)
        .assert()
        .code(1);

    // Moved, but not new: the gate passes, the findings are reported as unchanged.
    tollgate()
        .args([
            "scan",
            "--job",
            "secrets,sast",
            "--no-config",
            "--diff-base",
            "main",
        ])
        .arg(r)
        .arg("--sarif-out")
        .arg(&sarif_path)
        .assert()
        .code(0);
    let s = sarif(&sarif_path);
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= 2, "{results:#?}");
    assert!(
        results.iter().all(|r| r["baselineState"] == "unchanged"),
        "{results:#?}"
    );
    let props = &s["runs"][0]["properties"]["diff_base"];
    assert_eq!(props["ref"], "main");
    assert_eq!(props["commit"], git(r, &["rev-parse", "main"]));
    assert!(
        s.to_string().contains("compared with main"),
        "the report says what it was compared with"
    );
    assert_eq!(worktrees(r), 1, "the base worktree must be removed");

    // A new secret (committed or not) counts.
    write(r, "config/new.env", &format!("NEW_TOKEN={NEW_SECRET}\n"));
    tollgate()
        .args([
            "scan",
            "--job",
            "secrets,sast",
            "--no-config",
            "--diff-base",
            "main",
        ])
        .arg(r)
        .arg("--sarif-out")
        .arg(&sarif_path)
        .assert()
        .code(1);
    let s = sarif(&sarif_path);
    let results = s["runs"][0]["results"].as_array().unwrap();
    let new: Vec<&Value> = results
        .iter()
        .filter(|r| r["baselineState"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{results:#?}");
    assert_eq!(
        new[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "config/new.env"
    );
    assert_eq!(worktrees(r), 1);
    // Nothing of the base is left in the temp directory.
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("tollgate-base-")
                && git_dir_of(&e.path()).is_some_and(|g| g.starts_with(r))
        })
        .count();
    assert_eq!(leftovers, 0);
}

/// The repository a leftover worktree belongs to (its `.git` file points there).
fn git_dir_of(p: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(p.join(".git")).ok()?;
    Some(PathBuf::from(text.trim().strip_prefix("gitdir: ")?))
}

#[test]
fn a_subdirectory_scan_compares_the_same_subdirectory() {
    let d = repo();
    let r = d.path();
    // Scanning only app/: the old shell=True is unchanged, so the gate passes.
    tollgate()
        .args([
            "scan",
            "--job",
            "sast",
            "--no-config",
            "--diff-base",
            "main",
        ])
        .arg(r.join("app"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASSED"));
    // A directory that did not exist at the base: everything in it is new.
    write(
        r,
        "tools/x.py",
        "import subprocess\nsubprocess.call(input(), shell=True)\n",
    );
    tollgate()
        .args([
            "scan",
            "--job",
            "sast",
            "--no-config",
            "--diff-base",
            "main",
        ])
        .arg(r.join("tools"))
        .assert()
        .code(1);
}

#[test]
fn a_finding_whose_suppression_is_removed_is_new() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    git(r, &["init", "-q"]);
    write(
        r,
        "a.env",
        &format!("TOKEN={OLD_SECRET}  # tollgate: ignore\n"),
    );
    commit_all(r, "base");
    write(r, "a.env", &format!("TOKEN={OLD_SECRET}\n"));
    tollgate()
        .args([
            "scan",
            "--job",
            "secrets",
            "--no-config",
            "--diff-base",
            "HEAD",
        ])
        .arg(r)
        .assert()
        .code(1);
}

#[test]
fn diff_base_is_the_contract_base_too() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    git(r, &["init", "-q"]);
    let pair = fixtures().join("openapi/api-path-removed-without-deprecation");
    std::fs::copy(pair.join("base.yaml"), r.join("openapi.yaml")).unwrap();
    commit_all(r, "v1");
    std::fs::copy(pair.join("revision.yaml"), r.join("openapi.yaml")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    tollgate()
        .args([
            "scan",
            "--job",
            "contract",
            "--no-config",
            "--diff-base",
            "HEAD",
        ])
        .arg(r)
        .arg("--json-out")
        .arg(&json)
        .assert()
        .code(1);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("api-path-removed-without-deprecation"),
        "{text}"
    );
    // An explicit --contract-base wins: against itself there is nothing to report.
    std::fs::copy(pair.join("revision.yaml"), r.join("openapi.yaml")).unwrap();
    commit_all(r, "v2");
    tollgate()
        .args(["scan", "--job", "contract", "--no-config"])
        .args(["--diff-base", "HEAD~1", "--contract-base", "HEAD"])
        .arg(r)
        .assert()
        .code(0);
}

#[test]
fn unknown_refs_and_plain_directories_are_clear_errors() {
    let d = repo();
    tollgate()
        .args([
            "scan",
            "--job",
            "secrets",
            "--no-config",
            "--diff-base",
            "no-such-branch",
        ])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-branch"));
    tollgate()
        .args([
            "scan",
            "--job",
            "secrets",
            "--no-config",
            "--diff-base",
            "--upload-pack=x",
        ])
        .arg(d.path())
        .assert()
        .code(2);
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("a.txt"), "x\n").unwrap();
    tollgate()
        .args([
            "scan",
            "--job",
            "secrets",
            "--no-config",
            "--diff-base",
            "main",
        ])
        .arg(plain.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("git"));
}

#[test]
fn a_vulnerable_dependency_already_at_the_base_does_not_count_a_new_one_does() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    git(r, &["init", "-q"]);
    write(r, "requirements.txt", "alphapkg==1.0.0\n");
    commit_all(r, "base");
    // A line added above: the old finding moves, and is still not new.
    write(r, "requirements.txt", "# pinned\nalphapkg==1.0.0\n");
    tollgate()
        .args(["scan", "--job", "sca", "--no-config", "--diff-base", "HEAD"])
        .args(["--fail-on", "low"])
        .arg(r)
        .assert()
        .code(0);
    // A newly added vulnerable dependency counts.
    write(
        r,
        "requirements.txt",
        "# pinned\nalphapkg==1.0.0\nbeta-pkg==2.0.1\n",
    );
    let out = tollgate()
        .args(["scan", "--job", "sca", "--no-config", "--format", "json"])
        .args(["--diff-base", "HEAD", "--fail-on", "low"])
        .arg(r)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let new: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .collect();
    assert!(!new.is_empty());
    assert!(
        new.iter()
            .all(|f| f["message"].as_str().unwrap().contains("Beta_Pkg")
                || f["message"].as_str().unwrap().contains("beta")),
        "{new:#?}"
    );
}

#[test]
fn worktrees_left_by_an_interrupted_run_are_cleaned_up() {
    let d = repo();
    let r = d.path();
    // What a killed run leaves: a registered worktree named after a process that is gone.
    let stale = std::env::temp_dir().join(format!(
        "tollgate-base-{}-999999999-1",
        &git(r, &["rev-parse", "main"])[..12]
    ));
    git(
        r,
        &[
            "worktree",
            "add",
            "--detach",
            "--quiet",
            stale.to_str().unwrap(),
            "main",
        ],
    );
    assert_eq!(worktrees(r), 2);
    tollgate()
        .args([
            "scan",
            "--job",
            "secrets",
            "--no-config",
            "--diff-base",
            "main",
        ])
        .arg(r)
        .assert()
        .code(0);
    assert_eq!(worktrees(r), 1);
    assert!(!stale.exists());
}
