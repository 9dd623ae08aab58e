//! The code against its contract (`[contract] check-code = true`): the routes the tree's Python serves
//! (Flask, FastAPI: [`super::routes`]) compared with the tree's one OpenAPI document, by method and path
//! shape, under each `servers` path prefix. An operation the code serves that the document lacks is
//! `code-operation-undocumented` (an internal route leaking out is the classic case); one the document
//! promises that no route serves is `code-operation-unserved`, reported only when every route of the
//! code could be read (no computed paths or prefixes). Nothing is compared when the code and the
//! document share no operation at all (they describe different services).

use super::diff::{path_shape, METHODS};
use super::node::Node;
use super::routes::{self, Route};
use super::spec::{looks_like_openapi, looks_like_swagger, Source, Spec};
use crate::finding::{Finding, JobKind, Location, NoteLevel, Notification, Severity};
use crate::model::{ScanContext, SourceFile};
use crate::rule::{Precision, RuleMeta};
use std::collections::{BTreeMap, BTreeSet};

/// An operation's key: the method and the path shape under one server prefix.
type OpKey = (String, String);

pub const UNDOCUMENTED: &str = "code-operation-undocumented";
pub const UNSERVED: &str = "code-operation-unserved";

/// The two rules, for `tollgate rules` and SARIF.
pub fn rule_metas() -> Vec<RuleMeta> {
    let meta = |id: &str, title: &str, what: &str| {
        RuleMeta {
        id: id.into(),
        job: JobKind::Contract,
        name: id.into(),
        title: title.into(),
        description: what.into(),
        help_markdown: format!(
            "## {id}\n\n**Level:** warning  \n**Group:** code\n\n{what}\n\nOnly with `[contract] check-code = true`, when the tree has one OpenAPI document and its Flask or FastAPI routes share at least one operation with it. Routes match operations by method and path shape (`/users/<int:id>` is `/users/{{id}}`), under the path of each `servers` URL.\n"
        ),
        severity: Severity::Medium,
        precision: Precision::Medium,
        cwe: Vec::new(),
        tags: vec!["openapi".into(), "contract".into(), "code".into()],
        help_uri: None,
        security_severity: None,
    }
    };
    vec![
        meta(UNDOCUMENTED, "An operation the code serves is not in the OpenAPI document", "A Flask or FastAPI route of the code serves an operation (method and path) that the tree's OpenAPI document does not describe: an undocumented endpoint, often an internal one that leaked out."),
        meta(UNSERVED, "An operation of the OpenAPI document is served by no route", "The tree's OpenAPI document promises an operation that no Flask or FastAPI route of the code serves: clients following the document get 404 or 405."),
    ]
}

fn is_test(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    rel.split('/').any(|s| s == "tests" || s == "test")
        || name.starts_with("test_")
        || name.ends_with("_test.py")
        || name == "conftest.py"
}

/// The path part of each `servers` URL (`https://x/api/v1` -> `/api/v1`), and the empty prefix.
fn server_prefixes(spec: &Spec) -> BTreeSet<String> {
    let mut out = BTreeSet::from([String::new()]);
    for s in spec.root().get("servers").map(Node::seq).unwrap_or(&[]) {
        let Some(url) = s.get_str("url") else {
            continue;
        };
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url,
        };
        out.insert(path.trim_end_matches('/').to_string());
    }
    out
}

/// Compare the code's routes with the tree's OpenAPI document.
pub fn check(files: &[SourceFile], ctx: &ScanContext) -> (Vec<Finding>, Vec<Notification>) {
    let mut notes = Vec::new();
    let docs: Vec<&SourceFile> = files
        .iter()
        .filter(|f| matches!(f.extension().as_str(), "yaml" | "yml" | "json") && !is_test(&f.rel))
        .filter(|f| {
            // the first 2 KB tell (as in the diff)
            use std::io::Read;
            let mut buf = Vec::with_capacity(2048);
            std::fs::File::open(&f.abs)
                .and_then(|h| h.take(2048).read_to_end(&mut buf))
                .is_ok_and(|_| {
                    let h = String::from_utf8_lossy(&buf);
                    looks_like_openapi(&h) || looks_like_swagger(&h)
                })
        })
        .collect();
    // no document: nothing to compare the routes with, so the Python is not even read
    if docs.is_empty() {
        return (Vec::new(), notes);
    }
    let py: Vec<(String, String)> = {
        use rayon::prelude::*;
        files
            .par_iter()
            .filter(|f| f.extension() == "py" && !is_test(&f.rel))
            .filter_map(|f| ctx.read_text(f).ok().map(|t| (f.rel.clone(), t)))
            .filter(|(_, t)| routes::may_declare(t))
            .collect()
    };
    let found = routes::collect(&py);
    if found.routes.is_empty() && found.incomplete.is_empty() {
        return (Vec::new(), notes);
    }
    let doc = match docs.as_slice() {
        [one] => *one,
        many => {
            notes.push(Notification::new(
                NoteLevel::Note,
                "contract-code-ambiguous",
                format!(
                    "{} OpenAPI documents in the tree ({} ...): the code's routes are compared with none",
                    many.len(),
                    many[0].rel
                ),
            ));
            return (Vec::new(), notes);
        }
    };
    let Ok(text) = ctx.read_text(doc) else {
        return (Vec::new(), notes);
    };
    let Ok(spec) = Spec::from_text(Source::File(doc.abs.clone()), doc.rel.clone(), &text) else {
        return (Vec::new(), notes);
    };
    compare(&spec, &doc.rel, &found, notes)
}

fn compare(
    spec: &Spec,
    rel: &str,
    found: &routes::Routes,
    mut notes: Vec<Notification>,
) -> (Vec<Finding>, Vec<Notification>) {
    if found.routes.is_empty() {
        notes.push(incomplete(rel, found));
        return (Vec::new(), notes);
    }
    let prefixes = server_prefixes(spec);
    // (METHOD, shape) -> the operation's display name and line
    let mut ops: BTreeMap<OpKey, (String, u32)> = BTreeMap::new();
    let mut op_keys: Vec<(String, u32, Vec<OpKey>)> = Vec::new();
    for (p, item) in spec.root().get("paths").map(Node::map).unwrap_or(&[]) {
        let Some((_, item)) = spec.deref(0, item) else {
            continue;
        };
        for (m, op) in item.map() {
            if !METHODS.contains(&&**m) || matches!(&**m, "head" | "options") || !op.is_map() {
                continue;
            }
            let method = m.to_uppercase();
            let name = format!("{method} {p}");
            let keys: Vec<OpKey> = prefixes
                .iter()
                .map(|sp| (method.clone(), path_shape(&format!("{sp}{p}"))))
                .collect();
            for k in &keys {
                ops.entry(k.clone()).or_insert((name.clone(), op.line));
            }
            op_keys.push((name, op.line, keys));
        }
    }
    let key = |r: &Route| (r.method.clone(), path_shape(&r.path));
    let served: BTreeSet<OpKey> = found.routes.iter().map(key).collect();
    if !served.iter().any(|k| ops.contains_key(k)) {
        notes.push(
            Notification::new(
                NoteLevel::Note,
                "contract-code-unmatched",
                format!("{rel}: no operation of the document is served by the code's {} routes: not compared (a different service?)", found.routes.len()),
            )
            .at(rel.to_string(), None),
        );
        return (Vec::new(), notes);
    }
    let finding = |id: &str, file: &str, line: u32, msg: String, fp: String| {
        let mut f = Finding::new(
            id,
            JobKind::Contract,
            Severity::Medium,
            msg,
            Location::line(file, line.max(1)),
        );
        f.fingerprint_key = fp;
        f.properties.insert("level".into(), "warning".into());
        f
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &found.routes {
        let k = key(r);
        if ops.contains_key(&k) || !seen.insert((k.clone(), r.file.clone(), r.line)) {
            continue;
        }
        out.push(finding(
            UNDOCUMENTED,
            &r.file,
            r.line,
            format!(
                "{} {} is served here but not described in {rel}",
                r.method, r.path
            ),
            format!("{} {}", k.0, k.1),
        ));
    }
    if found.incomplete.is_empty() {
        for (name, line, keys) in op_keys {
            if keys.iter().any(|k| served.contains(k)) {
                continue;
            }
            out.push(finding(
                UNSERVED,
                rel,
                line,
                format!("{name} is described here but no Flask or FastAPI route serves it"),
                name.clone(),
            ));
        }
    } else {
        notes.push(incomplete(rel, found));
    }
    (out, notes)
}

fn incomplete(rel: &str, found: &routes::Routes) -> Notification {
    Notification::new(
        NoteLevel::Note,
        "contract-code-incomplete",
        format!(
            "not every route of the code could be read ({}{}): operations without a route are not reported",
            found
                .incomplete
                .iter()
                .take(3)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("; "),
            if found.incomplete.len() > 3 {
                format!("; and {} more", found.incomplete.len() - 3)
            } else {
                String::new()
            }
        ),
    )
    .at(rel.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Spec {
        Spec::from_text(
            Source::Text {
                name: "openapi.yaml".into(),
                text: text.into(),
            },
            "openapi.yaml".into(),
            text,
        )
        .unwrap()
    }

    const DOC: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nservers:\n  - url: https://api.example.com/v1\npaths:\n  /items/{item_id}:\n    get:\n      responses: {'200': {description: ok}}\n    delete:\n      responses: {'204': {description: gone}}\n  /ping:\n    get:\n      responses: {'200': {description: ok}}\n";

    fn ids(out: &(Vec<Finding>, Vec<Notification>)) -> Vec<(String, String, u32)> {
        out.0
            .iter()
            .map(|f| {
                (
                    f.rule_id.clone(),
                    f.location.path.clone(),
                    f.location.start_line,
                )
            })
            .collect()
    }

    #[test]
    fn routes_against_the_document_both_ways() {
        let app = "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/v1/items/<int:id>')\ndef item(id): pass\n\n@app.route('/v1/ping')\ndef ping(): pass\n\n@app.post('/v1/internal/reindex')\ndef reindex(): pass\n";
        let found = routes::collect(&[("app.py".into(), app.into())]);
        let out = compare(&spec(DOC), "openapi.yaml", &found, Vec::new());
        assert_eq!(
            ids(&out),
            vec![
                (UNDOCUMENTED.into(), "app.py".into(), 10),
                (UNSERVED.into(), "openapi.yaml".into(), 9),
            ]
        );
        // everything served and documented: nothing
        let full = format!("{app}\n@app.delete('/v1/items/<id>')\ndef rm(id): pass\n").replace(
            "@app.post('/v1/internal/reindex')\ndef reindex(): pass\n",
            "",
        );
        let found = routes::collect(&[("app.py".into(), full)]);
        assert_eq!(
            ids(&compare(&spec(DOC), "openapi.yaml", &found, Vec::new())),
            vec![]
        );
    }

    #[test]
    fn unknown_routes_or_another_service_are_not_guessed() {
        // a computed route: the undocumented one is still reported, unserved ones are not
        let app = "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/v1/ping')\ndef ping(): pass\n\n@app.get(BASE + '/x')\ndef x(): pass\n\n@app.get('/v1/debug')\ndef debug(): pass\n";
        let found = routes::collect(&[("app.py".into(), app.into())]);
        let out = compare(&spec(DOC), "openapi.yaml", &found, Vec::new());
        assert_eq!(ids(&out), vec![(UNDOCUMENTED.into(), "app.py".into(), 10)]);
        assert_eq!(out.1[0].code, "contract-code-incomplete");
        // no operation in common: a different service, nothing compared
        let other =
            "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef h(): pass\n";
        let found = routes::collect(&[("svc.py".into(), other.into())]);
        let out = compare(&spec(DOC), "openapi.yaml", &found, Vec::new());
        assert_eq!(ids(&out), vec![]);
        assert_eq!(out.1[0].code, "contract-code-unmatched");
    }
}
