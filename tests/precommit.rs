//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run the way pre-commit runs them: the hook's `entry`
//! followed by the staged file names, from the repository root. Also `tollgate scan FILE FILE...`.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const SECRET: &str = "ghp_gLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtH";

/// `entry` of each hook, by id.
fn hooks() -> Vec<(String, Vec<String>, Vec<String>)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let v: Value = serde_norway::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let entry: Vec<String> = h["entry"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .map(String::from)
                .collect();
            let types = h["types"]
                .as_array()
                .map(|t| t.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (h["id"].as_str().unwrap().to_string(), entry, types)
        })
        .collect()
}

fn run_hook(entry: &[String], dir: &Path, files: &[&str]) -> std::process::Output {
    assert_eq!(entry[0], "tollgate");
    Command::cargo_bin("tollgate")
        .unwrap()
        .args(&entry[1..])
        .args(files)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "src/app/run.py",
        "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n",
    );
    w("src/app/ok.py", "def add(a, b):\n    return a + b\n");
    w("conf/dev.env", &format!("TOKEN={SECRET}\n"));
    w("untouched/leak.env", &format!("OTHER={SECRET}\n"));
    d
}

#[test]
fn hooks_scan_only_the_files_they_are_given_and_keep_their_paths() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(ids, ["tollgate", "tollgate-secrets"]);
    let d = project();
    let (_, entry, types) = &hooks[0];
    assert_eq!(types, &["text"]);

    // A clean staged file passes.
    let out = run_hook(entry, d.path(), &["src/app/ok.py"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // One staged file with a problem: reported with the path as given.
    let out = run_hook(entry, d.path(), &["src/app/run.py"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("src/app/run.py"), "{text}");

    // Several: both problems, nothing from the files that were not passed.
    let out = run_hook(
        entry,
        d.path(),
        &["src/app/run.py", "conf/dev.env", "src/app/ok.py"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("conf/dev.env") && text.contains("src/app/run.py"),
        "{text}"
    );
    assert!(!text.contains("untouched"), "{text}");
    assert!(!text.contains(SECRET), "{text}");

    // The secrets-only hook ignores the Python problem.
    let out = run_hook(&hooks[1].1, d.path(), &["src/app/run.py"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn several_paths_in_sarif_keep_their_relative_paths() {
    let d = project();
    let out = Command::cargo_bin("tollgate")
        .unwrap()
        .args([
            "scan",
            "--no-config",
            "--job",
            "secrets,sast",
            "--format",
            "sarif",
        ])
        .args(["./src/app/run.py", "conf/dev.env"])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut uris: Vec<String> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    uris.sort();
    uris.dedup();
    assert_eq!(uris, ["conf/dev.env", "src/app/run.py"]);
}

#[test]
fn several_paths_refuse_directories_and_missing_files() {
    let d = project();
    let run = |args: &[&str]| {
        Command::cargo_bin("tollgate")
            .unwrap()
            .args(["scan", "--no-config", "--job", "secrets"])
            .args(args)
            .current_dir(d.path())
            .output()
            .unwrap()
    };
    let out = run(&["conf/dev.env", "src"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be a file"));
    let out = run(&["conf/dev.env", "nope.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.py"));
}
