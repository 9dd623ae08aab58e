//! Hostile documents against the shared readers (src/doc): a YAML nested 20,000 levels deep and a 1 KB
//! "billion laughs" give a clear error naming the file and the limit in `tollgate diff`, in `tollgate
//! scan --contract-base` and through the library; a scan of a tree holding such lockfiles still reports
//! everything else.

mod common;
use common::copy_dir;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const API: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {description: ok}\n";

/// An OpenAPI-looking document whose `x` is `- - - … x`, 20,000 levels (40 KB).
fn deep_api() -> String {
    format!("{API}x:\n{}x\n", "- ".repeat(20_000))
}

/// An OpenAPI-looking document with 30 levels of aliases, 9 references each (about 1 KB).
fn laughs_api() -> String {
    let mut t = format!("{API}l0: &l0 [lol]\n");
    for i in 1..=30 {
        let refs = vec![format!("*l{}", i - 1); 9].join(",");
        t.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    t
}

fn tollgate() -> Command {
    let mut c = Command::cargo_bin("tollgate").unwrap();
    c.env_remove("TOLLGATE_OSV_DB");
    c
}

#[test]
fn attack_inputs_are_small() {
    assert!(deep_api().len() < 41_000);
    assert!(laughs_api().len() < 2_000);
}

#[test]
fn diff_names_the_file_and_the_limit() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("base.yaml"), API).unwrap();
    for (name, text, limit) in [
        ("deep.yaml", deep_api(), "nesting depth limit of 256"),
        ("laughs.yaml", laughs_api(), "bytes copied by YAML aliases"),
    ] {
        std::fs::write(d.path().join(name), &text).unwrap();
        let out = tollgate()
            .current_dir(d.path())
            .args(["diff", "base.yaml", name])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name) && err.contains(limit), "{name}: {err}");
        // and as the base side too
        let out = tollgate()
            .current_dir(d.path())
            .args(["diff", name, "base.yaml"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name) && err.contains(limit), "{name}: {err}");
    }
}

#[test]
fn library_diff_names_the_file_and_the_limit() {
    use tollgate::contract::{diff_sources, Options, Source};
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base.yaml");
    std::fs::write(&base, API).unwrap();
    for (name, text, limit) in [
        ("deep.yaml", deep_api(), tollgate::doc::Limit::Depth(256)),
        (
            "laughs.yaml",
            laughs_api(),
            tollgate::doc::Limit::AliasBytes(tollgate::doc::Limits::DEFAULT.max_alias_bytes),
        ),
    ] {
        let rev = d.path().join(name);
        std::fs::write(&rev, &text).unwrap();
        let e = diff_sources(
            Source::File(base.clone()),
            Source::File(rev),
            &Options::default(),
        )
        .unwrap_err();
        assert!(e.message.contains(name), "{}", e.message);
        assert!(e.message.contains(&limit.to_string()), "{}", e.message);
        // the reader itself says which limit
        let err = tollgate::doc::parse(&text, &tollgate::doc::Limits::DEFAULT).unwrap_err();
        assert_eq!(err.limit, Some(limit));
        assert!(err
            .in_file(name)
            .to_string()
            .starts_with(&format!("{name}:")));
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
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

fn scan_json(dir: &Path, extra: &[&str]) -> (Option<i32>, Value, String) {
    let out = tollgate()
        .args(["scan", "--format", "json", "--no-progress", "--no-config"])
        .args(extra)
        .arg(dir)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {err}"));
    (out.status.code(), v, err)
}

fn notes(v: &Value) -> Vec<String> {
    v["notifications"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn scan_with_contract_base_names_the_file_and_the_limit() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join("deep.yaml"), API).unwrap();
    std::fs::write(root.join("laughs.yaml"), API).unwrap();
    std::fs::write(root.join("ok.yaml"), API).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    std::fs::write(root.join("deep.yaml"), deep_api()).unwrap();
    std::fs::write(root.join("laughs.yaml"), laughs_api()).unwrap();
    std::fs::write(
        root.join("ok.yaml"),
        API.replace("'200': {description: ok}", "'404': {description: gone}"),
    )
    .unwrap();
    let (code, v, err) = scan_json(root, &["--job", "contract", "--contract-base", "HEAD"]);
    assert!(matches!(code, Some(0..=2)), "{err}");
    let notes = notes(&v);
    for (name, limit) in [
        ("deep.yaml", "nesting depth limit of 256"),
        ("laughs.yaml", "bytes copied by YAML aliases"),
    ] {
        assert!(
            notes.iter().any(|n| n.contains(name) && n.contains(limit)),
            "{name}: {notes:#?}"
        );
    }
    // the readable document is still diffed
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["location"]["path"] == "ok.yaml"),
        "{findings:#?}"
    );
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn finding_keys(v: &Value) -> Vec<(String, String, u64)> {
    let mut k: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["location"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["start_line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    k.sort();
    k
}

#[test]
fn a_scan_with_hostile_lockfiles_still_reports_every_other_file() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("demo");
    copy_dir(&demo(), &root);
    let (_, clean, _) = scan_json(&root, &[]);
    assert!(!finding_keys(&clean).is_empty());

    let mut laughs = String::from("lockfileVersion: '9.0'\nl0: &l0 [lol]\n");
    for i in 1..=30 {
        let refs = vec![format!("*l{}", i - 1); 9].join(",");
        laughs.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    std::fs::create_dir_all(root.join("ui")).unwrap();
    std::fs::write(
        root.join("ui/package.json"),
        "{\"name\": \"ui\", \"dependencies\": {\"left-pad\": \"1.3.0\"}}",
    )
    .unwrap();
    std::fs::write(root.join("ui/pnpm-lock.yaml"), &laughs).unwrap();
    std::fs::create_dir_all(root.join("deep")).unwrap();
    std::fs::write(
        root.join("deep/package-lock.json"),
        format!("{{\"lockfileVersion\": 3, \"x\": {}", "[".repeat(50_000)),
    )
    .unwrap();
    std::fs::write(
        root.join("deep/poetry.lock"),
        format!(
            "[[package]]\nname = \"a\"\nversion = \"1\"\nx = {}\n",
            "[".repeat(50_000)
        ),
    )
    .unwrap();

    let (code, v, err) = scan_json(&root, &[]);
    assert!(matches!(code, Some(0..=2)), "{err}");
    let notes = notes(&v);
    for (file, limit) in [
        ("ui/pnpm-lock.yaml", "bytes copied by YAML aliases"),
        ("deep/package-lock.json", "nesting depth limit of 256"),
        ("deep/poetry.lock", "nesting depth limit of 256"),
    ] {
        assert!(
            notes.iter().any(|n| n.contains(file) && n.contains(limit)),
            "{file}: {notes:#?}"
        );
    }
    // every finding of the clean tree is still there
    let after = finding_keys(&v);
    for k in finding_keys(&clean) {
        assert!(after.contains(&k), "{k:?} lost");
    }
}

/// SARIF read back (`sarif merge`) goes through the same JSON reader: a document nested 100,000 levels
/// deep is refused with the file, the line and the recursion limit, never a stack overflow.
#[test]
fn sarif_merge_refuses_a_deep_document_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("deep.sarif");
    std::fs::write(
        &deep,
        format!(
            "{{\"version\": \"2.1.0\",\n\"runs\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    )
    .unwrap();
    let ok = dir.path().join("ok.sarif");
    std::fs::write(&ok, "{\"version\": \"2.1.0\", \"runs\": []}").unwrap();
    let out = tollgate()
        .args(["sarif", "merge"])
        .arg(&ok)
        .arg(&deep)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deep.sarif:2:") && err.contains("recursion limit"),
        "{err}"
    );
}
