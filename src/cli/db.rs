//! `tollgate db update|info`: the offline OSV advisory database. (Owned by the SCA job.)
//!
//! `update` downloads osv.dev's per-ecosystem dumps (`<base>/<ECOSYSTEM>/all.zip`) into the database
//! directory: resumable (HTTP `Range` on `all.zip.part`), conditional (`If-None-Match` with the recorded
//! ETag), checked (the zip must open) and atomic (rename into place); `all.zip.meta.json` next to it records
//! the URL, ETag, size and sha256. `info` shows what is installed and how old it is.

use crate::sca::model::Ecosystem;
use crate::sca::osv::offline;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Subcommands of `tollgate db`.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Download (or refresh) the OSV advisory dumps for the given ecosystems.
    Update(UpdateArgs),
    /// Show which advisory databases are installed and how old they are.
    Info(InfoArgs),
}

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Ecosystem to download (PyPI, npm, crates.io); repeatable [default: all three].
    #[arg(long = "ecosystem", value_name = "ECOSYSTEM")]
    pub ecosystems: Vec<String>,
    /// Database directory [default: $TOLLGATE_OSV_DB, else ~/.cache/tollgate/osv].
    #[arg(long, value_name = "DIR")]
    pub osv_db: Option<PathBuf>,
    /// Where the dumps are published.
    #[arg(long, value_name = "URL", env = "TOLLGATE_OSV_DUMP_URL", default_value = crate::sca::DEFAULT_DUMP_URL)]
    pub base_url: String,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Database directory [default: $TOLLGATE_OSV_DB, else ~/.cache/tollgate/osv].
    #[arg(long, value_name = "DIR")]
    pub osv_db: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Run `tollgate db ...`; returns the process exit code.
pub fn run(cmd: &DbCommand) -> anyhow::Result<i32> {
    match cmd {
        DbCommand::Update(a) => {
            let dir = db_dir(a.osv_db.as_deref())?;
            let ecos = parse_ecosystems(&a.ecosystems)?;
            let progress = !a.no_progress && std::io::stderr().is_terminal();
            let mut failed = false;
            for eco in ecos {
                match update(&dir, eco, &a.base_url, progress) {
                    Ok(o) => println!("{}", o.describe()),
                    Err(e) => {
                        eprintln!("error: {}: {e:#}", eco.as_str());
                        failed = true;
                    }
                }
            }
            Ok(if failed { 2 } else { 0 })
        }
        DbCommand::Info(a) => {
            let dir = db_dir(a.osv_db.as_deref())?;
            let rows = info(&dir, offline::default_cache_dir().as_deref());
            if a.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", render_info(&dir, &rows));
            }
            Ok(if rows.iter().any(|r| r.error.is_none()) {
                0
            } else {
                2
            })
        }
    }
}

/// The database directory: the flag, else `TOLLGATE_OSV_DB`, else `<cache dir>/osv`.
pub fn db_dir(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(crate::sca::OSV_DB_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    match offline::default_cache_dir() {
        Some(c) => Ok(c.join("osv")),
        None => bail!(
            "no database directory: pass --osv-db DIR or set {}",
            crate::sca::OSV_DB_ENV
        ),
    }
}

fn parse_ecosystems(list: &[String]) -> anyhow::Result<Vec<Ecosystem>> {
    if list.is_empty() {
        return Ok(vec![Ecosystem::PyPI, Ecosystem::Npm, Ecosystem::CratesIo]);
    }
    let mut out = Vec::new();
    for s in list.iter().flat_map(|s| s.split(',')) {
        let e = match s.trim().to_ascii_lowercase().as_str() {
            "pypi" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "crates.io" | "crates" | "cargo" => Ecosystem::CratesIo,
            other => bail!("unknown ecosystem `{other}` (expected PyPI, npm or crates.io)"),
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// What `all.zip.meta.json` records about a download.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DumpMeta {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub size: u64,
    pub sha256: String,
    /// RFC 3339 time of the download.
    pub downloaded: String,
}

/// The outcome of updating one ecosystem.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    /// The server said 304 Not Modified for the recorded ETag.
    UpToDate { ecosystem: Ecosystem, path: PathBuf },
    Downloaded {
        ecosystem: Ecosystem,
        path: PathBuf,
        meta: DumpMeta,
        /// Bytes taken over from an interrupted download.
        resumed_from: u64,
    },
}

impl UpdateOutcome {
    pub fn describe(&self) -> String {
        match self {
            UpdateOutcome::UpToDate { ecosystem, path } => {
                format!("{}: up to date ({})", ecosystem.as_str(), path.display())
            }
            UpdateOutcome::Downloaded {
                ecosystem,
                path,
                meta,
                resumed_from,
            } => format!(
                "{}: downloaded {} bytes{} to {} (sha256 {})",
                ecosystem.as_str(),
                meta.size,
                if *resumed_from > 0 {
                    format!(", resumed at byte {resumed_from}")
                } else {
                    String::new()
                },
                path.display(),
                meta.sha256
            ),
        }
    }
}

pub(crate) fn meta_path(zip: &Path) -> PathBuf {
    zip.with_extension("zip.meta.json")
}

fn part_path(zip: &Path) -> PathBuf {
    zip.with_extension("zip.part")
}

/// Download `<base_url>/<ECOSYSTEM>/all.zip` into `<dir>/<ECOSYSTEM>/all.zip`.
pub fn update(
    dir: &Path,
    eco: Ecosystem,
    base_url: &str,
    progress: bool,
) -> anyhow::Result<UpdateOutcome> {
    let eco_dir = offline::ecosystem_dir(dir, eco);
    std::fs::create_dir_all(&eco_dir)
        .with_context(|| format!("cannot create {}", eco_dir.display()))?;
    let zip_path = eco_dir.join("all.zip");
    let part = part_path(&zip_path);
    let url = format!(
        "{}/{}/all.zip",
        base_url.trim_end_matches('/'),
        eco.as_str()
    );
    let old_meta: Option<DumpMeta> = std::fs::read(meta_path(&zip_path))
        .ok()
        .and_then(|b| crate::doc::json::from_slice(&b, &crate::doc::Limits::DEFAULT).ok());
    // No overall timeout for a download of hundreds of MB; connecting is bounded by the client.
    let client = crate::http::client(None).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;

    let mut attempt = 0;
    loop {
        attempt += 1;
        let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let mut req = client.get(&url);
        if have > 0 {
            req = req.header("Range", format!("bytes={have}-"));
            if let Some(etag) = part_etag(&part) {
                req = req.header("If-Range", etag);
            }
        } else if zip_path.is_file() {
            if let Some(etag) = old_meta.as_ref().and_then(|m| m.etag.clone()) {
                req = req.header("If-None-Match", etag);
            }
        }
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) if attempt < 4 => {
                eprintln!("{}: {e}; retrying", url);
                std::thread::sleep(Duration::from_millis(500 * (1 << attempt)));
                continue;
            }
            Err(e) => bail!("{url}: {e}"),
        };
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let content_length: Option<u64> = header("content-length").and_then(|v| v.parse().ok());
        match status {
            304 => {
                return Ok(UpdateOutcome::UpToDate {
                    ecosystem: eco,
                    path: zip_path,
                });
            }
            416 if have > 0 => {
                // The part is complete or stale: start again.
                let _ = std::fs::remove_file(&part);
                continue;
            }
            429 | 500..=599 if attempt < 4 => {
                std::thread::sleep(Duration::from_millis(500 * (1 << attempt)));
                continue;
            }
            200 | 206 => {}
            other => bail!("{url}: HTTP {other}"),
        }
        let resumed_from = if status == 206 { have } else { 0 };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(status == 206)
            .truncate(status != 206)
            .open(&part)
            .with_context(|| format!("cannot write {}", part.display()))?;
        if let Some(e) = &etag {
            let _ = std::fs::write(part.with_extension("part.etag"), e);
        }
        let total = content_length.map(|l| l + resumed_from);
        let bar = if progress {
            let b = indicatif::ProgressBar::new(total.unwrap_or(0));
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_message(eco.as_str().to_string());
            b.set_position(resumed_from);
            b
        } else {
            indicatif::ProgressBar::hidden()
        };
        let mut reader = resp;
        let mut buf = vec![0u8; 256 * 1024];
        let read_result: std::io::Result<()> = (|| loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            file.write_all(&buf[..n])?;
            bar.inc(n as u64);
        })();
        bar.finish_and_clear();
        file.flush()?;
        drop(file);
        if let Err(e) = read_result {
            // Keep the part: the next run resumes it.
            if attempt < 4 {
                eprintln!("{url}: download interrupted ({e}); resuming");
                continue;
            }
            bail!("{url}: download interrupted ({e}); run again to resume");
        }
        let bytes = std::fs::read(&part)?;
        if let Some(t) = total {
            if bytes.len() as u64 != t {
                bail!(
                    "{url}: got {} bytes, expected {t}; run again to resume",
                    bytes.len()
                );
            }
        }
        if let Err(e) = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])) {
            let _ = std::fs::remove_file(&part);
            bail!("{url}: the download is not a readable zip ({e}); removed it");
        }
        let meta = DumpMeta {
            url: url.clone(),
            etag,
            last_modified,
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            downloaded: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        std::fs::rename(&part, &zip_path)
            .with_context(|| format!("cannot move {} into place", part.display()))?;
        let _ = std::fs::remove_file(part.with_extension("part.etag"));
        let mp = meta_path(&zip_path);
        let tmp = mp.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&meta)?)?;
        std::fs::rename(&tmp, &mp)?;
        return Ok(UpdateOutcome::Downloaded {
            ecosystem: eco,
            path: zip_path,
            meta,
            resumed_from,
        });
    }
}

fn part_etag(part: &Path) -> Option<String> {
    std::fs::read_to_string(part.with_extension("part.etag"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// One line of `tollgate db info`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InfoRow {
    pub ecosystem: String,
    pub path: String,
    pub size: u64,
    pub records: usize,
    pub withdrawn: usize,
    pub newest_modified: String,
    /// Whole days between the newest `modified` and now.
    pub age_days: Option<i64>,
    pub sha256: String,
    /// From `all.zip.meta.json`, when `tollgate db update` wrote one.
    pub downloaded: Option<String>,
    pub error: Option<String>,
}

/// Describe every ecosystem installed in `dir` (reading, and filling, the index cache in `cache`).
pub fn info(dir: &Path, cache: Option<&Path>) -> Vec<InfoRow> {
    let mut rows = Vec::new();
    for eco in [Ecosystem::PyPI, Ecosystem::Npm, Ecosystem::CratesIo] {
        if !offline::has_ecosystem(dir, eco) {
            continue;
        }
        let zip = offline::ecosystem_dir(dir, eco).join("all.zip");
        let loaded = offline::load_ecosystem(dir, eco, cache);
        let size = std::fs::metadata(&zip).map(|m| m.len()).unwrap_or(0);
        let meta: Option<DumpMeta> = std::fs::read(meta_path(&zip))
            .ok()
            .and_then(|b| crate::doc::json::from_slice(&b, &crate::doc::Limits::DEFAULT).ok());
        let row = match loaded.index {
            Some(ix) => {
                let id = ix.identity;
                let age = chrono::DateTime::parse_from_rfc3339(&id.newest_modified)
                    .ok()
                    .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_days());
                InfoRow {
                    ecosystem: eco.as_str().into(),
                    path: id.source,
                    size,
                    records: id.records,
                    withdrawn: id.withdrawn,
                    newest_modified: id.newest_modified,
                    age_days: age,
                    sha256: id.sha256,
                    downloaded: meta.map(|m| m.downloaded),
                    error: None,
                }
            }
            None => InfoRow {
                ecosystem: eco.as_str().into(),
                path: zip.display().to_string(),
                size,
                records: 0,
                withdrawn: 0,
                newest_modified: String::new(),
                age_days: None,
                sha256: String::new(),
                downloaded: meta.map(|m| m.downloaded),
                error: Some(
                    loaded
                        .notifications
                        .iter()
                        .map(|n| n.message.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            },
        };
        rows.push(row);
    }
    rows
}

/// The table `tollgate db info` prints.
pub fn render_info(dir: &Path, rows: &[InfoRow]) -> String {
    let mut s = format!("OSV database: {}\n", dir.display());
    if rows.is_empty() {
        s.push_str("  nothing installed: run `tollgate db update`\n");
        return s;
    }
    for r in rows {
        match &r.error {
            Some(e) => s.push_str(&format!("  {:<10} {}  ERROR: {e}\n", r.ecosystem, r.path)),
            None => {
                s.push_str(&format!(
                "  {:<10} {}  {:.1} MB  {} records ({} withdrawn)  newest modified {}  age {}{}\n",
                r.ecosystem,
                r.path,
                r.size as f64 / 1e6,
                r.records,
                r.withdrawn,
                if r.newest_modified.is_empty() { "-" } else { &r.newest_modified },
                match r.age_days {
                    Some(d) if d >= 0 => format!("{d} days"),
                    Some(_) => "unknown (a record's modified date is in the future)".into(),
                    None => "unknown".into(),
                },
                r.downloaded
                    .as_ref()
                    .map(|d| format!("  downloaded {d}"))
                    .unwrap_or_default()
            ))
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        db: DbCommand,
    }

    #[test]
    fn arguments_parse() {
        let c = Cli::try_parse_from([
            "db",
            "update",
            "--ecosystem",
            "PyPI",
            "--ecosystem",
            "npm,crates.io",
            "--osv-db",
            "d",
            "--base-url",
            "http://127.0.0.1:1",
        ])
        .unwrap();
        let DbCommand::Update(u) = c.db else { panic!() };
        assert_eq!(
            parse_ecosystems(&u.ecosystems).unwrap(),
            vec![Ecosystem::PyPI, Ecosystem::Npm, Ecosystem::CratesIo]
        );
        assert_eq!(u.osv_db.as_deref(), Some(Path::new("d")));
        let c = Cli::try_parse_from(["db", "update"]).unwrap();
        let DbCommand::Update(u) = c.db else { panic!() };
        assert_eq!(u.base_url, crate::sca::DEFAULT_DUMP_URL);
        assert_eq!(parse_ecosystems(&u.ecosystems).unwrap().len(), 3);
        assert!(parse_ecosystems(&["Maven".into()]).is_err());
        assert!(matches!(
            Cli::try_parse_from(["db", "info", "--json"]).unwrap().db,
            DbCommand::Info(_)
        ));
    }

    #[test]
    fn info_on_an_empty_directory_says_so_and_exits_2() {
        let d = tempfile::tempdir().unwrap();
        assert!(info(d.path(), None).is_empty());
        assert!(render_info(d.path(), &[]).contains("nothing installed"));
        let code = run(&DbCommand::Info(InfoArgs {
            osv_db: Some(d.path().to_path_buf()),
            json: true,
        }))
        .unwrap();
        assert_eq!(code, 2);
    }
}
