//! Phase 2 of the cross-module analysis: a call to a function of another module of the tree is replaced by
//! that function's summary. Tainted arguments that reach a sink there become findings whose path goes on in
//! the other file; parameters that come back make the result tainted; a function that returns input is a
//! source.

use super::*;
use crate::finding::FlowStep;
use crate::sast::taint::project::{Found, MAX_HOPS};
use crate::sast::taint::summary::{FnSummary, ModuleSummary, Through};

/// A sink reached in another module: the rule, and the steps there.
struct Reached {
    rule: String,
    kind: String,
    callee: String,
    severity: Option<Severity>,
    clean_for: Vec<String>,
    steps: Vec<FlowStep>,
    snippet: String,
}

impl<'a, 't> Cx<'a, 't> {
    /// The value of a call to another module's function, when the tree has that module; `None` otherwise.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn xmod_call(
        &mut self,
        n: Node<'t>,
        f: Node<'t>,
        callee: &str,
        typed: Option<&str>,
        pos: &[(Node<'t>, Val)],
        kw: &[(String, Node<'t>, Val)],
        splat: &T,
        env: &Env,
    ) -> Option<Val> {
        let x = self.xmod?;
        if callee.starts_with('?') && typed.is_none() {
            return None;
        }
        let root = self.root_ident(f).map(|r| self.text(r)).unwrap_or("");
        let bound = !env.contains_key(root) && self.imports.binding(root).is_some();
        let found = bound
            .then(|| x.lookup(callee))
            .flatten()
            .or_else(|| typed.and_then(|t| x.lookup(t)))
            .or_else(|| {
                // `from app.db import *`
                (f.kind() == "identifier" && !env.contains_key(root))
                    .then(|| {
                        self.imports
                            .star_modules()
                            .iter()
                            .find_map(|m| x.lookup(&format!("{m}.{callee}")))
                    })
                    .flatten()
            })?;
        let arg = |fs: &FnSummary, i: usize| -> T {
            let name = fs.params.get(i)?;
            let v = kw
                .iter()
                .find(|k| &k.0 == name)
                .map(|k| k.2.all())
                .or_else(|| pos.get(i).map(|p| p.1.all()))
                .flatten();
            join_t(&v, splat)
        };
        // the callee as written (`backup.archive`), not as resolved (`.services.backup.archive`)
        let shown = crate::text::clip(self.text(f), 60);
        // sinks, in the function or further on
        let mut reached: Vec<(Rc<Taint>, Reached)> = Vec::new();
        for i in 0..found.f.params.len() {
            let Some(t) = arg(found.f, i) else { continue };
            let mut out = Vec::new();
            let mut visited = Vec::new();
            collect(
                x,
                &found,
                i,
                Vec::new(),
                Vec::new(),
                0,
                &mut visited,
                &mut out,
            );
            reached.extend(out.into_iter().map(|r| (t.clone(), r)));
        }
        for (t, r) in reached {
            self.report_remote(&t, r, n, &shown, &found);
        }
        // the value
        let mut result: T = None;
        let mut string = false;
        for pr in &found.f.returns {
            let Some(clean) = through_clean(x, found.module, &pr.through, 0) else {
                continue;
            };
            if let Some(t) = arg(found.f, pr.param) {
                let mut t = Some(t);
                for id in pr.clean_for.iter().chain(&clean) {
                    if let Some(sid) = self.c.san_ids.get(&format!("@{id}")) {
                        t = add_san(&t, *sid);
                    }
                }
                result = join_t(&result, &t);
                string |= pr.string;
            }
        }
        if let Some(s) = &found.f.source {
            let mut san: Vec<SanId> = s
                .clean_for
                .iter()
                .filter_map(|id| self.c.san_ids.get(&format!("@{id}")).copied())
                .collect();
            san.sort_unstable();
            let t = Some(Rc::new(Taint {
                label: format!("{} (returned by `{shown}()`)", s.label).into(),
                what: s.what.as_str().into(),
                range: range(n),
                severity: s.severity,
                sets: s.sets,
                steps: Rc::new(Vec::new()),
                san: Rc::new(san),
            }));
            result = join_t(&result, &t);
            string |= s.string;
        }
        if result.is_some() {
            result = add_step(
                &result,
                range(n),
                format!("returned by `{shown}()` ({})", found.module.path),
            );
        }
        Some(Val {
            t: result,
            kind: if string { Kind::Str } else { Kind::Unknown },
            ..Val::default()
        })
    }

    /// A finding at a call whose argument reaches a sink in another module.
    fn report_remote(&mut self, t: &Taint, r: Reached, call: Node, shown: &str, found: &Found) {
        let Some(ri) = self.c.rules.iter().position(|x| x.id == r.rule) else {
            return;
        };
        let rule = &self.c.rules[ri];
        if t.sets & rule.src_mask == 0
            || t.san.contains(&rule.self_id)
            || r.clean_for.contains(&rule.id)
        {
            return;
        }
        if !self.seen.insert((ri, call.start_byte(), call.end_byte())) {
            return;
        }
        let sink = r.steps.last().map(|s| s.location.clone());
        let at = sink
            .as_ref()
            .map(|l| format!("{}:{}", l.path, l.start_line))
            .unwrap_or_default();
        let message = format!(
            "{} from `{}` (line {}) reaches {} in `{}` ({at}) through `{shown}()` (line {})",
            t.what,
            t.label,
            self.line(t.range.0),
            r.kind,
            r.callee,
            self.line(call.start_byte())
        );
        let steps = t.path_to(
            (call.start_byte(), call.end_byte()),
            format!("passed to `{shown}()` ({})", found.module.path),
        );
        let severity_override = match (t.severity, r.severity) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.hits.push(TaintHit {
            rule_id: rule.id.clone(),
            sink_start_byte: call.start_byte(),
            sink_end_byte: call.end_byte(),
            message,
            steps,
            severity_override,
            remote: r.steps,
            remote_snippet: Some(r.snippet),
            template: None,
        });
    }
}

/// The sinks parameter `param` of `found` reaches, in it or in the functions of other modules it passes the
/// parameter on to (`MAX_HOPS` deep; `visited` stops cycles).
#[allow(clippy::too_many_arguments)]
fn collect(
    x: &XMod,
    found: &Found,
    param: usize,
    before: Vec<FlowStep>,
    clean_before: Vec<String>,
    depth: usize,
    visited: &mut Vec<(String, String, usize)>,
    out: &mut Vec<Reached>,
) {
    let key = (found.module.module.clone(), found.name.to_string(), param);
    if depth > MAX_HOPS || visited.contains(&key) || out.len() >= 32 {
        return;
    }
    visited.push(key);
    for s in found.f.sinks.iter().filter(|s| s.param == param) {
        let Some(mut clean) = through_clean(x, found.module, &s.through, 0) else {
            continue;
        };
        clean.extend(clean_before.iter().cloned());
        let mut steps = before.clone();
        steps.extend(s.steps.iter().cloned());
        out.push(Reached {
            rule: s.rule.clone(),
            kind: s.kind.clone(),
            callee: s.callee.clone(),
            severity: s.severity,
            clean_for: clean,
            steps,
            snippet: s.snippet.clone(),
        });
    }
    for c in found.f.calls.iter().filter(|c| c.param == param) {
        let Some(next) = x.lookup_from(&c.callee, found.module) else {
            continue;
        };
        let p = match (&c.keyword, c.arg) {
            (Some(k), _) => next.f.params.iter().position(|n| n == k),
            (None, Some(i)) => Some(i),
            _ => None,
        };
        let Some(p) = p.filter(|p| *p < next.f.params.len()) else {
            continue;
        };
        let mut steps = before.clone();
        steps.extend(c.steps.iter().cloned());
        let mut clean = clean_before.clone();
        clean.extend(c.clean_for.iter().cloned());
        collect(x, &next, p, steps, clean, depth + 1, visited, out);
    }
}

/// What comes out of the calls into other modules that data went through (`through`, named in module `m`):
/// `None` when one of them does not return it, else the rules it is clean for on the way. A function the
/// tree does not have passes its argument on.
fn through_clean(
    x: &XMod,
    m: &ModuleSummary,
    through: &[Through],
    depth: usize,
) -> Option<Vec<String>> {
    let mut clean = Vec::new();
    for th in through {
        let Some(f) = x.lookup_from(&th.callee, m) else {
            continue;
        };
        if depth >= MAX_HOPS {
            continue;
        }
        let r = f.f.returns.iter().find(|r| r.param == th.arg)?;
        clean.extend(r.clean_for.iter().cloned());
        clean.extend(through_clean(x, f.module, &r.through, depth + 1)?);
    }
    Some(clean)
}
