//! The name prefilter: one Aho-Corasick pass over a file's bytes tells whether any enabled pattern rule could
//! match it, so that a file with none of the names the rules need is not parsed. The names come from the
//! rules themselves (a matcher's qualified names, the literals every match of its regex must contain, the
//! keyword that starts a statement kind, the modules a `where: imports:` condition requires); a rule whose
//! names cannot be derived (a raw `query:`, a regex without a required literal) turns the prefilter off.
//! Taint rules need a source in the file, which the taint engine's own text test decides
//! ([`super::taint::CompiledRules::might_have_sources`]).
//!
//! What a rule needs is a set of [`Clause`]s, one per way it can match: each clause is a conjunction of
//! groups, each group a disjunction of needles. `requests.get` needs `requests` *and* `get`; a call of
//! `*.set_cookie` under `imports: [flask, django]` needs `set_cookie` and (`flask` or `django`). A file
//! passes when every group of some clause has a needle in it.
//!
//! Why a derived name must be in the text: a qualified name reaches a call only through an import that
//! spells its segments (`from a.b import c as d` spells `a`, `b` and `c`) or written out (`a.b.c`); an
//! `imports:` condition holds only for a module an import statement spells; string patterns match the
//! literal as written (escapes are kept, not decoded); assignment patterns match the target's source text.

use super::pattern::{Cond, PatternSpec};
use regex::Regex;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// A text a file must contain. `word`: as a whole identifier (a segment of a qualified name, a module, a
/// keyword), not inside a longer one (`exec` is not in `execute`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Needle {
    pub text: String,
    pub word: bool,
    /// A bare name (`compile`, a builtin a call or name pattern names without a module): an occurrence
    /// right after a `.` is an attribute (`re.compile`) and does not count.
    pub bare: bool,
}

impl Needle {
    fn word(s: &str) -> Needle {
        Needle {
            text: s.to_string(),
            word: true,
            bare: false,
        }
    }
    fn piece(s: &str) -> Needle {
        Needle {
            text: s.to_string(),
            word: false,
            bare: false,
        }
    }
}

/// One way a rule can match: every group must have one of its needles in the file, and the file's path
/// must match each of `paths` and none of `not_paths` (the rule's `path` conditions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Clause {
    pub groups: Vec<Vec<Needle>>,
    pub paths: Vec<String>,
    pub not_paths: Vec<String>,
    /// Groups of literals one of which the file must contain, ignoring ASCII case: those every match of
    /// a `text-matches` condition of the whole match must hold (`(?i)...|is_admin|...`).
    pub folded: Vec<Vec<String>>,
}

/// A clause with its needles as ids and its path regexes compiled.
struct Compiled {
    groups: Vec<Vec<usize>>,
    paths: Vec<Regex>,
    not_paths: Vec<Regex>,
    folded: Vec<aho_corasick::AhoCorasick>,
}

/// The needles of the enabled pattern rules and the clauses over them, or nothing (every file passes).
pub struct Prefilter {
    ac: Option<crate::ac::Matcher>,
    needles: Vec<Needle>,
    clauses: Vec<Compiled>,
}

impl Prefilter {
    /// From the pattern specs of the enabled rules. `None` in the list (a rule whose pattern is unknown)
    /// turns the prefilter off, as does a spec whose names cannot be derived. `scan_bytes`: how much text
    /// it will see (a DFA from [`crate::ac::DFA_MIN_BYTES`]).
    pub fn new<'a>(
        specs: impl IntoIterator<Item = Option<&'a PatternSpec>>,
        scan_bytes: u64,
    ) -> Self {
        let mut all: Vec<Clause> = Vec::new();
        for s in specs {
            match s.and_then(clauses) {
                Some(c) => all.extend(c),
                None => return Prefilter::off(),
            }
        }
        if all.is_empty() {
            // no pattern rule enabled: no file needs parsing for patterns
            all.push(Clause {
                groups: vec![vec![Needle::piece("\u{0}never\u{0}")]],
                ..Clause::default()
            });
        }
        all.sort();
        all.dedup();
        let mut needles: Vec<Needle> = all
            .iter()
            .flat_map(|c| c.groups.iter().flatten().cloned())
            .collect();
        needles.sort();
        needles.dedup();
        let id = |n: &Needle| needles.binary_search(n).unwrap_or(0);
        let compile = |res: &[String]| -> Option<Vec<Regex>> {
            res.iter().map(|r| Regex::new(r).ok()).collect()
        };
        let mut clauses = Vec::new();
        for c in &all {
            let (Some(paths), Some(not_paths)) = (compile(&c.paths), compile(&c.not_paths)) else {
                return Prefilter::off();
            };
            let folded: Option<Vec<aho_corasick::AhoCorasick>> = c
                .folded
                .iter()
                .map(|g| {
                    aho_corasick::AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build(g)
                        .ok()
                })
                .collect();
            let Some(folded) = folded else {
                return Prefilter::off();
            };
            clauses.push(Compiled {
                groups: c
                    .groups
                    .iter()
                    .map(|g| g.iter().map(id).collect())
                    .collect(),
                paths,
                not_paths,
                folded,
            });
        }
        match crate::ac::Matcher::new(needles.iter().map(|n| &n.text), scan_bytes) {
            Some(ac) => Prefilter {
                ac: Some(ac),
                needles,
                clauses,
            },
            None => Prefilter::off(),
        }
    }

    /// Off: every file is parsed.
    pub fn off() -> Self {
        Prefilter {
            ac: None,
            needles: Vec::new(),
            clauses: Vec::new(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.ac.is_some()
    }

    /// Whether a pattern rule could match this text at this path (relative, `/`-separated, as the rules'
    /// `path` conditions see it).
    pub fn passes(&self, path: &str, text: &str) -> bool {
        let Some(ac) = &self.ac else {
            return true;
        };
        let bytes = text.as_bytes();
        let ident = |i: usize| bytes.get(i).is_some_and(|&b| crate::text::is_ident_byte(b));
        let mut found = vec![false; self.needles.len()];
        let mut any = false;
        for (start, end, i) in ac.matches(bytes) {
            let n = &self.needles[i];
            if (n.word && ((start > 0 && ident(start - 1)) || ident(end)))
                || (n.bare && start > 0 && bytes[start - 1] == b'.')
            {
                continue;
            }
            found[i] = true;
            any = true;
        }
        any && self.clauses.iter().any(|c| {
            c.groups.iter().all(|g| g.iter().any(|&i| found[i]))
                && c.paths.iter().all(|r| r.is_match(path))
                && !c.not_paths.iter().any(|r| r.is_match(path))
                && c.folded.iter().all(|ac| ac.is_match(bytes))
        })
    }
}

/// The clauses under which `spec` can match in a file; `None` when they cannot be derived.
pub fn clauses(spec: &PatternSpec) -> Option<Vec<Clause>> {
    // What `where` requires of every match (a module an import spells, the file's path) is added to every
    // clause below; a required module on its own is enough for a spec whose own names cannot be derived.
    let (required, paths, not_paths, folded) = required(&spec.conditions);
    let mut out: Vec<Clause> = Vec::new();
    let mut matchers = 0;
    let mut derivable = true;
    let mut push = |groups: Vec<Vec<Needle>>| {
        out.push(Clause {
            groups,
            ..Clause::default()
        })
    };
    for (names, code) in [
        (&spec.call, true),
        (&spec.name, true),
        (&spec.import, false),
    ] {
        let Some(names) = names else { continue };
        matchers += 1;
        for q in names.list() {
            match name_groups(&q) {
                Some(mut c) => {
                    // a call or name pattern on a bare name matches only the bare identifier
                    if code && !q.contains(['.', '*']) {
                        c.iter_mut().flatten().for_each(|n| n.bare = true);
                    }
                    push(c)
                }
                None => derivable = false,
            }
        }
    }
    if let Some(kinds) = &spec.node {
        matchers += 1;
        for k in kinds.list() {
            match node_needle(&k) {
                Some(n) => push(vec![vec![Needle::word(n)]]),
                None => derivable = false,
            }
        }
    }
    if let Some(re) = &spec.string {
        // a literal whose whole text the regex spells out (`^(0\.0\.0\.0|::)$`) stands in the source
        // between its quotes: `'::'` or `"::"`, not a `::` anywhere (reST, slices)
        if let Some(lits) = whole_literals(re) {
            matchers += 1;
            push(vec![lits
                .iter()
                .flat_map(|l| [format!("'{l}'"), format!("\"{l}\"")])
                .map(|q| Needle::piece(&q))
                .collect()]);
        }
    }
    let string = spec
        .string
        .as_ref()
        .filter(|re| whole_literals(re).is_none());
    for re in [spec.assign.as_ref(), string].into_iter().flatten() {
        matchers += 1;
        match regex_needles(re) {
            Some(lits) => push(vec![lits.iter().map(|l| Needle::piece(l)).collect()]),
            None => derivable = false,
        }
    }
    if spec.query.is_some() {
        derivable = false;
    }
    if let Some(any) = &spec.any {
        matchers += 1;
        for alt in any {
            match clauses(alt) {
                Some(c) => out.extend(c),
                None => derivable = false,
            }
        }
    }
    if !derivable || matchers == 0 || out.is_empty() {
        out = vec![Clause {
            groups: vec![required.clone()?],
            ..Clause::default()
        }];
    } else if let Some(g) = &required {
        for c in &mut out {
            c.groups.push(g.clone());
        }
    }
    for c in &mut out {
        c.paths.extend(paths.iter().cloned());
        c.not_paths.extend(not_paths.iter().cloned());
        c.folded.extend(folded.iter().cloned());
    }
    Some(out)
}

/// The needles one of which a file must contain for `spec` to match in it (every needle of its clauses);
/// `None` when they cannot be derived.
pub fn needles(spec: &PatternSpec) -> Option<Vec<String>> {
    let mut v: Vec<String> = clauses(spec)?
        .into_iter()
        .flat_map(|c| c.groups.into_iter().flatten().map(|n| n.text))
        .collect();
    v.sort();
    v.dedup();
    Some(v)
}

/// What the top-level conditions of `where` (its conjuncts) require of every match: the modules of an
/// `imports:` condition (as a group), the regexes of `path:` conditions, those of `not: {path: ...}`,
/// and the literals of `text-matches:` conditions on the whole match ([`folded_literals`]).
#[allow(clippy::type_complexity)]
fn required(
    conds: &[Cond],
) -> (
    Option<Vec<Needle>>,
    Vec<String>,
    Vec<String>,
    Vec<Vec<String>>,
) {
    let mut imports = None;
    let (mut paths, mut not_paths, mut folded) = (Vec::new(), Vec::new(), Vec::new());
    for c in conds {
        if let Some(re) =
            only(c, |c| c.text_matches.is_some()).and_then(|c| c.text_matches.as_deref())
        {
            folded.extend(folded_literals(re));
        }
        if let Some(mods) = only(c, |c| c.imports.is_some()).and_then(|c| c.imports.as_ref()) {
            let g: Option<Vec<Needle>> = mods.list().iter().map(|m| module_needle(m)).collect();
            if imports.is_none() {
                imports = g.filter(|g| !g.is_empty());
            }
        }
        if let Some(p) = only(c, |c| c.path.is_some()).and_then(|c| c.path.clone()) {
            paths.push(p);
        }
        if let Some(n) = only(c, |c| c.not.is_some()).and_then(|c| c.not.as_deref()) {
            if let Some(p) = only(n, |c| c.path.is_some()).and_then(|c| c.path.clone()) {
                not_paths.push(p);
            }
        }
    }
    (imports, paths, not_paths, folded)
}

/// Literals one of which every match of `re` holds, ignoring ASCII case (a leading `(?i)` is dropped
/// first, so the literals are not spelled out in every case); `None` when there are none.
fn folded_literals(re: &str) -> Option<Vec<String>> {
    let bare = re.strip_prefix("(?i)").unwrap_or(re);
    let mut lits = regex_needles(bare)?;
    lits.iter_mut().for_each(|l| l.make_ascii_lowercase());
    lits.sort();
    lits.dedup();
    Some(lits)
}

/// `c` if it has the field `has` tests and no other.
fn only(c: &Cond, has: impl Fn(&Cond) -> bool) -> Option<&Cond> {
    let set = [
        c.arg.is_some(),
        c.keyword.is_some(),
        c.capture.is_some(),
        c.present.is_some(),
        c.equals.is_some(),
        c.matches.is_some(),
        c.text_matches.is_some(),
        c.resolves_to.is_some(),
        c.is.is_some(),
        c.truthy.is_some(),
        c.not.is_some(),
        c.any.is_some(),
        c.all.is_some(),
        c.context.is_some(),
        c.imports.is_some(),
        c.path.is_some(),
        c.args.is_some(),
        c.inside.is_some(),
    ];
    (has(c) && set.iter().filter(|b| **b).count() == 1).then_some(c)
}

/// What a qualified name needs: every literal piece of its segments (`os.exec*` -> `os` and `exec`,
/// `*.execute` -> `execute`), pieces shorter than 2 bytes left out; a segment without `*` as a whole word.
fn name_groups(q: &str) -> Option<Vec<Vec<Needle>>> {
    let mut g = Vec::new();
    for seg in q.split('.') {
        if !seg.contains('*') {
            if seg.len() >= 2 {
                g.push(vec![Needle::word(seg)]);
            }
            continue;
        }
        for p in seg.split('*').filter(|p| p.len() >= 2) {
            g.push(vec![Needle::piece(p)]);
        }
    }
    (!g.is_empty()).then_some(g)
}

/// The longest literal piece of a module name of an `imports:` condition (a whole word when the segment has
/// no `*`).
fn module_needle(q: &str) -> Option<Needle> {
    let mut best: Option<Needle> = None;
    for seg in q.split('.') {
        let cand = if seg.contains('*') {
            seg.split('*').max_by_key(|p| p.len()).map(Needle::piece)
        } else {
            Some(Needle::word(seg))
        };
        if let Some(c) = cand.filter(|c| c.text.len() >= 2) {
            if best.as_ref().is_none_or(|b| c.text.len() > b.text.len()) {
                best = Some(c);
            }
        }
    }
    best
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

/// The strings a regex anchored at both ends matches, when it matches only a few exact ones (`^(a|b)$`).
fn whole_literals(re: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::parse(re).ok()?;
    let props = hir.properties();
    let anchored = props
        .look_set_prefix()
        .contains(regex_syntax::hir::Look::Start)
        && props
            .look_set_suffix()
            .contains(regex_syntax::hir::Look::End);
    if !anchored {
        return None;
    }
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let lits = seq.literals()?;
    lits.iter()
        .map(|l| {
            let s = std::str::from_utf8(l.as_bytes()).ok()?;
            (l.is_exact() && !s.is_empty()).then(|| s.to_string())
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
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

    /// A clause of whole-word needles.
    fn c(groups: &[&[&str]]) -> Clause {
        Clause {
            groups: groups
                .iter()
                .map(|g| g.iter().map(|s| Needle::word(s)).collect())
                .collect(),
            ..Clause::default()
        }
    }

    #[test]
    fn a_text_condition_on_the_whole_match_needs_one_of_its_literals_in_any_case() {
        let p = Prefilter::new(
            [Some(&spec(
                "node: assert_statement\nwhere:\n  - text-matches: '(?i)(\\buser\\b|is_admin|access_?level)'\n",
            ))],
            0,
        );
        assert!(p.is_on());
        assert!(!p.passes("a.py", "def area(w):\n    assert w >= 0\n"));
        assert!(p.passes("a.py", "assert request.USER.pk\n"));
        assert!(p.passes("a.py", "assert u.Is_Admin\n"));
        assert!(p.passes("a.py", "assert AccessLevel > 2\n"));
        // the literal alone is not enough: the rule's node must be there too
        assert!(!p.passes("a.py", "user = is_admin()\n"));
        // a condition under `arg:` or `not:` requires nothing of the file
        let q = Prefilter::new(
            [Some(&spec(
                "call: [os.chmod]\nwhere:\n  - {arg: 1, text-matches: 'S_IWOTH'}\n  - not: {text-matches: 'ok'}\n",
            ))],
            0,
        );
        assert!(q.passes("a.py", "import os\nos.chmod(p, mode)\n"));
    }

    #[test]
    fn a_bare_name_after_a_dot_is_an_attribute() {
        let p = Prefilter::new([Some(&spec("call: [compile, builtins.compile]\n"))], 0);
        assert!(!p.passes("a.py", "import re\nR = re.compile(p)\n"));
        assert!(p.passes("a.py", "code = compile(src, 'f', 'exec')\n"));
        assert!(p.passes(
            "a.py",
            "import builtins\nbuiltins.compile(src, 'f', 'exec')\n"
        ));
        assert!(p.passes("a.py", "x = [compile(s) for s in y]\n"));
    }

    #[test]
    fn a_whole_string_literal_is_looked_for_between_quotes() {
        let p = Prefilter::new([Some(&spec("string: '^(0\\.0\\.0\\.0|::)$'\n"))], 0);
        assert!(p.passes("a.py", "app.run(host='0.0.0.0')\n"));
        assert!(p.passes("a.py", "sock.bind((\"::\", 80))\n"));
        assert!(p.passes("a.py", "HOST = r'::'\n"));
        assert!(p.passes("a.py", "HOST = '''::'''\n"));
        // `::` in a slice or a reST directive is not such a literal
        assert!(!p.passes("a.py", "x = y[::2]\n\"\"\"Example::\n\n    code\n\"\"\"\n"));
        // not anchored at both ends: a piece anywhere, as before
        let p = Prefilter::new([Some(&spec("string: '^/tmp'\n"))], 0);
        assert!(p.passes("a.py", "p = '/tmp/x'\n"));
        assert_eq!(whole_literals("^/tmp"), None);
        assert_eq!(
            whole_literals("^(a|b)$"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(whole_literals("(a|b)"), None);
        assert_eq!(whole_literals("^a+$"), None);
    }

    #[test]
    fn clauses_from_every_matcher() {
        assert_eq!(
            clauses(&spec(
                "call: [subprocess.run, 'os.exec*', '*.execute', 'pickle.*']\n"
            )),
            Some(vec![
                c(&[&["subprocess"], &["run"]]),
                Clause {
                    groups: vec![vec![Needle::word("os")], vec![Needle::piece("exec")]],
                    ..Clause::default()
                },
                c(&[&["execute"]]),
                c(&[&["pickle"]]),
            ])
        );
        assert_eq!(
            clauses(&spec("node: assert_statement\n")),
            Some(vec![c(&[&["assert"]])])
        );
        assert_eq!(
            clauses(&spec("string: '^(0\\.0\\.0\\.0|::)$'\n")),
            Some(vec![Clause {
                groups: vec![vec![
                    Needle::piece("'0.0.0.0'"),
                    Needle::piece("\"0.0.0.0\""),
                    Needle::piece("'::'"),
                    Needle::piece("\"::\""),
                ]],
                ..Clause::default()
            }])
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
        // every segment is needed
        let p = Prefilter::new([Some(&spec("call: [requests.get]\n"))], 0);
        assert!(p.passes("x.py", "import requests\nrequests.get(u)\n"));
        assert!(p.passes("x.py", "from requests import get\nget(u)\n"));
        assert!(!p.passes("x.py", "d.get(k)\n"));
        assert!(!p.passes("x.py", "import requests\n"));
        // whole words: `exec` is not in `execute`, `os.exec*` is a prefix
        let p = Prefilter::new([Some(&spec("call: [exec, 'os.exec*']\n"))], 0);
        assert!(p.passes("x.py", "exec(code)\n"));
        assert!(p.passes("x.py", "import os\nos.execvp(a, b)\n"));
        assert!(!p.passes("x.py", "cursor.execute(q)\n"));
        assert!(!p.passes("x.py", "import cos\nexecutor()\n"));
    }

    #[test]
    fn path_conditions_of_where_are_kept() {
        let s = spec("node: assert_statement\nwhere:\n  - text-matches: user\n  - not: {path: '(^|/)tests?/'}\n");
        let p = Prefilter::new([Some(&s)], 0);
        assert!(p.passes("app/views.py", "assert user.ok\n"));
        assert!(!p.passes("app/tests/test_views.py", "assert user.ok\n"));
        let s = spec("call: [eval]\nwhere:\n  - path: '^src/'\n");
        let p = Prefilter::new([Some(&s)], 0);
        assert!(p.passes("src/a.py", "eval(x)\n"));
        assert!(!p.passes("lib/a.py", "eval(x)\n"));
        // inside `any`, a path condition is not required
        let s = spec("call: [eval]\nwhere:\n  - any:\n      - path: '^src/'\n      - {arg: 0, is: non-literal}\n");
        assert!(Prefilter::new([Some(&s)], 0).passes("lib/a.py", "eval(x)\n"));
    }

    #[test]
    fn a_required_import_joins_every_clause() {
        let s = spec("call: ['*.set_cookie', '*.get']\nwhere:\n  - {keyword: secure, equals: false}\n  - imports: [flask, django.http]\n");
        assert_eq!(
            clauses(&s),
            Some(vec![
                c(&[&["set_cookie"], &["flask", "django"]]),
                c(&[&["get"], &["flask", "django"]]),
            ])
        );
        let p = Prefilter::new([Some(&s)], 0);
        assert!(p.passes("x.py", "from django.http import X\nr.set_cookie(k, v)\n"));
        assert!(!p.passes("x.py", "r.set_cookie(k, v)\n"));
        assert!(!p.passes("x.py", "import flask\n"));
        // inside `any`/`not` it is not required
        let s = spec("call: ['*.get']\nwhere:\n  - any:\n      - imports: requests\n      - {keyword: verify, equals: false}\n");
        assert_eq!(clauses(&s), Some(vec![c(&[&["get"]])]));
        let s = spec("call: ['*.get']\nwhere:\n  - not: {imports: requests}\n");
        assert_eq!(clauses(&s), Some(vec![c(&[&["get"]])]));
        // a raw query with a required import is still filtered by the module
        let s = spec("query: '(call) @match'\nwhere:\n  - imports: [yaml]\n");
        assert_eq!(clauses(&s), Some(vec![c(&[&["yaml"]])]));
        let p = Prefilter::new([Some(&s)], 0);
        assert!(p.passes("x.py", "import yaml\n"));
        assert!(!p.passes("x.py", "import json\n"));
    }

    #[test]
    fn underivable_rules_turn_the_prefilter_off() {
        assert_eq!(needles(&spec("query: '(call) @match'\n")), None);
        assert_eq!(needles(&spec("node: binary_operator\n")), None);
        assert_eq!(needles(&spec("assign: '.*'\n")), None);
        assert_eq!(needles(&spec("call: ['*']\n")), None);
        let on = spec("call: eval\n");
        let off = spec("query: '(call) @match'\n");
        assert!(Prefilter::new([Some(&on)], 0).is_on());
        assert!(!Prefilter::new([Some(&on), Some(&off)], 0).is_on());
        assert!(!Prefilter::new([Some(&on), None], 0).is_on());
        let p = Prefilter::new([Some(&on)], 0);
        assert!(p.passes("x.py", "x = eval(y)"));
        assert!(!p.passes("x.py", "x = y"));
    }
}
