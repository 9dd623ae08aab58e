//! Python rule files: one rule per `rules/python/<ID>.yaml`, built in, plus `DIR/python/*.yaml` from
//! `--rules DIR`. The format is published as a JSON Schema in `rules/schema/python-rule.schema.json`.

use crate::error::{Error, Result};
use crate::finding::{JobKind, Severity};
use crate::rule::{Precision, RuleMeta};
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The rules that ship with tollgate.
pub static BUILTIN_RULES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/rules/python");

/// `kind:` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Pattern,
    Taint,
}

/// `docs:` of a rule: what `tollgate rules explain` and SARIF `help.markdown` show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub fix: String,
    #[serde(default)]
    pub references: Vec<String>,
}

/// `examples:` of a rule, run by the test suite.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub positive: Vec<String>,
    #[serde(default)]
    pub negative: Vec<String>,
}

/// A cross-reference to a peer tool's rule code (`B307`, or a list of them).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CodeRef {
    One(String),
    Many(Vec<String>),
}

impl CodeRef {
    pub fn codes(&self) -> Vec<String> {
        match self {
            CodeRef::One(s) => vec![s.clone()],
            CodeRef::Many(v) => v.clone(),
        }
    }
}

/// One rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub precision: Precision,
    pub cwe: Vec<u32>,
    pub kind: RuleKind,
    pub message: String,
    pub docs: Docs,
    #[serde(default)]
    pub examples: Examples,
    #[serde(default)]
    pub bandit: Option<CodeRef>,
    #[serde(default)]
    pub ruff: Option<CodeRef>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Rules (usually taint rules) that decide the same question more precisely: while one of them is
    /// loaded and enabled, this rule does not run (it is the fallback when they are turned off).
    #[serde(default, rename = "deferred-to")]
    pub deferred_to: Vec<String>,
    /// `kind: pattern`: the matcher (see [`crate::sast::pattern::PatternSpec`]).
    #[serde(default)]
    pub pattern: Option<crate::sast::pattern::PatternSpec>,
    /// `kind: taint`: handed to the taint engine as it is.
    #[serde(default)]
    pub taint: Option<serde_norway::Value>,
}

/// A loaded rule: the file, where it came from, and its taint section if it has one.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub file: RuleFile,
    pub origin: PathBuf,
    pub taint: Option<crate::sast::taint::TaintRule>,
    /// The rule file's text (the result cache keys on it).
    pub text: String,
}

impl LoadedRule {
    /// What reports and `tollgate rules` show about the rule.
    pub fn meta(&self) -> RuleMeta {
        let f = &self.file;
        let mut tags = vec!["python".to_string(), "sast".to_string()];
        if f.kind == RuleKind::Taint {
            tags.push("taint".into());
        }
        tags.extend(f.tags.iter().cloned());
        RuleMeta {
            id: f.id.clone(),
            job: JobKind::Sast,
            name: crate::rule::pascal_case(&f.id),
            title: f.title.clone(),
            description: f.docs.what.trim().to_string(),
            help_markdown: help_markdown(f),
            severity: f.severity,
            precision: f.precision,
            cwe: f.cwe.clone(),
            tags,
            help_uri: f.docs.references.first().cloned(),
            security_severity: None,
        }
    }
}

fn help_markdown(f: &RuleFile) -> String {
    let mut s = format!("## {}\n\n", f.title);
    s.push_str("### What it does\n\n");
    s.push_str(f.docs.what.trim());
    s.push_str("\n\n### Why is this bad?\n\n");
    s.push_str(f.docs.why.trim());
    s.push_str("\n\n### How to fix\n\n");
    s.push_str(f.docs.fix.trim());
    s.push('\n');
    if let Some(pos) = f.examples.positive.first() {
        s.push_str("\n### Example (flagged)\n\n```python\n");
        s.push_str(pos.trim_end());
        s.push_str("\n```\n");
    }
    if let Some(neg) = f.examples.negative.first() {
        s.push_str("\n### Example (not flagged)\n\n```python\n");
        s.push_str(neg.trim_end());
        s.push_str("\n```\n");
    }
    let mut refs: Vec<String> = f.docs.references.clone();
    for c in &f.cwe {
        refs.push(format!("https://cwe.mitre.org/data/definitions/{c}.html"));
    }
    let mut peers = Vec::new();
    if let Some(b) = &f.bandit {
        peers.push(format!("Bandit {}", b.codes().join(", ")));
    }
    if let Some(r) = &f.ruff {
        peers.push(format!("Ruff {}", r.codes().join(", ")));
    }
    if !peers.is_empty() {
        s.push_str(&format!(
            "\nSame check in other tools: {}.\n",
            peers.join("; ")
        ));
    }
    if !refs.is_empty() {
        s.push_str("\n### References\n\n");
        for r in refs {
            s.push_str(&format!("- <{r}>\n"));
        }
    }
    s
}

/// Parse one rule file's text. `expected_id` is the file stem, which must equal the id.
pub fn parse_rule(text: &str, origin: &Path, expected_id: Option<&str>) -> Result<LoadedRule> {
    let file: RuleFile = crate::doc::yaml::from_str(text).map_err(|e| Error::Rule {
        path: origin.to_path_buf(),
        line: e.line as usize,
        message: e.to_string(),
    })?;
    check_rule(file, text, origin, expected_id, true)
}

/// Check a parsed rule file and load its taint section. `validate_pattern` compiles the pattern on its
/// own (the job's engine compiles every pattern again, so built-in rules skip this).
fn check_rule(
    file: RuleFile,
    text: &str,
    origin: &Path,
    expected_id: Option<&str>,
    validate_pattern: bool,
) -> Result<LoadedRule> {
    let rule_err = |line: usize, message: String| Error::Rule {
        path: origin.to_path_buf(),
        line,
        message,
    };
    if let Some(stem) = expected_id {
        if stem != file.id {
            return Err(rule_err(
                1,
                format!("rule id `{}` must equal the file name `{stem}`", file.id),
            ));
        }
    }
    if file.cwe.is_empty() {
        return Err(rule_err(1, "`cwe` must name at least one CWE".into()));
    }
    let taint = match file.kind {
        RuleKind::Pattern => {
            let Some(p) = &file.pattern else {
                return Err(rule_err(
                    1,
                    "a `kind: pattern` rule needs `pattern:`".into(),
                ));
            };
            if validate_pattern {
                p.validate().map_err(|m| rule_err(1, m))?;
            }
            None
        }
        RuleKind::Taint => {
            let Some(t) = &file.taint else {
                return Err(rule_err(1, "a `kind: taint` rule needs `taint:`".into()));
            };
            let t: crate::sast::taint::TaintRule = serde_norway::from_value(t.clone())
                .map_err(|e| rule_err(1, format!("taint: {e}")))?;
            Some(t)
        }
    };
    Ok(LoadedRule {
        file,
        origin: origin.to_path_buf(),
        taint,
        text: text.to_string(),
    })
}

/// The built-in rules as the build step (`build/python_rules.rs`) wrote them: per file, sorted by name,
/// the YAML as JSON, or the error that kept the step from taking the file.
static PRECOMPILED: &str = include_str!(concat!(env!("OUT_DIR"), "/python_rules.json"));

#[derive(Deserialize)]
struct Precompiled {
    file: String,
    #[serde(default)]
    rule: Option<RuleFile>,
}

/// The built-in rule files (path inside `rules/python`, text), the YAML ones only.
fn builtin_yaml() -> impl Iterator<Item = (&'static Path, &'static str)> {
    BUILTIN_RULES
        .files()
        .filter(|f| is_yaml(f.path()))
        .map(|f| (f.path(), f.contents_utf8().unwrap_or("")))
}

/// The built-in rule files as `(id, path, YAML text)`: the id is the file's stem (a rule's id must equal
/// it), so a caller can know the rules without loading them.
pub fn builtin_files() -> impl Iterator<Item = (&'static str, &'static Path, &'static str)> {
    builtin_yaml().map(|(p, text)| {
        let id = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        (id, p, text)
    })
}

/// The built-in rules, sorted by id: from the build step's JSON (no YAML parse, patterns compiled once by
/// the job's engine); a file the step could not take, or whose JSON does not fit [`RuleFile`], is parsed
/// from its YAML, which reports the problem with its line.
pub fn builtin_rules() -> Result<Vec<LoadedRule>> {
    let mut precompiled: std::collections::HashMap<String, RuleFile> =
        serde_json::from_str::<Vec<Precompiled>>(PRECOMPILED)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| Some((p.file, p.rule?)))
            .collect();
    let mut out = Vec::new();
    for (p, text) in builtin_yaml() {
        let stem = p.file_stem().and_then(|s| s.to_str());
        let origin = Path::new("rules/python").join(p);
        let name = p.to_str().unwrap_or("");
        out.push(match precompiled.remove(name) {
            Some(file) => check_rule(file, text, &origin, stem, false)?,
            None => parse_rule(text, &origin, stem)?,
        });
    }
    out.sort_by(|a, b| a.file.id.cmp(&b.file.id));
    Ok(out)
}

/// How many built-in rules the build step's JSON gives (all of them, unless a rule file is broken: a test
/// checks it, so a change of [`RuleFile`] cannot silently send every start-up back to YAML).
#[doc(hidden)]
pub fn precompiled_rule_count() -> usize {
    serde_json::from_str::<Vec<Precompiled>>(PRECOMPILED)
        .map(|v| v.into_iter().filter(|p| p.rule.is_some()).count())
        .unwrap_or(0)
}

/// The built-in rules parsed from their YAML, as a `--rules` folder's would be (a test checks that the
/// build step's JSON gives the same rules).
pub fn builtin_rules_from_yaml() -> Result<Vec<LoadedRule>> {
    let mut out = Vec::new();
    for (p, text) in builtin_yaml() {
        let stem = p.file_stem().and_then(|s| s.to_str());
        out.push(parse_rule(text, &Path::new("rules/python").join(p), stem)?);
    }
    out.sort_by(|a, b| a.file.id.cmp(&b.file.id));
    Ok(out)
}

fn is_yaml(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}

/// The rules of a `--rules DIR`: `DIR/python/*.yaml`, or `DIR/*.yaml` when DIR itself is named `python`.
pub fn load_dir(dir: &Path) -> Result<Vec<LoadedRule>> {
    let sub = dir.join("python");
    let dir = if sub.is_dir() {
        sub
    } else if dir.file_name().is_some_and(|n| n == "python") {
        dir.to_path_buf()
    } else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_yaml(p))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        let stem = p.file_stem().and_then(|s| s.to_str()).map(str::to_string);
        out.push(parse_rule(&text, &p, stem.as_deref())?);
    }
    Ok(out)
}
