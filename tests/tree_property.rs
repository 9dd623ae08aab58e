//! Property test: any tree of files gives a valid SARIF. Random trees (a fixed-seed generator, so a failure
//! reproduces) with names holding spaces, `%`, `#`, `?`, non-ASCII and non-UTF-8 bytes, very long paths,
//! symlink loops and dangling links, unreadable directories, and files deleted while the scan runs. Every
//! scan must finish (no panic, no error), its SARIF must pass the official schema, and every
//! `artifactLocation.uri` must be a correctly percent-encoded relative reference that decodes to the path
//! the finding names. The CI script `tests/ci/report.sh` runs the SARIF multitool on one such tree.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use tollgate::config::Config;
use tollgate::engine::{self, ScanInput, ScanRequest};
use tollgate::gate::{self, GatePolicy};
use tollgate::report::{self, Format, Report};

/// xorshift64*: enough randomness for trees, no dependency, same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One path component: a mix of the characters that break naive URI and path handling.
fn name(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"a",
        b"src",
        b" ",
        b"%",
        b"%20",
        b"#",
        b"?",
        b"&",
        b"+",
        b";",
        b"[x]",
        b"{y}",
        b"'",
        b"\"",
        b"\\",
        b":",
        b"@",
        b"=",
        b",",
        "é".as_bytes(),
        "😀".as_bytes(),
        "日本".as_bytes(),
        b"\xff",
        b"\xc3\x28",
        b"\x80abc",
        b"-",
        b"_",
        b"~",
        b".",
        b"!",
        b"$",
        b"*",
        b"\t",
    ];
    let mut n = Vec::new();
    let len = if rng.below(10) == 0 {
        60
    } else {
        1 + rng.below(6)
    };
    for _ in 0..len {
        n.extend_from_slice(PIECES[rng.below(PIECES.len())]);
    }
    n.truncate(200);
    // Not `.`/`..` and not empty.
    if n.iter().all(|b| *b == b'.') {
        n.insert(0, b'x');
    }
    n
}

const CONTENTS: &[&str] = &[
    "import os\n\ndef run(request):\n    os.system(request.args.get('cmd'))\n",
    "AWS_ACCESS_KEY_ID = \"AKIAZ7Q2MXK4WB3RJT5N\"\n",
    "token: ghp_4mX9qL2vT8nR5wK1pZ7cY3bH6jD0fG2sE9aQ\n",
    "flask==0.12\nrequests>=2\n",
    "{\"dependencies\": {\"lodash\": \"4.17.4\"}}\n",
    "plain text\n",
    "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
];

fn os(p: &[u8]) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(p))
}

/// A random tree below `root`; returns the files made (for the vanishing ones).
fn make_tree(root: &Path, rng: &mut Rng) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    let mut files = Vec::new();
    for _ in 0..25 {
        let parent = dirs[rng.below(dirs.len())].clone();
        let p = parent.join(os(&name(rng)));
        match rng.below(10) {
            0..=2 => {
                if std::fs::create_dir_all(&p).is_ok() {
                    dirs.push(p);
                }
            }
            3 => {
                // a symlink loop, or a dangling link
                let target = if rng.below(2) == 0 {
                    PathBuf::from("..")
                } else {
                    PathBuf::from("does/not/exist")
                };
                let _ = std::os::unix::fs::symlink(target, &p);
            }
            _ => {
                let mut name = p.into_os_string();
                name.push([".py", ".txt", ".env", ".yaml", ""][rng.below(5)]);
                let p = PathBuf::from(name);
                if p.file_name() == Some(std::ffi::OsStr::new("requirements.txt")) {
                    continue;
                }
                if std::fs::write(&p, CONTENTS[rng.below(CONTENTS.len())]).is_ok() {
                    files.push(p);
                }
            }
        }
    }
    // A long path: nested directories past 1,000 bytes.
    let mut deep = root.to_path_buf();
    for i in 0..12 {
        deep = deep.join(format!("{}{i}", "d".repeat(90)));
    }
    if std::fs::create_dir_all(&deep).is_ok() {
        let f = deep.join("deep file #1.py");
        std::fs::write(&f, CONTENTS[0]).unwrap();
        files.push(f);
    }
    // An unreadable directory (as root it stays readable; the scan must cope either way).
    let locked = root.join("locked dir");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::write(locked.join("inside.py"), CONTENTS[0]).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    files
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn check_uris(v: &serde_json::Value, paths: &std::collections::BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::String(uri)) = m.get("uri") {
                if m.get("uriBaseId").is_some() {
                    let bytes = uri.as_bytes();
                    let mut i = 0;
                    while i < bytes.len() {
                        let c = bytes[i];
                        if c == b'%' {
                            assert!(
                                i + 2 < bytes.len() + 1
                                    && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit),
                                "bad escape in {uri}"
                            );
                            i += 3;
                            continue;
                        }
                        assert!(
                            c.is_ascii_alphanumeric() || b"-._~/".contains(&c),
                            "unencoded {:?} in {uri}",
                            c as char
                        );
                        i += 1;
                    }
                    assert!(!uri.starts_with('/'), "relative: {uri}");
                    let decoded = String::from_utf8(percent_decode(uri)).unwrap();
                    assert!(
                        paths.contains(&decoded),
                        "{uri} decodes to {decoded}, not a reported path"
                    );
                }
            }
            m.values().for_each(|x| check_uris(x, paths));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| check_uris(x, paths)),
        _ => {}
    }
}

#[test]
fn any_tree_gives_a_valid_sarif_with_encoded_uris() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut total_results = 0;
    let mut cfg = Config::default();
    cfg.sca.offline = true;
    let jobs = std::sync::Arc::new(engine::build_jobs(&cfg, &[]).unwrap());
    for seed in 1..=24u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("tree");
        std::fs::create_dir(&root).unwrap();
        let files = make_tree(&root, &mut rng);
        // Files vanish while the scan runs.
        let doomed: Vec<PathBuf> = files.iter().step_by(3).cloned().collect();
        let deleter = std::thread::spawn(move || {
            for f in doomed {
                let _ = std::fs::remove_file(f);
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        });
        let mut req = ScanRequest::new(ScanInput::Path(root.clone()), cfg.clone());
        req.jobs = Some(jobs.clone());
        let result =
            engine::run(req).unwrap_or_else(|e| panic!("seed {seed}: the scan failed: {e}"));
        deleter.join().unwrap();
        let verdict = gate::evaluate(&GatePolicy::default(), &result);
        let text = report::render(
            &Report {
                result: &result,
                verdict: &verdict,
                category: None,
                all_rules: false,
            },
            Format::Sarif,
            false,
        );
        let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "seed {seed}: {errors:#?}");
        let mut paths: std::collections::BTreeSet<String> = result
            .findings
            .iter()
            .map(|f| f.location.path.clone())
            .collect();
        paths.extend(result.notifications.iter().filter_map(|n| n.path.clone()));
        check_uris(&sarif, &paths);
        total_results += result.findings.len();
        // Put the permissions back so the temporary directory can be removed.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(
            root.join("locked dir"),
            std::fs::Permissions::from_mode(0o755),
        );
    }
    assert!(total_results > 24, "the trees have findings to locate");
}
