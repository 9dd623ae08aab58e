//! The compiled form of pattern rules: name sets and the callee index, conditions, and the builder that turns
//! every rule's `pattern:` into one index of alternatives.

use super::*;

// ---------------------------------------------------------------------------------------------------
// Compiled form

/// A rule's regex: its syntax is checked when the rule is loaded, and it is compiled the first time a file
/// needs it (most rules' regexes never run in a small scan, and compiling all of them was most of the job's
/// start-up). Dereferences to the compiled [`Regex`].
#[derive(Debug)]
pub(super) struct LazyRegex {
    src: String,
    re: std::sync::OnceLock<Regex>,
}

impl LazyRegex {
    pub(super) fn new(src: &str) -> Result<Self, String> {
        regex_syntax::Parser::new()
            .parse(src)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            src: src.to_string(),
            re: std::sync::OnceLock::new(),
        })
    }
}

impl std::ops::Deref for LazyRegex {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        // The syntax was checked; a size limit is the only way left to fail, and then the regex matches
        // nothing rather than taking the scan down.
        self.re.get_or_init(|| {
            Regex::new(&self.src).unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("valid regex"))
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lit {
    Bool(bool),
    None,
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Debug)]
pub(super) enum Pred {
    Present(bool),
    Equals(Vec<Lit>),
    Matches(LazyRegex),
    TextMatches(LazyRegex),
    ResolvesTo(NameSet),
    Is(ValueKind),
    Truthy(bool),
}

#[derive(Debug)]
pub(super) enum Selector {
    Subject,
    Capture(String),
}

#[derive(Debug)]
pub(super) enum CCond {
    Not(Box<CCond>),
    Any(Vec<CCond>),
    All(Vec<CCond>),
    Context(LazyRegex),
    Imports(Vec<String>),
    Path(LazyRegex),
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
pub(super) struct NameSet {
    pub(super) exact: HashSet<String>,
    pub(super) globs: Vec<LazyRegex>,
}

impl NameSet {
    pub(super) fn new(patterns: &[String]) -> Result<NameSet, String> {
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
    pub(super) fn matches(&self, name: &str) -> bool {
        self.exact.contains(name) || self.globs.iter().any(|g| g.is_match(name))
    }
}

pub(super) fn glob_regex(p: &str) -> Result<LazyRegex, String> {
    let mut re = String::from("^");
    for (i, part) in p.split('*').enumerate() {
        if i > 0 {
            re.push_str(".*");
        }
        re.push_str(&regex::escape(part));
    }
    re.push('$');
    LazyRegex::new(&re).map_err(|e| format!("bad name pattern `{p}`: {e}"))
}

/// An index from name patterns to alternatives, with a cheap pre-filter on the first and last segment.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    pub(super) exact: HashMap<String, Vec<usize>>,
    /// `*.name`: any receiver, by last segment.
    pub(super) suffix: HashMap<String, Vec<usize>>,
    /// `a.b.*`: by prefix (with the trailing dot).
    pub(super) prefix: Vec<(String, usize)>,
    /// Other globs, with the fixed first segment they need (if any).
    pub(super) globs: Vec<(Option<String>, LazyRegex, usize)>,
    /// First segments of patterns that start with a fixed segment.
    pub(super) heads: HashSet<String>,
    /// Last segments of `*.name` patterns.
    pub(super) tails: HashSet<String>,
    /// A pattern that neither filter can rule out (e.g. `*foo*`).
    pub(super) always: bool,
}

impl NameIndex {
    pub(super) fn add(&mut self, pattern: &str, alt: usize) -> Result<(), String> {
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

    pub(super) fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.suffix.is_empty()
            && self.prefix.is_empty()
            && self.globs.is_empty()
    }

    pub(super) fn may_match(&self, head: &str, last: &str) -> bool {
        self.always || self.heads.contains(head) || self.tails.contains(last)
    }

    pub(super) fn lookup(&self, name: &str, out: &mut Vec<usize>) {
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
pub(super) struct Alt {
    pub(super) rule: usize,
    pub(super) conds: Vec<CCond>,
    pub(super) severity: Option<Severity>,
    pub(super) message: Option<String>,
    pub(super) assign_target: Option<LazyRegex>,
    pub(super) string_re: Option<usize>,
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
pub(super) struct KindIds {
    pub(super) call: u16,
    pub(super) identifier: u16,
    pub(super) attribute: u16,
    pub(super) import: u16,
    pub(super) import_from: u16,
    pub(super) assignment: u16,
    pub(super) string: u16,
    pub(super) function_definition: u16,
    pub(super) class_definition: u16,
    pub(super) module: u16,
    /// The kinds of a string literal's parts (quotes, text, escapes, an f-string's fields).
    pub(super) string_parts: Vec<u16>,
}

impl KindIds {
    pub(super) fn new(l: &Language) -> Self {
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
            string_parts: [
                "string_start",
                "string_content",
                "string_end",
                "escape_sequence",
                "escape_interpolation",
                "interpolation",
                "format_specifier",
                "format_expression",
                "type_conversion",
            ]
            .into_iter()
            .map(id)
            .collect(),
        }
    }
}

/// All pattern rules of a scan, compiled.
pub struct Engine {
    pub(super) language: Language,
    pub(super) ids: KindIds,
    pub(super) alts: Vec<Alt>,
    pub(super) calls: NameIndex,
    pub(super) names: NameIndex,
    pub(super) imports: Vec<(String, usize)>,
    /// Alternatives of `node:` patterns, indexed by node kind id.
    pub(super) kinds: Vec<Vec<usize>>,
    pub(super) assigns: Vec<usize>,
    pub(super) strings: Vec<usize>,
    /// The `string:` regexes, and their set (compiled the first time a string literal is seen).
    pub(super) string_res: Vec<String>,
    pub(super) string_set: std::sync::OnceLock<RegexSet>,
    pub(super) query: Option<(Query, Vec<usize>)>,
}

pub(super) struct Builder<'l> {
    pub(super) language: &'l Language,
    pub(super) alts: Vec<Alt>,
    pub(super) calls: NameIndex,
    pub(super) names: NameIndex,
    pub(super) imports: Vec<(String, usize)>,
    pub(super) kinds: HashMap<u16, Vec<usize>>,
    pub(super) assigns: Vec<usize>,
    pub(super) strings: Vec<usize>,
    pub(super) string_res: Vec<String>,
    pub(super) queries: Vec<(String, usize)>,
}

impl<'l> Builder<'l> {
    pub(super) fn new(language: &'l Language) -> Self {
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

    pub(super) fn add(&mut self, rule: usize, spec: &PatternSpec) -> Result<(), String> {
        self.add_inner(rule, spec, &[], None, None)
    }

    pub(super) fn add_inner(
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
                Some(LazyRegex::new(t).map_err(|e| format!("bad `assign` regex `{t}`: {e}"))?);
            self.assigns.push(id);
        } else if let Some(s) = &spec.string {
            LazyRegex::new(s).map_err(|e| format!("bad `string` regex `{s}`: {e}"))?;
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

pub(super) fn compile_cond(c: &Cond, has_query: bool) -> Result<CCond, String> {
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
        return LazyRegex::new(re)
            .map(CCond::Context)
            .map_err(|e| format!("bad `context` regex: {e}"));
    }
    if let Some(m) = &c.imports {
        return Ok(CCond::Imports(m.list()));
    }
    if let Some(re) = &c.path {
        return LazyRegex::new(re)
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
            LazyRegex::new(re).map_err(|e| format!("bad `matches` regex: {e}"))?,
        ));
    }
    if let Some(re) = &c.text_matches {
        preds.push(Pred::TextMatches(
            LazyRegex::new(re).map_err(|e| format!("bad `text-matches` regex: {e}"))?,
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

pub(super) fn yaml_lits(v: &serde_norway::Value) -> Result<Vec<Lit>, String> {
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
