//! GitHub's `partialFingerprints.primaryLocationLineHash`, computed exactly as the `upload-sarif` action
//! does (codeql-action `src/fingerprints.ts`): for each line, a rolling polynomial hash over the next 100
//! UTF-16 code units from the line's first character, spaces and tabs skipped, CR and CRLF read as LF, the
//! end of file marked by one unit 65535 then zeros; unsigned lowercase hex, suffixed `:n` where `n` counts
//! the same hash so far in the file. An upload through the REST API without it creates duplicate alerts.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The `partialFingerprints` key GitHub reads.
pub const KEY: &str = "primaryLocationLineHash";

const BLOCK: usize = 100;
const MOD: i64 = 37;
const EOF: u16 = 65535;
const TAB: u16 = b'\t' as u16;
const SPACE: u16 = b' ' as u16;
const LF: u16 = b'\n' as u16;
const CR: u16 = b'\r' as u16;

/// The rolling state of [`fingerprints.ts`]'s `hash`, fed one UTF-16 unit at a time.
struct Hasher<F: FnMut(u32, u64, u32)> {
    window: [u16; BLOCK],
    /// The line that starts at each window slot, 0 for none (lines are 1-based).
    line_at: [u32; BLOCK],
    hash: i64,
    first_mod: i64,
    index: usize,
    line: u32,
    line_start: bool,
    prev_cr: bool,
    counts: HashMap<u64, u32, ahash::RandomState>,
    emit: F,
}

impl<F: FnMut(u32, u64, u32)> Hasher<F> {
    fn new(emit: F) -> Self {
        let mut first_mod: i64 = 1;
        for _ in 0..BLOCK {
            first_mod = first_mod.wrapping_mul(MOD);
        }
        Hasher {
            window: [0; BLOCK],
            line_at: [0; BLOCK],
            hash: 0,
            first_mod,
            index: 0,
            line: 0,
            line_start: true,
            prev_cr: false,
            counts: HashMap::default(),
            emit,
        }
    }

    fn output(&mut self) {
        let value = self.hash as u64;
        let n = self.counts.entry(value).or_insert(0);
        *n += 1;
        (self.emit)(self.line_at[self.index], value, *n);
        self.line_at[self.index] = 0;
    }

    fn update(&mut self, current: u16) {
        let begin = self.window[self.index];
        self.window[self.index] = current;
        self.hash = MOD
            .wrapping_mul(self.hash)
            .wrapping_add(i64::from(current))
            .wrapping_sub(self.first_mod.wrapping_mul(i64::from(begin)));
        self.index = (self.index + 1) % BLOCK;
    }

    fn push(&mut self, unit: u16) {
        let mut current = unit;
        if current == SPACE || current == TAB || (self.prev_cr && current == LF) {
            self.prev_cr = false;
            return;
        }
        if current == CR {
            current = LF;
            self.prev_cr = true;
        } else {
            self.prev_cr = false;
        }
        if self.line_at[self.index] != 0 {
            self.output();
        }
        if self.line_start {
            self.line_start = false;
            self.line += 1;
            self.line_at[self.index] = self.line;
        }
        if current == LF {
            self.line_start = true;
        }
        self.update(current);
    }

    fn finish(mut self) {
        self.push(EOF);
        for _ in 0..BLOCK {
            if self.line_at[self.index] != 0 {
                self.output();
            }
            self.update(0);
        }
    }
}

/// Call `emit(line, hash)` for every line of `text`, in line order. Like the action, a text that ends
/// with a line break (or is empty) has one more line, the end of file.
pub fn for_each(text: &str, mut emit: impl FnMut(u32, String)) {
    let mut h = Hasher::new(|line, value, n| emit(line, format_hash(value, n)));
    for unit in text.encode_utf16() {
        h.push(unit);
    }
    h.finish();
}

fn format_hash(value: u64, n: u32) -> String {
    format!("{value:x}:{n}")
}

/// The hash of every line of `text` (index 0 is line 1).
pub fn line_hashes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each(text, |_, h| out.push(h));
    out
}

/// The hashes of the wanted lines only (a lockfile may have millions of lines).
pub fn hashes_of_lines(text: &str, wanted: &BTreeSet<u32>) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    if wanted.is_empty() {
        return out;
    }
    // a line's hash depends only on what precedes it and the 100 units after its start: stop once the
    // last wanted line has its hash
    let found = std::cell::Cell::new(0);
    let mut h = Hasher::new(|line, value, n| {
        if wanted.contains(&line) {
            out.insert(line, format_hash(value, n));
            found.set(found.get() + 1);
        }
    });
    for unit in text.encode_utf16() {
        h.push(unit);
        if found.get() == wanted.len() {
            break;
        }
    }
    if found.get() < wanted.len() {
        h.finish();
    } else {
        drop(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EOF_HASH: &str = "c129715d7a2bc9a3:1";

    #[test]
    fn python_file_matches_the_action() {
        let t = "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n";
        assert_eq!(
            line_hashes(t),
            [
                "31adde0a0a345d4b:1",
                "5d82ec6261d02ea9:1",
                "8bcc043223f62c03:1",
                "5dc28e6cf07eaffa:1",
                EOF_HASH
            ]
        );
    }

    #[test]
    fn crlf_cr_and_indentation_match_the_action() {
        assert_eq!(
            line_hashes("a\r\nb\r\n\r\n  a\n"),
            [
                "5614927d92068d77:1",
                "4c6ab9ad525977c0:1",
                "6f7821bf6a94a0cc:1",
                "243cbaa4685aab12:1",
                EOF_HASH
            ]
        );
    }

    #[test]
    fn non_ascii_counts_utf16_units() {
        assert_eq!(
            line_hashes("x = \"héllo 😀\"\n"),
            ["efcad8f61fba250b:1", EOF_HASH]
        );
    }

    #[test]
    fn empty_file_has_the_end_of_file_line() {
        assert_eq!(line_hashes(""), [EOF_HASH]);
    }

    #[test]
    fn identical_long_lines_are_counted() {
        let line = format!("password = \"{}\"\n", "A".repeat(120));
        let t = line.repeat(3);
        assert_eq!(
            line_hashes(&t),
            [
                "3deaabb41428c794:1",
                "3deaabb41428c794:2",
                "3deaabb41428c794:3",
                EOF_HASH
            ]
        );
    }

    #[test]
    fn only_wanted_lines_are_kept() {
        let t = "import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n";
        let m = hashes_of_lines(t, &[2, 4, 99].into_iter().collect());
        assert_eq!(m.len(), 2);
        assert_eq!(m[&2], "5d82ec6261d02ea9:1");
        assert_eq!(m[&4], "5dc28e6cf07eaffa:1");
    }

    #[test]
    fn wanted_lines_hash_as_in_the_whole_file_though_the_walk_stops_early() {
        let long = "x".repeat(250);
        let texts = [
            "a\r\nb\r\n\r\n  a\na\n".to_string(),
            format!("{long}\n\n{long}\nshort\n{long}"),
            "same\n".repeat(30) + "tail",
            "é😀\tx\ry\n".repeat(40),
            String::new(),
        ];
        for t in &texts {
            let all = line_hashes(t);
            let n = all.len() as u32;
            for l in 1..=n {
                let one = hashes_of_lines(t, &[l].into_iter().collect());
                assert_eq!(one[&l], all[l as usize - 1], "line {l} of {t:?}");
                let pair = hashes_of_lines(t, &[1, l].into_iter().collect());
                assert_eq!(pair[&1], all[0]);
                assert_eq!(pair[&l], all[l as usize - 1]);
            }
        }
    }
}
