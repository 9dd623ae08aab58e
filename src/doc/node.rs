//! The document tree every reader produces: a value with the 1-based line and column of every node
//! (map members are located at their key). Helpers for lookups, JSON pointers and canonical text.

use std::fmt::Write as _;

/// A value with its 1-based line and column in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: u32,
    pub col: u32,
    pub v: V,
}

#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(Box<str>),
    Seq(Vec<Node>),
    /// Keys in document order, each with the position of the key.
    Map(Vec<(Box<str>, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.v {
            V::Map(m) => m.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn str(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::str)
    }
    pub fn bool(&self) -> Option<bool> {
        match &self.v {
            V::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn get_bool(&self, key: &str) -> bool {
        self.get(key).and_then(Node::bool).unwrap_or(false)
    }
    pub fn num(&self) -> Option<f64> {
        match &self.v {
            V::Num(n) => Some(*n),
            V::Str(s) => s.parse().ok(),
            _ => None,
        }
    }
    pub fn get_num(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Node::num)
    }
    pub fn map(&self) -> &[(Box<str>, Node)] {
        match &self.v {
            V::Map(m) => m,
            _ => &[],
        }
    }
    pub fn seq(&self) -> &[Node] {
        match &self.v {
            V::Seq(s) => s,
            _ => &[],
        }
    }
    pub fn is_map(&self) -> bool {
        matches!(self.v, V::Map(_))
    }

    /// Follow a JSON pointer (`/a/b~1c/0`) below this node.
    pub fn pointer(&self, ptr: &str) -> Option<&Node> {
        if ptr.is_empty() {
            return Some(self);
        }
        let mut cur = self;
        for raw in ptr.strip_prefix('/')?.split('/') {
            let tok = unescape_pointer(raw);
            cur = match &cur.v {
                V::Map(_) => cur.get(&tok)?,
                V::Seq(s) => s.get(tok.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// A short, canonical rendering for messages (`"a"`, `3`, `[1, 2]`), clipped.
    pub fn short(&self) -> String {
        let mut s = String::new();
        self.write_canonical(&mut s, 3);
        if s.chars().count() > 80 {
            let mut t: String = s.chars().take(77).collect();
            t.push_str("...");
            t
        } else {
            s
        }
    }

    /// Canonical JSON-like text with map keys sorted (for equality and set matching), to a depth.
    pub fn write_canonical(&self, out: &mut String, depth: u32) {
        match &self.v {
            V::Null => out.push_str("null"),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Num(n) => out.push_str(&fmt_num(*n)),
            V::Str(s) => {
                let _ = write!(out, "{:?}", &**s);
            }
            V::Seq(items) => {
                if depth == 0 {
                    out.push_str("[...]");
                    return;
                }
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    it.write_canonical(out, depth - 1);
                }
                out.push(']');
            }
            V::Map(m) => {
                if depth == 0 {
                    out.push_str("{...}");
                    return;
                }
                let mut keys: Vec<&(Box<str>, Node)> = m.iter().collect();
                keys.sort_by(|a, b| a.0.cmp(&b.0));
                out.push('{');
                for (i, (k, v)) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{:?}: ", &**k);
                    v.write_canonical(out, depth - 1);
                }
                out.push('}');
            }
        }
    }

    /// Structural equality that ignores key order.
    pub fn same(&self, other: &Node) -> bool {
        match (&self.v, &other.v) {
            (V::Map(a), V::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| other.get(k).is_some_and(|w| v.same(w)))
            }
            (V::Seq(a), V::Seq(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)),
            (V::Num(a), V::Num(b)) => a == b,
            (a, b) => a == b,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.v {
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Num(n) => {
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Value::from(*n as i64)
                } else {
                    serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)
                }
            }
            V::Str(s) => Value::String(s.to_string()),
            V::Seq(s) => Value::Array(s.iter().map(Node::to_json).collect()),
            V::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

pub fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub fn unescape_pointer(s: &str) -> String {
    let s = crate::text::percent_decode(s);
    s.replace("~1", "/").replace("~0", "~")
}

pub fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod percent_tests {
    #[test]
    fn percent_decoding_never_slices_a_character() {
        assert_eq!(super::unescape_pointer("a%2Fb~1c"), "a/b/c");
        assert_eq!(super::unescape_pointer("%41%4a"), "AJ");
        // `%` then a multi-byte character: kept as is, no panic
        assert_eq!(
            super::unescape_pointer("compo%%%é%\u{1F600}nents"),
            "compo%%%é%\u{1F600}nents"
        );
        assert_eq!(super::unescape_pointer("%"), "%");
        assert_eq!(super::unescape_pointer("%4"), "%4");
    }
}
