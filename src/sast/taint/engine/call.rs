//! Call resolution: callee names through imports, sources and sanitizers by call, propagation through
//! known and unknown calls, and same-file functions evaluated with the caller's arguments.

use super::*;
use crate::sast::field;

impl<'a, 't> Cx<'a, 't> {
    /// The dotted name a call's function resolves to; `?.method` when the receiver is not a name.
    pub(super) fn callee_name(&self, f: Node, env: &Env) -> String {
        match f.kind() {
            "identifier" => {
                let t = self.text(f);
                if env.contains_key(t) {
                    t.to_string()
                } else {
                    self.imports.resolve(t)
                }
            }
            "attribute" => match dotted_name(f, self.src) {
                Some(d) => {
                    let root = d.split('.').next().unwrap_or("");
                    if env.contains_key(root) {
                        d
                    } else {
                        self.imports.resolve(&d)
                    }
                }
                None => {
                    let attr = f
                        .child_by_field_id(*field::ATTRIBUTE)
                        .map(|a| self.text(a))
                        .unwrap_or("");
                    format!("?.{attr}")
                }
            },
            _ => "?".to_string(),
        }
    }

    pub(super) fn eval_call(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let Some(f) = n.child_by_field_id(*field::FUNCTION) else {
            return Val::clean();
        };
        let callee = self.callee_name(f, env);
        // receiver
        let (recv, method): (Option<(Node<'t>, Val)>, Option<&str>) = if f.kind() == "attribute" {
            let obj = f.child_by_field_id(*field::OBJECT);
            let m = f.child_by_field_id(*field::ATTRIBUTE).map(|a| self.text(a));
            match obj {
                Some(o) => {
                    let v = self.eval(o, env);
                    (Some((o, v)), m)
                }
                None => (None, m),
            }
        } else {
            if f.kind() != "identifier" {
                self.eval(f, env);
            }
            (None, None)
        };
        // arguments
        let mut pos: Vec<(Node<'t>, Val)> = Vec::new();
        let mut kw: Vec<(String, Node<'t>, Val)> = Vec::new();
        let mut splat: T = None;
        // `**ctx` arguments (a template's context)
        let mut dsplats: Vec<Val> = Vec::new();
        if let Some(args) = n.child_by_field_id(*field::ARGUMENTS) {
            if args.kind() == "generator_expression" {
                let v = self.eval(args, env);
                pos.push((args, v));
            } else {
                for a in named(args) {
                    match a.kind() {
                        "keyword_argument" => {
                            let name = a
                                .child_by_field_id(*field::NAME)
                                .map(|x| self.text(x))
                                .unwrap_or("")
                                .to_string();
                            let v = self.eval(a, env);
                            kw.push((name, a.child_by_field_id(*field::VALUE).unwrap_or(a), v));
                        }
                        "list_splat" | "dictionary_splat" => {
                            // `**ctx`: its keys are kept (a template's context)
                            let inner = named(a)
                                .into_iter()
                                .next()
                                .filter(|_| a.kind() == "dictionary_splat");
                            let v = match inner {
                                Some(i) => self.eval(i, env),
                                None => self.eval(a, env),
                            };
                            splat = join_t(&splat, &v.all());
                            if v.parts.is_some() {
                                dsplats.push(v);
                            }
                        }
                        "comment" => {}
                        _ => {
                            let v = self.eval(a, env);
                            pos.push((a, v));
                        }
                    }
                }
            }
        }
        // sinks, also by the class of the receiver (`client.get` of `client = httpx.Client()`)
        let mut sinks = self.c.sinks_for(&callee);
        if let (Some((o, rv)), Some(m)) = (&recv, method) {
            if let (Some(class), "identifier") = (&rv.class, o.kind()) {
                for x in self.c.sinks_for(&format!("{class}.{m}")) {
                    if !sinks.contains(&x) {
                        sinks.push(x);
                    }
                }
            }
        }
        let mut reported: Vec<SanId> = Vec::new();
        for (r, s) in sinks {
            if self.c.rules[r].sinks[s].template.is_some() {
                self.check_template(r, s, n, f, &pos, &kw, &dsplats);
                continue;
            }
            if self.check_sink(
                r,
                s,
                n,
                &callee,
                recv.as_ref().map(|x| &x.1),
                &pos,
                &kw,
                &splat,
            ) {
                reported.push(self.c.rules[r].self_id);
            }
        }
        // `COLUMNS.get(user, "name")` on a constant table (an ALL_CAPS name this function does not taint):
        // the result is one of the table's values or the default, never the key
        let table_lookup = method == Some("get")
            && recv.as_ref().is_some_and(|(o, v)| {
                o.kind() == "identifier" && is_const_table_name(self.text(*o)) && !v.is_tainted()
            });
        let mut result = if table_lookup {
            pos.get(1)
                .map(|p| p.1.clone())
                .or_else(|| kw.iter().find(|k| k.0 == "default").map(|k| k.2.clone()))
                .unwrap_or_else(Val::clean)
        } else {
            self.call_result(n, f, &callee, method, recv, &pos, &kw, &splat, env)
        };
        for id in reported {
            result.t = add_san(&result.t, id);
        }
        let last = callee
            .rsplit('.')
            .next()
            .unwrap_or(&callee)
            .to_ascii_lowercase();
        // a constructor of an imported class (`httpx.Client()`, `aiohttp.ClientSession()`), or
        // `requests.session()`
        if result.class.is_none()
            && callee.contains('.')
            && !callee.starts_with('?')
            && !env.contains_key(callee.split('.').next().unwrap_or(""))
        {
            let seg = callee.rsplit('.').next().unwrap_or("");
            if seg.starts_with(|c: char| c.is_ascii_uppercase()) {
                result.class = Some(callee.as_str().into());
            } else if callee == "requests.session" {
                result.class = Some("requests.Session".into());
            }
        }
        if is_predicate(&last) {
            let mut ids = Vec::new();
            self.validated_in(n, env, &mut ids);
            if !ids.is_empty() {
                result.validates = Some(Rc::new(ids));
            }
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_result(
        &mut self,
        n: Node<'t>,
        f: Node<'t>,
        callee: &str,
        method: Option<&str>,
        recv: Option<(Node<'t>, Val)>,
        pos: &[(Node<'t>, Val)],
        kw: &[(String, Node<'t>, Val)],
        splat: &T,
        env: &mut Env,
    ) -> Val {
        let c = self.c;
        let args_t = || {
            let mut t = splat.clone();
            for (_, v) in pos {
                t = join_t(&t, &v.all());
            }
            for (_, _, v) in kw {
                t = join_t(&t, &v.all());
            }
            t
        };
        // call sources: input(), os.getenv()
        if let Some(s) = c.call_sources.get(callee) {
            let builtin_shadowed = f.kind() == "identifier" && env.contains_key(self.text(f));
            if !builtin_shadowed {
                let t = Rc::new(Taint {
                    label: self.short(n).into(),
                    what: capitalize(&s.label).into(),
                    range: range(n),
                    severity: s.severity,
                    sets: s.set_bit,
                    steps: Rc::new(Vec::new()),
                    san: Rc::new(Vec::new()),
                });
                return Val {
                    t: Some(t),
                    kind: Kind::Str,
                    ..Val::default()
                };
            }
        }
        if c.clean_calls.contains(callee) {
            // str-like constants survive `str(CONST)`
            return Val::clean();
        }
        // a method of an object whose class is known (`Markup("<b>{}</b>").format(x)`)
        let typed = match (recv.as_ref().and_then(|r| r.1.class.clone()), method) {
            (Some(class), Some(m)) => Some(format!("{class}.{m}")),
            _ => None,
        };
        if let Some(id) = c
            .sanitizer(callee)
            .or_else(|| typed.as_deref().and_then(|t| c.sanitizer(t)))
        {
            let t = join_t(
                &args_t(),
                &recv.as_ref().and_then(|r| join_t(&r.1.all(), &r.1.latent)),
            );
            return Val {
                t: c.sanitize(&t, id),
                kind: Kind::Str,
                ..Val::default()
            };
        }
        // same-file functions: evaluate their body with the arguments (bounded depth)
        if f.kind() == "identifier"
            || (f.kind() == "attribute" && recv.as_ref().map(|r| self.text(r.0)) == Some("self"))
        {
            let name = if f.kind() == "identifier" {
                self.text(f)
            } else {
                method.unwrap_or("")
            };
            let local_var = f.kind() == "identifier" && env.contains_key(name);
            if !local_var && (f.kind() == "attribute" || !callee.contains('.')) {
                if let Some(v) = self.inline_call(name, pos, kw, f.kind() == "attribute") {
                    return v;
                }
            }
        }
        // functions of other modules of the tree: their summaries (phase 2), or a record of the call
        // (phase 1)
        if self.summ.is_some() {
            if let Some(v) = self.summary_call(n, f, callee, pos, kw, env) {
                return v;
            }
        } else if self.xmod.is_some() {
            if let Some(v) = self.xmod_call(n, f, callee, typed.as_deref(), pos, kw, splat, env) {
                return v;
            }
        }
        let arg_origin = pos
            .iter()
            .filter(|p| p.1.is_tainted())
            .map(|p| p.1.origin.clone())
            .next()
            .flatten();
        // `module.function(...)`: a receiver that is a clean global name is a module, not an object
        let module_call = f.kind() == "attribute"
            && recv
                .as_ref()
                .map(|r| !r.1.is_tainted() && r.1.parts.is_none() && r.1.latent.is_none())
                .unwrap_or(false)
            && self
                .root_ident(f)
                .map(|r| !env.contains_key(self.text(r)))
                .unwrap_or(false);
        if let (Some(m), Some((rn, rv)), false) = (method, recv.as_ref(), module_call) {
            // a method of a request object: `request.get_json()` is input, `request.is_secure()` is not
            if let Some(i) = rv.obj {
                if c.obj_sources[i].attrs.contains(m) {
                    let t = relabel(&rv.latent, &self.short(n), range(n));
                    return Val {
                        t,
                        ..Val::default()
                    };
                }
                return Val::clean();
            }
            if c.clean_methods.contains(m) {
                return Val::clean();
            }
            // `l.pop(i)` / `d.pop(k)` on a literal container: remove the part (list indexes shift)
            if m == "pop"
                && matches!(rn.kind(), "identifier" | "attribute")
                && rv.kind == Kind::Container
            {
                if let Some(p) = &rv.parts {
                    let path = self.text(*rn).to_string();
                    let is_list = !p.is_empty() && p.keys().all(|k| k.parse::<usize>().is_ok());
                    let idx = pos.first().map(|a| a.1.konst.clone());
                    let key: Option<String> = if is_list {
                        let n = p
                            .keys()
                            .filter_map(|k| k.parse::<i64>().ok())
                            .max()
                            .unwrap_or(-1)
                            + 1;
                        match idx {
                            None => Some((n - 1).to_string()),
                            Some(Some(K::Int(i))) => {
                                Some((if i < 0 { n.saturating_add(i) } else { i }).to_string())
                            }
                            _ => None,
                        }
                    } else {
                        idx.flatten().as_ref().and_then(key_of)
                    };
                    if let Some(key) = key {
                        let removed = p.get(&key).cloned();
                        let mut np = BTreeMap::new();
                        for (k, v) in p.iter() {
                            if *k == key {
                                continue;
                            }
                            match (is_list, k.parse::<usize>(), key.parse::<usize>()) {
                                (true, Ok(ki), Ok(kr)) if ki > kr => {
                                    np.insert((ki - 1).to_string(), v.clone());
                                }
                                _ => {
                                    np.insert(k.clone(), v.clone());
                                }
                            }
                        }
                        let mut cur = rv.clone();
                        cur.parts = Some(Rc::new(np));
                        env.insert(path, cur);
                        return match removed {
                            Some(v) => v,
                            None => match pos.get(1) {
                                Some(d) => join_val(&Val::tainted(rv.t.clone()), &d.1),
                                None => Val::tainted(rv.t.clone()),
                            },
                        };
                    }
                }
            }
            // container reads with constant keys
            if matches!(m, "get" | "pop" | "setdefault" | "getlist") {
                if let Some(p) = &rv.parts {
                    let k0 = pos
                        .first()
                        .and_then(|a| a.1.konst.as_ref())
                        .and_then(key_of);
                    let k1 = pos.get(1).and_then(|a| a.1.konst.as_ref()).and_then(key_of);
                    if let (Some(a), Some(b)) = (&k0, &k1) {
                        if let Some(v) = p.get(&format!("{a}\u{0}{b}")) {
                            return v.clone();
                        }
                    }
                    if let Some(a) = &k0 {
                        if let Some(v) = p.get(a) {
                            let mut v = v.clone();
                            if m == "get" {
                                if let Some(d) = pos.get(1) {
                                    v = join_val(&v, &d.1);
                                }
                            }
                            return v;
                        }
                        if rv.t.is_none() && !p.keys().any(|k| k.contains('\u{0}')) {
                            return pos.get(1).map(|d| d.1.clone()).unwrap_or_default();
                        }
                    }
                }
            }
            // mutators put their arguments into the receiver
            if c.mutators.contains(m) && matches!(rn.kind(), "identifier" | "attribute") {
                let path = self.text(*rn).to_string();
                let mut cur = env.get(&path).cloned().unwrap_or_else(|| rv.clone());
                let k0 = pos
                    .first()
                    .and_then(|a| a.1.konst.as_ref())
                    .and_then(key_of);
                let k1 = pos.get(1).and_then(|a| a.1.konst.as_ref()).and_then(key_of);
                if m == "set" && pos.len() == 3 && k0.is_some() && k1.is_some() {
                    let mut parts = cur.parts.as_deref().cloned().unwrap_or_default();
                    parts.insert(
                        format!("{}\u{0}{}", k0.unwrap_or_default(), k1.unwrap_or_default()),
                        pos[2].1.clone(),
                    );
                    cur.parts = Some(Rc::new(parts));
                } else if m == "setdefault" && k0.is_some() && pos.len() == 2 {
                    let mut parts = cur.parts.as_deref().cloned().unwrap_or_default();
                    let k = k0.unwrap_or_default();
                    if !parts.contains_key(&k) {
                        parts.insert(k.clone(), pos[1].1.clone());
                        cur.parts = Some(Rc::new(parts));
                    }
                } else if m == "append"
                    && cur.list
                    && cur.t.is_none()
                    && pos.len() == 1
                    && cur.parts.is_some()
                {
                    // appending to a list of known length: the element gets the next index
                    let mut parts = cur.parts.as_deref().cloned().unwrap_or_default();
                    let n = parts.len();
                    parts.insert(n.to_string(), pos[0].1.clone());
                    cur.parts = Some(Rc::new(parts));
                } else if m == "insert" {
                    cur.t = join_t(&cur.all(), &args_t());
                    cur.parts = None;
                } else if m == "update"
                    && pos.len() == 1
                    && pos[0].1.parts.is_some()
                    && pos[0].1.t.is_none()
                {
                    let mut parts = cur.parts.as_deref().cloned().unwrap_or_default();
                    for (k, v) in pos[0].1.parts.as_deref().into_iter().flatten() {
                        parts.insert(k.clone(), v.clone());
                    }
                    cur.parts = Some(Rc::new(parts));
                    for (name, _, v) in kw {
                        parts_insert(&mut cur, name.clone(), v.clone());
                    }
                } else {
                    let t = args_t();
                    if t.is_some() {
                        cur.t =
                            add_step(&join_t(&cur.t, &t), range(n), format!("added to `{path}`"));
                    }
                }
                if cur.kind == Kind::Unknown {
                    cur.kind = Kind::Container;
                }
                env.insert(path, cur);
                return Val::clean();
            }
            // str.format with {0[key]} fields
            if m == "format" {
                if let Some(K::Str(fmt)) = &rv.konst {
                    if let Some(t) = format_taint(fmt, pos, kw) {
                        return Val {
                            t: join_t(&t, splat),
                            kind: Kind::Str,
                            prefix: rv.prefix.clone(),
                            ..Val::default()
                        };
                    }
                }
            }
            // quote escaping: x.replace("'", "''")
            if m == "replace" {
                if let Some(K::Str(s)) = pos.first().and_then(|a| a.1.konst.as_ref()) {
                    if s.contains('\'') || s.contains('"') {
                        let t = c.sanitize(&rv.all(), c.guard_id("quote-escape"));
                        return Val {
                            t,
                            kind: Kind::Str,
                            ..Val::default()
                        };
                    }
                }
            }
            let mut t = join_t(&rv.all(), &args_t());
            // a call on a source's own method (request.args.get('x')) is labelled with the call
            if rv.t.as_ref().map(|x| x.range) == Some(range(*rn))
                && rv.t.as_ref().map(|x| x.steps.is_empty()) == Some(true)
            {
                t = relabel(&t, &self.short(n), range(n));
            }
            // a method of something that wraps a request releases its input
            if t.is_none() && rv.latent.is_some() && releases(m) {
                t = relabel(&rv.latent, &self.short(n), range(n));
            }
            let kind = if c.string_methods.contains(m) {
                if matches!(
                    m,
                    "split" | "rsplit" | "splitlines" | "partition" | "rpartition"
                ) {
                    Kind::Container
                } else {
                    Kind::Str
                }
            } else if rv.kind == Kind::Container && matches!(m, "get" | "pop" | "copy" | "getlist")
            {
                Kind::Unknown
            } else {
                Kind::Object
            };
            let prefix = if kind == Kind::Str && matches!(m, "format" | "strip" | "rstrip") {
                rv.prefix.clone()
            } else {
                None
            };
            let origin = if rv.is_tainted() {
                rv.origin.clone()
            } else {
                arg_origin
            };
            return Val {
                t,
                kind,
                origin,
                prefix,
                ..Val::default()
            };
        }
        let kind = if c.string_calls.contains(callee) {
            Kind::Str
        } else {
            Kind::Object
        };
        let t = args_t();
        let mut latent: T = recv.as_ref().and_then(|r| r.1.latent.clone());
        for (_, v) in pos {
            latent = join_t(&latent, &v.latent);
        }
        for (_, _, v) in kw {
            latent = join_t(&latent, &v.latent);
        }
        Val {
            t,
            latent,
            kind,
            origin: arg_origin,
            ..Val::default()
        }
    }

    pub(super) fn inline_call(
        &mut self,
        name: &str,
        pos: &[(Node<'t>, Val)],
        kw: &[(String, Node<'t>, Val)],
        method: bool,
    ) -> Option<Val> {
        let def = self.fns.get(name)?;
        if def.count != 1 || self.inline_depth >= MAX_INLINE {
            return None;
        }
        let fnode = def.node;
        let body = fnode.child_by_field_id(*field::BODY)?;
        if body.end_byte() - body.start_byte() > 6000 {
            return None;
        }
        let any_tainted =
            pos.iter().any(|p| p.1.is_tainted()) || kw.iter().any(|k| k.2.is_tainted());
        if !any_tainted {
            if let Some(v) = self.clean_call_cache.get(name) {
                return Some(v.clone());
            }
        }
        let mut env = Env::new();
        let params = fnode
            .child_by_field_id(*field::PARAMETERS)
            .map(named)
            .unwrap_or_default();
        let mut i = 0usize;
        let mut skip_self = method;
        for p in params {
            let nn = match p.kind() {
                "identifier" => Some(p),
                "typed_parameter" => named(p).into_iter().find(|x| x.kind() == "identifier"),
                "default_parameter" | "typed_default_parameter" => {
                    p.child_by_field_id(*field::NAME)
                }
                _ => None,
            };
            let Some(nn) = nn else { continue };
            let pname = self.text(nn).to_string();
            if skip_self && (pname == "self" || pname == "cls") {
                skip_self = false;
                continue;
            }
            let v = kw
                .iter()
                .find(|k| k.0 == pname)
                .map(|k| k.2.clone())
                .or_else(|| pos.get(i).map(|a| a.1.clone()))
                .unwrap_or_default();
            i += 1;
            let mut v = v;
            v.origin = None;
            env.insert(pname, v);
        }
        let saved_route = self.route_return;
        let saved_loops = std::mem::take(&mut self.loops);
        self.route_return = false;
        self.inline_depth += 1;
        self.returns.push(None);
        self.exec_block(body, &mut env);
        let r = self
            .returns
            .pop()
            .flatten()
            .unwrap_or_else(|| Val::konst(K::None));
        self.inline_depth -= 1;
        self.route_return = saved_route;
        self.loops = saved_loops;
        let mut r = r;
        r.origin = None;
        if !any_tainted {
            self.clean_call_cache.insert(name.to_string(), r.clone());
        }
        Some(r)
    }
}

/// An ALL_CAPS module-level name (`SORT_COLUMNS`, `ALLOWED`): a constant table by convention.
pub(super) fn is_const_table_name(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
