//! How a match becomes a finding: its location, the line-independent key of its fingerprint, the function
//! around it, and whether that function handles web input.

use super::field;
use crate::finding::Location;
use crate::text::{clip, LineIndex};
use tree_sitter::{Node, Tree};

pub(super) fn location(index: &LineIndex, rel: &str, start: usize, end: usize) -> Location {
    let (sl, sc) = index.position(start);
    let (el, ec) = index.position(end.max(start));
    Location {
        path: rel.to_string(),
        start_line: sl,
        start_column: sc,
        end_line: el,
        end_column: ec,
    }
}

pub(super) fn first_paragraph(s: &str) -> String {
    let p = s.split("\n\n").next().unwrap_or(s);
    clip(&p.split_whitespace().collect::<Vec<_>>().join(" "), 300)
}

/// Whitespace-insensitive text of a node, clipped (part of the fingerprint: stable across line moves).
pub(super) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(256));
    for (i, w) in s.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
        if out.len() > 240 {
            break;
        }
    }
    out
}

pub(super) fn fingerprint_key(rule_id: &str, node: Node, source: &[u8]) -> String {
    let t = node.utf8_text(source).unwrap_or("");
    format!(
        "{rule_id}|{}|{}",
        normalize(t),
        enclosing_function_of(node, source)
    )
}

fn enclosing_function_of(node: Node, source: &[u8]) -> String {
    let mut names = Vec::new();
    let mut cur = node.parent();
    while let Some(p) = cur {
        if matches!(p.kind(), "function_definition" | "class_definition") {
            if let Some(n) = p.child_by_field_id(*field::NAME) {
                names.push(n.utf8_text(source).unwrap_or("").to_string());
            }
        }
        cur = p.parent();
    }
    names.reverse();
    names.join(".")
}

/// Whether the innermost function around `node` handles web input, so that the taint engine follows its
/// data: a route decorator (`@app.route`, `@router.get`, `@api_view` ...), a first parameter named
/// `request`/`req` or typed `...Request`, or a body that reads `request.`.
pub(super) fn handles_input(node: Node, source: &[u8]) -> bool {
    let mut cur = node.parent();
    while let Some(p) = cur {
        if p.kind() == "function_definition" {
            let text = |n: Node| n.utf8_text(source).unwrap_or("");
            if let Some(d) = p.parent().filter(|d| d.kind() == "decorated_definition") {
                let mut c = d.walk();
                for dec in d.named_children(&mut c).filter(|x| x.kind() == "decorator") {
                    let t = text(dec);
                    if [
                        ".route(",
                        ".get(",
                        ".post(",
                        ".put(",
                        ".patch(",
                        ".delete(",
                        ".api_route(",
                        ".websocket(",
                        "api_view",
                        "require_http_methods",
                        "require_GET",
                        "require_POST",
                        "action(",
                    ]
                    .iter()
                    .any(|k| t.contains(k))
                    {
                        return true;
                    }
                }
            }
            if let Some(params) = p.child_by_field_id(*field::PARAMETERS) {
                let mut c = params.walk();
                let first = params
                    .named_children(&mut c)
                    .map(|x| text(x).to_string())
                    .find(|t| t != "self" && t != "cls");
                if let Some(f) = first {
                    let name = f.split([':', '=']).next().unwrap_or("").trim();
                    if name == "request" || name == "req" || f.trim_end().ends_with("Request") {
                        return true;
                    }
                }
            }
            return p
                .child_by_field_id(*field::BODY)
                .is_some_and(|b| text(b).contains("request."));
        }
        cur = p.parent();
    }
    false
}

pub(super) fn enclosing_function(tree: &Tree, byte: usize, source: &[u8]) -> String {
    match tree.root_node().descendant_for_byte_range(byte, byte) {
        Some(n) => enclosing_function_of(n, source),
        None => String::new(),
    }
}
