//! `tollgate serve`: start the HTTP scan API. Every setting is a flag, a `TOLLGATE_*` variable, or a key of
//! `[serve]` in tollgate.toml, in that order of precedence.

use crate::config::Config;
use crate::server::{self, auth, parse_duration, ServeConfig};
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TOLLGATE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Where the embedded SQLite store and caches live [default: ./tollgate-data].
    #[arg(long, env = "TOLLGATE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Offline OSV database directory, loaded once and kept in memory.
    #[arg(long, env = "TOLLGATE_OSV_DB", value_name = "DIR")]
    pub osv_db: Option<PathBuf>,
    /// PostgreSQL URL shared by several replicas (`postgres://user@host:5432/db`) [default: SQLite in
    /// the data directory].
    #[arg(long, env = "TOLLGATE_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Background workers for async scans [default: cores].
    #[arg(long, env = "TOLLGATE_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Scans running at once in this replica; more gets 429 [default: 16].
    #[arg(long, env = "TOLLGATE_MAX_CONCURRENT_SCANS", value_name = "N")]
    pub max_concurrent_scans: Option<usize>,
    /// Async scans waiting in the store; more gets 429 [default: 10000].
    #[arg(long, env = "TOLLGATE_MAX_QUEUED_SCANS", value_name = "N")]
    pub max_queued_scans: Option<u64>,
    /// Largest request body [default: 64M].
    #[arg(long, env = "TOLLGATE_MAX_BODY_SIZE", value_name = "SIZE")]
    pub max_body_size: Option<String>,
    /// Largest tree after decompression [default: 256M].
    #[arg(long, env = "TOLLGATE_MAX_UNCOMPRESSED_SIZE", value_name = "SIZE")]
    pub max_uncompressed_size: Option<String>,
    /// Most files in one tree [default: 50000].
    #[arg(long, env = "TOLLGATE_MAX_FILES", value_name = "N")]
    pub max_files: Option<usize>,
    /// Trees larger than this are scanned in the background (202) [default: 8M].
    #[arg(long, env = "TOLLGATE_ASYNC_THRESHOLD", value_name = "SIZE")]
    pub async_threshold: Option<String>,
    /// Time budget of one scan [default: 10m].
    #[arg(long, env = "TOLLGATE_SCAN_TIMEOUT", value_name = "DURATION")]
    pub scan_timeout: Option<String>,
    /// How long results are kept [default: 24h].
    #[arg(long, env = "TOLLGATE_RETENTION", value_name = "DURATION")]
    pub retention: Option<String>,
    /// How long a worker's claim on a scan lasts without renewal [default: 30s].
    #[arg(long, env = "TOLLGATE_LEASE", value_name = "DURATION")]
    pub lease: Option<String>,
    /// Reload the advisory database this often (e.g. 6h) [default: never; see POST /v1/admin/osv/reload].
    #[arg(long, env = "TOLLGATE_OSV_REFRESH", value_name = "DURATION")]
    pub osv_refresh: Option<String>,
    /// On SIGTERM, how long running scans may take before they go back to the queue [default: 30s].
    #[arg(long, env = "TOLLGATE_SHUTDOWN_GRACE", value_name = "DURATION")]
    pub shutdown_grace: Option<String>,
    /// File of SHA-256 digests (hex, one per line) of the accepted API tokens. Plain tokens can be given
    /// in TOLLGATE_API_TOKENS (comma-separated). With neither, the API is open.
    #[arg(long, env = "TOLLGATE_API_TOKENS_FILE", value_name = "FILE")]
    pub api_tokens_file: Option<PathBuf>,
    /// Do not keep the jobs' results in the store's result cache (every scan starts cold).
    #[arg(long, env = "TOLLGATE_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    /// Configuration file: rules, thresholds and `[serve]` defaults [default: ./tollgate.toml if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, env = "TOLLGATE_LOG_FORMAT", value_enum, default_value = "json")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Json,
    Text,
}

fn size(v: &str, what: &str) -> anyhow::Result<u64> {
    super::parse_size(v).map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

fn duration(v: &str, what: &str) -> anyhow::Result<std::time::Duration> {
    parse_duration(v).map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

/// Merge flags, variables and `[serve]` into the service's configuration.
pub fn serve_config(args: &ServeArgs) -> anyhow::Result<ServeConfig> {
    let base = match &args.config {
        Some(p) => Config::load(p)?,
        None => {
            let p = PathBuf::from("tollgate.toml");
            if p.is_file() {
                Config::load(&p)?
            } else {
                Config::default()
            }
        }
    };
    let f = base.serve.clone();
    let mut c = ServeConfig::new(
        args.data_dir
            .clone()
            .or(f.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("tollgate-data")),
    );
    if let Some(a) = args.addr.clone().or(f.addr.clone()) {
        c.addr = a
            .parse()
            .with_context(|| format!("--addr {a}: expected HOST:PORT, e.g. 127.0.0.1:8080"))?;
    }
    c.osv_db = args
        .osv_db
        .clone()
        .or(f.osv_db.clone())
        .or(base.sca.osv_db.clone());
    c.database_url = args.database_url.clone().or(f.database_url.clone());
    if let Some(n) = args.workers.or(f.workers) {
        c.workers = n.max(1);
    }
    let l = &mut c.limits;
    if let Some(n) = args.max_concurrent_scans.or(f.max_concurrent_scans) {
        l.max_concurrent_scans = n.max(1);
    }
    if let Some(n) = args.max_queued_scans.or(f.max_queued_scans) {
        l.max_queued = n as i64;
    }
    if let Some(v) = args.max_body_size.as_ref().or(f.max_body_size.as_ref()) {
        l.max_body = size(v, "--max-body-size")? as usize;
    }
    if let Some(v) = args
        .max_uncompressed_size
        .as_ref()
        .or(f.max_uncompressed_size.as_ref())
    {
        l.max_uncompressed = size(v, "--max-uncompressed-size")?;
    }
    if let Some(n) = args.max_files.or(f.max_files) {
        l.max_files = n;
    }
    if let Some(v) = args.async_threshold.as_ref().or(f.async_threshold.as_ref()) {
        l.async_threshold = size(v, "--async-threshold")?;
    }
    if let Some(v) = args.scan_timeout.as_ref().or(f.scan_timeout.as_ref()) {
        l.scan_timeout = duration(v, "--scan-timeout")?;
    }
    if let Some(v) = args.retention.as_ref().or(f.retention.as_ref()) {
        c.retention = duration(v, "--retention")?;
    }
    if let Some(v) = args.lease.as_ref().or(f.lease.as_ref()) {
        c.lease = duration(v, "--lease")?;
    }
    if let Some(v) = args.osv_refresh.as_ref().or(f.osv_refresh.as_ref()) {
        c.osv_refresh = Some(duration(v, "--osv-refresh")?);
    }
    if let Some(v) = args.shutdown_grace.as_ref().or(f.shutdown_grace.as_ref()) {
        c.shutdown_grace = duration(v, "--shutdown-grace")?;
    }
    c.no_cache = args.no_cache || f.no_cache.unwrap_or(false);
    if let Ok(t) = std::env::var("TOLLGATE_API_TOKENS") {
        c.token_hashes.extend(auth::digests_of_tokens(&t));
    }
    if let Some(p) = args.api_tokens_file.as_ref().or(f.api_tokens_file.as_ref()) {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the token file {}", p.display()))?;
        c.token_hashes.extend(
            auth::read_digest_file(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        );
    }
    let mut base = base;
    base.sca.osv_db = c.osv_db.clone();
    c.base_config = base;
    Ok(c)
}

pub fn run(args: &ServeArgs) -> anyhow::Result<i32> {
    let cfg = serve_config(args)?;
    init_logs(args.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(server::serve(cfg))?;
    Ok(0)
}

/// Logs to stderr, filtered by `TOLLGATE_LOG` (`info`, `tollgate=debug,sqlx=warn`, ...: tracing's
/// `Targets` syntax, which needs no regex engine; the regex-based `EnvFilter` pulled in a DFA builder that
/// made every regex in the binary slower to compile).
fn init_logs(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default: tracing_subscriber::filter::Targets = "info,sqlx=warn".parse().expect("valid");
    let mut bad = None;
    let filter = match std::env::var("TOLLGATE_LOG") {
        Ok(v) => v.parse().unwrap_or_else(|e| {
            bad = Some(format!(
                "TOLLGATE_LOG={v:?} is not a log filter ({e}); using info"
            ));
            default
        }),
        Err(_) => default,
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry.with(layer.json().flatten_event(true)).try_init(),
        LogFormat::Text => registry.with(layer).try_init(),
    };
    if let Some(b) = bad {
        tracing::warn!("{b}");
    }
}
