//! First run just works: `tollgate scan` with no advisory database configured downloads the dumps of the
//! ecosystems the tree uses into the user cache directory, from a local HTTP server on 127.0.0.1 here
//! (`TOLLGATE_OSV_DUMP_URL`); a second run reuses them; an old copy is refreshed (conditionally);
//! `--offline` never fetches and keeps the clear error.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: BTreeMap<String, String>,
}

type Log = Arc<Mutex<Vec<Request>>>;

/// A dump server: `/PyPI/all.zip` with an ETag (304 for If-None-Match), 404 elsewhere; `status` overrides
/// every answer when set (to play a broken server).
fn dump_server(zip: Vec<u8>, status: Arc<Mutex<Option<u16>>>) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.is_empty() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut headers = BTreeMap::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 {
                    break;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let req = Request { path, headers };
            log2.lock().unwrap().push(req.clone());
            let etag = "\"v1\"";
            let (code, body): (u16, Vec<u8>) = match *status.lock().unwrap() {
                Some(c) => (c, b"broken".to_vec()),
                None if req.path != "/PyPI/all.zip" => (404, b"no".to_vec()),
                None if req.headers.get("if-none-match").map(String::as_str) == Some(etag) => {
                    (304, Vec::new())
                }
                None => (200, zip.clone()),
            };
            let mut out = format!("HTTP/1.1 {code} X\r\nConnection: close\r\nETag: {etag}\r\n");
            if code != 304 {
                out.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            out.push_str("\r\n");
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
    });
    (base, log)
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The PyPI fixture advisories as an osv.dev dump.
fn zip_bytes() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let mut entries: Vec<_> = std::fs::read_dir(fixtures().join("osv/PyPI"))
            .unwrap()
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            z.start_file(
                e.file_name().to_string_lossy(),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            let mut text = Vec::new();
            std::fs::File::open(e.path())
                .unwrap()
                .read_to_end(&mut text)
                .unwrap();
            z.write_all(&text).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

struct Env {
    project: tempfile::TempDir,
    cache: tempfile::TempDir,
    base: String,
    log: Log,
    status: Arc<Mutex<Option<u16>>>,
}

fn setup() -> Env {
    let project = tempfile::tempdir().unwrap();
    // alphapkg 1.0.0 is affected by PYSEC-2099-1 in the fixtures.
    std::fs::write(project.path().join("requirements.txt"), "alphapkg==1.0.0\n").unwrap();
    let status = Arc::new(Mutex::new(None));
    let (base, log) = dump_server(zip_bytes(), status.clone());
    Env {
        project,
        cache: tempfile::tempdir().unwrap(),
        base,
        log,
        status,
    }
}

impl Env {
    fn scan(&self, extra: &[&str]) -> std::process::Output {
        Command::cargo_bin("tollgate")
            .unwrap()
            .env_remove("TOLLGATE_OSV_DB")
            .env_remove("TOLLGATE_OFFLINE")
            .env_remove("TOLLGATE_DB_MAX_AGE")
            .env("XDG_CACHE_HOME", self.cache.path())
            .env("TOLLGATE_OSV_DUMP_URL", &self.base)
            .args(["scan", "--job", "sca", "--no-config", "--format", "json"])
            .args(extra)
            .arg(self.project.path())
            .output()
            .unwrap()
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    fn zip(&self) -> std::path::PathBuf {
        self.cache.path().join("tollgate/osv/PyPI/all.zip")
    }
}

fn finds_alphapkg(out: &std::process::Output) -> bool {
    let text = String::from_utf8_lossy(&out.stdout);
    text.contains("PYSEC-2099-1") && text.contains("alphapkg")
}

#[test]
fn first_run_downloads_what_the_tree_needs_then_reuses_it() {
    let env = setup();
    let out = env.scan(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        finds_alphapkg(&out),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("downloading the PyPI advisory database"),
        "{stderr}"
    );
    // Only PyPI: the tree has no npm or Cargo manifest.
    let reqs = env.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].path, "/PyPI/all.zip");
    assert!(env.zip().is_file());

    // Second run: fresh enough, no request at all.
    let out = env.scan(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(finds_alphapkg(&out));
    assert_eq!(env.requests().len(), 1);
}

#[test]
fn an_old_copy_is_refreshed_conditionally_and_kept_when_the_server_fails() {
    let env = setup();
    assert_eq!(env.scan(&[]).status.code(), Some(1));
    // Older than the configured age: asked again with the recorded ETag; 304 keeps it.
    let out = Command::cargo_bin("tollgate")
        .unwrap()
        .env_remove("TOLLGATE_OSV_DB")
        .env("XDG_CACHE_HOME", env.cache.path())
        .env("TOLLGATE_OSV_DUMP_URL", &env.base)
        .env("TOLLGATE_DB_MAX_AGE", "0s")
        .args(["scan", "--job", "sca", "--no-config", "--format", "json"])
        .arg(env.project.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(finds_alphapkg(&out));
    let reqs = env.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(
        reqs[1].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    // The refresh fails (404): a warning, and the cached copy is used.
    *env.status.lock().unwrap() = Some(404);
    let cfg = env.project.path().join("tollgate.toml");
    std::fs::write(&cfg, "[sca]\ndb-max-age = \"0s\"\n").unwrap();
    let out = Command::cargo_bin("tollgate")
        .unwrap()
        .env_remove("TOLLGATE_OSV_DB")
        .env_remove("TOLLGATE_DB_MAX_AGE")
        .env("XDG_CACHE_HOME", env.cache.path())
        .env("TOLLGATE_OSV_DUMP_URL", &env.base)
        .args(["scan", "--job", "sca", "--format", "json"])
        .arg(env.project.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(finds_alphapkg(&out));
    assert!(stderr.contains("cannot refresh"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("osv-db-stale"));
    assert_eq!(env.requests().len(), 3);
}

#[test]
fn offline_never_downloads_and_keeps_the_clear_error() {
    let env = setup();
    let out = env.scan(&["--offline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no OSV advisory database"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(env.requests().is_empty());
    assert!(!env.zip().exists());
    // A configured database is the user's: never downloaded into or refreshed.
    let out = Command::cargo_bin("tollgate")
        .unwrap()
        .env("TOLLGATE_OSV_DB", fixtures().join("osv"))
        .env("XDG_CACHE_HOME", env.cache.path())
        .env("TOLLGATE_OSV_DUMP_URL", &env.base)
        .env("TOLLGATE_DB_MAX_AGE", "0s")
        .args(["scan", "--job", "sca", "--no-config", "--format", "json"])
        .arg(env.project.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(env.requests().is_empty());
}

#[test]
fn a_failed_first_download_is_an_error_that_says_what_to_do() {
    let env = setup();
    *env.status.lock().unwrap() = Some(404);
    let out = env.scan(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert!(stderr.contains("--osv-db"), "{stderr}");
    assert!(!env.zip().exists());
    // The report is still written, and says why the SCA job could not run.
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("osv-db-download"), "{report}");
    assert!(report.contains("\"error\""), "{report}");
}
