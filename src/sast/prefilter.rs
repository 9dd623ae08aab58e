//! The name prefilter: one Aho-Corasick pass over a file's bytes tells whether any enabled pattern rule could
//! match it, so that a file with none of the names the rules need is not parsed. The names come from the
//! rules themselves (a matcher's qualified names, the literals every match of its regex must contain, the
//! keyword that starts a statement kind); a rule whose names cannot be derived (a raw `query:`, a regex
//! without a required literal) turns the prefilter off. Taint rules need a source in the file, which the
//! taint engine's own text test decides ([`super::taint::CompiledRules::might_have_sources`]).
//!
//! Why a derived name must be in the text: a qualified name reaches a call only through an import that
//! spells its segments (`from a.b import c as d` spells `c`) or written out (`a.b.c`); string patterns
//! match the literal as written (escapes are kept, not decoded); assignment patterns match the target's
//! source text.

use super::pattern::PatternSpec;
use aho_corasick::AhoCorasick;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// The needles of the enabled pattern rules, or nothing (every file passes).
pub struct Prefilter {
    ac: Option<AhoCorasick>,
}

impl Prefilter {
    /// From the pattern specs of the enabled rules. `None` in the list (a rule whose pattern is unknown)
    /// turns the prefilter off, as does a spec whose names cannot be derived.
    pub fn new<'a>(specs: impl IntoIterator<Item = Option<&'a PatternSpec>>) -> Self {
        let mut all = Vec::new();
        for s in specs {
            match s.and_then(needles) {
                Some(n) => all.extend(n),
                None => return Prefilter { ac: None },
            }
        }
        all.sort();
        all.dedup();
        if all.is_empty() {
            // no pattern rule enabled: no file needs parsing for patterns
            return Prefilter {
                ac: AhoCorasick::new(["\u{0}never\u{0}"]).ok(),
            };
        }
        Prefilter {
            ac: AhoCorasick::new(&all).ok(),
        }
    }

    /// Off: every file is parsed.
    pub fn off() -> Self {
        Prefilter { ac: None }
    }

    pub fn is_on(&self) -> bool {
        self.ac.is_some()
    }

    /// Whether a pattern rule could match this text.
    pub fn passes(&self, text: &str) -> bool {
        match &self.ac {
            Some(ac) => ac.is_match(text),
            None => true,
        }
    }
}

/// The texts one of which a file must contain for `spec` to match in it; `None` when they cannot be
/// derived.
pub fn needles(spec: &PatternSpec) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut matchers = 0;
    for names in [&spec.call, &spec.name, &spec.import].into_iter().flatten() {
        matchers += 1;
        for q in names.list() {
            out.push(name_needle(&q)?);
        }
    }
    if let Some(kinds) = &spec.node {
        matchers += 1;
        for k in kinds.list() {
            out.push(node_needle(&k)?.to_string());
        }
    }
    for re in [&spec.assign, &spec.string].into_iter().flatten() {
        matchers += 1;
        out.extend(regex_needles(re)?);
    }
    if spec.query.is_some() {
        return None;
    }
    if let Some(any) = &spec.any {
        matchers += 1;
        for alt in any {
            out.extend(needles(alt)?);
        }
    }
    (matchers > 0 && !out.is_empty()).then_some(out)
}

/// The longest literal piece of a qualified name's segments (`os.exec*` -> `exec`, `*.execute` ->
/// `execute`), the last segment first.
fn name_needle(q: &str) -> Option<String> {
    q.rsplit('.')
        .map(|seg| seg.split('*').max_by_key(|p| p.len()).unwrap_or(""))
        .find(|p| p.len() >= 2)
        .map(str::to_string)
}

/// The keyword a statement kind starts with.
fn node_needle(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "assert_statement" => "assert",
        "exec_statement" => "exec",
        "print_statement" => "print",
        "global_statement" => "global",
        "nonlocal_statement" => "nonlocal",
        "import_statement" | "import_from_statement" => "import",
        "raise_statement" => "raise",
        "delete_statement" => "del",
        "with_statement" => "with",
        "lambda" => "lambda",
        "await" => "await",
        "yield" => "yield",
        "try_statement" => "try",
        "while_statement" => "while",
        _ => return None,
    })
}

/// Literals every match of a regex starts (or else ends) with.
fn regex_needles(re: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::parse(re).ok()?;
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let seq = Extractor::new().kind(kind).extract(&hir);
        let Some(lits) = seq.literals() else { continue };
        let out: Option<Vec<String>> = lits
            .iter()
            .map(|l| {
                let s = std::str::from_utf8(l.as_bytes()).ok()?;
                (!s.is_empty()).then(|| s.to_string())
            })
            .collect();
        if let Some(out) = out.filter(|o| !o.is_empty()) {
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> PatternSpec {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn names_from_every_matcher() {
        assert_eq!(
            needles(&spec(
                "call: [subprocess.run, 'os.exec*', '*.execute', 'pickle.*']\n"
            )),
            Some(vec![
                "run".into(),
                "exec".into(),
                "execute".into(),
                "pickle".into()
            ])
        );
        assert_eq!(
            needles(&spec("node: assert_statement\n")),
            Some(vec!["assert".into()])
        );
        assert_eq!(
            needles(&spec("string: '^(0\\.0\\.0\\.0|::)$'\n")),
            Some(vec!["0.0.0.0".into(), "::".into()])
        );
        assert_eq!(
            needles(&spec("assign: '^\\w+\\.debug$'\n")),
            Some(vec![".debug".into()])
        );
        let any = needles(&spec(
            "any:\n  - call: eval\n  - assign: '^(self\\.)?template$'\n",
        ))
        .unwrap();
        assert!(any.contains(&"eval".to_string()) && any.contains(&"template".to_string()));
    }

    #[test]
    fn underivable_rules_turn_the_prefilter_off() {
        assert_eq!(needles(&spec("query: '(call) @match'\n")), None);
        assert_eq!(needles(&spec("node: binary_operator\n")), None);
        assert_eq!(needles(&spec("assign: '.*'\n")), None);
        assert_eq!(needles(&spec("call: ['*']\n")), None);
        let on = spec("call: eval\n");
        let off = spec("query: '(call) @match'\n");
        assert!(Prefilter::new([Some(&on)]).is_on());
        assert!(!Prefilter::new([Some(&on), Some(&off)]).is_on());
        assert!(!Prefilter::new([Some(&on), None]).is_on());
        let p = Prefilter::new([Some(&on)]);
        assert!(p.passes("x = eval(y)"));
        assert!(!p.passes("x = y"));
    }
}
