//! Literals that every match of a rule's regex contains (from its syntax tree), so that a rule whose regex
//! runs over the whole file (it can cross lines) is skipped on a file that lacks one of them: e.g. every
//! match of `SEC-DATABASE-URL-PASSWORD` contains `://` and `@`, while its keywords (`postgres`,
//! `redis` ...) are common in code that holds no URL. Exact: a file without the literal has no match.

use aho_corasick::AhoCorasick;
use regex_syntax::hir::{Hir, HirKind};

/// Finders for the ASCII literals every match of `pattern` contains (empty when none is known, or the
/// pattern does not parse). Parsed as `rules::compile_regex` compiles it; only ASCII runs of literals are
/// kept, which mean the same bytes with or without Unicode mode.
pub(crate) fn required_literals(pattern: &str) -> Vec<AhoCorasick> {
    let Ok(hir) = super::rules::parse_hir(pattern) else {
        return Vec::new();
    };
    let mut lits = required(&hir);
    lits.sort();
    lits.dedup();
    // A literal inside a longer required one adds nothing.
    let keep: Vec<&Vec<u8>> = lits
        .iter()
        .filter(|l| !lits.iter().any(|o| o.len() > l.len() && contains(o, l)))
        .collect();
    keep.into_iter()
        .filter_map(|l| AhoCorasick::new([l]).ok())
        .collect()
}

/// Does `text` contain every literal of `finders`?
pub(crate) fn all_present(finders: &[AhoCorasick], text: &[u8]) -> bool {
    finders.iter().all(|f| f.is_match(text))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Byte strings that every match of `hir` contains (conservative: missing some is fine).
fn required(hir: &Hir) -> Vec<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(lit) => lit
            .0
            .split(|b| !b.is_ascii())
            .filter(|run| !run.is_empty())
            .map(<[u8]>::to_vec)
            .collect(),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Concat(subs) => subs.iter().flat_map(required).collect(),
        HirKind::Alternation(subs) => {
            let sets: Vec<Vec<Vec<u8>>> = subs.iter().map(required).collect();
            // Required in every branch: a literal of some branch that every branch has inside one of
            // its own literals.
            let mut out: Vec<Vec<u8>> = sets
                .iter()
                .flatten()
                .filter(|l| sets.iter().all(|s| s.iter().any(|o| contains(o, l))))
                .cloned()
                .collect();
            out.sort();
            out.dedup();
            out
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Vec<String> {
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(false)
            .build()
            .parse(p)
            .unwrap();
        let mut v: Vec<String> = required(&hir)
            .into_iter()
            .map(|l| String::from_utf8(l).unwrap())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn literals_every_match_contains() {
        assert_eq!(lits("abc"), ["abc"]);
        assert_eq!(lits("a(?:b|c)d"), ["a", "d"]);
        assert_eq!(lits("(?:x[yz]://z|q[ab]://)"), ["://"]);
        assert_eq!(lits("(?:xy://z|://)"), ["://"]);
        // Only whole literals of some branch are compared, not every common substring.
        assert_eq!(lits("(?:xy://z|q://)"), Vec::<String>::new());
        assert_eq!(lits("(?:ab|cd)"), Vec::<String>::new());
        assert_eq!(lits("x(?:@y)?z"), ["x", "z"]);
        assert_eq!(lits("(?:@y)+"), ["@y"]);
        assert_eq!(lits("(?:@y)*"), Vec::<String>::new());
        // Case-insensitive letters are classes; other characters stay literals.
        assert_eq!(lits("(?i:abc)://"), ["://"]);
        assert_eq!(lits("é://"), ["://"]);
        assert_eq!(lits("[ab]\\b^$"), Vec::<String>::new());
    }

    #[test]
    fn the_url_rules_need_a_scheme_separator_and_an_at_sign() {
        for r in crate::secrets::rules::load_builtin().unwrap() {
            let crate::secrets::Matcher::Regex(re) = &r.matcher else {
                continue;
            };
            let f = required_literals(re.pattern());
            if r.id == "SEC-DATABASE-URL-PASSWORD" || r.id == "SEC-URL-BASIC-AUTH" {
                assert!(!all_present(&f, b"postgres https://x/ a:b"), "{}", r.id);
                assert!(all_present(&f, b"x://u:p@h"), "{}", r.id);
            }
            // Every positive example of every rule has all of its rule's literals.
            for ex in &r.positive {
                assert!(all_present(&f, ex.text().as_bytes()), "{}", r.id);
            }
        }
    }
}
