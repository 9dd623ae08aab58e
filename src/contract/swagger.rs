//! Swagger 2.0 read as OpenAPI 3.0: the document tree is rewritten into the 3.0 model (servers,
//! components, request bodies from `body`/`formData` parameters, response `content` from `produces`,
//! parameter schemas, security schemes), keeping every node's position in the Swagger file, so that a
//! 2.0 -> 2.0 or 2.0 -> 3.x change is diffed like any other and reported at the Swagger lines.

use super::node::{Node, V};

fn node(v: V, at: &Node) -> Node {
    Node {
        line: at.line,
        col: at.col,
        v,
    }
}

fn text(s: &str, at: &Node) -> Node {
    node(V::Str(s.into()), at)
}

fn obj(entries: Vec<(&str, Node)>, at: &Node) -> Node {
    node(
        V::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect()),
        at,
    )
}

/// Keywords a 2.0 non-body parameter (or its `items`) shares with a schema.
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
    "x-nullable",
];

/// Rewrite a Swagger 2.0 document into the OpenAPI 3.0 model.
pub fn to_openapi3(root: &Node) -> Node {
    let cx = Cx { root };
    let mut out: Vec<(Box<str>, Node)> = Vec::new();
    let sw = root.get("swagger").unwrap_or(root);
    out.push(("openapi".into(), text("3.0.3", sw)));
    let mut components: Vec<(Box<str>, Node)> = Vec::new();
    for (k, v) in root.map() {
        match &**k {
            "swagger" | "host" | "basePath" | "schemes" | "consumes" | "produces" => {}
            "paths" => out.push((k.clone(), cx.paths(v))),
            "definitions" => components.push(("schemas".into(), v.clone())),
            "parameters" => {
                // body and formData parameters are inlined where they are used (they become
                // request bodies); the others are components.parameters
                let kept: Vec<(Box<str>, Node)> = v
                    .map()
                    .iter()
                    .filter(|(_, p)| !matches!(p.get_str("in"), Some("body" | "formData")))
                    .map(|(n, p)| (n.clone(), cx.parameter(p)))
                    .collect();
                if !kept.is_empty() {
                    components.push(("parameters".into(), node(V::Map(kept), v)));
                }
            }
            "responses" => {
                let rs = v
                    .map()
                    .iter()
                    .map(|(n, r)| (n.clone(), cx.response(r, None)))
                    .collect();
                components.push(("responses".into(), node(V::Map(rs), v)));
            }
            "securityDefinitions" => {
                let ss = v
                    .map()
                    .iter()
                    .map(|(n, s)| (n.clone(), security_scheme(s)))
                    .collect();
                components.push(("securitySchemes".into(), node(V::Map(ss), v)));
            }
            _ => out.push((k.clone(), v.clone())),
        }
    }
    if let Some(servers) = servers(root) {
        out.insert(1, ("servers".into(), servers));
    }
    if !components.is_empty() {
        let at = root
            .get("definitions")
            .or_else(|| root.get("securityDefinitions"))
            .unwrap_or(root);
        out.push(("components".into(), node(V::Map(components), at)));
    }
    let mut doc = node(V::Map(out), root);
    rewrite(&mut doc, 0);
    doc
}

/// `host` + `basePath` + `schemes` as 3.0 `servers`.
fn servers(root: &Node) -> Option<Node> {
    let host = root.get("host");
    let base = root.get("basePath");
    let at = host.or(base)?;
    let h = host.and_then(Node::str).unwrap_or("");
    let b = base.and_then(Node::str).unwrap_or("");
    let schemes: Vec<&str> = root
        .get("schemes")
        .map(|s| s.seq().iter().filter_map(Node::str).collect())
        .unwrap_or_default();
    let urls: Vec<String> = if h.is_empty() {
        vec![b.to_string()]
    } else if schemes.is_empty() {
        vec![format!("https://{h}{b}")]
    } else {
        schemes.iter().map(|s| format!("{s}://{h}{b}")).collect()
    };
    Some(node(
        V::Seq(
            urls.iter()
                .map(|u| obj(vec![("url", text(u, at))], at))
                .collect(),
        ),
        at,
    ))
}

fn security_scheme(s: &Node) -> Node {
    let mut out: Vec<(&str, Node)> = Vec::new();
    match s.get_str("type") {
        Some("basic") => {
            out.push(("type", text("http", s.get("type").unwrap_or(s))));
            out.push(("scheme", text("basic", s.get("type").unwrap_or(s))));
        }
        Some("oauth2") => {
            out.push((
                "type",
                s.get("type").cloned().unwrap_or_else(|| text("oauth2", s)),
            ));
            let flow = match s.get_str("flow") {
                Some("accessCode") => "authorizationCode",
                Some("application") => "clientCredentials",
                Some("password") => "password",
                _ => "implicit",
            };
            let mut f: Vec<(&str, Node)> = Vec::new();
            for k in ["authorizationUrl", "tokenUrl", "scopes"] {
                if let Some(v) = s.get(k) {
                    f.push((k, v.clone()));
                }
            }
            if !f.iter().any(|(k, _)| *k == "scopes") {
                f.push(("scopes", node(V::Map(Vec::new()), s)));
            }
            let at = s.get("flow").unwrap_or(s);
            out.push(("flows", obj(vec![(flow, obj(f, at))], at)));
        }
        _ => {
            for (k, v) in s.map() {
                out.push((k, v.clone()));
            }
        }
    }
    if let Some(d) = s.get("description") {
        out.push(("description", d.clone()));
    }
    obj(out, s)
}

struct Cx<'a> {
    root: &'a Node,
}

impl Cx<'_> {
    fn list(&self, key: &str, op: &Node) -> Vec<String> {
        op.get(key)
            .or_else(|| self.root.get(key))
            .map(|l| {
                l.seq()
                    .iter()
                    .filter_map(|x| x.str().map(String::from))
                    .collect()
            })
            .filter(|l: &Vec<String>| !l.is_empty())
            .unwrap_or_else(|| vec!["application/json".to_string()])
    }

    /// A parameter, with a global `#/parameters/X` reference to a body/formData parameter inlined.
    fn resolve<'n>(&'n self, p: &'n Node) -> &'n Node {
        if let Some(r) = p.get_str("$ref") {
            if let Some(name) = r.strip_prefix("#/parameters/") {
                if let Some(g) = self.root.get("parameters").and_then(|ps| ps.get(name)) {
                    if matches!(g.get_str("in"), Some("body" | "formData")) {
                        return g;
                    }
                }
            }
        }
        p
    }

    fn paths(&self, paths: &Node) -> Node {
        let mut out = Vec::new();
        for (p, item) in paths.map() {
            if !p.starts_with('/') || !item.is_map() {
                out.push((p.clone(), item.clone()));
                continue;
            }
            let shared: Vec<&Node> = item
                .get("parameters")
                .map(|l| l.seq().iter().collect())
                .unwrap_or_default();
            let mut it = Vec::new();
            for (k, v) in item.map() {
                match &**k {
                    "parameters" => {
                        let kept: Vec<Node> = v
                            .seq()
                            .iter()
                            .filter(|x| {
                                !matches!(self.resolve(x).get_str("in"), Some("body" | "formData"))
                            })
                            .map(|x| self.parameter(x))
                            .collect();
                        if !kept.is_empty() {
                            it.push((k.clone(), node(V::Seq(kept), v)));
                        }
                    }
                    m if super::diff::METHODS.contains(&m) && v.is_map() => {
                        it.push((k.clone(), self.operation(v, &shared)))
                    }
                    _ => it.push((k.clone(), v.clone())),
                }
            }
            out.push((p.clone(), node(V::Map(it), item)));
        }
        node(V::Map(out), paths)
    }

    fn operation(&self, op: &Node, shared: &[&Node]) -> Node {
        let consumes = self.list("consumes", op);
        let produces = self.list("produces", op);
        let own: Vec<&Node> = op
            .get("parameters")
            .map(|l| l.seq().iter().collect())
            .unwrap_or_default();
        // body/formData parameters of the path and the operation become the request body
        let body_like: Vec<&Node> = shared
            .iter()
            .chain(own.iter())
            .map(|p| self.resolve(p))
            .filter(|p| matches!(p.get_str("in"), Some("body" | "formData")))
            .collect();
        let mut out = Vec::new();
        for (k, v) in op.map() {
            match &**k {
                "consumes" | "produces" | "schemes" => {}
                "parameters" => {
                    let kept: Vec<Node> = own
                        .iter()
                        .filter(|x| {
                            !matches!(self.resolve(x).get_str("in"), Some("body" | "formData"))
                        })
                        .map(|x| self.parameter(x))
                        .collect();
                    if !kept.is_empty() {
                        out.push((k.clone(), node(V::Seq(kept), v)));
                    }
                    if let Some(rb) = request_body(&body_like, &consumes) {
                        out.push(("requestBody".into(), rb));
                    }
                }
                "responses" => {
                    let rs = v
                        .map()
                        .iter()
                        .map(|(c, r)| (c.clone(), self.response(r, Some(&produces))))
                        .collect();
                    out.push((k.clone(), node(V::Map(rs), v)));
                }
                _ => out.push((k.clone(), v.clone())),
            }
        }
        if op.get("parameters").is_none() {
            if let Some(rb) = request_body(&body_like, &consumes) {
                out.push(("requestBody".into(), rb));
            }
        }
        node(V::Map(out), op)
    }

    /// A non-body parameter: its type keywords move into `schema`, `collectionFormat` becomes
    /// `style`/`explode`.
    fn parameter(&self, p: &Node) -> Node {
        if p.get("$ref").is_some() {
            return p.clone();
        }
        let mut out: Vec<(Box<str>, Node)> = Vec::new();
        let mut schema: Vec<(Box<str>, Node)> = Vec::new();
        for (k, v) in p.map() {
            if SCHEMA_KEYS.contains(&&**k) {
                let v = if &**k == "items" { items(v) } else { v.clone() };
                schema.push((k.clone(), v));
            } else if &**k == "collectionFormat" {
                let (style, explode) = match v.str() {
                    Some("multi") => ("form", true),
                    Some("ssv") => ("spaceDelimited", false),
                    Some("pipes") => ("pipeDelimited", false),
                    _ => (
                        if p.get_str("in") == Some("query") {
                            "form"
                        } else {
                            "simple"
                        },
                        false,
                    ),
                };
                out.push(("style".into(), text(style, v)));
                out.push(("explode".into(), node(V::Bool(explode), v)));
            } else if &**k != "allowEmptyValue" || p.get_str("in") == Some("query") {
                out.push((k.clone(), v.clone()));
            }
        }
        if !schema.is_empty() {
            let at = p.get("type").unwrap_or(p);
            out.push(("schema".into(), node(V::Map(schema), at)));
        }
        node(V::Map(out), p)
    }

    /// A response: `schema` becomes `content` for every `produces` media type; header type keywords
    /// move into the header's `schema`.
    fn response(&self, r: &Node, produces: Option<&[String]>) -> Node {
        if r.get("$ref").is_some() {
            return r.clone();
        }
        let default = ["application/json".to_string()];
        let produces = produces.unwrap_or(&default);
        let mut out = Vec::new();
        for (k, v) in r.map() {
            match &**k {
                "schema" => {
                    let content = produces
                        .iter()
                        .map(|m| (m.as_str().into(), obj(vec![("schema", v.clone())], v)))
                        .collect();
                    out.push(("content".into(), node(V::Map(content), v)));
                }
                "examples" => {}
                "headers" => {
                    let hs = v
                        .map()
                        .iter()
                        .map(|(n, h)| {
                            let mut hv: Vec<(Box<str>, Node)> = Vec::new();
                            let mut sch: Vec<(Box<str>, Node)> = Vec::new();
                            for (hk, x) in h.map() {
                                if SCHEMA_KEYS.contains(&&**hk) {
                                    sch.push((hk.clone(), x.clone()));
                                } else if &**hk != "collectionFormat" {
                                    hv.push((hk.clone(), x.clone()));
                                }
                            }
                            if !sch.is_empty() {
                                let at = h.get("type").unwrap_or(h);
                                hv.push(("schema".into(), node(V::Map(sch), at)));
                            }
                            (n.clone(), node(V::Map(hv), h))
                        })
                        .collect();
                    out.push((k.clone(), node(V::Map(hs), v)));
                }
                _ => out.push((k.clone(), v.clone())),
            }
        }
        node(V::Map(out), r)
    }
}

/// Parameter `items` (no `collectionFormat` in a schema).
fn items(v: &Node) -> Node {
    let kept = v
        .map()
        .iter()
        .filter(|(k, _)| &**k != "collectionFormat")
        .map(|(k, x)| {
            (
                k.clone(),
                if &**k == "items" { items(x) } else { x.clone() },
            )
        })
        .collect();
    node(V::Map(kept), v)
}

/// The request body made of the `body` parameter, or of the `formData` parameters.
fn request_body(params: &[&Node], consumes: &[String]) -> Option<Node> {
    if let Some(b) = params.iter().find(|p| p.get_str("in") == Some("body")) {
        let schema = b
            .get("schema")
            .cloned()
            .unwrap_or_else(|| node(V::Map(Vec::new()), b));
        let content = consumes
            .iter()
            .map(|m| {
                (
                    m.as_str().into(),
                    obj(vec![("schema", schema.clone())], &schema),
                )
            })
            .collect();
        let mut out = vec![("content", node(V::Map(content), b))];
        if let Some(r) = b.get("required") {
            out.push(("required", r.clone()));
        }
        if let Some(d) = b.get("description") {
            out.push(("description", d.clone()));
        }
        return Some(obj(out, b));
    }
    let form: Vec<&&Node> = params
        .iter()
        .filter(|p| p.get_str("in") == Some("formData"))
        .collect();
    let first = form.first()?;
    let mut props = Vec::new();
    let mut required = Vec::new();
    for p in &form {
        let Some(name) = p.get("name") else { continue };
        let mut sch: Vec<(Box<str>, Node)> = Vec::new();
        for (k, v) in p.map() {
            if SCHEMA_KEYS.contains(&&**k) || &**k == "description" {
                sch.push((
                    k.clone(),
                    if &**k == "items" { items(v) } else { v.clone() },
                ));
            }
        }
        if p.get_bool("required") {
            required.push(name.clone());
        }
        props.push((name.str().unwrap_or("").into(), node(V::Map(sch), p)));
    }
    let has_file = form.iter().any(|p| p.get_str("type") == Some("file"));
    let media: Vec<&str> = consumes
        .iter()
        .map(String::as_str)
        .filter(|m| {
            m.starts_with("multipart/") || m.starts_with("application/x-www-form-urlencoded")
        })
        .collect();
    let media = if media.is_empty() {
        vec![if has_file {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        }]
    } else {
        media
    };
    let mut schema = vec![
        ("type", text("object", first)),
        ("properties", node(V::Map(props), first)),
    ];
    if !required.is_empty() {
        schema.push(("required", node(V::Seq(required), first)));
    }
    let schema = obj(schema, first);
    let content = media
        .iter()
        .map(|m| {
            (
                Box::<str>::from(*m),
                obj(vec![("schema", schema.clone())], first),
            )
        })
        .collect();
    let mut out = vec![("content", node(V::Map(content), first))];
    if form.iter().any(|p| p.get_bool("required")) {
        out.push(("required", node(V::Bool(true), first)));
    }
    Some(obj(out, first))
}

/// References to 3.0 locations, `x-nullable` as `nullable`, `type: file` as a binary string, a
/// string `discriminator` as an object.
fn rewrite(n: &mut Node, depth: u32) {
    if depth > 512 {
        return;
    }
    match &mut n.v {
        V::Map(m) => {
            let is_file = m
                .iter()
                .any(|(k, v)| &**k == "type" && v.str() == Some("file"));
            for (k, v) in m.iter_mut() {
                match &**k {
                    "$ref" => {
                        if let Some(r) = v.str() {
                            let r2 = r
                                .replacen("#/definitions/", "#/components/schemas/", 1)
                                .replacen("#/parameters/", "#/components/parameters/", 1)
                                .replacen("#/responses/", "#/components/responses/", 1);
                            v.v = V::Str(r2.into());
                        }
                    }
                    "x-nullable" => *k = "nullable".into(),
                    "type" if is_file => v.v = V::Str("string".into()),
                    "discriminator" if v.str().is_some() => {
                        let name = v.clone();
                        v.v = V::Map(vec![("propertyName".into(), name)]);
                    }
                    _ => rewrite(v, depth + 1),
                }
            }
            if is_file && !m.iter().any(|(k, _)| &**k == "format") {
                let at = m
                    .iter()
                    .find(|(k, _)| &**k == "type")
                    .map(|(_, v)| v.clone());
                if let Some(at) = at {
                    m.push(("format".into(), text("binary", &at)));
                }
            }
        }
        V::Seq(s) => {
            for x in s {
                rewrite(x, depth + 1);
            }
        }
        _ => {}
    }
}
