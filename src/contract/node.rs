//! A small document tree with the line and column of every node, loaded from JSON (a hand-written
//! tokenizer: fast and light on 60 MB descriptions) or YAML (saphyr, with spans).

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
    let s = percent_decode(s);
    s.replace("~1", "/").replace("~0", "~")
}

pub fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parse error with its 1-based position.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// Parse a document: JSON when it starts with `{` or `[`, YAML otherwise (YAML is a superset, but the
/// JSON tokenizer is much faster and lighter).
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let t = text.trim_start_matches('\u{feff}');
    let first = t.bytes().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        match parse_json(t) {
            Ok(n) => return Ok(n),
            Err(e) => {
                // JSON-looking YAML (flow style with comments, trailing commas ...) still loads.
                if let Ok(n) = parse_yaml(t) {
                    return Ok(n);
                }
                return Err(e);
            }
        }
    }
    parse_yaml(t)
}

// ---------------------------------------------------------------------------------------------------
// JSON

struct JsonParser<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    line: u32,
    line_start: usize,
    depth: u32,
}

pub fn parse_json(text: &str) -> Result<Node, ParseError> {
    let mut p = JsonParser {
        b: text.as_bytes(),
        s: text,
        i: 0,
        line: 1,
        line_start: 0,
        depth: 0,
    };
    p.ws();
    let n = p.value()?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(n)
}

impl JsonParser<'_> {
    fn err(&self, msg: &str) -> ParseError {
        ParseError {
            line: self.line,
            col: self.col(),
            message: msg.to_string(),
        }
    }
    fn col(&self) -> u32 {
        let start = self.line_start.min(self.s.len());
        let end = self.i.min(self.s.len());
        if self.b[start..end].is_ascii() {
            (end - start) as u32 + 1
        } else {
            let mut e = end;
            while !self.s.is_char_boundary(e) {
                e -= 1;
            }
            self.s[start..e].chars().map(char::len_utf16).sum::<usize>() as u32 + 1
        }
    }
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                }
                _ => break,
            }
        }
    }
    fn value(&mut self) -> Result<Node, ParseError> {
        let (line, col) = (self.line, self.col());
        let mk = |v| Node { line, col, v };
        match self.b.get(self.i) {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => {
                self.depth += 1;
                if self.depth > 512 {
                    return Err(self.err("nesting too deep"));
                }
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(mk(V::Map(m)));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let (kl, kc) = (self.line, self.col());
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return Err(self.err("expected `:`"));
                    }
                    self.i += 1;
                    self.ws();
                    let mut v = self.value()?;
                    // a member is located at its key
                    v.line = kl;
                    v.col = kc;
                    m.push((k, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            break;
                        }
                        _ => return Err(self.err("expected `,` or `}`")),
                    }
                }
                self.depth -= 1;
                m.shrink_to_fit();
                Ok(mk(V::Map(m)))
            }
            Some(b'[') => {
                self.depth += 1;
                if self.depth > 512 {
                    return Err(self.err("nesting too deep"));
                }
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(mk(V::Seq(items)));
                }
                loop {
                    self.ws();
                    items.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        _ => return Err(self.err("expected `,` or `]`")),
                    }
                }
                self.depth -= 1;
                items.shrink_to_fit();
                Ok(mk(V::Seq(items)))
            }
            Some(b'"') => Ok(mk(V::Str(self.string()?))),
            Some(b't') if self.b[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(mk(V::Bool(true)))
            }
            Some(b'f') if self.b[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(mk(V::Bool(false)))
            }
            Some(b'n') if self.b[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(mk(V::Null))
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let st = self.i;
                self.i += 1;
                while let Some(c) = self.b.get(self.i) {
                    if c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-') {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                match self.s[st..self.i].parse::<f64>() {
                    Ok(n) => Ok(mk(V::Num(n))),
                    Err(_) => Err(self.err("invalid number")),
                }
            }
            Some(_) => Err(self.err("unexpected character")),
        }
    }
    fn string(&mut self) -> Result<Box<str>, ParseError> {
        self.i += 1; // opening quote
        let st = self.i;
        // fast path: no escapes
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    let s = &self.s[st..self.i];
                    self.i += 1;
                    return Ok(s.into());
                }
                b'\\' => break,
                b'\n' => return Err(self.err("newline in string")),
                _ => self.i += 1,
            }
        }
        let mut out = String::from(&self.s[st..self.i]);
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err("unterminated string"));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(out.into());
                }
                b'\\' => {
                    let Some(&e) = self.b.get(self.i + 1) else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hex = |p: &Self, at: usize| {
                                p.s.get(at..at + 4)
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                            };
                            let Some(mut cp) = hex(self, self.i) else {
                                return Err(self.err("invalid \\u escape"));
                            };
                            self.i += 4;
                            if (0xD800..0xDC00).contains(&cp)
                                && self.b.get(self.i) == Some(&b'\\')
                                && self.b.get(self.i + 1) == Some(&b'u')
                            {
                                if let Some(lo) = hex(self, self.i + 2) {
                                    if (0xDC00..0xE000).contains(&lo) {
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                        self.i += 6;
                                    }
                                }
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                b'\n' => return Err(self.err("newline in string")),
                _ => {
                    // copy a run of plain bytes
                    let st = self.i;
                    while let Some(&c) = self.b.get(self.i) {
                        if c == b'"' || c == b'\\' || c == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                    out.push_str(&self.s[st..self.i]);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// YAML

pub fn parse_yaml(text: &str) -> Result<Node, ParseError> {
    use saphyr_parser::Parser;
    let mut b = YamlBuilder {
        stack: Vec::new(),
        anchors: std::collections::HashMap::new(),
        root: None,
        error: None,
    };
    Parser::new_from_str(text)
        .load(&mut b, false)
        .map_err(|e| ParseError {
            line: e.marker().line() as u32,
            col: e.marker().col() as u32 + 1,
            message: e.info().to_string(),
        })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    Ok(b.root.unwrap_or(Node {
        line: 1,
        col: 1,
        v: V::Null,
    }))
}

/// Builds nodes straight from saphyr's parser events (no intermediate YAML tree).
struct YamlBuilder {
    stack: Vec<Frame>,
    anchors: std::collections::HashMap<usize, Node>,
    root: Option<Node>,
    error: Option<ParseError>,
}

enum Frame {
    Seq(Node, usize),
    /// The mapping, its anchor, and the pending key with its position.
    Map(Node, usize, Option<(Box<str>, u32, u32)>),
}

impl YamlBuilder {
    fn push_value(&mut self, mut n: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, n.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(n);
                }
            }
            Some(Frame::Seq(seq, _)) => {
                if let V::Seq(items) = &mut seq.v {
                    items.push(n);
                }
            }
            Some(Frame::Map(map, _, pending)) => match pending.take() {
                None => {
                    let key: Box<str> = match &n.v {
                        V::Str(s) => s.clone(),
                        V::Num(x) => fmt_num(*x).into(),
                        V::Bool(b) => b.to_string().into(),
                        V::Null => "null".into(),
                        _ => "?".into(),
                    };
                    *pending = Some((key, n.line, n.col));
                }
                Some((k, line, col)) => {
                    // a member is located at its key
                    n.line = line;
                    n.col = col;
                    if let V::Map(m) = &mut map.v {
                        m.push((k, n));
                    }
                }
            },
        }
    }
}

fn yaml_scalar(s: &str, style: saphyr_parser::ScalarStyle) -> V {
    use saphyr_parser::ScalarStyle;
    if style != ScalarStyle::Plain {
        return V::Str(s.into());
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return V::Null,
        "true" | "True" | "TRUE" => return V::Bool(true),
        "false" | "False" | "FALSE" => return V::Bool(false),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Some(h) = s.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(h, 16) {
                return V::Num(i as f64);
            }
        } else if let Some(o) = s.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(o, 8) {
                return V::Num(i as f64);
            }
        } else if let Ok(i) = s.parse::<i64>() {
            return V::Num(i as f64);
        } else if let Some(f) = saphyr::parse_core_schema_fp(s) {
            return V::Num(f);
        }
    }
    V::Str(s.into())
}

impl<'input> saphyr_parser::SpannedEventReceiver<'input> for YamlBuilder {
    fn on_event(&mut self, ev: saphyr_parser::Event<'input>, span: saphyr_parser::Span) {
        use saphyr_parser::Event;
        let line = span.start.line().max(1) as u32;
        let col = span.start.col() as u32 + 1;
        let node = |v| Node { line, col, v };
        match ev {
            Event::Scalar(s, style, anchor, _) => {
                let v = yaml_scalar(&s, style);
                self.push_value(node(v), anchor);
            }
            Event::SequenceStart(anchor, _) => {
                if self.stack.len() > 512 {
                    self.error.get_or_insert(ParseError {
                        line,
                        col,
                        message: "nesting too deep".into(),
                    });
                }
                self.stack
                    .push(Frame::Seq(node(V::Seq(Vec::new())), anchor));
            }
            Event::MappingStart(anchor, _) => {
                if self.stack.len() > 512 {
                    self.error.get_or_insert(ParseError {
                        line,
                        col,
                        message: "nesting too deep".into(),
                    });
                }
                self.stack
                    .push(Frame::Map(node(V::Map(Vec::new())), anchor, None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(f) = self.stack.pop() {
                    let (n, anchor) = match f {
                        Frame::Seq(n, a) | Frame::Map(n, a, _) => (n, a),
                    };
                    self.push_value(n, anchor);
                }
            }
            Event::Alias(id) => {
                let mut n = self.anchors.get(&id).cloned().unwrap_or(node(V::Null));
                n.line = line;
                n.col = col;
                self.push_value(n, 0);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_positions_and_escapes() {
        let t = "{\n  \"a\": [1, 2.5, true, null],\n  \"b\": \"x\\u00e9\\n\"\n}";
        let n = parse(t).unwrap();
        let a = n.get("a").unwrap();
        assert_eq!((a.line, a.col), (2, 3));
        assert_eq!((a.seq()[1].line, a.seq()[1].col), (2, 12));
        assert_eq!(a.seq()[1].num(), Some(2.5));
        assert_eq!(n.get_str("b"), Some("xé\n"));
        let e = parse_json("{\n \"a\": }").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn yaml_positions_and_pointer() {
        let t = "openapi: 3.1.0\npaths:\n  /a~b/{id}:\n    get:\n      operationId: x\n";
        let n = parse(t).unwrap();
        let op = n.pointer("/paths/~1a~0b~1{id}/get/operationId").unwrap();
        assert_eq!(op.str(), Some("x"));
        assert_eq!((op.line, op.col), (5, 7));
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line >= 1);
    }

    #[test]
    fn same_ignores_key_order() {
        let a = parse("{\"x\": 1, \"y\": [1, {\"p\": 2, \"q\": 3}]}").unwrap();
        let b = parse("y:\n  - 1\n  - q: 3\n    p: 2\nx: 1\n").unwrap();
        assert!(a.same(&b));
    }
}
