//! What a `POST /v1/scans` carries, read under the service's limits: a gzip'd tarball, a zip,
//! `multipart/form-data` files, or JSON `{"files": [...]}`, plus the scan's options from the query string
//! or multipart fields. Every entry is checked before it is accepted (no absolute paths, no `..`, no
//! links or device files, no duplicates, bytes counted as they inflate), so nothing can be written outside
//! the scan's scratch directory and no archive can grow past the limit.

use super::problem::Problem;
use super::Limits;
use crate::engine::{safe_relative_path, InputFile};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Scan options a request may set (query parameters or multipart fields), mirroring `tollgate scan`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanParams {
    pub jobs: Option<Vec<String>>,
    pub fail_on: Option<String>,
    /// Per-job thresholds (`fail_on_sca=critical`).
    pub fail_on_jobs: BTreeMap<String, String>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub category: Option<String>,
    pub all_rules: bool,
    /// Answer 202 at once and scan in the background.
    pub run_async: bool,
}

/// Query/field names a scan request understands.
pub const PARAM_NAMES: &[&str] = &[
    "jobs",
    "fail_on",
    "fail_on_secrets",
    "fail_on_sast",
    "fail_on_sca",
    "fail_on_contract",
    "select",
    "ignore",
    "category",
    "all_rules",
    "async",
];

impl ScanParams {
    /// Take one `key=value` pair; unknown keys and bad values are a 400 that names them.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), Problem> {
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let boolean = |v: &str| match v.to_ascii_lowercase().as_str() {
            "" | "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" => Ok(false),
            _ => Err(Problem::bad_request(format!(
                "`{key}={v}`: expected true or false"
            ))),
        };
        match key {
            "jobs" => {
                let mut jobs = self.jobs.take().unwrap_or_default();
                jobs.extend(list(value));
                self.jobs = Some(jobs);
            }
            "fail_on" => self.fail_on = Some(value.trim().to_string()),
            "select" => self.select.extend(list(value)),
            "ignore" => self.ignore.extend(list(value)),
            "category" => self.category = Some(value.to_string()),
            "all_rules" => self.all_rules = boolean(value)?,
            "async" => self.run_async = boolean(value)?,
            k if k.starts_with("fail_on_") && PARAM_NAMES.contains(&k) => {
                self.fail_on_jobs
                    .insert(k["fail_on_".len()..].to_string(), value.trim().to_string());
            }
            _ => {
                return Err(Problem::bad_request(format!(
                    "unknown parameter `{key}` (known: {})",
                    PARAM_NAMES.join(", ")
                ))
                .with("parameter", key))
            }
        }
        Ok(())
    }
}

/// A scan as submitted: the tree, the options, and optional baseline and contract base documents.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Submission {
    pub files: Vec<StoredFile>,
    pub params: ScanParams,
    /// A baseline: tollgate's own baseline JSON or a SARIF file from an earlier run.
    pub baseline: Option<String>,
    /// Base versions of the tree's API descriptions, at the same paths.
    pub contract_base: Vec<StoredFile>,
}

/// A file of a submission (serializable, so an async scan can wait in the store for any replica).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFile {
    pub path: String,
    pub content: Vec<u8>,
}

impl From<StoredFile> for InputFile {
    fn from(f: StoredFile) -> Self {
        InputFile {
            path: f.path,
            content: f.content,
        }
    }
}

impl Submission {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.content.len() as u64).sum()
    }
}

/// Collects files under the limits: count, path length, duplicates, total bytes.
struct Collector<'a> {
    limits: &'a Limits,
    files: Vec<StoredFile>,
    seen: BTreeSet<String>,
    total: u64,
}

impl<'a> Collector<'a> {
    fn new(limits: &'a Limits) -> Self {
        Collector {
            limits,
            files: Vec::new(),
            seen: BTreeSet::new(),
            total: 0,
        }
    }

    /// Check an entry's name and claim a slot for it; returns the normalised path.
    fn admit(&mut self, raw: &str) -> Result<String, Problem> {
        if raw.len() > self.limits.max_path_len {
            return Err(Problem::limit(
                "max_path_len",
                self.limits.max_path_len as u64,
                format!(
                    "an entry's path is longer than {} bytes",
                    self.limits.max_path_len
                ),
            )
            .with("entry", truncate(raw, 200)));
        }
        let rel = safe_relative_path(raw)
            .map_err(|e| Problem::invalid_archive(e.to_string(), Some(raw)))?;
        let rel = rel.to_string_lossy().replace('\\', "/");
        if !self.seen.insert(rel.clone()) {
            return Err(Problem::invalid_archive(
                format!("{rel}: the entry appears twice"),
                Some(raw),
            ));
        }
        if self.seen.len() > self.limits.max_files {
            return Err(Problem::limit(
                "max_files",
                self.limits.max_files as u64,
                format!("more than {} files", self.limits.max_files),
            ));
        }
        Ok(rel)
    }

    /// Read an entry's content, counting bytes against the total as they come (a bomb stops at the limit).
    fn read_into(&mut self, path: String, r: &mut dyn Read) -> Result<(), Problem> {
        let remaining = self.limits.max_uncompressed.saturating_sub(self.total);
        let mut buf = Vec::new();
        r.take(remaining + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Problem::invalid_archive(format!("{path}: {e}"), Some(&path)))?;
        self.add_bytes(path, buf)
    }

    fn add_bytes(&mut self, path: String, content: Vec<u8>) -> Result<(), Problem> {
        self.total += content.len() as u64;
        if self.total > self.limits.max_uncompressed {
            return Err(Problem::limit(
                "max_uncompressed_size",
                self.limits.max_uncompressed,
                format!(
                    "the tree is larger than {} bytes uncompressed (stopped at {path})",
                    self.limits.max_uncompressed
                ),
            ));
        }
        self.files.push(StoredFile { path, content });
        Ok(())
    }

    fn add(&mut self, raw: &str, content: Vec<u8>) -> Result<(), Problem> {
        let path = self.admit(raw)?;
        self.add_bytes(path, content)
    }

    fn finish(mut self) -> Vec<StoredFile> {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.files
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// What kind of archive a body holds, by content type or, failing that, by its first bytes.
pub fn sniff_archive(content_type: &str, bytes: &[u8]) -> Option<ArchiveKind> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/gzip"
        | "application/x-gzip"
        | "application/x-tar+gzip"
        | "application/x-compressed-tar" => return Some(ArchiveKind::TarGz),
        "application/x-tar" => return Some(ArchiveKind::Tar),
        "application/zip" | "application/x-zip-compressed" => return Some(ArchiveKind::Zip),
        _ => {}
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(ArchiveKind::TarGz)
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(ArchiveKind::Zip)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    TarGz,
    Tar,
    Zip,
}

/// Read an archive's regular files.
pub fn read_archive(
    kind: ArchiveKind,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<StoredFile>, Problem> {
    let mut c = Collector::new(limits);
    match kind {
        ArchiveKind::TarGz => read_tar(flate2::read::GzDecoder::new(bytes), &mut c)?,
        ArchiveKind::Tar => read_tar(bytes, &mut c)?,
        ArchiveKind::Zip => read_zip(bytes, &mut c)?,
    }
    Ok(c.finish())
}

fn read_tar<R: Read>(reader: R, c: &mut Collector) -> Result<(), Problem> {
    let mut ar = tar::Archive::new(reader);
    let entries = ar
        .entries()
        .map_err(|e| Problem::invalid_archive(format!("not a tar archive: {e}"), None))?;
    for entry in entries {
        let mut entry = entry
            .map_err(|e| Problem::invalid_archive(format!("corrupt tar archive: {e}"), None))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        use tar::EntryType as T;
        match entry.header().entry_type() {
            T::Regular | T::Continuous => {
                let path = c.admit(&raw)?;
                c.read_into(path, &mut entry)?;
            }
            T::Directory => {}
            // pax and GNU extension headers are consumed by the reader itself; a global header carries
            // no file
            T::XGlobalHeader => {}
            T::Symlink | T::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                return Err(Problem::invalid_archive(
                    format!(
                        "{raw}: links are not accepted (points to {target:?}); send the file itself"
                    ),
                    Some(&raw),
                ));
            }
            T::Char | T::Block | T::Fifo => {
                return Err(Problem::invalid_archive(
                    format!("{raw}: device files and pipes are not accepted"),
                    Some(&raw),
                ))
            }
            other => {
                return Err(Problem::invalid_archive(
                    format!("{raw}: unsupported tar entry type {other:?}"),
                    Some(&raw),
                ))
            }
        }
    }
    Ok(())
}

fn read_zip(bytes: &[u8], c: &mut Collector) -> Result<(), Problem> {
    let mut ar = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| Problem::invalid_archive(format!("not a zip archive: {e}"), None))?;
    if ar.len() > c.limits.max_files.saturating_mul(2) {
        return Err(Problem::limit(
            "max_files",
            c.limits.max_files as u64,
            format!("the zip lists {} entries", ar.len()),
        ));
    }
    for i in 0..ar.len() {
        let mut f = ar
            .by_index(i)
            .map_err(|e| Problem::invalid_archive(format!("corrupt zip entry #{i}: {e}"), None))?;
        let raw = String::from_utf8_lossy(f.name_raw()).into_owned();
        if f.is_dir() {
            continue;
        }
        if f.is_symlink() {
            return Err(Problem::invalid_archive(
                format!("{raw}: links are not accepted; send the file itself"),
                Some(&raw),
            ));
        }
        if let Some(mode) = f.unix_mode() {
            let kind = mode & 0o170000;
            if kind != 0 && kind != 0o100000 {
                return Err(Problem::invalid_archive(
                    format!("{raw}: only regular files are accepted (mode {mode:o})"),
                    Some(&raw),
                ));
            }
        }
        let path = c.admit(&raw)?;
        c.read_into(path, &mut f)?;
    }
    Ok(())
}

/// The JSON body: `{"files": [{"path", "content", "encoding"?}], "baseline"?, "contract_base"?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonBody {
    pub files: Vec<JsonFile>,
    /// A baseline document (tollgate baseline JSON or SARIF), as a JSON value or as text.
    #[serde(default)]
    pub baseline: Option<serde_json::Value>,
    /// Base versions of API descriptions for the contract job.
    #[serde(default)]
    pub contract_base: Vec<JsonFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFile {
    pub path: String,
    pub content: String,
    /// `utf-8` (default) or `base64`.
    #[serde(default)]
    pub encoding: Option<String>,
}

fn decode_json_files(files: Vec<JsonFile>, c: &mut Collector) -> Result<(), Problem> {
    for f in files {
        let bytes = match f.encoding.as_deref() {
            None | Some("utf-8") | Some("utf8") => f.content.into_bytes(),
            Some("base64") => base64_decode(&f.content).ok_or_else(|| {
                Problem::bad_request(format!("{}: content is not valid base64", f.path))
            })?,
            Some(other) => {
                return Err(Problem::bad_request(format!(
                    "{}: unknown encoding `{other}` (utf-8 or base64)",
                    f.path
                )))
            }
        };
        c.add(&f.path, bytes)?;
    }
    Ok(())
}

/// Read a JSON body into a submission.
pub fn read_json(bytes: &[u8], limits: &Limits) -> Result<Submission, Problem> {
    let body: JsonBody = crate::doc::json::from_slice(bytes, &crate::doc::Limits::default())
        .map_err(|e| Problem::bad_request(format!("the body is not a valid scan request: {e}")))?;
    let mut c = Collector::new(limits);
    decode_json_files(body.files, &mut c)?;
    let mut base = Collector::new(limits);
    decode_json_files(body.contract_base, &mut base)?;
    Ok(Submission {
        files: c.finish(),
        params: ScanParams::default(),
        baseline: body.baseline.map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }),
        contract_base: base.finish(),
    })
}

/// One part of a multipart body, already read.
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Read multipart parts into a submission: `file` parts (named by their filename), an `archive` part,
/// a `baseline` part, `contract_base` parts, and option fields.
pub fn read_multipart(parts: Vec<Part>, limits: &Limits) -> Result<Submission, Problem> {
    let mut c = Collector::new(limits);
    let mut base = Collector::new(limits);
    let mut sub = Submission::default();
    for p in parts {
        match p.name.as_str() {
            "file" | "files" | "files[]" => {
                let name = p.file_name.clone().ok_or_else(|| {
                    Problem::bad_request("a `file` part needs a filename (the path in the tree)")
                })?;
                c.add(&name, p.bytes)?;
            }
            "archive" => {
                let kind = sniff_archive(p.content_type.as_deref().unwrap_or(""), &p.bytes)
                    .ok_or_else(|| {
                        Problem::unsupported_media(
                            "the `archive` part is neither a gzip'd tarball nor a zip",
                        )
                    })?;
                for f in read_archive(kind, &p.bytes, limits)? {
                    c.add(&f.path, f.content)?;
                }
            }
            "baseline" => {
                sub.baseline = Some(String::from_utf8_lossy(&p.bytes).into_owned());
            }
            "contract_base" => {
                let name = p.file_name.clone().ok_or_else(|| {
                    Problem::bad_request(
                        "a `contract_base` part needs a filename (the path of the document in the tree)",
                    )
                })?;
                base.add(&name, p.bytes)?;
            }
            key => {
                let v = String::from_utf8_lossy(&p.bytes);
                sub.params.set(key, &v)?;
            }
        }
    }
    sub.files = c.finish();
    sub.contract_base = base.finish();
    Ok(sub)
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.as_bytes()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn params_known_and_unknown() {
        let mut p = ScanParams::default();
        p.set("jobs", "secrets,sast").unwrap();
        p.set("fail_on_sca", "critical").unwrap();
        p.set("async", "true").unwrap();
        assert_eq!(p.jobs.as_deref().unwrap(), ["secrets", "sast"]);
        assert_eq!(p.fail_on_jobs["sca"], "critical");
        assert!(p.run_async);
        assert!(p.set("rm_rf", "1").is_err());
        assert!(p.set("fail_on_everything", "1").is_err());
        assert!(p.set("async", "maybe").is_err());
    }
}
