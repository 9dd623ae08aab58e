//! Phase 1 of the cross-module analysis: a summary of each top-level function and method of a file, made by
//! running the interpreter over its body with its parameters as the only sources that count, and recording
//! which parameters reach a sink, the return value, or a call into another module.

use super::*;
use crate::finding::{FlowStep, Location};
use crate::sast::field;
use crate::sast::taint::summary::*;
use crate::text::LineIndex;

/// Functions with larger bodies get no summary (generated code; calls to them propagate as unknown calls).
const MAX_BODY: usize = 20_000;
/// Runs per function: a run taints the parameters not yet seen to flow anywhere (a join keeps one source
/// per value, so one run may hide a second parameter behind the first).
const MAX_RUNS: usize = 2;

/// The state of one summary run.
pub(super) struct Run {
    /// Parameter name ranges, by parameter number.
    params: Vec<(usize, usize)>,
    names: Vec<String>,
    function: String,
    sinks: Vec<ParamSink>,
    calls: Vec<ParamCall>,
}

impl Run {
    fn param_of(&self, r: (usize, usize)) -> Option<usize> {
        self.params.iter().position(|p| *p == r)
    }
}

/// Summarize the top-level functions and methods of a parsed file (all, or those `only` names).
#[allow(clippy::too_many_arguments)]
pub fn summarize(
    c: &Compiled,
    tree: &Tree,
    source: &str,
    imports: &Imports,
    rel: &str,
    module: String,
    package: bool,
    only: Option<&std::collections::BTreeSet<String>>,
) -> ModuleSummary {
    let (mut cx, _) = Cx::new(c, tree, source, imports);
    cx.summ_index = Some(Rc::new(LineIndex::new(source)));
    cx.summ_path = rel.into();
    let mut out = ModuleSummary {
        module,
        path: rel.to_string(),
        package,
        ..ModuleSummary::default()
    };
    if package {
        // what a package re-exports: `from .db import run_query`
        for (local, q) in imports.bindings() {
            if q.contains('.') && q.rsplit('.').next() == Some(local) {
                out.reexports.insert(local.to_string(), q.to_string());
            }
        }
    }
    for (name, f) in top_functions(tree.root_node(), cx.src) {
        if out.functions.len() >= MAX_FUNCTIONS {
            break;
        }
        let class = name.split('.').next().unwrap_or(&name);
        if only.is_some_and(|o| !o.contains(&name) && !o.contains(class)) {
            continue;
        }
        if let Some(s) = cx.summarize_function(f, &name) {
            out.functions.insert(name, s);
        }
    }
    out
}

/// Module-level functions (`f`) and methods of module-level classes (`C.m`), in document order.
fn top_functions<'t>(root: Node<'t>, src: &[u8]) -> Vec<(String, Node<'t>)> {
    let def = |n: Node<'t>| -> Option<Node<'t>> {
        match n.kind() {
            "decorated_definition" => n.child_by_field_id(*field::DEFINITION),
            _ => Some(n),
        }
    };
    let name = |n: Node| {
        n.child_by_field_id(*field::NAME)
            .and_then(|x| x.utf8_text(src).ok())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for top in named(root).into_iter().filter_map(def) {
        match top.kind() {
            "function_definition" => {
                if let Some(n) = name(top) {
                    out.push((n, top));
                }
            }
            "class_definition" => {
                let (Some(class), Some(body)) = (name(top), top.child_by_field_id(*field::BODY))
                else {
                    continue;
                };
                for m in named(body).into_iter().filter_map(def) {
                    if m.kind() == "function_definition" {
                        if let Some(n) = name(m) {
                            out.push((format!("{class}.{n}"), m));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

impl<'a, 't> Cx<'a, 't> {
    fn summarize_function(&mut self, f: Node<'t>, name: &str) -> Option<FnSummary> {
        let body = f.child_by_field_id(*field::BODY)?;
        if body.end_byte() - body.start_byte() > MAX_BODY || self.text(body).contains("yield") {
            return None;
        }
        let mut params: Vec<(String, Node<'t>)> = Vec::new();
        for p in f
            .child_by_field_id(*field::PARAMETERS)
            .map(named)
            .unwrap_or_default()
        {
            let nn = match p.kind() {
                "identifier" => Some(p),
                "typed_parameter" => named(p).into_iter().find(|x| x.kind() == "identifier"),
                "default_parameter" | "typed_default_parameter" => {
                    p.child_by_field_id(*field::NAME)
                }
                _ => None,
            };
            let Some(nn) = nn.filter(|x| x.kind() == "identifier") else {
                continue;
            };
            let pname = self.text(nn).to_string();
            if pname == "self" || pname == "cls" {
                continue;
            }
            params.push((pname, nn));
        }
        let mut out = FnSummary {
            params: params.iter().map(|p| p.0.clone()).collect(),
            ..FnSummary::default()
        };
        let mut pending: Vec<usize> = (0..params.len()).collect();
        for _ in 0..MAX_RUNS {
            let mut env = Env::new();
            for (i, (pname, nn)) in params.iter().enumerate() {
                let v = if pending.contains(&i) {
                    Val::tainted(Some(Rc::new(Taint {
                        label: pname.as_str().into(),
                        what: "Parameter".into(),
                        range: range(*nn),
                        severity: None,
                        sets: u32::MAX,
                        steps: Rc::new(Vec::new()),
                        san: Rc::new(Vec::new()),
                    })))
                } else {
                    Val::default()
                };
                env.insert(pname.clone(), v);
            }
            self.summ = Some(Run {
                params: params.iter().map(|p| range(p.1)).collect(),
                names: out.params.clone(),
                function: name.to_string(),
                sinks: Vec::new(),
                calls: Vec::new(),
            });
            self.seen.clear();
            self.loops.clear();
            self.clean_call_cache.clear();
            self.returns.push(None);
            self.exec_block(body, &mut env);
            let ret = self.returns.pop().flatten();
            let run = self.summ.take()?;
            let mut found: Vec<usize> = Vec::new();
            for s in run.sinks {
                found.push(s.param);
                if out.sinks.len() < MAX_ENTRIES
                    && !out
                        .sinks
                        .iter()
                        .any(|x| x.param == s.param && x.rule == s.rule)
                {
                    out.sinks.push(s);
                }
            }
            for c in run.calls {
                found.push(c.param);
                if out.calls.len() < MAX_ENTRIES && !out.calls.contains(&c) {
                    out.calls.push(c);
                }
            }
            if let Some(v) = ret {
                let string = v.kind == Kind::Str;
                if let Some(t) = v.all() {
                    let clean_for = self.clean_for(&t);
                    match run.params.iter().position(|p| *p == t.range) {
                        Some(p) => {
                            found.push(p);
                            if !out.returns.iter().any(|r| r.param == p) {
                                out.returns.push(ParamReturn {
                                    param: p,
                                    clean_for,
                                    string,
                                    through: self.split_steps(&t).1,
                                });
                            }
                        }
                        None if out.source.is_none() => {
                            let mut steps =
                                vec![self
                                    .flow_step(t.range, format!("{} from `{}`", t.what, t.label))];
                            steps.extend(
                                t.steps
                                    .iter()
                                    .map(|s| self.flow_step((s.0, s.1), s.2.clone())),
                            );
                            out.source = Some(ReturnSource {
                                label: t.label.to_string(),
                                what: t.what.to_string(),
                                sets: t.sets,
                                severity: t.severity,
                                clean_for,
                                string,
                                steps,
                            });
                        }
                        None => {}
                    }
                }
            }
            pending.retain(|p| !found.contains(p));
            if pending.is_empty() || found.is_empty() {
                break;
            }
        }
        out.returns.sort_by_key(|r| r.param);
        Some(out)
    }

    /// The rules a taint is clean for (the sanitizers and guards it went through).
    fn clean_for(&self, t: &Taint) -> Vec<String> {
        self.c
            .rules
            .iter()
            .filter(|r| t.san.contains(&r.self_id))
            .map(|r| r.id.clone())
            .collect()
    }

    fn flow_step(&self, r: (usize, usize), message: String) -> FlowStep {
        let pos = |b: usize| match &self.summ_index {
            Some(ix) => ix.position(b),
            None => (1, 1),
        };
        let (start_line, start_column) = pos(r.0);
        let (end_line, end_column) = pos(r.1.max(r.0));
        FlowStep {
            location: Location {
                path: self.summ_path.to_string(),
                start_line,
                start_column,
                end_line,
                end_column,
            },
            message,
        }
    }

    /// The steps of a parameter's taint up to `to` (the sink or the call), in this file, and the calls into
    /// other modules it went through.
    fn param_steps(
        &self,
        run: &Run,
        p: usize,
        t: &Taint,
        to: (usize, usize),
        last: String,
    ) -> (Vec<FlowStep>, Vec<Through>) {
        let mut steps = vec![self.flow_step(
            t.range,
            format!("parameter `{}` of `{}()`", run.names[p], run.function),
        )];
        let (more, through) = self.split_steps(t);
        steps.extend(more);
        steps.push(self.flow_step(to, last));
        (steps, through)
    }

    /// A taint's steps as flow steps, and the calls into other modules among them (marked by
    /// [`Cx::summary_call`]).
    fn split_steps(&self, t: &Taint) -> (Vec<FlowStep>, Vec<Through>) {
        let mut steps = Vec::new();
        let mut through = Vec::new();
        for (a, b, label) in t.steps.iter() {
            match parse_mark(label) {
                Some(th) => {
                    steps.push(self.flow_step((*a, *b), format!("through `{}()`", th.callee)));
                    through.push(th);
                }
                None => steps.push(self.flow_step((*a, *b), label.clone())),
            }
        }
        (steps, through)
    }

    /// A sink reached while summarizing: recorded when the data is a parameter's.
    pub(super) fn summary_sink(
        &mut self,
        r: usize,
        s: usize,
        t: &Taint,
        sink: Node,
        callee: &str,
    ) -> bool {
        let Some(run) = &self.summ else { return false };
        let Some(p) = run.param_of(t.range) else {
            return false;
        };
        let rule = &self.c.rules[r];
        if t.san.contains(&rule.self_id) {
            return false;
        }
        if run.sinks.iter().any(|x| x.param == p && x.rule == rule.id) {
            return true;
        }
        let spec = &rule.sinks[s];
        let kind = spec.label.clone().unwrap_or_else(|| rule.sink_kind.clone());
        let shown = if callee == "return" {
            "the response returned by the view".to_string()
        } else {
            format!("`{}`", callee.trim_start_matches("?."))
        };
        let (steps, through) =
            self.param_steps(run, p, t, range(sink), format!("reaches {kind} in {shown}"));
        let snippet = match &self.summ_index {
            Some(ix) => crate::text::clip(ix.line_text(ix.line_of(sink.start_byte())), 200),
            None => String::new(),
        };
        let ps = ParamSink {
            snippet,
            param: p,
            rule: rule.id.clone(),
            kind,
            callee: callee.trim_start_matches("?.").to_string(),
            severity: spec.severity,
            steps,
            through,
        };
        if let Some(run) = &mut self.summ {
            run.sinks.push(ps);
        }
        true
    }

    /// A call to a name an import binds, with a parameter's data as an argument: recorded, so that phase 2
    /// can follow it when that module is in the tree. The value of the call carries its positional
    /// parameter arguments with a mark of the call (see [`Through`]).
    pub(super) fn summary_call(
        &mut self,
        n: Node,
        f: Node,
        callee: &str,
        pos: &[(Node<'t>, Val)],
        kw: &[(String, Node<'t>, Val)],
        env: &Env,
    ) -> Option<Val> {
        let run = self.summ.as_ref()?;
        if callee.starts_with('?') {
            return None;
        }
        let root = self.root_ident(f).map(|r| self.text(r))?;
        if env.contains_key(root) || self.imports.binding(root).is_none() {
            return None;
        }
        let mut value: T = None;
        let mut out = Vec::new();
        let args = pos
            .iter()
            .enumerate()
            .map(|(i, p)| (Some(i), None, &p.1))
            .chain(kw.iter().map(|k| (None, Some(k.0.clone()), &k.2)));
        for (arg, keyword, v) in args {
            let Some(t) = v.all() else { continue };
            let Some(p) = run.param_of(t.range) else {
                continue;
            };
            if let Some(i) = arg {
                let mark = Some(t.clone());
                value = join_t(
                    &value,
                    &add_step(&mark, range(n), format!("{MARK}{i}{MARK}{callee}")),
                );
            }
            if run.calls.len() + out.len() >= MAX_ENTRIES {
                continue;
            }
            let (steps, _) =
                self.param_steps(run, p, &t, range(n), format!("passed to `{callee}()`"));
            out.push(ParamCall {
                param: p,
                callee: callee.to_string(),
                arg,
                keyword,
                clean_for: self.clean_for(&t),
                steps,
            });
        }
        if let Some(run) = &mut self.summ {
            run.calls.extend(out);
        }
        value.map(|t| Val::tainted(Some(t)))
    }
}

/// The label prefix of a step that marks a call into another module: `MARK arg MARK callee`.
const MARK: char = '\u{1}';

fn parse_mark(label: &str) -> Option<Through> {
    let rest = label.strip_prefix(MARK)?;
    let (arg, callee) = rest.split_once(MARK)?;
    Some(Through {
        callee: callee.to_string(),
        arg: arg.parse().ok()?,
    })
}
