//! `tollgate serve`: the HTTP scan API described by `openapi.yaml` at the top of the repository.
//!
//! - [`input`] reads what a request carries (tarball, zip, multipart, JSON) under the limits;
//! - [`exec`] turns a submission into an engine scan and its reports (the same as `tollgate scan`);
//! - [`store`] keeps scans and results (SQLite by default, PostgreSQL shared by replicas);
//! - [`worker`] takes queued scans from the store under a lease;
//! - [`routes`] holds the handlers, [`auth`] the bearer tokens, [`metrics`] the Prometheus text,
//!   [`problem`] the RFC 9457 errors.

pub mod auth;
pub mod cache;
mod contract_api;
pub mod exec;
pub mod input;
pub mod metrics;
pub mod problem;
mod routes;
pub mod store;
pub mod worker;

use crate::config::Config;
use crate::sca::PreloadedDb;
use arc_swap::ArcSwapOption;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

pub use routes::router;

/// Limits on what one request may make the service do. Every one has a safe default and a flag.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Request body, as sent (compressed).
    pub max_body: usize,
    /// The tree, uncompressed.
    pub max_uncompressed: u64,
    pub max_files: usize,
    pub max_path_len: usize,
    /// Trees larger than this are scanned in the background (202) even without `?async=true`.
    pub async_threshold: u64,
    /// Time budget of one scan.
    pub scan_timeout: Duration,
    /// Scans running at once in this replica (sync and async); more gets 429.
    pub max_concurrent_scans: usize,
    /// Async scans waiting in the store; more gets 429.
    pub max_queued: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 64 * 1024 * 1024,
            max_uncompressed: 256 * 1024 * 1024,
            max_files: 50_000,
            max_path_len: crate::engine::MAX_PATH_LEN,
            async_threshold: 8 * 1024 * 1024,
            scan_timeout: Duration::from_secs(600),
            max_concurrent_scans: 16,
            max_queued: 10_000,
        }
    }
}

/// Everything `tollgate serve` was started with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub osv_db: Option<PathBuf>,
    /// `postgres://...` to share a queue between replicas; default SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub limits: Limits,
    /// Background workers taking async scans in this replica.
    pub workers: usize,
    /// How long results are kept.
    pub retention: Duration,
    /// How long a worker's claim on a scan lasts without renewal.
    pub lease: Duration,
    /// Reload the advisory database this often.
    pub osv_refresh: Option<Duration>,
    /// On SIGTERM, how long running scans may take to finish before they are given back to the queue.
    pub shutdown_grace: Duration,
    /// SHA-256 digests of the accepted API tokens; empty: no authentication.
    pub token_hashes: Vec<[u8; 32]>,
    /// The service's own configuration (rules, thresholds, database paths); a tree's `tollgate.toml` may
    /// change what it says about rules, jobs and thresholds only.
    pub base_config: Config,
    /// Scans do not use the store's result cache.
    pub no_cache: bool,
}

impl ServeConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        ServeConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir,
            osv_db: None,
            database_url: None,
            limits: Limits::default(),
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            retention: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(30),
            osv_refresh: None,
            shutdown_grace: Duration::from_secs(30),
            token_hashes: Vec::new(),
            base_config: Config::default(),
            no_cache: false,
        }
    }

    /// The store's URL: `--database-url`, else SQLite in the data directory.
    pub fn store_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tollgate.db").display()
            ),
        }
    }
}

/// What every handler and worker shares.
pub struct AppState {
    pub config: ServeConfig,
    pub store: store::Store,
    /// The advisory database, swapped whole on reload; a scan keeps the one it started with.
    pub osv: ArcSwapOption<PreloadedDb>,
    pub osv_error: ArcSwapOption<String>,
    pub metrics: metrics::Metrics,
    /// Permits for scans running in this replica.
    pub scan_slots: Arc<Semaphore>,
    /// Wakes idle workers when a scan is queued here.
    pub queued: Notify,
    /// Set on SIGTERM: workers stop taking scans.
    pub shutting_down: AtomicBool,
    /// This replica's name in leases.
    pub worker_id: String,
    pub jobs: exec::JobCache,
}

pub type Shared = Arc<AppState>;

impl AppState {
    /// Open the store, load the advisory database, and get ready to serve.
    pub async fn new(config: ServeConfig) -> anyhow::Result<Shared> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        let store = store::Store::open(&config.store_url())
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the job store: {e}"))?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "tollgate".into());
        let state = Arc::new(AppState {
            scan_slots: Arc::new(Semaphore::new(config.limits.max_concurrent_scans)),
            metrics: metrics::Metrics::new(),
            config,
            store,
            osv: ArcSwapOption::empty(),
            osv_error: ArcSwapOption::empty(),
            queued: Notify::new(),
            shutting_down: AtomicBool::new(false),
            worker_id: format!(
                "{host}-{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            jobs: exec::JobCache::default(),
        });
        let _ = reload_osv(&state).await;
        Ok(state)
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }
}

/// (Re)load the advisory database in the background thread pool and swap it in; scans already running
/// keep the one they hold. Returns what was loaded, or why nothing was.
pub async fn reload_osv(state: &Shared) -> Result<Arc<PreloadedDb>, String> {
    let Some(dir) = state.config.osv_db.clone() else {
        let msg = "no advisory database configured (--osv-db)".to_string();
        state.osv_error.store(Some(Arc::new(msg.clone())));
        return Err(msg);
    };
    let cache = state.config.data_dir.join("cache");
    let loaded = tokio::task::spawn_blocking(move || PreloadedDb::load(&dir, Some(&cache)))
        .await
        .map_err(|e| e.to_string())?;
    if loaded.indexes.is_empty() {
        let msg = format!(
            "no advisories could be loaded from {}: {}",
            loaded.dir.display(),
            loaded
                .notifications
                .iter()
                .map(|n| n.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        tracing::warn!(error = %msg, "advisory database not loaded");
        state.osv_error.store(Some(Arc::new(msg.clone())));
        return Err(msg);
    }
    let db = Arc::new(loaded);
    tracing::info!(
        dir = %db.dir.display(),
        ecosystems = db.indexes.len(),
        "advisory database loaded"
    );
    state.osv.store(Some(db.clone()));
    state.osv_error.store(None);
    Ok(db)
}

/// Run the service until SIGTERM or Ctrl-C: serve requests, run workers, sweep expired results.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let addr = config.addr;
    let state = AppState::new(config).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!(addr = %listener.local_addr()?, worker = %state.worker_id, "tollgate serve listening");
    run(state, listener, shutdown_signal()).await
}

/// Serve on a bound listener until `shutdown` completes (tests pass their own future).
pub async fn run(
    state: Shared,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let workers = worker::spawn_all(state.clone());
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    let app = router(state.clone());
    let st = state.clone();
    let graceful = async move {
        shutdown.await;
        tracing::info!("shutting down: no new requests, running scans may finish");
        st.shutting_down.store(true, Ordering::Relaxed);
        st.queued.notify_waiters();
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(graceful)
    .await?;
    state.shutting_down.store(true, Ordering::Relaxed);
    state.queued.notify_waiters();
    // Workers finish their scans within the grace period, then give them back to the queue.
    for w in workers {
        let _ = w.await;
    }
    housekeeping.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn housekeeping(state: Shared) {
    let mut last_reload = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        match state.store.sweep(now_ms()).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "expired scans deleted"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweep failed"),
        }
        if let Some(every) = state.config.osv_refresh {
            if last_reload.elapsed() >= every {
                last_reload = tokio::time::Instant::now();
                let _ = reload_osv(&state).await;
            }
        }
    }
}

/// SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parse a duration such as `30s`, `10m`, `6h`, `7d` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration `{s}` (e.g. 30s, 10m, 6h, 7d)"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => return Ok(Duration::from_millis(n)),
        "m" | "min" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("invalid duration unit in `{s}` (s, m, h, d)")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("6h").unwrap(), Duration::from_secs(21600));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
    }
}
