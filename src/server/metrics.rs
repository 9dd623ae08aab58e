//! `/metrics` in the Prometheus text format: requests and their latency by route and status, scans by
//! verdict, findings by job and severity, queue depth, running scans, and the advisory database's age.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabel {
    pub verdict: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FindingLabel {
    pub job: String,
    pub severity: String,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RouteLabel, Counter>,
    pub latency: Family<RouteLabel, Histogram>,
    pub scans_by_verdict: Family<VerdictLabel, Counter>,
    pub findings: Family<FindingLabel, Counter>,
    pub queue_depth: Gauge,
    pub running: Gauge,
    pub osv_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    /// Async scans this replica finished and stored (for logs and tests).
    pub completions: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tollgate");
        let requests = Family::<RouteLabel, Counter>::default();
        let latency = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ])
        });
        let scans_by_verdict = Family::<VerdictLabel, Counter>::default();
        let findings = Family::<FindingLabel, Counter>::default();
        let queue_depth = Gauge::default();
        let running = Gauge::default();
        let osv_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route and status",
            latency.clone(),
        );
        registry.register(
            "scans",
            "Scans finished, by verdict",
            scans_by_verdict.clone(),
        );
        registry.register(
            "findings",
            "Counted findings of finished scans, by job and severity",
            findings.clone(),
        );
        registry.register(
            "queue_depth",
            "Async scans waiting in the store",
            queue_depth.clone(),
        );
        registry.register(
            "scans_running",
            "Scans running in this replica",
            running.clone(),
        );
        registry.register(
            "osv_database_age_seconds",
            "Seconds since the newest advisory of the loaded database was modified (-1: none loaded)",
            osv_age.clone(),
        );
        let cache_hits = Counter::default();
        let cache_misses = Counter::default();
        registry.register(
            "result_cache_hits",
            "Result-cache lookups that found a job's result for a file, manifest set or document pair",
            cache_hits.clone(),
        );
        registry.register(
            "result_cache_misses",
            "Result-cache lookups that found nothing (the job did the work)",
            cache_misses.clone(),
        );
        Metrics {
            cache_hits,
            cache_misses,
            registry,
            requests,
            latency,
            scans_by_verdict,
            findings,
            queue_depth,
            running,
            osv_age,
            completions: AtomicU64::new(0),
        }
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let l = RouteLabel {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        self.requests.get_or_create(&l).inc();
        self.latency.get_or_create(&l).observe(seconds);
    }

    pub fn record_scan(&self, ex: &super::exec::Executed) {
        let v = serde_json::to_value(ex.verdict.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.scans_by_verdict
            .get_or_create(&VerdictLabel { verdict: v })
            .inc();
        for (job, sev, n) in &ex.counts {
            self.findings
                .get_or_create(&FindingLabel {
                    job: job.as_str().into(),
                    severity: sev.as_str().into(),
                })
                .inc_by(*n as u64);
        }
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}
