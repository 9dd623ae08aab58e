//! A schema seen through its `allOf`s: [`View`] merges the keywords, properties and `required` of
//! every part, so that the differ compares what a schema means rather than how it is written.

use super::*;

/// A schema with `allOf` merged in.
pub(super) struct View<'a> {
    pub(super) doc: usize,
    pub(super) node: &'a Node,
    pub(super) types: Option<BTreeSet<&'a str>>,
    pub(super) nullable: bool,
    pub(super) kw: Vec<(&'a str, usize, &'a Node)>,
    pub(super) props: Vec<(&'a str, usize, &'a Node)>,
    pub(super) required: BTreeSet<&'a str>,
    pub(super) one_of: Vec<R<'a>>,
    pub(super) any_of: Vec<R<'a>>,
    /// The schema's own `allOf` members (not those of nested `allOf`s).
    pub(super) all_of: Vec<R<'a>>,
}

impl<'a> View<'a> {
    pub(super) fn kw(&self, k: &str) -> Option<R<'a>> {
        self.kw
            .iter()
            .find(|(n, _, _)| *n == k)
            .map(|(_, d, n)| (*d, *n))
    }
    pub(super) fn prop(&self, k: &str) -> Option<R<'a>> {
        self.props
            .iter()
            .find(|(n, _, _)| *n == k)
            .map(|(_, d, n)| (*d, *n))
    }
    pub(super) fn flag(&self, k: &str) -> bool {
        self.kw(k).and_then(|(_, n)| n.bool()).unwrap_or(false)
    }
    pub(super) fn num(&self, k: &str) -> Option<(f64, &'a Node)> {
        self.kw(k).and_then(|(_, n)| n.num().map(|x| (x, n)))
    }
    pub(super) fn str(&self, k: &str) -> Option<(&'a str, &'a Node)> {
        self.kw(k).and_then(|(_, n)| n.str().map(|x| (x, n)))
    }
}

pub(super) fn node_nullable(n: &Node) -> bool {
    n.get("nullable").and_then(Node::bool) == Some(true)
        || n.get("type").is_some_and(|t| {
            t.str() == Some("null") || t.seq().iter().any(|x| x.str() == Some("null"))
        })
}

pub(super) fn flatten<'a>(spec: &'a Spec, doc: usize, node: &'a Node) -> View<'a> {
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
        all_of: Vec::new(),
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

pub(super) fn flatten_into<'a>(
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
                if depth == 0 {
                    v.all_of.extend(val.seq().iter().map(|n| (doc, n)));
                }
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
