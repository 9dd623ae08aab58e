//! The pattern matcher: every pattern rule of a scan compiled into one index, run in ONE walk of each
//! syntax tree that dispatches on the node kind (calls by resolved name, names, imports, assignments,
//! string literals, node kinds), plus one combined tree-sitter `Query` for the rules that use the raw
//! `query:` escape hatch. The cost per file does not grow with the number of rules.
//!
//! A rule's `pattern:` section (YAML):
//! ```yaml
//! pattern:
//!   call: [subprocess.run, subprocess.Popen, "os.exec*"]   # qualified names, through imports; `*` globs
//!   where:                                                # every condition must hold
//!     - keyword: shell
//!       truthy: true
//!     - not: {arg: 0, is: literal}
//! ```
//! Matchers (exactly one per pattern): `call`, `name` (any reference to a qualified name), `import`,
//! `node` (node kinds), `assign` (assignment target regex; conditions see the assigned value), `string`
//! (string literal value regex), `query` (tree-sitter query; conditions may select `capture:`), `any`
//! (a list of alternative patterns, each with its own `where`, `severity` and `message`).

use crate::finding::Severity;
use crate::sast::imports::Imports;
use regex::{Regex, RegexSet};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use tree_sitter::{Language, Node, Query, QueryCursor, StreamingIterator, Tree};

/// One string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    pub fn list(&self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s.clone()],
            Names::Many(v) => v.clone(),
        }
    }
}

/// A rule's `pattern:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PatternSpec {
    pub call: Option<Names>,
    pub name: Option<Names>,
    pub import: Option<Names>,
    pub node: Option<Names>,
    pub assign: Option<String>,
    pub string: Option<String>,
    pub query: Option<String>,
    pub any: Option<Vec<PatternSpec>>,
    #[serde(default, rename = "where")]
    pub conditions: Vec<Cond>,
    pub severity: Option<Severity>,
    pub message: Option<String>,
}

/// The kind of value an expression is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    /// A constant: number, string without interpolation, True/False/None, or a tuple/list of constants.
    Literal,
    /// Anything that is not a constant.
    NonLiteral,
    /// A string literal without interpolation.
    StringLiteral,
    /// A string built inline from a literal and non-literal parts: f-string with a placeholder, `+`
    /// concatenation, `%` formatting or `.format()` on a literal.
    FormattedString,
    /// Can carry arbitrary text: not a constant, an ALL_CAPS name, a conversion/quoting call
    /// (`int()`, `shlex.quote()`, `escape()` ...), or a string built only from those.
    Dynamic,
    /// A formatted string (as `formatted-string`) where a dynamic part lands in an SQL *value* position
    /// (after `=`, `<`, `>`, `LIKE`, `IN (`, `VALUES (`, `LIMIT`, `OFFSET`, or inside quotes), not where
    /// an identifier (table, column) or keyword goes, which cannot be passed as a parameter anyway.
    FormattedSqlValue,
}

/// `args: {min, max}`: how many positional arguments a call has.
#[derive(Debug, Clone, Copy, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub min: Option<usize>,
    pub max: Option<usize>,
}

/// A condition on a match. Selectors pick a value (`arg`, `keyword`, `capture`; none = the match
/// itself), predicates test it; `not`/`any`/`all` combine; `context`, `imports`, `path`, `args` look
/// around the match.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Cond {
    pub arg: Option<usize>,
    pub keyword: Option<String>,
    pub capture: Option<String>,
    pub present: Option<bool>,
    pub equals: Option<serde_norway::Value>,
    pub matches: Option<String>,
    pub text_matches: Option<String>,
    pub resolves_to: Option<Names>,
    pub is: Option<ValueKind>,
    pub truthy: Option<bool>,
    pub not: Option<Box<Cond>>,
    pub any: Option<Vec<Cond>>,
    pub all: Option<Vec<Cond>>,
    pub context: Option<String>,
    pub imports: Option<Names>,
    pub path: Option<String>,
    pub args: Option<Count>,
    /// The match is (part of) an argument of a call to one of these qualified names.
    pub inside: Option<Names>,
}

impl PatternSpec {
    /// Check the pattern without compiling it into an engine.
    pub fn validate(&self) -> Result<(), String> {
        let language: Language = tree_sitter_python::LANGUAGE.into();
        let mut b = Builder::new(&language);
        b.add(0, self)
    }

    fn matcher_count(&self) -> usize {
        [
            self.call.is_some(),
            self.name.is_some(),
            self.import.is_some(),
            self.node.is_some(),
            self.assign.is_some(),
            self.string.is_some(),
            self.query.is_some(),
            self.any.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

// ---------------------------------------------------------------------------------------------------
// Compiled form

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Bool(bool),
    None,
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Debug)]
enum Pred {
    Present(bool),
    Equals(Vec<Lit>),
    Matches(Regex),
    TextMatches(Regex),
    ResolvesTo(NameSet),
    Is(ValueKind),
    Truthy(bool),
}

#[derive(Debug)]
enum Selector {
    Subject,
    Capture(String),
}

#[derive(Debug)]
enum CCond {
    Not(Box<CCond>),
    Any(Vec<CCond>),
    All(Vec<CCond>),
    Context(Regex),
    Imports(Vec<String>),
    Path(Regex),
    Args(Count),
    Inside(NameSet),
    Value {
        base: Selector,
        arg: Option<usize>,
        keyword: Option<String>,
        preds: Vec<Pred>,
    },
}

/// A set of qualified-name patterns: exact names, `prefix.*`, `*.suffix` and general `*` globs.
#[derive(Debug, Default)]
struct NameSet {
    exact: HashSet<String>,
    globs: Vec<Regex>,
}

impl NameSet {
    fn new(patterns: &[String]) -> Result<NameSet, String> {
        let mut s = NameSet::default();
        for p in patterns {
            if p.contains('*') {
                s.globs.push(glob_regex(p)?);
            } else {
                s.exact.insert(p.clone());
            }
        }
        Ok(s)
    }
    fn matches(&self, name: &str) -> bool {
        self.exact.contains(name) || self.globs.iter().any(|g| g.is_match(name))
    }
}

fn glob_regex(p: &str) -> Result<Regex, String> {
    let mut re = String::from("^");
    for (i, part) in p.split('*').enumerate() {
        if i > 0 {
            re.push_str(".*");
        }
        re.push_str(&regex::escape(part));
    }
    re.push('$');
    Regex::new(&re).map_err(|e| format!("bad name pattern `{p}`: {e}"))
}

/// An index from name patterns to alternatives, with a cheap pre-filter on the first and last segment.
#[derive(Debug, Default)]
struct NameIndex {
    exact: HashMap<String, Vec<usize>>,
    /// `*.name`: any receiver, by last segment.
    suffix: HashMap<String, Vec<usize>>,
    /// `a.b.*`: by prefix (with the trailing dot).
    prefix: Vec<(String, usize)>,
    /// Other globs, with the fixed first segment they need (if any).
    globs: Vec<(Option<String>, Regex, usize)>,
    /// First segments of patterns that start with a fixed segment.
    heads: HashSet<String>,
    /// Last segments of `*.name` patterns.
    tails: HashSet<String>,
    /// A pattern that neither filter can rule out (e.g. `*foo*`).
    always: bool,
}

impl NameIndex {
    fn add(&mut self, pattern: &str, alt: usize) -> Result<(), String> {
        if pattern.trim().is_empty() {
            return Err("empty name pattern".into());
        }
        let first = pattern.split('.').next().unwrap_or("");
        let last = pattern.rsplit('.').next().unwrap_or("");
        if !first.contains('*') {
            self.heads.insert(first.to_string());
        } else if !last.contains('*') && pattern.contains('.') {
            self.tails.insert(last.to_string());
        } else {
            self.always = true;
        }
        let stars = pattern.matches('*').count();
        if stars == 0 {
            self.exact.entry(pattern.to_string()).or_default().push(alt);
        } else if stars == 1 && pattern.starts_with("*.") && !last.contains('*') && first == "*" {
            self.suffix.entry(last.to_string()).or_default().push(alt);
        } else if stars == 1 && pattern.ends_with(".*") {
            self.prefix
                .push((pattern[..pattern.len() - 1].to_string(), alt));
        } else {
            let head = (!first.contains('*')).then(|| first.to_string());
            self.globs.push((head, glob_regex(pattern)?, alt));
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.suffix.is_empty()
            && self.prefix.is_empty()
            && self.globs.is_empty()
    }

    fn may_match(&self, head: &str, last: &str) -> bool {
        self.always || self.heads.contains(head) || self.tails.contains(last)
    }

    fn lookup(&self, name: &str, out: &mut Vec<usize>) {
        if let Some(v) = self.exact.get(name) {
            out.extend_from_slice(v);
        }
        if !self.suffix.is_empty() {
            if let Some((_, last)) = name.rsplit_once('.') {
                if let Some(v) = self.suffix.get(last) {
                    out.extend_from_slice(v);
                }
            }
        }
        for (p, alt) in &self.prefix {
            if name.starts_with(p.as_str()) {
                out.push(*alt);
            }
        }
        if !self.globs.is_empty() {
            let first = name.split('.').next().unwrap_or(name);
            for (head, re, alt) in &self.globs {
                if head.as_deref().is_none_or(|h| h == first) && re.is_match(name) {
                    out.push(*alt);
                }
            }
        }
    }
}

/// One alternative of one rule.
#[derive(Debug)]
struct Alt {
    rule: usize,
    conds: Vec<CCond>,
    severity: Option<Severity>,
    message: Option<String>,
    assign_target: Option<Regex>,
    string_re: Option<usize>,
}

/// A match of a pattern rule in a file.
#[derive(Debug, Clone)]
pub struct Match<'t> {
    /// Index of the rule in the list given to [`Engine::new`].
    pub rule: usize,
    pub node: Node<'t>,
    /// The qualified name the match is about (`subprocess.run`), if any.
    pub name: Option<String>,
    pub severity: Option<Severity>,
    pub message: Option<String>,
}

/// Node kind ids the walk dispatches on.
struct KindIds {
    call: u16,
    identifier: u16,
    attribute: u16,
    import: u16,
    import_from: u16,
    assignment: u16,
    string: u16,
    function_definition: u16,
    class_definition: u16,
    module: u16,
}

impl KindIds {
    fn new(l: &Language) -> Self {
        let id = |k: &str| l.id_for_node_kind(k, true);
        KindIds {
            call: id("call"),
            identifier: id("identifier"),
            attribute: id("attribute"),
            import: id("import_statement"),
            import_from: id("import_from_statement"),
            assignment: id("assignment"),
            string: id("string"),
            function_definition: id("function_definition"),
            class_definition: id("class_definition"),
            module: id("module"),
        }
    }
}

/// All pattern rules of a scan, compiled.
pub struct Engine {
    language: Language,
    ids: KindIds,
    alts: Vec<Alt>,
    calls: NameIndex,
    names: NameIndex,
    imports: Vec<(String, usize)>,
    /// Alternatives of `node:` patterns, indexed by node kind id.
    kinds: Vec<Vec<usize>>,
    assigns: Vec<usize>,
    strings: Vec<usize>,
    string_set: Option<RegexSet>,
    query: Option<(Query, Vec<usize>)>,
}

struct Builder<'l> {
    language: &'l Language,
    alts: Vec<Alt>,
    calls: NameIndex,
    names: NameIndex,
    imports: Vec<(String, usize)>,
    kinds: HashMap<u16, Vec<usize>>,
    assigns: Vec<usize>,
    strings: Vec<usize>,
    string_res: Vec<String>,
    queries: Vec<(String, usize)>,
}

impl<'l> Builder<'l> {
    fn new(language: &'l Language) -> Self {
        Builder {
            language,
            alts: Vec::new(),
            calls: NameIndex::default(),
            names: NameIndex::default(),
            imports: Vec::new(),
            kinds: HashMap::new(),
            assigns: Vec::new(),
            strings: Vec::new(),
            string_res: Vec::new(),
            queries: Vec::new(),
        }
    }

    fn add(&mut self, rule: usize, spec: &PatternSpec) -> Result<(), String> {
        self.add_inner(rule, spec, &[], None, None)
    }

    fn add_inner(
        &mut self,
        rule: usize,
        spec: &PatternSpec,
        inherited: &[Cond],
        severity: Option<Severity>,
        message: Option<&String>,
    ) -> Result<(), String> {
        if spec.matcher_count() != 1 {
            return Err(
                "a pattern needs exactly one of call, name, import, node, assign, string, query, any"
                    .into(),
            );
        }
        let severity = spec.severity.or(severity);
        let message = spec.message.as_ref().or(message);
        let mut all_conds: Vec<Cond> = inherited.to_vec();
        all_conds.extend(spec.conditions.iter().cloned());
        if let Some(alts) = &spec.any {
            if alts.is_empty() {
                return Err("`any` needs at least one pattern".into());
            }
            for a in alts {
                self.add_inner(rule, a, &all_conds, severity, message)?;
            }
            return Ok(());
        }
        let has_query = spec.query.is_some();
        let conds = all_conds
            .iter()
            .map(|c| compile_cond(c, has_query))
            .collect::<Result<Vec<_>, _>>()?;
        let id = self.alts.len();
        let mut alt = Alt {
            rule,
            conds,
            severity,
            message: message.cloned(),
            assign_target: None,
            string_re: None,
        };
        if let Some(c) = &spec.call {
            for n in c.list() {
                self.calls.add(&n, id)?;
            }
        } else if let Some(n) = &spec.name {
            for n in n.list() {
                self.names.add(&n, id)?;
            }
        } else if let Some(m) = &spec.import {
            for m in m.list() {
                self.imports.push((m, id));
            }
        } else if let Some(k) = &spec.node {
            for k in k.list() {
                let kid = self.language.id_for_node_kind(&k, true);
                if kid == 0 {
                    return Err(format!("unknown tree-sitter-python node kind `{k}`"));
                }
                self.kinds.entry(kid).or_default().push(id);
            }
        } else if let Some(t) = &spec.assign {
            alt.assign_target =
                Some(Regex::new(t).map_err(|e| format!("bad `assign` regex `{t}`: {e}"))?);
            self.assigns.push(id);
        } else if let Some(s) = &spec.string {
            Regex::new(s).map_err(|e| format!("bad `string` regex `{s}`: {e}"))?;
            alt.string_re = Some(self.string_res.len());
            self.string_res.push(s.clone());
            self.strings.push(id);
        } else if let Some(q) = &spec.query {
            Query::new(self.language, q).map_err(|e| format!("bad query: {e}"))?;
            self.queries.push((q.clone(), id));
        }
        self.alts.push(alt);
        Ok(())
    }
}

fn compile_cond(c: &Cond, has_query: bool) -> Result<CCond, String> {
    let bad = |m: &str| Err(format!("condition {c:?}: {m}"));
    if let Some(n) = &c.not {
        return Ok(CCond::Not(Box::new(compile_cond(n, has_query)?)));
    }
    if let Some(list) = &c.any {
        return Ok(CCond::Any(
            list.iter()
                .map(|c| compile_cond(c, has_query))
                .collect::<Result<_, _>>()?,
        ));
    }
    if let Some(list) = &c.all {
        return Ok(CCond::All(
            list.iter()
                .map(|c| compile_cond(c, has_query))
                .collect::<Result<_, _>>()?,
        ));
    }
    if let Some(re) = &c.context {
        return Regex::new(re)
            .map(CCond::Context)
            .map_err(|e| format!("bad `context` regex: {e}"));
    }
    if let Some(m) = &c.imports {
        return Ok(CCond::Imports(m.list()));
    }
    if let Some(re) = &c.path {
        return Regex::new(re)
            .map(CCond::Path)
            .map_err(|e| format!("bad `path` regex: {e}"));
    }
    if let Some(n) = c.args {
        return Ok(CCond::Args(n));
    }
    if let Some(n) = &c.inside {
        return Ok(CCond::Inside(NameSet::new(&n.list())?));
    }
    let mut preds = Vec::new();
    if let Some(p) = c.present {
        preds.push(Pred::Present(p));
    }
    if let Some(v) = &c.equals {
        preds.push(Pred::Equals(yaml_lits(v)?));
    }
    if let Some(re) = &c.matches {
        preds.push(Pred::Matches(
            Regex::new(re).map_err(|e| format!("bad `matches` regex: {e}"))?,
        ));
    }
    if let Some(re) = &c.text_matches {
        preds.push(Pred::TextMatches(
            Regex::new(re).map_err(|e| format!("bad `text-matches` regex: {e}"))?,
        ));
    }
    if let Some(n) = &c.resolves_to {
        preds.push(Pred::ResolvesTo(NameSet::new(&n.list())?));
    }
    if let Some(k) = c.is {
        preds.push(Pred::Is(k));
    }
    if let Some(t) = c.truthy {
        preds.push(Pred::Truthy(t));
    }
    if preds.is_empty() {
        return bad(
            "no predicate (present, equals, matches, text-matches, resolves-to, is, truthy)",
        );
    }
    if c.capture.is_some() && !has_query {
        return bad("`capture` only works with a `query` pattern");
    }
    Ok(CCond::Value {
        base: match &c.capture {
            Some(n) => Selector::Capture(n.clone()),
            None => Selector::Subject,
        },
        arg: c.arg,
        keyword: c.keyword.clone(),
        preds,
    })
}

fn yaml_lits(v: &serde_norway::Value) -> Result<Vec<Lit>, String> {
    use serde_norway::Value as V;
    Ok(match v {
        V::Bool(b) => vec![Lit::Bool(*b)],
        V::Null => vec![Lit::None],
        V::Number(n) => {
            if let Some(i) = n.as_i64() {
                vec![Lit::Int(i)]
            } else {
                vec![Lit::Float(n.as_f64().unwrap_or(f64::NAN))]
            }
        }
        V::String(s) => vec![Lit::Str(s.clone())],
        V::Sequence(seq) => {
            let mut out = Vec::new();
            for x in seq {
                out.extend(yaml_lits(x)?);
            }
            out
        }
        other => return Err(format!("`equals` takes a scalar or a list, not {other:?}")),
    })
}

// ---------------------------------------------------------------------------------------------------
// Matching

/// What a condition sees.
struct Env<'a, 't> {
    source: &'a [u8],
    imports: &'a Imports,
    path: &'a str,
    captures: &'a [(&'a str, Node<'t>)],
}

impl Engine {
    /// Compile the `pattern:` sections of rules; `rules[i]` becomes rule index `i` of the matches.
    pub fn new(rules: &[Option<&PatternSpec>]) -> Result<Engine, (usize, String)> {
        let language: Language = tree_sitter_python::LANGUAGE.into();
        let mut b = Builder::new(&language);
        for (i, spec) in rules.iter().enumerate() {
            if let Some(spec) = spec {
                b.add(i, spec).map_err(|e| (i, e))?;
            }
        }
        let string_set = if b.string_res.is_empty() {
            None
        } else {
            // ASCII classes and a large DFA keep the lazy DFA fast; fall back to Unicode semantics
            // for patterns that need them.
            let fast = regex::RegexSetBuilder::new(&b.string_res)
                .unicode(false)
                .dfa_size_limit(64 << 20)
                .build();
            Some(match fast {
                Ok(set) => set,
                Err(_) => RegexSet::new(&b.string_res).map_err(|e| (0, e.to_string()))?,
            })
        };
        let query = if b.queries.is_empty() {
            None
        } else {
            let mut text = String::new();
            let mut starts = Vec::new();
            for (q, alt) in &b.queries {
                starts.push((text.len(), *alt));
                text.push_str(q);
                text.push('\n');
            }
            let q = Query::new(&language, &text).map_err(|e| (0, e.to_string()))?;
            let by_pattern = (0..q.pattern_count())
                .map(|p| {
                    let at = q.start_byte_for_pattern(p);
                    starts
                        .iter()
                        .rev()
                        .find(|(s, _)| *s <= at)
                        .map(|(_, a)| *a)
                        .unwrap_or(0)
                })
                .collect();
            Some((q, by_pattern))
        };
        let Builder {
            alts,
            calls,
            names,
            imports,
            kinds: kind_map,
            assigns,
            strings,
            ..
        } = b;
        let mut kinds = vec![Vec::new(); language.node_kind_count() + 1];
        for (k, v) in kind_map {
            if let Some(slot) = kinds.get_mut(k as usize) {
                *slot = v;
            }
        }
        Ok(Engine {
            ids: KindIds::new(&language),
            language,
            alts,
            calls,
            names,
            imports,
            kinds,
            assigns,
            strings,
            string_set,
            query,
        })
    }

    /// The tree-sitter language the engine was built for.
    pub fn language(&self) -> &Language {
        &self.language
    }

    /// Run every enabled rule over one parsed module.
    pub fn run<'t>(
        &self,
        tree: &'t Tree,
        source: &[u8],
        imports: &Imports,
        path: &str,
        enabled: &[bool],
    ) -> Vec<Match<'t>> {
        let env = Env {
            source,
            imports,
            path,
            captures: &[],
        };
        let mut out: Vec<Match<'t>> = Vec::new();
        // (match index, shadowable head name): builtins shadowed by a local definition are dropped.
        let mut shadowable: Vec<(usize, String)> = Vec::new();
        let mut local_defs: HashSet<&[u8]> = HashSet::new();
        let mut scratch: Vec<usize> = Vec::new();
        let on = |alt: usize| enabled.get(self.alts[alt].rule).copied().unwrap_or(false);

        let name_filter = NameFilter::new(&self.names, imports, &self.ids, &self.language);
        let mut cursor = tree.walk();
        // Ancestors of the cursor's node (tree-sitter's `Node::parent` walks down from the root).
        let mut parents: Vec<Node<'t>> = Vec::with_capacity(64);
        'walk: loop {
            let node = cursor.node();
            if node.is_named() {
                let kid = node.kind_id();
                let k = &self.ids;
                match kid {
                    _ if kid == k.call && !self.calls.is_empty() => {
                        if let Some(f) = node.child_by_field_name("function") {
                            if let Some(last) = unresolvable_method(f, source)
                                .filter(|l| self.calls.tails.contains(*l))
                            {
                                // `a().b.execute(...)`: only `*.execute` patterns can match.
                                let q = format!("(...).{last}");
                                scratch.clear();
                                self.calls.lookup(&q, &mut scratch);
                                for &alt in scratch.iter() {
                                    if on(alt) && self.check(alt, node, &env) {
                                        out.push(self.mk(alt, node, Some(q.clone())));
                                    }
                                }
                            } else if let Some((head, last)) = head_and_last(f, source) {
                                let bound = imports.binding(head);
                                let qhead = bound
                                    .map(|b| b.split('.').next().unwrap_or(b))
                                    .unwrap_or(head);
                                // `from os import *` then `system(cmd)`: try the star-imported modules.
                                let star: Option<String> = if bound.is_none()
                                    && !imports.star_modules().is_empty()
                                    && !self.calls.may_match(qhead, last)
                                {
                                    imports.star_modules().iter().find_map(|m| {
                                        let first = m.split('.').next().unwrap_or(m);
                                        if !self.calls.heads.contains(first) {
                                            return None;
                                        }
                                        let q = format!("{m}.{}", text(f, source));
                                        let mut v = Vec::new();
                                        self.calls.lookup(&q, &mut v);
                                        (!v.is_empty()).then_some(q)
                                    })
                                } else {
                                    None
                                };
                                if star.is_some() || self.calls.may_match(qhead, last) {
                                    if let Some(q) =
                                        star.or_else(|| imports.resolve_node(f, source))
                                    {
                                        scratch.clear();
                                        self.calls.lookup(&q, &mut scratch);
                                        for &alt in scratch.iter() {
                                            if on(alt) && self.check(alt, node, &env) {
                                                if bound.is_none()
                                                    && self.calls.heads.contains(head)
                                                {
                                                    shadowable.push((out.len(), head.to_string()));
                                                }
                                                out.push(self.mk(alt, node, Some(q.clone())));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    _ if (kid == k.identifier || kid == k.attribute)
                        && !self.names.is_empty()
                        && name_filter.may_match(node, source)
                        && is_name_reference(node, parents.last()) =>
                    {
                        if let Some((head, last)) = head_and_last(node, source) {
                            let bound = imports.binding(head);
                            let qhead = bound
                                .map(|b| b.split('.').next().unwrap_or(b))
                                .unwrap_or(head);
                            if self.names.may_match(qhead, last) {
                                if let Some(q) = imports.resolve_node(node, source) {
                                    scratch.clear();
                                    self.names.lookup(&q, &mut scratch);
                                    for &alt in scratch.iter() {
                                        if on(alt) && self.check(alt, node, &env) {
                                            if bound.is_none() && self.names.heads.contains(head) {
                                                shadowable.push((out.len(), head.to_string()));
                                            }
                                            out.push(self.mk(alt, node, Some(q.clone())));
                                        }
                                    }
                                }
                            }
                        }
                    }
                    _ if (kid == k.import || kid == k.import_from) && !self.imports.is_empty() => {
                        for m in imported_modules(node, source) {
                            for (pat, alt) in &self.imports {
                                let hit = m == *pat
                                    || (m.starts_with(pat.as_str())
                                        && m.as_bytes().get(pat.len()) == Some(&b'.'));
                                if hit && on(*alt) && self.check(*alt, node, &env) {
                                    out.push(self.mk(*alt, node, Some(m.clone())));
                                }
                            }
                        }
                    }
                    _ if kid == k.assignment && !self.assigns.is_empty() => {
                        if let (Some(left), Some(right)) = (
                            node.child_by_field_name("left"),
                            node.child_by_field_name("right"),
                        ) {
                            if matches!(left.kind(), "identifier" | "attribute") {
                                let target = text(left, source);
                                for &alt in &self.assigns {
                                    let re = self.alts[alt].assign_target.as_ref();
                                    if on(alt)
                                        && re.is_some_and(|r| r.is_match(target))
                                        && self.check(alt, right, &env)
                                    {
                                        out.push(self.mk(alt, node, Some(target.to_string())));
                                    }
                                }
                            }
                        }
                    }
                    _ if kid == k.string && self.string_set.is_some() => {
                        let set = self.string_set.as_ref().unwrap();
                        let quick = single_content(node, source);
                        let worth = quick.is_none_or(|q| set.is_match(q));
                        if let Some(value) = string_value(node, source).filter(|_| worth) {
                            let hits = set.matches(&value);
                            if hits.matched_any() {
                                for &alt in &self.strings {
                                    let a = &self.alts[alt];
                                    if a.string_re.is_some_and(|i| hits.matched(i))
                                        && on(alt)
                                        && self.check(alt, node, &env)
                                    {
                                        out.push(self.mk(alt, node, Some(value.clone())));
                                    }
                                }
                            }
                        }
                    }
                    _ if kid == k.function_definition || kid == k.class_definition => {
                        if let Some(n) = node.child_by_field_name("name") {
                            local_defs.insert(&source[n.byte_range()]);
                        }
                        if let Some(params) = node.child_by_field_name("parameters") {
                            let mut c = params.walk();
                            for p in params.named_children(&mut c) {
                                let id = match p.kind() {
                                    "identifier" => Some(p),
                                    "default_parameter" | "typed_default_parameter" => {
                                        p.child_by_field_name("name")
                                    }
                                    "typed_parameter" => p.named_child(0),
                                    _ => None,
                                };
                                if let Some(id) = id.filter(|i| i.kind() == "identifier") {
                                    local_defs.insert(&source[id.byte_range()]);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(alts) = self.kinds.get(kid as usize).filter(|a| !a.is_empty()) {
                    for &alt in alts {
                        if on(alt) && self.check(alt, node, &env) {
                            out.push(self.mk(alt, node, None));
                        }
                    }
                }
                if kid == k.assignment {
                    // Module-level assignments shadow builtins too (`input = raw_input`).
                    let depth = parents.len();
                    if depth >= 2 && parents[depth - 2].kind_id() == k.module {
                        if let Some(left) = node.child_by_field_name("left") {
                            if left.kind() == "identifier" {
                                local_defs.insert(&source[left.byte_range()]);
                            }
                        }
                    }
                }
            }
            if cursor.goto_first_child() {
                parents.push(node);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
                parents.pop();
            }
        }

        if let Some((query, by_pattern)) = &self.query {
            let names = query.capture_names();
            let mut qc = QueryCursor::new();
            let mut it = qc.matches(query, tree.root_node(), source);
            while let Some(m) = it.next() {
                let Some(&alt) = by_pattern.get(m.pattern_index) else {
                    continue;
                };
                if !on(alt) {
                    continue;
                }
                let caps: Vec<(&str, Node<'t>)> = m
                    .captures()
                    .iter()
                    .map(|c| (names[c.index as usize], c.node))
                    .collect();
                let Some(subject) = caps
                    .iter()
                    .find(|(n, _)| *n == "match")
                    .or_else(|| caps.first())
                    .map(|(_, n)| *n)
                else {
                    continue;
                };
                let env = Env {
                    captures: &caps,
                    ..env
                };
                if self.check(alt, subject, &env) {
                    out.push(self.mk(alt, subject, None));
                }
            }
        }

        if !shadowable.is_empty() {
            let drop: HashSet<usize> = shadowable
                .into_iter()
                .filter(|(_, head)| local_defs.contains(head.as_bytes()))
                .map(|(i, _)| i)
                .collect();
            if !drop.is_empty() {
                out = out
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !drop.contains(i))
                    .map(|(_, m)| m)
                    .collect();
            }
        }
        out
    }

    fn mk<'t>(&self, alt: usize, node: Node<'t>, name: Option<String>) -> Match<'t> {
        let a = &self.alts[alt];
        Match {
            rule: a.rule,
            node,
            name,
            severity: a.severity,
            message: a.message.clone(),
        }
    }

    fn check(&self, alt: usize, subject: Node, env: &Env) -> bool {
        self.alts[alt]
            .conds
            .iter()
            .all(|c| eval_cond(c, subject, env))
    }
}

fn eval_cond(c: &CCond, subject: Node, env: &Env) -> bool {
    match c {
        CCond::Not(c) => !eval_cond(c, subject, env),
        CCond::Any(list) => list.iter().any(|c| eval_cond(c, subject, env)),
        CCond::All(list) => list.iter().all(|c| eval_cond(c, subject, env)),
        CCond::Context(re) => {
            context_matches(subject, env.source, re) || flows_to_context(subject, env.source, re)
        }
        CCond::Imports(mods) => mods.iter().any(|m| env.imports.imports_module(m)),
        CCond::Path(re) => re.is_match(env.path),
        CCond::Inside(set) => {
            let mut cur = subject.parent();
            while let Some(p) = cur {
                match p.kind() {
                    "call"
                        if p.child_by_field_name("function")
                            .and_then(|f| env.imports.resolve_node(f, env.source))
                            .is_some_and(|q| set.matches(&q)) =>
                    {
                        return true;
                    }
                    "block" | "module" | "expression_statement" | "lambda" => return false,
                    _ => {}
                }
                cur = p.parent();
            }
            false
        }
        CCond::Args(n) => {
            let Some(args) = subject.child_by_field_name("arguments") else {
                return false;
            };
            let mut c = args.walk();
            let mut count = 0;
            let mut splat = false;
            for a in args.named_children(&mut c) {
                match a.kind() {
                    "keyword_argument" | "dictionary_splat" | "comment" => {}
                    "list_splat" => splat = true,
                    _ => count += 1,
                }
            }
            let min_ok = n.min.is_none_or(|m| count >= m || splat);
            let max_ok = n.max.is_none_or(|m| count <= m && !splat);
            min_ok && max_ok
        }
        CCond::Value {
            base,
            arg,
            keyword,
            preds,
        } => {
            let base_node = match base {
                Selector::Subject => Some(subject),
                Selector::Capture(name) => env
                    .captures
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, n)| *n),
            };
            let (value, uncertain) = match (base_node, arg.is_some() || keyword.is_some()) {
                (None, _) => (None, false),
                (Some(b), false) => (Some(b), false),
                (Some(b), true) => select_argument(b, *arg, keyword.as_deref(), env.source),
            };
            preds.iter().all(|p| eval_pred(p, value, uncertain, env))
        }
    }
}

fn eval_pred(p: &Pred, value: Option<Node>, uncertain: bool, env: &Env) -> bool {
    match p {
        // An argument that `*args`/`**kwargs` may hold is neither surely present nor surely absent.
        Pred::Present(want) => {
            if value.is_some() {
                *want
            } else {
                !*want && !uncertain
            }
        }
        _ => {
            let Some(v) = value else {
                return false;
            };
            let v = unparen(v);
            match p {
                Pred::Present(_) => unreachable!(),
                Pred::Equals(lits) => literal(v, env.source).is_some_and(|l| lits.contains(&l)),
                Pred::Matches(re) => string_value(v, env.source).is_some_and(|s| re.is_match(&s)),
                Pred::TextMatches(re) => re.is_match(text(v, env.source)),
                Pred::ResolvesTo(set) => env
                    .imports
                    .resolve_node(v, env.source)
                    .is_some_and(|q| set.matches(&q)),
                Pred::Is(kind) => match kind {
                    ValueKind::Literal => is_constant(v),
                    ValueKind::NonLiteral => !is_constant(v),
                    ValueKind::StringLiteral => string_value(v, env.source).is_some(),
                    ValueKind::FormattedString => is_formatted_string(v, env.source),
                    ValueKind::Dynamic => risky(v, env.source),
                    ValueKind::FormattedSqlValue => {
                        is_formatted_string(v, env.source) && sql_value_formatted(v, env.source)
                    }
                },
                Pred::Truthy(want) => {
                    let t = match literal(v, env.source) {
                        Some(Lit::Bool(b)) => b,
                        Some(Lit::Int(i)) => i != 0,
                        Some(Lit::Float(f)) => f != 0.0,
                        Some(Lit::Str(s)) => !s.is_empty(),
                        Some(Lit::None) => false,
                        None => return false,
                    };
                    t == *want
                }
            }
        }
    }
}

/// The argument of a call at a position or with a keyword. The flag says whether a `*args` or
/// `**kwargs` splat could hold it.
fn select_argument<'t>(
    call: Node<'t>,
    index: Option<usize>,
    keyword: Option<&str>,
    source: &[u8],
) -> (Option<Node<'t>>, bool) {
    let call = if call.kind() == "call" {
        call
    } else if let Some(p) = call.parent().filter(|p| p.kind() == "call") {
        p
    } else {
        return (None, false);
    };
    let Some(args) = call.child_by_field_name("arguments") else {
        return (None, false);
    };
    if args.kind() != "argument_list" {
        // `f(x for x in y)`: one positional generator argument.
        return (if index == Some(0) { Some(args) } else { None }, false);
    }
    let mut c = args.walk();
    let mut pos = 0usize;
    let mut uncertain = false;
    let mut found = None;
    for a in args.named_children(&mut c) {
        match a.kind() {
            "keyword_argument" => {
                if let (Some(k), Some(n)) = (keyword, a.child_by_field_name("name")) {
                    if source.get(n.byte_range()) == Some(k.as_bytes()) {
                        found = a.child_by_field_name("value");
                    }
                }
            }
            "dictionary_splat" => uncertain = true,
            "list_splat" => {
                uncertain = true;
                pos = usize::MAX / 2;
            }
            "comment" => {}
            _ => {
                if found.is_none() && Some(pos) == index {
                    found = Some(a);
                }
                pos += 1;
            }
        }
    }
    (found, uncertain && found.is_none())
}

fn unparen(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

fn text<'a>(n: Node, source: &'a [u8]) -> &'a str {
    n.utf8_text(source).unwrap_or("")
}

/// A cheap per-file test before resolving an identifier or attribute chain for `name:` patterns: its
/// leftmost identifier must be a local name an import binds to one of the patterns' first segments, or
/// that first segment itself.
struct NameFilter {
    /// Disabled (everything may match) when a pattern has no fixed first segment.
    all: bool,
    attribute: u16,
    object: u16,
    names: Vec<Vec<u8>>,
    /// Bit `len & 63` of `lens[first byte]`.
    lens: [u64; 256],
}

impl NameFilter {
    fn new(index: &NameIndex, imports: &Imports, ids: &KindIds, language: &Language) -> Self {
        let mut f = NameFilter {
            all: index.always || !index.tails.is_empty(),
            attribute: ids.attribute,
            object: language
                .field_id_for_name("object")
                .map(|f| f.get())
                .unwrap_or(0),
            names: Vec::new(),
            lens: [0; 256],
        };
        if f.all {
            return f;
        }
        let mut add = |n: &str| {
            let b = n.as_bytes();
            if let Some(&first) = b.first() {
                f.lens[first as usize] |= 1u64 << (b.len() & 63);
                f.names.push(b.to_vec());
            }
        };
        for h in &index.heads {
            add(h);
        }
        for (local, qualified) in imports.bindings() {
            let first = qualified.split('.').next().unwrap_or(qualified);
            if index.heads.contains(first) {
                add(local);
            }
        }
        f
    }

    fn may_match(&self, node: Node, source: &[u8]) -> bool {
        if self.all {
            return true;
        }
        let mut cur = node;
        while cur.kind_id() == self.attribute {
            match cur.child_by_field_id(self.object) {
                Some(o) => cur = o,
                None => break,
            }
        }
        let Some(head) = source.get(cur.byte_range()) else {
            return false;
        };
        let Some(&first) = head.first() else {
            return false;
        };
        self.lens[first as usize] & (1u64 << (head.len() & 63)) != 0
            && self.names.iter().any(|n| n.as_slice() == head)
    }
}

/// The text of a string literal with exactly one content part and no placeholders (most strings).
fn single_content<'a>(n: Node, source: &'a [u8]) -> Option<&'a str> {
    if n.kind() != "string" || n.named_child_count() != 3 {
        return None;
    }
    let c = n.named_child(1)?;
    (c.kind() == "string_content")
        .then(|| c.utf8_text(source).ok())
        .flatten()
}

/// The method name of a call on something that is not a dotted name (`f().m`, `x[0].m`).
fn unresolvable_method<'a>(f: Node, source: &'a [u8]) -> Option<&'a str> {
    if f.kind() != "attribute" {
        return None;
    }
    let mut cur = f.child_by_field_name("object")?;
    loop {
        match cur.kind() {
            "identifier" => return None,
            "attribute" => cur = cur.child_by_field_name("object")?,
            _ => break,
        }
    }
    Some(text(f.child_by_field_name("attribute")?, source))
}

/// The leftmost identifier and the last segment of an identifier/attribute chain.
fn head_and_last<'a>(n: Node, source: &'a [u8]) -> Option<(&'a str, &'a str)> {
    let last = match n.kind() {
        "identifier" => text(n, source),
        "attribute" => text(n.child_by_field_name("attribute")?, source),
        _ => return None,
    };
    let mut cur = n;
    loop {
        match cur.kind() {
            "identifier" => return Some((text(cur, source), last)),
            "attribute" => cur = cur.child_by_field_name("object")?,
            _ => return None,
        }
    }
}

/// An identifier or attribute chain used as a value: the outermost node of a chain, not a name being
/// defined (function, class, parameter, keyword, import).
fn is_name_reference(n: Node, parent: Option<&Node>) -> bool {
    let Some(p) = parent else {
        return false;
    };
    match p.kind() {
        "attribute" => {
            // Only the outermost node of a chain; `x.attr`'s `attr` is not a reference either.
            false
        }
        "keyword_argument" => p
            .child_by_field_name("name")
            .is_none_or(|k| k.id() != n.id()),
        "function_definition"
        | "class_definition"
        | "parameters"
        | "lambda_parameters"
        | "default_parameter"
        | "typed_parameter"
        | "typed_default_parameter"
        | "aliased_import"
        | "dotted_name"
        | "import_statement"
        | "import_from_statement"
        | "global_statement"
        | "nonlocal_statement" => false,
        _ => true,
    }
}

fn imported_modules(n: Node, source: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if n.kind() == "import_from_statement" {
        if let Some(m) = n.child_by_field_name("module_name") {
            let base = text(m, source).to_string();
            out.push(base.clone());
            let mut c = n.walk();
            for name in n.children_by_field_name("name", &mut c) {
                let nn = if name.kind() == "aliased_import" {
                    name.child_by_field_name("name")
                } else {
                    Some(name)
                };
                if let Some(nn) = nn {
                    out.push(format!("{base}.{}", text(nn, source)));
                }
            }
        }
    } else {
        let mut c = n.walk();
        for name in n.children_by_field_name("name", &mut c) {
            let nn = if name.kind() == "aliased_import" {
                name.child_by_field_name("name")
            } else {
                Some(name)
            };
            if let Some(nn) = nn {
                out.push(text(nn, source).to_string());
            }
        }
    }
    out
}

/// The value of a string literal without interpolation (`"a" "b"` concatenations too).
pub fn string_value(n: Node, source: &[u8]) -> Option<String> {
    match n.kind() {
        "string" => {
            let mut c = n.walk();
            let mut s = String::new();
            for ch in n.children(&mut c) {
                match ch.kind() {
                    "string_content" | "escape_sequence" => s.push_str(text(ch, source)),
                    "interpolation" => return None,
                    _ => {}
                }
            }
            Some(s)
        }
        "concatenated_string" => {
            let mut c = n.walk();
            let mut s = String::new();
            for ch in n.named_children(&mut c) {
                s.push_str(&string_value(ch, source)?);
            }
            Some(s)
        }
        "parenthesized_expression" => string_value(n.named_child(0)?, source),
        _ => None,
    }
}

fn literal(n: Node, source: &[u8]) -> Option<Lit> {
    let n = unparen(n);
    Some(match n.kind() {
        "true" => Lit::Bool(true),
        "false" => Lit::Bool(false),
        "none" => Lit::None,
        "integer" => Lit::Int(parse_int(text(n, source))?),
        "float" => Lit::Float(text(n, source).replace('_', "").parse().ok()?),
        "string" | "concatenated_string" => Lit::Str(string_value(n, source)?),
        "unary_operator" => {
            let arg = n.child_by_field_name("argument")?;
            let op = n.child_by_field_name("operator")?;
            match (text(op, source), literal(arg, source)?) {
                ("-", Lit::Int(i)) => Lit::Int(-i),
                ("-", Lit::Float(f)) => Lit::Float(-f),
                ("+", l) => l,
                _ => return None,
            }
        }
        _ => return None,
    })
}

fn parse_int(t: &str) -> Option<i64> {
    let t = t.replace('_', "").to_ascii_lowercase();
    let t = t.trim_end_matches('l');
    if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = t.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if t.len() > 1 && t.starts_with('0') && t.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

/// Is the expression a constant (no names, calls or placeholders)?
fn is_constant(n: Node) -> bool {
    let n = unparen(n);
    match n.kind() {
        "true" | "false" | "none" | "integer" | "float" | "ellipsis" => true,
        "string" => {
            let mut c = n.walk();
            let r = n.children(&mut c).all(|ch| ch.kind() != "interpolation");
            r
        }
        "concatenated_string" | "tuple" | "list" | "set" | "dictionary" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .all(|ch| ch.kind() == "comment" || is_constant(ch));
            r
        }
        "pair" => {
            n.child_by_field_name("key").is_some_and(is_constant)
                && n.child_by_field_name("value").is_some_and(is_constant)
        }
        "unary_operator" => n.child_by_field_name("argument").is_some_and(is_constant),
        "conditional_expression" => {
            // `a if cond else b`: the value is one of the branches.
            let mut c = n.walk();
            let kids: Vec<Node> = n.named_children(&mut c).collect();
            kids.len() == 3 && is_constant(kids[0]) && is_constant(kids[2])
        }
        "binary_operator" => {
            n.child_by_field_name("left").is_some_and(is_constant)
                && n.child_by_field_name("right").is_some_and(is_constant)
        }
        _ => false,
    }
}

/// A string built inline from a literal and at least one non-constant part. Parts that are constants,
/// ALL_CAPS names, or the result of a conversion/quoting function (`int()`, `len()`, `quote_name()`,
/// `escape()` ...) do not count: they cannot carry arbitrary text.
fn is_formatted_string(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    match n.kind() {
        "string" => fstring_risky(n, source),
        "concatenated_string" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .any(|ch| is_formatted_string(ch, source));
            r
        }
        "binary_operator" => {
            let (Some(l), Some(r), Some(op)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
                n.child_by_field_name("operator"),
            ) else {
                return false;
            };
            match text(op, source) {
                "+" => {
                    (has_string_literal(l, source) || has_string_literal(r, source))
                        && (risky(l, source) || risky(r, source))
                }
                "%" => string_value(l, source).is_some() && risky(r, source),
                _ => false,
            }
        }
        "call" => {
            // "...".format(x)
            let Some(f) = n.child_by_field_name("function") else {
                return false;
            };
            if f.kind() != "attribute" {
                return false;
            }
            let (Some(obj), Some(attr)) = (
                f.child_by_field_name("object"),
                f.child_by_field_name("attribute"),
            ) else {
                return false;
            };
            if text(attr, source) != "format" || string_value(obj, source).is_none() {
                return false;
            }
            let Some(args) = n.child_by_field_name("arguments") else {
                return false;
            };
            let mut c = args.walk();
            let r = args.named_children(&mut c).any(|a| {
                let v = if a.kind() == "keyword_argument" {
                    a.child_by_field_name("value")
                } else {
                    Some(a)
                };
                v.is_some_and(|v| risky(v, source))
            });
            r
        }
        _ => false,
    }
}

/// An f-string with a placeholder whose value can carry arbitrary text.
fn fstring_risky(n: Node, source: &[u8]) -> bool {
    let mut c = n.walk();
    let r = n.children(&mut c).any(|ch| {
        ch.kind() == "interpolation"
            && ch
                .child_by_field_name("expression")
                .or_else(|| ch.named_child(0))
                .is_some_and(|e| risky(e, source))
    });
    r
}

/// Does a dynamic part of this built string land in an SQL value position?
fn sql_value_formatted(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    let value_pos = |before: &str| sql_value_position(before);
    match n.kind() {
        "string" => {
            let mut before = String::new();
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                match ch.kind() {
                    "string_content" | "escape_sequence" => before.push_str(text(ch, source)),
                    "interpolation" => {
                        let e = ch
                            .child_by_field_name("expression")
                            .or_else(|| ch.named_child(0));
                        if e.is_some_and(|e| risky(e, source)) && value_pos(&before) {
                            return true;
                        }
                        before.push('?');
                    }
                    _ => {}
                }
            }
            false
        }
        "binary_operator" => {
            let op = n
                .child_by_field_name("operator")
                .map(|o| text(o, source))
                .unwrap_or("");
            if op == "%" {
                let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return false;
                };
                let Some(fmt) = string_value(l, source) else {
                    return false;
                };
                // Placeholders %s / %r / %(name)s that get a dynamic value (%d, %i, %f are numbers).
                let parts: Vec<Node> = match unparen(r).kind() {
                    "tuple" => {
                        let r = unparen(r);
                        let mut c = r.walk();
                        let v: Vec<Node> = r.named_children(&mut c).collect();
                        v
                    }
                    _ => vec![r],
                };
                let single = parts.len() == 1;
                let mut idx = 0;
                let b = fmt.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%' && i + 1 < b.len() {
                        if b[i + 1] == b'%' {
                            i += 2;
                            continue;
                        }
                        let mut j = i + 1;
                        let named = b[j] == b'(';
                        if named {
                            while j < b.len() && b[j] != b')' {
                                j += 1;
                            }
                            j += 1;
                        }
                        while j < b.len() && !b[j].is_ascii_alphabetic() {
                            j += 1;
                        }
                        let conv = b.get(j).copied().unwrap_or(b's');
                        let part = if named || single {
                            parts.first()
                        } else {
                            parts.get(idx)
                        };
                        idx += 1;
                        if matches!(conv, b's' | b'r' | b'a')
                            && part.is_some_and(|p| risky(*p, source))
                            && value_pos(&fmt[..i])
                        {
                            return true;
                        }
                        i = j + 1;
                        continue;
                    }
                    i += 1;
                }
                false
            } else if op == "+" {
                let mut parts = Vec::new();
                flatten_plus(n, source, &mut parts);
                let mut before = String::new();
                for p in parts {
                    if let Some(v) = string_value(p, source) {
                        before.push_str(&v);
                    } else if p.kind() == "string" {
                        if sql_value_formatted(p, source) {
                            return true;
                        }
                        before.push('?');
                    } else {
                        if risky(p, source) && value_pos(&before) {
                            return true;
                        }
                        before.push('?');
                    }
                }
                false
            } else {
                false
            }
        }
        "call" => {
            // "... {} ...".format(x): positional/named fields in order.
            let Some(f) = n.child_by_field_name("function") else {
                return false;
            };
            let Some(fmt) = f
                .child_by_field_name("object")
                .and_then(|o| string_value(o, source))
            else {
                return false;
            };
            let args_risky = n.child_by_field_name("arguments").is_some_and(|a| {
                let mut c = a.walk();
                let r = a.named_children(&mut c).any(|x| {
                    let v = if x.kind() == "keyword_argument" {
                        x.child_by_field_name("value")
                    } else {
                        Some(x)
                    };
                    v.is_some_and(|v| risky(v, source))
                });
                r
            });
            args_risky
                && fmt
                    .match_indices('{')
                    .any(|(i, _)| !fmt[i..].starts_with("{{") && value_pos(&fmt[..i]))
        }
        "concatenated_string" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .any(|ch| sql_value_formatted(ch, source));
            r
        }
        _ => false,
    }
}

fn flatten_plus<'t>(n: Node<'t>, source: &[u8], out: &mut Vec<Node<'t>>) {
    let n = unparen(n);
    if n.kind() == "binary_operator"
        && n.child_by_field_name("operator")
            .is_some_and(|o| text(o, source) == "+")
    {
        if let Some(l) = n.child_by_field_name("left") {
            flatten_plus(l, source, out);
        }
        if let Some(r) = n.child_by_field_name("right") {
            flatten_plus(r, source, out);
        }
    } else {
        out.push(n);
    }
}

/// Does SQL text ending here expect a value next (`... = `, `LIKE '%`, `IN (`, an open quote)?
fn sql_value_position(before: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?i)(=|<>|!=|<|>|\blike|\bin\s*\(|\bvalues\s*\(|\blimit|\boffset|\bbetween|\band)\s*%?\s*$",
        )
        .expect("valid regex")
    });
    // Inside an open string literal: an odd number of single quotes so far (double quotes delimit
    // identifiers in SQL).
    before.bytes().filter(|b| *b == b'\'').count() % 2 == 1 || re.is_match(before)
}

/// `", ".join(["%s"] * len(x))` or `", ".join("?" for _ in x)`: a list of constant placeholders.
fn is_placeholder_join(n: Node, source: &[u8]) -> bool {
    let Some(f) = n
        .child_by_field_name("function")
        .filter(|f| f.kind() == "attribute")
    else {
        return false;
    };
    let is_join = f
        .child_by_field_name("attribute")
        .is_some_and(|a| text(a, source) == "join");
    let on_literal = f
        .child_by_field_name("object")
        .is_some_and(|o| string_value(o, source).is_some());
    if !(is_join && on_literal) {
        return false;
    }
    let Some(args) = n.child_by_field_name("arguments") else {
        return false;
    };
    let arg = if args.kind() == "generator_expression" {
        Some(args)
    } else {
        args.named_child(0)
    };
    arg.is_some_and(|a| match a.kind() {
        "binary_operator" => a.child_by_field_name("left").is_some_and(is_constant),
        "generator_expression" | "list_comprehension" => {
            a.child_by_field_name("body").is_some_and(is_constant)
        }
        _ => false,
    })
}

/// `"...".format(...)` (with only safe arguments, or `is_formatted_string` would have said so).
fn is_format_call(n: Node, source: &[u8]) -> bool {
    n.child_by_field_name("function")
        .filter(|f| f.kind() == "attribute")
        .is_some_and(|f| {
            f.child_by_field_name("attribute")
                .is_some_and(|a| text(a, source) == "format")
                && f.child_by_field_name("object")
                    .is_some_and(|o| string_value(o, source).is_some())
        })
}

/// Can this part of a built string carry arbitrary text?
fn risky(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    match n.kind() {
        "string" => fstring_risky(n, source),
        "concatenated_string" | "tuple" | "list" | "expression_list" => {
            let mut c = n.walk();
            let r = n.named_children(&mut c).any(|ch| risky(ch, source));
            r
        }
        "binary_operator" => {
            n.child_by_field_name("left")
                .is_some_and(|l| risky(l, source))
                || n.child_by_field_name("right")
                    .is_some_and(|r| risky(r, source))
        }
        "call" if is_formatted_string(n, source) => true,
        "call" if is_format_call(n, source) => false,
        "call" if is_placeholder_join(n, source) => false,
        "identifier" => !is_const_name(text(n, source)),
        "attribute" => n
            .child_by_field_name("attribute")
            .is_none_or(|a| !is_const_name(text(a, source))),
        "call" => {
            let name = n
                .child_by_field_name("function")
                .map(|f| match f.kind() {
                    "attribute" => f
                        .child_by_field_name("attribute")
                        .map(|a| text(a, source))
                        .unwrap_or(""),
                    _ => text(f, source),
                })
                .unwrap_or("");
            !is_safe_conversion(name)
        }
        _ => !is_constant(n),
    }
}

fn is_const_name(name: &str) -> bool {
    name.len() > 1
        && name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn is_safe_conversion(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "int" | "float" | "len" | "bool" | "abs" | "round" | "hex" | "ord" | "id"
    ) || lower.contains("quote")
        || lower.contains("escape")
        || lower == "identifier"
}

fn has_string_literal(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    match n.kind() {
        "string" | "concatenated_string" => true,
        "binary_operator" => {
            n.child_by_field_name("left")
                .is_some_and(|l| has_string_literal(l, source))
                || n.child_by_field_name("right")
                    .is_some_and(|r| has_string_literal(r, source))
        }
        _ => is_formatted_string(n, source),
    }
}

/// One or two hops of plain assignment: `num = random.random()` then `remember_me_key = str(num)[2:]`,
/// or `resp.set_cookie("rememberMe", key)`. Looks in the enclosing function (or module) for a use of the
/// variable the match is assigned to whose context names match `re`.
fn flows_to_context(subject: Node, source: &[u8], re: &Regex) -> bool {
    // The variable the match is assigned to (directly, or as part of the assigned expression).
    let mut cur = subject.parent();
    let mut var = None;
    let mut scope = None;
    while let Some(p) = cur {
        match p.kind() {
            "assignment" if var.is_none() => {
                var = p
                    .child_by_field_name("left")
                    .filter(|l| l.kind() == "identifier")
                    .map(|l| text(l, source).to_string());
                if var.is_none() {
                    return false;
                }
            }
            "function_definition" | "module" => {
                scope = Some(p);
                break;
            }
            "expression_statement" | "block" if var.is_none() => return false,
            _ => {}
        }
        cur = p.parent();
    }
    let (Some(var), Some(scope)) = (var, scope) else {
        return false;
    };
    let mut vars = vec![var];
    for _hop in 0..2 {
        let mut next = Vec::new();
        let mut stack = vec![scope];
        while let Some(n) = stack.pop() {
            if n.kind() == "identifier"
                && n.start_byte() > subject.end_byte()
                && vars.iter().any(|v| v.as_bytes() == &source[n.byte_range()])
            {
                if context_matches(n, source, re) || call_literal_matches(n, source, re) {
                    return true;
                }
                // `b = f(a)`: follow b.
                let mut up = n.parent();
                while let Some(p) = up {
                    match p.kind() {
                        "assignment" => {
                            if let Some(l) = p
                                .child_by_field_name("left")
                                .filter(|l| l.kind() == "identifier")
                            {
                                next.push(text(l, source).to_string());
                            }
                            break;
                        }
                        "expression_statement" | "block" | "function_definition" => break,
                        _ => up = p.parent(),
                    }
                }
            }
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                if ch.kind() != "function_definition" && ch.kind() != "class_definition" {
                    stack.push(ch);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        vars = next;
    }
    false
}

/// Is `n` an argument of a call that also has a string literal argument matching `re`
/// (`set_cookie("rememberMe", value)`), or the value of a subscript assignment with such a key
/// (`session["token"] = value`)?
fn call_literal_matches(n: Node, source: &[u8], re: &Regex) -> bool {
    let mut cur = n.parent();
    while let Some(p) = cur {
        match p.kind() {
            "argument_list" => {
                let mut c = p.walk();
                let r = p
                    .named_children(&mut c)
                    .any(|a| string_value(a, source).is_some_and(|v| re.is_match(&v)));
                return r;
            }
            "assignment" => {
                return p
                    .child_by_field_name("left")
                    .filter(|l| l.kind() == "subscript")
                    .is_some_and(|l| re.is_match(text(l, source)));
            }
            "expression_statement" | "block" => return false,
            _ => cur = p.parent(),
        }
    }
    false
}

/// Do the names around a match (assignment target, keyword, dict key, called function, enclosing
/// function) match `re`? Used for "where a token or password is made".
fn context_matches(subject: Node, source: &[u8], re: &Regex) -> bool {
    let mut child = subject;
    let mut cur = subject.parent();
    let mut depth = 0;
    while let Some(p) = cur {
        depth += 1;
        if depth > 40 {
            return false;
        }
        let hit = match p.kind() {
            "keyword_argument" | "default_parameter" | "typed_default_parameter" => p
                .child_by_field_name("name")
                .is_some_and(|n| n.id() != child.id() && re.is_match(text(n, source))),
            "assignment" | "augmented_assignment" => p
                .child_by_field_name("left")
                .is_some_and(|n| n.id() != child.id() && re.is_match(text(n, source))),
            "pair" => p
                .child_by_field_name("key")
                .is_some_and(|n| n.id() != child.id() && re.is_match(text(n, source))),
            "argument_list" => p
                .parent()
                .and_then(|c| c.child_by_field_name("function"))
                .is_some_and(|f| re.is_match(text(f, source))),
            "function_definition" => {
                return p
                    .child_by_field_name("name")
                    .is_some_and(|n| re.is_match(text(n, source)));
            }
            "module" | "class_definition" | "lambda" => return false,
            _ => false,
        };
        if hit {
            return true;
        }
        child = p;
        cur = p.parent();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(yaml: &str) -> Engine {
        let spec: PatternSpec = serde_norway::from_str(yaml).unwrap();
        spec.validate().unwrap();
        Engine::new(&[Some(&spec)]).unwrap()
    }

    fn count(e: &Engine, src: &str) -> usize {
        let mut p = tree_sitter::Parser::new();
        p.set_language(e.language()).unwrap();
        let tree = p.parse(src, None).unwrap();
        let imports = Imports::from_tree(&tree, src.as_bytes());
        e.run(&tree, src.as_bytes(), &imports, "x.py", &[true])
            .len()
    }

    #[test]
    fn call_with_keyword_condition_through_alias() {
        let e = engine("call: [subprocess.run, subprocess.Popen]\nwhere:\n  - keyword: shell\n    truthy: true\n");
        assert_eq!(
            count(&e, "import subprocess as sp\nsp.run(cmd, shell=True)\n"),
            1
        );
        assert_eq!(
            count(&e, "import subprocess as sp\nsp.run(cmd, shell=False)\n"),
            0
        );
        assert_eq!(
            count(&e, "from subprocess import Popen\nPopen(c, shell=1)\n"),
            1
        );
        assert_eq!(
            count(
                &e,
                "import other as subprocess\nsubprocess.run(c, shell=True)\n"
            ),
            0
        );
    }

    #[test]
    fn positional_or_keyword_and_resolves_to() {
        let e = engine(
            "call: yaml.load\nwhere:\n  - not:\n      arg: 1\n      keyword: Loader\n      resolves-to: [yaml.SafeLoader, yaml.CSafeLoader]\n",
        );
        assert_eq!(count(&e, "import yaml\nyaml.load(s)\n"), 1);
        assert_eq!(
            count(&e, "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)\n"),
            0
        );
        assert_eq!(
            count(
                &e,
                "import yaml\nfrom yaml import CSafeLoader as L\nyaml.load(s, L)\n"
            ),
            0
        );
        assert_eq!(count(&e, "import yaml\nyaml.load(s, yaml.Loader)\n"), 1);
    }

    #[test]
    fn builtin_shadowed_by_local_definition() {
        let e = engine("call: eval\nwhere:\n  - not: {arg: 0, is: literal}\n");
        assert_eq!(count(&e, "eval(x)\n"), 1);
        assert_eq!(count(&e, "eval('1+1')\n"), 0);
        assert_eq!(count(&e, "def eval(x):\n    return x\neval(y)\n"), 0);
        assert_eq!(count(&e, "from sympy import eval\neval(y)\n"), 0);
    }

    #[test]
    fn formatted_strings() {
        let e = engine("call: '*.execute'\nwhere:\n  - arg: 0\n    is: formatted-string\n");
        assert_eq!(
            count(&e, "cur.execute(f\"SELECT * FROM t WHERE id={x}\")\n"),
            1
        );
        assert_eq!(
            count(&e, "cur.execute(\"SELECT * FROM t WHERE id=\" + x)\n"),
            1
        );
        assert_eq!(count(&e, "cur.execute(\"SELECT %s\" % x)\n"), 1);
        assert_eq!(count(&e, "cur.execute(\"SELECT {}\".format(x))\n"), 1);
        assert_eq!(count(&e, "cur.execute(\"SELECT %s\", (x,))\n"), 0);
        assert_eq!(count(&e, "cur.execute(\"SELECT \" \"1\")\n"), 0);
        assert_eq!(count(&e, "cur.execute(q)\n"), 0);
    }

    #[test]
    fn star_imports() {
        let e = engine("call: [os.system]\n");
        assert_eq!(count(&e, "from os import *\nsystem(cmd)\n"), 1);
        assert_eq!(count(&e, "from os.path import *\nsystem(cmd)\n"), 0);
        assert_eq!(count(&e, "system(cmd)\n"), 0);
    }

    #[test]
    fn sql_value_positions() {
        let e = engine("call: '*.execute'\nwhere:\n  - arg: 0\n    is: formatted-sql-value\n");
        let hit = |src: &str| count(&e, src);
        assert_eq!(
            hit("c.execute(\"SELECT * FROM t WHERE name = '%s'\" % name)\n"),
            1
        );
        assert_eq!(hit("c.execute(\"SELECT * FROM t WHERE id = \" + x)\n"), 1);
        assert_eq!(
            hit("c.execute(f\"SELECT * FROM t WHERE a LIKE '%{q}%'\")\n"),
            1
        );
        assert_eq!(
            hit("c.execute(\"SELECT * FROM t WHERE id IN ({})\".format(ids))\n"),
            1
        );
        assert_eq!(
            hit("c.execute(\"INSERT INTO t VALUES (%s, %s)\" % (a, b))\n"),
            1
        );
        // identifiers, numbers, quoted identifiers, placeholder lists, constants
        assert_eq!(hit("c.execute(\"DROP TABLE %s\" % table)\n"), 0);
        assert_eq!(
            hit("c.execute(f'ALTER TABLE \"{tbl}\" DISABLE CONSTRAINT \"{con}\"')\n"),
            0
        );
        assert_eq!(hit("c.execute(\"SELECT * FROM t LIMIT %d\" % n)\n"), 0);
        assert_eq!(hit("c.execute(\"SELECT * FROM t WHERE id IN (%s)\" % \", \".join([\"%s\"] * len(ids)), ids)\n"), 0);
        assert_eq!(
            hit("c.execute(\"SELECT * FROM t WHERE id = %s\" % int(x))\n"),
            0
        );
        assert_eq!(hit("c.execute(\"SELECT '%s'\" + SUFFIX)\n"), 0);
        assert_eq!(
            hit("c.execute(\"SET TZ\" + (\" = 'UTC'\" if tz else \"\"))\n"),
            0
        );
    }

    #[test]
    fn context_names() {
        let e = engine("call: random.choice\nwhere:\n  - context: '(?i)token|password'\n");
        assert_eq!(
            count(
                &e,
                "import random\ntoken = ''.join(random.choice(a) for _ in range(9))\n"
            ),
            1
        );
        assert_eq!(
            count(
                &e,
                "import random\ndef make_password():\n    return random.choice(a)\n"
            ),
            1
        );
        assert_eq!(
            count(&e, "import random\ncolor = random.choice(colors)\n"),
            0
        );
    }

    #[test]
    fn raw_query_with_capture_condition() {
        let e = engine(
            "query: '(call function: (attribute attribute: (identifier) @m) (#eq? @m \"extra\")) @match'\nwhere:\n  - imports: django\n",
        );
        assert_eq!(
            count(&e, "from django.db import models\nqs.extra(where=[x])\n"),
            1
        );
        assert_eq!(count(&e, "qs.extra(where=[x])\n"), 0);
    }

    #[test]
    fn bad_patterns_are_errors() {
        let spec: PatternSpec = serde_norway::from_str("call: a\nname: b\n").unwrap();
        assert!(spec.validate().is_err());
        let spec: PatternSpec = serde_norway::from_str("node: not_a_kind\n").unwrap();
        assert!(spec.validate().is_err());
        let spec: PatternSpec = serde_norway::from_str("query: '(call'\n").unwrap();
        assert!(spec.validate().is_err());
        assert!(serde_norway::from_str::<PatternSpec>("cal: a\n").is_err());
    }
}
