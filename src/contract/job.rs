//! The contract scan job: every OpenAPI document of the tree diffed against its version at the base
//! (a git ref, or a directory of base documents), with unreadable revisions failing the job.

use super::pair_cache;
use super::*;
use crate::finding::{Finding, JobKind, NoteLevel, Notification};
use crate::model::cache::CacheKey;
use crate::model::{Job, JobOutput, ScanContext, SourceFile};
use crate::rule::RuleMeta;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub struct ContractJob {
    config: Config,
    /// Digest of the configuration, part of every result-cache key.
    settings: CacheKey,
}

impl ContractJob {
    pub fn new(config: &Config, _extra_rule_dirs: &[PathBuf]) -> crate::error::Result<Self> {
        Ok(ContractJob {
            config: config.clone(),
            // the base directory is a scratch path of each service scan: where the base comes from
            // (a directory or git) is in each key, the directory itself is not
            settings: crate::model::cache::digest(&[format!(
                "{:?}",
                Config {
                    base_dir: None,
                    ..config.clone()
                }
            )
            .as_bytes()]),
        })
    }

    /// One document against its base, through the result cache when the scan has one.
    fn diff_file(
        &self,
        base_ref: &str,
        f: &SourceFile,
        text: &str,
        ctx: &ScanContext,
    ) -> (Vec<Finding>, Vec<Notification>) {
        let root = ctx.root.as_path();
        let base_src = match &self.config.base_dir {
            Some(dir) => Source::File(dir.join(&f.rel)),
            None => Source::Git {
                repo: root.to_path_buf(),
                rev: base_ref.to_string(),
                path: f.rel.clone(),
            },
        };
        let base_text = base_src.read();
        let opts = self.config.options();
        let key = match &base_text {
            Ok(bt) if ctx.cache.is_enabled() => Some(pair_cache::key(
                &ctx.cache,
                &pair_cache::PairInputs {
                    settings: &self.settings,
                    base_from_dir: self.config.base_dir.is_some(),
                    rel: &f.rel,
                    base_ref,
                    today: &opts.today.to_string(),
                    base_text: bt,
                    head_text: text,
                },
            )),
            _ => None,
        };
        let anchors = pair_cache::Anchors {
            root,
            base_dir: self.config.base_dir.as_deref(),
        };
        if let Some(hit) = key
            .as_ref()
            .and_then(|k| pair_cache::lookup(&ctx.cache, k, &anchors))
        {
            return hit;
        }
        let mut out = self.diff_pair(base_ref, f, text, root, base_src, base_text, &opts);
        if let (Some(k), Some((base, rev))) = (key, out.2.take()) {
            pair_cache::store(&ctx.cache, k, &anchors, [&base, &rev], &out.0, &out.1);
        }
        (out.0, out.1)
    }

    /// The diff itself: findings, notifications, and the two loaded documents when both loaded (what
    /// the cache records as pulled in).
    #[allow(clippy::too_many_arguments)]
    fn diff_pair(
        &self,
        base_ref: &str,
        f: &SourceFile,
        text: &str,
        root: &Path,
        base_src: Source,
        base_text: Result<String, LoadError>,
        opts: &Options,
    ) -> (Vec<Finding>, Vec<Notification>, Option<(Spec, Spec)>) {
        let mut notes = Vec::new();
        let rev = match Spec::from_text(Source::File(f.abs.clone()), f.rel.clone(), text) {
            Ok(s) => s,
            Err(e) => {
                let what = e
                    .message
                    .trim_start_matches(&format!("{}:", f.rel))
                    .to_string();
                notes.push(unreadable_revision(
                    base_ref,
                    f,
                    root,
                    self.config.base_dir.as_deref(),
                    e.line,
                    e.col,
                    &what,
                ));
                return (Vec::new(), notes, None);
            }
        };
        let base_missing = matches!(&base_src, Source::File(p) if !p.is_file());
        let base = match base_text.and_then(|t| Spec::from_text(base_src, f.rel.clone(), &t)) {
            Ok(s) => s,
            Err(_) if base_missing => {
                notes.push(
                    Notification::new(
                        NoteLevel::Note,
                        "contract-new-api",
                        format!(
                            "{}: no base version given: a new API, nothing to compare",
                            f.rel
                        ),
                    )
                    .at(f.rel.clone(), None),
                );
                return (Vec::new(), notes, None);
            }
            Err(e) if e.missing => {
                notes.push(
                    Notification::new(
                        NoteLevel::Note,
                        "contract-new-api",
                        format!(
                            "{}: not present at {base_ref}: a new API, nothing to compare",
                            f.rel
                        ),
                    )
                    .at(f.rel.clone(), None),
                );
                return (Vec::new(), notes, None);
            }
            Err(e) => {
                notes.push(
                    Notification::new(
                        NoteLevel::Warning,
                        "contract-base-error",
                        format!(
                            "{}: the version at {base_ref} cannot be loaded: {}",
                            f.rel, e.message
                        ),
                    )
                    .at(f.rel.clone(), e.line),
                );
                return (Vec::new(), notes, None);
            }
        };
        // files a `$ref` pulled in are named relative to the scan root (or the base directory), so
        // the same tree scanned in another directory gives the same result
        // (a root of `.` names them relative already, and `./` is common in `$ref`s a note quotes)
        let dirs: Vec<String> = std::iter::once(root)
            .chain(self.config.base_dir.as_deref())
            .filter(|d| {
                !d.components()
                    .all(|c| matches!(c, std::path::Component::CurDir))
            })
            .map(|d| {
                format!(
                    "{}/",
                    d.to_string_lossy().replace('\\', "/").trim_end_matches('/')
                )
            })
            .collect();
        let relative = |s: &str| {
            dirs.iter()
                .fold(s.to_string(), |s, d| s.replace(d.as_str(), ""))
        };
        notes.extend(rev.notes.iter().map(|n| {
            let mut n = n.clone();
            n.message = relative(&n.message);
            n.path = n.path.as_deref().map(relative);
            n
        }));
        let changes = diff_specs(&base, &rev, opts);
        let idx = crate::text::LineIndex::new(text);
        let findings = changes
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if let Some(rest) = dirs.iter().find_map(|d| c.file.strip_prefix(d.as_str())) {
                    c.file = rest.to_string();
                }
                let snippet = (c.side == Side::Revision && c.file == f.rel)
                    .then(|| crate::text::clip(idx.line_text(c.line), 160))
                    .filter(|s| !s.is_empty());
                to_finding(&c, &self.config, snippet)
            })
            .collect();
        (findings, notes, Some((base, rev)))
    }
}

/// The code of the error notification that fails the job: the revision of a document that was an API
/// description at the base cannot be read (or is not one any more).
pub const REVISION_UNREADABLE: &str = "contract-revision-unreadable";

/// Whether the version of `rel` at `base_ref` is an OpenAPI (or Swagger) description. `None`: the
/// file is not present there.
fn api_at_base(base_ref: &str, rel: &str, root: &Path, base_dir: Option<&Path>) -> Option<bool> {
    if let Some(dir) = base_dir {
        return match std::fs::read(dir.join(rel)) {
            Ok(b) => {
                let t = String::from_utf8_lossy(&b);
                Some(spec::looks_like_openapi(&t) || spec::looks_like_swagger(&t))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(_) => Some(false),
        };
    }
    let src = Source::Git {
        repo: root.to_path_buf(),
        rev: base_ref.to_string(),
        path: rel.to_string(),
    };
    match src.read() {
        Ok(t) => Some(spec::looks_like_openapi(&t) || spec::looks_like_swagger(&t)),
        Err(e) if e.missing => None,
        Err(_) => Some(false),
    }
}

/// A revision that cannot be read: an error that fails the job when the file was an API description
/// at the base (a broken contract must not pass as "no changes"), else a warning.
fn unreadable_revision(
    base_ref: &str,
    f: &SourceFile,
    root: &Path,
    base_dir: Option<&Path>,
    line: Option<u32>,
    col: Option<u32>,
    what: &str,
) -> Notification {
    let line = line.unwrap_or(1);
    let what = what
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == ':')
        .trim();
    if api_at_base(base_ref, &f.rel, root, base_dir) == Some(true) {
        Notification::new(
            NoteLevel::Error,
            REVISION_UNREADABLE,
            format!(
                "{}:{line}: an API description at {base_ref}, this revision cannot be compared: {what}",
                f.rel
            ),
        )
        .at(f.rel.clone(), Some(line))
        .with_column(col)
    } else {
        Notification::new(
            NoteLevel::Warning,
            "contract-parse-error",
            format!("{}:{line}: {what}", f.rel),
        )
        .at(f.rel.clone(), Some(line))
        .with_column(col)
    }
}

/// Files that differ between `base_ref` and the working tree, relative to `root` (`None`: git could
/// not tell).
fn changed_since(base_ref: &str, root: &Path) -> Option<std::collections::HashSet<String>> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "diff",
            "--name-only",
            "--relative",
            "--no-renames",
            "-z",
            base_ref,
            "--",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        out.stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
    )
}

impl Job for ContractJob {
    fn kind(&self) -> JobKind {
        JobKind::Contract
    }

    fn rules(&self) -> Vec<RuleMeta> {
        // made when asked for (a scan asks once; the service keeps each job set's list): a copy kept
        // here would cost as much to clone as to build
        let mut v: Vec<RuleMeta> = checks::all().iter().map(rule_meta).collect();
        v.extend(super::code::rule_metas());
        v
    }

    fn rules_for(&self, ids: &std::collections::BTreeSet<&str>) -> Vec<RuleMeta> {
        let mut v: Vec<RuleMeta> = checks::all()
            .iter()
            .filter(|c| ids.contains(c.id.as_str()))
            .map(rule_meta)
            .collect();
        if ids.iter().any(|id| id.starts_with("code-")) {
            v.extend(
                super::code::rule_metas()
                    .into_iter()
                    .filter(|r| ids.contains(r.id.as_str())),
            );
        }
        v
    }

    fn scan(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput {
        let mut out = JobOutput::default();
        if self.config.check_code {
            let (fs, ns) = super::code::check(files, ctx);
            out.findings.extend(
                fs.into_iter()
                    .filter(|f| ctx.rule_enabled(&f.rule_id, JobKind::Contract)),
            );
            out.notifications.extend(ns);
        }
        let Some(base_ref) = self.config.base.as_deref() else {
            out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            out.notifications.sort();
            return out;
        };
        let candidates: Vec<&SourceFile> = files
            .iter()
            .filter(|f| matches!(f.extension().as_str(), "yaml" | "yml" | "json"))
            .collect();
        // with base documents in a directory (the HTTP service), every non-API file is looked up there
        let base_dir = self.config.base_dir.as_deref();
        let changed = match base_dir {
            Some(_) => None,
            None => changed_since(base_ref, &ctx.root),
        };
        let results: Vec<(usize, Vec<Finding>, Vec<Notification>)> = candidates
            .par_iter()
            .filter_map(|f| {
                // sniff the head before reading the whole file
                let head = {
                    use std::io::Read;
                    let mut buf = Vec::with_capacity(2048);
                    std::fs::File::open(&f.abs)
                        .and_then(|h| h.take(2048).read_to_end(&mut buf))
                        .map(|_| buf)
                };
                let is_api = head.map(|b| {
                    let h = String::from_utf8_lossy(&b);
                    spec::looks_like_openapi(&h) || spec::looks_like_swagger(&h)
                });
                if matches!(is_api, Ok(false)) {
                    // not an API description (any more?): only a file changed since the base can
                    // have been one there
                    let note = changed
                        .as_ref()
                        .is_none_or(|c| c.contains(&f.rel))
                        .then(|| api_at_base(base_ref, &f.rel, &ctx.root, base_dir))
                        .flatten()
                        .filter(|was| *was)
                        .map(|_| {
                            unreadable_revision(
                                base_ref,
                                f,
                                &ctx.root,
                                base_dir,
                                Some(1),
                                Some(1),
                                "not an OpenAPI description any more (no top-level `openapi` or `swagger` key)",
                            )
                        });
                    ctx.progress.inc(1);
                    return note.map(|n| (1, Vec::new(), vec![n]));
                }
                let text = match ctx.read_text(f) {
                    Ok(t) => t,
                    Err(n) => {
                        ctx.progress.inc(1);
                        return Some((1, Vec::new(), vec![n]));
                    }
                };
                let mut roots = vec![ctx.root.as_path()];
                roots.extend(self.config.base_dir.as_deref());
                let _confined = spec::confine_refs(&roots);
                let (fs, ns) = self.diff_file(base_ref, f, &text, ctx);
                ctx.progress.inc(1);
                Some((1, fs, ns))
            })
            .collect();
        for (n, fs, ns) in results {
            out.files_scanned += n;
            out.findings.extend(
                fs.into_iter()
                    .filter(|f| ctx.rule_enabled(&f.rule_id, JobKind::Contract)),
            );
            out.failed |= ns.iter().any(|n| n.code == REVISION_UNREADABLE);
            out.notifications.extend(ns);
        }
        out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out.notifications.sort();
        out.properties
            .insert("contract.base".into(), base_ref.into());
        out
    }
}
