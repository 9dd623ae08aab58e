//! The secrets job's keyword pass: one Aho-Corasick automaton over every rule's keywords and every word
//! the generic detectors look for (ASCII case-insensitive) says which rules can match a file at all, where
//! their keywords are (for rules whose regex stays within a few lines), and what the generic detectors need
//! ([`generic::Seen`]: names, command words, call names, prose labels, gate literals), so no detector
//! scans the file again for its words. Built on the first file scanned: a scan of an empty tree never
//! pays for it.

use super::generic::{self, Role, Seen};
use super::rules::Rule;
use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::noncontiguous;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

/// The keyword automaton: a DFA walked by [`Keywords::matches`] itself (several stretches of a file at
/// once), or any automaton `aho_corasick` picks (the NFA for small scans, or when the DFA is too large).
enum Keywords {
    Dfa(Box<crate::ac::Dense>),
    Any(AhoCorasick),
}

pub(crate) struct Prefilter {
    /// `None` when the automaton could not be built (size limits): every enabled rule then runs.
    keywords: Option<Keywords>,
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
        let keywords = if dfa {
            noncontiguous::Builder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&patterns)
                .ok()
                .filter(|d| d.min_pattern_len() > 0)
                .and_then(|d| crate::ac::Dense::new(&d))
                .map(|d| Keywords::Dfa(Box::new(d)))
        } else {
            None
        };
        let keywords = keywords.or_else(|| {
            build(Some(AhoCorasickKind::ContiguousNFA))
                .or_else(|_| build(None))
                .ok()
                .map(Keywords::Any)
        });
        Prefilter {
            keywords,
            keyword_rules,
            roles,
            words,
        }
    }

    /// Which rules have a keyword in `bytes` (and are enabled), and where (for rules `windowed` says
    /// run on windows; asked once per rule and file).
    pub fn hits(&self, bytes: &[u8], enabled: &[bool], windowed: impl Fn(usize) -> bool) -> Hits {
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
        let mut wants_at = vec![false; n];
        for (pos, end, p) in keywords.matches(bytes) {
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
                if !hits.rule[r] {
                    hits.rule[r] = true;
                    wants_at[r] = windowed(r);
                }
                if wants_at[r] {
                    // Occurrences on one line share a window.
                    let at = &mut hits.at[r];
                    if at.last().is_none_or(|&l| !same_line(bytes, l, pos)) {
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

/// Are byte offsets `a` and `b` on one line (looked at only when they are close: far apart, `false`)?
fn same_line(bytes: &[u8], a: usize, b: usize) -> bool {
    let (lo, hi) = (a.min(b), a.max(b));
    hi - lo < 64 && !bytes[lo..hi].contains(&b'\n')
}

impl Keywords {
    /// Every keyword occurrence `(start, end, pattern)`, overlapping ones included, ordered as
    /// `find_overlapping_iter` reports them (by end; at one end, in the automaton's order).
    fn matches(&self, bytes: &[u8]) -> Vec<(usize, usize, usize)> {
        match self {
            Keywords::Any(ac) => ac
                .find_overlapping_iter(bytes)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect(),
            Keywords::Dfa(d) => crate::ac::dfa_matches(d, bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fixture file, every rule example, and a few hand-made texts (name, text).
    fn texts() -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (rel, b) in crate::secrets::fixture_files() {
            out.push((rel, String::from_utf8_lossy(&b).into_owned()));
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
        let texts = texts();
        assert!(texts.len() > 500);
        for (rel, text) in &texts {
            let mut shared = pre.hits(text.as_bytes(), &enabled, |_| false).seen;
            assert_eq!(
                nfa.hits(text.as_bytes(), &enabled, |_| false).seen,
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

    /// The DFA walked in several stretches reports exactly what one overlapping pass reports, in the
    /// same order, whatever the text's length (stretch borders fall inside keywords).
    #[test]
    fn the_dfa_walked_in_stretches_reports_what_one_pass_reports() {
        let rules = crate::secrets::rules::load_builtin().unwrap();
        let pre = Prefilter::new(&rules, true);
        let Some(Keywords::Dfa(d)) = &pre.keywords else {
            panic!("no DFA");
        };
        let nfa = Prefilter::new(&rules, false);
        let Some(Keywords::Any(ac)) = &nfa.keywords else {
            panic!("no NFA");
        };
        // One state per trie node (both cases of a letter lead to one state): ~1.5 MB, not more.
        assert!(d.memory_usage() < 2 << 20, "{}", d.memory_usage());
        let mut all = String::new();
        for (_, t) in texts() {
            all.push_str(&t);
        }
        let one = |b: &[u8]| -> Vec<(usize, usize, usize)> {
            ac.find_overlapping_iter(b)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect()
        };
        let b = all.as_bytes();
        assert!(b.len() > 100_000);
        let want = one(b);
        assert!(want.len() > 1000);
        assert_eq!(crate::ac::dfa_matches(d, b), want);
        // Every length around the stretch sizes, and every offset of a keyword-dense text.
        let dense = "passwordtokenapi_keysecret://curl -u ".repeat(200);
        for len in (0..dense.len())
            .step_by(7)
            .chain(crate::ac::STREAM_MIN_BYTES - 9..crate::ac::STREAM_MIN_BYTES + 9)
        {
            let t = &dense.as_bytes()[..len.min(dense.len())];
            assert_eq!(crate::ac::dfa_matches(d, t), one(t), "{len}");
            let t = &b[len..len + 5000];
            assert_eq!(crate::ac::dfa_matches(d, t), one(t), "{len}");
        }
        // A keyword longer than a stretch: one walk.
        let long = "k".repeat(3000);
        let d = noncontiguous::Builder::new()
            .ascii_case_insensitive(true)
            .build([long.as_str(), "kk"])
            .unwrap();
        let d = crate::ac::Dense::new(&d).unwrap();
        let ac = AhoCorasick::new([long.as_str(), "kk"]).unwrap();
        let t = "K".repeat(9000);
        let want: Vec<_> = ac
            .find_overlapping_iter(&t.to_ascii_lowercase())
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        assert_eq!(crate::ac::dfa_matches(&d, t.as_bytes()), want);
    }

    /// Every keyword and detector word, in every case mix, straddling or ending at each border of the
    /// stretches the dense walk cuts a file into: the walk reports exactly the keyword positions one
    /// overlapping pass of the NFA reports.
    #[test]
    fn keywords_at_stretch_borders_in_every_case_mix() {
        let rules = crate::secrets::rules::load_builtin().unwrap();
        let pre = Prefilter::new(&rules, true);
        let Some(Keywords::Dfa(d)) = &pre.keywords else {
            panic!("no DFA");
        };
        let nfa = Prefilter::new(&rules, false);
        let Some(Keywords::Any(ac)) = &nfa.keywords else {
            panic!("no NFA");
        };
        let mut words: Vec<String> = rules.iter().flat_map(|r| r.keywords.clone()).collect();
        words.extend(
            generic::finder_words()
                .into_iter()
                .map(|(w, _)| w.to_string()),
        );
        assert!(words.len() > 500);
        let lead = words.iter().map(String::len).max().unwrap();
        let mixes: [fn(usize, u8) -> u8; 5] = [
            |_, b| b.to_ascii_lowercase(),
            |_, b| b.to_ascii_uppercase(),
            |i, b| {
                if i == 0 {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            },
            |i, b| {
                if i % 2 == 0 {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            },
            |i, b| {
                if (i * 7 + 3) % 3 == 0 {
                    b.to_ascii_uppercase()
                } else {
                    b
                }
            },
        ];
        let filler = b"x = f(y) # some text, with 0123 and :/=@ ;\n";
        let chunk = 700;
        let mut checked = 0;
        for w in &words {
            let len = w.len();
            for mix in &mixes {
                let word: Vec<u8> = w.bytes().enumerate().map(|(i, b)| mix(i, b)).collect();
                for shifts in [[0, len / 2, len - 1], [1, lead - 1, len]] {
                    let mut t: Vec<u8> = filler.iter().copied().cycle().take(4 * chunk).collect();
                    for (k, shift) in shifts.into_iter().enumerate() {
                        let at = (k + 1) * chunk - shift;
                        t[at..at + len].copy_from_slice(&word);
                    }
                    let want: Vec<_> = ac
                        .find_overlapping_iter(&t)
                        .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                        .collect();
                    assert!(want.len() >= 3, "{w}");
                    assert_eq!(d.matches(&t), want, "{w} {shifts:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 5000);
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
