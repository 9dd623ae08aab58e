//! The secrets job's keyword pass: one Aho-Corasick automaton over every rule's keywords (ASCII
//! case-insensitive) says which rules can match a file at all, where their keywords are (for rules whose
//! regex stays within a few lines), and where the generic detectors' name fragments are. Built on the first
//! file scanned, so a scan of an empty tree never pays for it.

use super::generic;
use super::rules::Rule;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

pub(crate) struct Prefilter {
    /// `None` when the automaton could not be built (size limits): every enabled rule then runs.
    keywords: Option<AhoCorasick>,
    /// For each keyword pattern, the rules it enables.
    keyword_rules: Vec<Vec<usize>>,
    /// Per keyword pattern: it is one of the generic detectors' name fragments, whose positions the
    /// detectors take from this pass instead of scanning again (`None` when some fragment is missing).
    name_patterns: Option<Vec<bool>>,
}

/// Keyword hits of one file.
pub(crate) struct Hits {
    /// Per rule: one of its keywords occurs.
    pub rule: Vec<bool>,
    /// Per windowed rule: where (byte offsets, ascending).
    pub at: Vec<Vec<usize>>,
    /// Where the generic detectors' name fragments occur (byte ranges, ascending by start).
    pub names: Vec<(usize, usize)>,
}

impl Prefilter {
    pub fn new(rules: &[Rule]) -> Self {
        let mut patterns: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for k in &r.keywords {
                let p = *index.entry(k.as_str()).or_insert_with(|| {
                    patterns.push(k.as_str());
                    keyword_rules.push(Vec::new());
                    patterns.len() - 1
                });
                if !keyword_rules[p].contains(&i) {
                    keyword_rules[p].push(i);
                }
            }
        }
        let build = |kind: Option<AhoCorasickKind>| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(kind)
                .build(&patterns)
        };
        let keywords = build(Some(AhoCorasickKind::DFA))
            .or_else(|_| build(None))
            .ok();
        let name_patterns = generic::NAME_KEYWORDS
            .iter()
            .all(|k| index.contains_key(k))
            .then(|| {
                patterns
                    .iter()
                    .map(|p| generic::NAME_KEYWORDS.contains(p))
                    .collect()
            });
        Prefilter {
            keywords,
            keyword_rules,
            name_patterns,
        }
    }

    /// The generic detectors can take the name fragments' positions from [`Hits::names`].
    pub fn has_names(&self) -> bool {
        self.name_patterns.is_some() && self.keywords.is_some()
    }

    /// Which rules have a keyword in `bytes` (and are enabled), and where (for `windowed` rules).
    pub fn hits(&self, bytes: &[u8], enabled: &[bool], windowed: &[bool]) -> Hits {
        let n = enabled.len();
        let mut hits = Hits {
            rule: vec![false; n],
            at: vec![Vec::new(); n],
            names: Vec::new(),
        };
        if !enabled.iter().any(|e| *e) {
            return hits;
        }
        let Some(keywords) = &self.keywords else {
            hits.rule.copy_from_slice(enabled);
            return hits;
        };
        for m in keywords.find_overlapping_iter(bytes) {
            let p = m.pattern().as_usize();
            let pos = m.start();
            if self.name_patterns.as_ref().is_some_and(|n| n[p]) {
                hits.names.push((pos, m.end()));
            }
            for &r in &self.keyword_rules[p] {
                if !enabled[r] {
                    continue;
                }
                hits.rule[r] = true;
                if windowed[r] {
                    // Occurrences close together share a window.
                    let at = &mut hits.at[r];
                    if at.last().is_none_or(|&l| pos >= l + 64) {
                        at.push(pos);
                    }
                }
            }
        }
        hits
    }
}
