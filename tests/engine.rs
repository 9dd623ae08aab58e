//! The engine, the gate and the report writers, driven by a small fake job so that these tests do not
//! depend on any real job's rules.

use std::path::Path;
use tollgate::config::FailOn;
use tollgate::engine::baseline::Baseline;
use tollgate::engine::{self, Job, JobOutput, ScanContext, ScanOptions, SourceFile};
use tollgate::finding::{Finding, JobKind, Location, Severity, SuppressionKind};
use tollgate::gate::{self, GatePolicy, Outcome};
use tollgate::report::{self, Format, Report};
use tollgate::rule::{Precision, RuleMeta};

/// Reports `FAKE-BAD` (high) for every line containing `BAD` and `FAKE-MEH` (low) for `MEH`.
struct FakeJob;

impl Job for FakeJob {
    fn kind(&self) -> JobKind {
        JobKind::Secrets
    }
    fn rules(&self) -> Vec<RuleMeta> {
        ["FAKE-BAD", "FAKE-MEH"]
            .iter()
            .map(|id| RuleMeta {
                id: id.to_string(),
                job: JobKind::Secrets,
                name: id.to_string(),
                title: format!("{id} title"),
                description: "desc".into(),
                help_markdown: "## What\nA **fake** rule.\n```\nBAD\n```".into(),
                severity: if *id == "FAKE-BAD" {
                    Severity::High
                } else {
                    Severity::Low
                },
                precision: Precision::High,
                cwe: vec![798],
                tags: vec![],
                help_uri: None,
                security_severity: None,
            })
            .collect()
    }
    fn scan(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput {
        let mut out = JobOutput::default();
        for f in files {
            out.files_scanned += 1;
            let text = match ctx.read_text(f) {
                Ok(t) => t,
                Err(n) => {
                    out.notifications.push(n);
                    continue;
                }
            };
            for (i, line) in text.lines().enumerate() {
                for (word, id, sev) in [
                    ("BAD", "FAKE-BAD", Severity::High),
                    ("MEH", "FAKE-MEH", Severity::Low),
                ] {
                    if let Some(col) = line.find(word) {
                        let ln = i as u32 + 1;
                        let mut fd = Finding::new(
                            id,
                            JobKind::Secrets,
                            sev,
                            format!("found {word}"),
                            Location {
                                path: f.rel.clone(),
                                start_line: ln,
                                start_column: col as u32 + 1,
                                end_line: ln,
                                end_column: col as u32 + 4,
                            },
                        );
                        fd.snippet = Some(line.trim().to_string());
                        fd.fingerprint_key = line.trim().to_string();
                        out.findings.push(fd);
                    }
                }
            }
        }
        out
    }
}

fn jobs() -> Vec<Box<dyn Job>> {
    vec![Box::new(FakeJob)]
}

fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn scan(root: &Path) -> engine::ScanResult {
    engine::scan(&jobs(), &ScanOptions::new(root)).unwrap()
}

fn sarif(result: &engine::ScanResult, policy: &GatePolicy) -> String {
    let verdict = gate::evaluate(policy, result);
    report::render(
        &Report {
            result,
            verdict: &verdict,
            category: Some("demo".into()),
            all_rules: false,
        },
        Format::Sarif,
        false,
    )
}

#[test]
fn walk_honours_ignores_and_skips_binary_and_large_files() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, ".gitignore", b"ignored/\n");
    write(r, "ignored/a.txt", b"BAD\n");
    write(r, "excluded/b.txt", b"BAD\n");
    write(r, "src/c.txt", b"BAD\n");
    write(r, ".env", b"BAD\n");
    write(r, "img.bin", b"BAD\x00\x01\x02");
    write(r, "big.txt", &vec![b'a'; 3000]);
    // lockfiles are read whatever the size limit says
    write(
        r,
        "web/package-lock.json",
        &[b"{\"x\": \"BAD\"}".as_slice(), &vec![b' '; 3000]].concat(),
    );
    write(r, "latin1.txt", b"caf\xe9 BAD\n");
    let mut opts = ScanOptions::new(r);
    opts.excludes = vec!["excluded/**".into()];
    opts.max_file_size = 2000;
    let res = engine::scan(&jobs(), &opts).unwrap();
    let paths: Vec<&str> = res
        .findings
        .iter()
        .map(|f| f.location.path.as_str())
        .collect();
    assert_eq!(
        paths,
        vec![".env", "latin1.txt", "src/c.txt", "web/package-lock.json"]
    );
    assert_eq!(res.stats.skipped.get("binary"), Some(&1));
    assert_eq!(res.stats.skipped.get("too large"), Some(&1));
    let codes: Vec<(&str, Option<&str>)> = res
        .notifications
        .iter()
        .map(|n| (n.code.as_str(), n.path.as_deref()))
        .collect();
    assert!(
        codes.contains(&("skipped-binary", Some("img.bin"))),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("skipped-too-large", Some("big.txt"))),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("invalid-utf8", Some("latin1.txt"))),
        "{codes:?}"
    );
    // the invalid UTF-8 file was still scanned, at the right column
    let latin = res
        .findings
        .iter()
        .find(|f| f.location.path == "latin1.txt")
        .unwrap();
    assert_eq!(latin.location.start_line, 1);
}

#[test]
fn unreadable_and_missing_paths_are_reported_not_fatal() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope");
    let err = engine::scan(&jobs(), &ScanOptions::new(&missing)).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    let c = engine::walk::classify(&missing, 100).unwrap_err();
    assert_eq!(c.0, engine::SkipReason::Unreadable);
}

#[test]
fn single_file_scan_uses_its_directory_as_root() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "sub/x.txt", b"ok\nBAD\n");
    let res = engine::scan(&jobs(), &ScanOptions::new(d.path().join("sub/x.txt"))).unwrap();
    assert_eq!(res.findings.len(), 1);
    assert_eq!(res.findings[0].location.path, "x.txt");
    assert_eq!(res.findings[0].location.start_line, 2);
}

#[test]
fn fingerprints_survive_edits_above() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.txt", b"BAD one\nBAD two\n");
    let before = scan(d.path());
    write(d.path(), "a.txt", b"# a new header\n\nBAD one\nBAD two\n");
    let after = scan(d.path());
    let fp = |r: &engine::ScanResult| -> Vec<String> {
        r.findings.iter().map(|f| f.fingerprint.clone()).collect()
    };
    assert_eq!(fp(&before), fp(&after));
    assert_ne!(
        before.findings[0].fingerprint,
        before.findings[1].fingerprint
    );
    assert_eq!(after.findings[0].location.start_line, 3);
}

#[test]
fn identical_lines_get_distinct_fingerprints() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.txt", b"BAD\nBAD\n");
    let r = scan(d.path());
    assert_eq!(r.findings.len(), 2);
    assert_ne!(r.findings[0].fingerprint, r.findings[1].fingerprint);
}

#[test]
fn gate_thresholds_and_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.txt", b"MEH\n");
    let low_only = scan(d.path());
    let default = GatePolicy::default();
    let v = gate::evaluate(&default, &low_only);
    assert_eq!(v.outcome, Outcome::Passed);
    assert_eq!(v.exit_code(), 0);
    let strict = GatePolicy {
        fail_on: FailOn::Severity(Severity::Low),
        ..Default::default()
    };
    let v = gate::evaluate(&strict, &low_only);
    assert_eq!(v.outcome, Outcome::Failed);
    assert_eq!(v.exit_code(), 1);
    assert!(v.reason.contains("1 low"), "{}", v.reason);

    write(d.path(), "b.txt", b"BAD\n");
    let high = scan(d.path());
    assert_eq!(gate::evaluate(&default, &high).exit_code(), 1);
    let never = GatePolicy {
        fail_on: FailOn::Never,
        ..Default::default()
    };
    assert_eq!(gate::evaluate(&never, &high).exit_code(), 0);
    // a per-job threshold overrides the default
    let mut per_job = GatePolicy::default();
    per_job
        .per_job
        .insert(JobKind::Secrets, FailOn::Severity(Severity::Critical));
    assert_eq!(gate::evaluate(&per_job, &high).exit_code(), 0);
    for (t, code) in [
        ("critical", 0),
        ("high", 1),
        ("medium", 1),
        ("low", 1),
        ("info", 1),
        ("never", 0),
    ] {
        let p = GatePolicy {
            fail_on: t.parse().unwrap(),
            ..Default::default()
        };
        assert_eq!(gate::evaluate(&p, &high).exit_code(), code, "fail-on {t}");
    }
}

#[test]
fn failed_job_is_an_error_not_a_pass() {
    struct Broken;
    impl Job for Broken {
        fn kind(&self) -> JobKind {
            JobKind::Sca
        }
        fn rules(&self) -> Vec<RuleMeta> {
            vec![]
        }
        fn scan(&self, _: &[SourceFile], _: &ScanContext) -> JobOutput {
            JobOutput {
                failed: true,
                ..Default::default()
            }
        }
    }
    let d = tempfile::tempdir().unwrap();
    let jobs: Vec<Box<dyn Job>> = vec![Box::new(Broken)];
    let r = engine::scan(&jobs, &ScanOptions::new(d.path())).unwrap();
    let v = gate::evaluate(&GatePolicy::default(), &r);
    assert_eq!(v.exit_code(), 2);
    let s: serde_json::Value = serde_json::from_str(&sarif(&r, &GatePolicy::default())).unwrap();
    assert_eq!(s["runs"][0]["invocations"][0]["executionSuccessful"], false);
}

#[test]
fn inline_suppressions_stay_in_sarif_and_do_not_count() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "a.py",
        b"x = 'BAD'  # tollgate: ignore[FAKE-BAD]\n# tollgate: ignore\ny = 'BAD'\nz = 'BAD'  # tollgate: ignore[OTHER]\n",
    );
    let r = scan(d.path());
    assert_eq!(r.findings.len(), 3);
    let sup: Vec<bool> = r.findings.iter().map(|f| f.suppression.is_some()).collect();
    assert_eq!(sup, vec![true, true, false]);
    assert_eq!(
        r.findings[0].suppression.as_ref().unwrap().kind,
        SuppressionKind::InSource
    );
    let v = gate::evaluate(&GatePolicy::default(), &r);
    assert_eq!(v.suppressed, 2);
    assert_eq!(v.counted, 1);
    let s: serde_json::Value = serde_json::from_str(&sarif(&r, &GatePolicy::default())).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["suppressions"][0]["kind"], "inSource");
    assert!(results[2].get("suppressions").is_none());
}

#[test]
fn baseline_makes_only_new_findings_count() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.txt", b"BAD old\n");
    let first = scan(d.path());
    let bl = d.path().join("baseline.json");
    Baseline::write(&bl, &first.findings).unwrap();
    assert_eq!(
        gate::evaluate(&GatePolicy::default(), &first).exit_code(),
        1
    );

    // unchanged tree with baseline: passes
    let mut opts = ScanOptions::new(d.path());
    opts.excludes = vec!["baseline.json".into()];
    opts.baseline = Some(Baseline::load(&bl).unwrap());
    let r = engine::scan(&jobs(), &opts).unwrap();
    let v = gate::evaluate(&GatePolicy::default(), &r);
    assert_eq!(v.exit_code(), 0, "{}", v.reason);
    assert_eq!(v.baselined, 1);

    // a new finding (and the old one moved down) fails, and only the new one counts
    write(d.path(), "a.txt", b"header\nBAD new\nBAD old\n");
    let r = engine::scan(&jobs(), &opts).unwrap();
    let states: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.location.start_line, f.baseline_state.unwrap()))
        .collect();
    use tollgate::finding::BaselineState::*;
    assert_eq!(states, vec![(2, New), (3, Unchanged)]);
    let v = gate::evaluate(&GatePolicy::default(), &r);
    assert_eq!(v.exit_code(), 1);
    assert_eq!(v.counted, 1);
    let s: serde_json::Value = serde_json::from_str(&sarif(&r, &GatePolicy::default())).unwrap();
    assert_eq!(s["runs"][0]["results"][0]["baselineState"], "new");
    assert_eq!(s["runs"][0]["results"][1]["baselineState"], "unchanged");

    // a SARIF file from an earlier run works as a baseline too
    let sarif_bl = d.path().join("prev.sarif");
    std::fs::write(&sarif_bl, sarif(&first, &GatePolicy::default())).unwrap();
    assert_eq!(Baseline::load(&sarif_bl).unwrap().len(), 1);
}

#[test]
fn sarif_has_what_github_needs_and_validates() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "dir with space/a.txt", b"ok\n  BAD\nMEH\n");
    write(d.path(), "bin.dat", b"\x00\x00");
    let r = scan(d.path());
    let text = sarif(&r, &GatePolicy::default());
    let s: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "tollgate");
    assert!(driver["semanticVersion"].is_string());
    assert!(driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    let bad = &rules[0];
    assert_eq!(bad["id"], "FAKE-BAD");
    assert_eq!(bad["defaultConfiguration"]["level"], "error");
    assert_eq!(bad["properties"]["security-severity"], "8.0");
    assert_eq!(bad["properties"]["precision"], "high");
    let tags: Vec<&str> = bad["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"security") && tags.contains(&"CWE-798"));
    assert!(bad["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("**fake**"));
    assert!(!bad["help"]["text"].as_str().unwrap().contains("**"));
    assert_eq!(run["automationDetails"]["id"], "demo/");
    let res = &run["results"][0];
    assert_eq!(res["ruleId"], "FAKE-BAD");
    assert_eq!(res["ruleIndex"], 0);
    assert_eq!(res["level"], "error");
    let loc = &res["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "dir%20with%20space/a.txt");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 3);
    assert!(res["partialFingerprints"]["tollgate/v1"].is_string());
    assert_eq!(run["results"][1]["ruleIndex"], 1);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes
        .iter()
        .any(|n| n["descriptor"]["id"] == "skipped-binary"
            && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bin.dat"));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    // Validate against the official schema.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&s).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // and the schema is really checking: a bad level is rejected
    let mut broken = s.clone();
    broken["runs"][0]["results"][0]["level"] = "critical".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn same_input_same_bytes() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            d.path(),
            &format!("f{i}/x.txt"),
            format!("BAD {i}\nMEH\n").as_bytes(),
        );
    }
    let a = sarif(&scan(d.path()), &GatePolicy::default());
    let b = sarif(&scan(d.path()), &GatePolicy::default());
    assert_eq!(a, b);
    let r = scan(d.path());
    let verdict = gate::evaluate(&GatePolicy::default(), &r);
    let rep = Report {
        result: &r,
        verdict: &verdict,
        category: None,
        all_rules: true,
    };
    assert_eq!(
        report::render(&rep, Format::Json, false),
        report::render(&rep, Format::Json, false)
    );
}

#[test]
fn text_and_json_reports() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.txt", b"BAD\nMEH\n");
    let r = scan(d.path());
    let verdict = gate::evaluate(&GatePolicy::default(), &r);
    let rep = Report {
        result: &r,
        verdict: &verdict,
        category: None,
        all_rules: false,
    };
    let text = report::render(&rep, Format::Text, false);
    assert!(text.starts_with("a.txt\n"), "{text}");
    assert!(text.contains("FAKE-BAD"));
    assert!(text.contains("Summary"));
    assert!(text.contains("secrets"));
    assert!(text.trim_end().ends_with(&verdict.reason));
    assert!(!text.contains('\u{1b}'), "no colour when not asked");
    let coloured = report::render(&rep, Format::Text, true);
    assert!(coloured.contains('\u{1b}'));
    let json: serde_json::Value =
        serde_json::from_str(&report::render(&rep, Format::Json, false)).unwrap();
    assert_eq!(json["verdict"]["outcome"], "failed");
    assert_eq!(json["summary"]["by_job"]["secrets"]["high"], 1);
    assert_eq!(json["findings"][0]["rule_id"], "FAKE-BAD");
    assert_eq!(json["findings"][0]["location"]["start_line"], 1);
}

#[test]
fn rule_selection_filters_findings() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.txt", b"BAD\nMEH\n");
    let mut opts = ScanOptions::new(d.path());
    opts.selection.ignore = vec!["FAKE-BAD".into()];
    let r = engine::scan(&jobs(), &opts).unwrap();
    let ids: Vec<&str> = r.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["FAKE-MEH"]);
}
