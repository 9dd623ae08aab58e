//! Secret rules: one YAML file per rule in `rules/secrets/<ID>.yaml` (compiled in), plus `--rules DIR`.
//!
//! The format is documented in `docs/secrets.md`. A rule is either a regex rule (`regex:`) or names a
//! built-in detector (`detector: generic-password | generic-secret-assignment`) whose matching is Rust code
//! (assignment parsing, placeholder filtering) while its metadata, allowlist and examples stay data.

use crate::error::{Error, Result};
use crate::finding::{JobKind, Severity};
use crate::rule::{Precision, RuleMeta};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The rules compiled into the binary.
pub static BUILTIN_RULES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules/secrets");

/// Size limits for compiled regexes: large enough that the lazy DFA does not thrash (see PERFORMANCE.md).
pub(crate) const REGEX_SIZE_LIMIT: usize = 64 << 20;
pub(crate) const DFA_SIZE_LIMIT: usize = 64 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleFile {
    id: String,
    title: String,
    severity: Severity,
    #[serde(default)]
    precision: Precision,
    #[serde(default = "default_cwe")]
    cwe: Vec<u32>,
    keywords: Vec<String>,
    regex: Option<String>,
    detector: Option<String>,
    entropy: Option<f64>,
    min_length: Option<usize>,
    #[serde(default)]
    allowlist: AllowlistFile,
    description: String,
    remediation: String,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    examples: ExamplesFile,
}

fn default_cwe() -> Vec<u32> {
    vec![798]
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct AllowlistFile {
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ExamplesFile {
    #[serde(default)]
    positive: Vec<Example>,
    #[serde(default)]
    negative: Vec<Example>,
}

/// A rule example: a text scanned as a file named `example.txt`, or a text with its own file name (the
/// generic detectors behave differently in code, `.env`, YAML ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Text(String),
    File { path: String, text: String },
}

impl Example {
    pub const DEFAULT_PATH: &'static str = "example.txt";
    pub fn path(&self) -> &str {
        match self {
            Example::Text(_) => Self::DEFAULT_PATH,
            Example::File { path, .. } => path,
        }
    }
    pub fn text(&self) -> &str {
        match self {
            Example::Text(t) => t,
            Example::File { text, .. } => text,
        }
    }
}

/// The built-in detectors a rule can name instead of a regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detector {
    /// `password = "..."`, URLs with `user:password@`, `curl -u user:pass`, `Authorization: Basic ...`.
    GenericPassword,
    /// `api_key = "..."`, `SECRET_TOKEN=...`, `"client_secret": "..."`, `Authorization: Bearer ...`,
    /// values of Kubernetes `kind: Secret` manifests.
    GenericSecretAssignment,
}

impl Detector {
    pub const ALL: [(&'static str, Detector); 2] = [
        ("generic-password", Detector::GenericPassword),
        (
            "generic-secret-assignment",
            Detector::GenericSecretAssignment,
        ),
    ];
    fn parse(s: &str) -> Option<Detector> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, d)| *d)
    }
}

/// A byte regex whose syntax was checked when its rule was loaded and that is compiled on first use:
/// a scan pays only for the rules whose keywords occur in the scanned files (start-up stays fast with
/// hundreds of rules).
#[derive(Debug, Clone)]
pub struct LazyRegex {
    pattern: String,
    cell: std::sync::OnceLock<std::result::Result<(regex::bytes::Regex, usize), String>>,
}

impl LazyRegex {
    /// Check the syntax now; compile later.
    pub fn new(pattern: &str) -> std::result::Result<Self, String> {
        check_syntax(pattern)?;
        Ok(LazyRegex {
            pattern: pattern.to_string(),
            cell: std::sync::OnceLock::new(),
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex and the capture group holding the secret (`secret` if named, else 1 if any
    /// group, else 0).
    pub fn get(&self) -> std::result::Result<(&regex::bytes::Regex, usize), &str> {
        match self.cell.get_or_init(|| {
            compile_regex(&self.pattern).map(|re| {
                let group = match re.capture_names().position(|n| n == Some("secret")) {
                    Some(i) => i,
                    None if re.captures_len() > 1 => 1,
                    None => 0,
                };
                (re, group)
            })
        }) {
            Ok((re, g)) => Ok((re, *g)),
            Err(e) => Err(e.as_str()),
        }
    }

    /// The compile error, if the regex was used and did not compile (size limits).
    pub fn failed(&self) -> Option<&str> {
        match self.cell.get() {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }

    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.get().is_ok_and(|(re, _)| re.is_match(hay))
    }
}

/// How a rule finds its secrets.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A byte regex (unicode classes off where possible).
    Regex(LazyRegex),
    Detector(Detector),
}

/// One loaded, validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub precision: Precision,
    pub cwe: Vec<u32>,
    /// Lower-case literals; the rule runs only on files containing one of them (case-insensitive).
    pub keywords: Vec<String>,
    pub matcher: Matcher,
    /// The regex source (empty for detectors).
    pub regex_source: String,
    pub entropy: Option<f64>,
    pub min_length: Option<usize>,
    pub allow_regexes: Vec<LazyRegex>,
    pub allow_paths: Option<GlobSet>,
    /// Lower-case.
    pub stopwords: Vec<String>,
    pub description: String,
    pub remediation: String,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub positive: Vec<Example>,
    pub negative: Vec<Example>,
    /// Where the rule came from (file path, `rules/secrets/<ID>.yaml` for built-in rules).
    pub source: String,
    /// BLAKE3 of the rule file's text: part of the job's settings digest, so a result cached under one
    /// version of a rule is never served for another.
    pub text_hash: [u8; 32],
}

impl Rule {
    pub fn is_generic(&self) -> bool {
        matches!(self.matcher, Matcher::Detector(_))
    }

    /// Is `rel` (a scan-relative path with `/`) excluded by the rule's `allowlist.paths`?
    pub fn path_allowed(&self, rel: &str) -> bool {
        self.allow_paths.as_ref().is_some_and(|g| g.is_match(rel))
    }

    /// Is a candidate secret ignored by the rule's entropy, length, stop-word or allowlist settings?
    pub fn secret_allowed(&self, secret: &str) -> bool {
        if let Some(min) = self.min_length {
            if secret.chars().count() < min {
                return true;
            }
        }
        if let Some(e) = self.entropy {
            if shannon_entropy(secret.as_bytes()) < e {
                return true;
            }
        }
        if !self.stopwords.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return true;
            }
        }
        self.allow_regexes
            .iter()
            .any(|r| r.is_match(secret.as_bytes()))
    }

    /// What `tollgate rules` and SARIF show.
    pub fn meta(&self) -> RuleMeta {
        let mut help = format!("# {}\n\n", self.title);
        help.push_str(self.description.trim());
        help.push_str("\n\n## How to fix\n\n");
        help.push_str(self.remediation.trim());
        if let Some(ex) = self.positive.first() {
            help.push_str("\n\n## Example\n\n```\n");
            help.push_str(&redact_example(self, ex));
            help.push_str("\n```");
        }
        if !self.references.is_empty() {
            help.push_str("\n\n## References\n\n");
            for r in &self.references {
                help.push_str(&format!("- <{r}>\n"));
            }
        }
        let mut tags = vec!["secrets".to_string()];
        for t in &self.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        RuleMeta {
            id: self.id.clone(),
            job: JobKind::Secrets,
            name: pascal_name(&self.id),
            title: self.title.clone(),
            description: first_paragraph(&self.description),
            help_markdown: help.trim_end().to_string(),
            severity: self.severity,
            precision: self.precision,
            cwe: self.cwe.clone(),
            tags,
            help_uri: self.references.first().cloned(),
            security_severity: None,
        }
    }
}

/// Examples are real-looking credentials; documentation shows them redacted by the rule itself.
fn redact_example(rule: &Rule, ex: &Example) -> String {
    let text = ex.text().trim_end().to_string();
    if let Matcher::Regex(lazy) = &rule.matcher {
        let Ok((re, group)) = lazy.get() else {
            return text;
        };
        let mut out = text.clone();
        for caps in re.captures_iter(text.as_bytes()) {
            if let Some(m) = caps.get(group).or_else(|| caps.get(0)) {
                let s = String::from_utf8_lossy(m.as_bytes()).into_owned();
                if !s.is_empty() {
                    out = out.replace(&s, &crate::text::redact(&s));
                }
            }
        }
        out
    } else {
        // Built-in detectors: redact what they find in the example.
        let mut hits = super::generic::detect(ex.path(), &text, true, true);
        hits.sort_by_key(|h| std::cmp::Reverse(h.start));
        let mut out = text.clone();
        for h in hits {
            if let Some(s) = text.get(h.start..h.end) {
                if h.end <= out.len() {
                    out.replace_range(h.start..h.end, &crate::text::redact(s));
                }
            }
        }
        out
    }
}

fn pascal_name(id: &str) -> String {
    crate::rule::pascal_case(id.trim_start_matches("SEC-"))
}

fn first_paragraph(md: &str) -> String {
    md.trim()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Compile a rule regex for byte haystacks: ASCII classes (`unicode(false)`) where the pattern allows it,
/// large size limits so the lazy DFA does not thrash.
pub(crate) fn compile_regex(pattern: &str) -> std::result::Result<regex::bytes::Regex, String> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(unicode)
            .multi_line(true)
            .crlf(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(DFA_SIZE_LIMIT)
            .build()
    };
    match build(false) {
        Ok(r) => Ok(r),
        Err(_) => build(true).map_err(|e| e.to_string()),
    }
}

/// Parse a pattern as [`compile_regex`] would, without compiling it.
fn check_syntax(pattern: &str) -> std::result::Result<(), String> {
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(false)
            .multi_line(true)
            .crlf(true)
            .build()
            .parse(pattern)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    match parse(false) {
        Ok(()) => Ok(()),
        Err(_) => parse(true),
    }
}

/// The 1-based line where `key:` starts at the top level of a rule file (1 if absent).
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// Parse and validate one rule file. `name` is the path shown in errors; `stem` the file name without
/// extension (must equal the id).
pub fn parse_rule(name: &str, stem: &str, text: &str) -> Result<Rule> {
    let err = |line: usize, message: String| Error::Rule {
        path: PathBuf::from(name),
        line,
        message,
    };
    let file: RuleFile = crate::doc::yaml::from_str(text).map_err(|e| {
        let line = e.line as usize;
        // serde_norway appends " at line N column M"; the prefix already says where.
        let msg = e.to_string();
        let msg = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        err(line, msg)
    })?;

    let id_line = key_line(text, "id");
    if !file.id.starts_with("SEC-")
        || file.id.len() <= 4
        || !file
            .id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(err(
            id_line,
            format!(
                "rule id `{}` must be upper-case letters, digits and dashes, starting with `SEC-`",
                file.id
            ),
        ));
    }
    if file.id != stem {
        return Err(err(
            id_line,
            format!(
                "rule id `{}` does not match the file name `{stem}` (one rule per file, named after its id)",
                file.id
            ),
        ));
    }
    if file.title.trim().is_empty() {
        return Err(err(key_line(text, "title"), "empty `title`".into()));
    }
    let kw_line = key_line(text, "keywords");
    if file.keywords.is_empty() {
        return Err(err(
            kw_line,
            "`keywords` must not be empty: the rule runs only on files containing one".into(),
        ));
    }
    for k in &file.keywords {
        if k.is_empty() {
            return Err(err(kw_line, "empty keyword".into()));
        }
        if *k != k.to_lowercase() {
            return Err(err(kw_line, format!("keyword `{k}` must be lower-case")));
        }
    }
    let matcher = match (&file.regex, &file.detector) {
        (Some(_), Some(_)) => {
            return Err(err(
                key_line(text, "detector"),
                "a rule has either `regex` or `detector`, not both".into(),
            ))
        }
        (None, None) => {
            return Err(err(
                id_line,
                "missing `regex` (or `detector` for a built-in detector)".into(),
            ))
        }
        (Some(pattern), None) => {
            let line = key_line(text, "regex");
            let re = LazyRegex::new(pattern)
                .map_err(|e| err(line, format!("invalid regex: {}", one_line(&e))))?;
            Matcher::Regex(re)
        }
        (None, Some(d)) => match Detector::parse(d) {
            Some(d) => Matcher::Detector(d),
            None => {
                return Err(err(
                    key_line(text, "detector"),
                    format!(
                        "unknown detector `{d}` (expected {})",
                        Detector::ALL
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        },
    };
    if let Some(e) = file.entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(err(
                key_line(text, "entropy"),
                format!("entropy {e} out of range (0 to 8 bits per character)"),
            ));
        }
    }
    let al_line = key_line(text, "allowlist");
    let mut allow_regexes = Vec::new();
    for r in &file.allowlist.regexes {
        allow_regexes.push(LazyRegex::new(r).map_err(|e| {
            err(
                al_line,
                format!("invalid allowlist regex `{r}`: {}", one_line(&e)),
            )
        })?);
    }
    let allow_paths = if file.allowlist.paths.is_empty() {
        None
    } else {
        let mut b = GlobSetBuilder::new();
        for p in &file.allowlist.paths {
            b.add(
                GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| err(al_line, format!("invalid allowlist path glob: {e}")))?,
            );
        }
        Some(
            b.build()
                .map_err(|e| err(al_line, format!("invalid allowlist path globs: {e}")))?,
        )
    };
    if file.description.trim().is_empty() {
        return Err(err(
            key_line(text, "description"),
            "empty `description`".into(),
        ));
    }
    if file.remediation.trim().is_empty() {
        return Err(err(
            key_line(text, "remediation"),
            "empty `remediation`".into(),
        ));
    }
    Ok(Rule {
        id: file.id,
        title: file.title.trim().to_string(),
        severity: file.severity,
        precision: file.precision,
        cwe: file.cwe,
        keywords: file.keywords,
        matcher,
        regex_source: file.regex.unwrap_or_default(),
        entropy: file.entropy,
        min_length: file.min_length,
        allow_regexes,
        allow_paths,
        stopwords: file
            .allowlist
            .stopwords
            .iter()
            .map(|s| s.to_lowercase())
            .collect(),
        description: file.description,
        remediation: file.remediation,
        references: file.references,
        tags: file.tags,
        positive: file.examples.positive,
        negative: file.examples.negative,
        source: name.to_string(),
        text_hash: *blake3::hash(text.as_bytes()).as_bytes(),
    })
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_rule_file(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn stem_of(name: &str) -> &str {
    name.trim_end_matches(".yaml").trim_end_matches(".yml")
}

/// The rules compiled into the binary, sorted by id.
pub fn load_builtin() -> Result<Vec<Rule>> {
    let mut files: Vec<_> = BUILTIN_RULES
        .files()
        .filter(|f| f.path().to_str().is_some_and(is_rule_file))
        .collect();
    files.sort_by_key(|f| f.path());
    let mut rules = Vec::with_capacity(files.len());
    for f in files {
        let file_name = f.path().to_string_lossy().into_owned();
        let shown = format!("rules/secrets/{file_name}");
        let text = f.contents_utf8().ok_or_else(|| Error::Rule {
            path: PathBuf::from(&shown),
            line: 1,
            message: "rule file is not UTF-8".into(),
        })?;
        rules.push(parse_rule(&shown, stem_of(&file_name), text)?);
    }
    Ok(rules)
}

/// The secret-rule folder of a `--rules DIR`: `DIR/secrets/` if it exists, DIR itself when it is named
/// `secrets`, otherwise none.
pub fn secrets_dir_of(dir: &Path) -> Option<PathBuf> {
    if dir.file_name().is_some_and(|n| n == "secrets") && dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    let sub = dir.join("secrets");
    sub.is_dir().then_some(sub)
}

/// Every `*.yaml`/`*.yml` rule of a folder, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let p = entry.path();
        if p.is_file()
            && p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_rule_file)
        {
            paths.push(p);
        }
    }
    paths.sort();
    let mut rules = Vec::with_capacity(paths.len());
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        rules.push(parse_rule(&p.to_string_lossy(), stem_of(name), &text)?);
    }
    Ok(rules)
}

/// Built-in rules plus the rules of each `--rules DIR` (a rule with the id of an earlier one replaces it,
/// so a team can tune a built-in rule by copying its file), sorted by id.
pub fn load_all(extra_dirs: &[PathBuf]) -> Result<Vec<Rule>> {
    let mut rules = load_builtin()?;
    for dir in extra_dirs {
        if !dir.exists() {
            return Err(Error::Usage(format!(
                "rule directory {} does not exist",
                dir.display()
            )));
        }
        let Some(sdir) = secrets_dir_of(dir) else {
            continue;
        };
        for r in load_dir(&sdir)? {
            match rules.iter_mut().find(|x| x.id == r.id) {
                Some(slot) => *slot = r,
                None => rules.push(r),
            }
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"id: SEC-TEST-RULE
title: Test rule
severity: high
precision: high
cwe: [798]
keywords: [tok_]
regex: '(?P<secret>tok_[a-z0-9]{8})'
description: A test.
remediation: Rotate it.
examples:
  positive: ['x = tok_abcd1234']
  negative: ['x = tok_']
"#;

    #[test]
    fn parses_a_good_rule() {
        let r = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", GOOD).unwrap();
        assert_eq!(r.id, "SEC-TEST-RULE");
        assert_eq!(r.severity, Severity::High);
        match &r.matcher {
            Matcher::Regex(re) => assert_eq!(re.get().unwrap().1, 1),
            _ => panic!("expected regex"),
        }
        assert_eq!(r.meta().name, "TestRule");
    }

    #[test]
    fn errors_name_file_and_line() {
        let bad = GOOD.replace("remediation:", "remedy:");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t/SEC-TEST-RULE.yaml:9: "), "{e}");
        assert!(e.contains("remedy"), "{e}");

        let bad = GOOD.replace("tok_[a-z0-9]{8}", "tok_[a-z0-9{8}");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t/SEC-TEST-RULE.yaml:7: invalid regex"),
            "{e}"
        );

        let e = parse_rule("t/SEC-OTHER.yaml", "SEC-OTHER", GOOD)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t/SEC-OTHER.yaml:1: "), "{e}");

        let bad = GOOD.replace("[tok_]", "[Tok_]");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(":6: keyword `Tok_` must be lower-case"), "{e}");

        let bad = GOOD.replace("[tok_]", "[]");
        assert!(parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad).is_err());

        let bad = GOOD.replace("severity: high", "severity: severe");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t/SEC-TEST-RULE.yaml:3: "), "{e}");
    }

    #[test]
    fn entropy_is_bits_per_char() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn unicode_free_classes_compile() {
        let r = compile_regex(r"(?:^|[^A-Z0-9])(AKIA[A-Z2-7]{16})").unwrap();
        assert!(r.is_match(b"x AKIAZ5Q3XJ4PL7NM2RTW\xff"));
        assert!(compile_regex(r"\p{Greek}+").is_ok());
    }
}
