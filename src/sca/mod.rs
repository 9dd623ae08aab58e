//! SCA job: dependency manifests and lockfiles matched against OSV advisories.
//!
//! - [`manifests`] reads the manifests into [`model::Dependency`] values;
//! - [`osv`] reads advisories (offline dump zips with an on-disk index cache, or the osv.dev API);
//! - [`matching`] decides, per OSV schema semantics, which advisories affect an installed version, and
//!   groups them by aliases;
//! - this module turns the result into findings, one per vulnerability per package version per manifest.

mod cache;
mod findings;
pub mod manifests;
pub mod matching;
pub mod model;
pub mod osv;
mod preload;
pub mod version;

pub use preload::PreloadedDb;

use findings::{
    advisory_finding, advisory_rule, merge_rule, skipped_note, sort_output, unpinned_finding, Texts,
};

use crate::finding::{
    Finding, JobKind, NoteLevel, Notification, Severity, Suppression, SuppressionKind,
};
use crate::model::{Job, JobOutput, ScanContext, SourceFile};
use crate::rule::{Precision, RuleMeta};
use matching::{Group, Installed, PackageMatch};
use model::{Dependency, Ecosystem, Resolved};
use osv::{DbIdentity, EcoIndex};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Rule id of the finding for a dependency whose version is not pinned.
pub const UNPINNED_RULE: &str = "SCA-UNPINNED";
/// Environment variable naming the offline database directory.
pub const OSV_DB_ENV: &str = "TOLLGATE_OSV_DB";
/// Where `tollgate db update` downloads from by default.
pub const DEFAULT_DUMP_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// `[sca]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Offline database directory (`<dir>/<ECOSYSTEM>/all.zip`). Default: `TOLLGATE_OSV_DB`, else
    /// `<cache-dir>/osv` (where `tollgate db update` puts it).
    pub osv_db: Option<PathBuf>,
    /// Ask the osv.dev API instead of reading the offline database.
    #[serde(default)]
    pub online: bool,
    /// Base URL of the OSV API (default https://api.osv.dev).
    pub api_url: Option<String>,
    /// Cache directory for built indexes and API answers (default `$XDG_CACHE_HOME/tollgate`, else
    /// `~/.cache/tollgate`).
    pub cache_dir: Option<PathBuf>,
    /// Advisories to ignore: `[[sca.ignore]] id = "GHSA-...", reason = "...", until = "2027-01-31"`.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
    /// An advisory database already in memory (the HTTP service loads one and shares it between scans);
    /// used instead of reading `osv-db` for the ecosystems it holds. Not a configuration key.
    #[serde(skip)]
    pub preloaded: Option<std::sync::Arc<PreloadedDb>>,
    /// Never download the advisory database (`--offline`): without one the SCA job fails as before.
    #[serde(default)]
    pub offline: bool,
    /// Where the automatic download fetches `<url>/<ECOSYSTEM>/all.zip` (default osv.dev's bucket, or
    /// `TOLLGATE_OSV_DUMP_URL`).
    pub dump_url: Option<String>,
    /// Refresh the automatically downloaded database when it is older than this (`12h`, `7d`; default 24h).
    pub db_max_age: Option<String>,
}

/// One `[[sca.ignore]]` entry. Any id of a vulnerability (its canonical id or an alias) matches it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IgnoreRule {
    pub id: String,
    #[serde(default)]
    pub reason: String,
    /// Last day the ignore applies (`2027-01-31`, quoted or as a TOML date).
    #[serde(default, deserialize_with = "de_date")]
    pub until: Option<chrono::NaiveDate>,
}

fn de_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<chrono::NaiveDate>, D::Error> {
    let v = Option::<toml::Value>::deserialize(d)?;
    let s = match v {
        None => return Ok(None),
        Some(toml::Value::String(s)) => s,
        Some(toml::Value::Datetime(dt)) => dt.to_string(),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "`until` must be a date like 2027-01-31, not {other}"
            )))
        }
    };
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("`until = {s}`: {e} (expected YYYY-MM-DD)")))
}

pub struct ScaJob {
    config: Config,
    cache_dir: Option<PathBuf>,
    today: chrono::NaiveDate,
}

impl ScaJob {
    pub fn new(config: &Config, _extra_rule_dirs: &[PathBuf]) -> crate::error::Result<Self> {
        let cache_dir = config
            .cache_dir
            .clone()
            .or_else(osv::offline::default_cache_dir);
        Ok(ScaJob {
            config: config.clone(),
            cache_dir,
            today: chrono::Utc::now().date_naive(),
        })
    }

    /// Evaluate ignore expiry against this day instead of today (tests).
    pub fn with_today(mut self, today: chrono::NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// The offline database directory this job reads.
    pub fn db_dir(&self) -> Option<PathBuf> {
        resolve_db_dir(&self.config, self.cache_dir.as_deref())
    }
}

/// `[sca] osv-db` (or `--osv-db`, which the command line puts there), else `TOLLGATE_OSV_DB`, else
/// `<cache-dir>/osv` when it exists.
pub fn resolve_db_dir(config: &Config, cache_dir: Option<&std::path::Path>) -> Option<PathBuf> {
    if let Some(p) = &config.osv_db {
        return Some(p.clone());
    }
    if let Some(p) = std::env::var_os(OSV_DB_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    cache_dir.map(|c| c.join("osv")).filter(|p| p.is_dir())
}

fn unpinned_rule() -> RuleMeta {
    RuleMeta {
        id: UNPINNED_RULE.into(),
        job: JobKind::Sca,
        name: "UnpinnedDependency".into(),
        title: "Dependency version is not pinned".into(),
        description: "The manifest gives a version range, not an exact version, and no lockfile pins it, so \
                      the installed version (and whether it is vulnerable) is not known."
            .into(),
        help_markdown: "## Unpinned dependency\n\nThe manifest declares this dependency with a range \
(`>=1.0`, `^4.17.0`, `~=2.2`) and nothing in the scan pins the exact version, so tollgate cannot check it \
against advisories: it never guesses a version from a range.\n\n**Fix:** pin the version (`pkg==1.2.3` in \
requirements.txt, an exact version in package.json) or commit the lockfile (`package-lock.json`, \
`poetry.lock`, `uv.lock`, `Cargo.lock` ...).\n"
            .into(),
        severity: Severity::Low,
        precision: Precision::VeryHigh,
        cwe: vec![1104],
        tags: vec!["supply-chain".into(), "sca".into()],
        help_uri: None,
        security_severity: None,
    }
}

impl Job for ScaJob {
    fn kind(&self) -> JobKind {
        JobKind::Sca
    }
    fn rules(&self) -> Vec<RuleMeta> {
        vec![unpinned_rule()]
    }
    fn scan(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput {
        self.run(files, ctx)
    }
}

/// The advisories of the ecosystems a scan needs, and how they were obtained.
struct Advisories {
    indexes: BTreeMap<Ecosystem, std::sync::Arc<EcoIndex>>,
    notifications: Vec<Notification>,
    failed: bool,
    source: String,
}

impl ScaJob {
    fn load(&self, deps: &[&Dependency]) -> Advisories {
        let ecos: BTreeSet<Ecosystem> = deps.iter().map(|d| d.ecosystem).collect();
        let mut notes = Vec::new();
        if self.config.online {
            let base = self
                .config
                .api_url
                .clone()
                .unwrap_or_else(|| osv::online::DEFAULT_API_URL.to_string());
            let mut queries: Vec<(Ecosystem, String, String)> = deps
                .iter()
                .filter_map(|d| match &d.resolved {
                    Resolved::Exact { version } => {
                        Some((d.ecosystem, d.name.clone(), version.clone()))
                    }
                    _ => None,
                })
                .collect();
            queries.sort();
            queries.dedup();
            let client = osv::online::Client::new(&base, self.cache_dir.as_deref());
            return match client.lookup(&queries) {
                Ok(r) => {
                    notes.push(Notification::new(
                        NoteLevel::Note,
                        "osv-online",
                        format!(
                            "OSV API {base}: {} packages queried, {} advisories fetched, {} from the cache",
                            queries.len(),
                            r.fetched,
                            r.from_cache
                        ),
                    ));
                    Advisories {
                        indexes: r
                            .indexes
                            .into_iter()
                            .map(|(e, ix)| (e, std::sync::Arc::new(ix)))
                            .collect(),
                        notifications: notes,
                        failed: false,
                        source: format!("online:{base}"),
                    }
                }
                Err(e) => Advisories {
                    indexes: BTreeMap::new(),
                    notifications: vec![Notification::new(
                        NoteLevel::Error,
                        "osv-online-error",
                        format!(
                            "the OSV API could not be queried, dependencies were not checked: {e}"
                        ),
                    )],
                    failed: true,
                    source: format!("online:{base}"),
                },
            };
        }
        if let Some(db) = &self.config.preloaded {
            if ecos.iter().all(|e| db.indexes.contains_key(e)) {
                return Advisories {
                    indexes: ecos.iter().map(|e| (*e, db.indexes[e].clone())).collect(),
                    notifications: db.notifications.clone(),
                    failed: false,
                    source: format!("offline:{}", db.dir.display()),
                };
            }
        }
        let Some(dir) = self.db_dir() else {
            return Advisories {
                indexes: BTreeMap::new(),
                notifications: vec![Notification::new(
                    NoteLevel::Error,
                    "osv-db-missing",
                    format!(
                        "no OSV advisory database: dependencies were not checked. Pass --osv-db DIR, set \
                         {OSV_DB_ENV} or `[sca] osv-db`, run `tollgate db update`, or use --online \
                         (dumps: {DEFAULT_DUMP_URL}/<ECOSYSTEM>/all.zip)"
                    ),
                )],
                failed: true,
                source: "offline".into(),
            };
        };
        let loaded: Vec<(Ecosystem, osv::offline::Loaded)> = ecos
            .par_iter()
            .map(|&e| {
                (
                    e,
                    osv::offline::load_ecosystem(&dir, e, self.cache_dir.as_deref()),
                )
            })
            .collect();
        let mut indexes = BTreeMap::new();
        let mut failed = false;
        for (eco, l) in loaded {
            notes.extend(l.notifications);
            match l.index {
                Some(ix) => {
                    indexes.insert(eco, std::sync::Arc::new(ix));
                }
                None => failed = true,
            }
        }
        Advisories {
            indexes,
            notifications: notes,
            failed,
            source: format!("offline:{}", dir.display()),
        }
    }

    fn run(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput {
        let manifest_files: Vec<SourceFile> = files
            .iter()
            .filter(|f| manifests::is_manifest(&f.rel))
            .cloned()
            .collect();
        let key = cache::key(self, &manifest_files, ctx);
        if let Some(mut out) = key.as_ref().and_then(|k| cache::get(k, ctx)) {
            ctx.progress.inc(manifest_files.len() as u64);
            out.files_scanned = manifest_files.len();
            return out;
        }
        let parsed = manifests::parse_all(&ctx.root, &manifest_files);
        ctx.progress.inc(manifest_files.len() as u64);
        let mut out = self.check(&parsed.dependencies, &parsed.manifests, ctx);
        out.files_scanned = manifest_files.len();
        out.notifications.extend(parsed.notifications);
        sort_output(&mut out);
        if let Some(k) = key {
            cache::put(k, &out, &manifest_files, ctx);
        }
        out
    }

    /// Check parsed dependencies (manifest paths relative to `ctx.root`) against the advisories.
    pub fn check(
        &self,
        dependencies: &[Dependency],
        manifest_paths: &[String],
        ctx: &ScanContext,
    ) -> JobOutput {
        let mut out = JobOutput::default();
        let contents: BTreeMap<String, String> = manifest_paths
            .iter()
            .chain(dependencies.iter().map(|d| &d.manifest))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|m| {
                std::fs::read(ctx.root.join(m))
                    .ok()
                    .map(|b| (m.clone(), String::from_utf8_lossy(&b).into_owned()))
            })
            .collect();
        let texts: Texts<'_> = contents
            .iter()
            .map(|(k, v)| (k.clone(), crate::text::LineIndex::new(v)))
            .collect();

        let mut exact: Vec<&Dependency> = Vec::new();
        let mut skipped: Vec<&Dependency> = Vec::new();
        for d in dependencies {
            match &d.resolved {
                Resolved::Exact { version } => {
                    if Installed::new(d.ecosystem, version).is_valid() {
                        exact.push(d);
                    } else {
                        out.notifications.push(
                            Notification::new(
                                NoteLevel::Warning,
                                "sca-version-unparseable",
                                format!(
                                    "{}:{}: {} version `{version}` of {} is not a valid {} version; not checked",
                                    d.manifest,
                                    d.line,
                                    d.ecosystem.as_str(),
                                    d.display_name,
                                    if d.ecosystem == Ecosystem::PyPI { "PEP 440" } else { "SemVer" }
                                ),
                            )
                            .at(d.manifest.clone(), Some(d.line)),
                        );
                    }
                }
                Resolved::Unpinned { spec } => {
                    if ctx.rule_enabled(UNPINNED_RULE, JobKind::Sca) {
                        out.findings.push(unpinned_finding(d, spec, &texts));
                    }
                }
                Resolved::Skipped { .. } => skipped.push(d),
            }
        }
        if !skipped.is_empty() {
            out.notifications.push(skipped_note(&skipped));
        }
        out.properties
            .insert("sca_manifests".into(), serde_json::json!(manifest_paths));
        out.properties.insert(
            "sca_dependencies".into(),
            serde_json::json!({
                "total": dependencies.len(),
                "checked": exact.len(),
                "skipped": skipped.len(),
                "unpinned": dependencies.iter().filter(|d| matches!(d.resolved, Resolved::Unpinned { .. })).count(),
            }),
        );
        if exact.is_empty() {
            sort_output(&mut out);
            return out;
        }

        let adv = self.load(&exact);
        out.failed |= adv.failed;
        out.notifications.extend(adv.notifications);
        let ids: BTreeMap<String, DbIdentity> = adv
            .indexes
            .values()
            .map(|ix| (ix.identity.ecosystem.clone(), ix.identity.clone()))
            .collect();
        out.properties
            .insert("osv_database".into(), osv::identities_json(&ids));
        out.properties
            .insert("osv_source".into(), serde_json::json!(adv.source));

        // Match each distinct (ecosystem, name, version) once.
        let mut keys: Vec<(Ecosystem, &str, &str)> = exact
            .iter()
            .filter_map(|d| match &d.resolved {
                Resolved::Exact { version } => {
                    Some((d.ecosystem, d.name.as_str(), version.as_str()))
                }
                _ => None,
            })
            .collect();
        keys.sort();
        keys.dedup();
        type Key<'k> = (Ecosystem, &'k str, &'k str);
        let results: Vec<(Key<'_>, Option<PackageMatch<'_>>)> = keys
            .par_iter()
            .map(|&(eco, name, ver)| {
                let m = adv.indexes.get(&eco).map(|ix| {
                    let key = osv::normalize_name(eco, name);
                    matching::match_package(eco, &key, &Installed::new(eco, ver), ix.lookup(name))
                });
                ((eco, name, ver), m)
            })
            .collect();
        let matches: BTreeMap<Key<'_>, PackageMatch<'_>> = results
            .into_iter()
            .filter_map(|(k, m)| m.map(|m| (k, m)))
            .collect();

        let mut issues: BTreeSet<String> = BTreeSet::new();
        let mut rules: BTreeMap<String, RuleMeta> = BTreeMap::new();
        let mut seen: BTreeSet<(String, Ecosystem, String, String, String)> = BTreeSet::new();
        let mut exact_sorted = exact.clone();
        exact_sorted
            .sort_by(|a, b| (&a.manifest, a.line, &a.name).cmp(&(&b.manifest, b.line, &b.name)));
        for d in exact_sorted {
            let Resolved::Exact { version } = &d.resolved else {
                continue;
            };
            let Some(m) = matches.get(&(d.ecosystem, d.name.as_str(), version.as_str())) else {
                continue;
            };
            for i in &m.issues {
                issues.insert(format!(
                    "{} ({}): {}",
                    d.ecosystem.as_str(),
                    d.name,
                    i.message
                ));
            }
            for g in &m.groups {
                if !ctx.rule_enabled(&g.canonical, JobKind::Sca) {
                    continue;
                }
                let key = (
                    d.manifest.clone(),
                    d.ecosystem,
                    d.name.clone(),
                    version.clone(),
                    g.canonical.clone(),
                );
                if !seen.insert(key) {
                    continue;
                }
                let mut f = advisory_finding(d, version, g, m, &texts);
                self.apply_ignores(&mut f, g);
                out.findings.push(f);
                let name = osv::normalize_name(d.ecosystem, &d.name).into_owned();
                rules
                    .entry(g.canonical.clone())
                    .and_modify(|r| merge_rule(r, g))
                    .or_insert_with(|| advisory_rule(d.ecosystem, &name, g));
            }
        }
        if !issues.is_empty() {
            let n = issues.len();
            let list: Vec<String> = issues.into_iter().take(20).collect();
            out.notifications.push(Notification::new(
                NoteLevel::Warning,
                "osv-range-unevaluable",
                format!(
                    "{n} advisory ranges could not be evaluated and were skipped: {}{}",
                    list.join("; "),
                    if n > 20 { "; ..." } else { "" }
                ),
            ));
        }
        out.dynamic_rules = rules.into_values().collect();
        // Ignores that matched nothing in this scan (stale entries are worth removing).
        if !adv.indexes.is_empty() {
            let used: BTreeSet<String> = out
                .findings
                .iter()
                .filter(|f| f.job == JobKind::Sca)
                .flat_map(|f| {
                    let aliases = f
                        .properties
                        .get("aliases")
                        .and_then(|a| a.as_array())
                        .cloned();
                    std::iter::once(f.rule_id.to_ascii_uppercase()).chain(
                        aliases
                            .into_iter()
                            .flatten()
                            .filter_map(|a| a.as_str().map(str::to_ascii_uppercase)),
                    )
                })
                .collect();
            for r in &self.config.ignore {
                if !used.contains(&r.id.trim().to_ascii_uppercase()) {
                    out.notifications.push(Notification::new(
                        NoteLevel::Note,
                        "sca-ignore-unused",
                        format!("[[sca.ignore]] {} matched no finding in this scan", r.id),
                    ));
                }
            }
        }
        sort_output(&mut out);
        out
    }

    fn apply_ignores(&self, f: &mut Finding, g: &Group<'_>) {
        let ids: BTreeSet<String> = g.all_ids().map(|s| s.to_ascii_uppercase()).collect();
        let Some(rule) = self
            .config
            .ignore
            .iter()
            .find(|r| ids.contains(&r.id.trim().to_ascii_uppercase()))
        else {
            return;
        };
        let reason = if rule.reason.trim().is_empty() {
            format!("ignored in config ({})", rule.id)
        } else {
            rule.reason.trim().to_string()
        };
        match rule.until {
            Some(until) if self.today > until => {
                f.message
                    .push_str(&format!(" (ignore for {} expired on {until})", rule.id));
                f.properties.insert(
                    "ignore_expired".into(),
                    serde_json::json!(until.to_string()),
                );
            }
            _ => {
                f.suppression = Some(Suppression {
                    kind: SuppressionKind::External,
                    justification: reason,
                });
                if let Some(u) = rule.until {
                    f.properties
                        .insert("ignore_until".into(), serde_json::json!(u.to_string()));
                }
            }
        }
    }
}
