//! The upload itself: `POST /repos/{owner}/{repo}/code-scanning/sarifs` with the gzip'd, base64'd SARIF,
//! `commit_sha`, `ref`, `checkout_uri` and `tool_name` (the category travels in the SARIF's
//! `automationDetails.id`, as the upload-sarif action puts it), then `GET .../sarifs/{id}` until
//! `processing_status` is no longer `pending`. 5xx answers and rate limits are retried, honouring
//! `Retry-After` (or `x-ratelimit-reset`), a bounded number of times. The token is never printed.

use base64::Engine;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The REST API version tollgate speaks.
pub const API_VERSION: &str = "2022-11-28";
const MAX_BODY: u64 = 1024 * 1024;

/// Where the analysis goes and as what.
#[derive(Debug, Clone)]
pub struct Target {
    /// e.g. `https://api.github.com`, or `https://HOST/api/v3` on GitHub Enterprise Server.
    pub api_url: String,
    pub owner: String,
    pub repo: String,
    pub token: String,
    pub commit_sha: String,
    /// `refs/heads/BRANCH`, `refs/pull/N/merge`, `refs/pull/N/head` or `refs/tags/TAG`.
    pub git_ref: String,
    pub checkout_uri: Option<String>,
    pub tool_name: String,
    /// Written as `runs[].automationDetails.id` (`CATEGORY/`) before the upload.
    pub category: Option<String>,
}

/// What the command line may say; anything left out is read from the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub repo: Option<String>,
    pub commit_sha: Option<String>,
    pub git_ref: Option<String>,
    pub api_url: Option<String>,
    pub checkout_uri: Option<String>,
    pub category: Option<String>,
}

impl Target {
    /// Resolve the target from flags and the environment the Actions runner sets. `env` is a lookup so
    /// tests need not touch the process environment.
    pub fn resolve(o: &Overrides, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, String> {
        let var = |k: &str| {
            env(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = var("GITHUB_TOKEN").or_else(|| var("GH_TOKEN")).ok_or(
            "no GitHub token: set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}` \
             with `permissions: security-events: write`) or GH_TOKEN",
        )?;
        let repo = o
            .repo
            .clone()
            .or_else(|| var("GITHUB_REPOSITORY"))
            .ok_or("no repository: pass --repo OWNER/REPO or set GITHUB_REPOSITORY")?;
        let (owner, name) = repo
            .split_once('/')
            .filter(|(a, b)| valid_name(a) && valid_name(b))
            .ok_or_else(|| format!("invalid repository `{repo}` (expected OWNER/REPO)"))?;
        let commit_sha = o
            .commit_sha
            .clone()
            .or_else(|| var("GITHUB_SHA"))
            .ok_or("no commit: pass --commit SHA or set GITHUB_SHA")?;
        if !((commit_sha.len() == 40 || commit_sha.len() == 64)
            && commit_sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(format!(
                "invalid commit `{commit_sha}` (expected a full 40-character SHA)"
            ));
        }
        let git_ref = o
            .git_ref
            .clone()
            .or_else(|| var("GITHUB_REF"))
            .ok_or("no ref: pass --ref refs/heads/BRANCH or set GITHUB_REF")?;
        if !git_ref.starts_with("refs/") || git_ref.contains(char::is_whitespace) {
            return Err(format!(
                "invalid ref `{git_ref}` (expected refs/heads/BRANCH, refs/pull/N/merge or refs/tags/TAG)"
            ));
        }
        let api_url = o
            .api_url
            .clone()
            .or_else(|| var("GITHUB_API_URL"))
            .unwrap_or_else(|| "https://api.github.com".to_string())
            .trim_end_matches('/')
            .to_string();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(format!("invalid API URL `{api_url}`"));
        }
        let checkout_uri = o.checkout_uri.clone().or_else(|| {
            var("GITHUB_WORKSPACE").map(|w| format!("file://{}", w.trim_end_matches('/')))
        });
        Ok(Target {
            api_url,
            owner: owner.to_string(),
            repo: name.to_string(),
            token,
            commit_sha: commit_sha.to_ascii_lowercase(),
            git_ref,
            checkout_uri,
            tool_name: "tollgate".to_string(),
            category: o.category.clone().filter(|c| !c.trim().is_empty()),
        })
    }

    fn sarifs_url(&self) -> String {
        format!(
            "{}/repos/{}/{}/code-scanning/sarifs",
            self.api_url, self.owner, self.repo
        )
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Timing of retries and polling.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Wait until processing ends (otherwise return right after the upload was accepted).
    pub wait: bool,
    pub poll_interval: Duration,
    pub poll_timeout: Duration,
    /// Attempts of one request (the first included) on 5xx and rate limits.
    pub attempts: u32,
    /// The longest wait between attempts, whatever `Retry-After` says; longer means giving up.
    pub max_retry_wait: Duration,
    /// The first back-off when the server gives no `Retry-After` (doubled each time).
    pub backoff: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            wait: true,
            poll_interval: Duration::from_secs(5),
            poll_timeout: Duration::from_secs(120),
            attempts: 5,
            max_retry_wait: Duration::from_secs(60),
            backoff: Duration::from_secs(1),
        }
    }
}

/// How the upload ended when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// GitHub stored the results.
    Complete {
        id: String,
        analyses_url: Option<String>,
    },
    /// Accepted, not (yet) processed: `--no-wait`, or still pending at the poll timeout.
    Pending { id: String },
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Config(String),
    #[error("GitHub rejected the upload: HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("cannot reach GitHub: {0}")]
    Network(String),
    #[error("GitHub could not process the SARIF (upload {id}): {}", errors.join("; "))]
    Processing { id: String, errors: Vec<String> },
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

/// Gzip then base64, as the REST API wants the `sarif` field.
pub fn encode_sarif(sarif: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(gzip(sarif))
}

/// Set `automationDetails.id` of every run to `CATEGORY/`.
pub fn set_category(sarif: &str, category: &str) -> Result<String, String> {
    let mut doc: Value = crate::doc::json::from_str(sarif, &crate::doc::Limits::DEFAULT)
        .map_err(|e| format!("not a SARIF file: {e}"))?;
    let id = format!("{}/", category.trim().trim_end_matches('/'));
    if let Some(runs) = doc.get_mut("runs").and_then(Value::as_array_mut) {
        for run in runs {
            run["automationDetails"] = json!({ "id": id });
        }
    }
    Ok(crate::report::sarif::to_string(&doc))
}

struct Reply {
    status: u16,
    body: Value,
}

fn client() -> Result<reqwest::blocking::Client, UploadError> {
    crate::http::client(Some(Duration::from_secs(120)))
        .map_err(|e| UploadError::Network(e.to_string()))
}

/// How long to wait before retrying a response, or `None` when it is not worth retrying.
fn retry_after(
    resp: &reqwest::blocking::Response,
    body: &Value,
    attempt: u32,
    s: &Settings,
) -> Option<Duration> {
    let status = resp.status().as_u16();
    let header = |k: &str| {
        resp.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let rate_limited = status == 429
        || (status == 403
            && (header("retry-after").is_some()
                || header("x-ratelimit-remaining") == Some("0")
                || message.contains("rate limit")));
    if !(rate_limited || (500..600).contains(&status)) {
        return None;
    }
    if let Some(v) = header("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc2822(v) {
            let secs = (t.timestamp() - chrono::Utc::now().timestamp()).max(0);
            return Some(Duration::from_secs(secs as u64));
        }
    }
    if rate_limited && header("x-ratelimit-remaining") == Some("0") {
        if let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()) {
            let secs = (reset - chrono::Utc::now().timestamp()).max(0);
            return Some(Duration::from_secs(secs as u64));
        }
    }
    // GitHub: without a header, wait at least a minute on a secondary rate limit; else back off.
    if rate_limited {
        return Some(Duration::from_secs(60));
    }
    Some(s.backoff * 2u32.saturating_pow(attempt.saturating_sub(1)))
}

fn send(
    client: &reqwest::blocking::Client,
    target: &Target,
    s: &Settings,
    make: &dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder,
) -> Result<Reply, UploadError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let req = make(client)
            .bearer_auth(&target.token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION);
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) if attempt < s.attempts && (e.is_connect() || e.is_timeout()) => {
                std::thread::sleep(s.backoff * 2u32.saturating_pow(attempt - 1));
                continue;
            }
            Err(e) => return Err(UploadError::Network(e.without_url().to_string())),
        };
        let status = resp.status().as_u16();
        let mut resp = resp;
        let mut raw = Vec::new();
        let _ = (&mut resp).take(MAX_BODY).read_to_end(&mut raw);
        let body: Value =
            crate::doc::json::from_slice(&raw, &crate::doc::Limits::DEFAULT).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(Reply { status, body });
        }
        let wait = retry_after(&resp, &body, attempt, s);
        match wait {
            Some(w) if attempt < s.attempts && w <= s.max_retry_wait => {
                std::thread::sleep(w);
                continue;
            }
            _ => {}
        }
        let mut message = body
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&raw).chars().take(300).collect());
        if let Some(doc) = body.get("documentation_url").and_then(Value::as_str) {
            message.push_str(&format!(" ({doc})"));
        }
        if status == 403 || status == 404 {
            message.push_str(
                "; the token needs `security-events: write` and code scanning must be enabled",
            );
        }
        if let Some(w) = wait {
            message.push_str(&format!(
                "; gave up after {attempt} attempts (GitHub asked to wait {}s)",
                w.as_secs()
            ));
        }
        return Err(UploadError::Http { status, message });
    }
}

/// Upload a SARIF document and, with `settings.wait`, wait until GitHub has processed it.
pub fn upload(sarif: &str, target: &Target, settings: &Settings) -> Result<Outcome, UploadError> {
    let sarif = match &target.category {
        Some(c) => set_category(sarif, c).map_err(UploadError::Config)?,
        None => {
            crate::doc::json::from_str::<Value>(sarif, &crate::doc::Limits::DEFAULT)
                .map_err(|e| UploadError::Config(format!("not a SARIF file: {e}")))?;
            sarif.to_string()
        }
    };
    let gz = gzip(sarif.as_bytes());
    let limit = crate::report::limits::Limits::GITHUB.gzip_bytes;
    if gz.len() as u64 > limit {
        return Err(UploadError::Config(format!(
            "the SARIF is {} bytes gzip'd, over GitHub's limit of {limit}; tollgate's own SARIF stays under \
             it (write it again with this version), another tool's must be split",
            gz.len()
        )));
    }
    let mut body = json!({
        "commit_sha": target.commit_sha,
        "ref": target.git_ref,
        "sarif": base64::engine::general_purpose::STANDARD.encode(gz),
        "tool_name": target.tool_name,
    });
    if let Some(c) = &target.checkout_uri {
        body["checkout_uri"] = json!(c);
    }
    let client = client()?;
    let url = target.sarifs_url();
    let reply = send(&client, target, settings, &|c| c.post(&url).json(&body))?;
    let id = reply
        .body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| UploadError::Http {
            status: reply.status,
            message: "the answer has no upload id".to_string(),
        })?
        .to_string();
    if !settings.wait {
        return Ok(Outcome::Pending { id });
    }
    let status_url = format!("{url}/{id}");
    let start = Instant::now();
    loop {
        std::thread::sleep(settings.poll_interval);
        // GitHub may not know a fresh upload yet: a 404 just means "ask again".
        let r = send(&client, target, settings, &|c| c.get(&status_url));
        match r {
            Ok(reply) => {
                let st = reply
                    .body
                    .get("processing_status")
                    .and_then(Value::as_str)
                    .unwrap_or("pending");
                match st {
                    "complete" => {
                        return Ok(Outcome::Complete {
                            id,
                            analyses_url: reply
                                .body
                                .get("analyses_url")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        })
                    }
                    "failed" => {
                        let errors = reply
                            .body
                            .get("errors")
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .map(|e| {
                                        e.as_str()
                                            .map(str::to_string)
                                            .unwrap_or_else(|| e.to_string())
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        return Err(UploadError::Processing { id, errors });
                    }
                    _ => {}
                }
            }
            Err(UploadError::Http { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
        if start.elapsed() >= settings.poll_timeout {
            return Ok(Outcome::Pending { id });
        }
    }
}

/// The code scanning page of the repository, for people.
pub fn web_url(target: &Target, server_url: Option<&str>) -> String {
    let server = server_url
        .map(|s| s.trim_end_matches('/').to_string())
        .unwrap_or_else(|| {
            if target.api_url == "https://api.github.com" {
                "https://github.com".to_string()
            } else {
                target.api_url.trim_end_matches("/api/v3").to_string()
            }
        });
    format!(
        "{server}/{}/{}/security/code-scanning?query=is%3Aopen+ref%3A{}",
        target.owner,
        target.repo,
        super::super::report::sarif::uri_encode(&target.git_ref)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    const SHA: &str = "4b6472266afd7b471e86085a6659e8c7f2b119da";

    #[test]
    fn target_comes_from_the_runner_environment_and_flags_override() {
        let e = env(&[
            ("GH_TOKEN", "t0k"),
            ("GITHUB_REPOSITORY", "octo/hello"),
            ("GITHUB_SHA", SHA),
            ("GITHUB_REF", "refs/pull/7/merge"),
            ("GITHUB_API_URL", "https://ghe.example/api/v3/"),
            ("GITHUB_WORKSPACE", "/home/runner/work/hello/hello"),
        ]);
        let t = Target::resolve(&Overrides::default(), &e).unwrap();
        assert_eq!((t.owner.as_str(), t.repo.as_str()), ("octo", "hello"));
        assert_eq!(t.token, "t0k");
        assert_eq!(t.api_url, "https://ghe.example/api/v3");
        assert_eq!(t.git_ref, "refs/pull/7/merge");
        assert_eq!(
            t.checkout_uri.as_deref(),
            Some("file:///home/runner/work/hello/hello")
        );
        assert_eq!(
            web_url(&t, None),
            "https://ghe.example/octo/hello/security/code-scanning?query=is%3Aopen+ref%3Arefs/pull/7/merge"
        );
        let o = Overrides {
            repo: Some("a/b".into()),
            git_ref: Some("refs/heads/main".into()),
            ..Default::default()
        };
        let t = Target::resolve(&o, &e).unwrap();
        assert_eq!(
            (t.owner.as_str(), t.git_ref.as_str()),
            ("a", "refs/heads/main")
        );
    }

    #[test]
    fn missing_or_bad_settings_are_clear_errors() {
        let full = [
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_SHA", SHA),
            ("GITHUB_REF", "refs/heads/main"),
        ];
        for (drop, expect) in [
            ("GITHUB_TOKEN", "no GitHub token"),
            ("GITHUB_REPOSITORY", "no repository"),
            ("GITHUB_SHA", "no commit"),
            ("GITHUB_REF", "no ref"),
        ] {
            let kept: Vec<(&str, &str)> =
                full.iter().copied().filter(|(k, _)| *k != drop).collect();
            let err = Target::resolve(&Overrides::default(), &env(&kept)).unwrap_err();
            assert!(err.contains(expect), "{err}");
        }
        let bad = |k: &str, v: &str| {
            let kept: Vec<(&str, &str)> = full
                .iter()
                .copied()
                .map(|(a, b)| if a == k { (a, v) } else { (a, b) })
                .collect();
            Target::resolve(&Overrides::default(), &env(&kept)).unwrap_err()
        };
        assert!(bad("GITHUB_SHA", "main").contains("invalid commit"));
        assert!(bad("GITHUB_REF", "main").contains("invalid ref"));
        assert!(bad("GITHUB_REPOSITORY", "o/r/x").contains("invalid repository"));
        assert!(bad("GITHUB_REPOSITORY", "../x").contains("invalid repository"));
    }

    #[test]
    fn payload_is_gzip_then_base64() {
        use std::io::Read;
        let enc = encode_sarif(b"{\"version\":\"2.1.0\"}");
        let gz = base64::engine::general_purpose::STANDARD
            .decode(enc)
            .unwrap();
        let mut s = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "{\"version\":\"2.1.0\"}");
    }

    #[test]
    fn category_goes_into_automation_details() {
        let s = set_category(
            "{\"runs\":[{\"automationDetails\":{\"id\":\"tollgate/\"}}]}",
            "backend/",
        )
        .unwrap();
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["runs"][0]["automationDetails"]["id"], "backend/");
    }
}
