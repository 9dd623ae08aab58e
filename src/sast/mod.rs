//! Python SAST job: tree-sitter pattern rules and taint tracking. Rules are data in `rules/python/`.
//!
//! Each Python file is parsed once (in parallel, one parser per thread); its imports are collected; all
//! pattern rules run in one walk of the tree ([`pattern::Engine`]); then the taint engine runs over the
//! same tree. A file with syntax errors gets a `parse-error` notification and what tree-sitter recovered
//! is still scanned.

pub mod field;
mod findings;
pub mod imports;
pub mod limits;
pub mod pattern;
pub mod prefilter;
mod returners;
pub mod rules;
mod scan;
pub mod taint;
pub mod templates;

use crate::finding::{Finding, FlowStep, JobKind, NoteLevel, Notification, Severity};
use crate::model::{Job, JobOutput, ScanContext, SourceFile};
use crate::rule::RuleMeta;
use crate::text::{clip, LineIndex};
use findings::{
    enclosing_function, fingerprint_key, first_paragraph, handles_input, location, normalize,
};
use rules::{LoadedRule, RuleKind};
use serde::Deserialize;
use std::path::PathBuf;
use tree_sitter::{Node, Parser, Tree};

/// `[sast]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Leave out the built-in rules and use only those of `--rules` directories.
    #[serde(default)]
    pub no_builtin_rules: bool,
    /// What to do with findings in test code (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`).
    #[serde(default)]
    pub test_code: TestCode,
}

/// `[sast] test-code`: test suites pickle, assert and run shell commands on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestCode {
    /// Report them at `info` severity (they never fail the default gate). The default.
    #[default]
    Demote,
    /// Report them like any other finding.
    Report,
    /// Do not scan test files (one notification says how many were skipped).
    Skip,
}

/// Is this path test code? `tests/`, `test/`, `testing/` directories, `test_*.py`, `*_test.py`,
/// `*_tests.py`, `conftest.py`.
pub fn is_test_path(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name == "conftest.py"
        || (name.starts_with("test_") && name.ends_with(".py"))
        || name.ends_with("_test.py")
        || name.ends_with("_tests.py")
    {
        return true;
    }
    rel.split('/')
        .rev()
        .skip(1)
        .any(|d| matches!(d, "test" | "tests" | "testing"))
}

/// The Python SAST job.
pub struct SastJob {
    test_code: TestCode,
    /// The rules and their taint rules: loaded when the job is built from `--rules` directories or given
    /// rules, else (built-in rules only) on first use, so a tree without Python files never loads them.
    loaded: std::sync::OnceLock<Loaded>,
    /// The pattern rules compiled, built when the first Python file is scanned (a tree without Python
    /// pays nothing for them). Every rule's pattern was checked when it was loaded, so building cannot fail
    /// but for a broken built-in rule, which the scan then reports as an error.
    engine: std::sync::OnceLock<Result<pattern::Engine, String>>,
    /// What every cached result of this job depends on besides its file: the configuration and the text of
    /// every rule loaded.
    settings: crate::model::cache::CacheKey,
    /// Skip parsing files that contain none of the names the enabled rules need ([`prefilter`]).
    prefilter: bool,
}

/// A job's rules, sorted by id, and `(index into rules, rule)` of its taint rules.
struct Loaded {
    rules: Vec<LoadedRule>,
    taint_rules: Vec<(usize, (String, taint::TaintRule))>,
    /// The built-in rules could not be loaded (a broken build: a test loads them all).
    error: Option<String>,
}

impl Loaded {
    fn new(rules: Vec<LoadedRule>) -> Self {
        let taint_rules = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.taint.clone().map(|t| (i, (r.file.id.clone(), t))))
            .collect();
        Loaded {
            rules,
            taint_rules,
            error: None,
        }
    }
}

impl SastJob {
    /// Load the built-in rules and `DIR/python/*.yaml` of each extra rule directory. A rule of a later
    /// directory replaces a rule with the same id. With the built-in rules only, they are loaded on first
    /// use (the settings digest hashes their embedded text instead).
    pub fn new(config: &Config, extra_rule_dirs: &[PathBuf]) -> crate::error::Result<Self> {
        if !config.no_builtin_rules && extra_rule_dirs.is_empty() {
            let mut parts: Vec<(&str, &std::path::Path, &str)> = rules::builtin_files().collect();
            parts.sort_by(|a, b| a.0.cmp(b.0));
            let config_text = format!("{config:?}");
            let mut digest: Vec<&[u8]> = vec![config_text.as_bytes(), b"built-in rules"];
            for (_, path, text) in &parts {
                digest.push(path.to_str().unwrap_or("").as_bytes());
                digest.push(text.as_bytes());
            }
            return Ok(SastJob {
                test_code: config.test_code,
                loaded: std::sync::OnceLock::new(),
                engine: std::sync::OnceLock::new(),
                settings: crate::model::cache::digest(&digest),
                prefilter: true,
            });
        }
        let mut rules = if config.no_builtin_rules {
            Vec::new()
        } else {
            rules::builtin_rules()?
        };
        for dir in extra_rule_dirs {
            for r in rules::load_dir(dir)? {
                rules.retain(|x| x.file.id != r.file.id);
                rules.push(r);
            }
        }
        rules.sort_by(|a, b| a.file.id.cmp(&b.file.id));
        let mut job = Self::from_rules(rules)?;
        job.test_code = config.test_code;
        job.settings = settings_digest(&format!("{config:?}"), job.rules_list());
        Ok(job)
    }

    /// A job with exactly these rules.
    pub fn from_rules(rules: Vec<LoadedRule>) -> crate::error::Result<Self> {
        let settings = settings_digest(&format!("{:?}", Config::default()), &rules);
        Ok(SastJob {
            test_code: TestCode::default(),
            loaded: std::sync::OnceLock::from(Loaded::new(rules)),
            engine: std::sync::OnceLock::new(),
            settings,
            prefilter: true,
        })
    }

    /// The rules (the built-in ones loaded now if not yet).
    fn loaded(&self) -> &Loaded {
        self.loaded.get_or_init(|| match rules::builtin_rules() {
            Ok(r) => Loaded::new(r),
            Err(e) => Loaded {
                rules: Vec::new(),
                taint_rules: Vec::new(),
                error: Some(e.to_string()),
            },
        })
    }

    /// The ids of the rules, without loading built-in rules not loaded yet (their file names are their
    /// ids).
    fn rule_ids(&self) -> Vec<String> {
        match self.loaded.get() {
            Some(l) => l.rules.iter().map(|r| r.file.id.clone()).collect(),
            None => rules::builtin_files()
                .map(|(id, _, _)| id.to_string())
                .collect(),
        }
    }

    /// The compiled pattern rules (built on first use), or why they could not be built.
    fn engine(&self) -> Result<&pattern::Engine, &str> {
        self.engine
            .get_or_init(|| {
                let rules = &self.loaded().rules;
                let specs: Vec<Option<&pattern::PatternSpec>> = rules
                    .iter()
                    .map(|r| match r.file.kind {
                        RuleKind::Pattern => r.file.pattern.as_ref(),
                        RuleKind::Taint => None,
                    })
                    .collect();
                pattern::Engine::new(&specs).map_err(|(i, m)| {
                    let origin = rules.get(i).map(|r| r.origin.display().to_string());
                    format!("{}: {m}", origin.unwrap_or_default())
                })
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Which rules run in a scan: the selected ones. (A rule `deferred-to` a taint rule still runs; its
    /// findings are filtered in [`SastJob::scan_source`].)
    pub fn enabled_rules(&self, ctx: &ScanContext) -> Vec<bool> {
        self.rules_list()
            .iter()
            .map(|r| ctx.rule_enabled(&r.file.id, JobKind::Sast))
            .collect()
    }

    /// Turn the name prefilter off (every Python file is parsed) or on (the default). Findings are the same
    /// either way; a test checks it.
    pub fn set_prefilter(&mut self, on: bool) {
        self.prefilter = on;
    }

    /// The loaded rules, sorted by id.
    pub fn loaded_rules(&self) -> &[LoadedRule] {
        self.rules_list()
    }

    fn rules_list(&self) -> &[LoadedRule] {
        &self.loaded().rules
    }

    /// Scan one file's text (what `scan` does per file; also handy for tests and benchmarks).
    pub fn scan_source(
        &self,
        parser: &mut Parser,
        rel: &str,
        source: &str,
        enabled: &[bool],
    ) -> (Vec<Finding>, Vec<Notification>) {
        match parse_checked(parser, rel, source) {
            Ok((tree, notes)) => self.scan_tree(
                &tree,
                notes,
                rel,
                source,
                enabled,
                None,
                None,
                Known::default(),
            ),
            Err(notes) => (Vec::new(), notes),
        }
    }
}

/// Parse a file within the limits: the tree and what parsing said (a syntax error), or why the file is not
/// scanned at all.
fn parse_checked(
    parser: &mut Parser,
    rel: &str,
    source: &str,
) -> Result<(Tree, Vec<Notification>), Vec<Notification>> {
    {
        let mut notes = Vec::new();
        if source.len() > limits::MAX_PARSE_BYTES {
            notes.push(
                Notification::new(
                    NoteLevel::Warning,
                    "too-large",
                    format!(
                        "{rel}: {} bytes is over the Python parser's limit of {} bytes; it was not scanned",
                        source.len(),
                        limits::MAX_PARSE_BYTES
                    ),
                )
                .at(rel, None),
            );
            return Err(notes);
        }
        let Some(tree) = parser.parse(source, None) else {
            notes.push(
                Notification::new(
                    NoteLevel::Warning,
                    "parse-error",
                    format!("{rel}: the Python parser gave up on this file; it was not scanned"),
                )
                .at(rel, None),
            );
            return Err(notes);
        };
        let index = LineIndex::new(source);
        if let Some(byte) = limits::too_deep(&tree, limits::MAX_TREE_DEPTH) {
            let (line, col) = index.position(byte);
            notes.push(
                Notification::new(
                    NoteLevel::Warning,
                    "too-deep",
                    format!(
                        "{rel}:{line}: code nested deeper than {} levels (generated?); the file was not scanned",
                        limits::MAX_TREE_DEPTH
                    ),
                )
                .at(rel, Some(line))
                .with_column(Some(col)),
            );
            return Err(notes);
        }
        if tree.root_node().has_error() {
            let (line, col) = first_error(&tree)
                .map(|n| index.position(n.start_byte()))
                .unwrap_or((1, 1));
            notes.push(
                Notification::new(
                    NoteLevel::Warning,
                    "parse-error",
                    format!(
                        "{rel}:{line}: syntax error (not valid Python 3?); the rest of the file was still scanned"
                    ),
                )
                .at(rel, Some(line))
                .with_column(Some(col)),
            );
        }
        Ok((tree, notes))
    }
}

/// What the caller of [`SastJob::scan_tree`] already knows about the file, so it is not worked out twice.
#[derive(Default)]
struct Known {
    /// The file's imports, when phase 1 collected them.
    imports: Option<imports::Imports>,
    /// The prefilter found none of the names any enabled pattern rule needs: the file was parsed for its
    /// taint sources only, and the pattern rules are not run on it (they could not match).
    no_pattern_can_match: bool,
}

impl SastJob {
    /// The taint rules that run with this selection, in rule order.
    fn active_taint_rules(&self, enabled: &[bool]) -> Vec<(String, taint::TaintRule)> {
        self.loaded()
            .taint_rules
            .iter()
            .filter(|(i, _)| enabled.get(*i).copied().unwrap_or(false))
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Scan one parsed file (`notes`: what parsing said). With `xmod`, calls into the other modules of the
    /// tree are followed through their summaries (the compiled taint rules come with it). With `templates`,
    /// the templates a view renders are looked into. `known`: what the caller already worked out.
    #[allow(clippy::too_many_arguments)]
    fn scan_tree(
        &self,
        tree: &Tree,
        mut notes: Vec<Notification>,
        rel: &str,
        source: &str,
        enabled: &[bool],
        xmod: Option<(&taint::CompiledRules, &taint::project::XMod)>,
        templates: Option<&templates::Templates>,
        known: Known,
    ) -> (Vec<Finding>, Vec<Notification>) {
        // line starts, indexed on the first finding (most files have none)
        let lines = std::cell::OnceCell::new();
        let index = || lines.get_or_init(|| LineIndex::new(source));
        let bytes = source.as_bytes();
        let imports = known
            .imports
            .unwrap_or_else(|| imports::Imports::from_tree(tree, bytes));
        let mut findings = Vec::new();
        // (index in `findings`, inside a function that reads web input) of findings of rules deferred to
        // a taint rule that runs
        let mut deferred: Vec<(usize, bool)> = Vec::new();
        let matches = match self.engine() {
            Ok(_) if known.no_pattern_can_match => Vec::new(),
            Ok(engine) => engine.run(tree, bytes, &imports, rel, enabled),
            Err(_) => Vec::new(),
        };
        for m in matches {
            let rule = &self.rules_list()[m.rule];
            let mut msg = m
                .message
                .as_deref()
                .unwrap_or(&rule.file.message)
                .to_string();
            if let Some(name) = &m.name {
                msg = msg.replace("{name}", name);
            }
            let mut f = self.finding(rule, index(), rel, m.node.start_byte(), m.node.end_byte());
            f.message = msg;
            if let Some(s) = m.severity {
                f.severity = s;
            }
            f.fingerprint_key = fingerprint_key(&rule.file.id, m.node, bytes);
            if !rule.file.deferred_to.is_empty() {
                let active = rule.file.deferred_to.iter().any(|d| {
                    self.rules_list()
                        .iter()
                        .zip(enabled)
                        .any(|(o, &on)| on && &o.file.id == d)
                });
                if active {
                    deferred.push((findings.len(), handles_input(m.node, bytes)));
                }
            }
            if let Some(name) = m.name {
                f.properties
                    .insert("name".into(), serde_json::Value::String(name));
            }
            findings.push(f);
        }
        let hits = match xmod {
            Some((compiled, x)) => compiled.analyze_with(tree, source, &imports, Some(x)),
            None => {
                let active = self.active_taint_rules(enabled);
                taint::analyze(tree, source, &imports, &active)
            }
        };
        {
            for hit in hits {
                let Some(rule) = self.rules_list().iter().find(|r| r.file.id == hit.rule_id) else {
                    continue;
                };
                if hit.template.is_some() {
                    if let Some(t) = templates {
                        let source_text =
                            hit.steps.first().and_then(|(s, e, _)| source.get(*s..*e));
                        let fp = format!(
                            "{}|{rel}|{}",
                            normalize(source_text.unwrap_or("")),
                            enclosing_function(tree, hit.sink_start_byte, bytes)
                        );
                        findings.extend(t.findings(
                            self,
                            rule,
                            &hit,
                            rel,
                            index(),
                            &fp,
                            &mut notes,
                        ));
                    }
                    continue;
                }
                let mut f =
                    self.finding(rule, index(), rel, hit.sink_start_byte, hit.sink_end_byte);
                f.message = hit.message.clone();
                if let Some(s) = hit.severity_override {
                    f.severity = s;
                }
                let sink_text = source
                    .get(hit.sink_start_byte..hit.sink_end_byte)
                    .unwrap_or("");
                let source_text = hit
                    .steps
                    .first()
                    .and_then(|(s, e, _)| source.get(*s..*e))
                    .unwrap_or("");
                f.fingerprint_key = format!(
                    "{}|{}|{}|{}",
                    rule.file.id,
                    normalize(sink_text),
                    normalize(source_text),
                    enclosing_function(tree, hit.sink_start_byte, bytes)
                );
                f.code_flow = hit
                    .steps
                    .iter()
                    .map(|(s, e, label)| FlowStep {
                        location: location(index(), rel, *s, *e),
                        message: label.clone(),
                    })
                    .collect();
                // a sink in another module: the finding is there, its path starts here
                if let Some(last) = hit.remote.last() {
                    f.location = last.location.clone();
                    f.snippet = hit.remote_snippet.clone();
                    f.properties.insert(
                        "cross-module".into(),
                        serde_json::Value::String(rel.to_string()),
                    );
                    f.fingerprint_key
                        .push_str(&format!("|{}", last.location.path));
                    f.code_flow.extend(hit.remote.iter().cloned());
                }
                findings.push(f);
            }
        }
        // A pattern rule deferred to a taint rule stands down where the taint engine sees the whole flow:
        // in a function that reads web input (the taint rule reports the real injections there and stays
        // quiet on constants, sanitized and validated values), and on a line the taint rule reported.
        // Elsewhere (library code, helpers taking parameters) the pattern still reports, as Bandit does.
        if !deferred.is_empty() {
            let mut drop = vec![false; findings.len()];
            for (i, in_handler) in &deferred {
                let rule_id = findings[*i].rule_id.clone();
                let Some(rule) = self.rules_list().iter().find(|r| r.file.id == rule_id) else {
                    continue;
                };
                let line = findings[*i].location.start_line;
                let severity = findings[*i].severity;
                // (a low-severity taint finding, e.g. from an environment variable, does not replace it)
                let covered = findings.iter().any(|o| {
                    rule.file.deferred_to.contains(&o.rule_id)
                        && o.severity >= severity
                        && o.location.start_line <= line
                        && o.location.end_line >= line
                });
                drop[*i] = *in_handler || covered;
            }
            let mut i = 0;
            findings.retain(|_| {
                i += 1;
                !drop[i - 1]
            });
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
        (findings, notes)
    }

    fn finding(
        &self,
        rule: &LoadedRule,
        index: &LineIndex,
        rel: &str,
        start: usize,
        end: usize,
    ) -> Finding {
        let loc = location(index, rel, start, end);
        let line = loc.start_line;
        let mut f = Finding::new(
            rule.file.id.clone(),
            JobKind::Sast,
            rule.file.severity,
            rule.file.message.clone(),
            loc,
        );
        f.cwe = rule.file.cwe.clone();
        f.snippet = Some(clip(index.line_text(line), 200));
        let fix = rule.file.docs.fix.trim();
        if !fix.is_empty() {
            f.remediation = Some(first_paragraph(fix));
        }
        f
    }
}

/// The digest of a job's settings that goes into every cache key of the job.
fn settings_digest(config: &str, rules: &[LoadedRule]) -> crate::model::cache::CacheKey {
    let mut parts: Vec<&[u8]> = vec![config.as_bytes()];
    for r in rules {
        parts.push(r.origin.to_str().unwrap_or("").as_bytes());
        parts.push(r.text.as_bytes());
    }
    crate::model::cache::digest(&parts)
}

/// The first ERROR or MISSING node of a tree, in source order.
fn first_error(tree: &Tree) -> Option<Node<'_>> {
    let mut node = tree.root_node();
    'outer: loop {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        let mut c = node.walk();
        for child in node.children(&mut c) {
            if child.has_error() || child.is_missing() {
                node = child;
                continue 'outer;
            }
        }
        return None;
    }
}

/// Is this a file the job scans: `*.py`, or an extension-less file whose first line is a Python
/// shebang.
pub fn is_python_file(file: &SourceFile) -> bool {
    match file.extension().as_str() {
        "py" => true,
        "" => has_python_shebang(&file.abs),
        _ => false,
    }
}

fn has_python_shebang(path: &std::path::Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = [0u8; 128];
    let n = f.read(&mut buf).unwrap_or(0);
    let head = &buf[..n];
    if !head.starts_with(b"#!") {
        return false;
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    String::from_utf8_lossy(line).contains("python")
}

/// A parser for Python source.
pub fn new_parser() -> Parser {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("tree-sitter-python matches the tree-sitter ABI");
    p
}

impl Job for SastJob {
    fn kind(&self) -> JobKind {
        JobKind::Sast
    }

    fn rules(&self) -> Vec<RuleMeta> {
        self.rules_list().iter().map(LoadedRule::meta).collect()
    }

    fn scan(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput {
        let mut picked: Vec<&SourceFile> = files.iter().filter(|f| is_python_file(f)).collect();
        picked.sort();
        let mut out = JobOutput::default();
        if picked.is_empty() {
            // nothing to scan: the rules are not loaded for it
            let enabled = self
                .rule_ids()
                .iter()
                .filter(|id| ctx.rule_enabled(id, JobKind::Sast))
                .count();
            if enabled > 0 {
                out.properties
                    .insert("sast.rules".into(), serde_json::Value::from(enabled));
            }
            return out;
        }
        if let Some(e) = &self.loaded().error {
            out.notifications.push(Notification::new(
                NoteLevel::Error,
                "rule-error",
                format!("the built-in Python rules could not be loaded ({e}); no rule ran"),
            ));
            out.failed = true;
            return out;
        }
        let enabled = self.enabled_rules(ctx);
        if self.test_code == TestCode::Skip {
            let before = picked.len();
            picked.retain(|f| !is_test_path(&f.rel));
            let skipped = before - picked.len();
            if skipped > 0 {
                out.notifications.push(Notification::new(
                    NoteLevel::Note,
                    "sast-tests-skipped",
                    format!("{skipped} Python test files were not scanned ([sast] test-code = \"skip\")"),
                ));
            }
        }
        if !enabled.iter().any(|e| *e) {
            return out;
        }
        if let (Err(e), false) = (self.engine(), picked.is_empty()) {
            out.notifications.push(Notification::new(
                NoteLevel::Error,
                "rule-error",
                format!("the pattern rules could not be compiled ({e}); no pattern rule ran"),
            ));
            out.failed = true;
        }
        let traced = self
            .rules_list()
            .iter()
            .zip(&enabled)
            .any(|(r, on)| *on && r.file.id == templates::RULE_ID);
        let templates = traced.then(|| templates::Templates::new(files, ctx));
        let results = self.scan_files(&picked, ctx, &enabled, templates.as_ref());
        out.files_scanned = picked.iter().filter(|f| ctx.in_shard(&f.rel)).count();
        let mut demoted = 0usize;
        for (mut f, n) in results {
            if self.test_code == TestCode::Demote {
                for x in f.iter_mut().filter(|x| is_test_path(&x.location.path)) {
                    if x.severity > Severity::Info {
                        x.properties.insert(
                            "original-severity".into(),
                            serde_json::Value::from(x.severity.as_str()),
                        );
                        x.severity = Severity::Info;
                        demoted += 1;
                    }
                    x.properties
                        .insert("test-code".into(), serde_json::Value::Bool(true));
                }
            }
            out.findings.extend(f);
            out.notifications.extend(n);
        }
        if demoted > 0 {
            out.notifications.push(Notification::new(
                NoteLevel::Note,
                "sast-tests-demoted",
                format!(
                    "{demoted} findings in test code were reported at info severity ([sast] test-code = \"report\" keeps their severity)"
                ),
            ));
        }
        out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out.notifications.sort();
        out.properties.insert(
            "sast.rules".into(),
            serde_json::Value::from(enabled.iter().filter(|e| **e).count()),
        );
        out
    }
}

#[cfg(test)]
mod tests;
