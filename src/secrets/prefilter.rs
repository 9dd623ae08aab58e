//! The secrets job's keyword pass: one Aho-Corasick automaton over every rule's keywords and every word
//! the generic detectors look for (ASCII case-insensitive) says which rules can match a file at all, where
//! their keywords are (for rules whose regex stays within a few lines), and what the generic detectors need
//! ([`generic::Seen`]: names, command words, call names, prose labels, gate literals), so no detector
//! scans the file again for its words. Built on the first file scanned: a scan of an empty tree never
//! pays for it.

use super::generic::{self, Role, Seen};
use super::rules::Rule;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

pub(crate) struct Prefilter {
    /// `None` when the automaton could not be built (size limits): every enabled rule then runs.
    keywords: Option<AhoCorasick>,
    /// For each keyword pattern, the rules it enables.
    keyword_rules: Vec<Vec<usize>>,
    /// For each pattern, what it is to the generic detectors.
    roles: Vec<Vec<Role>>,
    /// The detectors' words as written (gate literals are checked case-sensitively).
    words: Vec<&'static str>,
}

/// Keyword hits of one file.
pub(crate) struct Hits {
    /// Per rule: one of its keywords occurs.
    pub rule: Vec<bool>,
    /// Per windowed rule: where (byte offsets, ascending).
    pub at: Vec<Vec<usize>>,
    /// What the generic detectors need.
    pub seen: Seen,
}

impl Prefilter {
    /// `dfa`: build the automaton as a DFA (slower to build, faster to run) rather than an NFA.
    pub fn new(rules: &[Rule], dfa: bool) -> Self {
        let mut patterns: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut extra: HashMap<String, usize> = HashMap::new();
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
        let mut roles: Vec<Vec<Role>> = vec![Vec::new(); patterns.len()];
        let mut words = Vec::new();
        for (w, role) in generic::finder_words() {
            let key = w.to_ascii_lowercase();
            let p = match index.get(key.as_str()).or_else(|| extra.get(&key)) {
                Some(&p) => p,
                None => {
                    extra.insert(key, patterns.len());
                    patterns.push(w);
                    keyword_rules.push(Vec::new());
                    roles.push(Vec::new());
                    patterns.len() - 1
                }
            };
            roles[p].push(role);
            if let Role::Gate(i) = role {
                if words.len() <= i {
                    words.resize(i + 1, "");
                }
                words[i] = w;
            }
        }
        let build = |kind: Option<AhoCorasickKind>| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(kind)
                .build(&patterns)
        };
        let kind = if dfa {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let keywords = build(Some(kind)).or_else(|_| build(None)).ok();
        Prefilter {
            keywords,
            keyword_rules,
            roles,
            words,
        }
    }

    /// Which rules have a keyword in `bytes` (and are enabled), and where (for `windowed` rules).
    pub fn hits(&self, bytes: &[u8], enabled: &[bool], windowed: &[bool]) -> Hits {
        let n = enabled.len();
        let mut hits = Hits {
            rule: vec![false; n],
            at: vec![Vec::new(); n],
            seen: Seen::default(),
        };
        if !enabled.iter().any(|e| *e) {
            return hits;
        }
        let Some(keywords) = &self.keywords else {
            hits.rule.copy_from_slice(enabled);
            hits.seen = Seen::scan(&String::from_utf8_lossy(bytes));
            return hits;
        };
        let seen = &mut hits.seen;
        seen.gates = vec![false; generic::GATES.len()];
        let (mut commands, mut calls, mut labels) = (Vec::new(), Vec::new(), Vec::new());
        let mut logins = Vec::new();
        for m in keywords.find_overlapping_iter(bytes) {
            let p = m.pattern().as_usize();
            let (pos, end) = (m.start(), m.end());
            for role in &self.roles[p] {
                match *role {
                    Role::Name => seen.names.push((pos, end)),
                    Role::Command(i) => commands.push((pos, end, i)),
                    Role::Call(i) => calls.push((pos, end, i)),
                    Role::Label(i) => labels.push((pos, end, i)),
                    Role::Login(_) => logins.push((pos, end)),
                    Role::Gate(i) => {
                        if bytes[pos..end] == *self.words[i].as_bytes() {
                            seen.gates[i] = true;
                        }
                    }
                }
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
        // The overlapping pass reports matches by where they end; the detectors read names by where
        // they start, and the other words as their own leftmost-longest finders would report them.
        seen.names.sort_unstable();
        let spans = |v: Vec<(usize, usize, usize)>| {
            generic::leftmost_longest(v)
                .into_iter()
                .map(|(s, e, _)| (s, e))
                .collect::<Vec<_>>()
        };
        seen.commands = spans(commands);
        seen.calls = spans(calls);
        seen.labels = generic::leftmost_longest(labels);
        seen.logins = generic::earliest_end(logins);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fixture file, every rule example, and a few hand-made texts (name, text).
    fn texts() -> Vec<(String, String)> {
        let mut out = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets");
        for e in ignore::WalkBuilder::new(&root)
            .hidden(false)
            .build()
            .flatten()
        {
            if e.file_type().is_some_and(|t| t.is_file()) {
                if let Ok(b) = std::fs::read(e.path()) {
                    let rel = e.path().strip_prefix(&root).unwrap_or(e.path());
                    out.push((
                        rel.to_string_lossy().into_owned(),
                        String::from_utf8_lossy(&b).into_owned(),
                    ));
                }
            }
        }
        for r in crate::secrets::rules::load_builtin().unwrap() {
            for ex in r.positive.iter().chain(&r.negative) {
                out.push((ex.path().to_string(), ex.text().to_string()));
            }
        }
        out.push((
            "x.sh".into(),
            "CURL curl --user a:b; chpasswd passwd; Authorization AUTHORIZATION Insert INSERT"
                .into(),
        ));
        out
    }

    #[test]
    fn the_shared_pass_sees_what_the_detectors_would_find_alone() {
        let rules = crate::secrets::rules::load_builtin().unwrap();
        let pre = Prefilter::new(&rules, true);
        let nfa = Prefilter::new(&rules, false);
        let enabled = vec![true; rules.len()];
        let windowed = vec![false; rules.len()];
        let texts = texts();
        assert!(texts.len() > 500);
        for (rel, text) in &texts {
            let mut shared = pre.hits(text.as_bytes(), &enabled, &windowed).seen;
            assert_eq!(
                nfa.hits(text.as_bytes(), &enabled, &windowed).seen,
                shared,
                "{rel}"
            );
            let mut alone = Seen::scan(text);
            // Names: the shared pass reports overlapping fragments, the detector's finder leftmost-first
            // ones; the assignment detector reads either (compared through its findings below).
            let found_shared = format!(
                "{:?}",
                generic::detect_at(rel, text, true, true, Some(&shared))
            );
            let found_alone = format!(
                "{:?}",
                generic::detect_at(rel, text, true, true, Some(&alone))
            );
            assert_eq!(found_shared, found_alone, "{rel}");
            shared.names.clear();
            alone.names.clear();
            assert_eq!(shared, alone, "{rel}");
        }
    }

    #[test]
    fn leftmost_longest_matches_the_automaton() {
        let words = ["pass", "passwd", "chpasswd", "wd", "sql", "sqlplus"];
        let text = b"chpasswd passwdx sqlplus sql passpasswd";
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(words)
            .unwrap();
        let want: Vec<(usize, usize, usize)> = ac
            .find_iter(text)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        let all = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(words)
            .unwrap()
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        assert_eq!(generic::leftmost_longest(all), want);
    }
}
