//! The abstract interpreter behind [`super::analyze`]: the per-file context, the entry point and the walk
//! over function bodies; statements, conditions, expressions, calls and sinks live in the submodules.

use super::project::XMod;
use super::{SinkSpec, TaintHit, TaintRule};
use crate::finding::Severity;
use crate::sast::field;
use crate::sast::imports::Imports;
use crate::sast::pattern::is_shell_program;
use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::OnceLock;
use tree_sitter::{Node, Tree};

mod call;
mod expr;
mod guard;
mod sink;
mod spec;
mod stmt;
mod summarize;
mod template;
mod value;
mod xcall;

use guard::*;
pub use spec::Compiled;
use spec::*;
pub use summarize::summarize;
use value::*;
// ---------------------------------------------------------------------------------------------------------
// The interpreter
// ---------------------------------------------------------------------------------------------------------

/// Nesting of statements and expressions the interpreter follows (real code stays under 30); beyond it a
/// value is unknown. Bounded so that the recursion fits a 2 MiB thread stack even in a debug build.
const MAX_DEPTH: u32 = 64;
const MAX_INLINE: u32 = 2;

struct FnDef<'t> {
    node: Node<'t>,
    count: usize,
}

struct Cx<'a, 't> {
    c: &'a Compiled,
    src: &'a [u8],
    source: &'a str,
    imports: &'a Imports,
    line_starts: Vec<usize>,
    is_flask: bool,
    is_fastapi: bool,
    fns: HashMap<String, FnDef<'t>>,
    hits: Vec<TaintHit>,
    seen: HashSet<(usize, usize, usize)>,
    route_return: bool,
    loops: Vec<Vec<Env>>,
    returns: Vec<Option<Val>>,
    depth: u32,
    inline_depth: u32,
    clean_call_cache: HashMap<String, Val>,
    /// Tainted variables of enclosing scopes, by the start byte of the nested function definition.
    closures: HashMap<usize, Env>,
    /// Phase 2 of the cross-module analysis: the summaries of the tree's modules (calls into them are
    /// followed).
    xmod: Option<&'a XMod<'a>>,
    /// Phase 1: a summary being computed (parameters are followed to sinks, calls and the return).
    summ: Option<summarize::Run>,
    /// While summarizing: the file's path and positions, for the steps a summary keeps.
    summ_path: Rc<str>,
    summ_index: Option<Rc<crate::text::LineIndex<'a>>>,
}

/// Can this file hold a source at all? Most library modules cannot: skip them without a walk.
pub fn might_have_sources(c: &Compiled, source: &str) -> bool {
    let Some(ac) = &c.segment_ac else {
        return c
            .needles
            .iter()
            .any(|segs| segs.iter().all(|s| crate::text::contains_word(source, s)))
            || might_have_input(source);
    };
    // every segment that occurs as a whole word, in one pass
    let b = source.as_bytes();
    // an identifier byte just before `start` or at `end`
    let joined = |start: usize, end: usize| {
        let at = |i: usize| b.get(i).is_some_and(|&x| crate::text::is_ident_byte(x));
        (start > 0 && at(start - 1)) || at(end)
    };
    let mut found = vec![false; c.segments.len()];
    for (start, end, i) in ac.matches(b) {
        if !joined(start, end) {
            found[i] = true;
        }
    }
    let has = |s: &String| c.segments.binary_search(s).is_ok_and(|i| found[i]);
    c.needles.iter().any(|segs| segs.iter().all(has)) || might_have_input(source)
}

/// Can this file hold a web request, a route, a Lambda event or a task's arguments (the sources worth
/// following into other modules; environment variables and `sys.argv` are not)?
pub fn might_have_input(source: &str) -> bool {
    if has_web_needle(source) {
        return true;
    }
    // route handlers: a decorator `@x.route(` / `@x.get(` ... on some line
    source.lines().any(|l| {
        let t = l.trim_start();
        let Some(d) = t.strip_prefix('@') else {
            return false;
        };
        let call = |name: &str, at: usize| d[at + name.len()..].starts_with('(');
        ROUTE_METHODS.iter().any(|m| {
            d.match_indices(m)
                .any(|(i, _)| i > 0 && d.as_bytes()[i - 1] == b'.' && call(m, i))
        }) || TASK_DECORATORS.iter().any(|m| t.contains(m))
            || BARE_ROUTES.iter().any(|m| d.starts_with(m) && call(m, 0))
    }) || source.contains("(event, context)")
        || source.contains("dag_run")
}

/// Texts of request objects and parameters (`request`, `req: Request`, `ws: WebSocket`): `Request` and
/// `WebSocket` anywhere (`HttpRequest`, `RequestHandler`), `request` not followed by more of a name
/// (`requests`, the HTTP client, and `request_id` are not a request object).
fn has_web_needle(source: &str) -> bool {
    source.contains("Request")
        || source.contains("WebSocket")
        || source.match_indices("request").any(|(i, n)| {
            !source
                .as_bytes()
                .get(i + n.len())
                .is_some_and(|&b| crate::text::is_ident_byte(b))
        })
}

/// Decorators of task functions whose arguments come from a message queue (Celery): sources at `low`.
const TASK_DECORATORS: [&str; 3] = [".task", "shared_task", "@task"];

/// Bottle's module-level route decorators (`@route("/hello/<name>")`, `@get(...)`).
const BARE_ROUTES: [&str; 6] = ["route", "get", "post", "put", "delete", "patch"];

/// An AWS Lambda handler: parameters `(event, context)`; `event` is the whole request (API Gateway query
/// and body, SQS/SNS messages, S3 keys).
fn is_lambda_handler(params: &[&str]) -> bool {
    params.len() == 2 && params[0] == "event" && params[1] == "context"
}

pub fn run(
    c: &Compiled,
    tree: &Tree,
    source: &str,
    imports: &Imports,
    xmod: Option<&XMod>,
) -> Vec<TaintHit> {
    if xmod.is_none() && !might_have_sources(c, source) {
        return Vec::new();
    }
    let root = tree.root_node();
    let (mut cx, defs) = Cx::new(c, tree, source, imports);
    cx.xmod = xmod;
    let mut env = Env::new();
    cx.exec_block(root, &mut env);
    for d in defs {
        cx.analyze_function(d);
    }
    let mut hits = cx.hits;
    hits.sort_by(|a, b| {
        (a.sink_start_byte, &a.rule_id, a.sink_end_byte).cmp(&(
            b.sink_start_byte,
            &b.rule_id,
            b.sink_end_byte,
        ))
    });
    hits.dedup_by(|a, b| {
        a.rule_id == b.rule_id
            && a.sink_start_byte == b.sink_start_byte
            && a.sink_end_byte == b.sink_end_byte
            && a.template == b.template
    });
    hits
}

impl<'a, 't> Cx<'a, 't> {
    /// A context for one file, and every function definition in it, in document order.
    fn new(
        c: &'a Compiled,
        tree: &'t Tree,
        source: &'a str,
        imports: &'a Imports,
    ) -> (Self, Vec<Node<'t>>) {
        let src = source.as_bytes();
        let mut line_starts = vec![0usize];
        for (i, b) in src.iter().enumerate() {
            if *b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        let root = tree.root_node();
        let mut cx = Cx {
            c,
            src,
            source,
            imports,
            line_starts,
            is_flask: source.contains("flask") || source.contains("quart"),
            is_fastapi: source.contains("fastapi") || source.contains("starlette"),
            fns: HashMap::new(),
            hits: Vec::new(),
            seen: HashSet::new(),
            route_return: false,
            loops: Vec::new(),
            returns: Vec::new(),
            depth: 0,
            inline_depth: 0,
            clean_call_cache: HashMap::new(),
            closures: HashMap::new(),
            xmod: None,
            summ: None,
            summ_path: "".into(),
            summ_index: None,
        };
        let mut defs = Vec::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if n.kind() == "function_definition" {
                defs.push(n);
            }
            // functions live in statements, never inside expressions: do not walk those
            let mut w = n.walk();
            let children: Vec<Node> = n
                .named_children(&mut w)
                .filter(|c| holds_statements(c.kind()))
                .collect();
            for ch in children.into_iter().rev() {
                stack.push(ch);
            }
        }
        for d in &defs {
            if let Some(name) = d
                .child_by_field_id(*field::NAME)
                .map(|n| cx.text(n).to_string())
            {
                let e = cx.fns.entry(name).or_insert(FnDef { node: *d, count: 0 });
                e.count += 1;
            }
        }
        (cx, defs)
    }
}

/// `a.b.c` for an identifier/attribute chain.
fn dotted_name(node: Node, source: &[u8]) -> Option<String> {
    if node.end_byte() - node.start_byte() > 1000 {
        return None;
    }
    match node.kind() {
        "identifier" => node.utf8_text(source).ok().map(str::to_string),
        "attribute" => {
            let obj = dotted_name(node.child_by_field_id(*field::OBJECT)?, source)?;
            let attr = node
                .child_by_field_id(*field::ATTRIBUTE)?
                .utf8_text(source)
                .ok()?;
            Some(format!("{obj}.{attr}"))
        }
        _ => None,
    }
}

/// Node kinds that can contain a function definition.
fn holds_statements(kind: &str) -> bool {
    matches!(
        kind,
        "module"
            | "block"
            | "function_definition"
            | "class_definition"
            | "decorated_definition"
            | "if_statement"
            | "elif_clause"
            | "else_clause"
            | "for_statement"
            | "while_statement"
            | "try_statement"
            | "except_clause"
            | "except_group_clause"
            | "finally_clause"
            | "with_statement"
            | "match_statement"
            | "case_clause"
            | "ERROR"
    )
}

fn range(n: Node) -> (usize, usize) {
    (n.start_byte(), n.end_byte())
}

fn named(n: Node) -> Vec<Node> {
    let mut w = n.walk();
    n.named_children(&mut w).collect()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

const EXIT_CALLS: [&str; 8] = [
    "abort",
    "flask.abort",
    "sys.exit",
    "exit",
    "quit",
    "os._exit",
    "fastapi.HTTPException",
    "werkzeug.exceptions.abort",
];

const ROUTE_METHODS: [&str; 10] = [
    "route",
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "api_route",
    "head",
    "options",
    "websocket",
];

const CLEAN_ANNOTATIONS: [&str; 16] = [
    "int",
    "float",
    "bool",
    "UUID",
    "uuid.UUID",
    "datetime",
    "date",
    "Decimal",
    "Session",
    "AsyncSession",
    "BackgroundTasks",
    "Response",
    "SecurityScopes",
    "datetime.date",
    "datetime.datetime",
    "HTTPAuthorizationCredentials",
];

impl<'a, 't> Cx<'a, 't> {
    fn text(&self, n: Node) -> &'a str {
        self.source.get(n.start_byte()..n.end_byte()).unwrap_or("")
    }

    fn line(&self, byte: usize) -> usize {
        match self.line_starts.binary_search(&byte) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn short(&self, n: Node) -> String {
        let t = self.text(n);
        let first = t.lines().next().unwrap_or("").trim();
        if first.chars().count() > 60 {
            let s: String = first.chars().take(57).collect();
            format!("{s}...")
        } else if t.contains('\n') {
            format!("{first} ...")
        } else {
            first.to_string()
        }
    }

    // ---------------------------------------------------------------- functions

    fn analyze_function(&mut self, f: Node<'t>) {
        let Some(body) = f.child_by_field_id(*field::BODY) else {
            return;
        };
        let decorators: Vec<Node> = match f.parent() {
            Some(p) if p.kind() == "decorated_definition" => named(p)
                .into_iter()
                .filter(|d| d.kind() == "decorator")
                .collect(),
            _ => Vec::new(),
        };
        let mut is_route = false;
        let mut is_task = false;
        let mut route_text = String::new();
        for d in &decorators {
            if let Some(e) = named(*d).first() {
                let head = match e.kind() {
                    "call" => e.child_by_field_id(*field::FUNCTION),
                    _ => Some(*e),
                };
                if let Some(h) = head {
                    let resolved = dotted_name(h, self.src)
                        .map(|d| self.imports.resolve(&d))
                        .unwrap_or_default();
                    let last = resolved.rsplit('.').next().unwrap_or("");
                    if last == "task" || last == "shared_task" || resolved == "celery.shared_task" {
                        is_task = true;
                    }
                    // Bottle: `from bottle import route` ... `@route("/hello/<name>")`
                    if e.kind() == "call"
                        && resolved.starts_with("bottle.")
                        && BARE_ROUTES.contains(&last)
                    {
                        is_route = true;
                        route_text.push_str(self.text(*e));
                    }
                }
                let callee = if e.kind() == "call" {
                    e.child_by_field_id(*field::FUNCTION)
                } else {
                    None
                };
                if let Some(fun) = callee {
                    if fun.kind() == "attribute" {
                        let attr = fun
                            .child_by_field_id(*field::ATTRIBUTE)
                            .map(|a| self.text(a))
                            .unwrap_or("");
                        if ROUTE_METHODS.contains(&attr) {
                            is_route = true;
                            route_text.push_str(self.text(*e));
                        }
                    }
                }
            }
        }
        // free variables of a nested function: the enclosing scope's values at the definition
        let mut env = self.closures.remove(&f.start_byte()).unwrap_or_default();
        let params = f
            .child_by_field_id(*field::PARAMETERS)
            .map(named)
            .unwrap_or_default();
        let mut positional = 0usize;
        let plain: Vec<&str> = params
            .iter()
            .filter(|p| p.kind() == "identifier")
            .map(|p| self.text(*p))
            .collect();
        let lambda = plain.len() == params.len() && is_lambda_handler(&plain);
        for p in params {
            let (name_node, ann, default) = match p.kind() {
                "identifier" => (Some(p), None, None),
                "typed_parameter" => (
                    named(p).into_iter().find(|x| x.kind() == "identifier"),
                    p.child_by_field_id(*field::TYPE),
                    None,
                ),
                "default_parameter" => (
                    p.child_by_field_id(*field::NAME),
                    None,
                    p.child_by_field_id(*field::VALUE),
                ),
                "typed_default_parameter" => (
                    p.child_by_field_id(*field::NAME),
                    p.child_by_field_id(*field::TYPE),
                    p.child_by_field_id(*field::VALUE),
                ),
                _ => (None, None, None),
            };
            let Some(nn) = name_node else { continue };
            if nn.kind() != "identifier" {
                continue;
            }
            let name = self.text(nn).to_string();
            // a parameter shadows the enclosing scope's variable
            env.remove(&name);
            if name == "self" || name == "cls" {
                continue;
            }
            positional += 1;
            let ann_text = ann.map(|a| self.text(a)).unwrap_or("");
            let default_text = default.map(|d| self.text(d)).unwrap_or("");
            let looks_request = ((name == "request" || name == "req") && positional == 1)
                || ann_text.ends_with("Request")
                || ann_text.ends_with("WebSocket");
            if looks_request
                && !(self.is_flask && ann_text.is_empty() && !self.is_fastapi && is_route)
            {
                if let Some(rp) = self.c.req_param {
                    let set_bit = self.c.obj_sources[rp].set_bit;
                    let t = Rc::new(Taint {
                        label: name.clone().into(),
                        what: "User input".into(),
                        range: range(nn),
                        severity: None,
                        sets: set_bit,
                        steps: Rc::new(Vec::new()),
                        san: Rc::new(Vec::new()),
                    });
                    env.insert(
                        name.clone(),
                        Val {
                            latent: Some(t),
                            obj: Some(rp),
                            kind: Kind::Object,
                            ..Val::default()
                        },
                    );
                }
                continue;
            }
            if (lambda && name == "event") || (is_task && self.c.route_params_bit != 0) {
                if self.c.route_params_bit == 0 {
                    continue;
                }
                let (label, severity) = if lambda {
                    ("Lambda event".to_string(), None)
                } else {
                    (format!("task argument {name}"), Some(Severity::Low))
                };
                let t = Rc::new(Taint {
                    label: label.into(),
                    what: if lambda { "User input" } else { "Queued input" }.into(),
                    range: range(nn),
                    severity,
                    sets: self.c.route_params_bit,
                    steps: Rc::new(Vec::new()),
                    san: Rc::new(Vec::new()),
                });
                env.insert(name, Val::tainted(Some(t)));
                continue;
            }
            if is_route && self.c.route_params_bit != 0 {
                let ann_base = ann_text
                    .trim()
                    .trim_start_matches("Optional[")
                    .trim_end_matches(']');
                let clean_ann = CLEAN_ANNOTATIONS.contains(&ann_base)
                    || ann_text.contains("Depends(")
                    || ann_text.contains("Security(");
                let clean_default = default_text.starts_with("Depends(")
                    || default_text.starts_with("Security(")
                    || default_text.contains(".Depends(");
                let converter_clean = ["int", "float", "uuid"]
                    .iter()
                    .any(|cv| route_text.contains(&format!("<{cv}:{name}>")));
                if clean_ann || clean_default || converter_clean {
                    continue;
                }
                let t = Rc::new(Taint {
                    label: format!("route parameter {name}").into(),
                    what: "User input".into(),
                    range: range(nn),
                    severity: None,
                    sets: self.c.route_params_bit,
                    steps: Rc::new(Vec::new()),
                    san: Rc::new(Vec::new()),
                });
                env.insert(name, Val::tainted(Some(t)));
            }
        }
        self.route_return = is_route && self.is_flask && !self.c.sinks_return.is_empty();
        self.loops.clear();
        self.exec_block(body, &mut env);
        self.route_return = false;
    }

    // ---------------------------------------------------------------- statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_yaml_parses() {
        let c = common();
        assert!(c.sources.contains_key("web"));
        assert!(c.sources.contains_key("env"));
        assert!(c.clean_calls.iter().any(|x| x == "int"));
    }

    #[test]
    fn web_input_is_a_request_object_a_route_a_lambda_or_a_task() {
        for yes in [
            "from flask import request\n",
            "def view(request):\n    pass\n",
            "x = self.request.body\n",
            "async def f(req: Request):\n",
            "class H(tornado.web.RequestHandler):\n",
            "def v(r: HttpRequest): pass\n",
            "async def ws(w: WebSocket): pass\n",
            "@app.get('/x')\ndef f(): pass\n",
            "  @bp.route(\"/a\", methods=['POST'])\n",
            "@get('/hello/<name>')\ndef f(name): pass\n",
            "@shared_task\ndef f(x): pass\n",
            "def handler(event, context):\n",
        ] {
            assert!(might_have_input(yes), "{yes:?}");
        }
        for no in [
            "import requests\nrequests.get(url)\n",
            "request_id = 3\nrequester = None\n",
            "x = d.get('k')\n",
            "@property\ndef get(self): pass\n",
            "@cache.get_or_set('k')\n",
            "@getter\n",
        ] {
            assert!(!might_have_input(no), "{no:?}");
        }
    }

    #[test]
    fn fixed_prefixes() {
        assert!(fixed_prefix("https://api.example.com/v1/"));
        assert!(!fixed_prefix("https://"));
        assert!(!fixed_prefix("http://"));
        assert!(fixed_prefix("/static/"));
        assert!(!fixed_prefix("//"));
        assert!(!fixed_prefix("/"));
        assert!(fixed_prefix("\u{1}/app/v2/"));
        assert!(!fixed_prefix("\u{1}/"));
        assert!(fixed_prefix("https://\u{1}/api/"));
    }

    #[test]
    fn string_slices() {
        assert_eq!(
            slice_str("BenchmarkTest00033", &[Some(13), None]).as_deref(),
            Some("00033")
        );
        assert_eq!(
            slice_str("help", &[Some(4), Some(-17)]).as_deref(),
            Some("")
        );
    }

    #[test]
    fn char_guards() {
        assert_eq!(char_guard(".."), "guard-path");
        assert_eq!(char_guard("'"), "guard-quote");
        assert_eq!(char_guard(";"), "guard-shell");
        assert_eq!(char_guard("<"), "guard-html");
    }
}
