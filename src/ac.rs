//! An Aho-Corasick DFA walked over a text in several stretches at once (shared by the secrets job's keyword
//! pass and the SAST job's name prefilter): `find_overlapping_iter` walks one byte after another, each step
//! a table load that depends on the one before; walking four stretches in step overlaps those loads. The
//! walk uses [`Dense`], a copy of `aho_corasick`'s DFA in a smaller table.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::noncontiguous;
use aho_corasick::{Anchored, MatchKind};

/// Stretches of a file walked at once: a DFA walk is one dependent table load per byte, so walking
/// several stretches in step keeps the core busy while each load waits (~2.5x faster than one walk).
const STREAMS: usize = 4;

/// Files below this size are walked in one stretch (from ~512 bytes on, four stretches are faster even
/// with their overlap: ~1.6x on the sdists' files of 0.5-2 KiB).
pub(crate) const STREAM_MIN_BYTES: usize = 512;

/// An unanchored Aho-Corasick DFA with the matches of the `aho_corasick` NFA it is made from, in a smaller
/// table than `aho_corasick`'s own DFA: the bytes that lead every state to the same place form one class (with ~650 mostly
/// lower-case keywords matched ASCII case-insensitively, ~110 classes rather than a power of two), states
/// are numbered in breadth-first order (the shallow states, where a walk over text spends most of its
/// steps, share cache lines), match states last (one comparison says "maybe a match"), and a step is one
/// class load and one table load (no bounds-check-free tricks: safe indexing). `aho_corasick`'s DFA for
/// the secrets keywords is ~3.5 MB, this one ~1.5 MB; the walk is ~10% faster, and building it from the
/// NFA skips building `aho_corasick`'s DFA.
pub struct Dense {
    /// Class of each byte (below `stride`).
    classes: [u8; 256],
    /// Number of classes: a state's row length.
    stride: usize,
    /// `trans[s + class]` is the next state of state `s`; states are row offsets (index × `stride`).
    trans: Box<[u32]>,
    /// States from this one on hold matches.
    first_match: u32,
    start: u32,
    /// For the k-th match state, its matches are `matches[match_at[k]..match_at[k + 1]]`.
    match_at: Box<[u32]>,
    /// (pattern length, pattern), in the order the source DFA reports them.
    matches: Box<[(u32, u32)]>,
    max_pattern_len: usize,
}

/// Largest [`Dense`] made (states × 256 while building): beyond it the automaton is far past any size this
/// crate builds, and [`Dense::new`] declines.
const DENSE_MAX_STATES: usize = 1 << 16;

impl Dense {
    /// The DFA of `nfa`'s unanchored search (`None` unless it reports every overlapping match, i.e.
    /// `MatchKind::Standard`, or if it is huge). Built as `aho_corasick`'s DFA builder does, but into the
    /// smaller table: the trie's states breadth-first; a state's row is its trie transitions, the others
    /// taken from the row of its failure state (shallower, so already built); the failure state of a
    /// child by byte `b` is where the parent's failure state goes on `b`.
    pub fn new(nfa: &noncontiguous::NFA) -> Option<Dense> {
        if nfa.match_kind() != MatchKind::Standard {
            return None;
        }
        let start = nfa.start_state(Anchored::No).ok()?;
        // Breadth-first over the trie, keeping each state's 256 successors and its failure state.
        let mut states: Vec<StateID> = vec![start];
        let mut fail: Vec<u32> = vec![0];
        let mut index: Vec<u32> = Vec::new();
        let mut next: Vec<u32> = Vec::new();
        let mut i = 0;
        while i < states.len() {
            if states.len() > DENSE_MAX_STATES {
                return None;
            }
            let (s, f) = (states[i], fail[i] as usize);
            for b in 0..=255u8 {
                // The start state loops to itself on every byte no pattern starts with.
                let t = nfa.next_state(if i == 0 { Anchored::No } else { Anchored::Yes }, s, b);
                let to = if i == 0 && t == start {
                    0
                } else if i > 0 && nfa.is_dead(t) {
                    next[f * 256 + usize::from(b)]
                } else {
                    // A trie child (ASCII case-insensitive: the same child on both cases of a letter).
                    let at = t.as_usize();
                    if index.len() <= at {
                        index.resize(at + 1, u32::MAX);
                    }
                    if index[at] == u32::MAX {
                        index[at] = states.len() as u32;
                        states.push(t);
                        fail.push(if i == 0 {
                            0
                        } else {
                            next[f * 256 + usize::from(b)]
                        });
                    }
                    index[at]
                };
                next.push(to);
            }
            i += 1;
        }
        let n = states.len();
        // Byte classes: bytes whose columns are equal. Grouped by a hash of the column (computed row by
        // row, in memory order), then checked against the group's first byte the same way.
        let mut hash = [0u64; 256];
        for row in next.chunks_exact(256) {
            for (h, &t) in hash.iter_mut().zip(row) {
                *h = h
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(u64::from(t) + 1);
            }
        }
        let mut classes = [0u8; 256];
        let mut reps: Vec<usize> = Vec::new();
        for b in 0..256 {
            classes[b] = match reps.iter().position(|&r| hash[r] == hash[b]) {
                Some(c) => c as u8,
                None => {
                    reps.push(b);
                    (reps.len() - 1) as u8
                }
            };
        }
        let collides = next
            .chunks_exact(256)
            .any(|row| (0..256).any(|b| row[b] != row[reps[usize::from(classes[b])]]));
        if collides {
            // Two different columns with one hash (never seen): every byte its own class.
            reps = (0..256).collect();
            classes = std::array::from_fn(|b| b as u8);
        }
        let stride = reps.len();
        // Non-match states in breadth-first order, then the match states.
        let is_match: Vec<bool> = states.iter().map(|&s| nfa.is_match(s)).collect();
        let order: Vec<usize> = (0..n)
            .filter(|&s| !is_match[s])
            .chain((0..n).filter(|&s| is_match[s]))
            .collect();
        let mut new_id = vec![0u32; n];
        for (k, &s) in order.iter().enumerate() {
            new_id[s] = u32::try_from(k * stride).ok()?;
        }
        let mut trans = Vec::with_capacity(n * stride);
        let (mut match_at, mut matches) = (vec![0u32], Vec::new());
        for &s in &order {
            trans.extend(reps.iter().map(|&b| new_id[next[s * 256 + b] as usize]));
            if is_match[s] {
                let sid = states[s];
                for k in 0..nfa.match_len(sid) {
                    let p = nfa.match_pattern(sid, k);
                    matches.push((nfa.pattern_len(p) as u32, p.as_u32()));
                }
                match_at.push(matches.len() as u32);
            }
        }
        let first_match = (n - (match_at.len() - 1)) * stride;
        Some(Dense {
            classes,
            stride,
            trans: trans.into_boxed_slice(),
            first_match: u32::try_from(first_match).ok()?,
            start: new_id[0],
            match_at: match_at.into_boxed_slice(),
            matches: matches.into_boxed_slice(),
            max_pattern_len: nfa.max_pattern_len(),
        })
    }

    /// Bytes of the table and match lists.
    pub fn memory_usage(&self) -> usize {
        self.trans.len() * 4 + self.match_at.len() * 4 + self.matches.len() * 8
    }

    #[inline(always)]
    fn next(&self, sid: u32, byte: u8) -> u32 {
        self.trans[sid as usize + usize::from(self.classes[usize::from(byte)])]
    }

    /// Every match `(start, end, pattern)` in `bytes`, overlapping ones included, in the order
    /// `find_overlapping_iter` of the source automaton reports them (by end; at one end, in the
    /// automaton's order). The text is cut into [`STREAMS`] stretches walked in step. Each stretch after
    /// the first starts `max_pattern_len - 1` bytes early (so its state is the right one by the time it
    /// reaches its own bytes) and keeps only the matches that end inside its own bytes; the stretches'
    /// matches, concatenated, are the whole text's in the same order.
    #[allow(clippy::needless_range_loop)] // the streams are indexed in step, by design
    pub fn matches(&self, bytes: &[u8]) -> Vec<(usize, usize, usize)> {
        let n = bytes.len();
        let lead = self.max_pattern_len.saturating_sub(1);
        let chunk = n / STREAMS;
        let mut out = Vec::new();
        if n < STREAM_MIN_BYTES || chunk <= 2 * lead {
            self.walk(self.start, bytes, 0, 0, &mut out);
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
        let mut sid = [self.start; STREAMS];
        for j in 0..chunk {
            // The states stay in registers; matches (rare) are handled out of line.
            let mut special = false;
            for k in 0..STREAMS {
                sid[k] = self.next(sid[k], text[k][j]);
                special |= sid[k] >= self.first_match;
            }
            if special {
                for k in 0..STREAMS {
                    let at = from[k] + j;
                    if sid[k] >= self.first_match && at >= own[k] {
                        self.report(sid[k], at + 1, &mut found[k]);
                    }
                }
            }
        }
        for k in 0..STREAMS {
            let at = from[k] + chunk;
            self.walk(sid[k], &bytes[at..stop[k]], at, own[k], &mut found[k]);
        }
        out.reserve_exact(found.iter().map(Vec::len).sum());
        for f in &found {
            out.extend_from_slice(f);
        }
        out
    }

    /// Walk `bytes` (at offset `base` of the text) from state `sid`, reporting matches that end after `own`.
    fn walk(
        &self,
        mut sid: u32,
        bytes: &[u8],
        base: usize,
        own: usize,
        out: &mut Vec<(usize, usize, usize)>,
    ) {
        for (i, &b) in bytes.iter().enumerate() {
            sid = self.next(sid, b);
            if sid >= self.first_match && base + i >= own {
                self.report(sid, base + i + 1, out);
            }
        }
    }

    /// The matches of match state `sid` reached at `end`, in the source automaton's order.
    #[inline(never)]
    fn report(&self, sid: u32, end: usize, out: &mut Vec<(usize, usize, usize)>) {
        let k = (sid - self.first_match) as usize / self.stride;
        let list = &self.matches[self.match_at[k] as usize..self.match_at[k + 1] as usize];
        out.extend(
            list.iter()
                .map(|&(len, p)| (end.saturating_sub(len as usize), end, p as usize)),
        );
    }
}

/// Every match `(start, end, pattern)` of `d` in `bytes`, in `find_overlapping_iter`'s order
/// ([`Dense::matches`]).
pub fn dfa_matches(d: &Dense, bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    d.matches(bytes)
}

/// Scans smaller than this (bytes of text in all) use `aho_corasick`'s own pick of automaton, which builds
/// in well under a millisecond; larger ones a DFA walked by [`dfa_matches`], which takes a few
/// milliseconds to build and walks ~2-3x faster.
pub const DFA_MIN_BYTES: u64 = 1 << 20;

/// A set of patterns matched overlapping: a DFA walked in stretches, or whatever `aho_corasick` picks.
pub enum Matcher {
    Dfa(Box<Dense>),
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
            noncontiguous::NFA::new(patterns)
                .ok()
                .and_then(|d| Dense::new(&d))
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
            Matcher::Dfa(d) => d.matches(bytes),
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
        for len in [0, 5, 100, 511, 512, 513, 2047, 2048, 2049, 9999, text.len()] {
            let t = &text.as_bytes()[..len.min(text.len())];
            let want = nfa.matches(t);
            assert_eq!(dfa.matches(t), want, "{len}");
            // `os` inside `Popen` and in `os.system` both count: overlapping, every occurrence
            assert_eq!(!want.is_empty(), len >= 9, "{len}");
        }
    }

    /// The dense copy reports what the automaton it copies reports, on random texts over a small
    /// alphabet (dense in matches, overlapping ones, every stretch border), case-sensitive or not, with
    /// bytes outside ASCII in both the patterns and the text.
    #[test]
    fn the_dense_copy_reports_what_the_automaton_reports() {
        let words: [&[u8]; 9] = [
            b"ab",
            b"abc",
            b"bca",
            b"Cab",
            b"aaaa",
            b"b\xffa",
            b"\xc3\xa9c",
            b"ca",
            b"abcabcabca",
        ];
        let alphabet = b"abcABC\xff\xc3\xa9 \n";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut text = Vec::new();
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        for ci in [false, true] {
            let d = noncontiguous::Builder::new()
                .ascii_case_insensitive(ci)
                .build(words)
                .unwrap();
            let dense = Dense::new(&d).unwrap();
            let ac = aho_corasick::AhoCorasickBuilder::new()
                .ascii_case_insensitive(ci)
                .build(words)
                .unwrap();
            // Bytes that no pattern tells apart share a class: fewer classes than distinct bytes.
            assert!(dense.stride < 20, "{}", dense.stride);
            for len in [0, 1, 3, 300, 511, 512, 513, 514, 2049, 5000, 8191, 20_000] {
                let t = &text[..len];
                let want: Vec<_> = ac
                    .find_overlapping_iter(t)
                    .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                    .collect();
                assert_eq!(dense.matches(t), want, "{ci} {len}");
                assert_eq!(!want.is_empty(), len > 100, "{ci} {len}");
            }
        }
    }
}
