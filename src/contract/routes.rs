//! The HTTP routes a Python service declares, read from its source with tree-sitter: Flask
//! (`@app.route`, `@bp.get`, `add_url_rule`, blueprints with `url_prefix`, `register_blueprint`) and
//! FastAPI (`@app.get`, `APIRouter(prefix=)`, `include_router(prefix=)`). Only decorators on objects
//! the code builds with `Flask(...)`, `Blueprint(...)`, `FastAPI(...)` or `APIRouter(...)` count;
//! anything not written as a literal (a computed path or prefix, a router included twice under names
//! that cannot be told apart) makes the result incomplete rather than guessed.

use crate::sast::field;
use std::collections::BTreeMap;
use tree_sitter::Node;

/// One route: `GET` and the path in OpenAPI form (`/users/{id}`), with where it is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub file: String,
    pub line: u32,
}

/// What [`collect`] found across the files.
#[derive(Debug, Default)]
pub struct Routes {
    pub routes: Vec<Route>,
    /// Something could not be resolved (a computed path or prefix, an unregistered blueprint ...):
    /// the routes are not all known, so no operation can be said to be unserved.
    pub incomplete: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    FlaskApp,
    Blueprint,
    FastApi,
    Router,
}

/// A literal string, `Err` when the value is computed.
type Lit = Result<String, String>;

#[derive(Debug, Clone)]
struct Owner {
    name: String,
    file: String,
    kind: Kind,
    /// `url_prefix=` of a blueprint, `prefix=` of an APIRouter.
    prefix: Option<Lit>,
    at: String,
}

#[derive(Debug)]
struct Include {
    /// The file the call is in, and the app or router it is called on.
    file: String,
    parent: String,
    /// `bp` or `users.router` (module `users`, name `router`).
    child: (Option<String>, String),
    prefix: Option<Lit>,
    at: String,
}

#[derive(Debug)]
struct Decl {
    owner: String,
    methods: Result<Vec<String>, String>,
    path: Lit,
    file: String,
    line: u32,
}

#[derive(Default)]
struct Facts {
    owners: Vec<Owner>,
    includes: Vec<Include>,
    decls: Vec<Decl>,
    /// Of the file being read: `NAME = "literal"` assignments, and names imported from a module
    /// (`from app.routes.users import router as users_router`: `users_router` -> (`users`, `router`)).
    consts: BTreeMap<String, String>,
    imports: BTreeMap<String, (String, String)>,
}

impl Facts {
    /// The app or router `name` used in `file`: the one built there, else the only one of that name.
    fn owner(&self, file: &str, name: &str) -> Result<usize, String> {
        let mut all = self
            .owners
            .iter()
            .enumerate()
            .filter(|(_, o)| o.name == name);
        if let Some((i, _)) = all.clone().find(|(_, o)| o.file == file) {
            return Ok(i);
        }
        match (all.next(), all.next()) {
            (Some((i, _)), None) => Ok(i),
            (None, _) => Err(format!(
                "`{name}` is not built with Flask/Blueprint/FastAPI/APIRouter"
            )),
            (Some((_, o)), Some(_)) => Err(format!(
                "{file}: `{name}` is built in several modules ({})",
                o.at
            )),
        }
    }

    /// The owner a `module.name` or `name` argument of an include names.
    fn child(&self, inc: &Include) -> Result<usize, String> {
        match &inc.child {
            (None, name) => self.owner(&inc.file, name),
            (Some(module), name) => {
                let stem = |f: &str| {
                    let f = f.trim_end_matches(".py");
                    f.rsplit('/').next().unwrap_or(f).to_string()
                };
                let mut hits = self
                    .owners
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.name == *name && stem(&o.file) == *module);
                match (hits.next(), hits.next()) {
                    (Some((i, _)), None) => Ok(i),
                    _ => Err(format!(
                        "{}: cannot tell which `{module}.{name}` is meant",
                        inc.at
                    )),
                }
            }
        }
    }
}

const VERBS: &[&str] = &["get", "post", "put", "delete", "patch"];

/// Whether a file's text names a framework at all (a file that does not cannot declare routes, and is
/// neither kept nor parsed).
pub fn may_declare(text: &str) -> bool {
    [
        "Flask",
        "Blueprint",
        "FastAPI",
        "APIRouter",
        ".route(",
        "_router(",
    ]
    .iter()
    .any(|w| text.contains(w))
}

/// Collect the routes of a set of Python files (`(path, text)`), parsed in parallel. A file over the
/// parse size limit, or one tree-sitter gives up on, makes the result incomplete.
pub fn collect(files: &[(String, String)]) -> Routes {
    use rayon::prelude::*;
    let per_file: Vec<Result<Facts, String>> = files
        .par_iter()
        .map_init(
            || {
                let mut p = tree_sitter::Parser::new();
                p.set_language(&tree_sitter_python::LANGUAGE.into())
                    .ok()
                    .map(|_| p)
            },
            |parser, (rel, text)| file_facts(parser.as_mut(), rel, text),
        )
        .collect();
    let mut facts = Facts::default();
    let mut unread = Vec::new();
    for f in per_file {
        match f {
            Ok(f) => {
                facts.owners.extend(f.owners);
                facts.includes.extend(f.includes);
                facts.decls.extend(f.decls);
            }
            Err(why) => unread.push(why),
        }
    }
    let mut out = resolve(&facts);
    out.incomplete.extend(unread);
    out
}

/// The apps, routers, includes and route declarations of one file.
fn file_facts(
    parser: Option<&mut tree_sitter::Parser>,
    rel: &str,
    text: &str,
) -> Result<Facts, String> {
    let mut facts = Facts::default();
    if !may_declare(text) {
        return Ok(facts);
    }
    if text.len() > crate::sast::limits::MAX_PARSE_BYTES {
        return Err(format!(
            "{rel}: not read for routes: {} bytes is over the parse limit of {} bytes",
            text.len(),
            crate::sast::limits::MAX_PARSE_BYTES
        ));
    }
    let tree = parser
        .and_then(|p| p.parse(text, None))
        .ok_or_else(|| format!("{rel}: not read for routes: the Python parser gave up"))?;
    names(tree.root_node(), text.as_bytes(), &mut facts, 0);
    walk(tree.root_node(), text.as_bytes(), rel, &mut facts, 0);
    facts.consts.clear();
    facts.imports.clear();
    Ok(facts)
}

/// The string constants and imported names of a file (read before its routes).
fn names(n: Node, src: &[u8], f: &mut Facts, depth: u32) {
    if depth > 200 {
        return;
    }
    match n.kind() {
        "assignment" => {
            if let (Some(l), Some(r)) = (
                n.child_by_field_id(*field::LEFT),
                n.child_by_field_id(*field::RIGHT),
            ) {
                if l.kind() == "identifier" {
                    if let Ok(v) = literal(r, src, &BTreeMap::new()) {
                        f.consts.insert(text(l, src).to_string(), v);
                    }
                }
            }
        }
        "import_from_statement" => {
            let module = n
                .child_by_field_id(*field::MODULE_NAME)
                .map(|m| text(m, src).rsplit('.').next().unwrap_or("").to_string())
                .unwrap_or_default();
            let mut c = n.walk();
            for name in n.children_by_field_name("name", &mut c) {
                let (orig, alias) = match name.kind() {
                    "aliased_import" => (
                        name.child_by_field_id(*field::NAME).map(|x| text(x, src)),
                        name.child_by_field_id(*field::ALIAS).map(|x| text(x, src)),
                    ),
                    _ => (Some(text(name, src)), Some(text(name, src))),
                };
                if let (Some(o), Some(a)) = (orig, alias) {
                    f.imports
                        .insert(a.to_string(), (module.clone(), o.to_string()));
                }
            }
            return;
        }
        _ => {}
    }
    let mut c = n.walk();
    for ch in n.children(&mut c) {
        names(ch, src, f, depth + 1);
    }
}

fn walk(n: Node, src: &[u8], file: &str, f: &mut Facts, depth: u32) {
    if depth > 200 {
        return;
    }
    match n.kind() {
        "assignment" => owner(n, src, file, f),
        "call" => call(n, src, file, f),
        "decorator" => decorator(n, src, file, f),
        _ => {}
    }
    let mut c = n.walk();
    for ch in n.children(&mut c) {
        walk(ch, src, file, f, depth + 1);
    }
}

fn text<'a>(n: Node, src: &'a [u8]) -> &'a str {
    n.utf8_text(src).unwrap_or("")
}

fn at(file: &str, n: Node) -> String {
    format!("{file}:{}", n.start_position().row + 1)
}

/// The last name of `f` or `mod.f`.
fn callee_name<'a>(n: Node, src: &'a [u8]) -> Option<&'a str> {
    match n.kind() {
        "identifier" => Some(text(n, src)),
        "attribute" => n.child_by_field_id(*field::ATTRIBUTE).map(|a| text(a, src)),
        _ => None,
    }
}

/// A string literal, or a name bound to one in the file (`API_PREFIX = "/api/v1"`).
fn literal(n: Node, src: &[u8], consts: &BTreeMap<String, String>) -> Lit {
    if n.kind() == "identifier" {
        return consts
            .get(text(n, src))
            .cloned()
            .ok_or_else(|| text(n, src).to_string());
    }
    if n.kind() == "string" {
        let mut c = n.walk();
        let mut s = String::new();
        for ch in n.children(&mut c) {
            match ch.kind() {
                "string_content" => s.push_str(text(ch, src)),
                "string_start" | "string_end" => {}
                _ => return Err(text(n, src).to_string()),
            }
        }
        return Ok(s);
    }
    Err(text(n, src).to_string())
}

/// The positional arguments and keyword arguments of a call.
fn args<'a>(call: Node<'a>, src: &[u8]) -> (Vec<Node<'a>>, BTreeMap<String, Node<'a>>) {
    let (mut pos, mut kw) = (Vec::new(), BTreeMap::new());
    if let Some(a) = call.child_by_field_id(*field::ARGUMENTS) {
        let mut c = a.walk();
        for ch in a.named_children(&mut c) {
            if ch.kind() == "keyword_argument" {
                if let (Some(k), Some(v)) = (
                    ch.child_by_field_id(*field::NAME),
                    ch.child_by_field_id(*field::VALUE),
                ) {
                    kw.insert(text(k, src).to_string(), v);
                }
            } else if ch.kind() != "comment" {
                pos.push(ch);
            }
        }
    }
    (pos, kw)
}

/// `name = Flask(...)` / `Blueprint(...)` / `FastAPI(...)` / `APIRouter(...)`.
fn owner(n: Node, src: &[u8], file: &str, f: &mut Facts) {
    let (Some(left), Some(right)) = (
        n.child_by_field_id(*field::LEFT),
        n.child_by_field_id(*field::RIGHT),
    ) else {
        return;
    };
    if left.kind() != "identifier" || right.kind() != "call" {
        return;
    }
    let Some(func) = right.child_by_field_id(*field::FUNCTION) else {
        return;
    };
    let kind = match callee_name(func, src) {
        Some("Flask") => Kind::FlaskApp,
        Some("Blueprint") => Kind::Blueprint,
        Some("FastAPI") => Kind::FastApi,
        Some("APIRouter") => Kind::Router,
        _ => return,
    };
    let (_, kw) = args(right, src);
    let key = if kind == Kind::Blueprint {
        "url_prefix"
    } else {
        "prefix"
    };
    let prefix = kw.get(key).map(|v| literal(*v, src, &f.consts));
    f.owners.push(Owner {
        name: text(left, src).to_string(),
        file: file.to_string(),
        kind,
        prefix,
        at: at(file, n),
    });
}

/// `app.register_blueprint(bp, url_prefix=)`, `app.include_router(router, prefix=)`,
/// `app.add_url_rule("/path", methods=[...])`.
fn call(n: Node, src: &[u8], file: &str, f: &mut Facts) {
    let Some(func) = n.child_by_field_id(*field::FUNCTION) else {
        return;
    };
    if func.kind() != "attribute" {
        return;
    }
    let (Some(obj), Some(attr)) = (
        func.child_by_field_id(*field::OBJECT),
        func.child_by_field_id(*field::ATTRIBUTE),
    ) else {
        return;
    };
    if obj.kind() != "identifier" {
        return;
    }
    let (pos, kw) = args(n, src);
    match text(attr, src) {
        name @ ("register_blueprint" | "include_router") => {
            let Some(c) = pos.first() else { return };
            let child = match c.kind() {
                "identifier" => match f.imports.get(text(*c, src)) {
                    Some((module, name)) => (Some(module.clone()), name.clone()),
                    None => (None, text(*c, src).to_string()),
                },
                "attribute" => {
                    let (Some(m), Some(a)) = (
                        c.child_by_field_id(*field::OBJECT),
                        c.child_by_field_id(*field::ATTRIBUTE),
                    ) else {
                        return;
                    };
                    let module = text(m, src);
                    let module = module.rsplit('.').next().unwrap_or(module);
                    (Some(module.to_string()), text(a, src).to_string())
                }
                _ => return,
            };
            let key = if name == "register_blueprint" {
                "url_prefix"
            } else {
                "prefix"
            };
            f.includes.push(Include {
                file: file.to_string(),
                parent: text(obj, src).to_string(),
                child,
                prefix: kw.get(key).map(|v| literal(*v, src, &f.consts)),
                at: at(file, n),
            });
        }
        "add_url_rule" => {
            let path = pos
                .first()
                .map(|p| literal(*p, src, &f.consts))
                .or_else(|| kw.get("rule").map(|p| literal(*p, src, &f.consts)));
            if let Some(path) = path {
                f.decls.push(Decl {
                    owner: text(obj, src).to_string(),
                    methods: methods(kw.get("methods").copied(), src, &f.consts),
                    path,
                    file: file.to_string(),
                    line: n.start_position().row as u32 + 1,
                });
            }
        }
        _ => {}
    }
}

fn methods(
    n: Option<Node>,
    src: &[u8],
    consts: &BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    let Some(n) = n else {
        return Ok(vec!["GET".to_string()]);
    };
    if !matches!(n.kind(), "list" | "tuple" | "set") {
        return Err(text(n, src).to_string());
    }
    let mut c = n.walk();
    n.named_children(&mut c)
        .map(|m| literal(m, src, consts).map(|s| s.to_ascii_uppercase()))
        .collect()
}

/// `@app.route("/p", methods=[...])`, `@router.get("/p")` ...
fn decorator(n: Node, src: &[u8], file: &str, f: &mut Facts) {
    let mut c = n.walk();
    let Some(call) = n.named_children(&mut c).find(|x| x.kind() == "call") else {
        return;
    };
    let Some(func) = call.child_by_field_id(*field::FUNCTION) else {
        return;
    };
    let (Some(obj), Some(attr)) = (
        func.child_by_field_id(*field::OBJECT),
        func.child_by_field_id(*field::ATTRIBUTE),
    ) else {
        return;
    };
    if func.kind() != "attribute" || obj.kind() != "identifier" {
        return;
    }
    let attr = text(attr, src);
    let (pos, kw) = args(call, src);
    let ms = match attr {
        "route" | "api_route" => methods(kw.get("methods").copied(), src, &f.consts),
        v if VERBS.contains(&v) => Ok(vec![v.to_ascii_uppercase()]),
        _ => return,
    };
    let Some(path) = pos
        .first()
        .map(|p| literal(*p, src, &f.consts))
        .or_else(|| {
            kw.get("path")
                .or(kw.get("rule"))
                .map(|p| literal(*p, src, &f.consts))
        })
    else {
        return;
    };
    f.decls.push(Decl {
        owner: text(obj, src).to_string(),
        methods: ms,
        path,
        file: file.to_string(),
        line: n.start_position().row as u32 + 1,
    });
}

/// Flask's `<int:id>` / `<id>` as OpenAPI's `{id}`.
pub fn openapi_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut rest = p;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { break };
        out.push_str(&rest[..i]);
        let inner = &rest[i + 1..i + j];
        let name = inner.rsplit(':').next().unwrap_or(inner);
        out.push('{');
        out.push_str(name);
        out.push('}');
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

fn join(a: &str, b: &str) -> String {
    match (a.trim_end_matches('/'), b) {
        (a, "") => a.to_string(),
        (a, b) if b.starts_with('/') => format!("{a}{b}"),
        (a, b) => format!("{a}/{b}"),
    }
}

/// Every prefix the routes of owner `id` are served under (`Err`: cannot be known).
fn prefixes(facts: &Facts, id: usize, depth: u32) -> Result<Vec<String>, String> {
    let o = &facts.owners[id];
    if depth > 8 {
        return Err(format!("`{}` is included too deeply", o.name));
    }
    let own = match &o.prefix {
        None => String::new(),
        Some(Ok(p)) => p.clone(),
        Some(Err(e)) => return Err(format!("{}: computed prefix `{e}`", o.at)),
    };
    let mut out = Vec::new();
    let mut included = false;
    for inc in &facts.includes {
        match facts.child(inc) {
            Ok(c) if c == id => {}
            Ok(_) => continue,
            // a bare name that may be this owner: unknown (a `module.name` that matches no module
            // read is some other router; `resolve` notes it)
            Err(e) if inc.child.0.is_none() && inc.child.1 == o.name => return Err(e),
            Err(_) => continue,
        }
        included = true;
        let given = match &inc.prefix {
            None => None,
            Some(Ok(p)) => Some(p.clone()),
            Some(Err(e)) => return Err(format!("{}: computed prefix `{e}`", inc.at)),
        };
        let mine = match o.kind {
            // Flask: the prefix given at registration replaces the blueprint's own
            Kind::Blueprint => given.unwrap_or_else(|| own.clone()),
            // FastAPI: the include's prefix goes in front of the router's
            _ => join(&given.unwrap_or_default(), &own),
        };
        let parent = facts.owner(&inc.file, &inc.parent)?;
        for p in prefixes(facts, parent, depth + 1)? {
            out.push(join(&p, &mine));
        }
    }
    if !included {
        return match o.kind {
            Kind::FlaskApp | Kind::FastApi => Ok(vec![String::new()]),
            _ => Err(format!("{}: `{}` is never registered", o.at, o.name)),
        };
    }
    Ok(out)
}

fn resolve(facts: &Facts) -> Routes {
    let mut r = Routes::default();
    let mut memo: BTreeMap<usize, Result<Vec<String>, String>> = BTreeMap::new();
    // an include of a router that was not read serves routes nobody knows
    for inc in &facts.includes {
        if let Err(e) = facts.child(inc) {
            r.incomplete.push(e);
        }
    }
    for d in &facts.decls {
        if !facts.owners.iter().any(|o| o.name == d.owner) {
            continue; // `@something.get(...)` on an object that is no app or router
        }
        let pre = match facts.owner(&d.file, &d.owner) {
            Ok(id) => memo
                .entry(id)
                .or_insert_with(|| prefixes(facts, id, 0))
                .clone(),
            Err(e) => Err(e),
        };
        let (pre, path, methods) = match (pre, &d.path, &d.methods) {
            (Ok(pre), Ok(path), Ok(m)) => (pre, path, m),
            (Err(e), _, _) => {
                r.incomplete.push(e);
                continue;
            }
            (_, Err(e), _) | (_, _, Err(e)) => {
                r.incomplete
                    .push(format!("{}:{}: computed route `{e}`", d.file, d.line));
                continue;
            }
        };
        for p in &pre {
            for m in methods {
                if m == "HEAD" || m == "OPTIONS" {
                    continue;
                }
                r.routes.push(Route {
                    method: m.clone(),
                    path: openapi_path(&join(p, path)),
                    file: d.file.clone(),
                    line: d.line,
                });
            }
        }
    }
    r.incomplete.sort();
    r.incomplete.dedup();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(files: &[(&str, &str)]) -> Routes {
        collect(
            &files
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn files_parse_in_parallel_in_order_and_an_oversized_one_makes_the_result_incomplete() {
        let app = "from flask import Flask\napp = Flask(__name__)\n";
        let view =
            |n: usize| format!("from app import app\n@app.get('/r{n}')\ndef r{n}():\n    pass\n");
        let mut files = vec![("app.py".to_string(), app.to_string())];
        files.extend((0..40).map(|n| (format!("v{n:02}.py"), view(n))));
        let found = collect(&files);
        assert!(found.incomplete.is_empty(), "{:?}", found.incomplete);
        let paths: Vec<&str> = found.routes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths.len(), 40);
        assert_eq!(found.routes[0].file, "v00.py");
        assert_eq!(found.routes[39].file, "v39.py");
        // a file too large to parse is not silently left out
        let big = format!(
            "{app}{}",
            "x = 1\n".repeat(crate::sast::limits::MAX_PARSE_BYTES / 6 + 1)
        );
        files.push(("big.py".to_string(), big));
        let found = collect(&files);
        assert_eq!(found.routes.len(), 40);
        assert!(
            found
                .incomplete
                .iter()
                .any(|w| w.contains("big.py") && w.contains("parse limit")),
            "{:?}",
            found.incomplete
        );
    }

    fn list(r: &Routes) -> Vec<(String, String, u32)> {
        r.routes
            .iter()
            .map(|x| (x.method.clone(), x.path.clone(), x.line))
            .collect()
    }

    #[test]
    fn flask_routes_blueprints_and_prefixes() {
        let app = "from flask import Flask\nfrom views import bp\napp = Flask(__name__)\n\n@app.route('/ping')\ndef ping(): pass\n\n@app.route('/items/<int:id>', methods=['GET', 'DELETE'])\ndef item(id): pass\n\napp.register_blueprint(bp, url_prefix='/v2')\napp.add_url_rule('/health', view_func=ping)\n";
        let views = "from flask import Blueprint\nbp = Blueprint('b', __name__, url_prefix='/v1')\n\n@bp.post('/users')\ndef create(): pass\n\n@click.command('x')\ndef cli(): pass\n";
        let r = routes(&[("app.py", app), ("views.py", views)]);
        assert_eq!(
            list(&r),
            vec![
                ("GET".into(), "/ping".into(), 5),
                ("GET".into(), "/items/{id}".into(), 8),
                ("DELETE".into(), "/items/{id}".into(), 8),
                ("GET".into(), "/health".into(), 12),
                ("POST".into(), "/v2/users".into(), 4),
            ]
        );
        assert!(r.incomplete.is_empty(), "{:?}", r.incomplete);
    }

    #[test]
    fn fastapi_routers_and_computed_prefixes() {
        let main = "from fastapi import FastAPI\nfrom routes import users\napp = FastAPI()\napi = APIRouter(prefix='/api')\napi.include_router(users.router, prefix='/v1')\napp.include_router(api)\n\n@app.get('/')\ndef root(): pass\n";
        let users = "from fastapi import APIRouter\nrouter = APIRouter(prefix='/users')\n\n@router.get('/{user_id}')\ndef get(user_id: int): pass\n\n@router.api_route('/', methods=['POST', 'PUT'])\ndef make(): pass\n";
        let r = routes(&[("main.py", main), ("routes/users.py", users)]);
        assert_eq!(
            list(&r),
            vec![
                ("GET".into(), "/".into(), 8),
                ("GET".into(), "/api/v1/users/{user_id}".into(), 4),
                ("POST".into(), "/api/v1/users/".into(), 7),
                ("PUT".into(), "/api/v1/users/".into(), 7),
            ]
        );
        assert!(r.incomplete.is_empty());
        // one `router` per module (the usual layout): `items.router` is the one in items.py
        let two = main.replace(
            "app.include_router(api)",
            "app.include_router(api)\napp.include_router(items.router)",
        );
        let items = "from fastapi import APIRouter\nrouter = APIRouter(prefix='/items')\n\n@router.delete('/{id}')\ndef rm(id): pass\n";
        let r = routes(&[
            ("main.py", &two),
            ("routes/users.py", users),
            ("routes/items.py", items),
        ]);
        assert_eq!(
            list(&r)
                .into_iter()
                .filter(|x| x.0 == "DELETE" || x.1.contains("user_id"))
                .collect::<Vec<_>>(),
            vec![
                ("GET".into(), "/api/v1/users/{user_id}".into(), 4),
                ("DELETE".into(), "/items/{id}".into(), 4),
            ]
        );
        assert!(r.incomplete.is_empty(), "{:?}", r.incomplete);
        // routers imported under another name, a prefix held in a module constant
        let aliased = "from fastapi import FastAPI\nfrom app.routes.users import router as users_router\nAPI = '/api/v1'\napp = FastAPI()\napp.include_router(users_router, prefix=API)\n";
        let r = routes(&[
            ("main.py", aliased),
            ("app/routes/users.py", users),
            ("routes/items.py", items),
        ]);
        assert_eq!(
            list(&r)[0],
            ("GET".into(), "/api/v1/users/{user_id}".into(), 4)
        );
        // items' router is never included: its routes are unknown, and said so
        assert_eq!(r.incomplete.len(), 1, "{:?}", r.incomplete);
        // a prefix from settings cannot be known: those routes are left out, and said so
        let computed = main.replace("prefix='/v1'", "prefix=settings.API_V1_STR");
        let r = routes(&[("main.py", &computed), ("routes/users.py", users)]);
        assert_eq!(list(&r), vec![("GET".into(), "/".into(), 8)]);
        assert_eq!(r.incomplete.len(), 1, "{:?}", r.incomplete);
    }
}
