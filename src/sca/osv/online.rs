//! `--online`: the osv.dev API. `POST /v1/querybatch` with (package, version) queries in batches of at most
//! 1000 (following `next_page_token`), then `GET /v1/vulns/{id}` for each advisory's full record. Requests
//! are retried with exponential backoff on 429, 5xx and transport errors; records are cached on disk by id
//! and `modified`, so an unchanged advisory is fetched once. The records then go through the same matcher
//! as the offline database.

use super::{parse_record, EcoIndex, ParsedRecord};
use crate::sca::model::Ecosystem;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_API_URL: &str = "https://api.osv.dev";
const BATCH: usize = 1000;
const ATTEMPTS: u32 = 5;

pub struct Client {
    client: Option<reqwest::blocking::Client>,
    base: String,
    cache_dir: Option<PathBuf>,
    /// First retry delay; doubles on each retry (default 500 ms, `TOLLGATE_OSV_API_BACKOFF_MS`).
    pub backoff: Duration,
}

#[derive(Serialize)]
struct Query<'a> {
    package: Pkg<'a>,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<&'a str>,
}

#[derive(Serialize)]
struct Pkg<'a> {
    name: &'a str,
    ecosystem: &'a str,
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    queries: Vec<Query<'a>>,
}

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Deserialize, Default)]
struct BatchResult {
    #[serde(default)]
    vulns: Vec<VulnRef>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize, Clone)]
struct VulnRef {
    id: String,
    #[serde(default)]
    modified: String,
}

/// What the API returned, as indexes the matcher reads like offline ones.
pub struct OnlineResult {
    pub indexes: BTreeMap<Ecosystem, EcoIndex>,
    pub fetched: usize,
    pub from_cache: usize,
}

impl Client {
    pub fn new(base: &str, cache_dir: Option<&Path>) -> Client {
        // A client that cannot be built (no TLS provider, ...) shows up as an error on the first request.
        let client = crate::http::client(Some(Duration::from_secs(60))).ok();
        Client {
            client,
            base: base.trim_end_matches('/').to_string(),
            cache_dir: cache_dir.map(|d| d.join("osv-api")),
            backoff: Duration::from_millis(
                std::env::var("TOLLGATE_OSV_API_BACKOFF_MS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(500),
            ),
        }
    }

    /// Send a request, retrying on 429, 5xx and transport errors. Returns the body of a 2xx answer.
    fn send(
        &self,
        what: &str,
        mut req: impl FnMut(&reqwest::blocking::Client) -> reqwest::Result<reqwest::blocking::Response>,
    ) -> Result<String, String> {
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| format!("{what}: cannot start the HTTP client"))?;
        let mut delay = self.backoff;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            match req(client) {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if (200..300).contains(&status) {
                        use std::io::Read;
                        let mut text = String::new();
                        return resp
                            .take(256 * 1024 * 1024)
                            .read_to_string(&mut text)
                            .map(|_| text)
                            .map_err(|e| format!("{what}: reading the answer: {e}"));
                    }
                    last = format!("{what}: HTTP {status}");
                    if status != 429 && status < 500 {
                        return Err(last);
                    }
                    if let Some(ra) = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                    {
                        delay = delay.max(Duration::from_secs(ra.min(30)));
                    }
                }
                Err(e) => last = format!("{what}: {e}"),
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(delay);
                delay *= 2;
            }
        }
        Err(format!("{last} (gave up after {ATTEMPTS} attempts)"))
    }

    fn querybatch(
        &self,
        queries: &[(Ecosystem, String, String)],
    ) -> Result<Vec<Vec<VulnRef>>, String> {
        let url = format!("{}/v1/querybatch", self.base);
        let mut out: Vec<Vec<VulnRef>> = vec![Vec::new(); queries.len()];
        // (query index, page token)
        let mut pending: Vec<(usize, Option<String>)> =
            (0..queries.len()).map(|i| (i, None)).collect();
        while !pending.is_empty() {
            let mut next = Vec::new();
            for chunk in pending.chunks(BATCH) {
                let body = BatchRequest {
                    queries: chunk
                        .iter()
                        .map(|(i, tok)| Query {
                            package: Pkg {
                                name: &queries[*i].1,
                                ecosystem: queries[*i].0.as_str(),
                            },
                            version: &queries[*i].2,
                            page_token: tok.as_deref(),
                        })
                        .collect(),
                };
                let text = self.send(&url, |c| c.post(&url).json(&body).send())?;
                let resp: BatchResponse =
                    crate::doc::json::from_str(&text, &crate::doc::Limits::DEFAULT)
                        .map_err(|e| format!("{url}: unexpected answer: {e}"))?;
                if resp.results.len() != chunk.len() {
                    return Err(format!(
                        "{url}: {} results for {} queries",
                        resp.results.len(),
                        chunk.len()
                    ));
                }
                for ((i, _), r) in chunk.iter().zip(resp.results) {
                    out[*i].extend(r.vulns);
                    if let Some(t) = r.next_page_token.filter(|t| !t.is_empty()) {
                        next.push((*i, Some(t)));
                    }
                }
            }
            pending = next;
        }
        Ok(out)
    }

    fn cache_path(&self, id: &str) -> Option<PathBuf> {
        let safe: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.cache_dir
            .as_ref()
            .map(|d| d.join(format!("{safe}.json")))
    }

    /// The full record of `id`, from the cache when its `modified` matches.
    fn vuln(&self, id: &str, modified: &str) -> Result<(Vec<u8>, bool), String> {
        #[derive(Deserialize)]
        struct Modified {
            #[serde(default)]
            modified: String,
        }
        if let Some(p) = self.cache_path(id) {
            if let Ok(b) = std::fs::read(&p) {
                if crate::doc::json::from_slice::<Modified>(&b, &crate::doc::Limits::DEFAULT)
                    .is_ok_and(|m| !modified.is_empty() && m.modified == modified)
                {
                    return Ok((b, true));
                }
            }
        }
        let url = format!("{}/v1/vulns/{}", self.base, id);
        let text = self.send(&url, |c| c.get(&url).send())?;
        if let Some(p) = self.cache_path(id) {
            if let Some(d) = p.parent() {
                let _ = std::fs::create_dir_all(d);
            }
            let tmp = p.with_extension(format!("json.{}.tmp", std::process::id()));
            if std::fs::write(&tmp, &text).is_ok() {
                let _ = std::fs::rename(&tmp, &p);
            }
        }
        Ok((text.into_bytes(), false))
    }

    /// Ask the API about every (ecosystem, name, version) and fetch the advisories it names.
    pub fn lookup(&self, queries: &[(Ecosystem, String, String)]) -> Result<OnlineResult, String> {
        let refs = self.querybatch(queries)?;
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        let mut ecos_of: BTreeMap<String, BTreeSet<Ecosystem>> = BTreeMap::new();
        for (q, list) in queries.iter().zip(&refs) {
            for v in list {
                wanted.insert(v.id.clone(), v.modified.clone());
                ecos_of.entry(v.id.clone()).or_default().insert(q.0);
            }
        }
        let mut per_eco: BTreeMap<Ecosystem, Vec<ParsedRecord>> = BTreeMap::new();
        let (mut fetched, mut cached) = (0, 0);
        for (id, modified) in &wanted {
            let (bytes, hit) = self.vuln(id, modified)?;
            if hit {
                cached += 1;
            } else {
                fetched += 1;
            }
            for eco in &ecos_of[id] {
                let rec = parse_record(*eco, &bytes)
                    .map_err(|e| format!("{}/v1/vulns/{id}: not an OSV record: {e}", self.base))?;
                per_eco.entry(*eco).or_default().push(rec);
            }
        }
        let mut indexes = BTreeMap::new();
        for eco in queries.iter().map(|q| q.0).collect::<BTreeSet<_>>() {
            let recs = per_eco.remove(&eco).unwrap_or_default();
            indexes.insert(
                eco,
                EcoIndex::build(eco, self.base.clone(), String::new(), recs),
            );
        }
        Ok(OnlineResult {
            indexes,
            fetched,
            from_cache: cached,
        })
    }
}
