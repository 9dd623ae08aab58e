//! The routes of `openapi.yaml`, their handlers, and the layers around them (request ids, metrics and
//! logs, authentication, body limits, problem+json for every error including unknown routes).

use super::exec::{self, links, scan_body};
use super::input::{self, Part, Submission};
use super::problem::Problem;
use super::store::{CancelResult, ListFilter, Outcome, ScanRow};
use super::{now_ms, reload_osv, Shared};
use crate::model::{CancelToken, Progress};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, MatchedPath, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub const SARIF_MEDIA: &str = "application/sarif+json";

pub fn router(state: Shared) -> Router {
    let max_body = state.config.limits.max_body;
    let api = Router::new()
        .route("/v1/scans", post(create_scan).get(list_scans))
        .route("/v1/scans/{id}", get(get_scan).delete(cancel_scan))
        .route("/v1/scans/{id}/sarif", get(get_sarif))
        .route("/v1/contract-diffs", post(contract_diff))
        .route("/v1/rules", get(list_rules))
        .route("/v1/rules/{id}", get(get_rule))
        .route("/v1/admin/osv/reload", post(reload))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!("no route {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// Metrics and one structured log line per request (with its request id; never headers or bodies).
async fn observe(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let rid = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    st.metrics
        .observe_request(method.as_str(), &route, status, secs);
    tracing::info!(request_id = %rid, method = %method, route = %route, status, ms = secs * 1000.0, "request");
    resp
}

async fn require_token(
    State(st): State<Shared>,
    req: Request,
    next: Next,
) -> Result<Response, Problem> {
    if !st.config.token_hashes.is_empty() {
        let h = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !super::auth::authorized(h, &st.config.token_hashes) {
            let mut p = Problem::unauthorized().into_response();
            p.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tollgate\""),
            );
            return Ok(p);
        }
    }
    Ok(next.run(req).await)
}

fn wants_sarif(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(SARIF_MEDIA))
}

fn sarif_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SARIF_MEDIA));
    r
}

fn db_error(e: sqlx::Error) -> Problem {
    tracing::error!(error = %e, "store error");
    Problem::unavailable(format!("the job store failed: {e}"))
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn rfc3339(ms: Option<i64>) -> Value {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        .unwrap_or(Value::Null)
}

/// Read a request body under the limit.
async fn body_bytes(st: &Shared, body: Body) -> Result<axum::body::Bytes, Problem> {
    let max = st.config.limits.max_body;
    axum::body::to_bytes(body, max).await.map_err(|_| {
        Problem::limit(
            "max_body_size",
            max as u64,
            format!("the request body is larger than {max} bytes"),
        )
    })
}

async fn read_parts(st: &Shared, req: Request) -> Result<Vec<Part>, Problem> {
    let mut mp = axum::extract::Multipart::from_request(req, st)
        .await
        .map_err(|e| Problem::bad_request(format!("invalid multipart body: {e}")))?;
    let mut parts = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::limit(
                        "max_body_size",
                        st.config.limits.max_body as u64,
                        "the request body is too large",
                    )
                } else {
                    Problem::bad_request(format!("invalid multipart body: {e}"))
                })
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| Problem::bad_request(format!("invalid multipart part `{name}`: {e}")))?;
        parts.push(Part {
            name,
            file_name,
            content_type,
            bytes: bytes.to_vec(),
        });
    }
    Ok(parts)
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.uri()
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
}

/// `POST /v1/scans`
async fn create_scan(State(st): State<Shared>, req: Request) -> Result<Response, Problem> {
    if st.is_shutting_down() {
        return Err(Problem::unavailable("the service is shutting down"));
    }
    let sarif = wants_sarif(req.headers());
    let pairs = query_pairs(&req);
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let limits = st.config.limits.clone();
    let mut sub: Submission = if ct.starts_with("multipart/form-data") {
        let parts = read_parts(&st, req).await?;
        tokio::task::spawn_blocking(move || input::read_multipart(parts, &limits))
            .await
            .map_err(|e| Problem::internal(e.to_string()))??
    } else {
        let bytes = body_bytes(&st, req.into_body()).await?;
        if ct.starts_with("application/json") {
            input::read_json(&bytes, &limits)?
        } else if let Some(kind) = input::sniff_archive(&ct, &bytes) {
            let files =
                tokio::task::spawn_blocking(move || input::read_archive(kind, &bytes, &limits))
                    .await
                    .map_err(|e| Problem::internal(e.to_string()))??;
            Submission {
                files,
                ..Default::default()
            }
        } else {
            return Err(Problem::unsupported_media(format!(
                "send a gzip'd tarball (application/gzip), a zip (application/zip), multipart/form-data \
                 or application/json, not {:?}",
                if ct.is_empty() { "no content type" } else { ct.as_str() }
            )));
        }
    };
    for (k, v) in &pairs {
        sub.params.set(k, v)?;
    }
    if sub.files.is_empty() {
        return Err(Problem::bad_request("the request holds no files to scan"));
    }
    // A bad tollgate.toml in the tree or a bad option is a 4xx now, not a failed scan later.
    let (cfg, _) = exec::effective_config(&st.config.base_config, &sub)?;
    exec::gate_policy(&cfg, &sub.params)?;
    if let Some(b) = &sub.baseline {
        crate::engine::baseline::Baseline::from_text(std::path::Path::new("baseline"), b)?;
    }
    let total = sub.total_bytes();
    if sub.params.run_async || total > st.config.limits.async_threshold {
        return enqueue(&st, sub, total).await;
    }
    run_sync(&st, sub, sarif).await
}

async fn enqueue(st: &Shared, sub: Submission, total: u64) -> Result<Response, Problem> {
    let queued = st.store.queued().await.map_err(db_error)?;
    if queued >= st.config.limits.max_queued {
        return Err(Problem::too_busy(format!(
            "{queued} scans are waiting; try again later"
        )));
    }
    let id = new_id();
    let now = now_ms();
    let params = serde_json::to_string(&sub.params).unwrap_or_default();
    let category = sub.params.category.clone();
    let blob = tokio::task::spawn_blocking(move || {
        bincode::serde::encode_to_vec(&sub, bincode::config::standard())
    })
    .await
    .map_err(|e| Problem::internal(e.to_string()))?
    .map_err(|e| Problem::internal(format!("cannot store the input: {e}")))?;
    // Never expires while it waits; the expiry is set again when it ends.
    let expires = i64::MAX / 2;
    st.store
        .insert_queued(
            &id,
            now,
            expires,
            category.as_deref(),
            &params,
            &blob,
            total as i64,
        )
        .await
        .map_err(db_error)?;
    st.queued.notify_one();
    let mut r = (
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "queued", "links": links(&id) })),
    )
        .into_response();
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&format!("/v1/scans/{id}")).expect("ascii id"),
    );
    Ok(r)
}

async fn run_sync(st: &Shared, sub: Submission, sarif: bool) -> Result<Response, Problem> {
    let permit = st.scan_slots.clone().try_acquire_owned().map_err(|_| {
        Problem::too_busy(format!(
            "{} scans are running in this replica",
            st.config.limits.max_concurrent_scans
        ))
    })?;
    let id = new_id();
    let created = now_ms();
    let params = serde_json::to_string(&sub.params).unwrap_or_default();
    let category = sub.params.category.clone();
    let input_bytes = sub.total_bytes() as i64;
    let cancel = CancelToken::with_deadline(Instant::now() + st.config.limits.scan_timeout);
    let progress = Progress::none();
    let st2 = st.clone();
    let p2 = progress.clone();
    st.metrics.running.inc();
    let res = tokio::task::spawn_blocking(move || exec::execute(&st2, sub, 1, p2, cancel)).await;
    st.metrics.running.dec();
    drop(permit);
    let ex =
        res.map_err(|e| Problem::internal(format!("the scan stopped unexpectedly: {e}")))??;
    st.metrics.record_scan(&ex);
    let now = now_ms();
    let out = Outcome {
        status: "done",
        verdict: serde_json::to_value(ex.verdict.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
        summary: Some(ex.summary().to_string()),
        report: Some(ex.report.clone()),
        sarif: Some(ex.sarif.clone()),
        error: None,
        ignored_keys: Some(serde_json::to_string(&ex.ignored_keys).unwrap_or_default()),
    };
    st.store
        .insert_finished(
            &id,
            created,
            now,
            now + st.config.retention.as_millis() as i64,
            category.as_deref(),
            &params,
            input_bytes,
            progress.files_done() as i64,
            &out,
        )
        .await
        .map_err(db_error)?;
    if sarif {
        return Ok(sarif_response(StatusCode::OK, ex.sarif));
    }
    Ok(Json(scan_body(&id, &ex.report, &ex.ignored_keys)).into_response())
}

fn row_json(row: &ScanRow) -> Value {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| crate::doc::json::from_str::<Value>(t, &crate::doc::Limits::DEFAULT).ok())
            .unwrap_or(Value::Null)
    };
    let mut v = json!({
        "id": row.id,
        "status": row.status,
        "created_at": rfc3339(Some(row.created_ms)),
        "started_at": rfc3339(row.started_ms),
        "finished_at": rfc3339(row.finished_ms),
        "category": row.category,
        "verdict": row.verdict,
        "progress": { "file_checks_done": row.files_done, "input_bytes": row.input_bytes },
        "attempts": row.attempts,
        "summary": parse(&row.summary),
        "error": row.error,
        "links": links(&row.id),
    });
    let ignored = parse(&row.ignored_keys);
    v["ignored_config_keys"] = if ignored.is_null() {
        json!([])
    } else {
        ignored
    };
    v
}

async fn scan_row(st: &Shared, id: &str) -> Result<ScanRow, Problem> {
    st.store
        .get(id)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Problem::not_found(format!("no scan {id}")))
}

/// `GET /v1/scans/{id}`
async fn get_scan(State(st): State<Shared>, Path(id): Path<String>) -> Result<Response, Problem> {
    let row = scan_row(&st, &id).await?;
    let mut v = row_json(&row);
    if row.status == "done" {
        if let Some(rep) = st.store.body(&id, false).await.map_err(db_error)? {
            let r: Value = crate::doc::json::from_str(&rep, &crate::doc::Limits::DEFAULT)
                .unwrap_or(Value::Null);
            v["verdict"] = r["verdict"].clone();
            v["findings"] = r["findings"].clone();
            v["notifications"] = r["notifications"].clone();
        }
    }
    Ok(Json(v).into_response())
}

/// `GET /v1/scans/{id}/sarif`
async fn get_sarif(State(st): State<Shared>, Path(id): Path<String>) -> Result<Response, Problem> {
    let row = scan_row(&st, &id).await?;
    if row.status != "done" {
        return Err(Problem::conflict(format!(
            "scan {id} is {}: SARIF exists only for a finished scan",
            row.status
        ))
        .with("scan_status", row.status.clone()));
    }
    let body = st
        .store
        .body(&id, true)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Problem::not_found(format!("scan {id} has no SARIF")))?;
    Ok(sarif_response(StatusCode::OK, body))
}

/// `DELETE /v1/scans/{id}`
async fn cancel_scan(
    State(st): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    match st.store.cancel(&id, now_ms()).await.map_err(db_error)? {
        CancelResult::NotFound => Err(Problem::not_found(format!("no scan {id}"))),
        CancelResult::Cancelled => Ok((
            StatusCode::OK,
            Json(json!({"id": id, "status": "cancelled", "links": links(&id)})),
        )
            .into_response()),
        CancelResult::Requested => Ok((
            StatusCode::ACCEPTED,
            Json(json!({"id": id, "status": "running", "cancel_requested": true, "links": links(&id)})),
        )
            .into_response()),
        CancelResult::AlreadyEnded(s) => Err(Problem::conflict(format!(
            "scan {id} already ended ({s})"
        ))
        .with("scan_status", s)),
    }
}

/// `GET /v1/scans`
async fn list_scans(State(st): State<Shared>, req: Request) -> Result<Response, Problem> {
    let mut f = ListFilter::default();
    let (mut limit, mut offset) = (50i64, 0i64);
    for (k, v) in query_pairs(&req) {
        match k.as_str() {
            "status" => {
                if !["queued", "running", "done", "failed", "cancelled"].contains(&v.as_str()) {
                    return Err(Problem::bad_request(format!(
                        "`status={v}`: expected queued, running, done, failed or cancelled"
                    )));
                }
                f.status = Some(v)
            }
            "verdict" => {
                if !["passed", "failed", "error"].contains(&v.as_str()) {
                    return Err(Problem::bad_request(format!(
                        "`verdict={v}`: expected passed, failed or error"
                    )));
                }
                f.verdict = Some(v)
            }
            "category" => f.category = Some(v),
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=200).contains(n))
                    .ok_or_else(|| Problem::bad_request("`limit`: an integer from 1 to 200"))?
            }
            "offset" => {
                offset = v
                    .parse()
                    .ok()
                    .filter(|n| (0..=1_000_000_000).contains(n))
                    .ok_or_else(|| Problem::bad_request("`offset`: an integer >= 0"))?
            }
            other => {
                return Err(Problem::bad_request(format!(
                    "unknown parameter `{other}` (status, verdict, category, limit, offset)"
                )))
            }
        }
    }
    let rows = st
        .store
        .list(&f, limit + 1, offset)
        .await
        .map_err(db_error)?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Value> = rows.iter().take(limit as usize).map(row_json).collect();
    Ok(Json(json!({
        "scans": items,
        "limit": limit,
        "offset": offset,
        "next_offset": if more { json!(offset + limit) } else { Value::Null },
    }))
    .into_response())
}

/// `POST /v1/contract-diffs`
async fn contract_diff(State(st): State<Shared>, req: Request) -> Result<Response, Problem> {
    let sarif = wants_sarif(req.headers());
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        base: String,
        revision: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        fail_on: Option<String>,
    }
    let body: Body = if ct.starts_with("multipart/form-data") {
        let parts = read_parts(&st, req).await?;
        let mut base = None;
        let mut revision = None;
        let mut name = None;
        let mut fail_on = None;
        for p in parts {
            let text = String::from_utf8_lossy(&p.bytes).into_owned();
            match p.name.as_str() {
                "base" => base = Some(text),
                "revision" => {
                    name = name.or(p.file_name.clone());
                    revision = Some(text)
                }
                "name" => name = Some(text),
                "fail_on" => fail_on = Some(text),
                other => {
                    return Err(Problem::bad_request(format!(
                        "unknown part `{other}` (base, revision, name, fail_on)"
                    )))
                }
            }
        }
        Body {
            base: base.ok_or_else(|| Problem::bad_request("the `base` part is missing"))?,
            revision: revision
                .ok_or_else(|| Problem::bad_request("the `revision` part is missing"))?,
            name,
            fail_on,
        }
    } else if ct.starts_with("application/json") {
        let bytes = body_bytes(&st, req.into_body()).await?;
        crate::doc::json::from_slice(&bytes, &crate::doc::Limits::default()).map_err(|e| {
            Problem::bad_request(format!(
                "the body is not a valid contract diff request: {e}"
            ))
        })?
    } else {
        return Err(Problem::unsupported_media(
            "send application/json {\"base\": \"...\", \"revision\": \"...\"} or multipart/form-data",
        ));
    };
    let permit = st
        .scan_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| Problem::too_busy("too many scans are running in this replica"))?;
    let cfg = st.config.base_config.contract.clone();
    let res = tokio::task::spawn_blocking(move || {
        super::contract_api::diff(&cfg, &body.base, &body.revision, body.name, body.fail_on)
    })
    .await;
    drop(permit);
    let out = res.map_err(|e| Problem::internal(e.to_string()))??;
    if sarif {
        return Ok(sarif_response(StatusCode::OK, out.sarif));
    }
    Ok(Json(out.json).into_response())
}

/// `GET /v1/rules`
async fn list_rules(State(st): State<Shared>) -> Result<Response, Problem> {
    let jobs = st.jobs.get(&st.config.base_config)?;
    let mut rules: Vec<Value> = jobs
        .iter()
        .flat_map(|j| j.rules())
        .map(|r| {
            json!({
                "id": r.id, "job": r.job, "name": r.name, "title": r.title,
                "severity": r.severity, "precision": r.precision.as_str(), "cwe": r.cwe,
                "links": { "self": format!("/v1/rules/{}", r.id) },
            })
        })
        .collect();
    rules.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    rules.dedup_by(|a, b| a["id"] == b["id"]);
    Ok(Json(json!({ "rules": rules })).into_response())
}

/// `GET /v1/rules/{id}`
async fn get_rule(State(st): State<Shared>, Path(id): Path<String>) -> Result<Response, Problem> {
    let jobs = st.jobs.get(&st.config.base_config)?;
    let rule = jobs
        .iter()
        .flat_map(|j| j.rules())
        .find(|r| r.id == id)
        .ok_or_else(|| Problem::not_found(format!("no rule {id}")))?;
    Ok(Json(json!({
        "id": rule.id, "job": rule.job, "name": rule.name, "title": rule.title,
        "description": rule.description, "help_markdown": rule.help_markdown,
        "severity": rule.severity, "precision": rule.precision.as_str(), "cwe": rule.cwe,
        "tags": rule.tags, "help_uri": rule.help_uri,
        "security_severity": format!("{:.1}", rule.security_severity()),
    }))
    .into_response())
}

/// `POST /v1/admin/osv/reload`
async fn reload(State(st): State<Shared>) -> Result<Response, Problem> {
    let db = reload_osv(&st).await.map_err(Problem::unavailable)?;
    Ok(Json(osv_json(&db)).into_response())
}

fn osv_json(db: &crate::sca::PreloadedDb) -> Value {
    let ecosystems: Vec<Value> = db
        .indexes
        .values()
        .map(|ix| {
            json!({
                "ecosystem": ix.identity.ecosystem,
                "records": ix.identity.records,
                "sha256": ix.identity.sha256,
                "newest_modified": ix.identity.newest_modified,
            })
        })
        .collect();
    let loaded_ms = db
        .loaded_at
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .ok();
    json!({ "loaded_at": rfc3339(loaded_ms), "ecosystems": ecosystems })
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(st): State<Shared>) -> Response {
    let store = st.store.ping().await;
    let osv = st.osv.load_full();
    let mut checks = json!({
        "store": if store.is_ok() { json!("ok") } else { json!(store.as_ref().err().map(|e| e.to_string())) },
        "osv_database": match &osv {
            Some(db) => osv_json(db),
            None => json!(st.osv_error.load_full().map(|e| e.to_string()).unwrap_or_else(|| "not loaded".into())),
        },
    });
    if st.is_shutting_down() {
        checks["shutdown"] = json!("in progress");
    }
    if store.is_ok() && osv.is_some() && !st.is_shutting_down() {
        return Json(json!({ "status": "ready", "checks": checks })).into_response();
    }
    Problem::unavailable("not ready: see `checks`")
        .with("checks", checks)
        .into_response()
}

async fn metrics(State(st): State<Shared>) -> Response {
    if let Ok(n) = st.store.queued().await {
        st.metrics.queue_depth.set(n);
    }
    let age = st
        .osv
        .load_full()
        .and_then(|db| {
            db.newest_modified()
                .and_then(|m| chrono::DateTime::parse_from_rfc3339(m).ok())
                .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds() as f64)
        })
        .unwrap_or(-1.0);
    st.metrics.osv_age.set(age);
    let mut r = st.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
