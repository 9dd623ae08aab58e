//! The differ: walks two descriptions side by side (paths by shape, operations, parameters, bodies,
//! responses, then the schemas below them, following `$ref`s lazily with a cycle guard) and reports
//! every change with its check id, level and position.

use super::checks::{self, Level};
use super::node::{escape_pointer, fmt_num, Node, V};
use super::spec::Spec;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Which document a change is located in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Base,
    Revision,
}

/// One reported change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub id: String,
    pub level: Level,
    pub message: String,
    /// `GET /users/{id}`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// JSON pointer of the change, from the operation down through the schema (as if `$ref`s were inlined).
    pub pointer: String,
    pub side: Side,
    /// The file the line and column refer to.
    pub file: String,
    pub line: u32,
    pub column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_value: Option<String>,
    /// For a removal located in the revision: the line and column of the removed item in the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_position: Option<(u32, u32)>,
}

/// When removing a deprecated operation is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SunsetPolicy {
    /// Deprecation is enough; when a sunset date is given, it must have passed (oasdiff's default).
    #[default]
    Deprecation,
    /// A sunset date (`x-sunset`) is required and must have passed.
    SunsetDate,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub sunset_policy: SunsetPolicy,
    /// A newly deprecated operation must have a sunset date at least this many days away (0: no check).
    pub min_sunset_days: u32,
    pub today: NaiveDate,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sunset_policy: SunsetPolicy::Deprecation,
            min_sunset_days: 0,
            today: chrono::Utc::now().date_naive(),
        }
    }
}

/// Diff two descriptions.
pub fn diff(base: &Spec, rev: &Spec, opts: &Options) -> Vec<Change> {
    let mut d = Differ {
        b: base,
        r: rev,
        opts,
        out: Vec::new(),
        stack: HashSet::new(),
        clean: HashSet::new(),
        depth: 0,
        cuts: 0,
        base_pos: None,
    };
    d.servers(None, 0, base.root(), 0, rev.root(), "");
    d.paths();
    d.webhooks();
    d.components();
    let mut out = d.out;
    // The same change reached through several paths (a property of a schema that is also reachable
    // through a oneOf alternative or an allOf of itself) is reported once per operation, with the
    // shortest pointer.
    fn head(p: &str) -> &str {
        p.find("/schema").map_or(p, |i| &p[..i])
    }
    out.sort_by(|a, b| {
        (
            head(&a.pointer),
            &a.file,
            a.line,
            a.column,
            &a.id,
            &a.operation,
            &a.base_value,
            &a.revision_value,
            a.pointer.len(),
            &a.message,
        )
            .cmp(&(
                head(&b.pointer),
                &b.file,
                b.line,
                b.column,
                &b.id,
                &b.operation,
                &b.base_value,
                &b.revision_value,
                b.pointer.len(),
                &b.message,
            ))
    });
    out.dedup_by(|b, a| {
        (
            head(&a.pointer),
            &a.file,
            a.line,
            a.column,
            &a.id,
            &a.operation,
            &a.base_value,
            &a.revision_value,
        ) == (
            head(&b.pointer),
            &b.file,
            b.line,
            b.column,
            &b.id,
            &b.operation,
            &b.base_value,
            &b.revision_value,
        )
    });
    out.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.id, &a.message)
            .cmp(&(&b.file, b.line, b.column, &b.id, &b.message))
    });
    out
}

#[derive(Debug, Clone)]
struct Op {
    name: String,
    method: String,
    path: String,
}

type R<'a> = (usize, &'a Node);
/// A numeric bound and the node it is written at.
type Bound<'a> = Option<(f64, &'a Node)>;

#[derive(Clone, Copy)]
struct SCtx<'o> {
    op: &'o Op,
    /// Names the schema's owner in messages (`query parameter `q``, `header `x-rate``), or "".
    label: &'o str,
    request: bool,
    root_prefix: &'static str,
    nested_prefix: &'static str,
}

struct Differ<'a> {
    b: &'a Spec,
    r: &'a Spec,
    opts: &'a Options,
    out: Vec<Change>,
    /// Schema pairs being compared (cycle guard).
    stack: HashSet<(usize, usize, bool)>,
    /// Schema pairs already compared without any change.
    clean: HashSet<(usize, usize, bool)>,
    depth: u32,
    /// How many comparisons were cut by the cycle guard.
    cuts: u64,
    /// The base position of the next emitted removal (see [`Change::base_position`]).
    base_pos: Option<(u32, u32)>,
}

fn ptr_id(n: &Node) -> usize {
    n as *const Node as usize
}

fn human(prefix: &str) -> &'static str {
    checks::SCHEMA_CONTEXTS
        .iter()
        .find(|(p, _, _)| *p == prefix)
        .map_or("schema", |(_, _, h)| h)
}

/// `/users/{id}` and `/users/{userId}` have the same shape `/users/{}`.
pub fn path_shape(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut depth = 0;
    for c in p.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    let t = out.trim_end_matches('/');
    if t.is_empty() {
        "/".into()
    } else {
        t.to_string()
    }
}

fn template_vars(p: &str) -> Vec<&str> {
    let mut v = Vec::new();
    let mut rest = p;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        v.push(&rest[i + 1..i + j]);
        rest = &rest[i + j + 1..];
    }
    v
}

fn canon(n: &Node) -> String {
    let mut s = String::new();
    n.write_canonical(&mut s, 8);
    s
}

pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    if let Some(d) = t
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        return Some(d);
    }
    // an HTTP date (RFC 9110 IMF-fixdate, as in the Sunset header); the weekday is not checked
    let rest = t.split_once(", ").map_or(t, |(_, r)| r);
    let day = rest
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    NaiveDate::parse_from_str(&day, "%d %b %Y").ok()
}

/// The sunset date of an operation or parameter: `x-sunset` (`x-sunset-date`, `sunset`), else the
/// documented value of a `Sunset` response header (RFC 8594: its `schema.default`, `schema.const`,
/// `schema.example` or `example`).
pub(crate) fn sunset_of(op: &Node) -> Option<(NaiveDate, &Node)> {
    for k in ["x-sunset", "x-sunset-date", "sunset"] {
        if let Some(n) = op.get(k) {
            if let Some(d) = n.str().and_then(parse_date) {
                return Some((d, n));
            }
        }
    }
    for (_, resp) in op.get("responses").map(Node::map).unwrap_or(&[]) {
        for (h, hn) in resp.get("headers").map(Node::map).unwrap_or(&[]) {
            if !h.eq_ignore_ascii_case("sunset") {
                continue;
            }
            let schema = hn.get("schema");
            let candidates = [
                schema.and_then(|s| s.get("default")),
                schema.and_then(|s| s.get("const")),
                schema.and_then(|s| s.get("example")),
                hn.get("example"),
            ];
            for n in candidates.into_iter().flatten() {
                if let Some(d) = n.str().and_then(parse_date) {
                    return Some((d, n));
                }
            }
        }
    }
    None
}

fn stability_rank(s: &str) -> Option<u8> {
    match s.to_ascii_lowercase().as_str() {
        "draft" => Some(0),
        "alpha" => Some(1),
        "beta" => Some(2),
        "stable" | "ga" => Some(3),
        _ => None,
    }
}

/// A schema with `allOf` merged in.
struct View<'a> {
    doc: usize,
    node: &'a Node,
    types: Option<BTreeSet<&'a str>>,
    nullable: bool,
    kw: Vec<(&'a str, usize, &'a Node)>,
    props: Vec<(&'a str, usize, &'a Node)>,
    required: BTreeSet<&'a str>,
    one_of: Vec<R<'a>>,
    any_of: Vec<R<'a>>,
}

impl<'a> View<'a> {
    fn kw(&self, k: &str) -> Option<R<'a>> {
        self.kw
            .iter()
            .find(|(n, _, _)| *n == k)
            .map(|(_, d, n)| (*d, *n))
    }
    fn prop(&self, k: &str) -> Option<R<'a>> {
        self.props
            .iter()
            .find(|(n, _, _)| *n == k)
            .map(|(_, d, n)| (*d, *n))
    }
    fn flag(&self, k: &str) -> bool {
        self.kw(k).and_then(|(_, n)| n.bool()).unwrap_or(false)
    }
    fn num(&self, k: &str) -> Option<(f64, &'a Node)> {
        self.kw(k).and_then(|(_, n)| n.num().map(|x| (x, n)))
    }
    fn str(&self, k: &str) -> Option<(&'a str, &'a Node)> {
        self.kw(k).and_then(|(_, n)| n.str().map(|x| (x, n)))
    }
}

fn node_nullable(n: &Node) -> bool {
    n.get("nullable").and_then(Node::bool) == Some(true)
        || n.get("type").is_some_and(|t| {
            t.str() == Some("null") || t.seq().iter().any(|x| x.str() == Some("null"))
        })
}

fn flatten<'a>(spec: &'a Spec, doc: usize, node: &'a Node) -> View<'a> {
    let mut v = View {
        doc,
        node,
        types: None,
        nullable: false,
        kw: Vec::new(),
        props: Vec::new(),
        required: BTreeSet::new(),
        one_of: Vec::new(),
        any_of: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut parts = (0u32, 0u32);
    flatten_into(spec, doc, node, &mut v, &mut seen, 0, &mut parts);
    // Nullability: the schema's own `nullable`/`null` type decides; otherwise (allOf) every part that
    // declares a type must allow null (a non-nullable part rejects null).
    v.nullable = node_nullable(node) || (parts.0 > 0 && parts.0 == parts.1);
    if v.types.is_none() {
        // implied types
        if !v.props.is_empty() || v.kw("additionalProperties").is_some() {
            v.types = Some(["object"].into());
        } else if v.kw("items").is_some() {
            v.types = Some(["array"].into());
        }
    }
    v
}

fn flatten_into<'a>(
    spec: &'a Spec,
    doc: usize,
    node: &'a Node,
    v: &mut View<'a>,
    seen: &mut HashSet<usize>,
    depth: u32,
    parts: &mut (u32, u32),
) {
    if depth > 16 || !seen.insert(ptr_id(node)) {
        return;
    }
    if depth > 0 && (node.get("type").is_some() || node_nullable(node)) {
        parts.0 += 1;
        if node_nullable(node) {
            parts.1 += 1;
        }
    }
    for (k, val) in node.map() {
        match &**k {
            "$ref" => {}
            "type" => {
                if v.types.is_none() {
                    let mut set = BTreeSet::new();
                    match &val.v {
                        V::Str(s) => {
                            set.insert(&**s);
                        }
                        V::Seq(items) => {
                            for it in items {
                                if let Some(s) = it.str() {
                                    set.insert(s);
                                }
                            }
                        }
                        _ => {}
                    }
                    set.remove("null");
                    if !set.is_empty() {
                        v.types = Some(set);
                    }
                    v.kw.push(("type", doc, val));
                }
            }
            "nullable" => {
                if val.bool() == Some(true) && !v.kw.iter().any(|(n, _, _)| *n == "nullable") {
                    v.kw.push(("nullable", doc, val));
                }
            }
            "properties" => {
                if !v.kw.iter().any(|(n, _, _)| *n == "properties") {
                    v.kw.push(("properties", doc, val));
                }
                for (pk, pv) in val.map() {
                    if !v.props.iter().any(|(n, _, _)| *n == &**pk) {
                        v.props.push((pk, doc, pv));
                    }
                }
            }
            "required" => {
                if !v.kw.iter().any(|(n, _, _)| *n == "required") {
                    v.kw.push(("required", doc, val));
                }
                for r in val.seq() {
                    if let Some(s) = r.str() {
                        v.required.insert(s);
                    }
                }
            }
            "oneOf" => v.one_of.extend(val.seq().iter().map(|n| (doc, n))),
            "anyOf" => v.any_of.extend(val.seq().iter().map(|n| (doc, n))),
            "allOf" => {
                for sub in val.seq() {
                    if let Some((d, n)) = spec.deref(doc, sub) {
                        flatten_into(spec, d, n, v, seen, depth + 1, parts);
                    }
                }
            }
            key => {
                if !v.kw.iter().any(|(n, _, _)| *n == key) {
                    v.kw.push((key, doc, val));
                }
            }
        }
    }
}

impl<'a> Differ<'a> {
    fn spec(&self, side: Side) -> &'a Spec {
        match side {
            Side::Base => self.b,
            Side::Revision => self.r,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        id: &str,
        op: Option<&Op>,
        side: Side,
        doc: usize,
        node: &Node,
        ptr: &str,
        what: String,
        bv: Option<String>,
        rv: Option<String>,
    ) {
        let file = self.spec(side).docs[doc].name.clone();
        let message = match op {
            Some(o) => format!("{}: {what} (at {ptr})", o.name),
            None => format!("{what} (at {ptr})"),
        };
        self.out.push(Change {
            id: id.to_string(),
            level: checks::level(id),
            message,
            operation: op.map(|o| o.name.clone()),
            method: op.map(|o| o.method.clone()),
            path: op.map(|o| o.path.clone()),
            pointer: ptr.to_string(),
            side,
            file,
            line: node.line,
            column: node.col,
            base_value: bv,
            revision_value: rv,
            base_position: self.base_pos.take(),
        });
    }

    // ------------------------------------------------------------------------------------------
    // document level

    fn servers(
        &mut self,
        op: Option<&Op>,
        bd: usize,
        b: &'a Node,
        rd: usize,
        r: &'a Node,
        ptr: &str,
    ) {
        let urls = |n: &'a Node| -> BTreeMap<String, &'a Node> {
            n.get("servers")
                .map(Node::seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|s| {
                    s.get_str("url")
                        .map(|u| (u.trim_end_matches('/').to_string(), s))
                })
                .collect()
        };
        let (bs, rs) = (urls(b), urls(r));
        if bs.is_empty() || rs.is_empty() {
            // no servers means "/" (or inherited): only compare explicit lists
            if bs.is_empty() && rs.is_empty() || op.is_some() {
                return;
            }
        }
        let rnode = r.get("servers").unwrap_or(r);
        for (u, n) in &bs {
            if !rs.contains_key(u) {
                let p = format!("{ptr}/servers");
                if rs.is_empty() {
                    self.emit(
                        "api-server-removed",
                        op,
                        Side::Base,
                        bd,
                        n,
                        &p,
                        format!("removed the server `{u}`"),
                        Some(u.clone()),
                        None,
                    );
                } else {
                    self.emit(
                        "api-server-removed",
                        op,
                        Side::Revision,
                        rd,
                        rnode,
                        &p,
                        format!("removed the server `{u}`"),
                        Some(u.clone()),
                        None,
                    );
                }
            }
        }
        for (u, n) in &rs {
            if !bs.contains_key(u) {
                let p = format!("{ptr}/servers");
                self.emit(
                    "api-server-added",
                    op,
                    Side::Revision,
                    rd,
                    n,
                    &p,
                    format!("added the server `{u}`"),
                    None,
                    Some(u.clone()),
                );
            }
        }
    }

    fn security_schemes(&mut self) {
        let (b, r) = (self.b.root(), self.r.root());
        let bs = b
            .pointer("/components/securitySchemes")
            .map(Node::map)
            .unwrap_or(&[]);
        let rs_node = r.pointer("/components/securitySchemes");
        let rs = rs_node.map(Node::map).unwrap_or(&[]);
        for (name, bn) in bs {
            let p = format!("/components/securitySchemes/{}", escape_pointer(name));
            let Some((_, rn)) = rs.iter().find(|(k, _)| k == name) else {
                let loc = rs_node.unwrap_or(r);
                self.emit(
                    "api-security-component-removed",
                    None,
                    Side::Revision,
                    0,
                    loc,
                    &p,
                    format!("removed the security scheme `{name}`"),
                    Some(name.to_string()),
                    None,
                );
                continue;
            };
            let (Some((_, bn)), Some((_, rn))) = (self.b.deref(0, bn), self.r.deref(0, rn)) else {
                continue;
            };
            let field = |n: &'a Node, k: &str| n.get_str(k).map(str::to_string);
            let (bt, rt) = (field(bn, "type"), field(rn, "type"));
            if bt != rt {
                self.emit(
                    "api-security-component-type-changed",
                    None,
                    Side::Revision,
                    0,
                    rn.get("type").unwrap_or(rn),
                    &p,
                    format!(
                        "the type of security scheme `{name}` changed from {} to {}",
                        bt.clone().unwrap_or_default(),
                        rt.clone().unwrap_or_default()
                    ),
                    bt,
                    rt,
                );
                continue;
            }
            for k in ["in", "name"] {
                let (a, c) = (field(bn, k), field(rn, k));
                if a != c && bt.as_deref() == Some("apiKey") {
                    self.emit(
                        "api-security-component-api-key-changed",
                        None,
                        Side::Revision,
                        0,
                        rn.get(k).unwrap_or(rn),
                        &p,
                        format!(
                            "the API key `{k}` of security scheme `{name}` changed from {} to {}",
                            a.clone().unwrap_or_default(),
                            c.clone().unwrap_or_default()
                        ),
                        a,
                        c,
                    );
                }
            }
            let (a, c) = (
                field(bn, "scheme").map(|x| x.to_ascii_lowercase()),
                field(rn, "scheme").map(|x| x.to_ascii_lowercase()),
            );
            if a != c && bt.as_deref() == Some("http") {
                self.emit(
                    "api-security-component-http-scheme-changed",
                    None,
                    Side::Revision,
                    0,
                    rn.get("scheme").unwrap_or(rn),
                    &p,
                    format!(
                        "the HTTP scheme of security scheme `{name}` changed from {} to {}",
                        a.clone().unwrap_or_default(),
                        c.clone().unwrap_or_default()
                    ),
                    a,
                    c,
                );
            }
            let bflows = bn.get("flows").map(Node::map).unwrap_or(&[]);
            for (flow, rf) in rn.get("flows").map(Node::map).unwrap_or(&[]) {
                let Some((_, bf)) = bflows.iter().find(|(k, _)| k == flow) else {
                    continue;
                };
                let fp = format!("{p}/flows/{flow}");
                for k in ["authorizationUrl", "tokenUrl", "refreshUrl"] {
                    let (a, c) = (field(bf, k), field(rf, k));
                    if a != c && a.is_some() {
                        self.emit("api-security-component-oauth-url-changed", None, Side::Revision, 0, rf.get(k).unwrap_or(rf), &fp, format!("the {k} of the {flow} flow of security scheme `{name}` changed from {} to {}", a.clone().unwrap_or_default(), c.clone().unwrap_or_default()), a, c);
                    }
                }
                let scopes = |n: &'a Node| -> BTreeSet<&'a str> {
                    n.get("scopes")
                        .map(Node::map)
                        .unwrap_or(&[])
                        .iter()
                        .map(|(k, _)| &**k)
                        .collect()
                };
                let (bsc, rsc) = (scopes(bf), scopes(rf));
                let loc = rf.get("scopes").unwrap_or(rf);
                for sc in bsc.difference(&rsc) {
                    self.emit("api-security-component-oauth-scope-removed", None, Side::Revision, 0, loc, &fp, format!("removed the scope `{sc}` from the {flow} flow of security scheme `{name}`"), Some(sc.to_string()), None);
                }
                for sc in rsc.difference(&bsc) {
                    self.emit(
                        "api-security-component-oauth-scope-added",
                        None,
                        Side::Revision,
                        0,
                        loc,
                        &fp,
                        format!(
                            "added the scope `{sc}` to the {flow} flow of security scheme `{name}`"
                        ),
                        None,
                        Some(sc.to_string()),
                    );
                }
            }
        }
        for (name, rn) in rs {
            if !bs.iter().any(|(k, _)| k == name) {
                let p = format!("/components/securitySchemes/{}", escape_pointer(name));
                self.emit(
                    "api-security-component-added",
                    None,
                    Side::Revision,
                    0,
                    rn,
                    &p,
                    format!("added the security scheme `{name}`"),
                    None,
                    Some(name.to_string()),
                );
            }
        }
    }

    fn components(&mut self) {
        self.security_schemes();
        let (b, r) = (self.b.root(), self.r.root());
        let rs = r.pointer("/components/schemas");
        for (name, n) in b
            .pointer("/components/schemas")
            .map(Node::map)
            .unwrap_or(&[])
        {
            if rs.and_then(|s| s.get(name)).is_none() {
                let p = format!("/components/schemas/{}", escape_pointer(name));
                self.emit(
                    "api-schema-removed",
                    None,
                    Side::Base,
                    0,
                    n,
                    &p,
                    format!("removed the schema `{name}`"),
                    None,
                    None,
                );
            }
        }
        let bs = b.pointer("/components/schemas");
        for (name, n) in rs.map(Node::map).unwrap_or(&[]) {
            if bs.and_then(|s| s.get(name)).is_none() {
                let p = format!("/components/schemas/{}", escape_pointer(name));
                self.emit(
                    "api-schema-added",
                    None,
                    Side::Revision,
                    0,
                    n,
                    &p,
                    format!("added the schema `{name}`"),
                    None,
                    None,
                );
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // paths and operations

    fn path_index(spec: &'a Spec) -> BTreeMap<String, (&'a str, usize, &'a Node)> {
        let mut m = BTreeMap::new();
        for (p, item) in spec.root().get("paths").map(Node::map).unwrap_or(&[]) {
            if let Some((d, n)) = spec.deref(0, item) {
                m.entry(path_shape(p)).or_insert((&**p, d, n));
            }
        }
        m
    }

    fn ops(item: &'a Node) -> Vec<(&'a str, &'a Node)> {
        let mut v: Vec<_> = item
            .map()
            .iter()
            .filter(|(k, n)| METHODS.contains(&&**k) && n.is_map())
            .map(|(k, n)| (&**k, n))
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    fn webhook_index(spec: &'a Spec) -> BTreeMap<String, (usize, &'a Node)> {
        let mut m = BTreeMap::new();
        for key in ["webhooks", "x-webhooks"] {
            for (name, item) in spec.root().get(key).map(Node::map).unwrap_or(&[]) {
                if let Some(x) = spec.deref(0, item) {
                    m.entry(name.to_string()).or_insert(x);
                }
            }
        }
        m
    }

    /// Webhooks: the request the API sends is what the consumer receives (compared as a response).
    fn webhooks(&mut self) {
        let bw = Self::webhook_index(self.b);
        let rw = Self::webhook_index(self.r);
        let key = if self.r.root().get("webhooks").is_some() {
            "webhooks"
        } else {
            "x-webhooks"
        };
        for (name, (bd, bitem)) in &bw {
            let rops = rw.get(name).map(|(_, i)| Self::ops(i)).unwrap_or_default();
            for (m, bop) in Self::ops(bitem) {
                let op = Op {
                    name: format!("{} webhook {name}", m.to_uppercase()),
                    method: m.to_uppercase(),
                    path: name.clone(),
                };
                let p = format!("/{key}/{}/{m}", escape_pointer(name));
                match rops.iter().find(|(rm, _)| *rm == m) {
                    None => self.emit(
                        "webhook-removed",
                        Some(&op),
                        Side::Base,
                        *bd,
                        bop,
                        &p,
                        "webhook removed".into(),
                        None,
                        None,
                    ),
                    Some((_, rop)) => {
                        let rd = rw[name].0;
                        let b = bop.get("requestBody").and_then(|n| self.b.deref(*bd, n));
                        let r = rop.get("requestBody").and_then(|n| self.r.deref(rd, n));
                        if let (Some(b), Some(r)) = (b, r) {
                            let c = SCtx {
                                op: &op,
                                label: "",
                                request: false,
                                root_prefix: "webhook-payload",
                                nested_prefix: "webhook-payload-property",
                            };
                            self.content(
                                c,
                                &format!("{p}/requestBody"),
                                b,
                                r,
                                "webhook-media-type-removed",
                                "webhook-media-type-added",
                            );
                        }
                    }
                }
            }
        }
        for (name, (rd, ritem)) in &rw {
            let bops = bw.get(name).map(|(_, i)| Self::ops(i)).unwrap_or_default();
            for (m, rop) in Self::ops(ritem) {
                if bops.iter().any(|(bm, _)| *bm == m) {
                    continue;
                }
                let op = Op {
                    name: format!("{} webhook {name}", m.to_uppercase()),
                    method: m.to_uppercase(),
                    path: name.clone(),
                };
                let p = format!("/{key}/{}/{m}", escape_pointer(name));
                self.emit(
                    "webhook-added",
                    Some(&op),
                    Side::Revision,
                    *rd,
                    rop,
                    &p,
                    "webhook added".into(),
                    None,
                    None,
                );
            }
        }
    }

    fn paths(&mut self) {
        let bp = Self::path_index(self.b);
        let rp = Self::path_index(self.r);
        for (shape, (bpath, bd, bitem)) in &bp {
            match rp.get(shape) {
                None => {
                    for (m, bop) in Self::ops(bitem) {
                        let op = Op {
                            name: format!("{} {bpath}", m.to_uppercase()),
                            method: m.to_uppercase(),
                            path: bpath.to_string(),
                        };
                        self.removed(true, &op, *bd, bop);
                    }
                }
                Some((rpath, rd, ritem)) => {
                    let rops = Self::ops(ritem);
                    for (m, bop) in Self::ops(bitem) {
                        match rops.iter().find(|(rm, _)| *rm == m) {
                            None => {
                                let op = Op {
                                    name: format!("{} {bpath}", m.to_uppercase()),
                                    method: m.to_uppercase(),
                                    path: bpath.to_string(),
                                };
                                self.removed(false, &op, *bd, bop);
                            }
                            Some((_, rop)) => {
                                let op = Op {
                                    name: format!("{} {rpath}", m.to_uppercase()),
                                    method: m.to_uppercase(),
                                    path: rpath.to_string(),
                                };
                                self.operation(
                                    &op,
                                    (*bd, bitem, bop, bpath),
                                    (*rd, ritem, rop, rpath),
                                );
                            }
                        }
                    }
                    for (m, rop) in &rops {
                        if !Self::ops(bitem).iter().any(|(bm, _)| bm == m) {
                            self.added(rpath, *rd, m, rop);
                        }
                    }
                }
            }
        }
        for (shape, (rpath, rd, ritem)) in &rp {
            if !bp.contains_key(shape) {
                for (m, rop) in Self::ops(ritem) {
                    self.added(rpath, *rd, m, rop);
                }
            }
        }
    }

    fn added(&mut self, path: &str, doc: usize, m: &str, rop: &Node) {
        let op = Op {
            name: format!("{} {path}", m.to_uppercase()),
            method: m.to_uppercase(),
            path: path.to_string(),
        };
        let p = format!("/paths/{}/{m}", escape_pointer(path));
        self.emit(
            "endpoint-added",
            Some(&op),
            Side::Revision,
            doc,
            rop,
            &p,
            "endpoint added".into(),
            None,
            None,
        );
    }

    fn removed(&mut self, whole_path: bool, op: &Op, doc: usize, bop: &Node) {
        let prefix = if whole_path {
            "api-path-removed"
        } else {
            "api-removed"
        };
        let deprecated = bop.get_bool("deprecated");
        let unstable = bop
            .get_str("x-stability-level")
            .and_then(stability_rank)
            .is_some_and(|r| r <= 1);
        let sunset = sunset_of(bop).map(|(d, _)| d);
        let (suffix, what) = if unstable {
            (
                "with-deprecation",
                "removed an operation of stability draft/alpha".to_string(),
            )
        } else if !deprecated {
            (
                "without-deprecation",
                "removed without deprecation".to_string(),
            )
        } else {
            match sunset {
                Some(d) if d > self.opts.today => {
                    ("before-sunset", format!("removed before its sunset date {d}"))
                }
                Some(d) => ("with-deprecation", format!("removed after its sunset date {d}")),
                None if self.opts.sunset_policy == SunsetPolicy::SunsetDate => (
                    "before-sunset",
                    "removed while deprecated without a sunset date (the sunset policy requires one)"
                        .to_string(),
                ),
                None => ("with-deprecation", "removed after deprecation".to_string()),
            }
        };
        let what = if whole_path {
            format!("api path {what}")
        } else {
            format!("operation {what}")
        };
        let p = format!(
            "/paths/{}/{}",
            escape_pointer(&op.path),
            op.method.to_lowercase()
        );
        self.emit(
            &format!("{prefix}-{suffix}"),
            Some(op),
            Side::Base,
            doc,
            bop,
            &p,
            what,
            None,
            None,
        );
    }

    fn operation(
        &mut self,
        op: &Op,
        (bd, bitem, bop, bpath): (usize, &'a Node, &'a Node, &'a str),
        (rd, ritem, rop, rpath): (usize, &'a Node, &'a Node, &'a str),
    ) {
        let p = format!(
            "/paths/{}/{}",
            escape_pointer(rpath),
            op.method.to_lowercase()
        );
        let o = Some(op);
        // operationId
        let (bid, rid) = (bop.get("operationId"), rop.get("operationId"));
        match (bid.and_then(Node::str), rid.and_then(Node::str)) {
            (Some(a), Some(b)) if a != b => self.emit(
                "api-operation-id-removed",
                o,
                Side::Revision,
                rd,
                rid.unwrap(),
                &format!("{p}/operationId"),
                format!("operationId `{a}` removed and replaced with `{b}`"),
                Some(a.into()),
                Some(b.into()),
            ),
            (Some(a), None) => self.emit(
                "api-operation-id-removed",
                o,
                Side::Revision,
                rd,
                rop,
                &format!("{p}/operationId"),
                format!("operationId `{a}` removed"),
                Some(a.into()),
                None,
            ),
            (None, Some(b)) => self.emit(
                "api-operation-id-added",
                o,
                Side::Revision,
                rd,
                rid.unwrap(),
                &format!("{p}/operationId"),
                format!("operationId `{b}` added"),
                None,
                Some(b.into()),
            ),
            _ => {}
        }
        self.lifecycle(op, &p, bop, rd, rop);
        // tags
        let tags = |n: &'a Node| -> BTreeSet<&'a str> {
            n.get("tags")
                .map(Node::seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::str)
                .collect()
        };
        let (bt, rt) = (tags(bop), tags(rop));
        let tnode = rop.get("tags").unwrap_or(rop);
        for t in bt.difference(&rt) {
            self.emit(
                "api-tag-removed",
                o,
                Side::Revision,
                rd,
                tnode,
                &format!("{p}/tags"),
                format!("tag `{t}` removed"),
                Some(t.to_string()),
                None,
            );
        }
        for t in rt.difference(&bt) {
            self.emit(
                "api-tag-added",
                o,
                Side::Revision,
                rd,
                tnode,
                &format!("{p}/tags"),
                format!("tag `{t}` added"),
                None,
                Some(t.to_string()),
            );
        }
        self.security(op, &p, bop, rd, rop);
        if bop.get("servers").is_some() || rop.get("servers").is_some() {
            self.servers(o, bd, bop, rd, rop, &p);
        }
        self.parameters(op, &p, (bd, bitem, bop, bpath), (rd, ritem, rop, rpath));
        self.request_body(op, &p, bd, bop, rd, rop);
        self.responses(op, &p, bd, bop, rd, rop);
    }

    fn lifecycle(&mut self, op: &Op, p: &str, bop: &'a Node, rd: usize, rop: &'a Node) {
        let o = Some(op);
        let (bdep, rdep) = (bop.get_bool("deprecated"), rop.get_bool("deprecated"));
        let dnode = rop.get("deprecated").unwrap_or(rop);
        let rsun = sunset_of(rop);
        if !bdep && rdep {
            self.emit(
                "endpoint-deprecated",
                o,
                Side::Revision,
                rd,
                dnode,
                &format!("{p}/deprecated"),
                "endpoint deprecated".into(),
                None,
                None,
            );
            let need = self.opts.min_sunset_days > 0
                || self.opts.sunset_policy == SunsetPolicy::SunsetDate;
            match rsun {
                None if need => self.emit(
                    "api-deprecated-sunset-missing",
                    o,
                    Side::Revision,
                    rd,
                    dnode,
                    &format!("{p}/deprecated"),
                    "deprecated without a sunset date (`x-sunset`)".into(),
                    None,
                    None,
                ),
                Some((d, n)) if self.opts.min_sunset_days > 0 => {
                    let min = self.opts.today + chrono::Days::new(self.opts.min_sunset_days as u64);
                    if d < min {
                        self.emit("api-sunset-date-too-small", o, Side::Revision, rd, n, &format!("{p}/x-sunset"), format!("sunset date {d} is too soon: it must be at least {} days from today ({min})", self.opts.min_sunset_days), None, Some(d.to_string()));
                    }
                }
                _ => {}
            }
        } else if bdep && !rdep {
            self.emit(
                "endpoint-reactivated",
                o,
                Side::Revision,
                rd,
                rop,
                &format!("{p}/deprecated"),
                "endpoint reactivated (no longer deprecated)".into(),
                None,
                None,
            );
        } else if bdep && rdep {
            if let (Some((bs, _)), Some((rs, n))) = (sunset_of(bop), rsun) {
                if rs < bs {
                    self.emit(
                        "api-sunset-date-changed-too-small",
                        o,
                        Side::Revision,
                        rd,
                        n,
                        &format!("{p}/x-sunset"),
                        format!("sunset date moved earlier, from {bs} to {rs}"),
                        Some(bs.to_string()),
                        Some(rs.to_string()),
                    );
                } else if rs > bs {
                    self.emit(
                        "api-sunset-date-extended",
                        o,
                        Side::Revision,
                        rd,
                        n,
                        &format!("{p}/x-sunset"),
                        format!("sunset date moved later, from {bs} to {rs}"),
                        Some(bs.to_string()),
                        Some(rs.to_string()),
                    );
                }
            }
        }
        let (bst, rst) = (
            bop.get_str("x-stability-level"),
            rop.get("x-stability-level"),
        );
        if let (Some(b), Some(rn)) = (bst, rst) {
            if let (Some(br), Some(rr)) = (stability_rank(b), rn.str().and_then(stability_rank)) {
                let r = rn.str().unwrap_or("");
                if rr < br {
                    self.emit(
                        "api-stability-decreased",
                        o,
                        Side::Revision,
                        rd,
                        rn,
                        &format!("{p}/x-stability-level"),
                        format!("stability level decreased from {b} to {r}"),
                        Some(b.into()),
                        Some(r.into()),
                    );
                } else if rr > br {
                    self.emit(
                        "api-stability-increased",
                        o,
                        Side::Revision,
                        rd,
                        rn,
                        &format!("{p}/x-stability-level"),
                        format!("stability level increased from {b} to {r}"),
                        Some(b.into()),
                        Some(r.into()),
                    );
                }
            }
        }
    }

    fn security(&mut self, op: &Op, p: &str, bop: &'a Node, rd: usize, rop: &'a Node) {
        type Req<'x> = BTreeMap<&'x str, BTreeSet<&'x str>>;
        fn eff<'x>(spec: &'x Spec, op: &'x Node) -> (Vec<Req<'x>>, Option<&'x Node>) {
            let n = op.get("security").or_else(|| spec.root().get("security"));
            let reqs = n
                .map(Node::seq)
                .unwrap_or(&[])
                .iter()
                .map(|r| {
                    r.map()
                        .iter()
                        .map(|(k, v)| (&**k, v.seq().iter().filter_map(Node::str).collect()))
                        .collect()
                })
                .collect();
            (reqs, n)
        }
        let (breqs, _) = eff(self.b, bop);
        let (rreqs, rnode) = eff(self.r, rop);
        let loc = rnode.unwrap_or(rop);
        // a document-level `security` lives in document 0 of the revision
        let ld = if rop.get("security").is_some() { rd } else { 0 };
        let ptr = if rop.get("security").is_some() {
            format!("{p}/security")
        } else {
            "/security".to_string()
        };
        let anon = |v: &Vec<Req>| v.is_empty() || v.iter().any(|r| r.is_empty());
        let names = |r: &Req| r.keys().copied().collect::<Vec<_>>().join(" + ");
        let o = Some(op);
        match (anon(&breqs), anon(&rreqs)) {
            (true, false) => {
                let all: Vec<String> = rreqs.iter().map(names).collect();
                self.emit("api-security-added", o, Side::Revision, ld, loc, &ptr, format!("security requirement `{}` added: the operation now requires authentication", all.join("` or `")), None, Some(all.join(" | ")));
            }
            (false, true) => {
                self.emit("api-security-removed", o, Side::Revision, ld, loc, &ptr, "security requirements removed: the operation no longer requires authentication".into(), None, None);
            }
            (b_anon, r_anon) => {
                for br in breqs.iter().filter(|r| !r.is_empty()) {
                    let keys: Vec<&str> = br.keys().copied().collect();
                    match rreqs
                        .iter()
                        .find(|rr| rr.keys().copied().eq(keys.iter().copied()))
                    {
                        None => {
                            if !r_anon {
                                self.emit(
                                    "api-security-requirement-removed",
                                    o,
                                    Side::Revision,
                                    ld,
                                    loc,
                                    &ptr,
                                    format!("security requirement `{}` removed", names(br)),
                                    Some(names(br)),
                                    None,
                                );
                            }
                        }
                        Some(rr) => {
                            for (scheme, bscopes) in br {
                                let rscopes = &rr[scheme];
                                for s in rscopes.difference(bscopes) {
                                    self.emit(
                                        "api-security-scope-added",
                                        o,
                                        Side::Revision,
                                        ld,
                                        loc,
                                        &ptr,
                                        format!("scope `{s}` added to security scheme `{scheme}`"),
                                        None,
                                        Some(s.to_string()),
                                    );
                                }
                                for s in bscopes.difference(rscopes) {
                                    self.emit(
                                        "api-security-scope-removed",
                                        o,
                                        Side::Revision,
                                        ld,
                                        loc,
                                        &ptr,
                                        format!(
                                            "scope `{s}` removed from security scheme `{scheme}`"
                                        ),
                                        Some(s.to_string()),
                                        None,
                                    );
                                }
                            }
                        }
                    }
                }
                if !b_anon {
                    for rr in rreqs.iter().filter(|r| !r.is_empty()) {
                        if !breqs.iter().any(|br| br.keys().eq(rr.keys())) {
                            self.emit(
                                "api-security-requirement-added",
                                o,
                                Side::Revision,
                                ld,
                                loc,
                                &ptr,
                                format!("alternative security requirement `{}` added", names(rr)),
                                None,
                                Some(names(rr)),
                            );
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // parameters

    /// Parameters of an operation (path-level merged, operation-level wins), keyed by location+name;
    /// path parameters by their position in the template so renames match.
    fn param_list(
        spec: &'a Spec,
        doc: usize,
        item: &'a Node,
        op: &'a Node,
        path: &str,
    ) -> BTreeMap<String, (usize, &'a Node)> {
        let vars = template_vars(path);
        let mut m = BTreeMap::new();
        for src in [item, op] {
            for p in src.get("parameters").map(Node::seq).unwrap_or(&[]) {
                let Some((d, n)) = spec.deref(doc, p) else {
                    continue;
                };
                let (Some(inn), Some(name)) = (n.get_str("in"), n.get_str("name")) else {
                    continue;
                };
                let key = if inn == "path" {
                    match vars.iter().position(|v| *v == name) {
                        Some(i) => format!("path#{i}"),
                        None => format!("path:{name}"),
                    }
                } else if inn == "header" {
                    format!("header:{}", name.to_ascii_lowercase())
                } else {
                    format!("{inn}:{name}")
                };
                m.insert(key, (d, n));
            }
        }
        m
    }

    fn parameters(
        &mut self,
        op: &Op,
        p: &str,
        (bd, bitem, bop, bpath): (usize, &'a Node, &'a Node, &'a str),
        (rd, ritem, rop, rpath): (usize, &'a Node, &'a Node, &'a str),
    ) {
        let bps = Self::param_list(self.b, bd, bitem, bop, bpath);
        let rps = Self::param_list(self.r, rd, ritem, rop, rpath);
        let o = Some(op);
        let mut moved: BTreeSet<&String> = BTreeSet::new();
        for (k, (_, bn)) in &bps {
            if rps.contains_key(k) {
                continue;
            }
            let name = bn.get_str("name").unwrap_or("");
            let inn = bn.get_str("in").unwrap_or("");
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            // same name, other location, not in the base: `in` changed
            if let Some((rk, (rdd, rn))) = rps.iter().find(|(rk, (_, rn))| {
                !bps.contains_key(*rk)
                    && rn
                        .get_str("name")
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    && rn.get_str("in") != Some(inn)
            }) {
                moved.insert(rk);
                let rin = rn.get_str("in").unwrap_or("");
                let loc = rn.get("in").unwrap_or(rn);
                self.emit(
                    "request-parameter-location-changed",
                    o,
                    Side::Revision,
                    *rdd,
                    loc,
                    &pp,
                    format!("the request parameter `{name}` moved from {inn} to {rin}"),
                    Some(inn.into()),
                    Some(rin.into()),
                );
                continue;
            }
            let id = if !bn.get_bool("deprecated") {
                "request-parameter-removed"
            } else if sunset_of(bn).is_some_and(|(d, _)| d > self.opts.today) {
                "request-parameter-removed-before-sunset"
            } else {
                "request-parameter-removed-with-deprecation"
            };
            let loc = rop.get("parameters").unwrap_or(rop);
            self.base_pos = Some((bn.line, bn.col));
            self.emit(
                id,
                o,
                Side::Revision,
                rd,
                loc,
                &pp,
                format!("deleted the {inn} request parameter `{name}`"),
                Some(name.into()),
                None,
            );
        }
        for (k, (rdd, rn)) in &rps {
            if bps.contains_key(k) || moved.contains(k) {
                continue;
            }
            let name = rn.get_str("name").unwrap_or("");
            let inn = rn.get_str("in").unwrap_or("");
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            let (id, what) = if inn == "path" {
                (
                    "new-request-path-parameter",
                    format!("added the new path request parameter `{name}`"),
                )
            } else if rn.get_bool("required") {
                (
                    "new-required-request-parameter",
                    format!("added the new required {inn} request parameter `{name}`"),
                )
            } else {
                (
                    "new-optional-request-parameter",
                    format!("added the new optional {inn} request parameter `{name}`"),
                )
            };
            self.emit(
                id,
                o,
                Side::Revision,
                *rdd,
                rn,
                &pp,
                what,
                None,
                Some(name.into()),
            );
        }
        for (k, (bdd, bn)) in &bps {
            let Some((rdd, rn)) = rps.get(k) else {
                continue;
            };
            let name = rn.get_str("name").unwrap_or("");
            let inn = rn.get_str("in").unwrap_or("");
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            let (breq, rreq) = (
                bn.get_bool("required") || inn == "path",
                rn.get_bool("required") || inn == "path",
            );
            let rloc = |key: &str| rn.get(key).unwrap_or(rn);
            if !breq && rreq {
                self.emit(
                    "request-parameter-became-required",
                    o,
                    Side::Revision,
                    *rdd,
                    rloc("required"),
                    &pp,
                    format!("the {inn} request parameter `{name}` became required"),
                    Some("false".into()),
                    Some("true".into()),
                );
            } else if breq && !rreq {
                self.emit(
                    "request-parameter-became-optional",
                    o,
                    Side::Revision,
                    *rdd,
                    rloc("required"),
                    &pp,
                    format!("the {inn} request parameter `{name}` became optional"),
                    Some("true".into()),
                    Some("false".into()),
                );
            }
            let (bdep, rdep) = (bn.get_bool("deprecated"), rn.get_bool("deprecated"));
            if !bdep && rdep {
                self.emit(
                    "request-parameter-deprecated",
                    o,
                    Side::Revision,
                    *rdd,
                    rloc("deprecated"),
                    &pp,
                    format!("the {inn} request parameter `{name}` was deprecated"),
                    None,
                    None,
                );
            } else if bdep && !rdep {
                self.emit(
                    "request-parameter-reactivated",
                    o,
                    Side::Revision,
                    *rdd,
                    rn,
                    &pp,
                    format!("the {inn} request parameter `{name}` was reactivated"),
                    None,
                    None,
                );
            }
            let default_style = |i: &str| {
                if i == "query" || i == "cookie" {
                    "form"
                } else {
                    "simple"
                }
            };
            let bstyle = bn
                .get_str("style")
                .unwrap_or(default_style(bn.get_str("in").unwrap_or("")));
            let rstyle = rn.get_str("style").unwrap_or(default_style(inn));
            if bstyle != rstyle {
                self.emit("request-parameter-style-changed", o, Side::Revision, *rdd, rloc("style"), &pp, format!("the style of the {inn} request parameter `{name}` changed from {bstyle} to {rstyle}"), Some(bstyle.into()), Some(rstyle.into()));
            }
            let bexp = bn
                .get("explode")
                .and_then(Node::bool)
                .unwrap_or(bstyle == "form");
            let rexp = rn
                .get("explode")
                .and_then(Node::bool)
                .unwrap_or(rstyle == "form");
            if bexp != rexp && bstyle == rstyle {
                self.emit("request-parameter-explode-changed", o, Side::Revision, *rdd, rloc("explode"), &pp, format!("`explode` of the {inn} request parameter `{name}` changed from {bexp} to {rexp}"), Some(bexp.to_string()), Some(rexp.to_string()));
            }
            let schema_of = |n: &'a Node| -> Option<&'a Node> {
                n.get("schema").or_else(|| {
                    n.get("content")
                        .and_then(|c| c.map().first())
                        .and_then(|(_, mt)| mt.get("schema"))
                })
            };
            if let (Some(bs), Some(rs)) = (schema_of(bn), schema_of(rn)) {
                let disp = format!("{inn} parameter `{name}`");
                let c = SCtx {
                    op,
                    label: &disp,
                    request: true,
                    root_prefix: "request-parameter",
                    nested_prefix: "request-parameter-property",
                };
                self.schema(
                    c,
                    false,
                    &format!("{pp}/schema"),
                    "",
                    (*bdd, bs),
                    (*rdd, rs),
                );
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // request body

    fn request_body(
        &mut self,
        op: &Op,
        p: &str,
        bd: usize,
        bop: &'a Node,
        rd: usize,
        rop: &'a Node,
    ) {
        let o = Some(op);
        let pp = format!("{p}/requestBody");
        let b = bop.get("requestBody").and_then(|n| self.b.deref(bd, n));
        let r = rop.get("requestBody").and_then(|n| self.r.deref(rd, n));
        match (b, r) {
            (None, None) => {}
            (None, Some((rdd, rb))) => {
                if rb.get_bool("required") {
                    self.emit(
                        "request-body-added-required",
                        o,
                        Side::Revision,
                        rdd,
                        rb,
                        &pp,
                        "added a required request body".into(),
                        None,
                        None,
                    );
                } else {
                    self.emit(
                        "request-body-added-optional",
                        o,
                        Side::Revision,
                        rdd,
                        rb,
                        &pp,
                        "added an optional request body".into(),
                        None,
                        None,
                    );
                }
            }
            (Some(_), None) => {
                self.emit(
                    "request-body-removed",
                    o,
                    Side::Revision,
                    rd,
                    rop,
                    &pp,
                    "removed the request body".into(),
                    None,
                    None,
                );
            }
            (Some((bdd, bb)), Some((rdd, rb))) => {
                let (breq, rreq) = (bb.get_bool("required"), rb.get_bool("required"));
                let loc = rb.get("required").unwrap_or(rb);
                if !breq && rreq {
                    self.emit(
                        "request-body-became-required",
                        o,
                        Side::Revision,
                        rdd,
                        loc,
                        &pp,
                        "the request body became required".into(),
                        None,
                        None,
                    );
                } else if breq && !rreq {
                    self.emit(
                        "request-body-became-optional",
                        o,
                        Side::Revision,
                        rdd,
                        loc,
                        &pp,
                        "the request body became optional".into(),
                        None,
                        None,
                    );
                }
                let c = SCtx {
                    op,
                    label: "",
                    request: true,
                    root_prefix: "request-body",
                    nested_prefix: "request-property",
                };
                self.content(
                    c,
                    &pp,
                    (bdd, bb),
                    (rdd, rb),
                    "request-body-media-type-removed",
                    "request-body-media-type-added",
                );
            }
        }
    }

    /// Compare `content` maps (media type -> schema).
    fn content(
        &mut self,
        c: SCtx,
        pp: &str,
        (bd, b): R<'a>,
        (rd, r): R<'a>,
        removed: &str,
        added: &str,
    ) {
        let o = Some(c.op);
        let norm = |k: &str| k.split(';').next().unwrap_or(k).trim().to_ascii_lowercase();
        let bc: BTreeMap<String, &Node> = b
            .get("content")
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let rc: BTreeMap<String, &Node> = r
            .get("content")
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let rloc = r.get("content").unwrap_or(r);
        for (mt, bnode) in &bc {
            if !rc.contains_key(mt) {
                self.base_pos = Some((bnode.line, bnode.col));
                self.emit(
                    removed,
                    o,
                    Side::Revision,
                    rd,
                    rloc,
                    &format!("{pp}/content/{}", escape_pointer(mt)),
                    format!("removed the media type `{mt}`"),
                    Some(mt.clone()),
                    None,
                );
            }
        }
        for (mt, n) in &rc {
            if !bc.contains_key(mt) {
                self.emit(
                    added,
                    o,
                    Side::Revision,
                    rd,
                    n,
                    &format!("{pp}/content/{}", escape_pointer(mt)),
                    format!("added the media type `{mt}`"),
                    None,
                    Some(mt.clone()),
                );
            }
        }
        for (mt, bn) in &bc {
            let Some(rn) = rc.get(mt) else { continue };
            if let (Some(bs), Some(rs)) = (bn.get("schema"), rn.get("schema")) {
                let sp = format!("{pp}/content/{}/schema", escape_pointer(mt));
                self.schema(c, false, &sp, "", (bd, bs), (rd, rs));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // responses

    fn responses(&mut self, op: &Op, p: &str, bd: usize, bop: &'a Node, rd: usize, rop: &'a Node) {
        let o = Some(op);
        let empty = Node {
            line: 0,
            col: 0,
            v: V::Null,
        };
        let bresp = bop.get("responses");
        let rresp = rop.get("responses");
        let norm = |k: &str| k.to_ascii_uppercase();
        let bm: BTreeMap<String, &Node> = bresp
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let rm: BTreeMap<String, &Node> = rresp
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let _ = &empty;
        let rloc = rresp.unwrap_or(rop);
        for (code, bnode) in &bm {
            if !rm.contains_key(code) {
                self.base_pos = Some((bnode.line, bnode.col));
                let id = if code.starts_with('2') {
                    "response-success-status-removed"
                } else {
                    "response-non-success-status-removed"
                };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    rd,
                    rloc,
                    &format!("{p}/responses/{code}"),
                    format!("removed the response status {code}"),
                    Some(code.clone()),
                    None,
                );
            }
        }
        for (code, n) in &rm {
            if !bm.contains_key(code) {
                let id = if code.starts_with('2') {
                    "response-success-status-added"
                } else {
                    "response-non-success-status-added"
                };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    rd,
                    n,
                    &format!("{p}/responses/{code}"),
                    format!("added the response status {code}"),
                    None,
                    Some(code.clone()),
                );
            }
        }
        for (code, bn) in &bm {
            let Some(rn) = rm.get(code) else { continue };
            let (Some(b), Some(r)) = (self.b.deref(bd, bn), self.r.deref(rd, rn)) else {
                continue;
            };
            let pp = format!("{p}/responses/{code}");
            let c = SCtx {
                op,
                label: "",
                request: false,
                root_prefix: "response-body",
                nested_prefix: "response-property",
            };
            self.content(
                c,
                &pp,
                b,
                r,
                "response-media-type-removed",
                "response-media-type-added",
            );
            self.headers(c, &pp, b, r, code);
        }
    }

    fn headers(&mut self, c: SCtx, pp: &str, (bd, b): R<'a>, (rd, r): R<'a>, code: &str) {
        let o = Some(c.op);
        let hm = |spec: &'a Spec, d: usize, n: &'a Node| -> BTreeMap<String, R<'a>> {
            n.get("headers")
                .map(Node::map)
                .unwrap_or(&[])
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
                .filter_map(|(k, v)| spec.deref(d, v).map(|x| (k.to_ascii_lowercase(), x)))
                .collect()
        };
        let (bh, rh) = (hm(self.b, bd, b), hm(self.r, rd, r));
        let rloc = r.get("headers").unwrap_or(r);
        for (h, (_, bn)) in &bh {
            if !rh.contains_key(h) {
                self.base_pos = Some((bn.line, bn.col));
                let id = if bn.get_bool("required") {
                    "response-required-header-removed"
                } else {
                    "response-optional-header-removed"
                };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    rd,
                    rloc,
                    &format!("{pp}/headers/{}", escape_pointer(h)),
                    format!("removed the header `{h}` of the {code} response"),
                    Some(h.clone()),
                    None,
                );
            }
        }
        for (h, (hd, rn)) in &rh {
            let hp = format!("{pp}/headers/{}", escape_pointer(h));
            match bh.get(h) {
                None => self.emit(
                    "response-header-added",
                    o,
                    Side::Revision,
                    *hd,
                    rn,
                    &hp,
                    format!("added the header `{h}` to the {code} response"),
                    None,
                    Some(h.clone()),
                ),
                Some((bhd, bn)) => {
                    if bn.get_bool("required") && !rn.get_bool("required") {
                        self.emit(
                            "response-header-became-optional",
                            o,
                            Side::Revision,
                            *hd,
                            rn.get("required").unwrap_or(rn),
                            &hp,
                            format!("the header `{h}` of the {code} response became optional"),
                            None,
                            None,
                        );
                    } else if !bn.get_bool("required") && rn.get_bool("required") {
                        self.emit(
                            "response-header-became-required",
                            o,
                            Side::Revision,
                            *hd,
                            rn.get("required").unwrap_or(rn),
                            &hp,
                            format!("the header `{h}` of the {code} response became required"),
                            None,
                            None,
                        );
                    }
                    if let (Some(bs), Some(rs)) = (bn.get("schema"), rn.get("schema")) {
                        let label = format!("header `{h}`");
                        let hc = SCtx {
                            label: &label,
                            root_prefix: "response-header",
                            nested_prefix: "response-header",
                            ..c
                        };
                        self.schema(
                            hc,
                            false,
                            &format!("{hp}/schema"),
                            "",
                            (*bhd, bs),
                            (*hd, rs),
                        );
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // schemas

    #[allow(clippy::too_many_arguments)]
    fn sch(
        &mut self,
        c: SCtx,
        nested: bool,
        prop: &str,
        kind: &str,
        rd: usize,
        loc: &Node,
        ptr: &str,
        what: String,
        bv: Option<String>,
        rv: Option<String>,
    ) {
        let prefix = if nested {
            c.nested_prefix
        } else {
            c.root_prefix
        };
        let ctxname = if nested {
            let of = if c.label.is_empty() {
                String::new()
            } else {
                format!(" of the {}", c.label)
            };
            format!("{} `{prop}`{of}", human(prefix))
        } else if !c.label.is_empty() {
            c.label.to_string()
        } else {
            human(prefix).to_string()
        };
        self.emit(
            &format!("{prefix}-{kind}"),
            Some(c.op),
            Side::Revision,
            rd,
            loc,
            ptr,
            format!("for the {ctxname}, {what}"),
            bv,
            rv,
        );
    }

    fn schema(&mut self, c: SCtx, nested: bool, ptr: &str, prop: &str, b: R<'a>, r: R<'a>) {
        let (Some((bd, bn)), Some((rd, rn))) = (self.b.deref(b.0, b.1), self.r.deref(r.0, r.1))
        else {
            return;
        };
        let key = (ptr_id(bn), ptr_id(rn), c.request);
        if self.clean.contains(&key) {
            return;
        }
        if self.depth > 64 || self.stack.contains(&key) {
            self.cuts += 1;
            return;
        }
        self.stack.insert(key);
        self.depth += 1;
        let (before, cuts) = (self.out.len(), self.cuts);
        self.schema_inner(c, nested, ptr, prop, (bd, bn), (rd, rn));
        self.depth -= 1;
        self.stack.remove(&key);
        // only a complete comparison proves the pair identical (a cut cycle may hide changes that the
        // pair reaches through an ancestor still being compared)
        if self.out.len() == before && self.cuts == cuts {
            self.clean.insert(key);
        }
    }

    fn schema_inner(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        (bd, bn): R<'a>,
        (rd, rn): R<'a>,
    ) {
        let bv = flatten(self.b, bd, bn);
        let rv = flatten(self.r, rd, rn);
        let req = c.request;
        let kloc = |k: &str| rv.kw(k).map(|(_, n)| n).unwrap_or(rn);
        macro_rules! e {
            ($kind:expr, $loc:expr, $what:expr, $b:expr, $r:expr) => {
                self.sch(c, nested, prop, $kind, rd, $loc, ptr, $what, $b, $r)
            };
        }
        // type
        if bv.types != rv.types {
            let covers = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| {
                b.iter()
                    .all(|t| a.contains(t) || (*t == "integer" && a.contains("number")))
            };
            let show = |t: &Option<BTreeSet<&str>>| {
                t.as_ref().map_or("any".to_string(), |s| {
                    s.iter().copied().collect::<Vec<_>>().join("|")
                })
            };
            let widen = match (&bv.types, &rv.types) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(b), Some(r)) => covers(r, b),
            };
            let narrow = match (&bv.types, &rv.types) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(b), Some(r)) => covers(b, r),
            };
            let (bs, rs) = (show(&bv.types), show(&rv.types));
            let kind = if req {
                if widen {
                    "type-generalized"
                } else {
                    "type-changed"
                }
            } else if narrow {
                "type-specialized"
            } else {
                "type-changed"
            };
            e!(
                kind,
                kloc("type"),
                format!("type changed from {bs} to {rs}"),
                Some(bs.clone()),
                Some(rs.clone())
            );
        }
        // format
        match (bv.str("format"), rv.str("format")) {
            (Some((a, _)), Some((b, n))) if a != b => e!(
                "format-changed",
                n,
                format!("format changed from {a} to {b}"),
                Some(a.into()),
                Some(b.into())
            ),
            (None, Some((b, n))) => e!(
                "format-added",
                n,
                format!("format {b} added"),
                None,
                Some(b.into())
            ),
            (Some((a, _)), None) => e!(
                "format-removed",
                rn,
                format!("format {a} removed"),
                Some(a.into()),
                None
            ),
            _ => {}
        }
        // nullable
        if !bv.nullable && rv.nullable {
            let loc = rn
                .get("nullable")
                .or_else(|| rn.get("type"))
                .or_else(|| rv.kw("nullable").map(|(_, n)| n))
                .unwrap_or(rn);
            e!(
                "became-nullable",
                loc,
                "became nullable".into(),
                Some("false".into()),
                Some("true".into())
            );
        } else if bv.nullable && !rv.nullable {
            e!(
                "became-not-nullable",
                rn.get("type").unwrap_or(rn),
                "became not nullable".into(),
                Some("true".into()),
                Some("false".into())
            );
        }
        // enum and const (a `const` is a one-value enum: 3.0 `enum: [x]` and 3.1 `const: x` are equal)
        let (bc, rc) = (bv.kw("const").map(|x| x.1), rv.kw("const").map(|x| x.1));
        let (benum, renum) = (bv.kw("enum").map(|x| x.1), rv.kw("enum").map(|x| x.1));
        let no_enum = benum.is_none() && renum.is_none();
        match (bc, rc) {
            (Some(a), Some(b)) if no_enum => {
                if !a.same(b) {
                    e!(
                        "const-changed",
                        b,
                        format!("const changed from {} to {}", a.short(), b.short()),
                        Some(a.short()),
                        Some(b.short())
                    );
                }
            }
            (None, Some(b)) if no_enum => e!(
                "const-added",
                b,
                format!("const {} added", b.short()),
                None,
                Some(b.short())
            ),
            (Some(a), None) if no_enum => e!(
                "const-removed",
                rn,
                format!("const {} removed", a.short()),
                Some(a.short()),
                None
            ),
            _ => {
                let eff = |e: Option<&'a Node>, c: Option<&'a Node>| -> Option<Vec<&'a Node>> {
                    e.map(|e| e.seq().iter().collect())
                        .or_else(|| c.map(|c| vec![c]))
                };
                let show = |v: &[&Node]| {
                    let items: Vec<String> = v.iter().map(|n| n.short()).collect();
                    format!("[{}]", items.join(", "))
                };
                match (eff(benum, bc), eff(renum, rc)) {
                    (Some(be), Some(re)) => {
                        let re_loc = renum.or(rc).unwrap_or(rn);
                        let bset: BTreeMap<String, &Node> =
                            be.iter().map(|v| (canon(v), *v)).collect();
                        let rset: BTreeMap<String, &Node> =
                            re.iter().map(|v| (canon(v), *v)).collect();
                        for (k, bnode) in bset.iter().filter(|(k, _)| !rset.contains_key(*k)) {
                            if k == "null" && rv.nullable {
                                continue;
                            }
                            self.base_pos = Some((bnode.line, bnode.col));
                            e!(
                                "enum-value-removed",
                                re_loc,
                                format!("removed the enum value {k}"),
                                Some(k.clone()),
                                None
                            );
                        }
                        for (k, n) in rset.iter().filter(|(k, _)| !bset.contains_key(*k)) {
                            if k == "null" && bv.nullable {
                                continue;
                            }
                            e!(
                                "enum-value-added",
                                n,
                                format!("added the enum value {k}"),
                                None,
                                Some(k.clone())
                            );
                        }
                    }
                    (None, Some(re)) => e!(
                        "became-enum",
                        renum.or(rc).unwrap_or(rn),
                        format!("restricted to the enum values {}", show(&re)),
                        None,
                        Some(show(&re))
                    ),
                    (Some(be), None) => e!(
                        "enum-removed",
                        rn,
                        format!("enum restriction {} removed", show(&be)),
                        Some(show(&be)),
                        None
                    ),
                    _ => {}
                }
            }
        }
        // x-extensible-enum (Zalando guideline: clients must accept unknown values)
        if let (Some((_, be)), Some((_, re))) =
            (bv.kw("x-extensible-enum"), rv.kw("x-extensible-enum"))
        {
            let bset: BTreeMap<String, &Node> = be.seq().iter().map(|v| (canon(v), v)).collect();
            let rset: BTreeMap<String, &Node> = re.seq().iter().map(|v| (canon(v), v)).collect();
            for k in bset.keys().filter(|k| !rset.contains_key(*k)) {
                e!(
                    "x-extensible-enum-value-removed",
                    re,
                    format!("removed the x-extensible-enum value {k}"),
                    Some(k.clone()),
                    None
                );
            }
            for (k, n) in rset.iter().filter(|(k, _)| !bset.contains_key(*k)) {
                e!(
                    "x-extensible-enum-value-added",
                    n,
                    format!("added the x-extensible-enum value {k}"),
                    None,
                    Some(k.clone())
                );
            }
        }
        // bounds
        let max_of = |v: &View<'a>| -> Option<(f64, &'a Node)> {
            match (v.num("maximum"), v.kw("exclusiveMaximum")) {
                (m, Some((_, x))) if x.num().is_some() && !matches!(x.v, V::Bool(_)) => {
                    let xv = x.num().unwrap();
                    Some(match m {
                        Some((mv, mn)) if mv < xv => (mv, mn),
                        _ => (xv, x),
                    })
                }
                (m, _) => m,
            }
        };
        let min_of = |v: &View<'a>| -> Option<(f64, &'a Node)> {
            match (v.num("minimum"), v.kw("exclusiveMinimum")) {
                (m, Some((_, x))) if x.num().is_some() && !matches!(x.v, V::Bool(_)) => {
                    let xv = x.num().unwrap();
                    Some(match m {
                        Some((mv, mn)) if mv > xv => (mv, mn),
                        _ => (xv, x),
                    })
                }
                (m, _) => m,
            }
        };
        let pairs: [(&str, Bound, Bound, bool); 8] = [
            ("max", max_of(&bv), max_of(&rv), true),
            ("min", min_of(&bv), min_of(&rv), false),
            ("max-length", bv.num("maxLength"), rv.num("maxLength"), true),
            (
                "min-length",
                bv.num("minLength"),
                rv.num("minLength"),
                false,
            ),
            ("max-items", bv.num("maxItems"), rv.num("maxItems"), true),
            ("min-items", bv.num("minItems"), rv.num("minItems"), false),
            (
                "max-properties",
                bv.num("maxProperties"),
                rv.num("maxProperties"),
                true,
            ),
            (
                "min-properties",
                bv.num("minProperties"),
                rv.num("minProperties"),
                false,
            ),
        ];
        for (stem, b, r, is_max) in pairs {
            let word = stem.replace('-', "");
            let kw = match stem {
                "max" => "maximum".to_string(),
                "min" => "minimum".to_string(),
                s => {
                    let mut w = s.split('-');
                    let a = w.next().unwrap();
                    let rest: String = w
                        .map(|x| {
                            let mut cs = x.chars();
                            cs.next()
                                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                                .unwrap_or_default()
                        })
                        .collect();
                    format!("{a}{rest}")
                }
            };
            let _ = word;
            match (b, r) {
                (Some((bx, _)), Some((rx, n))) if bx != rx => {
                    let dir = if rx < bx { "decreased" } else { "increased" };
                    e!(
                        &format!("{stem}-{dir}"),
                        n,
                        format!("{kw} {dir} from {} to {}", fmt_num(bx), fmt_num(rx)),
                        Some(fmt_num(bx)),
                        Some(fmt_num(rx))
                    );
                }
                (None, Some((rx, n))) => e!(
                    &format!("{stem}-set"),
                    n,
                    format!("{kw} set to {}", fmt_num(rx)),
                    None,
                    Some(fmt_num(rx))
                ),
                (Some((bx, _)), None) => e!(
                    &format!("{stem}-removed"),
                    rn,
                    format!("{kw} {} removed", fmt_num(bx)),
                    Some(fmt_num(bx)),
                    None
                ),
                _ => {}
            }
            let _ = is_max;
        }
        // pattern
        match (bv.str("pattern"), rv.str("pattern")) {
            (Some((a, _)), Some((b, n))) if a != b => e!(
                "pattern-changed",
                n,
                format!("pattern changed from `{a}` to `{b}`"),
                Some(a.into()),
                Some(b.into())
            ),
            (None, Some((b, n))) => e!(
                "pattern-added",
                n,
                format!("pattern `{b}` added"),
                None,
                Some(b.into())
            ),
            (Some((a, _)), None) => e!(
                "pattern-removed",
                rn,
                format!("pattern `{a}` removed"),
                Some(a.into()),
                None
            ),
            _ => {}
        }
        // multipleOf
        let (bm, rm) = (bv.num("multipleOf"), rv.num("multipleOf"));
        if bm.map(|x| x.0) != rm.map(|x| x.0) {
            let s = |x: Option<(f64, &Node)>| x.map_or("none".to_string(), |v| fmt_num(v.0));
            e!(
                "multiple-of-changed",
                rm.map(|x| x.1).unwrap_or(rn),
                format!("multipleOf changed from {} to {}", s(bm), s(rm)),
                Some(s(bm)),
                Some(s(rm))
            );
        }
        // uniqueItems
        match (bv.flag("uniqueItems"), rv.flag("uniqueItems")) {
            (false, true) => e!(
                "unique-items-added",
                kloc("uniqueItems"),
                "uniqueItems set".into(),
                None,
                None
            ),
            (true, false) => e!(
                "unique-items-removed",
                rn,
                "uniqueItems removed".into(),
                None,
                None
            ),
            _ => {}
        }
        // read/write only, deprecated, default
        for (k, on, off) in [
            ("readOnly", "became-read-only", "became-not-read-only"),
            ("writeOnly", "became-write-only", "became-not-write-only"),
            ("deprecated", "deprecated", "reactivated"),
        ] {
            match (bv.flag(k), rv.flag(k)) {
                (false, true) => e!(on, kloc(k), format!("{k} set"), None, None),
                (true, false) => e!(off, rn, format!("{k} removed"), None, None),
                _ => {}
            }
        }
        match (bv.kw("default"), rv.kw("default")) {
            (Some((_, a)), Some((_, b))) if !a.same(b) => e!(
                "default-changed",
                b,
                format!("default changed from {} to {}", a.short(), b.short()),
                Some(a.short()),
                Some(b.short())
            ),
            (None, Some((_, b))) => e!(
                "default-added",
                b,
                format!("default {} added", b.short()),
                None,
                Some(b.short())
            ),
            (Some((_, a)), None) => e!(
                "default-removed",
                rn,
                format!("default {} removed", a.short()),
                Some(a.short()),
                None
            ),
            _ => {}
        }
        for (k, kind) in [
            ("contentMediaType", "content-media-type-changed"),
            ("contentEncoding", "content-encoding-changed"),
        ] {
            let (a, b) = (bv.str(k).map(|x| x.0), rv.str(k).map(|x| x.0));
            if a != b {
                e!(
                    kind,
                    kloc(k),
                    format!(
                        "{k} changed from {} to {}",
                        a.unwrap_or("none"),
                        b.unwrap_or("none")
                    ),
                    a.map(Into::into),
                    b.map(Into::into)
                );
            }
        }
        // dependentRequired
        let dep = |v: &View<'a>| -> BTreeSet<(String, String)> {
            v.kw("dependentRequired")
                .map(|(_, n)| {
                    n.map()
                        .iter()
                        .flat_map(|(k, l)| {
                            l.seq()
                                .iter()
                                .filter_map(|x| x.str())
                                .map(move |x| (k.to_string(), x.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (bdr, rdr) = (dep(&bv), dep(&rv));
        for (k, x) in rdr.difference(&bdr) {
            e!(
                "dependent-required-added",
                kloc("dependentRequired"),
                format!("dependentRequired: `{k}` now requires `{x}`"),
                None,
                Some(format!("{k}->{x}"))
            );
        }
        for (k, x) in bdr.difference(&rdr) {
            e!(
                "dependent-required-removed",
                kloc("dependentRequired"),
                format!("dependentRequired: `{k}` no longer requires `{x}`"),
                Some(format!("{k}->{x}")),
                None
            );
        }
        // discriminator
        self.discriminator(c, nested, ptr, prop, &bv, &rv);
        // additionalProperties
        let ap = |v: &View<'a>| v.kw("additionalProperties");
        match (ap(&bv), ap(&rv)) {
            (b, Some((_, rn2)))
                if rn2.bool() == Some(false) && b.is_none_or(|(_, x)| x.bool() != Some(false)) =>
            {
                e!(
                    "additional-properties-disabled",
                    rn2,
                    "additionalProperties set to false".into(),
                    None,
                    Some("false".into())
                );
            }
            (Some((_, bn2)), r)
                if bn2.bool() == Some(false) && r.is_none_or(|(_, x)| x.bool() != Some(false)) =>
            {
                e!(
                    "additional-properties-enabled",
                    kloc("additionalProperties"),
                    "additionalProperties no longer false".into(),
                    Some("false".into()),
                    None
                );
            }
            (Some((bd2, bs)), Some((rd2, rs))) if bs.is_map() && rs.is_map() => {
                let np = if prop.is_empty() {
                    "additionalProperties".to_string()
                } else {
                    format!("{prop}/additionalProperties")
                };
                self.schema(
                    c,
                    true,
                    &format!("{ptr}/additionalProperties"),
                    &np,
                    (bd2, bs),
                    (rd2, rs),
                );
            }
            _ => {}
        }
        // items
        if let (Some(bi), Some(ri)) = (bv.kw("items"), rv.kw("items")) {
            if bi.1.is_map() && ri.1.is_map() {
                let np = if prop.is_empty() {
                    "items".to_string()
                } else {
                    format!("{prop}/items")
                };
                self.schema(c, true, &format!("{ptr}/items"), &np, bi, ri);
            }
        }
        // prefixItems (3.1)
        let pi = |v: &View<'a>| {
            v.kw("prefixItems")
                .map(|(d, n)| (d, n.seq()))
                .unwrap_or((0, &[]))
        };
        let ((bpd, bpi), (rpd, rpi)) = (pi(&bv), pi(&rv));
        for i in 0..bpi.len().max(rpi.len()) {
            let np = format!(
                "{}prefixItems/{i}",
                if prop.is_empty() {
                    String::new()
                } else {
                    format!("{prop}/")
                }
            );
            match (bpi.get(i), rpi.get(i)) {
                (Some(b), Some(r)) => self.schema(
                    c,
                    true,
                    &format!("{ptr}/prefixItems/{i}"),
                    &np,
                    (bpd, b),
                    (rpd, r),
                ),
                (None, Some(r)) => e!(
                    "prefix-items-added",
                    r,
                    format!("prefixItems position {i} added"),
                    None,
                    None
                ),
                (Some(_), None) => e!(
                    "prefix-items-removed",
                    kloc("prefixItems"),
                    format!("prefixItems position {i} removed"),
                    None,
                    None
                ),
                _ => {}
            }
        }
        // properties and required
        self.properties(c, ptr, prop, &bv, &rv);
        // composition
        self.alternatives(
            c,
            nested,
            ptr,
            prop,
            "oneOf",
            &bv.one_of,
            &rv.one_of,
            (rd, rv.node),
        );
        self.alternatives(
            c,
            nested,
            ptr,
            prop,
            "anyOf",
            &bv.any_of,
            &rv.any_of,
            (rd, rv.node),
        );
        let _ = bv.doc;
    }

    fn discriminator(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        bv: &View<'a>,
        rv: &View<'a>,
    ) {
        let (b, r) = (
            bv.kw("discriminator").map(|x| x.1),
            rv.kw("discriminator").map(|x| x.1),
        );
        let rd = rv.doc;
        match (b, r) {
            (None, Some(rn)) => self.sch(
                c,
                nested,
                prop,
                "discriminator-added",
                rd,
                rn,
                ptr,
                "discriminator added".into(),
                None,
                rn.get_str("propertyName").map(Into::into),
            ),
            (Some(bn), None) => self.sch(
                c,
                nested,
                prop,
                "discriminator-removed",
                rd,
                rv.node,
                ptr,
                "discriminator removed".into(),
                bn.get_str("propertyName").map(Into::into),
                None,
            ),
            (Some(bn), Some(rn)) => {
                let (bp, rp) = (bn.get_str("propertyName"), rn.get_str("propertyName"));
                if bp != rp {
                    self.sch(
                        c,
                        nested,
                        prop,
                        "discriminator-property-name-changed",
                        rd,
                        rn.get("propertyName").unwrap_or(rn),
                        ptr,
                        format!(
                            "discriminator property name changed from {} to {}",
                            bp.unwrap_or("none"),
                            rp.unwrap_or("none")
                        ),
                        bp.map(Into::into),
                        rp.map(Into::into),
                    );
                }
                let mm = |n: &'a Node| -> BTreeMap<&'a str, &'a Node> {
                    n.get("mapping")
                        .map(Node::map)
                        .unwrap_or(&[])
                        .iter()
                        .map(|(k, v)| (&**k, v))
                        .collect()
                };
                let (bm, rm) = (mm(bn), mm(rn));
                let loc = rn.get("mapping").unwrap_or(rn);
                for (k, bvv) in &bm {
                    match rm.get(k) {
                        None => self.sch(
                            c,
                            nested,
                            prop,
                            "discriminator-mapping-removed",
                            rd,
                            loc,
                            ptr,
                            format!("discriminator mapping `{k}` removed"),
                            Some(k.to_string()),
                            None,
                        ),
                        Some(rvv) => {
                            let short = |n: &Node| {
                                n.str()
                                    .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
                                    .unwrap_or_default()
                            };
                            if short(bvv) != short(rvv) {
                                self.sch(
                                    c,
                                    nested,
                                    prop,
                                    "discriminator-mapping-changed",
                                    rd,
                                    rvv,
                                    ptr,
                                    format!(
                                        "discriminator mapping `{k}` changed from {} to {}",
                                        short(bvv),
                                        short(rvv)
                                    ),
                                    Some(short(bvv)),
                                    Some(short(rvv)),
                                );
                            }
                        }
                    }
                }
                for (k, rvv) in &rm {
                    if !bm.contains_key(k) {
                        self.sch(
                            c,
                            nested,
                            prop,
                            "discriminator-mapping-added",
                            rd,
                            rvv,
                            ptr,
                            format!("discriminator mapping `{k}` added"),
                            None,
                            Some(k.to_string()),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn prop_flag(spec: &'a Spec, r: R<'a>, k: &str) -> bool {
        spec.deref(r.0, r.1)
            .is_some_and(|(d, n)| flatten(spec, d, n).flag(k))
    }

    fn properties(&mut self, c: SCtx, ptr: &str, prop: &str, bv: &View<'a>, rv: &View<'a>) {
        let o = Some(c.op);
        let join = |name: &str| {
            if prop.is_empty() {
                name.to_string()
            } else {
                format!("{prop}/{name}")
            }
        };
        let rloc = rv.kw("properties").map(|x| x.1).unwrap_or(rv.node);
        let rd = rv.doc;
        for (name, bd, bnode) in &bv.props {
            let pp = format!("{ptr}/properties/{}", escape_pointer(name));
            let full = join(name);
            let breq = bv.required.contains(name);
            match rv.prop(name) {
                None => {
                    if c.request {
                        if Self::prop_flag(self.b, (*bd, bnode), "readOnly") {
                            continue;
                        }
                        self.base_pos = Some((bnode.line, bnode.col));
                        self.emit(
                            "request-property-removed",
                            o,
                            Side::Revision,
                            rd,
                            rloc,
                            &pp,
                            format!("removed the request property `{full}`"),
                            Some(full.clone()),
                            None,
                        );
                    } else {
                        if Self::prop_flag(self.b, (*bd, bnode), "writeOnly") {
                            continue;
                        }
                        self.base_pos = Some((bnode.line, bnode.col));
                        let deprecated = Self::prop_flag(self.b, (*bd, bnode), "deprecated");
                        let sunset = self
                            .b
                            .deref(*bd, bnode)
                            .and_then(|(_, n)| sunset_of(n))
                            .map(|(d, _)| d);
                        let id = if deprecated && sunset.is_some_and(|d| d > self.opts.today) {
                            "response-property-removed-before-sunset"
                        } else if deprecated {
                            "response-property-removed-with-deprecation"
                        } else if breq {
                            "response-required-property-removed"
                        } else {
                            "response-optional-property-removed"
                        };
                        let kind = if breq { "required" } else { "optional" };
                        self.emit(
                            id,
                            o,
                            Side::Revision,
                            rd,
                            rloc,
                            &pp,
                            format!(
                                "removed the {kind} property `{full}` from the {}",
                                human(c.root_prefix)
                            ),
                            Some(full.clone()),
                            None,
                        );
                    }
                }
                Some((rpd, rpn)) => {
                    let rreq = rv.required.contains(name);
                    let reqloc = rv.kw("required").map(|x| x.1).unwrap_or(rpn);
                    if c.request {
                        let ro = Self::prop_flag(self.r, (rpd, rpn), "readOnly");
                        if !breq && rreq && !ro {
                            self.emit(
                                "request-property-became-required",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the request property `{full}` became required"),
                                Some("optional".into()),
                                Some("required".into()),
                            );
                        } else if breq && !rreq {
                            self.emit(
                                "request-property-became-optional",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the request property `{full}` became optional"),
                                Some("required".into()),
                                Some("optional".into()),
                            );
                        }
                        if ro && Self::prop_flag(self.b, (*bd, bnode), "readOnly") {
                            continue;
                        }
                    } else {
                        let wo = Self::prop_flag(self.r, (rpd, rpn), "writeOnly");
                        if breq && !rreq && !wo {
                            self.emit(
                                "response-property-became-optional",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the response property `{full}` became optional"),
                                Some("required".into()),
                                Some("optional".into()),
                            );
                        } else if !breq && rreq {
                            self.emit(
                                "response-property-became-required",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the response property `{full}` became required"),
                                Some("optional".into()),
                                Some("required".into()),
                            );
                        }
                        if wo && Self::prop_flag(self.b, (*bd, bnode), "writeOnly") {
                            continue;
                        }
                    }
                    self.schema(c, true, &pp, &full, (*bd, bnode), (rpd, rpn));
                }
            }
        }
        for (name, rpd, rpn) in &rv.props {
            if bv.prop(name).is_some() {
                continue;
            }
            let pp = format!("{ptr}/properties/{}", escape_pointer(name));
            let full = join(name);
            let rreq = rv.required.contains(name);
            if c.request {
                let ro = Self::prop_flag(self.r, (*rpd, rpn), "readOnly");
                if rreq && !ro {
                    self.emit(
                        "new-required-request-property",
                        o,
                        Side::Revision,
                        *rpd,
                        rpn,
                        &pp,
                        format!("added the new required request property `{full}`"),
                        None,
                        Some(full.clone()),
                    );
                } else {
                    self.emit(
                        "new-optional-request-property",
                        o,
                        Side::Revision,
                        *rpd,
                        rpn,
                        &pp,
                        format!("added the new optional request property `{full}`"),
                        None,
                        Some(full.clone()),
                    );
                }
            } else {
                let id = if rreq {
                    "response-required-property-added"
                } else {
                    "response-optional-property-added"
                };
                let kind = if rreq { "required" } else { "optional" };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    *rpd,
                    rpn,
                    &pp,
                    format!(
                        "added the {kind} property `{full}` to the {}",
                        human(c.root_prefix)
                    ),
                    None,
                    Some(full.clone()),
                );
            }
        }
    }

    /// A name for a `oneOf`/`anyOf` alternative: the referenced schema's name, else its title.
    fn alt_name(spec: &'a Spec, (d, n): R<'a>) -> Option<String> {
        if let Some(r) = n.get_str("$ref") {
            return Some(r.rsplit('/').next().unwrap_or(r).to_string());
        }
        spec.deref(d, n)
            .and_then(|(_, x)| x.get_str("title"))
            .map(Into::into)
    }

    fn alt_shape(spec: &'a Spec, (d, n): R<'a>) -> String {
        match spec.deref(d, n) {
            Some((_, x)) => canon(x),
            None => canon(n),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn alternatives(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        kw: &str,
        b: &[R<'a>],
        r: &[R<'a>],
        (rd, rnode): R<'a>,
    ) {
        if b.is_empty() && r.is_empty() {
            return;
        }
        let stem = if kw == "oneOf" { "one-of" } else { "any-of" };
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut bused = vec![false; b.len()];
        let mut rused = vec![false; r.len()];
        // 1. by name
        for (i, bx) in b.iter().enumerate() {
            let Some(bn) = Self::alt_name(self.b, *bx) else {
                continue;
            };
            if let Some(j) = (0..r.len())
                .find(|&j| !rused[j] && Self::alt_name(self.r, r[j]).as_deref() == Some(&bn))
            {
                bused[i] = true;
                rused[j] = true;
                pairs.push((i, j));
            }
        }
        // 2. by shape
        for (i, bx) in b.iter().enumerate() {
            if bused[i] {
                continue;
            }
            let bs = Self::alt_shape(self.b, *bx);
            if let Some(j) =
                (0..r.len()).find(|&j| !rused[j] && Self::alt_shape(self.r, r[j]) == bs)
            {
                bused[i] = true;
                rused[j] = true;
                pairs.push((i, j));
            }
        }
        // 3. by resemblance (same type, mostly the same properties): an alternative that changed
        let sig = |spec: &'a Spec, x: R<'a>| -> (String, BTreeSet<String>) {
            match spec.deref(x.0, x.1) {
                Some((d, n)) => {
                    let v = flatten(spec, d, n);
                    let t = v
                        .types
                        .as_ref()
                        .map(|t| t.iter().copied().collect::<Vec<_>>().join("|"))
                        .unwrap_or_default();
                    (t, v.props.iter().map(|(k, _, _)| k.to_string()).collect())
                }
                None => (String::new(), BTreeSet::new()),
            }
        };
        let bsig: Vec<_> = b.iter().map(|x| sig(self.b, *x)).collect();
        let rsig: Vec<_> = r.iter().map(|x| sig(self.r, *x)).collect();
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for i in (0..b.len()).filter(|&i| !bused[i]) {
                for j in (0..r.len()).filter(|&j| !rused[j]) {
                    let ((bt, bp), (rt, rp)) = (&bsig[i], &rsig[j]);
                    if bt != rt || (bp.is_empty() && rp.is_empty()) {
                        continue;
                    }
                    let score = bp.intersection(rp).count() as f64 / bp.union(rp).count() as f64;
                    if score >= 0.5 && best.is_none_or(|(s, _, _)| score > s) {
                        best = Some((score, i, j));
                    }
                }
            }
            let Some((_, i, j)) = best else { break };
            bused[i] = true;
            rused[j] = true;
            pairs.push((i, j));
        }
        // 4. one left on each side: the same alternative, changed
        let bl: Vec<usize> = (0..b.len()).filter(|&i| !bused[i]).collect();
        let rl: Vec<usize> = (0..r.len()).filter(|&j| !rused[j]).collect();
        if bl.len() == 1 && rl.len() == 1 {
            pairs.push((bl[0], rl[0]));
            bused[bl[0]] = true;
            rused[rl[0]] = true;
        }
        let loc = rnode.get(kw).unwrap_or(rnode);
        for (i, bx) in b.iter().enumerate() {
            if !bused[i] {
                let name = Self::alt_name(self.b, *bx).unwrap_or_else(|| format!("#{i}"));
                self.sch(
                    c,
                    nested,
                    prop,
                    &format!("{stem}-removed"),
                    rd,
                    loc,
                    &format!("{ptr}/{kw}"),
                    format!("removed the {kw} alternative `{name}`"),
                    Some(name.clone()),
                    None,
                );
            }
        }
        for (j, rx) in r.iter().enumerate() {
            if !rused[j] {
                let name = Self::alt_name(self.r, *rx).unwrap_or_else(|| format!("#{j}"));
                self.sch(
                    c,
                    nested,
                    prop,
                    &format!("{stem}-added"),
                    rx.0,
                    rx.1,
                    &format!("{ptr}/{kw}/{j}"),
                    format!("added the {kw} alternative `{name}`"),
                    None,
                    Some(name.clone()),
                );
            }
        }
        pairs.sort();
        for (i, j) in pairs {
            self.schema(c, nested, &format!("{ptr}/{kw}/{j}"), prop, b[i], r[j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn shapes() {
        assert_eq!(path_shape("/users/{id}"), path_shape("/users/{userId}"));
        assert_ne!(path_shape("/users/{id}"), path_shape("/users/me"));
        assert_eq!(template_vars("/a/{x}/b/{y}"), vec!["x", "y"]);
    }
}
