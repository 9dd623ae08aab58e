//! Sinks: checking the arguments of a call against the rule table, route returns, and turning a tainted
//! value into a finding with its path from source to sink.

use super::*;

impl<'a, 't> Cx<'a, 't> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_sink(
        &mut self,
        r: usize,
        s: usize,
        call: Node,
        callee: &str,
        recv: Option<&Val>,
        pos: &[(Node<'t>, Val)],
        kw: &[(String, Node<'t>, Val)],
        splat: &T,
    ) -> bool {
        let spec = &self.c.rules[r].sinks[s];
        let kwv = |name: &str| kw.iter().find(|k| k.0 == name);
        let is_true_lit =
            |n: Node| !matches!(self.text(n).trim(), "False" | "None" | "0" | "''" | "\"\"");
        if let Some(k) = &spec.when_keyword_true {
            match kwv(k) {
                Some((_, node, _)) if is_true_lit(*node) => {}
                _ => return false,
            }
        }
        if let Some(k) = &spec.unless_keyword_true {
            if let Some((_, node, _)) = kwv(k) {
                if is_true_lit(*node) {
                    return false;
                }
            }
        }
        for (k, safe) in &spec.unless_keyword_in {
            // a key that is a number names a positional argument
            let node = match k.parse::<usize>() {
                Ok(i) => pos.get(i).map(|p| p.0),
                Err(_) => kwv(k).map(|x| x.1),
            };
            if let Some(node) = node {
                let name = dotted_name(node, self.src)
                    .map(|d| self.imports.resolve(&d))
                    .unwrap_or_default();
                if safe
                    .iter()
                    .any(|x| *x == name || name.ends_with(&format!(".{x}")))
                {
                    return false;
                }
            }
        }
        let mut vals: Vec<&Val> = Vec::new();
        let shell_program = spec.shell_args
            && pos
                .first()
                .is_some_and(|p| matches!(&p.1.konst, Some(K::Str(s)) if is_shell_program(s)));
        if spec.all_args || shell_program {
            vals.extend(pos.iter().map(|p| &p.1));
            vals.extend(kw.iter().map(|k| &k.2));
        }
        for &i in &spec.args {
            if let Some(p) = pos.get(i) {
                vals.push(&p.1);
            }
        }
        for k in &spec.keywords {
            if let Some(x) = kwv(k) {
                vals.push(&x.2);
            }
        }
        if spec.receiver {
            if let Some(rv) = recv {
                vals.push(rv);
            }
        }
        let mut t: T = None;
        for v in vals {
            if spec.strings_only && v.kind != Kind::Str {
                continue;
            }
            if spec.safe_if_fixed_prefix && v.prefix.as_deref().map(fixed_prefix).unwrap_or(false) {
                continue;
            }
            let vt = if spec.first_element {
                match &v.parts {
                    Some(p) => {
                        // a shell anywhere in the argv (`sh -c`, `env bash -lc`, `sudo sh -c`): every
                        // element matters; otherwise only the program
                        let shell = p
                            .values()
                            .any(|f| matches!(&f.konst, Some(K::Str(s)) if is_shell_program(s)));
                        match p.get("0") {
                            Some(first) if !shell => first.all(),
                            _ => v.all(),
                        }
                    }
                    None => v.all(),
                }
            } else {
                v.all()
            };
            t = join_t(&t, &vt);
        }
        if spec.all_args {
            t = join_t(&t, splat);
        }
        match t {
            Some(t) => self.report(r, s, &t, call, callee),
            None => false,
        }
    }

    pub(super) fn check_route_return(
        &mut self,
        stmt: Node<'t>,
        e: Node<'t>,
        v: &Val,
        env: &mut Env,
    ) {
        // `return body, 200` → the body
        let v = if matches!(e.kind(), "expression_list" | "tuple") {
            match named(e).into_iter().next() {
                Some(first) => self.eval(first, env),
                None => return,
            }
        } else {
            v.clone()
        };
        if !matches!(v.kind, Kind::Str | Kind::Unknown) || v.obj.is_some() {
            return;
        }
        let Some(t) = v.all() else { return };
        for (r, s) in self.c.sinks_return.clone() {
            self.report(r, s, &t, stmt, "return");
        }
    }

    pub(super) fn report(
        &mut self,
        r: usize,
        s: usize,
        t: &Taint,
        sink: Node,
        callee: &str,
    ) -> bool {
        let rule = &self.c.rules[r];
        if self.summ.is_some() {
            return self.summary_sink(r, s, t, sink, callee);
        }
        if t.sets & rule.src_mask == 0 {
            return false;
        }
        if t.san.contains(&rule.self_id) {
            return false;
        }
        let spec = &rule.sinks[s];
        let key = (r, sink.start_byte(), sink.end_byte());
        if !self.seen.insert(key) {
            return true;
        }
        let kind = spec.label.clone().unwrap_or_else(|| rule.sink_kind.clone());
        let shown = if callee == "return" {
            "the response returned by the view".to_string()
        } else {
            format!("`{}`", callee.trim_start_matches("?."))
        };
        let message = format!(
            "{} from `{}` (line {}) reaches {} in {} (line {})",
            t.what,
            t.label,
            self.line(t.range.0),
            kind,
            shown,
            self.line(sink.start_byte())
        );
        let steps = t.path_to(
            (sink.start_byte(), sink.end_byte()),
            format!("reaches {kind} in {shown}"),
        );
        let severity_override = match (t.severity, spec.severity) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.hits.push(TaintHit {
            rule_id: rule.id.clone(),
            sink_start_byte: sink.start_byte(),
            sink_end_byte: sink.end_byte(),
            message,
            steps,
            severity_override,
            remote: Vec::new(),
            remote_snippet: None,
            template: None,
        });
        true
    }
}
