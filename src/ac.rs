//! An Aho-Corasick DFA walked over a text in several stretches at once (shared by the secrets job's keyword
//! pass and the SAST job's name prefilter): `find_overlapping_iter` walks one byte after another, each step
//! a table load that depends on the one before; walking four stretches in step overlaps those loads.

use aho_corasick::automaton::Automaton;
use aho_corasick::{dfa, Anchored};

/// Stretches of a file walked at once: a DFA walk is one dependent table load per byte, so walking
/// several stretches in step keeps the core busy while each load waits (~2.5x faster than one walk).
const STREAMS: usize = 4;

/// Files below this size are walked in one stretch.
pub(crate) const STREAM_MIN_BYTES: usize = 2048;

/// Every match `(start, end, pattern)` of the DFA in `bytes`, overlapping ones included, in the order
/// `find_overlapping_iter` reports them (by end; at one end, in the automaton's order). The text is cut
/// into [`STREAMS`] stretches walked in step. Each stretch after the first starts `max_pattern_len - 1` bytes early (so its DFA state is the right one
/// by the time it reaches its own bytes) and keeps only the matches that end inside its own bytes; the
/// stretches' matches, concatenated, are the whole text's in the same order.
#[allow(clippy::needless_range_loop)] // the streams are indexed in step, by design
pub fn dfa_matches(d: &dfa::DFA, bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let n = bytes.len();
    let lead = d.max_pattern_len().saturating_sub(1);
    let chunk = n / STREAMS;
    let mut out = Vec::new();
    let Ok(start) = d.start_state(Anchored::No) else {
        return out;
    };
    if n < STREAM_MIN_BYTES || chunk <= 2 * lead {
        walk(d, start, bytes, 0, 0, &mut out);
        return out;
    }
    // Stream k reads from from[k] and reports the matches that end in (own[k], stop[k]].
    let own: [usize; STREAMS] = std::array::from_fn(|k| k * chunk);
    let from: [usize; STREAMS] = std::array::from_fn(|k| own[k].saturating_sub(lead));
    let stop: [usize; STREAMS] =
        std::array::from_fn(|k| if k + 1 == STREAMS { n } else { own[k] + chunk });
    // Every stream has at least `chunk` bytes; all walk the first `chunk` in step.
    let text: [&[u8]; STREAMS] = std::array::from_fn(|k| &bytes[from[k]..from[k] + chunk]);
    let mut found: [Vec<(usize, usize, usize)>; STREAMS] = Default::default();
    let mut sid = [start; STREAMS];
    for j in 0..chunk {
        // The states stay in registers; matches (rare) are handled out of line.
        let mut special = false;
        for k in 0..STREAMS {
            sid[k] = d.next_state(Anchored::No, sid[k], text[k][j]);
            special |= d.is_special(sid[k]);
        }
        if special {
            for k in 0..STREAMS {
                let at = from[k] + j;
                if d.is_special(sid[k]) && at >= own[k] {
                    report(d, sid[k], at + 1, &mut found[k]);
                }
            }
        }
    }
    for k in 0..STREAMS {
        let at = from[k] + chunk;
        walk(d, sid[k], &bytes[at..stop[k]], at, own[k], &mut found[k]);
        out.append(&mut found[k]);
    }
    out
}

/// Walk `bytes` (at offset `base` of the text) from state `sid`, reporting matches that end after `own`.
fn walk(
    d: &dfa::DFA,
    mut sid: aho_corasick::automaton::StateID,
    bytes: &[u8],
    base: usize,
    own: usize,
    out: &mut Vec<(usize, usize, usize)>,
) {
    for (i, &b) in bytes.iter().enumerate() {
        sid = d.next_state(Anchored::No, sid, b);
        if d.is_special(sid) && base + i >= own {
            report(d, sid, base + i + 1, out);
        }
    }
}

/// The matches of state `sid` reached at `end`, in the automaton's order.
#[inline(never)]
fn report(
    d: &dfa::DFA,
    sid: aho_corasick::automaton::StateID,
    end: usize,
    out: &mut Vec<(usize, usize, usize)>,
) {
    if !d.is_match(sid) {
        return;
    }
    for i in 0..d.match_len(sid) {
        let p = d.match_pattern(sid, i);
        out.push((end.saturating_sub(d.pattern_len(p)), end, p.as_usize()));
    }
}

/// Scans smaller than this (bytes of text in all) use `aho_corasick`'s own pick of automaton, which builds
/// in well under a millisecond; larger ones a DFA walked by [`dfa_matches`], which takes a few
/// milliseconds to build and walks ~2-3x faster.
pub const DFA_MIN_BYTES: u64 = 1 << 20;

/// A set of patterns matched overlapping: a DFA walked in stretches, or whatever `aho_corasick` picks.
pub enum Matcher {
    Dfa(Box<dfa::DFA>),
    Any(aho_corasick::AhoCorasick),
}

impl Matcher {
    /// The matcher for a scan of `scan_bytes` bytes of text ([`DFA_MIN_BYTES`]).
    pub fn new<I, P>(patterns: I, scan_bytes: u64) -> Option<Matcher>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        if scan_bytes >= DFA_MIN_BYTES {
            dfa::DFA::new(patterns)
                .ok()
                .map(|d| Matcher::Dfa(Box::new(d)))
        } else {
            aho_corasick::AhoCorasick::new(patterns)
                .ok()
                .map(Matcher::Any)
        }
    }

    /// Every match `(start, end, pattern)`, overlapping ones included, in `find_overlapping_iter`'s order.
    pub fn matches(&self, bytes: &[u8]) -> Vec<(usize, usize, usize)> {
        match self {
            Matcher::Dfa(d) => dfa_matches(d, bytes),
            Matcher::Any(ac) => ac
                .find_overlapping_iter(bytes)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both kinds of matcher report the same matches in the same order, across the stretch borders.
    #[test]
    fn dfa_and_nfa_matchers_agree() {
        let words = [
            "os",
            "system",
            "subprocess",
            "popen",
            "eval",
            "exec",
            "pickle",
            "loads",
        ];
        let text = "import os, subprocess\nos.system(x); subprocess.Popen(y)\neval(exec(pickle.loads(z)))\n"
            .repeat(300);
        let dfa = Matcher::new(words, DFA_MIN_BYTES).unwrap();
        let nfa = Matcher::new(words, 0).unwrap();
        assert!(matches!(dfa, Matcher::Dfa(_)) && matches!(nfa, Matcher::Any(_)));
        for len in [0, 5, 100, 2047, 2048, 2049, 9999, text.len()] {
            let t = &text.as_bytes()[..len.min(text.len())];
            let want = nfa.matches(t);
            assert_eq!(dfa.matches(t), want, "{len}");
            // `os` inside `Popen` and in `os.system` both count: overlapping, every occurrence
            assert_eq!(!want.is_empty(), len >= 9, "{len}");
        }
    }
}
