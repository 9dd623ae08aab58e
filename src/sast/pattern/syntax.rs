//! Syntax helpers: node text, the cheap name pre-filter, name references, imports, literals and constants.

use super::*;
use crate::sast::field;

pub(super) fn unparen(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

pub(super) fn text<'a>(n: Node, source: &'a [u8]) -> &'a str {
    n.utf8_text(source).unwrap_or("")
}

/// A cheap per-file test before resolving an identifier or attribute chain for `name:` patterns: its
/// leftmost identifier must be a local name an import binds to one of the patterns' first segments, or
/// that first segment itself.
pub(super) struct NameFilter {
    /// Disabled (everything may match) when a pattern has no fixed first segment.
    pub(super) all: bool,
    pub(super) attribute: u16,
    pub(super) object: u16,
    pub(super) names: Vec<Vec<u8>>,
    /// Bit `len & 63` of `lens[first byte]`.
    pub(super) lens: [u64; 256],
}

impl NameFilter {
    pub(super) fn new(
        index: &NameIndex,
        imports: &Imports,
        ids: &KindIds,
        language: &Language,
    ) -> Self {
        let mut f = NameFilter {
            all: index.always || !index.tails.is_empty(),
            attribute: ids.attribute,
            object: language
                .field_id_for_name("object")
                .map(|f| f.get())
                .unwrap_or(0),
            names: Vec::new(),
            lens: [0; 256],
        };
        if f.all {
            return f;
        }
        let mut add = |n: &str| {
            let b = n.as_bytes();
            if let Some(&first) = b.first() {
                f.lens[first as usize] |= 1u64 << (b.len() & 63);
                f.names.push(b.to_vec());
            }
        };
        for h in &index.heads {
            add(h);
        }
        for (local, qualified) in imports.bindings() {
            let first = qualified.split('.').next().unwrap_or(qualified);
            if index.heads.contains(first) {
                add(local);
            }
        }
        f
    }

    pub(super) fn may_match(&self, node: Node, source: &[u8]) -> bool {
        if self.all {
            return true;
        }
        let mut cur = node;
        while cur.kind_id() == self.attribute {
            match cur.child_by_field_id(self.object) {
                Some(o) => cur = o,
                None => break,
            }
        }
        let Some(head) = source.get(cur.byte_range()) else {
            return false;
        };
        let Some(&first) = head.first() else {
            return false;
        };
        self.lens[first as usize] & (1u64 << (head.len() & 63)) != 0
            && self.names.iter().any(|n| n.as_slice() == head)
    }
}

/// The text of a string literal with exactly one content part and no placeholders (most strings).
pub(super) fn single_content<'a>(n: Node, source: &'a [u8]) -> Option<&'a str> {
    if n.kind() != "string" || n.named_child_count() != 3 {
        return None;
    }
    let c = n.named_child(1)?;
    (c.kind() == "string_content")
        .then(|| c.utf8_text(source).ok())
        .flatten()
}

/// The method name of a call on something that is not a dotted name (`f().m`, `x[0].m`).
pub(super) fn unresolvable_method<'a>(f: Node, source: &'a [u8]) -> Option<&'a str> {
    if f.kind() != "attribute" {
        return None;
    }
    let mut cur = f.child_by_field_id(*field::OBJECT)?;
    loop {
        match cur.kind() {
            "identifier" => return None,
            "attribute" => cur = cur.child_by_field_id(*field::OBJECT)?,
            _ => break,
        }
    }
    Some(text(f.child_by_field_id(*field::ATTRIBUTE)?, source))
}

/// The leftmost identifier and the last segment of an identifier/attribute chain.
pub(super) fn head_and_last<'a>(n: Node, source: &'a [u8]) -> Option<(&'a str, &'a str)> {
    let last = match n.kind() {
        "identifier" => text(n, source),
        "attribute" => text(n.child_by_field_id(*field::ATTRIBUTE)?, source),
        _ => return None,
    };
    let mut cur = n;
    loop {
        match cur.kind() {
            "identifier" => return Some((text(cur, source), last)),
            "attribute" => cur = cur.child_by_field_id(*field::OBJECT)?,
            _ => return None,
        }
    }
}

/// An identifier or attribute chain used as a value: the outermost node of a chain, not a name being
/// defined (function, class, parameter, keyword, import).
pub(super) fn is_name_reference(n: Node, parent: Option<&Node>) -> bool {
    let Some(p) = parent else {
        return false;
    };
    match p.kind() {
        "attribute" => {
            // Only the outermost node of a chain; `x.attr`'s `attr` is not a reference either.
            false
        }
        "keyword_argument" => p
            .child_by_field_id(*field::NAME)
            .is_none_or(|k| k.id() != n.id()),
        "function_definition"
        | "class_definition"
        | "parameters"
        | "lambda_parameters"
        | "default_parameter"
        | "typed_parameter"
        | "typed_default_parameter"
        | "aliased_import"
        | "dotted_name"
        | "import_statement"
        | "import_from_statement"
        | "global_statement"
        | "nonlocal_statement" => false,
        _ => true,
    }
}

pub(super) fn imported_modules(n: Node, source: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if n.kind() == "import_from_statement" {
        if let Some(m) = n.child_by_field_id(*field::MODULE_NAME) {
            let base = text(m, source).to_string();
            out.push(base.clone());
            let mut c = n.walk();
            for name in n.children_by_field_name("name", &mut c) {
                let nn = if name.kind() == "aliased_import" {
                    name.child_by_field_id(*field::NAME)
                } else {
                    Some(name)
                };
                if let Some(nn) = nn {
                    out.push(format!("{base}.{}", text(nn, source)));
                }
            }
        }
    } else {
        let mut c = n.walk();
        for name in n.children_by_field_name("name", &mut c) {
            let nn = if name.kind() == "aliased_import" {
                name.child_by_field_id(*field::NAME)
            } else {
                Some(name)
            };
            if let Some(nn) = nn {
                out.push(text(nn, source).to_string());
            }
        }
    }
    out
}

/// The value of a string literal without interpolation (`"a" "b"` concatenations too).
pub fn string_value(n: Node, source: &[u8]) -> Option<String> {
    match n.kind() {
        "string" => {
            let mut c = n.walk();
            let mut s = String::new();
            for ch in n.children(&mut c) {
                match ch.kind() {
                    "string_content" | "escape_sequence" => s.push_str(text(ch, source)),
                    "interpolation" => return None,
                    _ => {}
                }
            }
            Some(s)
        }
        "concatenated_string" => {
            let mut c = n.walk();
            let mut s = String::new();
            for ch in n.named_children(&mut c) {
                s.push_str(&string_value(ch, source)?);
            }
            Some(s)
        }
        "parenthesized_expression" => string_value(n.named_child(0)?, source),
        _ => None,
    }
}

pub(super) fn literal(n: Node, source: &[u8]) -> Option<Lit> {
    let n = unparen(n);
    Some(match n.kind() {
        "true" => Lit::Bool(true),
        "false" => Lit::Bool(false),
        "none" => Lit::None,
        "integer" => Lit::Int(parse_int(text(n, source))?),
        "float" => Lit::Float(text(n, source).replace('_', "").parse().ok()?),
        "string" | "concatenated_string" => Lit::Str(string_value(n, source)?),
        "unary_operator" => {
            let arg = n.child_by_field_id(*field::ARGUMENT)?;
            let op = n.child_by_field_id(*field::OPERATOR)?;
            match (text(op, source), literal(arg, source)?) {
                ("-", Lit::Int(i)) => Lit::Int(-i),
                ("-", Lit::Float(f)) => Lit::Float(-f),
                ("+", l) => l,
                _ => return None,
            }
        }
        _ => return None,
    })
}

pub(super) fn parse_int(t: &str) -> Option<i64> {
    let t = t.replace('_', "").to_ascii_lowercase();
    let t = t.trim_end_matches('l');
    if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = t.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if t.len() > 1 && t.starts_with('0') && t.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

/// Is the expression a constant (no names, calls or placeholders)?
pub(super) fn is_constant(n: Node) -> bool {
    let n = unparen(n);
    match n.kind() {
        "true" | "false" | "none" | "integer" | "float" | "ellipsis" => true,
        "string" => {
            let mut c = n.walk();
            let r = n.children(&mut c).all(|ch| ch.kind() != "interpolation");
            r
        }
        "concatenated_string" | "tuple" | "list" | "set" | "dictionary" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .all(|ch| ch.kind() == "comment" || is_constant(ch));
            r
        }
        "pair" => {
            n.child_by_field_id(*field::KEY).is_some_and(is_constant)
                && n.child_by_field_id(*field::VALUE).is_some_and(is_constant)
        }
        "unary_operator" => n
            .child_by_field_id(*field::ARGUMENT)
            .is_some_and(is_constant),
        "conditional_expression" => {
            // `a if cond else b`: the value is one of the branches.
            let mut c = n.walk();
            let kids: Vec<Node> = n.named_children(&mut c).collect();
            kids.len() == 3 && is_constant(kids[0]) && is_constant(kids[2])
        }
        "binary_operator" => {
            n.child_by_field_id(*field::LEFT).is_some_and(is_constant)
                && n.child_by_field_id(*field::RIGHT).is_some_and(is_constant)
        }
        _ => false,
    }
}
