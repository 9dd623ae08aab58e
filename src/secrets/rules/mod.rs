//! Secret rules: one YAML file per rule in `rules/secrets/<ID>.yaml` (compiled in), plus `--rules DIR`.
//!
//! The format is documented in `docs/secrets.md`. A rule is either a regex rule (`regex:`) or names a
//! built-in detector (`detector: generic-password | generic-secret-assignment`) whose matching is Rust code
//! (assignment parsing, placeholder filtering) while its metadata, allowlist and examples stay data.
//! Loading is in [`load`]; what a loaded rule is and does is here. Regexes and path globs are compiled on
//! first use, so a scan pays only for the rules its files need.

mod load;

pub use load::{
    load_all, load_builtin, load_builtin_yaml, load_dir, parse_rule, secrets_dir_of, BUILTIN_RULES,
};

use crate::finding::{JobKind, Severity};
use crate::rule::{Precision, RuleMeta};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::sync::OnceLock;

/// Size limits for compiled regexes: large enough that the lazy DFA does not thrash (see PERFORMANCE.md).
pub(crate) const REGEX_SIZE_LIMIT: usize = 64 << 20;
pub(crate) const DFA_SIZE_LIMIT: usize = 64 << 20;

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

    /// A regex whose syntax was checked elsewhere (the build step compiled the built-in rules' regexes); a
    /// pattern that does not compile is reported when it is first used, as with [`LazyRegex::new`].
    pub fn unchecked(pattern: &str) -> Self {
        LazyRegex {
            pattern: pattern.to_string(),
            cell: std::sync::OnceLock::new(),
        }
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

    /// Has the regex been compiled (used) yet?
    pub fn is_compiled(&self) -> bool {
        self.cell.get().is_some()
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

/// A rule's `allowlist.paths`: globs checked when the rule is loaded, compiled into one set on first use.
#[derive(Debug, Clone, Default)]
pub struct LazyGlobs {
    globs: Vec<Glob>,
    set: OnceLock<Option<GlobSet>>,
}

impl LazyGlobs {
    pub fn new(globs: Vec<Glob>) -> Self {
        LazyGlobs {
            globs,
            set: OnceLock::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    /// The globs, as loaded.
    pub fn globs(&self) -> &[Glob] {
        &self.globs
    }

    /// Does any glob match `rel`? (A set over the size limits matches nothing.)
    pub fn is_match(&self, rel: &str) -> bool {
        if self.globs.is_empty() {
            return false;
        }
        let set = self.set.get_or_init(|| {
            let mut b = GlobSetBuilder::new();
            for g in &self.globs {
                b.add(g.clone());
            }
            b.build().ok()
        });
        set.as_ref().is_some_and(|s| s.is_match(rel))
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
    pub allow_paths: LazyGlobs,
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
    /// The first positive example redacted for the documentation, when the build step did it (built-in
    /// rules); otherwise [`Rule::meta`] redacts it with the rule's regex.
    pub help_example: Option<String>,
}

impl Rule {
    pub fn is_generic(&self) -> bool {
        matches!(self.matcher, Matcher::Detector(_))
    }

    /// Is `rel` (a scan-relative path with `/`) excluded by the rule's `allowlist.paths`?
    pub fn path_allowed(&self, rel: &str) -> bool {
        self.allow_paths.is_match(rel)
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
            match &self.help_example {
                Some(redacted) => help.push_str(redacted),
                None => help.push_str(&redact_example(self, ex)),
            }
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
    parse_hir(pattern).map(|_| ())
}

/// A pattern's syntax tree, parsed as [`compile_regex`] compiles it (bytes, multi-line, CRLF-aware; without
/// Unicode mode when it parses that way, else with it).
pub(crate) fn parse_hir(pattern: &str) -> std::result::Result<regex_syntax::hir::Hir, String> {
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(false)
            .multi_line(true)
            .crlf(true)
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string())
    };
    parse(false).or_else(|_| parse(true))
}

#[cfg(test)]
mod tests {
    use super::*;

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
