//! The abstract interpreter behind [`super::analyze`].

use super::{SinkSpec, TaintHit, TaintRule};
use crate::finding::Severity;
use crate::sast::imports::Imports;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::OnceLock;
use tree_sitter::{Node, Tree};

// ---------------------------------------------------------------------------------------------------------
// Common data (common.yaml)
// ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Common {
    sources: BTreeMap<String, SourceSet>,
    clean_calls: Vec<String>,
    clean_methods: Vec<String>,
    mutators: Vec<String>,
    string_calls: Vec<String>,
    string_methods: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSet {
    #[serde(default)]
    objects: Vec<ObjSource>,
    #[serde(default)]
    request_parameter: Option<ReqParam>,
    #[serde(default)]
    route_parameters: bool,
    #[serde(default)]
    names: Vec<NamedSource>,
    #[serde(default)]
    calls: Vec<NamedSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjSource {
    name: String,
    #[allow(dead_code)]
    label: String,
    attributes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReqParam {
    #[allow(dead_code)]
    label: String,
    attributes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedSource {
    name: String,
    label: String,
    #[serde(default)]
    severity: Option<Severity>,
}

fn common() -> &'static Common {
    static C: OnceLock<Common> = OnceLock::new();
    C.get_or_init(|| {
        serde_norway::from_str(include_str!("common.yaml"))
            .expect("src/sast/taint/common.yaml is valid (checked by a unit test)")
    })
}

// ---------------------------------------------------------------------------------------------------------
// Compiled rules: one table for all rules
// ---------------------------------------------------------------------------------------------------------

type SanId = u16;

struct CRule {
    id: String,
    sink_kind: String,
    sinks: Vec<SinkSpec>,
    self_id: SanId,
    src_mask: u32,
}

struct ObjSrc {
    attrs: HashSet<String>,
    set_bit: u32,
}

struct NamedSrc {
    label: String,
    severity: Option<Severity>,
    set_bit: u32,
}

pub struct Compiled {
    rules: Vec<CRule>,
    sinks_exact: HashMap<String, Vec<(usize, usize)>>,
    /// last segment -> (suffix with leading dot, rule, sink)
    sinks_method: HashMap<String, Vec<(String, usize, usize)>>,
    sinks_subscript: Vec<(String, usize, usize)>,
    sinks_return: Vec<(usize, usize)>,
    san_exact: HashMap<String, SanId>,
    san_method: HashMap<String, Vec<(String, SanId)>>,
    san_ids: HashMap<String, SanId>,
    /// sanitizer or guard id -> the `@RULE` ids of the rules it makes data safe for
    san_rules: HashMap<SanId, Vec<SanId>>,
    mutators: HashSet<String>,
    clean_calls: HashSet<String>,
    clean_methods: HashSet<String>,
    string_calls: HashSet<String>,
    string_methods: HashSet<String>,
    obj_sources: Vec<ObjSrc>,
    obj_by_name: HashMap<String, usize>,
    req_param: Option<usize>,
    route_params_bit: u32,
    name_sources: HashMap<String, NamedSrc>,
    call_sources: HashMap<String, NamedSrc>,
    /// Texts one of which a file must contain to hold a source (besides route decorators).
    needles: Vec<String>,
}

const GUARD_IDS: [&str; 7] = [
    "guard",
    "guard-path",
    "guard-quote",
    "guard-shell",
    "guard-html",
    "allowlist",
    "quote-escape",
];

impl Compiled {
    pub fn new(rules: &[(String, TaintRule)]) -> Self {
        let com = common();
        let mut c = Compiled {
            rules: Vec::new(),
            sinks_exact: HashMap::new(),
            sinks_method: HashMap::new(),
            sinks_subscript: Vec::new(),
            sinks_return: Vec::new(),
            san_exact: HashMap::new(),
            san_method: HashMap::new(),
            san_ids: HashMap::new(),
            san_rules: HashMap::new(),
            mutators: com.mutators.iter().cloned().collect(),
            clean_calls: com.clean_calls.iter().cloned().collect(),
            clean_methods: com.clean_methods.iter().cloned().collect(),
            string_calls: com.string_calls.iter().cloned().collect(),
            string_methods: com.string_methods.iter().cloned().collect(),
            obj_sources: Vec::new(),
            obj_by_name: HashMap::new(),
            req_param: None,
            route_params_bit: 0,
            name_sources: HashMap::new(),
            call_sources: HashMap::new(),
            needles: vec!["request".into(), "Request".into(), "WebSocket".into()],
        };
        for g in GUARD_IDS {
            c.intern(g);
        }
        // Source sets, one bit each (sorted by name: deterministic).
        let mut set_bits: HashMap<&str, u32> = HashMap::new();
        for (i, (name, set)) in com.sources.iter().enumerate() {
            let bit = 1u32 << (i.min(31));
            set_bits.insert(name.as_str(), bit);
            for o in &set.objects {
                c.obj_by_name.insert(o.name.clone(), c.obj_sources.len());
                c.obj_sources.push(ObjSrc {
                    attrs: o.attributes.iter().cloned().collect(),
                    set_bit: bit,
                });
            }
            if let Some(rp) = &set.request_parameter {
                c.req_param = Some(c.obj_sources.len());
                c.obj_sources.push(ObjSrc {
                    attrs: rp.attributes.iter().cloned().collect(),
                    set_bit: bit,
                });
            }
            if set.route_parameters {
                c.route_params_bit |= bit;
            }
            for n in &set.names {
                c.name_sources.insert(
                    n.name.clone(),
                    NamedSrc {
                        label: n.label.clone(),
                        severity: n.severity,
                        set_bit: bit,
                    },
                );
            }
            for n in &set.calls {
                c.call_sources.insert(
                    n.name.clone(),
                    NamedSrc {
                        label: n.label.clone(),
                        severity: n.severity,
                        set_bit: bit,
                    },
                );
            }
        }
        // the last segment of every named source: `argv`, `environ`, `input`, `getenv`, `get_argument` ...
        let mut needles: Vec<String> = c
            .obj_by_name
            .keys()
            .chain(c.name_sources.keys())
            .chain(c.call_sources.keys())
            .map(|n| n.rsplit('.').next().unwrap_or(n).to_string())
            .collect();
        needles.sort();
        needles.dedup();
        for n in needles {
            if !c.needles.contains(&n) {
                c.needles.push(n);
            }
        }
        for (ri, (id, rule)) in rules.iter().enumerate() {
            let mut src_mask = 0u32;
            if rule.sources.is_empty() {
                src_mask = u32::MAX;
            }
            for s in &rule.sources {
                src_mask |= set_bits.get(s.as_str()).copied().unwrap_or(0);
            }
            let mut accepted = Vec::new();
            for s in &rule.sanitizers {
                let sid = c.intern(s);
                accepted.push(sid);
                if !GUARD_IDS.contains(&s.as_str()) {
                    if let Some(m) = s.strip_prefix("*.") {
                        let last = m.rsplit('.').next().unwrap_or(m).to_string();
                        c.san_method
                            .entry(last)
                            .or_default()
                            .push((format!(".{m}"), sid));
                    } else {
                        c.san_exact.insert(s.clone(), sid);
                    }
                }
            }
            for p in &rule.propagators {
                c.mutators.insert(p.clone());
            }
            let self_id = c.intern(&format!("@{id}"));
            for a in &accepted {
                c.san_rules.entry(*a).or_default().push(self_id);
            }
            for (si, sink) in rule.sinks.iter().enumerate() {
                for call in &sink.calls {
                    if let Some(m) = call.strip_prefix("*.") {
                        let last = m.rsplit('.').next().unwrap_or(m).to_string();
                        c.sinks_method
                            .entry(last)
                            .or_default()
                            .push((format!(".{m}"), ri, si));
                    } else {
                        c.sinks_exact
                            .entry(call.clone())
                            .or_default()
                            .push((ri, si));
                    }
                }
                for s in &sink.subscript_assign {
                    c.sinks_subscript.push((s.clone(), ri, si));
                }
                if sink.route_return {
                    c.sinks_return.push((ri, si));
                }
            }
            c.rules.push(CRule {
                id: id.clone(),
                sink_kind: rule.sink_kind.clone(),
                sinks: rule.sinks.clone(),
                self_id,
                src_mask,
            });
        }
        c
    }

    fn intern(&mut self, s: &str) -> SanId {
        let n = self.san_ids.len() as SanId;
        *self.san_ids.entry(s.to_string()).or_insert(n)
    }

    fn guard_id(&self, s: &str) -> SanId {
        self.san_ids[s]
    }

    /// The rule ids a sanitizer or guard makes data safe for.
    fn targets(&self, id: SanId) -> &[SanId] {
        self.san_rules.get(&id).map(|v| v.as_slice()).unwrap_or(&[])
    }

    fn sanitize(&self, t: &T, id: SanId) -> T {
        let mut t = t.clone();
        for r in self.targets(id) {
            t = add_san(&t, *r);
        }
        t
    }

    /// Sanitizer id of a callee, if it is one.
    fn sanitizer(&self, callee: &str) -> Option<SanId> {
        if let Some(id) = self.san_exact.get(callee) {
            return Some(*id);
        }
        let last = callee.rsplit('.').next().unwrap_or(callee);
        self.san_method.get(last).and_then(|v| {
            v.iter()
                .find(|(suffix, _)| callee.ends_with(suffix.as_str()) || callee == &suffix[1..])
                .map(|(_, id)| *id)
        })
    }

    fn sinks_for(&self, callee: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if let Some(v) = self.sinks_exact.get(callee) {
            out.extend(v.iter().copied());
        }
        let last = callee.rsplit('.').next().unwrap_or(callee);
        if let Some(v) = self.sinks_method.get(last) {
            for (suffix, r, s) in v {
                if (callee.ends_with(suffix.as_str()) || callee == &suffix[1..])
                    && !self.rules[*r].sinks[*s]
                        .not_calls
                        .iter()
                        .any(|p| glob_match(p, callee))
                {
                    out.push((*r, *s));
                }
            }
        }
        out
    }
}

fn glob_match(pat: &str, name: &str) -> bool {
    if let Some(prefix) = pat.strip_suffix('*') {
        name.starts_with(prefix)
    } else if let Some(suffix) = pat.strip_prefix('*') {
        name.ends_with(suffix)
    } else {
        pat == name
    }
}

// ---------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Taint {
    /// The source expression as written.
    label: Rc<str>,
    /// "User input", "Environment variable" ...
    what: Rc<str>,
    range: (usize, usize),
    severity: Option<Severity>,
    sets: u32,
    steps: Rc<Vec<(usize, usize, String)>>,
    /// Sanitizers and guards this value went through, sorted.
    san: Rc<Vec<SanId>>,
}

type T = Option<Rc<Taint>>;

#[derive(Debug, Clone, PartialEq)]
enum K {
    Int(i64),
    Str(Rc<str>),
    Bool(bool),
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Kind {
    #[default]
    Unknown,
    Str,
    Container,
    Object,
}

#[derive(Debug, Clone, Default)]
struct Val {
    t: T,
    /// A list literal (or built from one): its parts are indexes.
    list: bool,
    /// For the result of a validation call (`ok = is_safe_url(x)`): the variables it checked.
    validates: Option<Rc<Vec<String>>>,
    /// Taint released by reading an attribute or calling a method (a request object, or what wraps one);
    /// the value itself is not tainted.
    latent: T,
    parts: Option<Rc<BTreeMap<String, Val>>>,
    konst: Option<K>,
    kind: Kind,
    obj: Option<usize>,
    origin: Option<Rc<str>>,
    prefix: Option<Rc<str>>,
}

impl Val {
    fn clean() -> Val {
        Val::default()
    }
    fn konst(k: K) -> Val {
        let kind = if matches!(k, K::Str(_)) {
            Kind::Str
        } else {
            Kind::Unknown
        };
        let prefix = match &k {
            K::Str(s) => Some(s.clone()),
            _ => None,
        };
        Val {
            konst: Some(k),
            kind,
            prefix,
            ..Val::default()
        }
    }
    fn tainted(t: T) -> Val {
        Val {
            t,
            ..Val::default()
        }
    }
    /// The taint of the whole value, its parts included.
    fn all(&self) -> T {
        let mut t = self.t.clone();
        if let Some(p) = &self.parts {
            for v in p.values() {
                t = join_t(&t, &v.all());
            }
        }
        t
    }
    fn is_tainted(&self) -> bool {
        self.all().is_some()
    }
}

fn join_t(a: &T, b: &T) -> T {
    match (a, b) {
        (None, x) | (x, None) => x.clone(),
        (Some(x), Some(y)) => {
            if Rc::ptr_eq(x, y) {
                return a.clone();
            }
            // Prefer the more severe source (None = rule severity), then the earlier one.
            let pick_x = match (x.severity, y.severity) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                _ => x.range <= y.range,
            };
            let (p, q) = if pick_x { (x, y) } else { (y, x) };
            let san: Vec<SanId> = p
                .san
                .iter()
                .copied()
                .filter(|s| q.san.contains(s))
                .collect();
            let sets = p.sets | q.sets;
            if san.len() == p.san.len() && sets == p.sets {
                return Some(p.clone());
            }
            Some(Rc::new(Taint {
                label: p.label.clone(),
                what: p.what.clone(),
                range: p.range,
                severity: p.severity,
                sets,
                steps: p.steps.clone(),
                san: Rc::new(san),
            }))
        }
    }
}

fn add_san(t: &T, id: SanId) -> T {
    let x = t.as_ref()?;
    if x.san.contains(&id) {
        return t.clone();
    }
    let mut san = (*x.san).clone();
    san.push(id);
    san.sort_unstable();
    Some(Rc::new(Taint {
        label: x.label.clone(),
        what: x.what.clone(),
        range: x.range,
        severity: x.severity,
        sets: x.sets,
        steps: x.steps.clone(),
        san: Rc::new(san),
    }))
}

fn add_step(t: &T, range: (usize, usize), label: String) -> T {
    let x = t.as_ref()?;
    if x.steps.len() >= 12 || x.steps.last().map(|s| (s.0, s.1)) == Some(range) {
        return t.clone();
    }
    let mut steps = (*x.steps).clone();
    steps.push((range.0, range.1, label));
    Some(Rc::new(Taint {
        label: x.label.clone(),
        what: x.what.clone(),
        range: x.range,
        severity: x.severity,
        sets: x.sets,
        steps: Rc::new(steps),
        san: x.san.clone(),
    }))
}

fn relabel(t: &T, label: &str, range: (usize, usize)) -> T {
    let x = t.as_ref()?;
    Some(Rc::new(Taint {
        label: label.into(),
        what: x.what.clone(),
        range,
        severity: x.severity,
        sets: x.sets,
        steps: x.steps.clone(),
        san: x.san.clone(),
    }))
}

fn san_val(c: &Compiled, v: &Val, id: SanId) -> Val {
    let mut out = v.clone();
    out.t = c.sanitize(&v.t, id);
    if let Some(p) = &v.parts {
        let np: BTreeMap<String, Val> = p
            .iter()
            .map(|(k, x)| (k.clone(), san_val(c, x, id)))
            .collect();
        out.parts = Some(Rc::new(np));
    }
    out
}

fn join_val(a: &Val, b: &Val) -> Val {
    let parts = match (&a.parts, &b.parts) {
        (Some(pa), Some(pb)) => {
            let mut m = BTreeMap::new();
            for (k, va) in pa.iter() {
                let vb = pb
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| Val::tainted(b.t.clone()));
                m.insert(k.clone(), join_val(va, &vb));
            }
            for (k, vb) in pb.iter() {
                if !pa.contains_key(k) {
                    m.insert(k.clone(), join_val(&Val::tainted(a.t.clone()), vb));
                }
            }
            Some(Rc::new(m))
        }
        (Some(p), None) => {
            let m = p
                .iter()
                .map(|(k, v)| (k.clone(), join_val(v, &Val::tainted(b.t.clone()))))
                .collect();
            Some(Rc::new(m))
        }
        (None, Some(p)) => {
            let m = p
                .iter()
                .map(|(k, v)| (k.clone(), join_val(&Val::tainted(a.t.clone()), v)))
                .collect();
            Some(Rc::new(m))
        }
        (None, None) => None,
    };
    Val {
        t: join_t(&a.t, &b.t),
        parts,
        konst: if a.konst == b.konst {
            a.konst.clone()
        } else {
            None
        },
        kind: if a.kind == b.kind {
            a.kind
        } else {
            Kind::Unknown
        },
        obj: if a.obj == b.obj { a.obj } else { None },
        latent: join_t(&a.latent, &b.latent),
        list: a.list && b.list,
        validates: if a.validates == b.validates {
            a.validates.clone()
        } else {
            None
        },
        origin: if a.origin == b.origin {
            a.origin.clone()
        } else {
            None
        },
        prefix: if a.prefix == b.prefix {
            a.prefix.clone()
        } else {
            None
        },
    }
}

type Env = HashMap<String, Val>;

fn join_env(a: Env, b: &Env) -> Env {
    let mut out = a;
    for (k, vb) in b {
        match out.get_mut(k) {
            Some(va) => *va = join_val(va, vb),
            None => {
                out.insert(k.clone(), vb.clone());
            }
        }
    }
    out
}

fn truthy(k: &K) -> bool {
    match k {
        K::Int(i) => *i != 0,
        K::Str(s) => !s.is_empty(),
        K::Bool(b) => *b,
        K::None => false,
    }
}

// ---------------------------------------------------------------------------------------------------------
// The interpreter
// ---------------------------------------------------------------------------------------------------------

const MAX_DEPTH: u32 = 120;
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
}

/// Can this file hold a source at all? Most library modules cannot: skip them without a walk.
fn might_have_sources(c: &Compiled, source: &str) -> bool {
    if c.needles.iter().any(|n| source.contains(n.as_str())) {
        return true;
    }
    // route handlers: a decorator `@x.route(` / `@x.get(` ... on some line
    source.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with('@') && ROUTE_METHODS.iter().any(|m| t.contains(&format!(".{m}(")))
    })
}

pub fn run(c: &Compiled, tree: &Tree, source: &str, imports: &Imports) -> Vec<TaintHit> {
    if !might_have_sources(c, source) {
        return Vec::new();
    }
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
    };
    // Every function definition, in document order.
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
            .child_by_field_name("name")
            .map(|n| cx.text(n).to_string())
        {
            let e = cx.fns.entry(name).or_insert(FnDef { node: *d, count: 0 });
            e.count += 1;
        }
    }
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
    });
    hits
}

/// `a.b.c` for an identifier/attribute chain.
fn dotted_name(node: Node, source: &[u8]) -> Option<String> {
    if node.end_byte() - node.start_byte() > 1000 {
        return None;
    }
    match node.kind() {
        "identifier" => node.utf8_text(source).ok().map(str::to_string),
        "attribute" => {
            let obj = dotted_name(node.child_by_field_name("object")?, source)?;
            let attr = node
                .child_by_field_name("attribute")?
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

const SHELLS: [&str; 10] = [
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "cmd",
    "cmd.exe",
    "powershell",
    "pwsh",
    "powershell.exe",
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
        let Some(body) = f.child_by_field_name("body") else {
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
        let mut route_text = String::new();
        for d in &decorators {
            if let Some(e) = named(*d).first() {
                let callee = if e.kind() == "call" {
                    e.child_by_field_name("function")
                } else {
                    None
                };
                if let Some(fun) = callee {
                    if fun.kind() == "attribute" {
                        let attr = fun
                            .child_by_field_name("attribute")
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
            .child_by_field_name("parameters")
            .map(named)
            .unwrap_or_default();
        let mut positional = 0usize;
        for p in params {
            let (name_node, ann, default) = match p.kind() {
                "identifier" => (Some(p), None, None),
                "typed_parameter" => (
                    named(p).into_iter().find(|x| x.kind() == "identifier"),
                    p.child_by_field_name("type"),
                    None,
                ),
                "default_parameter" => (
                    p.child_by_field_name("name"),
                    None,
                    p.child_by_field_name("value"),
                ),
                "typed_default_parameter" => (
                    p.child_by_field_name("name"),
                    p.child_by_field_name("type"),
                    p.child_by_field_name("value"),
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

    fn exec_block(&mut self, block: Node<'t>, env: &mut Env) -> bool {
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

    fn exec_stmt(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        if self.depth > MAX_DEPTH {
            return true;
        }
        self.depth += 1;
        let r = self.exec_stmt_inner(n, env);
        self.depth -= 1;
        r
    }

    fn exec_stmt_inner(&mut self, n: Node<'t>, env: &mut Env) -> bool {
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
                    .child_by_field_name("right")
                    .map(|r| self.eval(r, env))
                    .unwrap_or_default();
                let elem = element_of(&iter);
                let left = n.child_by_field_name("left");
                let body = n.child_by_field_name("body");
                self.exec_loop(env, |cx, e| {
                    if let Some(l) = left {
                        cx.assign(l, elem.clone(), e, None);
                    }
                    match body {
                        Some(b) => cx.exec_block(b, e),
                        None => true,
                    }
                });
                if let Some(alt) = n.child_by_field_name("alternative") {
                    self.exec_children_blocks(alt, env);
                }
                true
            }
            "while_statement" => {
                let cond = n.child_by_field_name("condition");
                let k = cond.map(|c| self.eval(c, env)).and_then(|v| v.konst);
                if let Some(k) = &k {
                    if !truthy(k) {
                        return true;
                    }
                }
                let body = n.child_by_field_name("body");
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
                            let Some(v) = item.child_by_field_name("value") else {
                                continue;
                            };
                            if v.kind() == "as_pattern" {
                                let parts = named(v);
                                let val = parts
                                    .first()
                                    .map(|e| self.eval(*e, env))
                                    .unwrap_or_default();
                                if let Some(alias) = v.child_by_field_name("alias") {
                                    let target = named(alias).into_iter().next().unwrap_or(alias);
                                    self.assign(target, val, env, Some(range(item)));
                                }
                            } else {
                                self.eval(v, env);
                            }
                        }
                    }
                }
                match n.child_by_field_name("body") {
                    Some(b) => self.exec_block(b, env),
                    None => true,
                }
            }
            "match_statement" => self.exec_match(n, env),
            "function_definition" | "class_definition" | "decorated_definition" => {
                let d = if n.kind() == "decorated_definition" {
                    n.child_by_field_name("definition").unwrap_or(n)
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
                if let Some(name) = d.child_by_field_name("name") {
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

    fn exec_children_blocks(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        let mut cont = true;
        for ch in named(n) {
            if ch.kind() == "block" {
                cont = self.exec_block(ch, env);
            }
        }
        cont
    }

    fn exec_loop<F>(&mut self, env: &mut Env, mut body: F)
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

    fn exec_if(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        let mut branches: Vec<(Option<Node<'t>>, Node<'t>)> = Vec::new();
        if let (Some(c), Some(b)) = (
            n.child_by_field_name("condition"),
            n.child_by_field_name("consequence"),
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
                        alt.child_by_field_name("condition"),
                        alt.child_by_field_name("consequence"),
                    ) {
                        branches.push((Some(c), b));
                    }
                }
                "else_clause" => {
                    if let Some(b) = alt.child_by_field_name("body") {
                        branches.push((None, b));
                    }
                }
                _ => {}
            }
        }
        self.exec_if_chain(&branches, 0, env)
    }

    fn exec_if_chain(
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

    fn exec_match(&mut self, n: Node<'t>, env: &mut Env) -> bool {
        let subject = n
            .child_by_field_name("subject")
            .map(|s| self.eval(s, env))
            .unwrap_or_default();
        let Some(body) = n.child_by_field_name("body") else {
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
            let guard = case.child_by_field_name("guard");
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
            if let Some(cons) = case.child_by_field_name("consequence") {
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

    fn is_exit_call(&self, call: Node, env: &Env) -> bool {
        let Some(f) = call.child_by_field_name("function") else {
            return false;
        };
        let name = self.callee_name(f, env);
        EXIT_CALLS.contains(&name.as_str()) || name.ends_with(".abort")
    }

    // ---------------------------------------------------------------- conditions

    /// What we learn on the branch where `cond` is `truth`.
    fn refine(&mut self, cond: Node<'t>, truth: bool, env: &mut Env) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        self.refine_inner(cond, truth, env);
        self.depth -= 1;
    }

    fn refine_inner(&mut self, cond: Node<'t>, truth: bool, env: &mut Env) {
        match cond.kind() {
            "parenthesized_expression" => {
                if let Some(i) = named(cond).into_iter().next() {
                    self.refine(i, truth, env);
                }
            }
            "not_operator" => {
                if let Some(a) = cond.child_by_field_name("argument") {
                    self.refine(a, !truth, env);
                }
            }
            "boolean_operator" => {
                let op = cond
                    .child_by_field_name("operator")
                    .map(|o| self.text(o))
                    .unwrap_or("");
                let (l, r) = (
                    cond.child_by_field_name("left"),
                    cond.child_by_field_name("right"),
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
    fn guard(&mut self, cond: Node<'t>, env: &mut Env) {
        let mut ids = Vec::new();
        self.validated_in(cond, env, &mut ids);
        let g = self.c.guard_id("guard");
        for v in ids {
            self.sanitize_name(&v, g, env);
        }
    }

    fn operators(&self, cmp: Node) -> Vec<String> {
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
    fn validated_in(&self, n: Node, env: &Env, out: &mut Vec<String>) {
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
                            && x.child_by_field_name("function").map(|f| self.text(f))
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
                let f = n.child_by_field_name("function");
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
                        if let Some(o) = f.child_by_field_name("object") {
                            collect_vars(o, self, out);
                        }
                    }
                }
                if let Some(a) = n.child_by_field_name("arguments") {
                    collect_vars(a, self, out);
                }
            }
            _ => {}
        }
    }

    /// The variable a value is read from: `x`, `x.attr` (as `x`), `x[1:-1]`, `x.lower()`.
    fn root_var(&self, n: Node) -> Option<String> {
        if n.end_byte() - n.start_byte() > 2000 {
            return None;
        }
        match n.kind() {
            "identifier" => Some(self.text(n).to_string()),
            "attribute" => self.root_var(n.child_by_field_name("object")?),
            "subscript" => self.root_var(n.child_by_field_name("value")?),
            "parenthesized_expression" => self.root_var(named(n).into_iter().next()?),
            "call" => {
                let f = n.child_by_field_name("function")?;
                if f.kind() == "attribute" {
                    let m = self.text(f.child_by_field_name("attribute")?);
                    if self.c.string_methods.contains(m) {
                        return self.root_var(f.child_by_field_name("object")?);
                    }
                }
                // a parser or normaliser of one value: `urlparse(url)`, `basename(p)`, `str(x)`
                let args: Vec<Node> = n
                    .child_by_field_name("arguments")
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

    fn sanitize_var(&mut self, n: Node, id: SanId, env: &mut Env) {
        let name = match n.kind() {
            "identifier" | "attribute" => self.text(n).to_string(),
            _ => return,
        };
        self.sanitize_name(&name, id, env);
    }

    fn sanitize_name(&mut self, name: &str, id: SanId, env: &mut Env) {
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

    fn assign(&mut self, target: Node<'t>, v: Val, env: &mut Env, stmt: Option<(usize, usize)>) {
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
                let Some(obj) = target.child_by_field_name("value") else {
                    return;
                };
                let key_node = target.child_by_field_name("subscript");
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

    fn eval(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        if self.depth > MAX_DEPTH {
            return Val::clean();
        }
        self.depth += 1;
        let v = self.eval_inner(n, env);
        self.depth -= 1;
        v
    }

    fn eval_inner(&mut self, n: Node<'t>, env: &mut Env) -> Val {
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
                    .child_by_field_name("argument")
                    .map(|a| self.eval(a, env))
                    .unwrap_or_default();
                let op = n
                    .child_by_field_name("operator")
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
                    .child_by_field_name("operator")
                    .map(|o| self.text(o))
                    .unwrap_or("");
                let l = n
                    .child_by_field_name("left")
                    .map(|x| self.eval(x, env))
                    .unwrap_or_default();
                let lk = l.konst.as_ref().map(truthy);
                match (op, lk) {
                    ("and", Some(false)) | ("or", Some(true)) => return l,
                    _ => {}
                }
                let r = n
                    .child_by_field_name("right")
                    .map(|x| self.eval(x, env))
                    .unwrap_or_default();
                match (op, lk) {
                    ("and", Some(true)) | ("or", Some(false)) => r,
                    _ => join_val(&l, &r),
                }
            }
            "not_operator" => {
                let v = n
                    .child_by_field_name("argument")
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
                            .child_by_field_name("key")
                            .map(|k| self.eval(k, env))
                            .unwrap_or_default();
                        let v = ch
                            .child_by_field_name("value")
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
                                .child_by_field_name("right")
                                .map(|r| self.eval(r, &mut e))
                                .unwrap_or_default();
                            if let Some(l) = ch.child_by_field_name("left") {
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
                let b = n.child_by_field_name("body").or(body);
                let v = match b {
                    Some(b) if b.kind() == "pair" => {
                        let k = b
                            .child_by_field_name("key")
                            .map(|k| self.eval(k, &mut e))
                            .unwrap_or_default();
                        let v = b
                            .child_by_field_name("value")
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
                    .child_by_field_name("value")
                    .map(|x| self.eval(x, env))
                    .unwrap_or_default();
                if let Some(name) = n.child_by_field_name("name") {
                    self.assign(name, v.clone(), env, Some(range(n)));
                }
                v
            }
            "assignment" => {
                let right = n.child_by_field_name("right");
                let v = match right {
                    Some(r) => self.eval(r, env),
                    None => Val::clean(),
                };
                if let Some(l) = n.child_by_field_name("left") {
                    self.assign(l, v.clone(), env, Some(range(n)));
                }
                v
            }
            "augmented_assignment" => {
                let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return Val::clean();
                };
                let old = self.eval(l, env);
                let rv = self.eval(r, env);
                let op = n
                    .child_by_field_name("operator")
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
            "keyword_argument" => match n.child_by_field_name("value") {
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

    fn eval_name(&mut self, n: Node, env: &mut Env) -> Val {
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

    fn source_by_name(&self, resolved: &str, n: Node) -> Option<Val> {
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

    fn root_ident<'n>(&self, mut n: Node<'n>) -> Option<Node<'n>> {
        loop {
            match n.kind() {
                "identifier" => return Some(n),
                "attribute" => n = n.child_by_field_name("object")?,
                _ => return None,
            }
        }
    }

    fn eval_attribute(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let path = self.text(n);
        if let Some(v) = env.get(path) {
            return v.clone();
        }
        let attr = n
            .child_by_field_name("attribute")
            .map(|a| self.text(a))
            .unwrap_or("");
        let Some(obj) = n.child_by_field_name("object") else {
            return Val::clean();
        };
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

    fn eval_subscript(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let Some(obj) = n.child_by_field_name("value") else {
            return Val::clean();
        };
        let ov = self.eval(obj, env);
        let key = n.child_by_field_name("subscript");
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

    fn slice_bounds(&mut self, s: Node<'t>, env: &mut Env) -> Vec<Option<i64>> {
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

    fn eval_string(&mut self, n: Node<'t>, env: &mut Env) -> Val {
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
                    if let Some(e) = ch.child_by_field_name("expression") {
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

    fn eval_binary(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let l = n
            .child_by_field_name("left")
            .map(|x| self.eval(x, env))
            .unwrap_or_default();
        let r = n
            .child_by_field_name("right")
            .map(|x| self.eval(x, env))
            .unwrap_or_default();
        let op = n
            .child_by_field_name("operator")
            .map(|o| self.text(o))
            .unwrap_or("");
        combine(&l, &r, op)
    }

    fn eval_compare(&mut self, n: Node<'t>, env: &mut Env) -> Val {
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

    /// The dotted name a call's function resolves to; `?.method` when the receiver is not a name.
    fn callee_name(&self, f: Node, env: &Env) -> String {
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
                        .child_by_field_name("attribute")
                        .map(|a| self.text(a))
                        .unwrap_or("");
                    format!("?.{attr}")
                }
            },
            _ => "?".to_string(),
        }
    }

    fn eval_call(&mut self, n: Node<'t>, env: &mut Env) -> Val {
        let Some(f) = n.child_by_field_name("function") else {
            return Val::clean();
        };
        let callee = self.callee_name(f, env);
        // receiver
        let (recv, method): (Option<(Node<'t>, Val)>, Option<&str>) = if f.kind() == "attribute" {
            let obj = f.child_by_field_name("object");
            let m = f.child_by_field_name("attribute").map(|a| self.text(a));
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
        if let Some(args) = n.child_by_field_name("arguments") {
            if args.kind() == "generator_expression" {
                let v = self.eval(args, env);
                pos.push((args, v));
            } else {
                for a in named(args) {
                    match a.kind() {
                        "keyword_argument" => {
                            let name = a
                                .child_by_field_name("name")
                                .map(|x| self.text(x))
                                .unwrap_or("")
                                .to_string();
                            let v = self.eval(a, env);
                            kw.push((name, a.child_by_field_name("value").unwrap_or(a), v));
                        }
                        "list_splat" | "dictionary_splat" => {
                            let v = self.eval(a, env);
                            splat = join_t(&splat, &v.all());
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
        // sinks
        let sinks = self.c.sinks_for(&callee);
        let mut reported: Vec<SanId> = Vec::new();
        for (r, s) in sinks {
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
        let mut result = self.call_result(n, f, &callee, method, recv, &pos, &kw, &splat, env);
        for id in reported {
            result.t = add_san(&result.t, id);
        }
        let last = callee
            .rsplit('.')
            .next()
            .unwrap_or(&callee)
            .to_ascii_lowercase();
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
    fn call_result(
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
        if let Some(id) = c.sanitizer(callee) {
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

    fn inline_call(
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
        let body = fnode.child_by_field_name("body")?;
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
            .child_by_field_name("parameters")
            .map(named)
            .unwrap_or_default();
        let mut i = 0usize;
        let mut skip_self = method;
        for p in params {
            let nn = match p.kind() {
                "identifier" => Some(p),
                "typed_parameter" => named(p).into_iter().find(|x| x.kind() == "identifier"),
                "default_parameter" | "typed_default_parameter" => p.child_by_field_name("name"),
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

    #[allow(clippy::too_many_arguments)]
    fn check_sink(
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
        if spec.all_args {
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
            if spec.safe_if_fixed_prefix && v.prefix.as_deref().map(fixed_prefix).unwrap_or(false) {
                continue;
            }
            let vt = if spec.first_element {
                match &v.parts {
                    Some(p) => {
                        let first = p.get("0");
                        let shell = first
                            .and_then(|f| match &f.konst {
                                Some(K::Str(s)) => {
                                    Some(s.rsplit('/').next().unwrap_or(s).to_string())
                                }
                                _ => None,
                            })
                            .map(|s| SHELLS.contains(&s.as_str()))
                            .unwrap_or(false);
                        if shell {
                            v.all()
                        } else if let Some(f) = first {
                            // index 0 is known (a literal, or a literal with more appended)
                            f.all()
                        } else {
                            v.all()
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

    fn check_route_return(&mut self, stmt: Node<'t>, e: Node<'t>, v: &Val, env: &mut Env) {
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

    fn report(&mut self, r: usize, s: usize, t: &Taint, sink: Node, callee: &str) -> bool {
        let rule = &self.c.rules[r];
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
        let mut steps = vec![(
            t.range.0,
            t.range.1,
            format!("{} from `{}`", t.what, t.label),
        )];
        steps.extend(t.steps.iter().cloned());
        steps.push((
            sink.start_byte(),
            sink.end_byte(),
            format!("reaches {kind} in {shown}"),
        ));
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
        });
        true
    }
}

// ---------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------

fn parts_insert(v: &mut Val, k: String, x: Val) {
    let mut parts = v.parts.as_deref().cloned().unwrap_or_default();
    parts.insert(k, x);
    v.parts = Some(Rc::new(parts));
}

fn key_of(k: &K) -> Option<String> {
    match k {
        K::Int(i) => Some(i.to_string()),
        K::Str(s) => Some(s.to_string()),
        K::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        K::None => None,
    }
}

/// Is a function with this (lowercase, last segment) name a check that validates its argument?
fn is_predicate(last: &str) -> bool {
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
fn releases(name: &str) -> bool {
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

fn element_of(v: &Val) -> Val {
    Val {
        t: join_t(&v.all(), &v.latent),
        ..Val::default()
    }
}

fn is_var(n: Node) -> bool {
    matches!(n.kind(), "identifier" | "attribute")
}

fn has_interp(n: Node) -> bool {
    if n.end_byte() - n.start_byte() > 4000 {
        return true;
    }
    let mut w = n.walk();
    let r = n
        .named_children(&mut w)
        .any(|c| c.kind() == "interpolation" || has_interp(c));
    r
}

fn collect_vars(n: Node, cx: &Cx, out: &mut Vec<String>) {
    if out.len() > 64 || n.end_byte() - n.start_byte() > 4000 {
        return;
    }
    match n.kind() {
        "identifier" => out.push(cx.text(n).to_string()),
        "attribute" => {
            out.push(cx.text(n).to_string());
            if let Some(o) = n.child_by_field_name("object") {
                collect_vars(o, cx, out);
            }
        }
        "call" => {
            if let Some(f) = n.child_by_field_name("function") {
                if f.kind() == "attribute" {
                    if let Some(o) = f.child_by_field_name("object") {
                        collect_vars(o, cx, out);
                    }
                }
            }
            if let Some(a) = n.child_by_field_name("arguments") {
                collect_vars(a, cx, out);
            }
        }
        "keyword_argument" => {
            if let Some(v) = n.child_by_field_name("value") {
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
fn char_guard(lit: &str) -> &'static str {
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
fn fixed_prefix(p: &str) -> bool {
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

fn always_exits(block: Node, cx: &Cx) -> bool {
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
                    .child_by_field_name("function")
                    .map(|f| cx.text(f))
                    .unwrap_or("");
                let last = f.rsplit('.').next().unwrap_or(f);
                matches!(last, "abort" | "exit" | "_exit" | "quit")
            }
        }),
        "if_statement" => {
            let cons = last.child_by_field_name("consequence");
            let mut w = last.walk();
            let alts: Vec<Node> = last.children_by_field_name("alternative", &mut w).collect();
            let has_else = alts.iter().any(|a| a.kind() == "else_clause");
            has_else
                && cons.map(|c| always_exits(c, cx)).unwrap_or(false)
                && alts.iter().all(|a| {
                    let b = a
                        .child_by_field_name("consequence")
                        .or(a.child_by_field_name("body"));
                    b.map(|b| always_exits(b, cx)).unwrap_or(false)
                })
        }
        _ => false,
    }
}

fn combine(l: &Val, r: &Val, op: &str) -> Val {
    // constant folding
    match (&l.konst, &r.konst) {
        (Some(K::Int(a)), Some(K::Int(b))) => {
            let v = match op {
                "+" => a.checked_add(*b),
                "-" => a.checked_sub(*b),
                "*" => a.checked_mul(*b),
                "//" => a.checked_div_euclid(*b),
                "%" => a.checked_rem_euclid(*b),
                "**" if (0..32).contains(b) => a.checked_pow(*b as u32),
                _ => None,
            };
            if let Some(v) = v {
                return Val::konst(K::Int(v));
            }
        }
        (Some(K::Str(a)), Some(K::Str(b))) if op == "+" => {
            return Val::konst(K::Str(format!("{a}{b}").into()));
        }
        _ => {}
    }
    // `[prog, "-m", x] + args`: the indexes of the left list stay known
    if op == "+" && l.list && l.parts.is_some() {
        return Val {
            t: join_t(&l.t, &r.all()),
            parts: l.parts.clone(),
            kind: Kind::Container,
            list: true,
            ..Val::default()
        };
    }
    let kind = if l.kind == Kind::Str || r.kind == Kind::Str {
        Kind::Str
    } else if l.kind == Kind::Container && r.kind == Kind::Container {
        Kind::Container
    } else {
        Kind::Unknown
    };
    let prefix: Option<Rc<str>> = if op == "%" && kind == Kind::Str {
        l.prefix
            .as_ref()
            .map(|p| p.split('%').next().unwrap_or("").into())
    } else if op == "+" && kind == Kind::Str {
        if l.is_tainted() {
            l.prefix.clone()
        } else {
            // a clean left side: its text (or a placeholder) then whatever start the right side has
            let left: String = match &l.konst {
                Some(K::Str(k)) => k.to_string(),
                _ => l.prefix.as_deref().unwrap_or("\u{1}").to_string(),
            };
            let right: String = if r.is_tainted() {
                r.prefix.as_deref().unwrap_or("").to_string()
            } else {
                match &r.konst {
                    Some(K::Str(k)) => k.to_string(),
                    _ => r.prefix.as_deref().unwrap_or("\u{1}").to_string(),
                }
            };
            Some(format!("{left}{right}").into())
        }
    } else {
        None
    };
    let t = join_t(&l.all(), &r.all());
    let origin = match (l.is_tainted(), r.is_tainted()) {
        (true, false) => l.origin.clone(),
        (false, true) => r.origin.clone(),
        _ => None,
    };
    Val {
        t,
        kind,
        prefix,
        origin,
        ..Val::default()
    }
}

fn slice_str(s: &str, b: &[Option<i64>]) -> Option<String> {
    if b.len() > 2 && b[2].is_some() {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let norm = |x: i64| {
        if x < 0 {
            len.saturating_add(x).max(0)
        } else {
            x.min(len)
        }
    };
    let start = norm(b.first().copied().flatten().unwrap_or(0));
    let end = norm(b.get(1).copied().flatten().unwrap_or(len));
    if start >= end {
        return Some(String::new());
    }
    Some(chars[start as usize..end as usize].iter().collect())
}

/// Taint of `fmt.format(args)` following the fields of the format string: `{0[key]}` reads only that key.
fn format_taint(fmt: &str, pos: &[(Node, Val)], kw: &[(String, Node, Val)]) -> Option<T> {
    let mut t: T = None;
    let mut auto = 0usize;
    let b = fmt.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            if i + 1 < b.len() && b[i + 1] == b'{' {
                i += 2;
                continue;
            }
            let end = fmt[i..].find('}')? + i;
            let field = &fmt[i + 1..end];
            let field = field.split(['!', ':']).next().unwrap_or("");
            let (name, rest) = match field.find(['[', '.']) {
                Some(j) => (&field[..j], &field[j..]),
                None => (field, ""),
            };
            let base: Option<&Val> = if name.is_empty() {
                let v = pos.get(auto).map(|p| &p.1);
                auto += 1;
                v
            } else if let Ok(k) = name.parse::<usize>() {
                pos.get(k).map(|p| &p.1)
            } else {
                kw.iter().find(|k| k.0 == name).map(|k| &k.2)
            };
            if let Some(v) = base {
                let vt = if let Some(key) = rest.strip_prefix('[').and_then(|r| r.split(']').next())
                {
                    match &v.parts {
                        Some(p) => p.get(key).map(|x| x.all()).unwrap_or_else(|| v.t.clone()),
                        None => v.all(),
                    }
                } else {
                    v.all()
                };
                t = join_t(&t, &vt);
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    Some(t)
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
