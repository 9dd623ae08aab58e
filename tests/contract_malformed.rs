//! A revision that cannot be read never passes silently: when the document was an API description at
//! the base, `scan --contract-base` fails the contract job with an error naming the file and line, and
//! `tollgate diff` exits with an error naming them.

use std::path::Path;
use std::process::Command;
use tollgate::contract::{Config, ContractJob, REVISION_UNREADABLE};
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::finding::NoteLevel;

const API: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {description: ok}\n";

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// A repository whose base commit holds `api.yaml` (an API) and `other.yaml` (not one); the working
/// tree then gets `api` as the revision of api.yaml and `other` as that of other.yaml.
fn scan(api: &str, other: &str) -> tollgate::engine::JobOutput {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join("api.yaml"), API).unwrap();
    std::fs::write(root.join("other.yaml"), "name: config\n").unwrap();
    std::fs::write(root.join("same.yaml"), "name: unchanged\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    std::fs::write(root.join("api.yaml"), api).unwrap();
    std::fs::write(root.join("other.yaml"), other).unwrap();
    let files: Vec<SourceFile> = ["api.yaml", "other.yaml", "same.yaml"]
        .iter()
        .map(|r| SourceFile {
            rel: r.to_string(),
            abs: root.join(r),
            size: 1,
        })
        .collect();
    let cfg = Config {
        base: Some("HEAD".into()),
        ..Config::default()
    };
    ContractJob::new(&cfg, &[])
        .unwrap()
        .scan(&files, &ScanContext::new(root.to_path_buf()))
}

fn unreadable(out: &tollgate::engine::JobOutput) -> Vec<(String, u32, String)> {
    out.notifications
        .iter()
        .filter(|n| n.code == REVISION_UNREADABLE)
        .map(|n| {
            assert_eq!(n.level, NoteLevel::Error);
            (
                n.path.clone().unwrap_or_default(),
                n.line.unwrap_or(0),
                n.message.clone(),
            )
        })
        .collect()
}

#[test]
fn a_syntax_error_in_the_revision_fails_the_job_at_its_line() {
    let broken = API.replace("'200': {description: ok}", "'200': {description: [ok}");
    let out = scan(&broken, "name: config\n");
    assert!(out.failed, "{:?}", out.notifications);
    let u = unreadable(&out);
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!(u[0].0, "api.yaml");
    assert!(u[0].1 >= 7, "{u:?}");
    assert!(
        u[0].2.starts_with(&format!("api.yaml:{}:", u[0].1)),
        "{u:?}"
    );
    assert!(u[0].2.contains("HEAD"), "{u:?}");
}

#[test]
fn a_revision_that_is_no_longer_openapi_fails_the_job() {
    for rev in [
        "name: not an api any more\n",
        "[1, 2, 3]\n",
        "{\"openapi\": 3}\n",
    ] {
        let out = scan(rev, "name: config\n");
        assert!(out.failed, "{rev}: {:?}", out.notifications);
        let u = unreadable(&out);
        assert_eq!(u.len(), 1, "{rev}: {u:?}");
        assert_eq!((u[0].0.as_str(), u[0].1), ("api.yaml", 1), "{rev}: {u:?}");
    }
}

#[test]
fn a_revision_nested_too_deep_fails_the_job() {
    let deep = format!(
        "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let out = scan(&deep, "name: config\n");
    assert!(out.failed, "{:?}", out.notifications);
    let u = unreadable(&out);
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!(u[0].0, "api.yaml");
    assert!(u[0].1 >= 1);
}

#[test]
fn broken_files_that_were_no_api_are_warnings_only() {
    // other.yaml was not an API description at the base: its syntax error is not the contract's
    let out = scan(API, "openapi: 3.1.0\ninfo: [\n");
    assert!(!out.failed, "{:?}", out.notifications);
    assert!(unreadable(&out).is_empty());
    assert!(out
        .notifications
        .iter()
        .any(|n| n.code == "contract-parse-error" && n.level == NoteLevel::Warning));
    // and a valid revision passes
    let out = scan(API, "name: config\n");
    assert!(
        !out.failed && out.notifications.is_empty(),
        "{:?}",
        out.notifications
    );
}

#[test]
fn diff_command_names_file_and_line_of_an_unreadable_revision() {
    use tollgate::cli::diff::{run, DiffArgs, DiffFormat};
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("base.yaml");
    let r = dir.path().join("rev.yaml");
    std::fs::write(&b, API).unwrap();
    let args = || DiffArgs {
        base: b.to_string_lossy().into(),
        revision: r.to_string_lossy().into(),
        format: DiffFormat::Text,
        output: Some(dir.path().join("o.txt")),
        fail_on: None,
        config: None,
        category: None,
    };
    for (text, line) in [
        (
            API.replace("'200': {description: ok}", "'200': {description: [ok}"),
            7,
        ),
        ("name: not an api\n".to_string(), 1),
    ] {
        std::fs::write(&r, &text).unwrap();
        let e = run(&args()).unwrap_err().to_string();
        let want = format!("{}:{line}", r.display());
        assert!(e.starts_with(&want), "{e} (want {want})");
    }
}

#[test]
fn scan_with_contract_base_exits_2_and_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join("api.yaml"), API).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    std::fs::write(
        root.join("api.yaml"),
        API.replace("'200': {description: ok}", "'200': {description: [ok}"),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("tollgate")
        .unwrap()
        .current_dir(root)
        .args([
            "scan",
            "--job",
            "contract",
            "--contract-base",
            "HEAD",
            "--format",
            "json",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = json.to_string();
    assert!(text.contains(REVISION_UNREADABLE), "{text}");
    assert!(text.contains("api.yaml:7:"), "{text}");
    // the same tree with a readable revision passes
    std::fs::write(root.join("api.yaml"), API).unwrap();
    let out = assert_cmd::Command::cargo_bin("tollgate")
        .unwrap()
        .current_dir(root)
        .args(["scan", "--job", "contract", "--contract-base", "HEAD", "."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
