//! The SCA job end to end on small projects against the hand-written OSV records in fixtures/osv/, read in
//! osv.dev's dump layout (the tests zip them into `<ECOSYSTEM>/all.zip`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use tollgate::engine::{Job, JobOutput, ScanContext, SourceFile};
use tollgate::finding::{Finding, NoteLevel, Severity, SuppressionKind};
use tollgate::sca::model::{Dependency, Ecosystem, Resolved};
use tollgate::sca::osv::offline;
use tollgate::sca::{Config, IgnoreRule, ScaJob};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/osv")
}

/// Zip fixtures/osv/<eco>/*.json into `<dir>/<eco>/all.zip`, entries sorted as osv.dev's dumps are.
fn zip_db(dir: &Path) {
    for eco in ["PyPI", "npm", "crates.io"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join(eco))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        std::fs::create_dir_all(dir.join(eco)).unwrap();
        let f = std::fs::File::create(dir.join(eco).join("all.zip")).unwrap();
        let mut z = zip::ZipWriter::new(f);
        for p in files {
            z.start_file(
                p.file_name().unwrap().to_string_lossy(),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
        z.finish().unwrap();
    }
}

struct Env {
    _tmp: tempfile::TempDir,
    db: PathBuf,
    cache: PathBuf,
    root: PathBuf,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("osv");
    zip_db(&db);
    let cache = tmp.path().join("cache");
    let root = tmp.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    Env {
        db,
        cache,
        root,
        _tmp: tmp,
    }
}

impl Env {
    fn config(&self) -> Config {
        Config {
            osv_db: Some(self.db.clone()),
            cache_dir: Some(self.cache.clone()),
            ..Config::default()
        }
    }
    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    fn files(&self) -> Vec<SourceFile> {
        let mut out = Vec::new();
        walk(&self.root, &self.root, &mut out);
        out.sort();
        out
    }
    fn scan_with(&self, cfg: &Config) -> JobOutput {
        let job = ScaJob::new(cfg, &[])
            .unwrap()
            .with_today(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        job.scan(&self.files(), &ScanContext::new(self.root.clone()))
    }
    fn scan(&self) -> JobOutput {
        self.scan_with(&self.config())
    }
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

/// (rule id, package, installed) of every advisory finding.
fn hits(out: &JobOutput) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.rule_id != "SCA-UNPINNED")
        .map(|f| {
            (
                f.rule_id.clone(),
                f.properties["package"].as_str().unwrap().to_string(),
                f.properties["installed"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn finding<'a>(out: &'a JobOutput, rule: &str, pkg: &str) -> &'a Finding {
    out.findings
        .iter()
        .find(|f| {
            f.rule_id == rule && f.properties.get("package").and_then(|p| p.as_str()) == Some(pkg)
        })
        .unwrap_or_else(|| panic!("no {rule} on {pkg}: {:#?}", out.findings))
}

fn h(rule: &str, pkg: &str, v: &str) -> (String, String, String) {
    (rule.into(), pkg.into(), v.into())
}

#[test]
fn pypi_every_event_type_versions_git_withdrawn_and_aliases() {
    let e = env();
    e.write(
        "requirements.txt",
        "# pinned\nalphapkg==0.9\nBeta_Pkg==2.0.1\ngammapkg==3.1\ndeltapkg==2.0\n",
    );
    e.write(
        "svc/requirements.txt",
        "alphapkg==1.1.2\ngammapkg==4.4.9\ndeltapkg==2.0.post1\nbeta-pkg==2.0.2\n",
    );
    e.write(
        "old/requirements.txt",
        "alphapkg==1.2.0\ngammapkg==4.5\ngammapkg==2.9\ndeltapkg==2.0b1\n",
    );
    let out = e.scan();
    assert!(!out.failed, "{:#?}", out.notifications);
    let got = hits(&out);
    assert_eq!(
        got,
        vec![
            // 0.9: [0, 1.0.1) of PYSEC-2099-1 (= GHSA-aaaa-bbbb-cccc, one finding under the GHSA id)
            h("GHSA-aaaa-bbbb-cccc", "alphapkg", "0.9"),
            // 1.1.2: [1.1, 1.1.3) of PYSEC-2099-1 only (the GHSA record stops at 1.0.1: still one group)
            h("GHSA-aaaa-bbbb-cccc", "alphapkg", "1.1.2"),
            // 1.2.0 is the last_affected of PYSEC-2099-2; 1.1.2 is in [1.0, 1.2.0] too
            h("PYSEC-2099-2", "alphapkg", "1.1.2"),
            h("PYSEC-2099-2", "alphapkg", "1.2.0"),
            // versions list
            h("PYSEC-2099-3", "Beta_Pkg", "2.0.1"),
            // ECOSYSTEM range after a GIT range; 4.4.9 < limit 4.5
            h("PYSEC-2099-4", "gammapkg", "3.1"),
            h("PYSEC-2099-4", "gammapkg", "4.4.9"),
            // 2.0 final is between 2.0rc1 and 2.0.post1
            h("PYSEC-2099-6", "deltapkg", "2.0"),
        ]
    );
    // Withdrawn PYSEC-2099-5 (introduced 0, no fix) never shows.
    assert!(!out.findings.iter().any(|f| f.rule_id.contains("2099-5")));

    let f = finding(&out, "GHSA-aaaa-bbbb-cccc", "alphapkg");
    assert_eq!(f.location.path, "requirements.txt");
    assert_eq!(f.location.start_line, 2);
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(
        f.properties["aliases"],
        serde_json::json!(["CVE-2099-1001", "PYSEC-2099-1"])
    );
    assert_eq!(f.properties["cvss_score"], serde_json::json!(9.8));
    assert_eq!(f.properties["fixed"], serde_json::json!("1.0.1"));
    assert_eq!(f.properties["fixed_overall"], serde_json::json!("1.0.1"));
    assert_eq!(f.cwe, vec![94]);
    assert_eq!(f.snippet.as_deref(), Some("alphapkg==0.9"));
    assert!(
        f.message.starts_with(
            "alphapkg 0.9 is vulnerable to GHSA-aaaa-bbbb-cccc (CVE-2099-1001, PYSEC-2099-1): "
        ),
        "{}",
        f.message
    );
    assert!(f.message.ends_with("; upgrade to 1.0.1"), "{}", f.message);

    // 1.1.2: GHSA group fixed at 1.1.3, but PYSEC-2099-2 (last_affected 1.2.0, no fix) keeps 1.1.3 affected.
    let svc: Vec<&Finding> = out
        .findings
        .iter()
        .filter(|f| f.location.path == "svc/requirements.txt")
        .collect();
    let ghsa = svc
        .iter()
        .find(|f| f.rule_id == "GHSA-aaaa-bbbb-cccc")
        .unwrap();
    assert_eq!(ghsa.properties["fixed"], serde_json::json!("1.1.3"));
    assert_eq!(ghsa.properties["fixed_overall"], serde_json::Value::Null);
    assert!(
        ghsa.message.contains("upgrade to 1.1.3 to fix this one"),
        "{}",
        ghsa.message
    );
    let dos = svc.iter().find(|f| f.rule_id == "PYSEC-2099-2").unwrap();
    assert_eq!(dos.properties["fixed"], serde_json::Value::Null);
    assert!(
        dos.message.ends_with("no fixed version is known"),
        "{}",
        dos.message
    );
    // CVSS v4 vector with VA:L only scores 6.9 (FIRST's calculator): medium
    assert_eq!(dos.properties["cvss_score"], serde_json::json!(6.9));
    assert_eq!(dos.severity, Severity::Medium);
    assert!(dos.properties["cvss_vector"]
        .as_str()
        .unwrap()
        .starts_with("CVSS:4.0/"));

    // database_specific severity words
    assert_eq!(
        finding(&out, "PYSEC-2099-3", "Beta_Pkg").severity,
        Severity::Low
    );
    assert_eq!(
        finding(&out, "PYSEC-2099-6", "deltapkg").severity,
        Severity::High
    );
    // no CVSS and no word: medium
    assert_eq!(
        finding(&out, "PYSEC-2099-4", "gammapkg").severity,
        Severity::Medium
    );
    assert_eq!(
        finding(&out, "PYSEC-2099-6", "deltapkg").properties["fixed"],
        serde_json::json!("2.0.post1")
    );

    // One rule per vulnerability, with aliases, markdown help and CVSS security-severity.
    let rule = out
        .dynamic_rules
        .iter()
        .find(|r| r.id == "GHSA-aaaa-bbbb-cccc")
        .unwrap();
    assert!(rule.tags.contains(&"PYSEC-2099-1".to_string()));
    assert!(rule.description.contains("CVE-2099-1001"));
    assert_eq!(rule.security_severity, Some(9.8));
    assert_eq!(
        rule.help_uri.as_deref(),
        Some("https://osv.dev/vulnerability/GHSA-aaaa-bbbb-cccc")
    );
    assert!(
        rule.help_markdown
            .contains("| PyPI | alphapkg | < 1.0.1; >= 1.1, < 1.1.3 | 1.0.1, 1.1.3 |"),
        "{}",
        rule.help_markdown
    );
    let gamma = out
        .dynamic_rules
        .iter()
        .find(|r| r.id == "PYSEC-2099-4")
        .unwrap();
    assert!(
        gamma.help_markdown.contains(">= 4.0 (limit 4.5)"),
        "{}",
        gamma.help_markdown
    );
    let ids: Vec<&str> = out.dynamic_rules.iter().map(|r| r.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);

    // Database identity in the run properties.
    let db = &out.properties["osv_database"]["PyPI"];
    assert_eq!(db["records"], serde_json::json!(7));
    assert_eq!(db["withdrawn"], serde_json::json!(1));
    assert_eq!(
        db["newest_modified"],
        serde_json::json!("2026-01-15T08:30:00Z")
    );
    assert_eq!(db["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn npm_package_json_and_lockfile() {
    let e = env();
    e.write(
        "web/package.json",
        r#"{"name":"web","dependencies":{"leftpadx":"1.2.2","@scope/widget":"^2.0.0"},"devDependencies":{"other":"v1.0.0"}}"#,
    );
    e.write(
        "app/package-lock.json",
        r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "app", "dependencies": {"@scope/widget": "2.1.0"}},
    "node_modules/@scope/widget": {"version": "2.1.0"},
    "node_modules/@scope/widget/node_modules/leftpadx": {"version": "1.0.0", "dev": true},
    "node_modules/leftpadx": {"version": "1.2.3"}
  }
}
"#,
    );
    let out = e.scan();
    assert!(!out.failed, "{:#?}", out.notifications);
    assert_eq!(
        hits(&out),
        vec![
            h("GHSA-npm1-aaaa-bbbb", "leftpadx", "1.0.0"),
            h("GHSA-npm1-aaaa-bbbb", "leftpadx", "1.2.2"),
            h("GHSA-npm2-cccc-dddd", "@scope/widget", "2.1.0"),
        ]
    );
    let nested = out
        .findings
        .iter()
        .find(|f| f.rule_id == "GHSA-npm1-aaaa-bbbb" && f.location.path == "app/package-lock.json")
        .unwrap();
    assert_eq!(nested.properties["transitive"], serde_json::json!(true));
    assert_eq!(nested.properties["dev"], serde_json::json!(true));
    assert_eq!(nested.location.start_line, 7);
    assert_eq!(nested.severity, Severity::High);
    assert_eq!(nested.cwe, vec![1321]);
    // The range ^2.0.0 is its own low finding, never a guess.
    let unpinned = finding(&out, "SCA-UNPINNED", "@scope/widget");
    assert_eq!(unpinned.severity, Severity::Low);
    assert_eq!(unpinned.properties["spec"], serde_json::json!("^2.0.0"));
    assert!(unpinned.message.contains("^2.0.0"));
    assert_eq!(
        out.findings
            .iter()
            .filter(|f| f.rule_id == "SCA-UNPINNED")
            .count(),
        1
    );
}

fn dep(eco: Ecosystem, name: &str, version: &str) -> Dependency {
    Dependency {
        ecosystem: eco,
        name: name.into(),
        display_name: name.into(),
        resolved: Resolved::Exact {
            version: version.into(),
        },
        manifest: "Cargo.lock".into(),
        line: 1,
        column: 1,
        dev: false,
        transitive: true,
    }
}

#[test]
fn crates_informational_and_semver_ranges() {
    let e = env();
    let job = ScaJob::new(&e.config(), &[]).unwrap();
    let deps = vec![
        dep(Ecosystem::CratesIo, "oldcrate", "0.3.0"),
        dep(Ecosystem::CratesIo, "memcrate", "1.1.9"),
        dep(Ecosystem::CratesIo, "vulncrate", "0.6.0"),
        dep(Ecosystem::CratesIo, "vulncrate", "0.5.3"),
        dep(Ecosystem::CratesIo, "vulncrate", "0.6.0-beta.1"),
    ];
    let out = job.check(&deps, &[], &ScanContext::new(e.root.clone()));
    assert!(!out.failed);
    assert_eq!(
        hits(&out),
        vec![
            h("GHSA-rust-aaaa-bbbb", "vulncrate", "0.6.0"),
            h("GHSA-rust-aaaa-bbbb", "vulncrate", "0.6.0-beta.1"),
            h("RUSTSEC-2099-0001", "oldcrate", "0.3.0"),
            h("RUSTSEC-2099-0002", "memcrate", "1.1.9"),
        ]
    );
    let old = finding(&out, "RUSTSEC-2099-0001", "oldcrate");
    assert_eq!(old.severity, Severity::Info);
    assert!(old.message.contains("is unmaintained"), "{}", old.message);
    assert!(!old.message.contains("vulnerable"));
    let unsound = finding(&out, "RUSTSEC-2099-0002", "memcrate");
    assert_eq!(unsound.severity, Severity::Low);
    assert!(unsound.message.contains("is unsound"));
    assert_eq!(
        unsound.properties["informational"],
        serde_json::json!("unsound")
    );
    let v = finding(&out, "GHSA-rust-aaaa-bbbb", "vulncrate");
    assert_eq!(v.severity, Severity::High);
    assert_eq!(v.properties["fixed"], serde_json::json!("0.6.1"));
}

#[test]
fn unparseable_versions_are_reported_never_matched() {
    let e = env();
    let job = ScaJob::new(&e.config(), &[]).unwrap();
    let mut bad = dep(Ecosystem::PyPI, "alphapkg", "not-a-version");
    bad.manifest = "requirements.txt".into();
    bad.line = 3;
    let mut npm = dep(Ecosystem::Npm, "leftpadx", "1.0");
    npm.manifest = "package-lock.json".into();
    let out = job.check(&[bad, npm], &[], &ScanContext::new(e.root.clone()));
    assert!(hits(&out).is_empty(), "{:#?}", out.findings);
    let notes: Vec<_> = out
        .notifications
        .iter()
        .filter(|n| n.code == "sca-version-unparseable")
        .collect();
    assert_eq!(notes.len(), 2, "{:#?}", out.notifications);
    assert!(notes.iter().any(|n| n.message.contains("`not-a-version`")
        && n.message.contains("PEP 440")
        && n.path.as_deref() == Some("requirements.txt")
        && n.line == Some(3)));
    assert!(notes
        .iter()
        .any(|n| n.message.contains("`1.0`") && n.message.contains("SemVer")));
}

#[test]
fn skipped_dependencies_are_counted_in_a_note() {
    let e = env();
    e.write(
        "requirements.txt",
        "-e ./local\ngit+https://example.invalid/x.git#egg=x\nalphapkg==2.0\n",
    );
    let out = e.scan();
    let n = out
        .notifications
        .iter()
        .find(|n| n.code == "sca-skipped")
        .unwrap();
    assert_eq!(n.level, NoteLevel::Note);
    assert!(
        n.message.starts_with("2 dependencies skipped"),
        "{}",
        n.message
    );
    assert!(n.message.contains("requirements.txt:1") && n.message.contains("requirements.txt:2"));
}

fn ignore(id: &str, until: Option<&str>) -> IgnoreRule {
    IgnoreRule {
        id: id.into(),
        reason: "not reachable: templates are static".into(),
        until: until.map(|u| chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d").unwrap()),
    }
}

#[test]
fn ignores_honour_aliases_and_expire() {
    let e = env();
    e.write(
        "requirements.txt",
        "alphapkg==0.9\nbeta-pkg==2.0.0\ndeltapkg==2.0\n",
    );
    let mut cfg = e.config();
    cfg.ignore = vec![
        // an alias (the CVE) of the GHSA group
        ignore("cve-2099-1001", Some("2027-01-31")),
        // expired the day before the scan
        ignore("PYSEC-2099-3", Some("2026-11-25")),
        // no end date
        ignore("PYSEC-2099-6", None),
        // matches nothing: a note says so
        ignore("GHSA-zzzz-zzzz-zzzz", None),
    ];
    let out = e.scan_with(&cfg);
    let unused: Vec<_> = out
        .notifications
        .iter()
        .filter(|n| n.code == "sca-ignore-unused")
        .collect();
    assert_eq!(unused.len(), 1, "{:#?}", out.notifications);
    assert!(unused[0].message.contains("GHSA-zzzz-zzzz-zzzz"));
    let by_rule: BTreeMap<&str, &Finding> = out
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f))
        .collect();
    let s = by_rule["GHSA-aaaa-bbbb-cccc"].suppression.as_ref().unwrap();
    assert_eq!(s.kind, SuppressionKind::External);
    assert_eq!(s.justification, "not reachable: templates are static");
    let expired = by_rule["PYSEC-2099-3"];
    assert!(expired.suppression.is_none());
    assert!(
        expired
            .message
            .ends_with("(ignore for PYSEC-2099-3 expired on 2026-11-25)"),
        "{}",
        expired.message
    );
    assert!(by_rule["PYSEC-2099-6"].suppression.is_some());
    // The last day still counts.
    cfg.ignore = vec![ignore("PYSEC-2099-3", Some("2026-11-26"))];
    let out = e.scan_with(&cfg);
    assert!(out
        .findings
        .iter()
        .find(|f| f.rule_id == "PYSEC-2099-3")
        .unwrap()
        .suppression
        .is_some());
}

#[test]
fn ignore_config_parses_from_toml() {
    let cfg: tollgate::config::Config = toml::from_str(
        "[sca]\nosv-db = \"db\"\nonline = false\n[[sca.ignore]]\nid = \"GHSA-x\"\nreason = \"r\"\nuntil = \"2027-01-31\"\n[[sca.ignore]]\nid = \"CVE-1\"\nuntil = 2027-02-01\n",
    )
    .unwrap();
    assert_eq!(cfg.sca.ignore.len(), 2);
    assert_eq!(
        cfg.sca.ignore[1].until,
        chrono::NaiveDate::from_ymd_opt(2027, 2, 1)
    );
    assert!(toml::from_str::<tollgate::config::Config>(
        "[[sca.ignore]]\nid = \"x\"\nuntil = \"tomorrow\"\n"
    )
    .is_err());
    assert!(toml::from_str::<tollgate::config::Config>("[sca]\nosv_db = \"x\"\n").is_err());
}

#[test]
fn missing_database_fails_the_job() {
    let e = env();
    e.write("requirements.txt", "alphapkg==0.9\n");
    let mut cfg = e.config();
    cfg.osv_db = Some(e.root.join("no-such-db"));
    let out = e.scan_with(&cfg);
    assert!(out.failed);
    let n = out
        .notifications
        .iter()
        .find(|n| n.level == NoteLevel::Error)
        .unwrap();
    assert_eq!(n.code, "osv-db-missing");
    assert!(n.message.contains("PyPI"), "{}", n.message);
    // One ecosystem present, another missing: still failed (npm deps would pass silently otherwise).
    std::fs::remove_dir_all(e.db.join("npm")).unwrap();
    e.write("package.json", r#"{"dependencies":{"leftpadx":"1.0.0"}}"#);
    let out = e.scan();
    assert!(out.failed);
    assert_eq!(
        hits(&out),
        vec![h("GHSA-aaaa-bbbb-cccc", "alphapkg", "0.9")]
    );
}

#[test]
fn no_manifests_needs_no_database() {
    let e = env();
    e.write("README.md", "hello\n");
    let mut cfg = e.config();
    cfg.osv_db = Some(e.root.join("no-such-db"));
    let out = e.scan_with(&cfg);
    assert!(!out.failed);
    assert!(out.findings.is_empty());
}

#[test]
fn corrupt_zip_and_corrupt_entries() {
    let e = env();
    e.write("requirements.txt", "alphapkg==0.9\n");
    e.write("package.json", r#"{"dependencies":{"leftpadx":"1.0.0"}}"#);
    // npm: not a zip at all
    std::fs::write(e.db.join("npm/all.zip"), b"PK\x03\x04 this is not a zip").unwrap();
    // PyPI: one broken entry among good ones
    let f = std::fs::File::create(e.db.join("PyPI/all.zip")).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("PYSEC-BROKEN.json", opts).unwrap();
    z.write_all(b"{\"id\": \"PYSEC-BROKEN\", \"affected\": [")
        .unwrap();
    z.start_file("PYSEC-2099-1.json", opts).unwrap();
    z.write_all(&std::fs::read(fixtures().join("PyPI/PYSEC-2099-1.json")).unwrap())
        .unwrap();
    z.finish().unwrap();
    for round in 0..2 {
        let out = e.scan();
        assert!(out.failed, "round {round}");
        assert!(
            out.notifications
                .iter()
                .any(|n| n.code == "osv-db-corrupt" && n.message.contains("npm")),
            "{:#?}",
            out.notifications
        );
        assert!(
            out.notifications
                .iter()
                .any(|n| n.code == "osv-db-entry" && n.message.contains("PYSEC-BROKEN.json")),
            "round {round}: {:#?}",
            out.notifications
        );
        assert_eq!(
            hits(&out),
            vec![h("GHSA-aaaa-bbbb-cccc", "alphapkg", "0.9")]
        );
    }
}

#[test]
fn index_cache_is_used_on_the_second_load_and_keyed_by_hash() {
    let e = env();
    let first = offline::load_ecosystem(&e.db, Ecosystem::PyPI, Some(&e.cache));
    assert!(!first.from_cache);
    let second = offline::load_ecosystem(&e.db, Ecosystem::PyPI, Some(&e.cache));
    assert!(second.from_cache);
    let (a, b) = (first.index.unwrap(), second.index.unwrap());
    assert_eq!(a.advisories, b.advisories);
    assert_eq!(a.identity, b.identity);
    // A different zip (other hash) is parsed again, not served from the old cache.
    std::fs::copy(
        fixtures().join("npm/GHSA-npm1-aaaa-bbbb.json"),
        e.root.join("x.json"),
    )
    .unwrap();
    let f = std::fs::File::create(e.db.join("PyPI/all.zip")).unwrap();
    let mut z = zip::ZipWriter::new(f);
    z.start_file(
        "PYSEC-2099-3.json",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(&std::fs::read(fixtures().join("PyPI/PYSEC-2099-3.json")).unwrap())
        .unwrap();
    z.finish().unwrap();
    let third = offline::load_ecosystem(&e.db, Ecosystem::PyPI, Some(&e.cache));
    assert!(!third.from_cache);
    assert_eq!(third.index.unwrap().identity.records, 1);
    // Old indexes do not pile up: at most 3 per ecosystem are kept.
    for id in ["PYSEC-2099-4", "PYSEC-2099-6"] {
        let f = std::fs::File::create(e.db.join("PyPI/all.zip")).unwrap();
        let mut z = zip::ZipWriter::new(f);
        z.start_file(
            format!("{id}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(&std::fs::read(fixtures().join(format!("PyPI/{id}.json"))).unwrap())
            .unwrap();
        z.finish().unwrap();
        assert!(!offline::load_ecosystem(&e.db, Ecosystem::PyPI, Some(&e.cache)).from_cache);
    }
    let kept = std::fs::read_dir(e.cache.join("osv-index"))
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("PyPI-")
        })
        .count();
    assert_eq!(kept, 3);
    // The newest one is among them.
    assert!(offline::load_ecosystem(&e.db, Ecosystem::PyPI, Some(&e.cache)).from_cache);
}

#[test]
fn unpacked_json_directory_layout_is_read_too() {
    // fixtures/osv itself is `<ECOSYSTEM>/*.json`.
    let l = offline::load_ecosystem(&fixtures(), Ecosystem::Npm, None);
    let ix = l.index.unwrap();
    assert_eq!(ix.identity.records, 3);
    assert_eq!(ix.identity.withdrawn, 1);
    assert_eq!(ix.lookup("leftpadx").count(), 1);
}

#[test]
fn output_is_deterministic() {
    let e = env();
    e.write(
        "requirements.txt",
        "alphapkg==1.1.2\ngammapkg==3.1\nflask>=1.0\n",
    );
    e.write(
        "a/package.json",
        r#"{"dependencies":{"leftpadx":"1.0.0","@scope/widget":"2.0.5"}}"#,
    );
    let a = e.scan();
    let b = e.scan();
    let ser = |o: &JobOutput| {
        serde_json::to_string(&(&o.findings, &o.notifications, &o.properties)).unwrap()
    };
    assert_eq!(ser(&a), ser(&b));
    assert!(!a.findings.is_empty());
}
