//! The HTTP service end to end: a real `tollgate serve` (in-process, on 127.0.0.1, SQLite store in a temp
//! directory) driven over HTTP. Every documented operation answers as `openapi.yaml` says and nothing
//! else answers; the API gives the CLI's SARIF bytes for the same tree; hostile archives, limits, auth,
//! async scans with cancel and expiry, and shutdown.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tollgate::server::{self, store, AppState, ServeConfig, Shared};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo_osv() -> PathBuf {
    root().join("fixtures/demo-osv")
}

struct TestServer {
    base: String,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    client: reqwest::Client,
}

impl TestServer {
    async fn start(tweak: impl FnOnce(&mut ServeConfig)) -> TestServer {
        // reqwest is built without a TLS provider (the project installs ring once)
        tollgate::http::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = ServeConfig::new(dir.path().join("data"));
        cfg.osv_db = Some(demo_osv());
        cfg.base_config.sca.osv_db = Some(demo_osv());
        cfg.workers = 1;
        cfg.lease = Duration::from_millis(600);
        tweak(&mut cfg);
        let state = AppState::new(cfg).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let handle = tokio::spawn(async move {
            server::run(st, listener, async move {
                let _ = rx.await;
            })
            .await
        });
        TestServer {
            base,
            state,
            stop: Some(tx),
            handle: Some(handle),
            _dir: dir,
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    async fn get_json(&self, p: &str) -> serde_json::Value {
        self.client
            .get(self.url(p))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.handle.take().unwrap().await.unwrap().unwrap();
    }
}

/// Every file below `dir`, as the JSON body's `files`.
fn tree_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn json_body(files: &[(String, Vec<u8>)]) -> serde_json::Value {
    serde_json::json!({
        "files": files.iter().map(|(p, c)| serde_json::json!({
            "path": p, "content": String::from_utf8_lossy(c)
        })).collect::<Vec<_>>()
    })
}

fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (p, c) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(c.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // set the raw name so that hostile names (.., absolute) are written as they are
        let name = &mut h.as_old_mut().name;
        name[..p.len()].copy_from_slice(p.as_bytes());
        h.set_cksum();
        b.append(&h, *c).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

fn tar_gz_of_dir(dir: &Path) -> Vec<u8> {
    let files = tree_files(dir);
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    tar_gz(&refs)
}

fn cli_sarif(dir: &Path) -> String {
    let out = tempfile::NamedTempFile::new().unwrap();
    let st = assert_cmd::Command::cargo_bin("tollgate")
        .unwrap()
        .arg("scan")
        .arg(dir)
        .arg("--osv-db")
        .arg(demo_osv())
        .arg("--quiet")
        .arg("--sarif-out")
        .arg(out.path())
        .env("XDG_CACHE_HOME", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1), "the demo fails the gate");
    std::fs::read_to_string(out.path()).unwrap()
}

async fn problem(resp: reqwest::Response, status: u16, kind: &str) -> serde_json::Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    assert_eq!(
        resp.headers()["content-type"],
        "application/problem+json",
        "problem media type"
    );
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        v["type"],
        format!("https://tollgate.dev/problems/{kind}"),
        "{v}"
    );
    assert_eq!(v["status"], status);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gives_the_clis_sarif_bytes_for_the_same_tree() {
    let demo = root().join("fixtures/demo");
    let expected = cli_sarif(&demo);
    let s = TestServer::start(|_| {}).await;
    // JSON body
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .header("accept", "application/sarif+json")
        .json(&json_body(&tree_files(&demo)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/sarif+json");
    assert_eq!(r.text().await.unwrap(), expected, "JSON upload");
    // gzip'd tarball
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .header("accept", "application/sarif+json")
        .header("content-type", "application/gzip")
        .body(tar_gz_of_dir(&demo))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), expected, "tarball upload");
    // zip
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (p, c) in tree_files(&demo) {
        zw.start_file(p, zip::write::SimpleFileOptions::default())
            .unwrap();
        zw.write_all(&c).unwrap();
    }
    let zbytes = zw.finish().unwrap().into_inner();
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .header("accept", "application/sarif+json")
        .header("content-type", "application/zip")
        .body(zbytes)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), expected, "zip upload");
    // multipart files
    let mut form = reqwest::multipart::Form::new();
    for (p, c) in tree_files(&demo) {
        form = form.part("file", reqwest::multipart::Part::bytes(c).file_name(p));
    }
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .header("accept", "application/sarif+json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), expected, "multipart upload");
    // async: same bytes from GET /v1/scans/{id}/sarif
    let r = s
        .client
        .post(s.url("/v1/scans?async=true"))
        .json(&json_body(&tree_files(&demo)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let v = wait_done(&s, &loc).await;
    assert_eq!(v["status"], "done");
    assert_eq!(v["verdict"]["outcome"], "failed");
    let sarif = s
        .client
        .get(s.url(&format!("{loc}/sarif")))
        .send()
        .await
        .unwrap();
    assert_eq!(sarif.status(), 200);
    assert_eq!(sarif.text().await.unwrap(), expected, "async scan");
    // The first scan filled the store's result cache; the four after it read it and still gave the CLI's
    // bytes.
    assert!(s.state.store.cache_len().await.unwrap() > 0);
    assert!(s.state.metrics.cache_hits.get() > 0);
    let metrics = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tollgate_result_cache_hits_total"),
        "{metrics}"
    );
    s.stop().await;
}

async fn wait_done(s: &TestServer, loc: &str) -> serde_json::Value {
    for _ in 0..600 {
        let v: serde_json::Value = s.get_json(loc).await;
        if ["done", "failed", "cancelled"].contains(&v["status"].as_str().unwrap_or("")) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("scan {loc} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_answer_has_verdict_summary_findings_and_honours_the_trees_config() {
    let s = TestServer::start(|_| {}).await;
    let files = vec![
        (
            "app.py".to_string(),
            b"import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n".to_vec(),
        ),
        (
            "tollgate.toml".to_string(),
            b"fail-on = \"never\"\nrules = [\"/etc\"]\n[sca]\nosv-db = \"/\"\nonline = true\n"
                .to_vec(),
        ),
    ];
    let r = s
        .client
        .post(s.url("/v1/scans?jobs=sast,secrets"))
        .json(&json_body(&files))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "done");
    assert!(!v["findings"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(
        v["verdict"]["outcome"], "passed",
        "fail-on = never from the tree's config"
    );
    let ignored: Vec<&str> = v["ignored_config_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(ignored, ["rules", "sca.osv-db", "sca.online"]);
    // the request's fail_on wins over the tree's
    let r = s
        .client
        .post(s.url("/v1/scans?jobs=sast&fail_on=low"))
        .json(&json_body(&files))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["verdict"]["outcome"], "failed");
    // GET gives the stored scan
    let id = v["id"].as_str().unwrap();
    let g: serde_json::Value = s.get_json(&format!("/v1/scans/{id}")).await;
    assert_eq!(g["status"], "done");
    assert_eq!(g["findings"], v["findings"]);
    // an invalid tree config is a 422 naming the file and line
    let bad = vec![
        ("a.py".to_string(), b"x = 1\n".to_vec()),
        ("tollgate.toml".to_string(), b"\nfail-onn = 1\n".to_vec()),
    ];
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .json(&json_body(&bad))
        .send()
        .await
        .unwrap();
    let p = problem(r, 422, "invalid-config").await;
    assert!(
        p["detail"].as_str().unwrap().contains("tollgate.toml:2"),
        "{p}"
    );
    // unknown and bad parameters
    let r = s
        .client
        .post(s.url("/v1/scans?fail_onn=high"))
        .json(&json_body(&files))
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid-request").await;
    let r = s
        .client
        .post(s.url("/v1/scans?fail_on=extreme"))
        .json(&json_body(&files))
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid-request").await;
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    problem(r, 415, "unsupported-media-type").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_archives_are_refused_naming_the_entry() {
    let s = TestServer::start(|c| {
        c.limits.max_uncompressed = 1024 * 1024;
        c.limits.max_files = 10;
        c.limits.max_path_len = 200;
    })
    .await;
    let send = |body: Vec<u8>, ct: &'static str| {
        s.client
            .post(s.url("/v1/scans"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    for (name, why) in [
        ("../escape.py", "leaves the tree"),
        ("/etc/cron.d/x", "absolute"),
        ("a/../../x", "leaves the tree"),
    ] {
        let r = send(
            tar_gz(&[("ok.py", b"x=1"), (name, b"y=2")]),
            "application/gzip",
        )
        .await
        .unwrap();
        let p = problem(r, 422, "invalid-archive").await;
        assert_eq!(p["entry"], name);
        assert!(p["detail"].as_str().unwrap().contains(why), "{p}");
    }
    // duplicate entries
    let r = send(
        tar_gz(&[("a.py", b"1"), ("./a.py", b"2")]),
        "application/gzip",
    )
    .await
    .unwrap();
    let p = problem(r, 422, "invalid-archive").await;
    assert!(p["detail"].as_str().unwrap().contains("twice"), "{p}");
    // links and devices
    for (kind, link) in [
        (tar::EntryType::Symlink, "/etc/passwd"),
        (tar::EntryType::Link, "../../etc/shadow"),
        (tar::EntryType::Char, ""),
        (tar::EntryType::Fifo, ""),
    ] {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_path("innocent.py").unwrap();
        if !link.is_empty() {
            h.set_link_name(link).unwrap();
        }
        h.set_cksum();
        b.append(&h, &[][..]).unwrap();
        let body = b.into_inner().unwrap().finish().unwrap();
        let r = send(body, "application/gzip").await.unwrap();
        let p = problem(r, 422, "invalid-archive").await;
        assert_eq!(p["entry"], "innocent.py", "{kind:?}");
    }
    // a decompression bomb stops at the limit
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let r = send(tar_gz(&[("zeros.bin", &zeros)]), "application/gzip")
        .await
        .unwrap();
    let p = problem(r, 413, "limit-exceeded").await;
    assert_eq!(p["limit"], "max_uncompressed_size");
    // too many files
    let many: Vec<(String, Vec<u8>)> = (0..11)
        .map(|i| (format!("f{i}.py"), b"x".to_vec()))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let r = send(tar_gz(&refs), "application/gzip").await.unwrap();
    assert_eq!(
        problem(r, 413, "limit-exceeded").await["limit"],
        "max_files"
    );
    // a path too long
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .json(&serde_json::json!({"files": [{"path": "a/".repeat(150) + "x.py", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 413, "limit-exceeded").await["limit"],
        "max_path_len"
    );
    // zip: traversal and symlinks
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zw.start_file("../../evil.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    zw.write_all(b"x").unwrap();
    let r = send(zw.finish().unwrap().into_inner(), "application/zip")
        .await
        .unwrap();
    assert_eq!(
        problem(r, 422, "invalid-archive").await["entry"],
        "../../evil.py"
    );
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zw.add_symlink(
        "link.py",
        "/etc/passwd",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    let r = send(zw.finish().unwrap().into_inner(), "application/zip")
        .await
        .unwrap();
    assert_eq!(problem(r, 422, "invalid-archive").await["entry"], "link.py");
    // garbage that claims to be an archive
    let r = send(b"\x1f\x8bnot really gzip".to_vec(), "application/gzip")
        .await
        .unwrap();
    problem(r, 422, "invalid-archive").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_body_limit_and_busy_replica() {
    let s = TestServer::start(|c| {
        c.limits.max_body = 4096;
        c.limits.max_concurrent_scans = 2;
    })
    .await;
    let big = serde_json::json!({"files": [{"path": "a.py", "content": "x".repeat(10_000)}]});
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 413, "limit-exceeded").await["limit"],
        "max_body_size"
    );
    // every slot taken: 429 with Retry-After, not a wait
    let permits = s
        .state
        .scan_slots
        .clone()
        .acquire_many_owned(2)
        .await
        .unwrap();
    let small = serde_json::json!({"files": [{"path": "a.py", "content": "x = 1\n"}]});
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .json(&small)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["retry-after"], "1");
    problem(r, 429, "too-busy").await;
    drop(permits);
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .json(&small)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_when_configured() {
    let s = TestServer::start(|c| {
        c.token_hashes = tollgate::server::auth::digests_of_tokens("s3cret-token");
    })
    .await;
    let r = s.client.get(s.url("/v1/rules")).send().await.unwrap();
    assert!(r.headers().contains_key("www-authenticate"));
    problem(r, 401, "unauthorized").await;
    let r = s
        .client
        .get(s.url("/v1/rules"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    problem(r, 401, "unauthorized").await;
    let r = s
        .client
        .get(s.url("/v1/rules"))
        .bearer_auth("s3cret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // probes and metrics stay open
    for p in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(
            s.client.get(s.url(p)).send().await.unwrap().status(),
            200,
            "{p}"
        );
    }
    s.stop().await;
    // no tokens: open
    let s = TestServer::start(|_| {}).await;
    assert_eq!(
        s.client
            .get(s.url("/v1/rules"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_scans_cancel_list_and_expire() {
    // No worker: queued scans stay queued until cancelled.
    let s = TestServer::start(|c| c.workers = 0).await;
    let small = serde_json::json!({"files": [{"path": "a.py", "content": "eval(input())\n"}]});
    let r = s
        .client
        .post(s.url("/v1/scans?async=true&category=team-a"))
        .json(&small)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let v: serde_json::Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let g: serde_json::Value = s.get_json(&format!("/v1/scans/{id}")).await;
    assert_eq!(g["status"], "queued");
    let r = s
        .client
        .get(s.url(&format!("/v1/scans/{id}/sarif")))
        .send()
        .await
        .unwrap();
    problem(r, 409, "conflict").await;
    let l: serde_json::Value = s.get_json("/v1/scans?status=queued&category=team-a").await;
    assert_eq!(l["scans"][0]["id"], id.as_str());
    let r = s
        .client
        .delete(s.url(&format!("/v1/scans/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let g: serde_json::Value = s.get_json(&format!("/v1/scans/{id}")).await;
    assert_eq!(g["status"], "cancelled");
    let r = s
        .client
        .delete(s.url(&format!("/v1/scans/{id}")))
        .send()
        .await
        .unwrap();
    problem(r, 409, "conflict").await;
    let r = s
        .client
        .delete(s.url("/v1/scans/nope"))
        .send()
        .await
        .unwrap();
    problem(r, 404, "not-found").await;
    let r = s
        .client
        .get(s.url("/v1/scans?status=bogus"))
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid-request").await;
    s.stop().await;

    // Results expire after the retention time.
    let s = TestServer::start(|c| c.retention = Duration::from_millis(1)).await;
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .json(&small)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(20)).await;
    s.state.store.sweep(server::now_ms()).await.unwrap();
    let r = s
        .client
        .get(s.url(&format!("/v1/scans/{id}")))
        .send()
        .await
        .unwrap();
    problem(r, 404, "not-found").await;
    s.stop().await;

    // A scan over its time budget fails instead of passing.
    let s = TestServer::start(|c| c.limits.scan_timeout = Duration::ZERO).await;
    let r = s
        .client
        .post(s.url("/v1/scans?async=true"))
        .json(&small)
        .send()
        .await
        .unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let v = wait_done(&s, &loc).await;
    assert_eq!(v["status"], "failed");
    assert!(v["error"].as_str().unwrap().contains("time budget"), "{v}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_make_every_scan_finish_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let st = store::Store::open(&url).await.unwrap();
    let now = server::now_ms();
    st.insert_queued("s1", now, i64::MAX / 2, None, "{}", b"in", 2)
        .await
        .unwrap();
    let a = st.claim("worker-a", now, 10).await.unwrap().unwrap();
    assert_eq!((a.id.as_str(), a.attempts), ("s1", 1));
    assert!(
        st.claim("worker-b", now, 10).await.unwrap().is_none(),
        "leased"
    );
    // worker-a dies; its lease runs out; worker-b takes the scan again
    let later = now + 50;
    let b = st.claim("worker-b", later, 10_000).await.unwrap().unwrap();
    assert_eq!(b.attempts, 2);
    assert_eq!(
        st.renew(&a, "worker-a", later + 100, 0).await.unwrap(),
        store::Renewal::Lost
    );
    let out = store::Outcome {
        status: "done",
        verdict: Some("passed".into()),
        ..Default::default()
    };
    assert!(
        !st.finish(&a, "worker-a", later, later + 1000, 0, &out)
            .await
            .unwrap(),
        "a's result is dropped"
    );
    // cancellation reaches the worker that holds the lease
    assert_eq!(
        st.cancel("s1", later).await.unwrap(),
        store::CancelResult::Requested
    );
    assert_eq!(
        st.renew(&b, "worker-b", later + 100, 3).await.unwrap(),
        store::Renewal::Held {
            cancel_requested: true
        }
    );
    assert!(st
        .finish(&b, "worker-b", later, later + 1000, 3, &out)
        .await
        .unwrap());
    assert!(
        !st.finish(&b, "worker-b", later, later + 1000, 3, &out)
            .await
            .unwrap(),
        "only once"
    );
    assert_eq!(st.get("s1").await.unwrap().unwrap().status, "done");
    // a scan whose workers keep dying is failed, not retried forever
    st.insert_queued("s2", now, i64::MAX / 2, None, "{}", b"in", 2)
        .await
        .unwrap();
    let mut t = now;
    for _ in 0..store::MAX_ATTEMPTS {
        t += 100;
        assert!(st.claim("w", t, 10).await.unwrap().is_some());
    }
    t += 100;
    assert!(st.claim("w", t, 10).await.unwrap().is_none());
    st.sweep(t).await.unwrap();
    assert_eq!(st.get("s2").await.unwrap().unwrap().status, "failed");
    // released scans go back to the queue
    st.insert_queued("s3", t, i64::MAX / 2, None, "{}", b"in", 2)
        .await
        .unwrap();
    let c = st.claim("w", t, 10_000).await.unwrap().unwrap();
    assert!(st.release(&c, "w").await.unwrap());
    assert_eq!(st.get("s3").await.unwrap().unwrap().status, "queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_running_scans_finish() {
    let s = TestServer::start(|c| c.shutdown_grace = Duration::from_secs(30)).await;
    let demo = root().join("fixtures/demo");
    let r = s
        .client
        .post(s.url("/v1/scans?async=true"))
        .json(&json_body(&tree_files(&demo)))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let state = s.state.clone();
    s.stop().await;
    // the queued-or-running scan was finished before the server returned, or left queued for another
    // replica: never lost, never half-written
    let row = state.store.get(&id).await.unwrap().unwrap();
    assert!(
        ["done", "queued"].contains(&row.status.as_str()),
        "{}",
        row.status
    );
    drop(state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_diffs_rules_probes_and_metrics() {
    let s = TestServer::start(|_| {}).await;
    let base = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n";
    let rev = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";
    let r = s
        .client
        .post(s.url("/v1/contract-diffs"))
        .json(&serde_json::json!({"base": base, "revision": rev}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["verdict"]["outcome"], "failed");
    assert_eq!(v["summary"]["error"], 1);
    let r = s
        .client
        .post(s.url("/v1/contract-diffs"))
        .header("accept", "application/sarif+json")
        .json(&serde_json::json!({"base": base, "revision": base}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/sarif+json");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);
    let r = s
        .client
        .post(s.url("/v1/contract-diffs"))
        .json(&serde_json::json!({"base": base, "revision": "openapi: [unclosed"}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 422, "invalid-document").await;
    assert_eq!(p["document"], "revision");
    // rules
    let v: serde_json::Value = s.get_json("/v1/rules").await;
    let ids: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"PY-SQLI") && ids.contains(&"SCA-UNPINNED"),
        "{ids:?}"
    );
    let v: serde_json::Value = s.get_json("/v1/rules/PY-SQLI").await;
    assert!(v["help_markdown"].as_str().unwrap().len() > 20);
    problem(
        s.client.get(s.url("/v1/rules/NOPE")).send().await.unwrap(),
        404,
        "not-found",
    )
    .await;
    // probes
    let v: serde_json::Value = s.get_json("/readyz").await;
    assert_eq!(v["status"], "ready");
    let r = s
        .client
        .post(s.url("/v1/admin/osv/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // one scan, then metrics
    let small = serde_json::json!({"files": [{"path": "a.py", "content": "eval(input())\n"}]});
    s.client
        .post(s.url("/v1/scans"))
        .json(&small)
        .send()
        .await
        .unwrap();
    let m = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "tollgate_http_requests_total{method=\"POST\",route=\"/v1/scans\",status=\"200\"}",
        "tollgate_http_request_duration_seconds_bucket",
        "tollgate_scans_total{verdict=",
        "tollgate_findings_total{job=\"sast\"",
        "tollgate_queue_depth",
        "tollgate_scans_running",
        "tollgate_osv_database_age_seconds",
    ] {
        assert!(m.contains(needle), "{needle} missing from\n{m}");
    }
    s.stop().await;
    // without an advisory database the service is not ready
    let s = TestServer::start(|c| c.osv_db = None).await;
    let r = s.client.get(s.url("/readyz")).send().await.unwrap();
    problem(r, 503, "unavailable").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_operations_answer_and_nothing_else_does() {
    let doc: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(root().join("openapi.yaml")).unwrap())
            .unwrap();
    let s = TestServer::start(|_| {}).await;
    let small = serde_json::json!({"files": [{"path": "a.py", "content": "x = 1\n"}]});
    let r: serde_json::Value = s
        .client
        .post(s.url("/v1/scans?async=true"))
        .json(&small)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["id"].as_str().unwrap().to_string();
    wait_done(&s, &format!("/v1/scans/{id}")).await;
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let url = s.url(&path.replace(
                "{id}",
                if path.contains("rules") {
                    "PY-EVAL"
                } else {
                    &id
                },
            ));
            let req = match method.as_str() {
                "get" => s.client.get(&url),
                "post" if path == "/v1/scans" => s.client.post(&url).json(&small),
                "post" if path == "/v1/contract-diffs" => s.client.post(&url).json(
                    &serde_json::json!({"base": "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n",
                                        "revision": "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"}),
                ),
                "post" => s.client.post(&url),
                "delete" => s.client.delete(&url),
                m => panic!("unexpected method {m}"),
            };
            let r = req.send().await.unwrap();
            let code = r.status().as_u16().to_string();
            let documented = op["responses"].as_object().unwrap();
            assert!(
                documented.contains_key(&code),
                "{method} {path} answered {code}, documented: {:?}",
                documented.keys().collect::<Vec<_>>()
            );
            seen += 1;
        }
    }
    assert!(seen >= 11, "{seen} operations");
    for p in [
        "/",
        "/v1",
        "/v2/scans",
        "/v1/scans/x/y",
        "/admin",
        "/v1/admin/osv",
    ] {
        let r = s.client.get(s.url(p)).send().await.unwrap();
        problem(r, 404, "not-found").await;
    }
    let r = s.client.put(s.url("/v1/scans")).send().await.unwrap();
    problem(r, 405, "method-not-allowed").await;
    let r = s.client.post(s.url("/healthz")).send().await.unwrap();
    problem(r, 405, "method-not-allowed").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_and_nesting_limits() {
    let s = TestServer::start(|c| {
        c.workers = 0;
        c.limits.max_queued = 1;
    })
    .await;
    let small = serde_json::json!({"files": [{"path": "a.py", "content": "x = 1\n"}]});
    let r = s
        .client
        .post(s.url("/v1/scans?async=true"))
        .json(&small)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = s
        .client
        .post(s.url("/v1/scans?async=true"))
        .json(&small)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["retry-after"], "1");
    problem(r, 429, "too-busy").await;
    // a JSON body nested past the parser's depth limit is a 400, not a crash
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = s
        .client
        .post(s.url("/v1/scans"))
        .header("content-type", "application/json")
        .body(format!("{{\"files\": {deep}}}"))
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid-request").await;
    s.stop().await;
}
