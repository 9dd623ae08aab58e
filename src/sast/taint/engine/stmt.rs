//! Statement transfer: blocks, `if`/`match`/loops/`try`/`with`, early exits, and assignment to names,
//! attributes, subscripts and tuples.

use super::*;
use crate::sast::field;

impl<'a, 't> Cx<'a, 't> {
    pub(super) fn exec_block(&mut self, block: Node<'t>, env: &mut Env) -> bool {
        for s in named(block) {
            if s.kind() == "comment" {
                continue;
            }
            if !self.exec_stmt(s, env) {
                return false;
            }
        }
        true
    }

    pub(super) fn exec_stmt(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        if self.depth > MAX_DEPTH {
            return true;
        }
        self.depth += 1;
        let r = self.exec_stmt_inner(n, env);
        self.depth -= 1;
        r
    }

    pub(super) fn exec_stmt_inner(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        match n.kind() {
            "expression_statement" => {
                let mut cont = true;
                for ch in named(n) {
                    self.eval(ch, env);
                    if ch.kind() == "call" && self.is_exit_call(ch, env) {
                        cont = false;
                    }
                }
                cont
            }
            "return_statement" => {
                let e = named(n).into_iter().next();
                let v = match e {
                    Some(e) => self.eval(e, env),
                    None => Val::konst(K::None),
                };
                if let Some(top) = self.returns.last_mut() {
                    *top = Some(match top.take() {
                        Some(prev) => join_val(&prev, &v),
                        None => v.clone(),
                    });
                }
                if self.route_return {
                    if let Some(e) = e {
                        self.check_route_return(n, e, &v, env);
                    }
                }
                false
            }
            "raise_statement" => {
                for ch in named(n) {
                    self.eval(ch, env);
                }
                false
            }
            "if_statement" => self.exec_if(n, env),
            "for_statement" => {
                let iter = n
                    .child_by_field_id(*field::RIGHT)
                    .map(|r| self.eval(r, env))
                    .unwrap_or_default();
                let elem = element_of(&iter);
                let left = n.child_by_field_id(*field::LEFT);
                let body = n.child_by_field_id(*field::BODY);
                self.exec_loop(env, |cx, e| {
                    if let Some(l) = left {
                        cx.assign(l, elem.clone(), e, None);
                    }
                    match body {
                        Some(b) => cx.exec_block(b, e),
                        None => true,
                    }
                });
                if let Some(alt) = n.child_by_field_id(*field::ALTERNATIVE) {
                    self.exec_children_blocks(alt, env);
                }
                true
            }
            "while_statement" => {
                let cond = n.child_by_field_id(*field::CONDITION);
                let k = cond.map(|c| self.eval(c, env)).and_then(|v| v.konst);
                if let Some(k) = &k {
                    if !truthy(k) {
                        return true;
                    }
                }
                let body = n.child_by_field_id(*field::BODY);
                let infinite = k.as_ref().map(truthy).unwrap_or(false);
                self.exec_loop(env, |cx, e| {
                    if let Some(c) = cond {
                        cx.refine(c, true, e);
                    }
                    match body {
                        Some(b) => cx.exec_block(b, e),
                        None => true,
                    }
                });
                let _ = infinite;
                true
            }
            "try_statement" => {
                let before = env.clone();
                let mut cont = true;
                let mut after_body = true;
                let mut handlers = Vec::new();
                let mut else_b = None;
                let mut finally_b = None;
                for ch in named(n) {
                    match ch.kind() {
                        "block" => after_body = self.exec_block(ch, env),
                        "except_clause" | "except_group_clause" => handlers.push(ch),
                        "else_clause" => else_b = Some(ch),
                        "finally_clause" => finally_b = Some(ch),
                        _ => {}
                    }
                }
                let body_env = env.clone();
                let mut out: Option<Env> = None;
                if after_body {
                    let mut e = body_env.clone();
                    let c2 = match else_b {
                        Some(eb) => self.exec_children_blocks(eb, &mut e),
                        None => true,
                    };
                    if c2 {
                        out = Some(e);
                    }
                }
                for h in handlers {
                    let mut e = join_env(before.clone(), &body_env);
                    let mut hc = true;
                    for ch in named(h) {
                        if ch.kind() == "block" {
                            hc = self.exec_block(ch, &mut e);
                        }
                    }
                    if hc {
                        out = Some(match out {
                            Some(o) => join_env(o, &e),
                            None => e,
                        });
                    }
                }
                match out {
                    Some(o) => *env = o,
                    None => {
                        cont = false;
                        *env = join_env(before, &body_env);
                    }
                }
                if let Some(f) = finally_b {
                    if !self.exec_children_blocks(f, env) {
                        cont = false;
                    }
                }
                cont
            }
            "with_statement" => {
                for ch in named(n) {
                    if ch.kind() == "with_clause" {
                        for item in named(ch) {
                            let Some(v) = item.child_by_field_id(*field::VALUE) else {
                                continue;
                            };
                            if v.kind() == "as_pattern" {
                                let parts = named(v);
                                let val = parts
                                    .first()
                                    .map(|e| self.eval(*e, env))
                                    .unwrap_or_default();
                                if let Some(alias) = v.child_by_field_id(*field::ALIAS) {
                                    let target = named(alias).into_iter().next().unwrap_or(alias);
                                    self.assign(target, val, env, Some(range(item)));
                                }
                            } else {
                                self.eval(v, env);
                            }
                        }
                    }
                }
                match n.child_by_field_id(*field::BODY) {
                    Some(b) => self.exec_block(b, env),
                    None => true,
                }
            }
            "match_statement" => self.exec_match(n, env),
            "function_definition" | "class_definition" | "decorated_definition" => {
                let d = if n.kind() == "decorated_definition" {
                    n.child_by_field_id(*field::DEFINITION).unwrap_or(n)
                } else {
                    n
                };
                // a nested function sees the variables of this scope as they are where it is defined
                if d.kind() == "function_definition" && !env.is_empty() && self.inline_depth == 0 {
                    let snapshot: Env = env
                        .iter()
                        .filter(|(_, v)| v.is_tainted() || v.latent.is_some())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if !snapshot.is_empty() {
                        let e = self.closures.entry(d.start_byte()).or_default();
                        *e = join_env(std::mem::take(e), &snapshot);
                    }
                }
                if let Some(name) = d.child_by_field_id(*field::NAME) {
                    env.remove(self.text(name));
                }
                true
            }
            "assert_statement" => {
                if let Some(c) = named(n).into_iter().next() {
                    self.eval(c, env);
                    self.refine(c, true, env);
                }
                true
            }
            "break_statement" | "continue_statement" => {
                if let Some(top) = self.loops.last_mut() {
                    top.push(env.clone());
                }
                false
            }
            "block" | "module" => self.exec_block(n, env),
            "ERROR" => {
                for ch in named(n) {
                    self.exec_stmt(ch, env);
                }
                true
            }
            "import_statement"
            | "import_from_statement"
            | "future_import_statement"
            | "pass_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "comment"
            | "type_alias_statement" => true,
            "delete_statement" => true,
            _ => {
                self.eval(n, env);
                true
            }
        }
    }

    pub(super) fn exec_children_blocks(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        let mut cont = true;
        for ch in named(n) {
            if ch.kind() == "block" {
                cont = self.exec_block(ch, env);
            }
        }
        cont
    }

    pub(super) fn exec_loop<F>(&mut self, env: &mut Env, mut body: F)
    where
        F: FnMut(&mut Self, &mut Env) -> bool,
    {
        // Two rounds reach the values loop-carried assignments can take in practice.
        let rounds = if self.loops.len() < 3 { 2 } else { 1 };
        let mut acc = env.clone();
        let mut cur = env.clone();
        for _ in 0..rounds {
            self.loops.push(Vec::new());
            let cont = body(self, &mut cur);
            let exits = self.loops.pop().unwrap_or_default();
            for e in exits {
                acc = join_env(acc, &e);
            }
            if cont {
                acc = join_env(acc, &cur);
            }
            cur = acc.clone();
        }
        *env = acc;
    }

    pub(super) fn exec_if(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        let mut branches: Vec<(Option<Node<'t>>, Node<'t>)> = Vec::new();
        if let (Some(c), Some(b)) = (
            n.child_by_field_id(*field::CONDITION),
            n.child_by_field_id(*field::CONSEQUENCE),
        ) {
            branches.push((Some(c), b));
        } else {
            return true;
        }
        let mut w = n.walk();
        for alt in n.children_by_field_name("alternative", &mut w) {
            match alt.kind() {
                "elif_clause" => {
                    if let (Some(c), Some(b)) = (
                        alt.child_by_field_id(*field::CONDITION),
                        alt.child_by_field_id(*field::CONSEQUENCE),
                    ) {
                        branches.push((Some(c), b));
                    }
                }
                "else_clause" => {
                    if let Some(b) = alt.child_by_field_id(*field::BODY) {
                        branches.push((None, b));
                    }
                }
                _ => {}
            }
        }
        self.exec_if_chain(&branches, 0, env)
    }

    pub(super) fn exec_if_chain(
        &mut self,
        br: &[(Option<Node<'t>>, Node<'t>)],
        i: usize,
        env: &mut Env,
    ) -> bool {
        let Some((cond, block)) = br.get(i) else {
            return true;
        };
        let Some(cond) = cond else {
            return self.exec_block(*block, env);
        };
        let v = self.eval(*cond, env);
        match v.konst.as_ref().map(truthy) {
            Some(true) => self.exec_block(*block, env),
            Some(false) => self.exec_if_chain(br, i + 1, env),
            None => {
                let then_exits = always_exits(*block, self);
                let else_exits = match br.get(i + 1) {
                    Some((None, b)) => always_exits(*b, self),
                    _ => false,
                };
                let mut te = env.clone();
                self.refine(*cond, true, &mut te);
                if else_exits {
                    self.guard(*cond, &mut te);
                }
                let tc = self.exec_block(*block, &mut te);
                let mut ee = std::mem::take(env);
                self.refine(*cond, false, &mut ee);
                if then_exits {
                    self.guard(*cond, &mut ee);
                }
                let ec = self.exec_if_chain(br, i + 1, &mut ee);
                match (tc, ec) {
                    (true, true) => {
                        // `if not valid(x): x = DEFAULT` — the branch that replaced x made it safe, the
                        // other one is where the validation passed
                        let mut ids = Vec::new();
                        self.validated_in(*cond, &te, &mut ids);
                        let g = self.c.guard_id("guard");
                        // safe: clean, or already through this guard (a nested check)
                        let safe = |x: &Val| match x.all() {
                            None => true,
                            Some(t) => self.c.targets(g).iter().all(|r| t.san.contains(r)),
                        };
                        for v in ids {
                            let t_clean = te.get(&v).map(safe).unwrap_or(false);
                            let e_clean = ee.get(&v).map(safe).unwrap_or(false);
                            if t_clean && !e_clean {
                                self.sanitize_name(&v, g, &mut ee);
                            } else if e_clean && !t_clean {
                                self.sanitize_name(&v, g, &mut te);
                            }
                        }
                        *env = join_env(te, &ee);
                        true
                    }
                    (true, false) => {
                        *env = te;
                        true
                    }
                    (false, true) => {
                        *env = ee;
                        true
                    }
                    (false, false) => {
                        *env = ee;
                        false
                    }
                }
            }
        }
    }

    pub(super) fn exec_match(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        let subject = n
            .child_by_field_id(*field::SUBJECT)
            .map(|s| self.eval(s, env))
            .unwrap_or_default();
        let Some(body) = n.child_by_field_id(*field::BODY) else {
            return true;
        };
        let cases: Vec<Node> = named(body)
            .into_iter()
            .filter(|c| c.kind() == "case_clause")
            .collect();
        let mut out: Option<Env> = None;
        let mut exhaustive = false;
        for case in cases {
            let patterns: Vec<Node> = named(case)
                .into_iter()
                .filter(|c| c.kind() == "case_pattern")
                .collect();
            let guard = case.child_by_field_id(*field::GUARD);
            let mut wildcard = false;
            let mut lits: Vec<K> = Vec::new();
            let mut all_lit = true;
            for p in &patterns {
                let t = self.text(*p).trim();
                if t == "_" {
                    wildcard = true;
                    continue;
                }
                let inner = named(*p).into_iter().next();
                match inner.map(|x| self.eval(x, &mut Env::new()).konst) {
                    Some(Some(k)) if inner.map(|x| x.kind()) != Some("identifier") => lits.push(k),
                    _ => all_lit = false,
                }
            }
            // Does the case match a constant subject?
            let decided = match (&subject.konst, all_lit, wildcard) {
                (_, _, true) if guard.is_none() => Some(true),
                (Some(k), true, false) if guard.is_none() => Some(lits.contains(k)),
                _ => None,
            };
            if decided == Some(false) {
                continue;
            }
            let mut e = env.clone();
            if patterns.len() == 1 && !wildcard && !all_lit {
                // capture pattern `case x:` binds the subject
                if let Some(id) = named(patterns[0]).into_iter().next() {
                    if id.kind() == "identifier" {
                        self.assign(id, subject.clone(), &mut e, None);
                    }
                }
            }
            if let Some(cons) = case.child_by_field_id(*field::CONSEQUENCE) {
                if self.exec_block(cons, &mut e) {
                    out = Some(match out {
                        Some(o) => join_env(o, &e),
                        None => e,
                    });
                }
            }
            if decided == Some(true) {
                exhaustive = true;
                break;
            }
        }
        if !exhaustive {
            out = Some(match out {
                Some(o) => join_env(o, env),
                None => env.clone(),
            });
        }
        match out {
            Some(o) => {
                *env = o;
                true
            }
            None => false,
        }
    }

    pub(super) fn is_exit_call(&self, call: Node, env: &Env) -> bool {
        let Some(f) = call.child_by_field_id(*field::FUNCTION) else {
            return false;
        };
        let name = self.callee_name(f, env);
        EXIT_CALLS.contains(&name.as_str()) || name.ends_with(".abort")
    }

    // ---------------------------------------------------------------- conditions

    pub(super) fn assign(
        &mut self,
        target: Node<'t>,
        v: Val,
        env: &mut Env,
        stmt: Option<(usize, usize)>,
    ) {
        match target.kind() {
            "identifier" => {
                let name = self.text(target).to_string();
                let mut v = v;
                if let Some(r) = stmt {
                    if v.t.is_some() {
                        v.t = add_step(&v.t, r, format!("assigned to `{name}`"));
                    }
                }
                if v.t.is_some() || v.parts.is_some() {
                    v.origin = match v.origin {
                        Some(o) => Some(o),
                        None => Some(name.as_str().into()),
                    };
                }
                env.insert(name, v);
            }
            "attribute" => {
                let path = self.text(target).to_string();
                let mut v = v;
                if let Some(r) = stmt {
                    v.t = add_step(&v.t, r, format!("assigned to `{path}`"));
                }
                env.insert(path, v);
            }
            "subscript" => {
                let Some(obj) = target.child_by_field_id(*field::VALUE) else {
                    return;
                };
                let key_node = target.child_by_field_id(*field::SUBSCRIPT);
                let kv = key_node.map(|k| self.eval(k, env)).unwrap_or_default();
                // trust boundary sinks: session[key] = value
                if !self.c.sinks_subscript.is_empty() {
                    let name = self.callee_name(obj, env);
                    let matches: Vec<(usize, usize)> = self
                        .c
                        .sinks_subscript
                        .iter()
                        .filter(|(p, _, _)| match p.strip_prefix("*.") {
                            Some(s) => name.ends_with(&format!(".{s}")) || name == s,
                            None => name == *p,
                        })
                        .map(|(_, r, s)| (*r, *s))
                        .collect();
                    for (r, s) in matches {
                        let t = join_t(&kv.all(), &v.all());
                        if let Some(t) = t {
                            let label = self.text(obj).to_string();
                            self.report(
                                r,
                                s,
                                &t,
                                target.parent().unwrap_or(target),
                                &format!("{label}[...]"),
                            );
                        }
                    }
                }
                let path = match obj.kind() {
                    "identifier" | "attribute" => self.text(obj).to_string(),
                    _ => {
                        self.eval(obj, env);
                        return;
                    }
                };
                let mut cur = env.get(&path).cloned().unwrap_or_default();
                match kv.konst.as_ref().and_then(key_of) {
                    Some(k) => {
                        let mut parts = cur.parts.as_deref().cloned().unwrap_or_default();
                        parts.insert(k, v);
                        cur.parts = Some(Rc::new(parts));
                    }
                    None => {
                        cur.t = join_t(&cur.t, &join_t(&v.all(), &kv.all()));
                    }
                }
                if cur.kind == Kind::Unknown {
                    cur.kind = Kind::Container;
                }
                env.insert(path, cur);
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list"
            | "expression_list" => {
                let targets = named(target);
                for (i, t) in targets.iter().enumerate() {
                    if t.kind() == "list_splat_pattern" {
                        let inner = named(*t).into_iter().next();
                        if let Some(inner) = inner {
                            let all = Val {
                                t: v.all(),
                                kind: Kind::Container,
                                ..Val::default()
                            };
                            self.assign(inner, all, env, stmt);
                        }
                        continue;
                    }
                    let part = match &v.parts {
                        Some(p) => p
                            .get(&i.to_string())
                            .cloned()
                            .unwrap_or_else(|| Val::tainted(v.t.clone())),
                        None => Val {
                            t: v.all(),
                            ..Val::default()
                        },
                    };
                    self.assign(*t, part, env, stmt);
                }
            }
            "parenthesized_expression" => {
                if let Some(i) = named(target).into_iter().next() {
                    self.assign(i, v, env, stmt);
                }
            }
            "list_splat_pattern" => {
                if let Some(i) = named(target).into_iter().next() {
                    self.assign(i, v, env, stmt);
                }
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- expressions
}
