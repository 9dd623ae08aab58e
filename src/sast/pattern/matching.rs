//! Matching: the one walk over a file's tree that dispatches on node kinds, the combined query, and the
//! evaluation of `where:` conditions on arguments.

use super::*;
use crate::sast::field;

// ---------------------------------------------------------------------------------------------------
// Matching

/// What a condition sees.
pub(super) struct Env<'a, 't> {
    pub(super) source: &'a [u8],
    pub(super) imports: &'a Imports,
    pub(super) path: &'a str,
    pub(super) captures: &'a [(&'a str, Node<'t>)],
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
            string_res,
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
            string_res,
            string_set: std::sync::OnceLock::new(),
            query,
        })
    }

    /// The set of every `string:` regex, built on first use: ASCII classes and a large DFA keep the lazy DFA
    /// fast; patterns that need Unicode semantics fall back to them. (Each regex's syntax was checked when
    /// its rule was loaded; a set that still cannot be built matches nothing.)
    fn string_set(&self) -> &RegexSet {
        self.string_set.get_or_init(|| {
            regex::RegexSetBuilder::new(&self.string_res)
                .unicode(false)
                .dfa_size_limit(64 << 20)
                .build()
                .or_else(|_| RegexSet::new(&self.string_res))
                .unwrap_or_else(|_| RegexSet::empty())
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
        // A string literal without fields (`'...'`, not `f'...'` or `t'...'`) holds only quotes, text and
        // escapes: unless a `node:` pattern looks for one of those, its children are not walked.
        let string_parts_matter = self
            .ids
            .string_parts
            .iter()
            .any(|&id| self.kinds.get(id as usize).is_some_and(|a| !a.is_empty()));
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
                        if let Some(f) = node.child_by_field_id(*field::FUNCTION) {
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
                            node.child_by_field_id(*field::LEFT),
                            node.child_by_field_id(*field::RIGHT),
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
                    _ if kid == k.string && !self.string_res.is_empty() => {
                        let set = self.string_set();
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
                        if let Some(n) = node.child_by_field_id(*field::NAME) {
                            local_defs.insert(&source[n.byte_range()]);
                        }
                        if let Some(params) = node.child_by_field_id(*field::PARAMETERS) {
                            let mut c = params.walk();
                            for p in params.named_children(&mut c) {
                                let id = match p.kind() {
                                    "identifier" => Some(p),
                                    "default_parameter" | "typed_default_parameter" => {
                                        p.child_by_field_id(*field::NAME)
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
                        if let Some(left) = node.child_by_field_id(*field::LEFT) {
                            if left.kind() == "identifier" {
                                local_defs.insert(&source[left.byte_range()]);
                            }
                        }
                    }
                }
            }
            let leaf = node.kind_id() == self.ids.string
                && !string_parts_matter
                && !has_fields(node, source);
            if !leaf && cursor.goto_first_child() {
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

    pub(super) fn mk<'t>(&self, alt: usize, node: Node<'t>, name: Option<String>) -> Match<'t> {
        let a = &self.alts[alt];
        Match {
            rule: a.rule,
            node,
            name,
            severity: a.severity,
            message: a.message.clone(),
        }
    }

    pub(super) fn check(&self, alt: usize, subject: Node, env: &Env) -> bool {
        self.alts[alt]
            .conds
            .iter()
            .all(|c| eval_cond(c, subject, env))
    }
}

pub(super) fn eval_cond(c: &CCond, subject: Node, env: &Env) -> bool {
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
                        if p.child_by_field_id(*field::FUNCTION)
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
            let Some(args) = subject.child_by_field_id(*field::ARGUMENTS) else {
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

pub(super) fn eval_pred(p: &Pred, value: Option<Node>, uncertain: bool, env: &Env) -> bool {
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
                Pred::Is(kind)
                    if v.kind() == "identifier"
                        && !matches!(
                            kind,
                            ValueKind::Literal | ValueKind::NonLiteral | ValueKind::StringLiteral
                        ) =>
                {
                    is_through_definitions(*kind, v, env.source, 0)
                }
                Pred::Is(kind) => match kind {
                    ValueKind::Literal => is_constant(v),
                    ValueKind::NonLiteral => !is_constant(v),
                    ValueKind::StringLiteral => string_value(v, env.source).is_some(),
                    ValueKind::FormattedString => is_formatted_string(v, env.source),
                    ValueKind::Dynamic => risky(v, env.source),
                    ValueKind::FormattedSqlValue => {
                        is_formatted_string(v, env.source) && sql_value_formatted(v, env.source)
                    }
                    ValueKind::ShellCommand => is_shell_command_list(v, env.source),
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
pub(super) fn select_argument<'t>(
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
    let Some(args) = call.child_by_field_id(*field::ARGUMENTS) else {
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
                if let (Some(k), Some(n)) = (keyword, a.child_by_field_id(*field::NAME)) {
                    if source.get(n.byte_range()) == Some(k.as_bytes()) {
                        found = a.child_by_field_id(*field::VALUE);
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

/// `is:` on a variable: the test holds for any value assigned to it earlier in the same function
/// (`q = f"... {x}"` ... `cur.execute(q)`; `q += " AND b = '" + y + "'"`), following up to three
/// name-to-name hops. A parameter, or a name the function never assigns, is dynamic and nothing else.
fn is_through_definitions(kind: ValueKind, v: Node, source: &[u8], hops: u32) -> bool {
    let holds = |n: Node| match kind {
        ValueKind::FormattedString => is_formatted_string(n, source),
        ValueKind::FormattedSqlValue => {
            is_formatted_string(n, source) && sql_value_formatted(n, source)
        }
        ValueKind::ShellCommand => is_shell_command_list(n, source),
        _ => risky(n, source),
    };
    let (defs, parameter) = definitions(v, source);
    if defs.is_empty() || parameter {
        return kind == ValueKind::Dynamic && risky(v, source);
    }
    let name = text(v, source);
    defs.into_iter().any(|d| {
        let d = unparen(d);
        if d.kind() == "identifier" && hops < 3 {
            return is_through_definitions(kind, d, source, hops + 1);
        }
        if !holds(d) {
            return false;
        }
        // `sql = f"CASE WHEN {sql} THEN 1 END"`: when the only variable part is the name itself, it is
        // as dynamic as the name was before
        match self_reference(d, name, source) {
            Some(earlier) if hops < 3 => {
                is_through_definitions(ValueKind::Dynamic, earlier, source, hops + 1)
            }
            _ => true,
        }
    })
}

/// The right-hand sides of the assignments (`=`, `+=`) to the variable `v` that come before it in its
/// function (or module), not counting nested functions and classes; and whether it is a parameter.
fn definitions<'t>(v: Node<'t>, source: &[u8]) -> (Vec<Node<'t>>, bool) {
    let name = text(v, source);
    let mut scope = v;
    while let Some(p) = scope.parent() {
        scope = p;
        if matches!(scope.kind(), "function_definition" | "lambda") {
            break;
        }
    }
    let mut parameter = false;
    if let Some(params) = scope.child_by_field_id(*field::PARAMETERS) {
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            let id = if p.kind() == "identifier" {
                Some(p)
            } else {
                p.child_by_field_id(*field::NAME)
                    .or_else(|| p.named_child(0))
                    .filter(|n| n.kind() == "identifier")
            };
            if id.is_some_and(|id| text(id, source) == name) {
                parameter = true;
            }
        }
    }
    let mut defs = Vec::new();
    let mut cursor = scope.walk();
    let mut budget = 20_000u32;
    'walk: loop {
        let n = cursor.node();
        budget = budget.saturating_sub(1);
        let nested = n.id() != scope.id()
            && matches!(
                n.kind(),
                "function_definition" | "class_definition" | "lambda"
            );
        if n.start_byte() >= v.start_byte() || budget == 0 {
            break;
        }
        if matches!(n.kind(), "assignment" | "augmented_assignment")
            && n.end_byte() <= v.start_byte()
        {
            if let (Some(l), Some(r)) = (
                n.child_by_field_id(*field::LEFT),
                n.child_by_field_id(*field::RIGHT),
            ) {
                if l.kind() == "identifier" && text(l, source) == name {
                    defs.push(r);
                }
            }
        }
        if !nested && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() || cursor.node().id() == scope.id() {
                break 'walk;
            }
        }
    }
    (defs, parameter)
}

/// When every identifier inside `d` (a bounded walk) that can carry text is `name`, one of them.
fn self_reference<'t>(d: Node<'t>, name: &str, source: &[u8]) -> Option<Node<'t>> {
    let mut found = None;
    let mut stack = vec![d];
    let mut budget = 2_000u32;
    while let Some(n) = stack.pop() {
        budget = budget.checked_sub(1)?;
        match n.kind() {
            "identifier" => {
                let t = text(n, source);
                if t == name {
                    found = Some(n);
                } else if !is_const_name(t) {
                    return None;
                }
            }
            // a call's callee is no text (`_()`, `str()`), its arguments are
            "call" => {
                if let Some(a) = n.child_by_field_id(*field::ARGUMENTS) {
                    stack.push(a);
                }
                if let Some(f) = n.child_by_field_id(*field::FUNCTION) {
                    if f.kind() == "attribute" {
                        if let Some(o) = f.child_by_field_id(*field::OBJECT) {
                            stack.push(o);
                        }
                    }
                }
            }
            "attribute" => return None,
            _ => {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }
    }
    found
}

/// Can this string literal hold fields (an f-string or a template string: a prefix with `f` or `t`)?
fn has_fields(string: Node, source: &[u8]) -> bool {
    source[string.start_byte()..]
        .iter()
        .take_while(|b| !matches!(b, b'\'' | b'"'))
        .take(4)
        .any(|b| matches!(b, b'f' | b'F' | b't' | b'T'))
}
