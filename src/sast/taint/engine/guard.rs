//! Conditions: what a branch learns about a value (guards, allowlists, validation predicates, character
//! guards) and the sanitizers it earns.

use super::*;
use crate::sast::field;

impl<'a, 't> Cx<'a, 't> {
    /// What we learn on the branch where `cond` is `truth`.
    pub(super) fn refine(&mut self, cond: Node<'t>, truth: bool, env: &mut Env) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        self.refine_inner(cond, truth, env);
        self.depth -= 1;
    }

    pub(super) fn refine_inner(&mut self, cond: Node<'t>, truth: bool, env: &mut Env) {
        match cond.kind() {
            "parenthesized_expression" => {
                if let Some(i) = named(cond).into_iter().next() {
                    self.refine(i, truth, env);
                }
            }
            "not_operator" => {
                if let Some(a) = cond.child_by_field_id(*field::ARGUMENT) {
                    self.refine(a, !truth, env);
                }
            }
            "boolean_operator" => {
                let op = cond
                    .child_by_field_id(*field::OPERATOR)
                    .map(|o| self.text(o))
                    .unwrap_or("");
                let (l, r) = (
                    cond.child_by_field_id(*field::LEFT),
                    cond.child_by_field_id(*field::RIGHT),
                );
                if (op == "and" && truth) || (op == "or" && !truth) {
                    if let Some(l) = l {
                        self.refine(l, truth, env);
                    }
                    if let Some(r) = r {
                        self.refine(r, truth, env);
                    }
                }
            }
            "comparison_operator" => {
                let ops = self.operators(cond);
                let operands = named(cond);
                if ops.len() != 1 || operands.len() != 2 {
                    return;
                }
                let (l, r) = (operands[0], operands[1]);
                let op = ops[0].as_str();
                match op {
                    "in" | "not in" => {
                        let positive = (op == "in") == truth;
                        // `x in ALLOWED` (ALLOWED not tainted): x is one of known values.
                        // (`url.netloc in ALLOWED` validates `url`, `x.lower() in ALLOWED` validates `x`)
                        if positive {
                            if let Some(root) = self.root_var(l) {
                                let rv = self.eval(r, env);
                                if !rv.is_tainted() {
                                    let id = self.c.guard_id("allowlist");
                                    self.sanitize_var(l, id, env);
                                    self.sanitize_name(&root, id, env);
                                }
                            }
                        }
                        // `"'" in x` (or in `x[1:-1]`, `x.lower()`) is false: x holds no such character.
                        if !positive {
                            if let (Some(root), Some(K::Str(s))) =
                                (self.root_var(r), self.eval(l, env).konst)
                            {
                                let id = self.c.guard_id(char_guard(&s));
                                self.sanitize_name(&root, id, env);
                            }
                        }
                    }
                    "==" | "!=" => {
                        let equal = (op == "==") == truth;
                        if equal {
                            for (a, b) in [(l, r), (r, l)] {
                                if is_var(a) {
                                    let bv = self.eval(b, env);
                                    if !bv.is_tainted() {
                                        let id = self.c.guard_id("allowlist");
                                        self.sanitize_var(a, id, env);
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            // `if ok:` (a validation flag), `if x.isalnum():`, `if re.fullmatch(P, x):`, `if is_safe(x):`
            "identifier" | "call" if truth => {
                let mut ids = Vec::new();
                self.validated_in(cond, env, &mut ids);
                let g = self.c.guard_id("guard");
                for v in ids {
                    self.sanitize_name(&v, g, env);
                }
            }
            _ => {}
        }
    }

    /// The fall-through of `if <cond>: return/raise`: every value the condition validated is safe after it.
    pub(super) fn guard(&mut self, cond: Node<'t>, env: &mut Env) {
        let mut ids = Vec::new();
        self.validated_in(cond, env, &mut ids);
        let g = self.c.guard_id("guard");
        for v in ids {
            self.sanitize_name(&v, g, env);
        }
    }

    pub(super) fn operators(&self, cmp: Node) -> Vec<String> {
        let mut w = cmp.walk();
        let ops: Vec<String> = cmp
            .children_by_field_name("operators", &mut w)
            .map(|o| {
                self.text(o)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        // `not in` / `is not` come as two tokens in some grammar versions.
        let mut out: Vec<String> = Vec::new();
        for o in ops {
            match (out.last().map(|s| s.as_str()), o.as_str()) {
                (Some("not"), "in") => {
                    out.pop();
                    out.push("not in".into());
                }
                (Some("is"), "not") => {
                    out.pop();
                    out.push("is not".into());
                }
                _ => out.push(o),
            }
        }
        out
    }

    /// Variables a condition validates (a comparison with something that is not emptiness or None, a call of
    /// a predicate or parser on them).
    pub(super) fn validated_in(&self, n: Node, env: &Env, out: &mut Vec<String>) {
        if out.len() > 64 || n.end_byte() - n.start_byte() > 4000 {
            return;
        }
        match n.kind() {
            "parenthesized_expression" | "boolean_operator" | "not_operator" => {
                for ch in named(n) {
                    self.validated_in(ch, env, out);
                }
            }
            "comparison_operator" => {
                let ops = self.operators(n);
                if ops.iter().any(|o| o == "is" || o == "is not") {
                    return;
                }
                let operands = named(n);
                if operands.len() == 2 && ops.len() == 1 {
                    let (l, r) = (operands[0], operands[1]);
                    let lit = |x: Node| {
                        matches!(x.kind(), "string" | "concatenated_string") && !has_interp(x)
                    };
                    // membership and containment are handled precisely, with their direction, by `refine`
                    // (the fall-through of `if x in DENIED: continue` knows nothing about x)
                    let _ = lit;
                    if ops[0] == "in" || ops[0] == "not in" {
                        return;
                    }
                    let trivial = |x: Node| {
                        let t = self.text(x).trim();
                        matches!(
                            t,
                            "None" | "''" | "\"\"" | "0" | "-1" | "True" | "False" | "[]" | "{}"
                        ) || (x.kind() == "call"
                            && x.child_by_field_id(*field::FUNCTION).map(|f| self.text(f))
                                == Some("len"))
                    };
                    if trivial(l) || trivial(r) {
                        return;
                    }
                }
                for o in operands {
                    collect_vars(o, self, out);
                }
            }
            // a flag computed by a validation earlier: `ok = is_safe(x)` ... `if not ok: return`
            "identifier" => {
                if let Some(v) = env.get(self.text(n)).and_then(|v| v.validates.clone()) {
                    out.extend(v.iter().cloned());
                }
            }
            "call" => {
                let f = n.child_by_field_id(*field::FUNCTION);
                let fname = f.map(|f| self.text(f)).unwrap_or("");
                let last = fname
                    .rsplit('.')
                    .next()
                    .unwrap_or(fname)
                    .to_ascii_lowercase();
                // only predicates validate (`isalnum`, `re.fullmatch`, `is_safe_url`), not lookups
                if matches!(last.as_str(), "isinstance" | "hasattr" | "callable")
                    || !is_predicate(&last)
                {
                    return;
                }
                if let Some(f) = f {
                    if f.kind() == "attribute" {
                        if let Some(o) = f.child_by_field_id(*field::OBJECT) {
                            collect_vars(o, self, out);
                        }
                    }
                }
                if let Some(a) = n.child_by_field_id(*field::ARGUMENTS) {
                    collect_vars(a, self, out);
                }
            }
            _ => {}
        }
    }

    /// The variable a value is read from: `x`, `x.attr` (as `x`), `x[1:-1]`, `x.lower()`.
    pub(super) fn root_var(&self, n: Node) -> Option<String> {
        if n.end_byte() - n.start_byte() > 2000 {
            return None;
        }
        match n.kind() {
            "identifier" => Some(self.text(n).to_string()),
            "attribute" => self.root_var(n.child_by_field_id(*field::OBJECT)?),
            "subscript" => self.root_var(n.child_by_field_id(*field::VALUE)?),
            "parenthesized_expression" => self.root_var(named(n).into_iter().next()?),
            "call" => {
                let f = n.child_by_field_id(*field::FUNCTION)?;
                if f.kind() == "attribute" {
                    let m = self.text(f.child_by_field_id(*field::ATTRIBUTE)?);
                    if self.c.string_methods.contains(m) {
                        return self.root_var(f.child_by_field_id(*field::OBJECT)?);
                    }
                }
                // a parser or normaliser of one value: `urlparse(url)`, `basename(p)`, `str(x)`
                let args: Vec<Node> = n
                    .child_by_field_id(*field::ARGUMENTS)
                    .map(named)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.kind() != "keyword_argument" && a.kind() != "comment")
                    .collect();
                if args.len() == 1 {
                    self.root_var(args[0])
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    pub(super) fn sanitize_var(&mut self, n: Node, id: SanId, env: &mut Env) {
        let name = match n.kind() {
            "identifier" | "attribute" => self.text(n).to_string(),
            _ => return,
        };
        self.sanitize_name(&name, id, env);
    }

    pub(super) fn sanitize_name(&mut self, name: &str, id: SanId, env: &mut Env) {
        if let Some(v) = env.get(name) {
            let origin = v.origin.clone();
            let nv = san_val(self.c, v, id);
            env.insert(name.to_string(), nv);
            if let Some(o) = origin {
                if &*o != name {
                    if let Some(ov) = env.get(&*o) {
                        let nv = san_val(self.c, ov, id);
                        env.insert(o.to_string(), nv);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- assignment
}

/// Is a function with this (lowercase, last segment) name a check that validates its argument?
pub(super) fn is_predicate(last: &str) -> bool {
    last.starts_with("is")
        || last.starts_with("has_")
        || matches!(
            last,
            "startswith" | "endswith" | "fullmatch" | "match" | "search"
        )
        || [
            "valid",
            "allowed",
            "safe",
            "check",
            "verify",
            "permit",
            "whitelist",
            "allowlist",
        ]
        .iter()
        .any(|w| last.contains(w))
}

/// Does reading this attribute or calling this method of something that wraps a request give its input?
pub(super) fn releases(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.contains("safe") {
        return false;
    }
    matches!(
        n.as_str(),
        "get" | "getlist" | "__getitem__" | "read" | "pop"
    ) || [
        "param", "arg", "form", "query", "header", "cookie", "value", "input", "body", "data",
        "json", "field", "file",
    ]
    .iter()
    .any(|w| n.contains(w))
}

pub(super) fn is_var(n: Node) -> bool {
    matches!(n.kind(), "identifier" | "attribute")
}

pub(super) fn has_interp(n: Node) -> bool {
    if n.end_byte() - n.start_byte() > 4000 {
        return true;
    }
    let mut w = n.walk();
    let r = n
        .named_children(&mut w)
        .any(|c| c.kind() == "interpolation" || has_interp(c));
    r
}

pub(super) fn collect_vars(n: Node, cx: &Cx, out: &mut Vec<String>) {
    if out.len() > 64 || n.end_byte() - n.start_byte() > 4000 {
        return;
    }
    match n.kind() {
        "identifier" => out.push(cx.text(n).to_string()),
        "attribute" => {
            out.push(cx.text(n).to_string());
            if let Some(o) = n.child_by_field_id(*field::OBJECT) {
                collect_vars(o, cx, out);
            }
        }
        "call" => {
            if let Some(f) = n.child_by_field_id(*field::FUNCTION) {
                if f.kind() == "attribute" {
                    if let Some(o) = f.child_by_field_id(*field::OBJECT) {
                        collect_vars(o, cx, out);
                    }
                }
            }
            if let Some(a) = n.child_by_field_id(*field::ARGUMENTS) {
                collect_vars(a, cx, out);
            }
        }
        "keyword_argument" => {
            if let Some(v) = n.child_by_field_id(*field::VALUE) {
                collect_vars(v, cx, out);
            }
        }
        "lambda" | "string" => {}
        _ => {
            for ch in named(n) {
                collect_vars(ch, cx, out);
            }
        }
    }
}

/// Which guard id an "input contains this literal" check earns.
pub(super) fn char_guard(lit: &str) -> &'static str {
    if lit.contains("..") || lit.contains('/') || lit.contains('\\') {
        "guard-path"
    } else if lit.contains('\'') || lit.contains('"') {
        "guard-quote"
    } else if lit.chars().any(|c| ";|&$`\n><".contains(c)) {
        if lit.contains('<') || lit.contains('>') {
            "guard-html"
        } else {
            "guard-shell"
        }
    } else {
        "guard"
    }
}

/// Does a constant start fix the host of a URL or keep a redirect local?
pub(super) fn fixed_prefix(p: &str) -> bool {
    // clean values of unknown text at the start (a base URL, a script root) followed by a local path
    if p.starts_with('\u{1}') {
        let q = p.trim_start_matches('\u{1}');
        if q.contains("://") {
            return false;
        }
        let b = q.as_bytes();
        return b.len() >= 2 && b[0] == b'/' && b[1] != b'/' && b[1] != b'\\' && b[1] != 1;
    }
    if let Some(i) = p.find("://") {
        let rest = &p[i + 3..];
        return rest.contains('/') && !rest.starts_with('/');
    }
    let b = p.as_bytes();
    b.len() >= 2 && b[0] == b'/' && b[1] != b'/' && b[1] != b'\\'
}

pub(super) fn always_exits(block: Node, cx: &Cx) -> bool {
    let stmts: Vec<Node> = named(block)
        .into_iter()
        .filter(|s| s.kind() != "comment")
        .collect();
    let Some(last) = stmts.last() else {
        return false;
    };
    match last.kind() {
        "return_statement" | "raise_statement" | "continue_statement" | "break_statement" => true,
        "expression_statement" => named(*last).into_iter().any(|c| {
            c.kind() == "call" && {
                let f = c
                    .child_by_field_id(*field::FUNCTION)
                    .map(|f| cx.text(f))
                    .unwrap_or("");
                let last = f.rsplit('.').next().unwrap_or(f);
                matches!(last, "abort" | "exit" | "_exit" | "quit")
            }
        }),
        "if_statement" => {
            let cons = last.child_by_field_id(*field::CONSEQUENCE);
            let mut w = last.walk();
            let alts: Vec<Node> = last.children_by_field_name("alternative", &mut w).collect();
            let has_else = alts.iter().any(|a| a.kind() == "else_clause");
            has_else
                && cons.map(|c| always_exits(c, cx)).unwrap_or(false)
                && alts.iter().all(|a| {
                    let b = a
                        .child_by_field_id(*field::CONSEQUENCE)
                        .or(a.child_by_field_id(*field::BODY));
                    b.map(|b| always_exits(b, cx)).unwrap_or(false)
                })
        }
        _ => false,
    }
}
