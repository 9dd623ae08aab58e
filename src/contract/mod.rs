//! Contract job: OpenAPI documents diffed against their previous version.
//!
//! - [`node`]: a position-keeping document tree (fast JSON tokenizer, saphyr for YAML);
//! - [`spec`]: loading a description (file or `git:REF:path`) and the files its `$ref`s reach;
//! - [`diff`]: the differ; [`checks`]: the catalogue of checks with ids and levels;
//! - [`routes`], [`code`]: the Flask / FastAPI routes of the tree's Python against its document;
//! - [`job`]: the scan job (each document against its base), with its result cache (`pair_cache`);
//! - this module: config, findings, and the text / markdown / JSON renderings.

pub mod checks;
pub mod code;
pub mod diff;
mod job;
pub mod node;
mod pair_cache;
pub mod routes;
pub mod spec;
pub mod swagger;

pub use job::{ContractJob, REVISION_UNREADABLE};

use crate::finding::{Finding, JobKind, Location, Notification, Suppression, SuppressionKind};
use crate::rule::{Precision, RuleMeta};
pub use checks::Level;
pub use diff::{Change, Options, Side, SunsetPolicy};
use include_dir::{include_dir, Dir};
use serde::Deserialize;
pub use spec::{LoadError, Source, Spec};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

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
    /// Compare the routes of the tree's Python code (Flask, FastAPI) with its OpenAPI document
    /// (`code-operation-undocumented`, `code-operation-unserved`). Off by default.
    #[serde(default)]
    pub check_code: bool,
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
