//! `tollgate github upload` and `tollgate scan --github-upload` against a local server that checks every
//! request the way GitHub's REST documentation describes "Upload an analysis as SARIF data" and "Get
//! information about a SARIF upload": bearer token, `Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version`, a user agent, the body fields, and a gzip+base64 payload that decodes to the SARIF.
//! Processing errors, secondary rate limits (`Retry-After`) and 5xx answers included.

use assert_cmd::Command;
use base64::Engine;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TOKEN: &str = "ghs_test0nly0token0value0000000000000";
const SHA: &str = "4b6472266afd7b471e86085a6659e8c7f2b119da";
const UPLOAD_ID: &str = "47177e22-5596-11eb-80a1-c1e54ef945c6";

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

struct Resp {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

fn resp(status: u16, body: Value) -> Resp {
    Resp {
        status,
        headers: Vec::new(),
        body,
    }
}

type Handler = dyn Fn(&Req, usize) -> Resp + Send + Sync;

/// A tiny HTTP/1.1 server: one request per connection; `handler(request, n)` gets the 0-based number of
/// requests with the same method and path seen before.
fn serve(handler: Box<Handler>) -> (String, Arc<Mutex<Vec<Req>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: Arc<Mutex<Vec<Req>>> = Arc::default();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let req = Req {
                method,
                path,
                headers,
                body,
            };
            let n = log2
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.method == req.method && r.path == req.path)
                .count();
            let r = handler(&req, n);
            log2.lock().unwrap().push(req);
            let body = r.body.to_string();
            let mut out = format!(
                "HTTP/1.1 {} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
                r.status,
                body.len()
            );
            for (k, v) in r.headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            let _ = stream.write_all(out.as_bytes());
        }
    });
    (base, log)
}

const SARIFS: &str = "/repos/octo/shop/code-scanning/sarifs";

fn status_path() -> String {
    format!("{SARIFS}/{UPLOAD_ID}")
}

fn accepted() -> Resp {
    resp(
        202,
        json!({ "id": UPLOAD_ID, "url": format!("https://api.github.com{SARIFS}/{UPLOAD_ID}") }),
    )
}

fn complete() -> Resp {
    resp(
        200,
        json!({ "processing_status": "complete",
                "analyses_url": format!("https://api.github.com/repos/octo/shop/code-scanning/analyses?sarif_id={UPLOAD_ID}") }),
    )
}

fn tollgate(base: &str) -> Command {
    let mut c = Command::cargo_bin("tollgate").unwrap();
    c.current_dir(ROOT)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env_remove("TOLLGATE_OSV_DB")
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "octo/shop")
        .env("GITHUB_SHA", SHA)
        .env("GITHUB_REF", "refs/pull/42/merge")
        .env("GITHUB_API_URL", base)
        .env("GITHUB_WORKSPACE", "/home/runner/work/shop/shop")
        .env("TOLLGATE_GITHUB_POLL_MS", "10");
    c
}

fn sarif_file(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let p = dir.join("in.sarif");
    let out = Command::cargo_bin("tollgate")
        .unwrap()
        .current_dir(ROOT)
        .args([
            "scan",
            "fixtures/report",
            "--job",
            "secrets,sast",
            "--no-progress",
            "-q",
            "--sarif-out",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&p).unwrap();
    (p, text)
}

/// The SARIF a POST carried, checked field by field against GitHub's documentation.
fn check_post(r: &Req) -> String {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, SARIFS);
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
    assert!(r.header("user-agent").unwrap().starts_with("tollgate/"));
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let body = r.json();
    assert_eq!(body["commit_sha"], SHA);
    assert_eq!(body["ref"], "refs/pull/42/merge");
    assert_eq!(body["tool_name"], "tollgate");
    assert_eq!(body["checkout_uri"], "file:///home/runner/work/shop/shop");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "only documented fields: {keys:?}");
    let gz = base64::engine::general_purpose::STANDARD
        .decode(body["sarif"].as_str().unwrap())
        .expect("base64");
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip");
    let mut sarif = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut sarif)
        .unwrap();
    sarif
}

fn check_get(r: &Req) {
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, status_path());
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
}

#[test]
fn upload_then_wait_until_processed() {
    let (base, log) = serve(Box::new(|r, n| match (r.method.as_str(), n) {
        ("POST", _) => accepted(),
        // not known yet, then pending, then done
        ("GET", 0) => resp(404, json!({ "message": "Not Found" })),
        ("GET", 1) => resp(200, json!({ "processing_status": "pending" })),
        _ => complete(),
    }));
    let dir = tempfile::tempdir().unwrap();
    let (file, text) = sarif_file(dir.path());
    let out = tollgate(&base)
        .args(["github", "upload"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("analysis: https://api.github.com/repos/octo/shop/code-scanning/analyses?sarif_id={UPLOAD_ID}")), "{stdout}");
    assert!(
        stdout.contains("https://github.com/octo/shop/security/code-scanning"),
        "{stdout}"
    );
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    let reqs = log.lock().unwrap().clone();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        check_post(&reqs[0]),
        text,
        "the payload decodes to the file, byte for byte"
    );
    for r in &reqs[1..] {
        check_get(r);
    }
}

#[test]
fn category_and_flags_override_the_environment() {
    let (base, log) = serve(Box::new(|r, _| match r.method.as_str() {
        "POST" => accepted(),
        _ => complete(),
    }));
    let dir = tempfile::tempdir().unwrap();
    let (file, text) = sarif_file(dir.path());
    let out = tollgate("http://127.0.0.1:9")
        .args(["github", "upload", "--category", "backend"])
        .arg(&file)
        .args([
            "--github-api-url",
            &base,
            "--github-repo",
            "octo/shop",
            "--github-ref",
            "refs/heads/main",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = log.lock().unwrap().clone();
    let body = reqs[0].json();
    assert_eq!(body["ref"], "refs/heads/main");
    let mut sent: Value = {
        let gz = base64::engine::general_purpose::STANDARD
            .decode(body["sarif"].as_str().unwrap())
            .unwrap();
        let mut s = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut s)
            .unwrap();
        serde_json::from_str(&s).unwrap()
    };
    assert_eq!(sent["runs"][0]["automationDetails"]["id"], "backend/");
    sent["runs"][0]["automationDetails"]["id"] = json!("tollgate/");
    assert_eq!(
        sent,
        serde_json::from_str::<Value>(&text).unwrap(),
        "only the category changed"
    );
}

#[test]
fn processing_errors_exit_2() {
    let (base, _log) = serve(Box::new(|r, _| match r.method.as_str() {
        "POST" => accepted(),
        _ => resp(
            200,
            json!({ "processing_status": "failed", "analyses_url": null,
                    "errors": ["locationFromSarifResult: expected artifact location"] }),
        ),
    }));
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = sarif_file(dir.path());
    let out = tollgate(&base)
        .args(["github", "upload"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not process the SARIF"), "{stderr}");
    assert!(stderr.contains("expected artifact location"), "{stderr}");
}

#[test]
fn secondary_rate_limit_and_5xx_are_retried_honouring_retry_after() {
    let (base, log) = serve(Box::new(|r, n| match (r.method.as_str(), n) {
        ("POST", 0) => Resp {
            status: 403,
            headers: vec![("Retry-After", "1".to_string())],
            body: json!({ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }),
        },
        ("POST", 1) => resp(502, json!({ "message": "Server Error" })),
        ("POST", _) => accepted(),
        ("GET", 0) => Resp {
            status: 429,
            headers: vec![("Retry-After", "0".to_string())],
            body: json!({ "message": "rate limited" }),
        },
        _ => complete(),
    }));
    let dir = tempfile::tempdir().unwrap();
    let (file, text) = sarif_file(dir.path());
    let start = Instant::now();
    let out = tollgate(&base)
        .args(["github", "upload"])
        .arg(&file)
        .output()
        .unwrap();
    let took = start.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        took >= Duration::from_secs(2),
        "waited 1s (Retry-After) + 1s (back-off): {took:?}"
    );
    let reqs = log.lock().unwrap().clone();
    let posts: Vec<&Req> = reqs.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 3);
    for p in posts {
        assert_eq!(check_post(p), text);
    }
    assert_eq!(reqs.iter().filter(|r| r.method == "GET").count(), 2);
}

#[test]
fn retries_are_bounded_and_permission_errors_are_not_retried() {
    let (base, log) = serve(Box::new(|_, _| Resp {
        status: 503,
        headers: vec![("Retry-After", "0".to_string())],
        body: json!({ "message": "Service Unavailable" }),
    }));
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = sarif_file(dir.path());
    let out = tollgate(&base)
        .args(["github", "upload"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 503"));
    assert_eq!(log.lock().unwrap().len(), 5, "5 attempts, then give up");

    let (base, log) = serve(Box::new(|_, _| {
        resp(
            403,
            json!({ "message": "Resource not accessible by integration",
                          "documentation_url": "https://docs.github.com/rest/code-scanning/code-scanning#upload-an-analysis-as-sarif-data" }),
        )
    }));
    let out = tollgate(&base)
        .args(["github", "upload"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Resource not accessible by integration")
            && stderr.contains("security-events: write"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN));
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn missing_token_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = sarif_file(dir.path());
    let out = tollgate("http://127.0.0.1:9")
        .env_remove("GITHUB_TOKEN")
        .args(["github", "upload"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no GitHub token"));
}

#[test]
fn scan_uploads_the_sarif_it_writes() {
    let (base, log) = serve(Box::new(|r, _| match r.method.as_str() {
        "POST" => accepted(),
        _ => complete(),
    }));
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let out = tollgate(&base)
        .args([
            "scan",
            "fixtures/report",
            "--job",
            "secrets,sast",
            "--no-progress",
            "-q",
            "--github-upload",
            "--sarif-out",
        ])
        .arg(&sarif)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the gate's verdict stands: {stderr}"
    );
    assert!(
        stderr.contains(&format!("upload {UPLOAD_ID} processed")),
        "{stderr}"
    );
    let reqs = log.lock().unwrap().clone();
    // the same SARIF, with paths from the repository root (here: the working directory)
    let sent: Value = serde_json::from_str(&check_post(&reqs[0])).unwrap();
    let mut written: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let uri = |v: &Value| {
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .clone()
    };
    assert_eq!(uri(&written), "app.py");
    assert_eq!(uri(&sent), "fixtures/report/app.py");
    tollgate::report::sarif::prefix_uris(&mut written, "fixtures/report");
    assert_eq!(sent, written);
}

#[test]
fn a_sarif_over_githubs_size_limit_is_refused_before_sending() {
    let (base, log) = serve(Box::new(|r, _| match r.method.as_str() {
        "POST" => accepted(),
        _ => complete(),
    }));
    let dir = tempfile::tempdir().unwrap();
    // 16 MB of text that gzip cannot shrink below 10 MiB, in one message
    let mut x: u64 = 7;
    let noise: String = (0..16_000_000)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'!' + ((x >> 33) % 90) as u8)
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let doc = json!({ "version": "2.1.0", "runs": [{ "tool": { "driver": { "name": "other" } },
        "results": [{ "message": { "text": noise } }] }] });
    let file = dir.path().join("big.sarif");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = tollgate(&base)
        .args(["github", "upload"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over GitHub's limit"));
    assert!(log.lock().unwrap().is_empty(), "nothing sent");
}
