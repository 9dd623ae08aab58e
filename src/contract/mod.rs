//! Contract job: OpenAPI documents diffed against their previous version.
//!
//! - [`node`]: a position-keeping document tree (fast JSON tokenizer, saphyr for YAML);
//! - [`spec`]: loading a description (file or `git:REF:path`) and the files its `$ref`s reach;
//! - [`diff`]: the differ; [`checks`]: the catalogue of checks with ids and levels;
//! - this module: config, the scan job, findings, and the text / markdown / JSON renderings.

pub mod checks;
pub mod diff;
pub mod node;
pub mod spec;
pub mod swagger;

use crate::finding::{
    Finding, JobKind, Location, NoteLevel, Notification, Suppression, SuppressionKind,
};
use crate::model::{Job, JobOutput, ScanContext, SourceFile};
use crate::rule::{Precision, RuleMeta};
pub use checks::Level;
pub use diff::{Change, Options, Side, SunsetPolicy};
use include_dir::{include_dir, Dir};
use rayon::prelude::*;
use serde::Deserialize;
pub use spec::{LoadError, Source, Spec};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

static FIXTURES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/openapi");

/// The fixture pair of a check (its `base.yaml` and `revision.yaml`), the example of its help. The
/// index is built on first use, in one pass over the embedded tree: `Dir::get_dir` compares paths
/// entry by entry, and a lookup per check (1,500 of them) made every scan's rule list quadratic.
fn fixture_example(id: &str) -> Option<(&'static str, &'static str)> {
    static INDEX: std::sync::OnceLock<
        std::collections::HashMap<&'static str, (&'static str, &'static str)>,
    > = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        for dir in FIXTURES.dirs() {
            let Some(name) = dir.path().file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let get = |n: &str| {
                dir.files()
                    .find(|f| f.path().file_name().is_some_and(|x| x == n))
                    .and_then(|f| f.contents_utf8())
            };
            if let (Some(b), Some(r)) = (get("base.yaml"), get("revision.yaml")) {
                m.insert(name, (b, r));
            }
        }
        m
    });
    index.get(id).copied()
}

/// `[contract]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Git ref to diff the OpenAPI documents of a scan against (`--contract-base`), e.g. `origin/main`.
    pub base: Option<String>,
    /// A directory holding the base versions of the tree's documents at the same relative paths, used
    /// instead of git (the HTTP service receives the base documents with the scan). Not a configuration key.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
    /// Changes to accept, by check id and operation or path, with a reason.
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
    /// Threshold of `tollgate diff`: `error` (default: breaking changes), `warning`, `info` or `never`.
    pub fail_on: Option<LevelThreshold>,
    /// `deprecation` (default): a deprecated operation may be removed once its sunset date, if any, has
    /// passed; `sunset-date`: a passed `x-sunset` date is required.
    pub sunset_policy: Option<SunsetPolicy>,
    /// A newly deprecated operation needs a sunset date at least this many days away (0: no check).
    pub min_sunset_days: Option<u32>,
    /// Breaking changes need a new `info.version` (`api-version-not-bumped` otherwise).
    pub require_version_bump: Option<bool>,
}

/// A `[[contract.ignore]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IgnoreEntry {
    /// A check id, or a prefix ending in `*` (`response-property-*`), or `*`.
    pub id: String,
    /// `GET /users/{id}` (the path matches by shape).
    pub operation: Option<String>,
    /// `/users/{id}`: every operation of the path.
    pub path: Option<String>,
    pub reason: String,
}

impl IgnoreEntry {
    pub fn matches(&self, c: &Change) -> bool {
        let id_ok = match self.id.strip_suffix('*') {
            Some(prefix) => c.id.starts_with(prefix),
            None => self.id == c.id,
        };
        if !id_ok {
            return false;
        }
        if let Some(op) = &self.operation {
            let (m, p) = op.trim().split_once(' ').unwrap_or(("", op.trim()));
            let ok = c
                .method
                .as_deref()
                .is_some_and(|cm| cm.eq_ignore_ascii_case(m.trim()))
                && c.path
                    .as_deref()
                    .is_some_and(|cp| diff::path_shape(cp) == diff::path_shape(p.trim()));
            if !ok {
                return false;
            }
        }
        if let Some(p) = &self.path {
            if c.path
                .as_deref()
                .is_none_or(|cp| diff::path_shape(cp) != diff::path_shape(p))
            {
                return false;
            }
        }
        true
    }
}

/// `--fail-on` of `tollgate diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LevelThreshold {
    Level(Level),
    Never,
}

impl LevelThreshold {
    pub fn fails(self, l: Level) -> bool {
        match self {
            LevelThreshold::Level(t) => l >= t,
            LevelThreshold::Never => false,
        }
    }
}

impl std::str::FromStr for LevelThreshold {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "error" | "breaking" | "err" => Ok(LevelThreshold::Level(Level::Error)),
            "warning" | "warn" => Ok(LevelThreshold::Level(Level::Warning)),
            "info" => Ok(LevelThreshold::Level(Level::Info)),
            "never" | "none" => Ok(LevelThreshold::Never),
            o => Err(format!(
                "unknown level `{o}` (expected error, warning, info or never)"
            )),
        }
    }
}

impl TryFrom<String> for LevelThreshold {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl Config {
    pub fn options(&self) -> Options {
        Options {
            sunset_policy: self.sunset_policy.unwrap_or_default(),
            min_sunset_days: self.min_sunset_days.unwrap_or(0),
            require_version_bump: self.require_version_bump.unwrap_or(false),
            ..Options::default()
        }
    }

    /// The ignore entry that accepts a change, if any.
    pub fn ignored(&self, c: &Change) -> Option<&IgnoreEntry> {
        self.ignore.iter().find(|e| e.matches(c))
    }
}

/// Diff two loaded descriptions.
pub fn diff_specs(base: &Spec, rev: &Spec, opts: &Options) -> Vec<Change> {
    diff::diff(base, rev, opts)
}

/// Load and diff two sources (files or git), returning the changes and the validity notes of both.
pub fn diff_sources(
    base: Source,
    rev: Source,
    opts: &Options,
) -> Result<(Vec<Change>, Vec<Notification>), LoadError> {
    let t0 = std::time::Instant::now();
    let (b, r) = rayon::join(|| Spec::load(base), || Spec::load(rev));
    let (b, r) = (b?, r?);
    let t1 = std::time::Instant::now();
    let changes = diff_specs(&b, &r, opts);
    if std::env::var_os("TOLLGATE_CONTRACT_TIMING").is_some() {
        eprintln!(
            "contract timing: load {:?}, diff {:?}",
            t1 - t0,
            t1.elapsed()
        );
    }
    let mut notes = b.notes.clone();
    notes.extend(r.notes.iter().cloned());
    // Freeing millions of nodes of two large descriptions takes longer than the diff itself; this
    // function serves one-shot commands (`tollgate diff`), so the trees are left to process exit.
    std::mem::forget(b);
    std::mem::forget(r);
    Ok((changes, notes))
}

/// One finding per change (`rule_id` = check id; error -> high, warning -> medium, info -> info), with
/// config ignores applied as external suppressions.
pub fn to_finding(c: &Change, cfg: &Config, snippet: Option<String>) -> Finding {
    let mut f = Finding::new(
        c.id.clone(),
        JobKind::Contract,
        c.level.severity(),
        c.message.clone(),
        Location {
            path: c.file.clone(),
            start_line: c.line.max(1),
            start_column: c.column.max(1),
            end_line: c.line.max(1),
            end_column: c.column.max(1) + 1,
        },
    );
    f.snippet = snippet;
    f.fingerprint_key = format!(
        "{}|{}|{}|{}",
        c.operation.as_deref().unwrap_or(""),
        c.pointer,
        c.base_value.as_deref().unwrap_or(""),
        c.revision_value.as_deref().unwrap_or("")
    );
    f.remediation = Some(
        match c.level {
            Level::Error => "Keep the old contract (restore it, or add the new behaviour alongside it), or release it as a new API version; accept it deliberately with a `[[contract.ignore]]` entry",
            Level::Warning => "Check that clients handle the change; accept it with a `[[contract.ignore]]` entry",
            Level::Info => "No action needed: the change is compatible",
        }
        .to_string(),
    );
    let p = &mut f.properties;
    p.insert("level".into(), c.level.as_str().into());
    p.insert("pointer".into(), c.pointer.clone().into());
    p.insert(
        "side".into(),
        serde_json::to_value(c.side).unwrap_or_default(),
    );
    if let Some(o) = &c.operation {
        p.insert("operation".into(), o.clone().into());
    }
    if let Some(m) = &c.method {
        p.insert("method".into(), m.clone().into());
    }
    if let Some(x) = &c.path {
        p.insert("path".into(), x.clone().into());
    }
    if let Some(v) = &c.base_value {
        p.insert("base".into(), v.clone().into());
    }
    if let Some(v) = &c.revision_value {
        p.insert("revision".into(), v.clone().into());
    }
    if let Some((l, col)) = c.base_position {
        p.insert("base_line".into(), l.into());
        p.insert("base_column".into(), col.into());
    }
    if let Some(e) = cfg.ignored(c) {
        f.suppression = Some(Suppression {
            kind: SuppressionKind::External,
            justification: e.reason.clone(),
        });
    }
    f
}

/// Rule metadata of a check (help with a base/revision example from the fixtures where one exists).
pub fn rule_meta(c: &checks::Check) -> RuleMeta {
    let mut help = format!(
        "## {}\n\n**Level:** {} ({})  \n**Group:** {}\n\n{}\n",
        c.id,
        c.level,
        match c.level {
            Level::Error => "breaking: existing clients fail",
            Level::Warning => "may break some clients",
            Level::Info => "compatible",
        },
        c.group,
        c.description
    );
    if let Some((b, r)) = fixture_example(&c.id) {
        let _ = write!(
            help,
            "\n### Example\n\nBase:\n\n```yaml\n{}\n```\n\nRevision:\n\n```yaml\n{}\n```\n",
            b.trim_end().replace("# expect: ", "# reported: "),
            r.trim_end().replace("# expect: ", "# reported: ")
        );
    }
    help.push_str("\nTo accept a deliberate change:\n\n```toml\n[[contract.ignore]]\nid = \"");
    help.push_str(&c.id);
    help.push_str("\"\noperation = \"GET /users/{id}\"\nreason = \"announced in the 2.0 release notes\"\n```\n");
    RuleMeta {
        id: c.id.clone(),
        job: JobKind::Contract,
        name: c.id.clone(),
        title: c
            .description
            .split(": ")
            .next()
            .unwrap_or(&c.description)
            .trim_end_matches('.')
            .to_string(),
        description: c.description.clone(),
        help_markdown: help,
        severity: c.level.severity(),
        precision: Precision::High,
        cwe: Vec::new(),
        tags: vec!["openapi".into(), "contract".into(), c.group.into()],
        help_uri: None,
        security_severity: None,
    }
}

pub struct ContractJob {
    config: Config,
}

impl ContractJob {
    pub fn new(config: &Config, _extra_rule_dirs: &[PathBuf]) -> crate::error::Result<Self> {
        Ok(ContractJob {
            config: config.clone(),
        })
    }

    fn diff_file(
        &self,
        base_ref: &str,
        f: &SourceFile,
        text: &str,
        root: &Path,
    ) -> (Vec<Finding>, Vec<Notification>) {
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
                return (Vec::new(), notes);
            }
        };
        let base_src = match &self.config.base_dir {
            Some(dir) => Source::File(dir.join(&f.rel)),
            None => Source::Git {
                repo: root.to_path_buf(),
                rev: base_ref.to_string(),
                path: f.rel.clone(),
            },
        };
        let base_missing = matches!(&base_src, Source::File(p) if !p.is_file());
        let base = match Spec::load_named(base_src, f.rel.clone()) {
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
                return (Vec::new(), notes);
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
                return (Vec::new(), notes);
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
                return (Vec::new(), notes);
            }
        };
        notes.extend(rev.notes.iter().cloned());
        let changes = diff_specs(&base, &rev, &self.config.options());
        let idx = crate::text::LineIndex::new(text);
        let root_s = root.to_string_lossy().replace('\\', "/");
        let findings = changes
            .iter()
            .map(|c| {
                let mut c = c.clone();
                // external files: relative to the scan root
                if let Some(rest) = c.file.strip_prefix(&root_s) {
                    c.file = rest.trim_start_matches('/').to_string();
                }
                let snippet = (c.side == Side::Revision && c.file == f.rel)
                    .then(|| crate::text::clip(idx.line_text(c.line), 160))
                    .filter(|s| !s.is_empty());
                to_finding(&c, &self.config, snippet)
            })
            .collect();
        (findings, notes)
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
        // made on first use and kept: the list does not depend on the job's configuration
        static RULES: std::sync::OnceLock<Vec<RuleMeta>> = std::sync::OnceLock::new();
        RULES
            .get_or_init(|| checks::all().iter().map(rule_meta).collect())
            .clone()
    }

    fn scan(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput {
        let mut out = JobOutput::default();
        let Some(base_ref) = self.config.base.as_deref() else {
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
                let (fs, ns) = self.diff_file(base_ref, f, &text, &ctx.root);
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

// ---------------------------------------------------------------------------------------------------
// renderings for `tollgate diff`

fn counts(changes: &[Change]) -> BTreeMap<Level, usize> {
    let mut m = BTreeMap::new();
    for c in changes {
        *m.entry(c.level).or_insert(0) += 1;
    }
    m
}

/// Plain text: one line per change, breaking first.
pub fn render_text(changes: &[Change], cfg: &Config) -> String {
    let mut v: Vec<&Change> = changes.iter().collect();
    v.sort_by(|a, b| {
        b.level.cmp(&a.level).then_with(|| {
            (&a.file, a.line, a.column, &a.id).cmp(&(&b.file, b.line, b.column, &b.id))
        })
    });
    let mut s = String::new();
    for c in v {
        let ign = cfg
            .ignored(c)
            .map(|e| format!(" [ignored: {}]", e.reason))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{}:{}:{}: {} [{}] {}{}",
            c.file, c.line, c.column, c.level, c.id, c.message, ign
        );
    }
    let n = counts(changes);
    let _ = writeln!(
        s,
        "{} changes: {} error (breaking), {} warning, {} info",
        changes.len(),
        n.get(&Level::Error).unwrap_or(&0),
        n.get(&Level::Warning).unwrap_or(&0),
        n.get(&Level::Info).unwrap_or(&0)
    );
    s
}

/// A changelog for release notes: grouped by operation, breaking changes first.
pub fn render_markdown(changes: &[Change], cfg: &Config) -> String {
    let mut s = String::from("# API changelog\n\n");
    if changes.is_empty() {
        s.push_str("No changes.\n");
        return s;
    }
    for (level, title) in [
        (Level::Error, "Breaking changes"),
        (Level::Warning, "Changes that may break clients"),
        (Level::Info, "Other changes"),
    ] {
        let mut by_op: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
        for c in changes.iter().filter(|c| c.level == level) {
            by_op
                .entry(c.operation.as_deref().unwrap_or("Document"))
                .or_default()
                .push(c);
        }
        if by_op.is_empty() {
            continue;
        }
        let _ = writeln!(s, "## {title}\n");
        for (op, cs) in by_op {
            let _ = writeln!(s, "### {op}\n");
            for c in cs {
                let what = c
                    .message
                    .strip_prefix(&format!("{op}: "))
                    .unwrap_or(&c.message);
                let what = what.rsplit_once(" (at ").map_or(what, |(a, _)| a);
                let ign = cfg
                    .ignored(c)
                    .map(|e| format!(" _(accepted: {})_", e.reason))
                    .unwrap_or_default();
                let _ = writeln!(s, "- {what} (`{}`){ign}", c.id);
            }
            s.push('\n');
        }
    }
    s
}

/// JSON: the changes and notifications.
pub fn render_json(changes: &[Change], notes: &[Notification], cfg: &Config) -> String {
    let items: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            if let (Some(e), Some(o)) = (cfg.ignored(c), v.as_object_mut()) {
                o.insert("ignored".into(), e.reason.clone().into());
            }
            v
        })
        .collect();
    let n = counts(changes);
    let v = serde_json::json!({
        "changes": items,
        "summary": {
            "error": n.get(&Level::Error).unwrap_or(&0),
            "warning": n.get(&Level::Warning).unwrap_or(&0),
            "info": n.get(&Level::Info).unwrap_or(&0),
        },
        "notifications": notes,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
