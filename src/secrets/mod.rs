//! Secrets job: hardcoded credentials in any text file. Rules are data in `rules/secrets/`.
//!
//! Per file: one Aho-Corasick pass over every rule's keywords decides which rules can match at all (a file
//! without any keyword never reaches a regex); then only those rules' regexes run, and the built-in generic
//! detectors (assignments, URLs with passwords, `Authorization:` headers, Kubernetes `Secret` manifests) when
//! one of their keywords is present. Files are scanned in parallel with rayon. Candidates are filtered
//! (entropy, length, stop words, allowlists), de-duplicated (one finding per rule and location; a
//! provider rule wins over a generic rule on the same value) and redacted.

pub mod generic;
mod paths;
mod prefilter;
mod redact;
mod required;
pub mod rules;
mod window;

use crate::finding::{Finding, JobKind, NoteLevel, Notification};
use crate::model::cache::CacheKey;
use crate::model::{Job, JobOutput, ScanContext, SourceFile};
use crate::rule::RuleMeta;
use crate::text::LineIndex;
use paths::{FilePaths, PathAllow};
use prefilter::{Hits, Prefilter};
use rayon::prelude::*;
pub use redact::display_secret;
use redact::{clip_key, first_paragraph, snippet};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use rules::{Detector, Example, Matcher, Rule};

/// `[secrets]` in tollgate.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Globs (relative to the scan root) of files the secrets job skips, e.g. `["tests/fixtures/**"]`.
    #[serde(default)]
    pub exclude_paths: Vec<String>,
    /// Regexes: a secret matching any of them is ignored by every rule (e.g. your own test-token format).
    #[serde(default)]
    pub allow_values: Vec<String>,
    /// Extra stop words: a secret containing one (case-insensitive) is ignored by every rule.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// From this many bytes of files on, a scan runs the keyword pass as a DFA: it takes ~10 ms to build
/// and then, walked in four stretches, runs ~10x as fast as the NFA (~900 against ~90 MB/s per core),
/// which builds in ~1.5 ms: the DFA has paid for itself from about 1 MB of files on.
const DFA_MIN_BYTES: u64 = 1 << 20;

pub struct SecretsJob {
    rules: Vec<Rule>,
    /// The keyword pass over every rule's keywords and the detectors' words, built on the first file
    /// scanned: as a DFA for large scans (fastest to run), as an NFA for small ones (fastest to build).
    prefilter_dfa: std::sync::OnceLock<Prefilter>,
    prefilter_nfa: std::sync::OnceLock<Prefilter>,
    /// Per rule: its regex has nothing that could cross lines, so it only runs around its keywords.
    in_lines: Vec<bool>,
    /// Per rule whose regex could cross lines: it still runs on windows ([`window::fits_windows`]),
    /// decided on the rule's first use.
    fits_windows: Vec<std::sync::OnceLock<bool>>,
    /// The rules' `allowlist.paths`, matched once per file; built on first use.
    paths: std::sync::OnceLock<PathAllow>,
    /// Per rule: literals every match of its regex contains, found on the rule's first whole-text run.
    required: Vec<std::sync::OnceLock<Vec<aho_corasick::AhoCorasick>>>,
    exclude: Option<globset::GlobSet>,
    allow_values: Vec<regex::Regex>,
    stopwords: Vec<String>,
    /// Digest of the configuration and the text of every loaded rule file: part of every cache key.
    settings: CacheKey,
}

/// A finding as the result cache keeps it: [`Finding::fingerprint_key`] is not serialized with the finding,
/// so it travels next to it (a cached scan must give the same fingerprints as a fresh one).
#[derive(Serialize, Deserialize)]
struct CachedFinding {
    finding: Finding,
    fingerprint_key: String,
}

/// A secret found in a file before it becomes a finding.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub rule: usize,
    /// Byte range of the secret in the file text.
    pub start: usize,
    pub end: usize,
    /// For the generic detectors: the name the value is assigned to, and what was detected.
    pub context: Option<String>,
    pub properties: BTreeMap<String, serde_json::Value>,
}

impl SecretsJob {
    pub fn new(config: &Config, extra_rule_dirs: &[PathBuf]) -> crate::error::Result<Self> {
        let rules = rules::load_all(extra_rule_dirs)?;
        Self::from_rules(config, rules)
    }

    /// A job over an explicit rule list (tests, benchmarks).
    pub fn from_rules(config: &Config, rules: Vec<Rule>) -> crate::error::Result<Self> {
        let exclude =
            if config.exclude_paths.is_empty() {
                None
            } else {
                let mut b = globset::GlobSetBuilder::new();
                for g in &config.exclude_paths {
                    b.add(
                        globset::GlobBuilder::new(g)
                            .literal_separator(true)
                            .build()
                            .map_err(|e| {
                                crate::error::Error::Usage(format!(
                                    "[secrets] exclude-paths: invalid glob `{g}`: {e}"
                                ))
                            })?,
                    );
                }
                Some(b.build().map_err(|e| {
                    crate::error::Error::Usage(format!("[secrets] exclude-paths: {e}"))
                })?)
            };
        let mut allow_values = Vec::new();
        for v in &config.allow_values {
            allow_values.push(regex::Regex::new(v).map_err(|e| {
                crate::error::Error::Usage(format!(
                    "[secrets] allow-values: invalid regex `{v}`: {e}"
                ))
            })?);
        }
        let in_lines = rules
            .iter()
            .map(|r| match &r.matcher {
                Matcher::Regex(re) => !window::crosses_lines(re.pattern()),
                Matcher::Detector(_) => false,
            })
            .collect();
        let config_text = format!("{config:?}");
        let mut parts: Vec<&[u8]> = vec![config_text.as_bytes()];
        for r in &rules {
            parts.push(r.source.as_bytes());
            parts.push(&r.text_hash);
        }
        let settings = crate::model::cache::digest(&parts);
        let required = (0..rules.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        let fits_windows = (0..rules.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        Ok(SecretsJob {
            required,
            in_lines,
            fits_windows,
            paths: std::sync::OnceLock::new(),
            settings,
            rules,
            prefilter_dfa: std::sync::OnceLock::new(),
            prefilter_nfa: std::sync::OnceLock::new(),
            exclude,
            allow_values,
            stopwords: config.stopwords.iter().map(|s| s.to_lowercase()).collect(),
        })
    }

    /// The loaded rules, sorted by id.
    pub fn loaded_rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Scan one text as if it were the file `rel` with every rule enabled (tests, rule examples).
    pub fn scan_text(&self, rel: &str, text: &str) -> Vec<Finding> {
        let enabled = vec![true; self.rules.len()];
        self.scan_file(rel, text, &enabled, self.prefilter(false))
    }

    fn globally_allowed(&self, secret: &str) -> bool {
        if !self.stopwords.is_empty() {
            let lower = secret.to_lowercase();
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return true;
            }
        }
        self.allow_values.iter().any(|r| r.is_match(secret))
    }

    /// The keyword pass for a scan of `large` size (see [`DFA_MIN_BYTES`]).
    fn prefilter(&self, large: bool) -> &Prefilter {
        if large {
            self.prefilter_dfa
                .get_or_init(|| Prefilter::new(&self.rules, true))
        } else {
            self.prefilter_nfa
                .get_or_init(|| Prefilter::new(&self.rules, false))
        }
    }

    /// The rules' path allowlists, built on first use.
    fn paths(&self) -> &PathAllow {
        self.paths.get_or_init(|| PathAllow::new(&self.rules))
    }

    /// Which rules have a keyword in `bytes` (and are enabled), and where (for windowed rules).
    fn rules_hit(&self, pre: &Prefilter, bytes: &[u8], enabled: &[bool]) -> Hits {
        pre.hits(bytes, enabled, |i| self.window_lines(i).is_some())
    }

    /// Rule `i` runs on windows of this many lines before and after its keywords' lines: a regex with
    /// nothing that could cross lines sees [`window::WINDOW_LINES`] on either side (as it always did); one
    /// that [`window::fits_windows`] proves to stay on its keyword's line, the line before it (whose
    /// newline a match may start with) and the keyword's line. `None`: the rule runs on whole texts.
    fn window_lines(&self, i: usize) -> Option<(usize, usize)> {
        let rule = &self.rules[i];
        let Matcher::Regex(lazy) = &rule.matcher else {
            return None;
        };
        if self.in_lines[i] {
            return Some((window::WINDOW_LINES, window::WINDOW_LINES));
        }
        self.fits_windows[i]
            .get_or_init(|| window::fits_windows(lazy.pattern(), &rule.keywords))
            .then_some((1, 0))
    }

    /// Run the regex rules marked in `hits` over `text`: around their keywords (a few lines either side)
    /// for rules that stay within lines, over the whole text for the others (PEM blocks).
    fn regex_candidates(
        &self,
        paths: &FilePaths,
        text: &str,
        hits: &Hits,
        out: &mut Vec<Candidate>,
    ) {
        let bytes = text.as_bytes();
        for (i, rule) in self.rules.iter().enumerate() {
            if !hits.rule[i] || paths.allowed(i) {
                continue;
            }
            let Matcher::Regex(lazy) = &rule.matcher else {
                continue;
            };
            // Syntax was checked at load; a pattern over the size limits is reported by `scan`.
            let Ok((re, group)) = lazy.get() else {
                continue;
            };
            let lines = if hits.at[i].is_empty() {
                None
            } else {
                self.window_lines(i)
            };
            let windows = if let Some((before, after)) = lines {
                window::windows_around(text, &hits.at[i], before, after)
            } else {
                // Over the whole text: not at all when a literal that every match contains is missing.
                let need =
                    self.required[i].get_or_init(|| required::required_literals(lazy.pattern()));
                if !required::all_present(need, bytes) {
                    continue;
                }
                vec![(0, bytes.len())]
            };
            for (ws, we) in windows {
                // Most windows hold no match: find that out without the captures' allocations. Not
                // with `is_match`: where a regex searches from an inner literal and that search could
                // turn quadratic, `is_match` falls back to the PikeVM, `shortest_match` to the lazy DFA.
                if re.shortest_match(&bytes[ws..we]).is_none() {
                    continue;
                }
                for caps in re.captures_iter(&bytes[ws..we]) {
                    let Some(m) = caps.get(group).or_else(|| caps.get(0)) else {
                        continue;
                    };
                    if m.is_empty() {
                        continue;
                    }
                    // ASCII classes can stop inside a multi-byte character: widen to whole characters.
                    let (mut start, mut end) = (ws + m.start(), ws + m.end());
                    while !text.is_char_boundary(start) {
                        start -= 1;
                    }
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    let secret = String::from_utf8_lossy(&bytes[start..end]);
                    if rule.secret_allowed(&secret) || self.globally_allowed(&secret) {
                        continue;
                    }
                    out.push(Candidate {
                        rule: i,
                        start,
                        end,
                        context: None,
                        properties: BTreeMap::new(),
                    });
                }
            }
        }
    }

    /// Specific (regex) rules that match inside a decoded value, e.g. a base64 Kubernetes `data:` entry.
    pub(crate) fn rules_matching_decoded(
        &self,
        pre: &Prefilter,
        decoded: &str,
        enabled: &[bool],
    ) -> Option<usize> {
        let mut hits = self.rules_hit(pre, decoded.as_bytes(), enabled);
        // A decoded value is small: look at all of it.
        hits.at.iter_mut().for_each(Vec::clear);
        let mut found: Vec<Candidate> = Vec::new();
        self.regex_candidates(
            &self.paths().file(&self.rules, ""),
            decoded,
            &hits,
            &mut found,
        );
        found
            .iter()
            .map(|c| c.rule)
            .max_by_key(|&r| (self.rules[r].severity, std::cmp::Reverse(r)))
    }

    /// [`Self::scan_file`] through the result cache: keyed by the settings digest, the path and the
    /// digest of the text (the rule selection is in the cache's salt). A file whose digest the scan
    /// already knows is not read on a hit.
    fn scan_file_cached<'a>(
        &'a self,
        ctx: &ScanContext,
        file: &SourceFile,
        enabled: &[bool],
        pre: impl FnOnce() -> &'a Prefilter,
    ) -> Result<Vec<Finding>, Notification> {
        if !ctx.cache.is_enabled() {
            let text = ctx.read_text(file)?;
            return Ok(self.scan_file(&file.rel, &text, enabled, pre()));
        }
        let mut content = ctx.content(file)?;
        let key = |digest: &crate::model::ContentDigest| {
            ctx.cache
                .key(JobKind::Secrets, "file")
                .part(&self.settings)
                .str(&file.rel)
                .part(digest)
                .finish()
        };
        let cached: Vec<CachedFinding> =
            ctx.cache
                .get_or_content(ctx, file, &mut content, key, |text| {
                    self.scan_file(&file.rel, text, enabled, pre())
                        .into_iter()
                        .map(|mut f| CachedFinding {
                            fingerprint_key: std::mem::take(&mut f.fingerprint_key),
                            finding: f,
                        })
                        .collect()
                })?;
        Ok(cached
            .into_iter()
            .map(|c| Finding {
                fingerprint_key: c.fingerprint_key,
                ..c.finding
            })
            .collect())
    }

    fn scan_file(&self, rel: &str, text: &str, enabled: &[bool], pre: &Prefilter) -> Vec<Finding> {
        if self.exclude.as_ref().is_some_and(|g| g.is_match(rel)) {
            return Vec::new();
        }
        let bytes = text.as_bytes();
        let mut hits = self.rules_hit(pre, bytes, enabled);
        // Files whose name says they hold credentials (`.pgpass`) need no keyword for the generic rules.
        if generic::credential_file(rel) {
            for (i, r) in self.rules.iter().enumerate() {
                if enabled[i] && r.is_generic() {
                    hits.rule[i] = true;
                }
            }
        }
        if !hits.rule.iter().any(|h| *h) {
            return Vec::new();
        }
        let hit = &hits.rule;
        let mut cands = Vec::new();
        let paths = self.paths().file(&self.rules, rel);
        self.regex_candidates(&paths, text, &hits, &mut cands);

        // Generic detectors.
        let mut want_password = None;
        let mut want_assignment = None;
        for (i, r) in self.rules.iter().enumerate() {
            if !hit[i] || paths.allowed(i) {
                continue;
            }
            match r.matcher {
                Matcher::Detector(Detector::GenericPassword) => want_password = Some(i),
                Matcher::Detector(Detector::GenericSecretAssignment) => want_assignment = Some(i),
                Matcher::Regex(_) => {}
            }
        }
        if want_password.is_some() || want_assignment.is_some() {
            let found = generic::detect_at(
                rel,
                text,
                want_password.is_some(),
                want_assignment.is_some(),
                Some(&hits.seen),
            );
            for g in found {
                let rule = match g.detector {
                    Detector::GenericPassword => want_password,
                    Detector::GenericSecretAssignment => want_assignment,
                };
                let Some(mut rule) = rule else { continue };
                let Some(secret) = text.get(g.start..g.end) else {
                    continue;
                };
                let mut properties = BTreeMap::new();
                if let Some(decoded) = &g.decoded {
                    // A base64 value: a provider rule matching the decoded text names it better.
                    if let Some(r) = self.rules_matching_decoded(pre, decoded, enabled) {
                        rule = r;
                        properties.insert("decoded-match".into(), serde_json::json!(true));
                    } else if g.only_if_provider
                        || self.rules[rule].secret_allowed(decoded)
                        || self.globally_allowed(decoded)
                    {
                        continue;
                    }
                    properties.insert("encoding".into(), serde_json::json!("base64"));
                } else if g.only_if_provider
                    || self.rules[rule].secret_allowed(secret)
                    || self.globally_allowed(secret)
                {
                    continue;
                }
                if let Some(k) = &g.kind {
                    properties.insert("detected".into(), serde_json::json!(k));
                }
                cands.push(Candidate {
                    rule,
                    start: g.start,
                    end: g.end,
                    context: g.key.clone(),
                    properties,
                });
            }
        }
        if cands.is_empty() {
            return Vec::new();
        }
        let cands = self.dedupe(cands);
        self.findings(rel, text, cands)
    }

    /// One candidate per (rule, range); a generic candidate overlapping a specific one is dropped; of two
    /// generic candidates on the same value the first rule (by id) stays.
    fn dedupe(&self, mut cands: Vec<Candidate>) -> Vec<Candidate> {
        cands.sort_by_key(|c| (c.start, c.end, c.rule));
        cands.dedup_by(|b, a| a.rule == b.rule && a.start == b.start && a.end == b.end);
        let overlaps = |a: &Candidate, b: &Candidate| a.start < b.end && b.start < a.end;
        let keep: Vec<bool> = cands
            .iter()
            .map(|c| {
                if !self.rules[c.rule].is_generic() {
                    return true;
                }
                !cands.iter().any(|o| {
                    overlaps(c, o) && (!self.rules[o.rule].is_generic() || (o.rule < c.rule))
                })
            })
            .collect();
        cands
            .into_iter()
            .zip(keep)
            .filter_map(|(c, k)| k.then_some(c))
            .collect()
    }

    fn findings(&self, rel: &str, text: &str, cands: Vec<Candidate>) -> Vec<Finding> {
        let idx = LineIndex::new(text);
        let ranges: Vec<(usize, usize)> = cands.iter().map(|c| (c.start, c.end)).collect();
        let mut out = Vec::with_capacity(cands.len());
        for c in cands {
            let rule = &self.rules[c.rule];
            let secret = &text[c.start..c.end];
            let shown = display_secret(secret);
            let message = match &c.context {
                Some(key) => format!("{} (`{}`): {}", rule.title, clip_key(key), shown),
                None => format!("{}: {}", rule.title, shown),
            };
            let (sl, sc) = idx.position(c.start);
            let (el, ec) = idx.position(c.end);
            let mut f = Finding::new(
                rule.id.clone(),
                JobKind::Secrets,
                rule.severity,
                message,
                crate::finding::Location {
                    path: rel.to_string(),
                    start_line: sl,
                    start_column: sc,
                    end_line: el,
                    end_column: ec,
                },
            );
            f.cwe = rule.cwe.clone();
            f.snippet = Some(snippet(text, &idx, sl, c.start, &ranges));
            f.remediation = Some(first_paragraph(&rule.remediation));
            let mut h = Sha256::new();
            h.update(rule.id.as_bytes());
            h.update([0u8]);
            h.update(secret.as_bytes());
            f.fingerprint_key = hex::encode(h.finalize());
            f.properties = c.properties;
            f.properties.insert(
                "secret-length".into(),
                serde_json::json!(secret.chars().count()),
            );
            out.push(f);
        }
        out
    }
}

impl Job for SecretsJob {
    fn kind(&self) -> JobKind {
        JobKind::Secrets
    }

    fn rules(&self) -> Vec<RuleMeta> {
        self.rules.iter().map(Rule::meta).collect()
    }

    fn scan(&self, files: &[SourceFile], ctx: &ScanContext) -> JobOutput {
        let enabled: Vec<bool> = self
            .rules
            .iter()
            .map(|r| ctx.rule_enabled(&r.id, JobKind::Secrets))
            .collect();
        // Built by the first file read, never for an empty scan.
        let large = files.iter().map(|f| f.size).sum::<u64>() >= DFA_MIN_BYTES;
        let results: Vec<(Vec<Finding>, Option<Notification>)> = files
            .par_iter()
            .map(|f| {
                let r = match self.scan_file_cached(ctx, f, &enabled, || self.prefilter(large)) {
                    Ok(findings) => (findings, None),
                    Err(n) => (Vec::new(), Some(n)),
                };
                ctx.progress.inc(1);
                r
            })
            .collect();
        let mut out = JobOutput {
            files_scanned: files.len(),
            ..JobOutput::default()
        };
        for (findings, note) in results {
            out.findings.extend(findings);
            out.notifications.extend(note);
        }
        out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out.notifications.sort();
        for r in &self.rules {
            if let Matcher::Regex(lazy) = &r.matcher {
                if let Some(e) = lazy.failed() {
                    out.notifications.push(
                        Notification::new(
                            NoteLevel::Error,
                            "rule-error",
                            format!("{}: rule {} was skipped: {e}", r.source, r.id),
                        )
                        .at(r.source.clone(), None),
                    );
                }
            }
        }
        let active = enabled.iter().filter(|e| **e).count();
        out.properties.insert(
            "secrets-rules".into(),
            serde_json::json!({"loaded": self.rules.len(), "enabled": active}),
        );
        if active == 0 && !self.rules.is_empty() {
            out.notifications.push(Notification::new(
                NoteLevel::Note,
                "no-rules-selected",
                "secrets: no rule is selected by --select/--ignore",
            ));
        }
        out
    }
}

/// Every file under `fixtures/secrets` as (path relative to it, bytes): what the unit tests that compare
/// two ways of scanning run over.
#[cfg(test)]
pub(crate) fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets");
    let mut out = Vec::new();
    for e in ignore::WalkBuilder::new(&root)
        .hidden(false)
        .build()
        .flatten()
    {
        if e.file_type().is_some_and(|t| t.is_file()) {
            if let Ok(b) = std::fs::read(e.path()) {
                let rel = e.path().strip_prefix(&root).unwrap_or(e.path());
                out.push((rel.to_string_lossy().into_owned(), b));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_the_job_and_listing_its_rules_compiles_nothing() {
        let job = SecretsJob::new(&Config::default(), &[]).unwrap();
        let metas = job.rules();
        assert_eq!(metas.len(), job.rules.len());
        let out = job.scan(&[], &ScanContext::new(PathBuf::from(".")));
        assert!(out.findings.is_empty() && out.notifications.is_empty());
        assert!(
            job.prefilter_dfa.get().is_none() && job.prefilter_nfa.get().is_none(),
            "prefilter built before a file"
        );
        for r in &job.rules {
            if let Matcher::Regex(re) = &r.matcher {
                assert!(!re.is_compiled(), "{}: regex compiled at start-up", r.id);
            }
        }
        // The first file builds the prefilter and compiles only the regexes its keywords call for.
        let found = job.scan_text("a.env", "AWS_KEY=AKIAZ5Q3XJ4PL7NM2RTW\n");
        assert!(found.iter().any(|f| f.rule_id == "SEC-AWS-ACCESS-KEY-ID"));
        assert!(job.prefilter_nfa.get().is_some());
        let compiled = job
            .rules
            .iter()
            .filter(|r| matches!(&r.matcher, Matcher::Regex(re) if re.is_compiled()))
            .count();
        assert!(compiled < 20, "{compiled} regexes compiled for one line");
    }
}
