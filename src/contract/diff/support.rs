//! Small helpers of the differ: path shapes and template variables, canonical values, sunset dates
//! and stability levels.

use super::*;

pub(super) fn ptr_id(n: &Node) -> usize {
    n as *const Node as usize
}

pub(super) fn human(prefix: &str) -> &'static str {
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

pub(super) fn template_vars(p: &str) -> Vec<&str> {
    let mut v = Vec::new();
    let mut rest = p;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        v.push(&rest[i + 1..i + j]);
        rest = &rest[i + j + 1..];
    }
    v
}

pub(super) fn canon(n: &Node) -> String {
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

pub(super) fn stability_rank(s: &str) -> Option<u8> {
    match s.to_ascii_lowercase().as_str() {
        "draft" => Some(0),
        "alpha" => Some(1),
        "beta" => Some(2),
        "stable" | "ga" => Some(3),
        _ => None,
    }
}
