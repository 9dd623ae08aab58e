//! The offline database: osv.dev's dump layout, `<dir>/<ECOSYSTEM>/all.zip` with one advisory JSON per
//! entry (a directory `<dir>/<ECOSYSTEM>/` of `*.json` files, i.e. the same zip unpacked, is read too).
//! Only the ecosystems a scan needs are loaded; each built index is cached on disk under the cache dir,
//! keyed by the sha256 of the zip, so that a second run skips decompression and JSON parsing.

use super::{parse_record, EcoIndex, ParsedRecord};
use crate::finding::{NoteLevel, Notification};
use crate::sca::model::Ecosystem;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// Bumped whenever the cached form changes, so an old cache is rebuilt rather than misread.
const CACHE_FORMAT: u32 = 3;
/// At most this many per-entry notifications per ecosystem; the rest are counted in one more.
const MAX_ENTRY_NOTES: usize = 20;

/// The outcome of loading one ecosystem.
#[derive(Debug)]
pub struct Loaded {
    pub index: Option<EcoIndex>,
    pub notifications: Vec<Notification>,
    /// The index came from the on-disk cache.
    pub from_cache: bool,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    tool_version: String,
    sha256: String,
    index: EcoIndex,
    /// Entries that could not be read, so that a cached run reports them as the first one did.
    entry_errors: Vec<String>,
}

/// Where tollgate caches things: `$XDG_CACHE_HOME/tollgate`, else `~/.cache/tollgate`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("tollgate"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("tollgate"))
}

/// The folder of one ecosystem inside a database directory.
pub fn ecosystem_dir(db_dir: &Path, eco: Ecosystem) -> PathBuf {
    db_dir.join(eco.as_str())
}

/// Is there anything to load for `eco` under `db_dir`?
pub fn has_ecosystem(db_dir: &Path, eco: Ecosystem) -> bool {
    let d = ecosystem_dir(db_dir, eco);
    d.join("all.zip").is_file() || !json_files(&d).is_empty()
}

pub(crate) fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

fn error_note(code: &str, msg: String) -> Notification {
    Notification::new(NoteLevel::Error, code, msg)
}

/// Load one ecosystem from `db_dir`, using (and filling) the index cache in `cache_dir` when given.
pub fn load_ecosystem(db_dir: &Path, eco: Ecosystem, cache_dir: Option<&Path>) -> Loaded {
    let dir = ecosystem_dir(db_dir, eco);
    let zip_path = dir.join("all.zip");
    if zip_path.is_file() {
        let bytes = match std::fs::read(&zip_path) {
            Ok(b) => b,
            Err(e) => {
                return Loaded {
                    index: None,
                    notifications: vec![error_note(
                        "osv-db-unreadable",
                        format!(
                            "{}: cannot read the advisory database: {e}",
                            zip_path.display()
                        ),
                    )],
                    from_cache: false,
                }
            }
        };
        let sha = hex::encode(Sha256::digest(&bytes));
        let source = zip_path.display().to_string();
        load_with_cache(eco, source, sha, cache_dir, || {
            read_zip(eco, &zip_path, &bytes)
        })
    } else {
        let files = json_files(&dir);
        if files.is_empty() {
            return Loaded {
                index: None,
                notifications: vec![error_note(
                    "osv-db-missing",
                    format!(
                        "no {} advisory database: {} does not exist (run `tollgate db update --ecosystem {}` \
                         or download https://osv-vulnerabilities.storage.googleapis.com/{}/all.zip there)",
                        eco.as_str(),
                        zip_path.display(),
                        eco.as_str(),
                        eco.as_str()
                    ),
                )],
                from_cache: false,
            };
        }
        let mut contents = Vec::with_capacity(files.len());
        let mut hasher = Sha256::new();
        let mut errors = Vec::new();
        for f in &files {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            match std::fs::read(f) {
                Ok(b) => {
                    hasher.update(name.as_bytes());
                    hasher.update([0]);
                    hasher.update(&b);
                    hasher.update([0]);
                    contents.push((name, b));
                }
                Err(e) => errors.push(format!("{}: cannot read: {e}", f.display())),
            }
        }
        let sha = hex::encode(hasher.finalize());
        let source = dir.display().to_string();
        let mut loaded = load_with_cache(eco, source, sha, cache_dir, || {
            let (recs, mut errs) = parse_entries(eco, &dir.display().to_string(), contents);
            errs.extend(errors.iter().cloned());
            Ok((recs, errs))
        });
        if loaded.from_cache {
            for e in &errors {
                loaded.notifications.push(Notification::new(
                    NoteLevel::Warning,
                    "osv-db-entry",
                    e.clone(),
                ));
            }
        }
        loaded
    }
}

type ReadResult = Result<(Vec<ParsedRecord>, Vec<String>), String>;

fn load_with_cache(
    eco: Ecosystem,
    source: String,
    sha: String,
    cache_dir: Option<&Path>,
    read: impl FnOnce() -> ReadResult,
) -> Loaded {
    let cache_path = cache_dir.map(|d| {
        d.join("osv-index").join(format!(
            "{}-{}.v{CACHE_FORMAT}.bin",
            eco.as_str(),
            &sha[..32]
        ))
    });
    if let Some(cp) = &cache_path {
        if let Some(cf) = read_cache(cp, &sha) {
            let mut index = cf.index;
            index.identity.source = source;
            return Loaded {
                index: Some(index),
                notifications: entry_notes(eco, &cf.entry_errors),
                from_cache: true,
            };
        }
    }
    let (records, entry_errors) = match read() {
        Ok(x) => x,
        Err(e) => {
            return Loaded {
                index: None,
                notifications: vec![error_note("osv-db-corrupt", e)],
                from_cache: false,
            }
        }
    };
    let index = EcoIndex::build(eco, source, sha.clone(), records);
    let mut notifications = entry_notes(eco, &entry_errors);
    if let Some(cp) = &cache_path {
        let cf = CacheFile {
            format: CACHE_FORMAT,
            tool_version: crate::VERSION.to_string(),
            sha256: sha,
            index,
            entry_errors,
        };
        let written = write_cache(cp, &cf);
        if written.is_ok() {
            prune_cache(cp, eco);
        }
        if let Err(e) = written {
            notifications.push(Notification::new(
                NoteLevel::Note,
                "osv-cache-unwritable",
                format!(
                    "cannot write the advisory index cache {}: {e}",
                    cp.display()
                ),
            ));
        }
        return Loaded {
            index: Some(cf.index),
            notifications,
            from_cache: false,
        };
    }
    Loaded {
        index: Some(index),
        notifications,
        from_cache: false,
    }
}

fn entry_notes(eco: Ecosystem, errors: &[String]) -> Vec<Notification> {
    let mut out: Vec<Notification> = errors
        .iter()
        .take(MAX_ENTRY_NOTES)
        .map(|e| {
            Notification::new(
                NoteLevel::Warning,
                "osv-db-entry",
                format!("{} advisory database: {e}; entry skipped", eco.as_str()),
            )
        })
        .collect();
    if errors.len() > MAX_ENTRY_NOTES {
        out.push(Notification::new(
            NoteLevel::Warning,
            "osv-db-entry",
            format!(
                "{} advisory database: {} more unreadable entries skipped",
                eco.as_str(),
                errors.len() - MAX_ENTRY_NOTES
            ),
        ));
    }
    out
}

fn read_cache(path: &Path, sha: &str) -> Option<CacheFile> {
    let bytes = std::fs::read(path).ok()?;
    let (cf, _): (CacheFile, usize) =
        bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).ok()?;
    (cf.format == CACHE_FORMAT && cf.sha256 == sha && cf.tool_version == crate::VERSION)
        .then_some(cf)
}

/// Keep the 3 most recent cached indexes of an ecosystem (each new dump has a new hash); older ones go.
fn prune_cache(current: &Path, eco: Ecosystem) {
    let Some(dir) = current.parent() else { return };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{}-", eco.as_str());
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".bin"))
        })
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    files.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, p) in files.into_iter().skip(3) {
        if p != current {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn write_cache(path: &Path, cf: &CacheFile) -> std::io::Result<()> {
    let bytes = bincode::serde::encode_to_vec(cf, bincode::config::standard())
        .map_err(std::io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Read every `*.json` entry of a dump zip, in parallel; unreadable entries are reported by name.
fn read_zip(eco: Ecosystem, path: &Path, bytes: &[u8]) -> ReadResult {
    let archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("{}: not a readable zip file: {e}", path.display()))?;
    let n = archive.len();
    let results: Vec<Result<Option<ParsedRecord>, String>> = (0..n)
        .into_par_iter()
        .with_min_len(64)
        .map_init(
            || (archive.clone(), Vec::new(), flate2::Decompress::new(false)),
            |(ar, buf, inflater), i| {
                let entry_err = |name: &str, e: &dyn std::fmt::Display| {
                    format!("{}: entry {name}: {e}", path.display())
                };
                // Fast path: inflate the entry's bytes in place with a reused decompressor.
                let raw = ar
                    .by_index_raw(i)
                    .map_err(|e| format!("{}: entry #{i}: {e}", path.display()))?;
                let name = raw
                    .name()
                    .map(|n| n.into_owned())
                    .unwrap_or_else(|_| format!("#{i}"));
                if raw.is_dir() || !name.ends_with(".json") {
                    return Ok(None);
                }
                let (start, csize, size, method) = (
                    raw.data_start(),
                    raw.compressed_size() as usize,
                    raw.size() as usize,
                    raw.compression(),
                );
                drop(raw);
                let data = start
                    .map(|s| s as usize)
                    .and_then(|s| bytes.get(s..s.checked_add(csize)?));
                buf.clear();
                let fast = match (data, method) {
                    (Some(d), zip::CompressionMethod::Stored) => {
                        buf.extend_from_slice(d);
                        true
                    }
                    (Some(d), zip::CompressionMethod::Deflated) if size <= 64 << 20 => {
                        inflater.reset(false);
                        buf.reserve(size + 1);
                        matches!(
                            inflater.decompress_vec(d, buf, flate2::FlushDecompress::Finish),
                            Ok(flate2::Status::StreamEnd)
                        ) && buf.len() == size
                    }
                    _ => false,
                };
                if !fast {
                    // Anything unusual (other methods, encryption, a short stream) goes through zip's
                    // own reader, which checks sizes and CRCs and names the problem.
                    buf.clear();
                    let mut f = ar.by_index(i).map_err(|e| entry_err(&name, &e))?;
                    f.read_to_end(buf).map_err(|e| entry_err(&name, &e))?;
                }
                parse_record(eco, buf)
                    .map(Some)
                    .map_err(|e| entry_err(&name, &e))
            },
        )
        .collect();
    let mut records = Vec::with_capacity(n);
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(Some(x)) => records.push(x),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if records.is_empty() && !errors.is_empty() {
        return Err(format!(
            "{}: no entry could be read ({} errors; first: {})",
            path.display(),
            errors.len(),
            errors[0]
        ));
    }
    Ok((records, errors))
}

fn parse_entries(
    eco: Ecosystem,
    dir: &str,
    contents: Vec<(String, Vec<u8>)>,
) -> (Vec<ParsedRecord>, Vec<String>) {
    let results: Vec<Result<ParsedRecord, String>> = contents
        .par_iter()
        .map(|(name, b)| parse_record(eco, b).map_err(|e| format!("{dir}/{name}: {e}")))
        .collect();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(x) => records.push(x),
            Err(e) => errors.push(e),
        }
    }
    (records, errors)
}
