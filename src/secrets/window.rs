//! Where a regex rule runs: over the lines around its keywords' occurrences (a window) or over the whole
//! file. A rule runs on windows when its pattern cannot cross lines at all, or when its syntax tree proves
//! that every match holds one of the rule's keywords and no newline except as its first or last character
//! (`(?:^|[^A-Za-z0-9+.-])scheme://...(?:\s|$)`): then the windows give exactly the whole file's matches.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Lines of context around a keyword that a windowed rule's regex sees on either side.
pub(crate) const WINDOW_LINES: usize = 2;

/// Can a regex match across lines (by its text: `\s`, `\n`, `\r`, `(?s)`, `\x0.`)? A pattern without any
/// of them runs on windows as it always did; one with them only when [`fits_windows`] proves it may.
pub(crate) fn crosses_lines(pattern: &str) -> bool {
    pattern.contains("\\s")
        || pattern.contains("\\n")
        || pattern.contains("\\r")
        || pattern.contains("(?s")
        || pattern.contains("\\x0")
}

/// Does every match of `pattern` (compiled as `rules::compile_regex` compiles it) contain one of
/// `keywords` (lower-case, matched ASCII case-insensitively) and no `\n` except as its first or last
/// byte? Then running it over [`windows_around`] the keywords' occurrences finds exactly the matches of
/// a run over the whole text: each match lies on its keyword's line (plus the newline before or after
/// it), which its window holds with the line before, and the windows start and end at line boundaries,
/// where `^`, `$` and word boundaries see what they see in the whole text. Conservative: `false` when
/// unsure (text anchors `\A`/`\z`, an alternative without a known keyword, too many literals).
pub(crate) fn fits_windows(pattern: &str, keywords: &[String]) -> bool {
    let Ok(hir) = super::rules::parse_hir(pattern) else {
        return false;
    };
    if keywords.is_empty() || has_text_anchor(&hir) {
        return false;
    }
    branches(&hir)
        .iter()
        .all(|b| newline_only_at_edges(b) && holds_keyword(b, keywords))
}

/// The top-level alternatives of a pattern (through capture groups).
fn branches(hir: &Hir) -> Vec<&Hir> {
    match hir.kind() {
        HirKind::Capture(c) => branches(&c.sub),
        HirKind::Alternation(subs) => subs.iter().flat_map(branches).collect(),
        _ => vec![hir],
    }
}

/// The parts of a concatenation (one part for anything else).
fn parts(hir: &Hir) -> Vec<&Hir> {
    match hir.kind() {
        HirKind::Capture(c) => parts(&c.sub),
        HirKind::Concat(subs) => subs.iter().collect(),
        _ => vec![hir],
    }
}

fn has_text_anchor(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Look(l) => matches!(l, Look::Start | Look::End),
        HirKind::Capture(c) => has_text_anchor(&c.sub),
        HirKind::Repetition(r) => has_text_anchor(&r.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(has_text_anchor),
        _ => false,
    }
}

/// Can a match of `hir` hold a `\n`?
fn has_newline(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(l) => l.0.contains(&b'\n'),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Repetition(r) => r.max != Some(0) && has_newline(&r.sub),
        HirKind::Capture(c) => has_newline(&c.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(has_newline),
    }
}

/// Does every match of `hir` have at most one character?
fn one_char_at_most(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) => true,
        HirKind::Literal(l) => {
            std::str::from_utf8(&l.0).map_or(l.0.len() <= 1, |s| s.chars().count() <= 1)
        }
        HirKind::Repetition(r) => r.max.is_some_and(|m| m <= 1) && one_char_at_most(&r.sub),
        HirKind::Capture(c) => one_char_at_most(&c.sub),
        HirKind::Alternation(subs) => subs.iter().all(one_char_at_most),
        HirKind::Concat(_) => false,
    }
}

/// A `\n` can only be the first or the last character of a match of this alternative: its first and last
/// parts take one character at most, the parts between them no newline.
fn newline_only_at_edges(branch: &Hir) -> bool {
    let p = parts(branch);
    let last = p.len() - 1;
    p.iter()
        .enumerate()
        .all(|(i, h)| !has_newline(h) || ((i == 0 || i == last) && one_char_at_most(h)))
}

/// Does every match of this alternative contain one of `keywords`? True when, from some part on, every
/// literal a match of the remaining parts starts with contains a keyword.
fn holds_keyword(branch: &Hir, keywords: &[String]) -> bool {
    let p = parts(branch);
    (0..p.len()).any(|i| {
        let tail = Hir::concat(p[i..].iter().map(|h| (*h).clone()).collect());
        prefixes(&tail).is_some_and(|lits| {
            !lits.is_empty()
                && lits.iter().all(|(l, _)| {
                    keywords
                        .iter()
                        .any(|k| !k.is_empty() && l.windows(k.len()).any(|w| w == k.as_bytes()))
                })
        })
    })
}

/// At most this many literals per expansion.
const MAX_LITERALS: usize = 4096;

/// Lower-case literals every match of `hir` starts with, each marked exact (the whole match) or not (a
/// prefix of it); `None` when there would be more than [`MAX_LITERALS`]. A part that is not a literal (a
/// wide class) ends every literal before it as a prefix; a class of a few ASCII characters (`[Hh]`,
/// `[_.-]`) is expanded.
fn prefixes(hir: &Hir) -> Option<Vec<(Vec<u8>, bool)>> {
    let exact_empty = || vec![(Vec::new(), true)];
    let inexact = |v: Vec<(Vec<u8>, bool)>| v.into_iter().map(|(l, _)| (l, false)).collect();
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => exact_empty(),
        HirKind::Literal(l) => vec![(l.0.to_ascii_lowercase(), true)],
        HirKind::Class(c) => match class_bytes(c) {
            Some(bytes) => bytes.into_iter().map(|b| (vec![b], true)).collect(),
            None => vec![(Vec::new(), false)],
        },
        HirKind::Capture(c) => prefixes(&c.sub)?,
        HirKind::Repetition(r) => {
            let sub = prefixes(&r.sub)?;
            let sub = if r.min <= 1 && r.max == Some(1) {
                sub
            } else {
                inexact(sub)
            };
            if r.min == 0 {
                let mut v = exact_empty();
                v.extend(sub);
                v
            } else {
                sub
            }
        }
        HirKind::Concat(subs) => {
            let mut acc = exact_empty();
            for s in subs {
                if !acc.iter().any(|(_, exact)| *exact) {
                    break;
                }
                let next = prefixes(s)?;
                let mut out = Vec::new();
                for (a, exact) in acc {
                    if !exact {
                        out.push((a, false));
                        continue;
                    }
                    for (b, e) in &next {
                        let mut l = a.clone();
                        l.extend_from_slice(b);
                        out.push((l, *e));
                    }
                }
                out.sort();
                out.dedup();
                if out.len() > MAX_LITERALS {
                    return None;
                }
                acc = out;
            }
            acc
        }
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for s in subs {
                out.extend(prefixes(s)?);
                if out.len() > MAX_LITERALS {
                    return None;
                }
            }
            out
        }
    })
}

/// The lower-cased ASCII bytes of a class of at most four after folding case (`[Hh]` is `h`).
fn class_bytes(c: &Class) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    let mut add = |lo: u32, hi: u32| -> Option<()> {
        if hi >= 0x80 || hi - lo > 8 {
            return None;
        }
        for b in lo..=hi {
            out.push((b as u8).to_ascii_lowercase());
        }
        Some(())
    };
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                add(r.start() as u32, r.end() as u32)?;
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                add(u32::from(r.start()), u32::from(r.end()))?;
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    (out.len() <= 4).then_some(out)
}

/// Merged byte ranges of whole lines: each position's line plus `before` lines before it and `after`
/// lines after it.
pub(crate) fn windows_around(
    text: &str,
    positions: &[usize],
    before: usize,
    after: usize,
) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &pos in positions {
        if out.last().is_some_and(|&(_, e)| pos < e) {
            continue;
        }
        // The line after the `before + 1`-th newline back (from the text's start if there are fewer,
        // or if that newline is its first byte), to the `after + 1`-th newline on (or the end).
        let start = match memchr::memrchr_iter(b'\n', &bytes[..pos.min(bytes.len())]).nth(before) {
            Some(0) | None => 0,
            Some(i) => i + 1,
        };
        let end = match memchr::memchr_iter(b'\n', bytes.get(pos..).unwrap_or_default()).nth(after)
        {
            Some(i) => pos + i + 1,
            None => bytes.len(),
        };
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The windows as they were computed before the SIMD search (a `str` search per line), the reference.
    fn windows_by_lines(
        text: &str,
        positions: &[usize],
        before: usize,
        after: usize,
    ) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let newline_before = |at: usize| bytes[..at].iter().rposition(|&b| b == b'\n');
        let newline_after = |at: usize| bytes[at..].iter().position(|&b| b == b'\n');
        let mut out: Vec<(usize, usize)> = Vec::new();
        for &pos in positions {
            if out.last().is_some_and(|&(_, e)| pos < e) {
                continue;
            }
            let mut start = pos;
            for _ in 0..=before {
                start = newline_before(start).unwrap_or(0);
                if start == 0 {
                    break;
                }
            }
            if start > 0 {
                start += 1;
            }
            let mut end = pos;
            for _ in 0..=after {
                end = match newline_after(end) {
                    Some(i) => end + i + 1,
                    None => bytes.len(),
                };
                if end == bytes.len() {
                    break;
                }
            }
            match out.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => out.push((start, end)),
            }
        }
        out
    }

    #[test]
    fn windows_are_the_lines_around_each_position() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        let pieces = ["\n", "\r\n", "ab", "key=v", " ", "é", "\n\n", "x"];
        for round in 0..300 {
            let text: String = (0..rand(60))
                .map(|_| pieces[rand(pieces.len() as u64)])
                .collect();
            let mut positions: Vec<usize> = (0..rand(8))
                .map(|_| rand(text.len() as u64 + 1))
                .filter(|&p| text.is_char_boundary(p))
                .collect();
            if round % 3 == 0 {
                positions.insert(0, 0);
            }
            positions.sort_unstable();
            for before in 0..4 {
                for after in 0..4 {
                    assert_eq!(
                        windows_around(&text, &positions, before, after),
                        windows_by_lines(&text, &positions, before, after),
                        "{text:?} {positions:?} {before} {after}"
                    );
                }
            }
        }
    }

    fn kw(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_pattern_fits_windows_when_newlines_stay_at_its_edges_and_a_keyword_is_in_every_match() {
        let k = kw(&["foo", "bar://"]);
        assert!(fits_windows(r"(?:^|[^a-z])foo[^\s]+(?:\s|$)", &k));
        assert!(fits_windows(
            r"(?i:foo|bar)://[^\s@]+@(?P<secret>[a-z]+)",
            &k
        ));
        assert!(fits_windows(r"(?:[\s:]|^)(?:foo_x|foox)[ \t]*=(\w+)", &k));
        // A newline inside the match: `\s` between parts, a negated class, `(?s).`.
        assert!(!fits_windows(r"foo\s+bar", &k));
        assert!(!fits_windows(r#"foo[^"]*""#, &k));
        assert!(!fits_windows(r"(?s)foo.+", &k));
        assert!(!fits_windows(r"foo[a-z]+\n\n", &k));
        // One character that may be a newline on either side: the line and its two newlines.
        assert!(fits_windows(r"[\s\S]foo[a-z]+\n", &k));
        // Two characters that may be newlines at an edge.
        assert!(!fits_windows(r"\s{2}foo", &k));
        // An alternative without a keyword, a wide class before the keyword, no keywords, text anchors.
        assert!(!fits_windows(r"(?:foo|baz)x", &k));
        assert!(!fits_windows(r"bar(?:\+[a-z]+)?://x", &k));
        assert!(fits_windows(r"[a-z]+foo", &k));
        assert!(!fits_windows(r"[a-z]foo|[0-9]x", &k));
        assert!(!fits_windows(r"foo", &[]));
        assert!(!fits_windows(r"\Afoo", &k));
        assert!(!fits_windows(r"(?-m:^)foo", &k));
    }

    #[test]
    fn the_line_crossing_url_npmrc_and_kubeadm_rules_fit_windows_pem_blocks_do_not() {
        let rules = crate::secrets::rules::load_builtin().unwrap();
        let fits = |id: &str| {
            let r = rules.iter().find(|r| r.id == id).unwrap();
            let crate::secrets::Matcher::Regex(re) = &r.matcher else {
                panic!("{id}: not a regex rule");
            };
            fits_windows(re.pattern(), &r.keywords)
        };
        for id in [
            "SEC-URL-BASIC-AUTH",
            "SEC-DATABASE-URL-PASSWORD",
            "SEC-NPMRC-AUTH",
            "SEC-KUBEADM-BOOTSTRAP-TOKEN",
        ] {
            assert!(fits(id), "{id}");
        }
        for id in ["SEC-PRIVATE-KEY", "SEC-PUTTY-PRIVATE-KEY"] {
            assert!(!fits(id), "{id}");
        }
    }

    /// Lines that put matches at every edge a window has: first and last line, a URL right after a
    /// newline, a match that takes the newline after it, CRLF, several matches on a line, short lines.
    const EDGES: &str = "https://u:pw1Secret9@db.acme.io\npostgres://admin:Xk29fLmQ@db.prod.acme.io:5432/x\n\
        \n\nx\nHTTPS://u:pw2Secret9@h.acme.io https://v:pw3Secret9@k.acme.io/\r\n\
        url=\"https://u:pw4Secret9@localhost\"\nmongodb+srv://u:pw5Secret9@c.acme.net\n\
        //registry.npmjs.org/:_authToken=8fdc47c8-ab94-49e0-a124-40d97f2b29cb\n\
        kubeadm join 10.0.0.10:6443 --token 11jaju.d8qmzhj2s2xbjujl\nbootstrap_token: \"11jaju.d8qmzhj2s2xbjujl\"\n\
        bolt://neo:Qr7vLp2Wm@graph.acme.io\nbolt+s://neo:Qr7vLp2Wm@graph.acme.io\n\
        pop3s://u:Zq8Lw3Rt@mail.acme.io svn://u:Zq8Lw3Rt@svn.acme.io\nftp://a:b@c\n\nsmtp://mail:Zq8Lw3Rt@smtp.acme.io";

    /// For every rule that fits windows only by [`fits_windows`]: the secrets its regex finds on windows
    /// around every keyword occurrence are the secrets it finds over the whole text (fixtures, every
    /// rule's examples, [`EDGES`]), after the rule's own allowlist as the engine applies it.
    #[test]
    fn windows_find_what_the_whole_text_finds() {
        let rules = crate::secrets::rules::load_builtin().unwrap();
        let mut texts: Vec<String> = vec![EDGES.to_string(), EDGES.replace('\n', "\r\n")];
        for (_, b) in crate::secrets::fixture_files() {
            texts.push(String::from_utf8_lossy(&b).into_owned());
        }
        for r in &rules {
            for ex in r.positive.iter().chain(&r.negative) {
                texts.push(ex.text().to_string());
            }
        }
        // Everything at once too: matches of one text next to lines of another.
        texts.push(texts.join("\n"));
        let mut checked = 0;
        for r in &rules {
            let crate::secrets::Matcher::Regex(lazy) = &r.matcher else {
                continue;
            };
            if !crosses_lines(lazy.pattern()) || !fits_windows(lazy.pattern(), &r.keywords) {
                continue;
            }
            let (re, group) = lazy.get().unwrap();
            let found = |t: &str, ws: &[(usize, usize)]| {
                let mut v = Vec::new();
                for &(s, e) in ws {
                    for c in re.captures_iter(&t.as_bytes()[s..e]) {
                        let m = c.get(group).or_else(|| c.get(0)).unwrap();
                        if !m.is_empty()
                            && !r.secret_allowed(&String::from_utf8_lossy(m.as_bytes()))
                        {
                            v.push((s + m.start(), s + m.end()));
                        }
                    }
                }
                v
            };
            for t in &texts {
                let lower = t.to_ascii_lowercase();
                let mut at: Vec<usize> = r
                    .keywords
                    .iter()
                    .flat_map(|k| lower.match_indices(k.as_str()).map(|(i, _)| i))
                    .collect();
                at.sort_unstable();
                let whole = found(t, &[(0, t.len())]);
                assert_eq!(found(t, &windows_around(t, &at, 1, 0)), whole, "{}", r.id);
                let wide = windows_around(t, &at, WINDOW_LINES, WINDOW_LINES);
                assert_eq!(found(t, &wide), whole, "{}", r.id);
                checked += whole.len();
            }
        }
        assert!(checked > 20, "only {checked} secrets compared");
    }
}
