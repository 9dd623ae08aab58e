//! Every output format on one small fixture (fixtures/report: a taint finding, a pattern finding below the
//! threshold, two secrets and a suppressed one, a vulnerable npm package), as snapshots, as ruff keeps one
//! per format; plus what each format promises: secrets never whole, JUnit counts and structure, the
//! workflow commands, the step summary, every `--*-out` flag writing what `--format` prints.

use assert_cmd::Command;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SECRETS: [&str; 3] = [
    "AKIAQDDZFRGRK6CHCXNS",
    "egqmjIgETGle0t/vpll4p7R7j1X4TI+2ghKX4TAU",
    "ghp_R2d9x7LmQv4TzK8pWn3YbF6hJc1sAe0uXo5G",
];
const FORMATS: [&str; 6] = ["text", "json", "sarif", "github", "junit", "markdown"];

fn tollgate() -> Command {
    let mut c = Command::cargo_bin("tollgate").unwrap();
    c.current_dir(ROOT);
    for v in [
        "TOLLGATE_OSV_DB",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_REPOSITORY",
        "GITHUB_SHA",
        "GITHUB_SERVER_URL",
        "NO_COLOR",
    ] {
        c.env_remove(v);
    }
    c
}

fn scan_args() -> Vec<&'static str> {
    vec![
        "scan",
        "fixtures/report",
        "--no-progress",
        "--osv-db",
        "fixtures/demo-osv",
    ]
}

/// The output of one format, with the checkout's absolute path made stable.
fn render(format: &str) -> String {
    let out = tollgate()
        .args(scan_args())
        .args(["--format", format])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{format}: the fixture fails the gate"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .replace(ROOT, "[ROOT]")
}

#[test]
fn snapshot_text() {
    insta::assert_snapshot!("text", render("text"));
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!("json", render("json"));
}

#[test]
fn snapshot_sarif() {
    insta::assert_snapshot!("sarif", render("sarif"));
}

#[test]
fn snapshot_github() {
    insta::assert_snapshot!("github", render("github"));
}

#[test]
fn snapshot_junit() {
    insta::assert_snapshot!("junit", render("junit"));
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("markdown", render("markdown"));
}

#[test]
fn no_format_prints_a_secret_whole() {
    for f in FORMATS {
        let out = render(f);
        for s in SECRETS {
            assert!(!out.contains(s), "{f} prints the secret {s}");
            // nor a large part of it
            assert!(!out.contains(&s[..12]), "{f} prints most of the secret {s}");
        }
    }
}

#[test]
fn every_out_flag_writes_what_format_prints() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let status = tollgate()
        .args(scan_args())
        .args(["-q", "--sarif-out"])
        .arg(p("a.sarif"))
        .arg("--json-out")
        .arg(p("a.json"))
        .arg("--junit-out")
        .arg(p("a.xml"))
        .arg("--markdown-out")
        .arg(p("a.md"))
        .arg("--github-out")
        .arg(p("a.github"))
        .arg("--out")
        .arg(format!("text={}", p("a.txt").display()))
        .arg("--out")
        .arg(format!("JUnit={}", p("b.xml").display()))
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(1));
    for (file, format) in [
        ("a.sarif", "sarif"),
        ("a.json", "json"),
        ("a.xml", "junit"),
        ("b.xml", "junit"),
        ("a.md", "markdown"),
        ("a.github", "github"),
        ("a.txt", "text"),
    ] {
        let written = std::fs::read_to_string(p(file))
            .unwrap()
            .replace(ROOT, "[ROOT]");
        assert_eq!(written, render(format), "{file}");
    }
    let bad = tollgate()
        .args(scan_args())
        .args(["--out", "yaml=x.yaml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown format `yaml`"));
}

#[test]
fn junit_counts_match_the_findings_and_the_gate() {
    let xml = render("junit");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .count()
    };
    // the gate + 7 findings; 5 fail the gate (and so does the gate), 1 suppressed, 1 below the threshold
    assert_eq!(cases.len(), 8);
    assert_eq!(count("failure"), 6);
    assert_eq!(count("skipped"), 1);
    assert_eq!(count("error"), 0);
    assert_eq!(root.attribute("tests"), Some("8"));
    assert_eq!(root.attribute("failures"), Some("6"));
    // one suite per rule, after the gate's
    let suites: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(suites[0], "tollgate");
    assert_eq!(suites.len(), 8);
    let mut sorted = suites[1..].to_vec();
    sorted.sort();
    assert_eq!(sorted, suites[1..].to_vec());
    for s in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let n = s.children().filter(|c| c.has_tag_name("testcase")).count();
        assert_eq!(s.attribute("tests"), Some(n.to_string().as_str()));
    }
    let skipped = cases
        .iter()
        .find(|c| c.children().any(|n| n.has_tag_name("skipped")))
        .unwrap();
    assert_eq!(
        skipped.attribute("classname"),
        Some("secrets.SEC-GITHUB-PAT")
    );
}

#[test]
fn github_annotations_follow_severity_and_skip_suppressed() {
    let out = render("github");
    let lines: Vec<&str> = out.lines().collect();
    let errors = lines.iter().filter(|l| l.starts_with("::error ")).count();
    let notices = lines.iter().filter(|l| l.starts_with("::notice ")).count();
    assert_eq!((errors, notices), (5, 1), "{out}");
    assert!(
        !out.contains("SEC-GITHUB-PAT"),
        "a suppressed finding is not annotated"
    );
    assert!(
        lines[0].contains("(critical)"),
        "most severe first: {}",
        lines[0]
    );
    assert!(out.contains(
        "::notice file=fixtures/report/app.py,line=16,col=18,endColumn=27,title=PY-BIND-ALL-INTERFACES (low)%3A "
    ));
    // the message is one line: line breaks escaped
    assert!(lines.iter().all(|l| !l.is_empty()));
    assert!(lines.last().unwrap().starts_with("FAILED: 5 findings"));
}

#[test]
fn markdown_goes_to_the_step_summary_with_links_to_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = tollgate()
        .args(scan_args())
        .args(["-q"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_REPOSITORY", "octo/shop")
        .env("GITHUB_SHA", "4b6472266afd7b471e86085a6659e8c7f2b119da")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n## ❌ tollgate: failed"),
        "{md}"
    );
    assert!(md.contains(
        "[fixtures/report/app.py:12](https://github.com/octo/shop/blob/4b6472266afd7b471e86085a6659e8c7f2b119da/fixtures/report/app.py#L12)"
    ));
    assert!(
        md.contains("| secrets | high | 1 | 1 | 0 | 0 | 0 | 2 |"),
        "{md}"
    );
    // --no-step-summary leaves it alone
    let before = std::fs::read_to_string(&summary).unwrap();
    tollgate()
        .args(scan_args())
        .args(["-q", "--no-step-summary"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), before);
}

#[test]
fn sarif_results_carry_githubs_line_hash_of_their_line() {
    let v: serde_json::Value = serde_json::from_str(&render("sarif")).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for r in results {
        let fp = &r["partialFingerprints"];
        assert!(fp["tollgate/v1"].is_string());
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap();
        let text =
            std::fs::read_to_string(Path::new(ROOT).join("fixtures/report").join(uri)).unwrap();
        let hashes = tollgate::model::linehash::line_hashes(&text);
        assert_eq!(
            fp["primaryLocationLineHash"].as_str(),
            Some(hashes[line as usize - 1].as_str()),
            "{uri}:{line}"
        );
    }
}

#[test]
fn a_scanned_file_gets_line_hashes_too() {
    let out = tollgate()
        .args([
            "scan",
            "fixtures/report/settings.py",
            "--no-progress",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results
        .iter()
        .all(|r| r["partialFingerprints"]["primaryLocationLineHash"].is_string()));
}

#[test]
fn sarif_with_line_hashes_validates_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("tests/schemas/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let v: serde_json::Value = serde_json::from_str(&render("sarif")).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // and a document cut to GitHub's limits, with its notification
    let mut cut = v.clone();
    tollgate::report::limits::apply(
        &mut cut,
        &tollgate::report::limits::Limits {
            results: 2,
            ..tollgate::report::limits::Limits::GITHUB
        },
    );
    assert_eq!(cut["runs"][0]["results"].as_array().unwrap().len(), 2);
    let errors: Vec<String> = validator.iter_errors(&cut).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn ci_paths_are_relative_to_the_working_directory_even_for_an_absolute_root() {
    let abs = Path::new(ROOT).join("fixtures/report");
    let out = tollgate()
        .args([
            "scan",
            "--no-progress",
            "--job",
            "sast",
            "--format",
            "github",
        ])
        .arg(&abs)
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("file=fixtures/report/app.py,"), "{s}");
    assert!(!s.contains(ROOT));
}
