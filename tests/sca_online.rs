//! The network paths against a local HTTP server on 127.0.0.1 that each test starts: `--online` (osv.dev's
//! `/v1/querybatch` and `/v1/vulns/{id}`, retries, pagination, the on-disk cache) and `tollgate db update`
//! (download, ETag, resume with Range, atomic replace) / `db info`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tollgate::cli::db;
use tollgate::engine::{Job, JobOutput, ScanContext, SourceFile};
use tollgate::finding::NoteLevel;
use tollgate::sca::model::Ecosystem;
use tollgate::sca::{Config, ScaJob};

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn resp(status: u16, body: impl Into<Vec<u8>>) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: body.into(),
    }
}

type Handler = dyn Fn(&Request, usize) -> Response + Send + Sync;

/// A tiny HTTP/1.1 server: one request per connection. Returns its base URL and the request log.
fn serve(handler: Box<Handler>) -> (String, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let mut headers = BTreeMap::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let req = Request {
                method,
                path,
                headers,
                body,
            };
            let n = {
                let mut l = log2.lock().unwrap();
                l.push(req.clone());
                l.len()
            };
            let r = handler(&req, n);
            let reason = match r.status {
                200 => "OK",
                206 => "Partial Content",
                304 => "Not Modified",
                _ => "Status",
            };
            let mut out = format!("HTTP/1.1 {} {reason}\r\nConnection: close\r\n", r.status);
            if r.status != 304 {
                out.push_str(&format!("Content-Length: {}\r\n", r.body.len()));
            }
            for (k, v) in &r.headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&r.body);
            let _ = stream.flush();
        }
    });
    (base, log)
}

fn fixture(eco: &str, id: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/osv/{eco}/{id}.json")),
    )
    .unwrap()
}

fn modified(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json).unwrap()["modified"]
        .as_str()
        .unwrap()
        .to_string()
}

fn project(dir: &Path) -> Vec<SourceFile> {
    std::fs::write(
        dir.join("requirements.txt"),
        "alphapkg==0.9\nbeta-pkg==9.9\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"dependencies":{"leftpadx":"1.0.0"}}"#,
    )
    .unwrap();
    ["requirements.txt", "package.json"]
        .iter()
        .map(|r| SourceFile {
            rel: r.to_string(),
            abs: dir.join(r),
            size: 1,
        })
        .collect()
}

fn scan(cfg: &Config, root: &Path, files: &[SourceFile]) -> JobOutput {
    ScaJob::new(cfg, &[])
        .unwrap()
        .scan(files, &ScanContext::new(root.to_path_buf()))
}

/// The fake osv.dev: the first querybatch answers 503; alphapkg's results come in two pages.
fn fake_osv() -> (String, Arc<Mutex<Vec<Request>>>) {
    serve(Box::new(|req, n| {
        if req.method == "POST" && req.path == "/v1/querybatch" {
            if n == 1 {
                return Response {
                    status: 503,
                    headers: vec![("Retry-After".into(), "0".into())],
                    body: b"busy".to_vec(),
                };
            }
            let q: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            let results: Vec<serde_json::Value> = q["queries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| {
                    let (name, eco, ver) = (
                        q["package"]["name"].as_str().unwrap(),
                        q["package"]["ecosystem"].as_str().unwrap(),
                        q["version"].as_str().unwrap(),
                    );
                    let page = q.get("page_token").and_then(|t| t.as_str());
                    match (eco, name, ver, page) {
                        ("PyPI", "alphapkg", "0.9", None) => serde_json::json!({
                            "vulns": [{"id": "PYSEC-2099-1", "modified": modified(&fixture("PyPI", "PYSEC-2099-1"))}],
                            "next_page_token": "page2"
                        }),
                        ("PyPI", "alphapkg", "0.9", Some("page2")) => serde_json::json!({
                            "vulns": [{"id": "GHSA-aaaa-bbbb-cccc", "modified": modified(&fixture("PyPI", "GHSA-aaaa-bbbb-cccc"))}]
                        }),
                        ("npm", "leftpadx", "1.0.0", None) => serde_json::json!({
                            "vulns": [{"id": "GHSA-npm1-aaaa-bbbb", "modified": modified(&fixture("npm", "GHSA-npm1-aaaa-bbbb"))}]
                        }),
                        _ => serde_json::json!({}),
                    }
                })
                .collect();
            return resp(200, serde_json::json!({ "results": results }).to_string());
        }
        if let Some(id) = req.path.strip_prefix("/v1/vulns/") {
            let eco = if id.starts_with("GHSA-npm") {
                "npm"
            } else {
                "PyPI"
            };
            let p =
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/osv/{eco}/{id}.json"));
            return match std::fs::read(p) {
                Ok(b) => resp(200, b),
                Err(_) => resp(404, "{}"),
            };
        }
        resp(404, "not found")
    }))
}

#[test]
fn online_queries_batch_pages_retries_and_caches() {
    std::env::set_var("TOLLGATE_OSV_API_BACKOFF_MS", "5");
    let (base, log) = fake_osv();
    let tmp = tempfile::tempdir().unwrap();
    let files = project(tmp.path());
    let cfg = Config {
        online: true,
        api_url: Some(base.clone()),
        cache_dir: Some(tmp.path().join("cache")),
        osv_db: Some(tmp.path().join("no-offline-db-needed")),
        ..Config::default()
    };
    let out = scan(&cfg, tmp.path(), &files);
    assert!(!out.failed, "{:#?}", out.notifications);
    let mut got: Vec<(String, String)> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.properties["package"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("GHSA-aaaa-bbbb-cccc".to_string(), "alphapkg".to_string()),
            ("GHSA-npm1-aaaa-bbbb".to_string(), "leftpadx".to_string()),
        ]
    );
    assert_eq!(
        out.properties["osv_source"],
        serde_json::json!(format!("online:{base}"))
    );
    let reqs = log.lock().unwrap().clone();
    // 503, page 1, page 2, then one GET per advisory.
    let batches: Vec<&Request> = reqs.iter().filter(|r| r.path == "/v1/querybatch").collect();
    assert_eq!(batches.len(), 3);
    let first: serde_json::Value = serde_json::from_slice(&batches[1].body).unwrap();
    assert_eq!(first["queries"].as_array().unwrap().len(), 3);
    let page2: serde_json::Value = serde_json::from_slice(&batches[2].body).unwrap();
    assert_eq!(page2["queries"][0]["page_token"], "page2");
    let gets = |l: &[Request]| l.iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets(&reqs), 3);

    // Second run: every record comes from the cache (same id and modified).
    let out2 = scan(&cfg, tmp.path(), &files);
    assert_eq!(out2.findings.len(), 2);
    assert_eq!(gets(&log.lock().unwrap()), 3);
    assert!(out2
        .notifications
        .iter()
        .any(|n| n.code == "osv-online"
            && n.message.contains("0 advisories fetched, 3 from the cache")));
    // A cached record whose `modified` differs is fetched again.
    let cached = tmp.path().join("cache/osv-api/GHSA-npm1-aaaa-bbbb.json");
    let stale = std::fs::read_to_string(&cached)
        .unwrap()
        .replace("2025-05-05", "2020-01-01");
    std::fs::write(&cached, stale).unwrap();
    scan(&cfg, tmp.path(), &files);
    assert_eq!(gets(&log.lock().unwrap()), 4);
}

#[test]
fn online_failure_fails_the_job() {
    std::env::set_var("TOLLGATE_OSV_API_BACKOFF_MS", "5");
    let (base, log) = serve(Box::new(|_, _| resp(500, "down")));
    let tmp = tempfile::tempdir().unwrap();
    let files = project(tmp.path());
    let cfg = Config {
        online: true,
        api_url: Some(base),
        cache_dir: Some(tmp.path().join("cache")),
        ..Config::default()
    };
    let out = scan(&cfg, tmp.path(), &files);
    assert!(out.failed);
    let n = out
        .notifications
        .iter()
        .find(|n| n.level == NoteLevel::Error)
        .unwrap();
    assert!(
        n.message.contains("HTTP 500") && n.message.contains("5 attempts"),
        "{}",
        n.message
    );
    assert_eq!(log.lock().unwrap().len(), 5);
    // 4xx is not retried.
    let (base, log) = serve(Box::new(|_, _| resp(400, "bad")));
    let cfg = Config {
        api_url: Some(base),
        ..cfg
    };
    assert!(scan(&cfg, tmp.path(), &files).failed);
    assert_eq!(log.lock().unwrap().len(), 1);
}

fn zip_bytes() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        for id in ["PYSEC-2099-1", "PYSEC-2099-2", "PYSEC-2099-5"] {
            z.start_file(
                format!("{id}.json"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(fixture("PyPI", id).as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// A dump server with ETag and Range support.
fn dump_server(zip: Vec<u8>) -> (String, Arc<Mutex<Vec<Request>>>) {
    serve(Box::new(move |req, _| {
        if req.path != "/PyPI/all.zip" {
            return resp(404, "no");
        }
        let etag = "\"v1\"".to_string();
        if req.headers.get("if-none-match") == Some(&etag) {
            return Response {
                status: 304,
                headers: vec![("ETag".into(), etag)],
                body: Vec::new(),
            };
        }
        if let Some(r) = req.headers.get("range") {
            let start: usize = r
                .trim_start_matches("bytes=")
                .trim_end_matches('-')
                .parse()
                .unwrap();
            return Response {
                status: 206,
                headers: vec![
                    ("ETag".into(), etag),
                    (
                        "Content-Range".into(),
                        format!("bytes {start}-{}/{}", zip.len() - 1, zip.len()),
                    ),
                ],
                body: zip[start..].to_vec(),
            };
        }
        Response {
            status: 200,
            headers: vec![("ETag".into(), etag)],
            body: zip.clone(),
        }
    }))
}

#[test]
fn db_update_downloads_checks_etag_and_resumes() {
    let zip = zip_bytes();
    let (base, log) = dump_server(zip.clone());
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("osv");

    let o = db::update(&dir, Ecosystem::PyPI, &base, false).unwrap();
    let target = dir.join("PyPI/all.zip");
    assert_eq!(std::fs::read(&target).unwrap(), zip);
    match &o {
        db::UpdateOutcome::Downloaded {
            meta, resumed_from, ..
        } => {
            assert_eq!(*resumed_from, 0);
            assert_eq!(meta.etag.as_deref(), Some("\"v1\""));
            assert_eq!(meta.size, zip.len() as u64);
            assert_eq!(meta.sha256.len(), 64);
        }
        other => panic!("{other:?}"),
    }
    let meta: db::DumpMeta =
        serde_json::from_str(&std::fs::read_to_string(dir.join("PyPI/all.zip.meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta.url, format!("{base}/PyPI/all.zip"));
    assert!(!dir.join("PyPI/all.zip.part").exists());

    // Same ETag: 304, nothing rewritten.
    let o = db::update(&dir, Ecosystem::PyPI, &base, false).unwrap();
    assert!(matches!(o, db::UpdateOutcome::UpToDate { .. }), "{o:?}");
    assert_eq!(
        log.lock()
            .unwrap()
            .last()
            .unwrap()
            .headers
            .get("if-none-match")
            .map(String::as_str),
        Some("\"v1\"")
    );

    // An interrupted download resumes from the .part file with a Range request.
    std::fs::remove_file(&target).unwrap();
    std::fs::write(dir.join("PyPI/all.zip.part"), &zip[..100]).unwrap();
    let o = db::update(&dir, Ecosystem::PyPI, &base, false).unwrap();
    match o {
        db::UpdateOutcome::Downloaded { resumed_from, .. } => assert_eq!(resumed_from, 100),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        log.lock()
            .unwrap()
            .last()
            .unwrap()
            .headers
            .get("range")
            .map(String::as_str),
        Some("bytes=100-")
    );
    assert_eq!(std::fs::read(&target).unwrap(), zip);

    // db info reads what was installed.
    let rows = db::info(&dir, Some(&tmp.path().join("cache")));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].ecosystem, "PyPI");
    assert_eq!(rows[0].records, 3);
    assert_eq!(rows[0].withdrawn, 1);
    assert_eq!(rows[0].newest_modified, "2025-06-01T00:00:00Z");
    assert!(rows[0].age_days.unwrap() > 0);
    assert_eq!(rows[0].size, zip.len() as u64);
    let text = db::render_info(&dir, &rows);
    assert!(
        text.contains("3 records (1 withdrawn)") && text.contains("age "),
        "{text}"
    );
}

#[test]
fn db_update_rejects_a_download_that_is_not_a_zip() {
    let (base, _log) = serve(Box::new(|_, _| resp(200, "<html>captive portal</html>")));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("osv");
    std::fs::create_dir_all(dir.join("PyPI")).unwrap();
    std::fs::write(dir.join("PyPI/all.zip"), zip_bytes()).unwrap();
    let err = db::update(&dir, Ecosystem::PyPI, &base, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a readable zip"), "{err}");
    // The installed database is untouched.
    assert_eq!(
        std::fs::read(dir.join("PyPI/all.zip")).unwrap(),
        zip_bytes()
    );
    let (base, _log) = serve(Box::new(|_, _| resp(404, "missing")));
    let err = db::update(&dir, Ecosystem::Npm, &base, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 404"), "{err}");
}

#[test]
fn online_batches_hold_at_most_1000_queries() {
    std::env::set_var("TOLLGATE_OSV_API_BACKOFF_MS", "5");
    let (base, log) = fake_osv();
    let tmp = tempfile::tempdir().unwrap();
    let client = tollgate::sca::osv::online::Client::new(&base, Some(tmp.path()));
    let mut queries: Vec<(Ecosystem, String, String)> = (0..1500)
        .map(|i| (Ecosystem::Npm, format!("pkg{i}"), "1.0.0".to_string()))
        .collect();
    queries.push((Ecosystem::PyPI, "alphapkg".into(), "0.9".into()));
    let r = client.lookup(&queries).unwrap();
    let sizes: Vec<usize> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path == "/v1/querybatch" && !r.body.is_empty())
        .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
        .map(|v| v["queries"].as_array().unwrap().len())
        .collect();
    // The first request is answered 503 and retried; then 1000 + 501, then alphapkg's second page.
    assert_eq!(sizes, vec![1000, 1000, 501, 1]);
    let pypi = &r.indexes[&Ecosystem::PyPI];
    assert_eq!(pypi.lookup("alphapkg").count(), 2);
    assert_eq!(r.fetched, 2);
}
