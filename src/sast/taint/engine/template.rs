//! Template-rendering calls (`render_template("x.html", name=v)`, Django `render(request, "x.html", {...})`,
//! `env.get_template("x.html").render(...)`): one hit per tainted context variable, naming the template and
//! the variable; the job looks into the template for where that variable is written unescaped.

use super::*;
use crate::sast::field;

/// Most context variables looked at in one call.
const MAX_VARS: usize = 256;

impl<'a, 't> Cx<'a, 't> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_template(
        &mut self,
        r: usize,
        s: usize,
        call: Node<'t>,
        f: Node<'t>,
        pos: &[(Node<'t>, Val)],
        kw: &[(String, Node<'t>, Val)],
        dsplats: &[Val],
    ) {
        // summaries follow parameters to sinks in code, not into templates
        if self.summ.is_some() {
            return;
        }
        let rule = &self.c.rules[r];
        let Some(spec) = rule.sinks[s].template.clone() else {
            return;
        };
        let konst = |v: &Val| match &v.konst {
            Some(K::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        let name = if spec.name_from_receiver {
            self.receiver_template(f)
        } else {
            spec.name
                .iter()
                .find_map(|i| pos.get(*i).and_then(|p| konst(&p.1)))
                .or_else(|| {
                    let k = spec.name_keyword.as_deref()?;
                    kw.iter().find(|x| x.0 == k).and_then(|x| konst(&x.2))
                })
        };
        let Some(name) = name.filter(|n| crate::sast::templates::is_template_name(n)) else {
            return;
        };
        let mut vars: Vec<(&str, &Val)> = Vec::new();
        let context = spec
            .context
            .iter()
            .find_map(|i| pos.get(*i).filter(|p| p.1.parts.is_some()).map(|p| &p.1))
            .or_else(|| {
                let k = spec.context_keyword.as_deref()?;
                kw.iter().find(|x| x.0 == k).map(|x| &x.2)
            });
        let mut parts: Vec<&Val> = context.into_iter().collect();
        if spec.kwargs {
            for (k, _, v) in kw {
                if Some(k.as_str()) != spec.name_keyword.as_deref()
                    && Some(k.as_str()) != spec.context_keyword.as_deref()
                {
                    vars.push((k.as_str(), v));
                }
            }
            parts.extend(dsplats.iter());
        }
        for p in parts {
            if let Some(m) = &p.parts {
                vars.extend(m.iter().map(|(k, v)| (k.as_str(), v)));
            }
        }
        let mut hits = Vec::new();
        for (var, v) in vars.into_iter().take(MAX_VARS) {
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let Some(t) = v.all() else { continue };
            if t.sets & rule.src_mask == 0 || t.san.contains(&rule.self_id) {
                continue;
            }
            let message = format!(
                "{} from `{}` (line {}) is passed to template `{name}` as `{var}`",
                t.what,
                t.label,
                self.line(t.range.0),
            );
            let steps = t.path_to(
                (call.start_byte(), call.end_byte()),
                format!("rendered into `{name}` as `{var}`"),
            );
            hits.push(TaintHit {
                rule_id: rule.id.clone(),
                sink_start_byte: call.start_byte(),
                sink_end_byte: call.end_byte(),
                message,
                steps,
                severity_override: t.severity,
                remote: Vec::new(),
                remote_snippet: None,
                template: Some((name.clone(), var.to_string())),
            });
        }
        self.hits.extend(hits);
    }

    /// `x.get_template("a.html").render(...)`: the constant name given to `get_template` (or
    /// `select_template`'s first).
    fn receiver_template(&self, f: Node<'t>) -> Option<String> {
        let obj = f.child_by_field_id(*field::OBJECT)?;
        if obj.kind() != "call" {
            return None;
        }
        let callee = obj.child_by_field_id(*field::FUNCTION)?;
        let t = self.text(callee);
        if !(t.ends_with("get_template") || t.ends_with("select_template")) {
            return None;
        }
        let args = obj.child_by_field_id(*field::ARGUMENTS)?;
        let first = named(args).into_iter().next()?;
        let first = if first.kind() == "list" {
            named(first).into_iter().next()?
        } else {
            first
        };
        if first.kind() != "string" {
            return None;
        }
        let s = self.text(first);
        let q = s.chars().next()?;
        if q != '"' && q != '\'' {
            return None;
        }
        let inner = s.get(1..s.len().checked_sub(1)?)?;
        (!inner.contains(q) && !inner.contains('{')).then(|| inner.to_string())
    }
}
