//! Expression evaluation: names and sources, attributes, subscripts and slices, strings and f-strings,
//! operators and comparisons.

use super::*;
use crate::sast::field;

impl<'a, 't> Cx<'a, 't> {
    pub(super) fn eval(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        if self.depth > MAX_DEPTH {
            return Val::clean();
        }
        self.depth += 1;
        let v = self.eval_inner(n, env);
        self.depth -= 1;
        v
    }

    pub(super) fn eval_inner(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        match n.kind() {
            "identifier" => self.eval_name(n, env),
            "attribute" => self.eval_attribute(n, env),
            "call" => self.eval_call(n, env),
            "subscript" => self.eval_subscript(n, env),
            "string" => self.eval_string(n, env),
            "concatenated_string" => {
                let mut out = Val {
                    kind: Kind::Str,
                    ..Val::default()
                };
                let mut s = String::new();
                let mut all_const = true;
                let mut first = true;
                for ch in named(n) {
                    let v = self.eval(ch, env);
                    if first {
                        out.prefix = v.prefix.clone();
                        first = false;
                    }
                    out.t = join_t(&out.t, &v.all());
                    match &v.konst {
                        Some(K::Str(x)) => s.push_str(x),
                        _ => all_const = false,
                    }
                }
                if all_const {
                    out.konst = Some(K::Str(s.into()));
                }
                out
            }
            "integer" => {
                let t = self.text(n).replace('_', "");
                match t.parse::<i64>() {
                    Ok(i) => Val::konst(K::Int(i)),
                    Err(_) => Val::clean(),
                }
            }
            "float" => Val::clean(),
            "true" => Val::konst(K::Bool(true)),
            "false" => Val::konst(K::Bool(false)),
            "none" => Val::konst(K::None),
            "parenthesized_expression" => match named(n).into_iter().next() {
                Some(i) => self.eval(i, env),
                None => Val::clean(),
            },
            "binary_operator" => self.eval_binary(n, env),
            "unary_operator" => {
                let v = n
                    .child_by_field_id(*field::ARGUMENT)
                    .map(|a| self.eval(a, env))
                    .unwrap_or_default();
                let op = n
                    .child_by_field_id(*field::OPERATOR)
                    .map(|o| self.text(o))
                    .unwrap_or("");
                match (&v.konst, op) {
                    (Some(K::Int(i)), "-") => Val::konst(K::Int(i.wrapping_neg())),
                    (Some(K::Int(i)), "+") => Val::konst(K::Int(*i)),
                    _ => Val {
                        t: v.all(),
                        ..Val::default()
                    },
                }
            }
            "boolean_operator" => {
                let op = n
                    .child_by_field_id(*field::OPERATOR)
                    .map(|o| self.text(o))
                    .unwrap_or("");
                let l = n
                    .child_by_field_id(*field::LEFT)
                    .map(|x| self.eval(x, env))
                    .unwrap_or_default();
                let lk = l.konst.as_ref().map(truthy);
                match (op, lk) {
                    ("and", Some(false)) | ("or", Some(true)) => return l,
                    _ => {}
                }
                let r = n
                    .child_by_field_id(*field::RIGHT)
                    .map(|x| self.eval(x, env))
                    .unwrap_or_default();
                match (op, lk) {
                    ("and", Some(true)) | ("or", Some(false)) => r,
                    _ => join_val(&l, &r),
                }
            }
            "not_operator" => {
                let v = n
                    .child_by_field_id(*field::ARGUMENT)
                    .map(|a| self.eval(a, env))
                    .unwrap_or_default();
                match &v.konst {
                    Some(k) => Val::konst(K::Bool(!truthy(k))),
                    None => Val::clean(),
                }
            }
            "comparison_operator" => self.eval_compare(n, env),
            "conditional_expression" => {
                let ch = named(n);
                if ch.len() < 3 {
                    return Val::clean();
                }
                let c = self.eval(ch[1], env);
                match c.konst.as_ref().map(truthy) {
                    Some(true) => self.eval(ch[0], env),
                    Some(false) => self.eval(ch[2], env),
                    None => {
                        let mut te = env.clone();
                        self.refine(ch[1], true, &mut te);
                        let a = self.eval(ch[0], &mut te);
                        let mut ee = env.clone();
                        self.refine(ch[1], false, &mut ee);
                        let b = self.eval(ch[2], &mut ee);
                        join_val(&a, &b)
                    }
                }
            }
            "tuple" | "list" | "expression_list" => {
                let mut parts = BTreeMap::new();
                let mut whole: T = None;
                let mut idx = 0usize;
                let mut exact = true;
                for ch in named(n) {
                    if ch.kind() == "list_splat" || ch.kind() == "parenthesized_list_splat" {
                        let v = self.eval(ch, env);
                        whole = join_t(&whole, &v.all());
                        exact = false;
                        continue;
                    }
                    let v = self.eval(ch, env);
                    if exact {
                        parts.insert(idx.to_string(), v);
                    } else {
                        whole = join_t(&whole, &v.all());
                    }
                    idx += 1;
                }
                Val {
                    t: whole,
                    parts: Some(Rc::new(parts)),
                    kind: Kind::Container,
                    list: n.kind() == "list",
                    ..Val::default()
                }
            }
            "set" => {
                let mut whole: T = None;
                for ch in named(n) {
                    let v = self.eval(ch, env);
                    whole = join_t(&whole, &v.all());
                }
                Val {
                    t: whole,
                    kind: Kind::Container,
                    ..Val::default()
                }
            }
            "dictionary" => {
                let mut parts = BTreeMap::new();
                let mut whole: T = None;
                for ch in named(n) {
                    if ch.kind() == "pair" {
                        let k = ch
                            .child_by_field_id(*field::KEY)
                            .map(|k| self.eval(k, env))
                            .unwrap_or_default();
                        let v = ch
                            .child_by_field_id(*field::VALUE)
                            .map(|v| self.eval(v, env))
                            .unwrap_or_default();
                        match k.konst.as_ref().and_then(key_of) {
                            Some(key) => {
                                parts.insert(key, v);
                            }
                            None => whole = join_t(&whole, &join_t(&k.all(), &v.all())),
                        }
                    } else {
                        let v = self.eval(ch, env);
                        whole = join_t(&whole, &v.all());
                    }
                }
                Val {
                    t: whole,
                    parts: Some(Rc::new(parts)),
                    kind: Kind::Container,
                    ..Val::default()
                }
            }
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => {
                let mut e = env.clone();
                let mut body = None;
                for ch in named(n) {
                    match ch.kind() {
                        "for_in_clause" => {
                            let it = ch
                                .child_by_field_id(*field::RIGHT)
                                .map(|r| self.eval(r, &mut e))
                                .unwrap_or_default();
                            if let Some(l) = ch.child_by_field_id(*field::LEFT) {
                                self.assign(l, element_of(&it), &mut e, None);
                            }
                        }
                        "if_clause" => {
                            if let Some(c) = named(ch).into_iter().next() {
                                self.eval(c, &mut e);
                                self.refine(c, true, &mut e);
                            }
                        }
                        _ => {
                            if body.is_none() {
                                body = Some(ch);
                            }
                        }
                    }
                }
                let b = n.child_by_field_id(*field::BODY).or(body);
                let v = match b {
                    Some(b) if b.kind() == "pair" => {
                        let k = b
                            .child_by_field_id(*field::KEY)
                            .map(|k| self.eval(k, &mut e))
                            .unwrap_or_default();
                        let v = b
                            .child_by_field_id(*field::VALUE)
                            .map(|v| self.eval(v, &mut e))
                            .unwrap_or_default();
                        join_t(&k.all(), &v.all())
                    }
                    Some(b) => self.eval(b, &mut e).all(),
                    None => None,
                };
                Val {
                    t: v,
                    kind: Kind::Container,
                    ..Val::default()
                }
            }
            "named_expression" => {
                let v = n
                    .child_by_field_id(*field::VALUE)
                    .map(|x| self.eval(x, env))
                    .unwrap_or_default();
                if let Some(name) = n.child_by_field_id(*field::NAME) {
                    self.assign(name, v.clone(), env, Some(range(n)));
                }
                v
            }
            "assignment" => {
                let right = n.child_by_field_id(*field::RIGHT);
                let v = match right {
                    Some(r) => self.eval(r, env),
                    None => Val::clean(),
                };
                if let Some(l) = n.child_by_field_id(*field::LEFT) {
                    self.assign(l, v.clone(), env, Some(range(n)));
                }
                v
            }
            "augmented_assignment" => {
                let (Some(l), Some(r)) = (
                    n.child_by_field_id(*field::LEFT),
                    n.child_by_field_id(*field::RIGHT),
                ) else {
                    return Val::clean();
                };
                let old = self.eval(l, env);
                let rv = self.eval(r, env);
                let op = n
                    .child_by_field_id(*field::OPERATOR)
                    .map(|o| self.text(o))
                    .unwrap_or("");
                let mut nv = combine(&old, &rv, op.trim_end_matches('='));
                if old.kind == Kind::Container {
                    nv.parts = old.parts.clone();
                    nv.t = join_t(&old.t, &rv.all());
                    nv.kind = Kind::Container;
                    nv.list = old.list;
                }
                self.assign(l, nv.clone(), env, Some(range(n)));
                nv
            }
            "lambda" => Val::clean(),
            "await" => match named(n).into_iter().next() {
                Some(i) => self.eval(i, env),
                None => Val::clean(),
            },
            "list_splat" | "dictionary_splat" | "parenthesized_list_splat" => {
                match named(n).into_iter().next() {
                    Some(i) => {
                        let v = self.eval(i, env);
                        Val {
                            t: v.all(),
                            ..Val::default()
                        }
                    }
                    None => Val::clean(),
                }
            }
            "keyword_argument" => match n.child_by_field_id(*field::VALUE) {
                Some(v) => self.eval(v, env),
                None => Val::clean(),
            },
            "slice" => {
                let mut t: T = None;
                for ch in named(n) {
                    t = join_t(&t, &self.eval(ch, env).all());
                }
                Val::tainted(t)
            }
            "yield" => {
                for ch in named(n) {
                    self.eval(ch, env);
                }
                Val::clean()
            }
            "ellipsis" | "comment" | "type" => Val::clean(),
            _ => {
                let mut t: T = None;
                for ch in named(n) {
                    t = join_t(&t, &self.eval(ch, env).all());
                }
                Val::tainted(t)
            }
        }
    }

    pub(super) fn eval_name(&mut self, n: Node, env: &mut Env) -> Val {
        let name = self.text(n);
        if let Some(v) = env.get(name) {
            let mut v = v.clone();
            if v.origin.is_none() && (v.t.is_some() || v.parts.is_some()) {
                v.origin = Some(name.into());
            }
            return v;
        }
        let resolved = self.imports.resolve(name);
        self.source_by_name(&resolved, n).unwrap_or_default()
    }

    pub(super) fn source_by_name(&self, resolved: &str, n: Node) -> Option<Val> {
        if let Some(&i) = self.c.obj_by_name.get(resolved) {
            let o = &self.c.obj_sources[i];
            let t = Rc::new(Taint {
                label: self.short(n).into(),
                what: "User input".into(),
                range: range(n),
                severity: None,
                sets: o.set_bit,
                steps: Rc::new(Vec::new()),
                san: Rc::new(Vec::new()),
            });
            return Some(Val {
                latent: Some(t),
                obj: Some(i),
                kind: Kind::Object,
                ..Val::default()
            });
        }
        if let Some(s) = self.c.name_sources.get(resolved) {
            let t = Rc::new(Taint {
                label: self.short(n).into(),
                what: capitalize(&s.label).into(),
                range: range(n),
                severity: s.severity,
                sets: s.set_bit,
                steps: Rc::new(Vec::new()),
                san: Rc::new(Vec::new()),
            });
            return Some(Val {
                t: Some(t),
                kind: Kind::Container,
                ..Val::default()
            });
        }
        None
    }

    pub(super) fn root_ident<'n>(&self, mut n: Node<'n>) -> Option<Node<'n>> {
        loop {
            match n.kind() {
                "identifier" => return Some(n),
                "attribute" => n = n.child_by_field_id(*field::OBJECT)?,
                _ => return None,
            }
        }
    }

    pub(super) fn eval_attribute(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let path = self.text(n);
        if let Some(v) = env.get(path) {
            return v.clone();
        }
        let attr = n
            .child_by_field_id(*field::ATTRIBUTE)
            .map(|a| self.text(a))
            .unwrap_or("");
        let Some(obj) = n.child_by_field_id(*field::OBJECT) else {
            return Val::clean();
        };
        // Airflow: `dag_run.conf`, `context["dag_run"].conf`, `kwargs.get("dag_run").conf` is what the
        // user who triggered the DAG passed
        if attr == "conf" && self.c.route_params_bit != 0 {
            let o = self.text(obj);
            if o == "dag_run"
                || o.ends_with(".dag_run")
                || o.ends_with("[\"dag_run\"]")
                || o.ends_with("['dag_run']")
                || o.ends_with("get(\"dag_run\")")
                || o.ends_with("get('dag_run')")
            {
                let t = Rc::new(Taint {
                    label: self.short(n).into(),
                    what: "DAG run configuration".into(),
                    range: range(n),
                    severity: None,
                    sets: self.c.route_params_bit,
                    steps: Rc::new(Vec::new()),
                    san: Rc::new(Vec::new()),
                });
                return Val::tainted(Some(t));
            }
        }
        // Names that are not local variables resolve through the imports (`os.environ`).
        if let Some(root) = self.root_ident(n) {
            if !env.contains_key(self.text(root)) {
                if let Some(d) = dotted_name(n, self.src) {
                    let resolved = self.imports.resolve(&d);
                    if let Some(v) = self.source_by_name(&resolved, n) {
                        return v;
                    }
                }
            }
            if path == "self.request" {
                if let Some(rp) = self.c.req_param {
                    let o = &self.c.obj_sources[rp];
                    let t = Rc::new(Taint {
                        label: "self.request".into(),
                        what: "User input".into(),
                        range: range(n),
                        severity: None,
                        sets: o.set_bit,
                        steps: Rc::new(Vec::new()),
                        san: Rc::new(Vec::new()),
                    });
                    return Val {
                        latent: Some(t),
                        obj: Some(rp),
                        kind: Kind::Object,
                        ..Val::default()
                    };
                }
            }
        }
        let ov = self.eval(obj, env);
        if let Some(i) = ov.obj {
            let o = &self.c.obj_sources[i];
            if o.attrs.contains(attr) {
                let t = relabel(&ov.latent, &self.short(n), range(n));
                return Val {
                    t,
                    ..Val::default()
                };
            }
            return Val::clean();
        }
        if let Some(p) = &ov.parts {
            if let Some(v) = p.get(attr) {
                return v.clone();
            }
        }
        let latent = if releases(attr) {
            ov.latent.clone()
        } else {
            None
        };
        Val {
            t: join_t(&ov.all(), &latent),
            latent: if latent.is_none() {
                ov.latent.clone()
            } else {
                None
            },
            origin: ov.origin.clone(),
            ..Val::default()
        }
    }

    pub(super) fn eval_subscript(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let Some(obj) = n.child_by_field_id(*field::VALUE) else {
            return Val::clean();
        };
        let ov = self.eval(obj, env);
        let key = n.child_by_field_id(*field::SUBSCRIPT);
        let kv = key.map(|k| self.eval(k, env)).unwrap_or_default();
        let is_slice = key.map(|k| k.kind() == "slice").unwrap_or(false);
        // constant string slicing / indexing
        if let Some(K::Str(s)) = &ov.konst {
            if is_slice {
                if let Some(k) = key {
                    let b: Vec<Option<i64>> = self.slice_bounds(k, env);
                    if let Some(r) = slice_str(s, &b) {
                        return Val::konst(K::Str(r.into()));
                    }
                }
            }
            return Val {
                kind: Kind::Str,
                ..Val::default()
            };
        }
        let mut out = if is_slice {
            Val {
                t: ov.all(),
                kind: ov.kind,
                origin: ov.origin.clone(),
                ..Val::default()
            }
        } else {
            match (&ov.parts, kv.konst.as_ref().and_then(key_of)) {
                (Some(p), Some(k)) => match p.get(&k) {
                    Some(v) => v.clone(),
                    None => {
                        // negative index into a list literal
                        let alt = match kv.konst {
                            Some(K::Int(i)) if i < 0 => {
                                let len = p.len() as i64;
                                p.get(&len.saturating_add(i).to_string()).cloned()
                            }
                            _ => None,
                        };
                        alt.unwrap_or_else(|| Val::tainted(ov.t.clone()))
                    }
                },
                _ => Val {
                    t: join_t(&ov.all(), &ov.latent),
                    origin: ov.origin.clone(),
                    ..Val::default()
                },
            }
        };
        if out.t.is_some()
            && ov.t.as_ref().map(|t| t.range) == Some(range(obj))
            && ov.t.as_ref().map(|t| t.steps.is_empty()) == Some(true)
        {
            out.t = relabel(&out.t, &self.short(n), range(n));
        }
        out
    }

    pub(super) fn slice_bounds(&mut self, s: Node<'t>, env: &mut Env) -> Vec<Option<i64>> {
        // children: [start] ':' [stop] [':' step]
        let mut out = vec![None, None];
        let mut idx = 0;
        let mut w = s.walk();
        for ch in s.children(&mut w) {
            if ch.kind() == ":" {
                idx += 1;
                if idx >= 2 {
                    out.push(None);
                }
                continue;
            }
            if ch.is_named() {
                let v = self.eval(ch, env);
                let k = match v.konst {
                    Some(K::Int(i)) => Some(i),
                    _ => return vec![],
                };
                if idx < out.len() {
                    out[idx] = k;
                }
            }
        }
        out
    }

    pub(super) fn eval_string(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let mut out = Val {
            kind: Kind::Str,
            ..Val::default()
        };
        let mut s = String::new();
        let mut has_interp = false;
        let mut prefix_done = false;
        for ch in named(n) {
            match ch.kind() {
                "string_content" | "escape_sequence" => {
                    s.push_str(self.text(ch));
                }
                "interpolation" => {
                    has_interp = true;
                    if let Some(e) = ch.child_by_field_id(*field::EXPRESSION) {
                        let v = self.eval(e, env);
                        // the constant start goes on through clean values (`\u{1}` stands for them)
                        if !prefix_done {
                            if v.is_tainted() {
                                out.prefix = Some(s.as_str().into());
                                prefix_done = true;
                            } else {
                                match &v.konst {
                                    Some(K::Str(k)) => s.push_str(k),
                                    _ => s.push('\u{1}'),
                                }
                            }
                        }
                        out.t = join_t(&out.t, &v.all());
                    }
                }
                _ => {}
            }
        }
        if !has_interp {
            out.prefix = Some(s.as_str().into());
            out.konst = Some(K::Str(s.into()));
        } else if !prefix_done {
            out.prefix = Some(s.as_str().into());
        }
        out
    }

    pub(super) fn eval_binary(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let l = n
            .child_by_field_id(*field::LEFT)
            .map(|x| self.eval(x, env))
            .unwrap_or_default();
        let r = n
            .child_by_field_id(*field::RIGHT)
            .map(|x| self.eval(x, env))
            .unwrap_or_default();
        let op = n
            .child_by_field_id(*field::OPERATOR)
            .map(|o| self.text(o))
            .unwrap_or("");
        combine(&l, &r, op)
    }

    pub(super) fn eval_compare(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let operands = named(n);
        let vals: Vec<Val> = operands.iter().map(|o| self.eval(*o, env)).collect();
        let ops = self.operators(n);
        if vals.len() == 2 && ops.len() == 1 {
            let (a, b) = (&vals[0], &vals[1]);
            let r = match (&a.konst, &b.konst, ops[0].as_str()) {
                (Some(x), Some(y), "==") => Some(x == y),
                (Some(x), Some(y), "!=") => Some(x != y),
                (Some(K::Int(x)), Some(K::Int(y)), op) => match op {
                    "<" => Some(x < y),
                    "<=" => Some(x <= y),
                    ">" => Some(x > y),
                    ">=" => Some(x >= y),
                    _ => None,
                },
                (Some(K::Str(x)), Some(K::Str(y)), "in") => Some(y.contains(&**x)),
                (Some(K::Str(x)), Some(K::Str(y)), "not in") => Some(!y.contains(&**x)),
                (Some(x), None, op @ ("in" | "not in")) => {
                    // membership in a literal collection of constants
                    match (&b.parts, &b.t) {
                        (Some(p), None) if p.values().all(|v| v.konst.is_some()) => {
                            let found = p.values().any(|v| v.konst.as_ref() == Some(x));
                            Some(if op == "in" { found } else { !found })
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some(r) = r {
                return Val::konst(K::Bool(r));
            }
        }
        Val::clean()
    }

    // ---------------------------------------------------------------- calls
}
