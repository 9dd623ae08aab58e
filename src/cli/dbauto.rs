//! First run just works: before a scan whose SCA job has no advisory database configured, download osv.dev's
//! dumps of the ecosystems the tree uses into the user cache directory (as Trivy and Grype fetch theirs),
//! and refresh that cached copy when it is older than `[sca] db-max-age`. `--offline` forbids both. The
//! HTTP transfer itself is [`super::db::update`].

use super::db::{self, DumpMeta, UpdateOutcome};
use crate::config::Config;
use crate::finding::{JobKind, NoteLevel, Notification};
use crate::sca::model::Ecosystem;
use crate::sca::osv::offline;
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable overriding where dumps are downloaded from (tests, mirrors).
pub const DUMP_URL_ENV: &str = "TOLLGATE_OSV_DUMP_URL";
/// Environment variable for `[sca] db-max-age`.
pub const MAX_AGE_ENV: &str = "TOLLGATE_DB_MAX_AGE";
/// How old the cached database may get before a scan refreshes it.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Parse an age such as `90s`, `30m`, `12h`, `7d`, `2w` (a bare number is seconds).
pub fn parse_age(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid age `{s}` (e.g. 12h, 7d)"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86400,
        "w" => 7 * 86400,
        _ => return Err(format!("invalid age unit in `{s}` (use s, m, h, d or w)")),
    };
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}

/// The ecosystem a manifest or lockfile belongs to, by file name.
fn ecosystem_of(rel: &str) -> Option<Ecosystem> {
    if !crate::sca::manifests::is_manifest(rel) {
        return None;
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    Some(match name {
        "package.json"
        | "package-lock.json"
        | "npm-shrinkwrap.json"
        | "yarn.lock"
        | "pnpm-lock.yaml" => Ecosystem::Npm,
        "Cargo.lock" => Ecosystem::CratesIo,
        _ => Ecosystem::PyPI,
    })
}

/// The ecosystems of the manifests below `path` (names only: nothing is read), honouring ignore files and
/// the configured excludes as the scan does.
pub fn needed_ecosystems(path: &Path, excludes: &[String]) -> BTreeSet<Ecosystem> {
    let mut out = BTreeSet::new();
    if path.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        out.extend(name.as_deref().and_then(ecosystem_of));
        return out;
    }
    let mut ob = ignore::overrides::OverrideBuilder::new(path);
    for g in excludes {
        let _ = ob.add(&format!("!{}", g.trim_start_matches('!')));
    }
    let mut wb = ignore::WalkBuilder::new(path);
    wb.hidden(false).require_git(false).follow_links(false);
    if let Ok(o) = ob.build() {
        wb.overrides(o);
    }
    wb.filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | "node_modules")));
    for e in wb.build().flatten() {
        if e.file_type().is_some_and(|t| t.is_file()) {
            let rel = crate::engine::walk::rel_path(path, e.path());
            out.extend(ecosystem_of(&rel));
        }
    }
    out
}

/// How long ago the cached dump of `eco` was downloaded (None: unknown, e.g. put there by hand).
fn age(dir: &Path, eco: Ecosystem) -> Option<Duration> {
    let zip = offline::ecosystem_dir(dir, eco).join("all.zip");
    let meta: Option<DumpMeta> = std::fs::read(db::meta_path(&zip))
        .ok()
        .and_then(|b| crate::doc::json::from_slice(&b, &crate::doc::Limits::DEFAULT).ok());
    if let Some(t) = meta.and_then(|m| chrono::DateTime::parse_from_rfc3339(&m.downloaded).ok()) {
        let secs = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds();
        return Some(Duration::from_secs(secs.max(0) as u64));
    }
    let modified = std::fs::metadata(&zip).and_then(|m| m.modified()).ok()?;
    Some(modified.elapsed().unwrap_or_default())
}

/// Record that a 304 Not Modified confirmed the cached dump: its age starts again.
fn touch(path: &Path) {
    let mp = db::meta_path(path);
    let Some(mut meta) = std::fs::read(&mp).ok().and_then(|b| {
        crate::doc::json::from_slice::<DumpMeta>(&b, &crate::doc::Limits::DEFAULT).ok()
    }) else {
        return;
    };
    meta.downloaded = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if let Ok(text) = serde_json::to_string_pretty(&meta) {
        let _ = std::fs::write(mp, text);
    }
}

/// Where the automatic download goes: `<cache dir>/osv`, when the user configured no database.
pub fn managed_dir(cfg: &Config) -> Option<PathBuf> {
    if cfg.sca.osv_db.is_some()
        || std::env::var_os(crate::sca::OSV_DB_ENV).is_some_and(|v| !v.is_empty())
    {
        return None;
    }
    cfg.sca
        .cache_dir
        .clone()
        .or_else(offline::default_cache_dir)
        .map(|c| c.join("osv"))
}

/// What [`ensure`] did for one ecosystem.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Fresh,
    Downloaded,
    Refreshed,
    NotModified,
    /// The refresh failed; the older copy is used.
    KeptStale(String),
    /// The first download failed: the SCA job will find no database and fail the scan (exit 2).
    Failed(String),
    /// `--offline`: nothing fetched.
    Offline,
}

/// Make sure `dir` holds a fresh enough dump of each ecosystem (unless offline).
pub fn ensure(
    dir: &Path,
    ecosystems: &BTreeSet<Ecosystem>,
    base_url: &str,
    max_age: Duration,
    offline_only: bool,
    quiet: bool,
) -> anyhow::Result<Vec<(Ecosystem, Action)>> {
    let bar = !quiet && std::io::stderr().is_terminal();
    let mut done = Vec::new();
    for &eco in ecosystems {
        let have = offline::has_ecosystem(dir, eco);
        let stale = have && age(dir, eco).is_some_and(|a| a >= max_age);
        if have && !stale {
            done.push((eco, Action::Fresh));
            continue;
        }
        if offline_only {
            done.push((eco, Action::Offline));
            continue;
        }
        if !quiet {
            eprintln!(
                "tollgate: {} the {} advisory database from {}/{}/all.zip into {} (--offline prevents this)",
                if have { "refreshing" } else { "downloading" },
                eco.as_str(),
                base_url.trim_end_matches('/'),
                eco.as_str(),
                dir.display()
            );
        }
        match db::update(dir, eco, base_url, bar) {
            Ok(UpdateOutcome::UpToDate { path, .. }) => {
                touch(&path);
                done.push((eco, Action::NotModified));
            }
            Ok(o @ UpdateOutcome::Downloaded { .. }) => {
                if !quiet {
                    eprintln!("tollgate: {}", o.describe());
                }
                done.push((
                    eco,
                    if have {
                        Action::Refreshed
                    } else {
                        Action::Downloaded
                    },
                ));
            }
            Err(e) if have => {
                eprintln!(
                    "tollgate: warning: cannot refresh the {} advisory database ({e:#}); using the cached copy",
                    eco.as_str()
                );
                done.push((eco, Action::KeptStale(format!("{e:#}"))));
            }
            Err(e) => {
                // The scan goes on (the other jobs still report); the SCA job fails without a database.
                let msg = format!(
                    "no {} advisory database, and downloading it failed: {e:#} (download it elsewhere with \
                     `tollgate db update` and pass --osv-db DIR, or use --online)",
                    eco.as_str()
                );
                eprintln!("tollgate: error: {msg}");
                done.push((eco, Action::Failed(msg)));
            }
        }
    }
    Ok(done)
}

/// Before a scan: when the SCA job will run against the automatically managed database, fetch or refresh
/// what the tree needs. Returns what the report should say about it (failed downloads and refreshes).
pub fn ensure_for_scan(
    path: &Path,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<Vec<Notification>> {
    let runs_sca = cfg.jobs.as_ref().is_none_or(|j| j.contains(&JobKind::Sca));
    if !runs_sca || cfg.sca.online {
        return Ok(Vec::new());
    }
    let Some(dir) = managed_dir(cfg) else {
        return Ok(Vec::new());
    };
    let max_age = match cfg
        .sca
        .db_max_age
        .clone()
        .or_else(|| std::env::var(MAX_AGE_ENV).ok().filter(|v| !v.is_empty()))
    {
        Some(s) => parse_age(&s).map_err(|e| anyhow::anyhow!("[sca] db-max-age: {e}"))?,
        None => DEFAULT_MAX_AGE,
    };
    let all = [Ecosystem::PyPI, Ecosystem::Npm, Ecosystem::CratesIo];
    let all_fresh = all
        .iter()
        .all(|&e| offline::has_ecosystem(&dir, e) && age(&dir, e).is_none_or(|a| a < max_age));
    if all_fresh {
        return Ok(Vec::new());
    }
    let needed = needed_ecosystems(path, &cfg.exclude);
    if needed.is_empty() {
        return Ok(Vec::new());
    }
    let base_url = cfg
        .sca
        .dump_url
        .clone()
        .or_else(|| std::env::var(DUMP_URL_ENV).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| crate::sca::DEFAULT_DUMP_URL.to_string());
    let done = ensure(&dir, &needed, &base_url, max_age, cfg.sca.offline, quiet)?;
    Ok(done
        .into_iter()
        .filter_map(|(eco, a)| match a {
            Action::Failed(m) => Some(Notification::new(NoteLevel::Error, "osv-db-download", m)),
            Action::KeptStale(e) => Some(Notification::new(
                NoteLevel::Warning,
                "osv-db-stale",
                format!(
                    "the {} advisory database could not be refreshed ({e}); the cached copy was used",
                    eco.as_str()
                ),
            )),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse() {
        assert_eq!(parse_age("12h").unwrap(), Duration::from_secs(43200));
        assert_eq!(parse_age("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(parse_age("0").unwrap(), Duration::ZERO);
        assert!(parse_age("soon").is_err());
        assert!(parse_age("3y").is_err());
    }

    #[test]
    fn manifests_name_their_ecosystem() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("web/node_modules/x")).unwrap();
        std::fs::write(d.path().join("web/package-lock.json"), "{}").unwrap();
        std::fs::write(d.path().join("web/node_modules/x/Cargo.lock"), "").unwrap();
        std::fs::write(d.path().join("requirements.txt"), "").unwrap();
        std::fs::write(d.path().join("README.md"), "").unwrap();
        let e = needed_ecosystems(d.path(), &[]);
        assert_eq!(
            e.into_iter().collect::<Vec<_>>(),
            vec![Ecosystem::PyPI, Ecosystem::Npm]
        );
        let e = needed_ecosystems(d.path(), &["web/".into()]);
        assert_eq!(e.into_iter().collect::<Vec<_>>(), vec![Ecosystem::PyPI]);
    }
}
