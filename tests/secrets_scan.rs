//! The secrets job on fixture trees: recall across file types, silence on placeholders, redaction,
//! multi-line keys, CRLF and invalid UTF-8 files, determinism.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::secrets::{Config, SecretsJob};
use tollgate::Finding;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets")
}

fn job() -> SecretsJob {
    SecretsJob::new(&Config::default(), &[]).expect("rules load")
}

fn walk(root: &Path) -> Vec<SourceFile> {
    SourceFile::collect(root).unwrap()
}

fn scan(root: &Path) -> Vec<Finding> {
    let files = walk(root);
    let ctx = ScanContext::new(root.to_path_buf());
    let out = job().scan(&files, &ctx);
    assert!(!out.failed);
    out.findings
}

fn show(f: &Finding) -> String {
    format!(
        "{}:{}:{} {} {}",
        f.location.path,
        f.location.start_line,
        f.location.start_column,
        f.rule_id,
        f.snippet.as_deref().unwrap_or("")
    )
}

fn is_generic(rule: &str) -> bool {
    rule.starts_with("SEC-GENERIC-")
}

#[test]
fn recall_across_file_types() {
    let root = fixtures().join("recall");
    let findings = scan(&root);
    let expected_text = std::fs::read_to_string(fixtures().join("recall.expected")).unwrap();
    let mut expected: BTreeMap<(String, u32), String> = BTreeMap::new();
    for line in expected_text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (loc, rule) = line.split_once(' ').unwrap();
        let (path, l) = loc.rsplit_once(':').unwrap();
        expected.insert((path.to_string(), l.parse().unwrap()), rule.to_string());
    }
    let mut problems = Vec::new();
    for ((path, line), rule) in &expected {
        let here: Vec<_> = findings
            .iter()
            .filter(|f| &f.location.path == path && f.location.start_line == *line)
            .collect();
        let ok = here
            .iter()
            .any(|f| &f.rule_id == rule || (is_generic(rule) && !is_generic(&f.rule_id)));
        if !ok {
            problems.push(format!(
                "missed {path}:{line} (expected {rule}); found there: {:?}",
                here.iter().map(|f| show(f)).collect::<Vec<_>>()
            ));
        }
    }
    for f in &findings {
        let key = (f.location.path.clone(), f.location.start_line);
        if !expected.contains_key(&key) {
            problems.push(format!("unexpected finding {}", show(f)));
        }
    }
    // One finding per value: no two findings on the same place.
    let mut seen = BTreeSet::new();
    for f in &findings {
        let k = (
            f.location.path.clone(),
            f.location.start_line,
            f.location.start_column,
        );
        if !seen.insert(k) {
            problems.push(format!("duplicate finding {}", show(f)));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn placeholders_and_references_stay_quiet() {
    let findings = scan(&fixtures().join("quiet"));
    assert!(
        findings.is_empty(),
        "false positives:\n{}",
        findings.iter().map(show).collect::<Vec<_>>().join("\n")
    );
}

/// The secret a finding points at, read back from the file (ASCII fixtures: columns are bytes).
fn secret_of(root: &Path, f: &Finding) -> String {
    let text = std::fs::read_to_string(root.join(&f.location.path)).unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    let (sl, sc, el, ec) = (
        f.location.start_line as usize - 1,
        f.location.start_column as usize - 1,
        f.location.end_line as usize - 1,
        f.location.end_column as usize - 1,
    );
    if sl == el {
        lines[sl][sc..ec].to_string()
    } else {
        let mut s = lines[sl][sc..].to_string();
        for l in &lines[sl + 1..el] {
            s.push('\n');
            s.push_str(l);
        }
        s.push('\n');
        s.push_str(&lines[el][..ec]);
        s
    }
}

#[test]
fn no_output_field_contains_a_whole_secret() {
    let root = fixtures().join("recall");
    let findings = scan(&root);
    assert!(findings.len() >= 20);
    for f in &findings {
        let secret = secret_of(&root, f);
        assert!(secret.len() >= 6, "{}: {secret:?}", show(f));
        let json = serde_json::to_string(f).unwrap();
        // Not the whole value, and not the part after the (at most 4) characters shown.
        let tail: String = secret.chars().skip(4).collect();
        assert!(!json.contains(&secret), "{} leaks its secret", show(f));
        assert!(!json.contains(&tail), "{} leaks the secret's tail", show(f));
        for line in secret.lines().skip(1) {
            assert!(!json.contains(line.trim()), "{} leaks a key line", show(f));
        }
        assert!(f.message.contains("****"), "{}", f.message);
        assert!(!f.fingerprint_key.is_empty() && !f.fingerprint_key.contains(&secret));
    }
}

#[test]
fn private_key_block_is_one_finding_from_begin_to_end() {
    let root = fixtures().join("recall");
    let findings = scan(&root);
    let keys: Vec<_> = findings
        .iter()
        .filter(|f| f.location.path == "id_rsa")
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let k = keys[0];
    assert_eq!(k.rule_id, "SEC-PRIVATE-KEY");
    assert_eq!((k.location.start_line, k.location.end_line), (1, 6));
    assert_eq!(
        k.snippet.as_deref(),
        Some("-----BEGIN RSA PRIVATE KEY-----****")
    );
}

#[test]
fn crlf_and_invalid_utf8_files() {
    let dir = tempfile::tempdir().unwrap();
    let env = std::fs::read_to_string(fixtures().join("recall/.env")).unwrap();
    std::fs::write(dir.path().join(".env"), env.replace('\n', "\r\n")).unwrap();
    let mut bad = b"\xff\xfe garbage \xc3\x28 more\n".to_vec();
    bad.extend_from_slice(b"DB_PASSWORD=OhbVrpoiVgRV5I\n\x80\x81\n");
    std::fs::write(dir.path().join("broken.env"), bad).unwrap();

    let crlf = scan(dir.path());
    let lf = scan(&fixtures().join("recall"));
    let lf_env: Vec<_> = lf
        .iter()
        .filter(|f| f.location.path == ".env")
        .map(|f| (f.location.clone(), f.rule_id.clone(), f.snippet.clone()))
        .collect();
    let crlf_env: Vec<_> = crlf
        .iter()
        .filter(|f| f.location.path == ".env")
        .map(|f| (f.location.clone(), f.rule_id.clone(), f.snippet.clone()))
        .collect();
    assert_eq!(lf_env, crlf_env, "CRLF must give the same findings as LF");
    for f in &crlf {
        assert!(!f.snippet.as_deref().unwrap_or("").contains('\r'));
    }
    let broken: Vec<_> = crlf
        .iter()
        .filter(|f| f.location.path == "broken.env")
        .collect();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(broken[0].location.start_line, 2);
    assert_eq!(broken[0].rule_id, "SEC-GENERIC-PASSWORD");
}

#[test]
fn same_input_same_output() {
    let root = fixtures().join("recall");
    let a = serde_json::to_string(&scan(&root)).unwrap();
    for _ in 0..3 {
        assert_eq!(a, serde_json::to_string(&scan(&root)).unwrap());
    }
    let keys: Vec<_> = scan(&root).into_iter().map(|f| f.fingerprint_key).collect();
    assert!(keys.iter().all(|k| k.len() == 64));
}

#[test]
fn fingerprint_key_survives_moving_the_secret() {
    let j = job();
    let a = j.scan_text("x.env", "API_TOKEN=PSIAoCLrZ3aWZkSB\n");
    let b = j.scan_text("x.env", "# a new comment\n\nAPI_TOKEN=PSIAoCLrZ3aWZkSB\n");
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 1);
    assert_eq!(a[0].fingerprint_key, b[0].fingerprint_key);
    assert_ne!(a[0].location.start_line, b[0].location.start_line);
}

#[test]
fn selection_disables_rules_and_generic_takes_over() {
    let root = fixtures().join("recall");
    let files = walk(&root);
    let mut ctx = ScanContext::new(root.clone());
    ctx.selection.ignore = vec!["SEC-STRIPE".into()];
    let out = job().scan(&files, &ctx);
    assert!(!out
        .findings
        .iter()
        .any(|f| f.rule_id.starts_with("SEC-STRIPE")));
    // The Stripe key on .env:9 is now reported by the generic rule.
    assert!(out.findings.iter().any(|f| f.location.path == ".env"
        && f.location.start_line == 9
        && is_generic(&f.rule_id)));
}

#[test]
fn config_allowlists_apply() {
    let cfg = Config {
        exclude_paths: vec!["k8s/**".into()],
        allow_values: vec!["^OhbV".into()],
        stopwords: vec!["bj7m".into()],
    };
    let j = SecretsJob::new(&cfg, &[]).unwrap();
    let root = fixtures().join("recall");
    let out = j.scan(&walk(&root), &ScanContext::new(root.clone()));
    assert!(!out
        .findings
        .iter()
        .any(|f| f.location.path.starts_with("k8s/")));
    assert!(!out
        .findings
        .iter()
        .any(|f| f.location.path == ".env" && f.location.start_line <= 6));
    assert!(out
        .findings
        .iter()
        .any(|f| f.location.path == ".env" && f.location.start_line == 7));
}

#[test]
fn multibyte_text_and_long_lines_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let sdir = dir.path().join("secrets");
    std::fs::create_dir(&sdir).unwrap();
    // An ASCII-class regex that can stop inside a multi-byte character.
    std::fs::write(
        sdir.join("SEC-TEST-BYTES.yaml"),
        "id: SEC-TEST-BYTES\ntitle: Bytes\nseverity: low\nkeywords: [tokx]\nregex: '(?P<secret>tokx[^ ]{9})'\ndescription: d\nremediation: r\n",
    )
    .unwrap();
    let j = SecretsJob::new(&Config::default(), &[dir.path().to_path_buf()]).unwrap();
    for pad in 0..4 {
        let mut t = "x".repeat(pad);
        t.push_str(&"é".repeat(3000));
        t.push_str(" password=Xk9mP2vL8qTz api_key=");
        t.push_str(&"ü".repeat(3000));
        t.push_str(" tokxéééééé ");
        t.push_str(&"😀".repeat(2000));
        t.push_str("\nDB_PASSWORD=Wm4Kx9Tq2Lz7\n");
        let f = j.scan_text("long.env", &t);
        assert!(f.iter().any(|f| f.rule_id == "SEC-TEST-BYTES"), "{f:?}");
        assert!(f
            .iter()
            .any(|f| f.rule_id == "SEC-GENERIC-PASSWORD" && f.location.start_line == 2));
        for x in &f {
            let s = x.snippet.as_deref().unwrap();
            assert!(s.chars().count() <= 200, "{s}");
            assert!(!s.contains("Xk9mP2vL8qTz") && !s.contains("Wm4Kx9Tq2Lz7"));
        }
    }
}

#[test]
fn an_unreadable_file_is_a_notification_and_the_rest_is_scanned() {
    let root = fixtures().join("recall");
    let mut files = walk(&root);
    files.push(SourceFile {
        rel: "gone.env".into(),
        abs: root.join("does-not-exist.env"),
        size: 10,
    });
    let out = job().scan(&files, &ScanContext::new(root.clone()));
    assert!(!out.failed);
    assert_eq!(out.notifications.len(), 1, "{:?}", out.notifications);
    let n = &out.notifications[0];
    assert_eq!(n.code, "unreadable");
    assert_eq!(n.path.as_deref(), Some("gone.env"));
    assert!(out.findings.iter().any(|f| f.location.path == ".env"));
    assert_eq!(out.files_scanned, files.len());
}
