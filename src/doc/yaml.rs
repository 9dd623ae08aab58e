//! YAML with positions: saphyr-parser events pulled one at a time into [`Node`]s, with the depth, key
//! and alias limits checked on every event (no recursion: the open collections are a heap stack).
//! Aliases are copied under a budget, merge keys (`<<`) are resolved. Typed reads go through
//! serde_norway after the same checks.

use super::{check_size, fmt_num, yaml_fast, Error, Limit, Limits, Node, V};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::{HashMap, HashSet};

/// How plain scalars become values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalars {
    /// YAML 1.2 core schema: `null`, booleans, numbers (API descriptions, manifests).
    Typed,
    /// Everything but null is text as written (lockfiles: `version: 1.10` stays "1.10").
    Text,
}

/// The first document of a YAML stream (Null when there is none), typed scalars.
pub fn parse(text: &str, limits: &Limits) -> Result<Node, Error> {
    let docs = parse_docs(text, limits, Scalars::Typed)?;
    Ok(docs.into_iter().next().unwrap_or(Node {
        line: 1,
        col: 1,
        v: V::Null,
    }))
}

/// Every document of a YAML stream.
pub fn parse_docs(text: &str, limits: &Limits, scalars: Scalars) -> Result<Vec<Node>, Error> {
    check_size(text, limits)?;
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
        aliases: 0,
        copied: 0,
        limits,
        scalars,
    };
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| {
            Error::syntax(
                e.marker().line().max(1) as u32,
                e.marker().col() as u32 + 1,
                e.info().to_string(),
            )
        })?;
        b.event(ev, span)?;
    }
    Ok(b.docs)
}

/// Every document, text scalars, for machine-written lockfiles: pnpm's fixed layout through a
/// line-oriented reader about 20 times faster, anything outside that layout through [`parse_docs`].
/// Both apply the same limits.
pub fn parse_docs_text(text: &str, limits: &Limits) -> Result<Vec<Node>, Error> {
    check_size(text, limits)?;
    match yaml_fast::parse_docs(text, limits) {
        Some(docs) => Ok(docs),
        None => parse_docs(text, limits, Scalars::Text),
    }
}

/// A typed read (rule files, configuration): the document is checked against the limits first, then
/// deserialized by serde_norway. The message is serde_norway's (ending in "at line N column M").
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    parse_docs(text, &Limits::DEFAULT, Scalars::Typed)?;
    serde_norway::from_str(text).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((1, 1));
        Error::syntax(line.max(1), col.max(1), e.to_string())
    })
}

/// What one node costs besides its text, roughly (for the alias budget).
const NODE_BYTES: usize = 48;

struct Frame {
    node: Node,
    anchor: usize,
    /// Approximate bytes of this collection (what a copy of it costs).
    size: usize,
    /// For mappings: the pending key and its position.
    key: Option<(Box<str>, u32, u32)>,
    /// For mappings: the values of `<<` merge keys, merged at the end.
    merges: Vec<Node>,
}

struct Builder<'l> {
    stack: Vec<Frame>,
    /// anchor id -> (node, its approximate bytes)
    anchors: HashMap<usize, (Node, usize)>,
    docs: Vec<Node>,
    aliases: usize,
    /// Approximate bytes copied for anchors and aliases so far.
    copied: usize,
    limits: &'l Limits,
    scalars: Scalars,
}

impl Builder<'_> {
    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<(), Error> {
        let line = span.start.line().max(1) as u32;
        let col = span.start.col() as u32 + 1;
        let node = |v| Node { line, col, v };
        match ev {
            Event::Scalar(s, style, anchor, _) => {
                let v = scalar(&s, style, self.scalars);
                self.push(node(v), anchor, NODE_BYTES + s.len())?;
            }
            Event::SequenceStart(anchor, _) => self.open(node(V::Seq(Vec::new())), anchor)?,
            Event::MappingStart(anchor, _) => self.open(node(V::Map(Vec::new())), anchor)?,
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(mut f) = self.stack.pop() {
                    if !f.merges.is_empty() {
                        merge(&mut f.node, std::mem::take(&mut f.merges));
                    }
                    self.push(f.node, f.anchor, f.size)?;
                }
            }
            Event::Alias(id) => {
                self.aliases += 1;
                if self.aliases > self.limits.max_aliases {
                    return Err(Error::limit(
                        line,
                        col,
                        Limit::Aliases(self.limits.max_aliases),
                        "too many YAML aliases",
                    ));
                }
                let size = self.anchors.get(&id).map_or(NODE_BYTES, |a| a.1);
                self.charge(size, line, col)?;
                let mut n = match self.anchors.get(&id) {
                    Some((n, _)) => n.clone(),
                    None => node(V::Null),
                };
                n.line = line;
                n.col = col;
                self.push(n, 0, size)?;
            }
            Event::DocumentEnd => {
                self.stack.clear();
                self.anchors.clear();
            }
            _ => {}
        }
        Ok(())
    }

    /// Count a copy against the alias budget.
    fn charge(&mut self, size: usize, line: u32, col: u32) -> Result<(), Error> {
        self.copied = self.copied.saturating_add(size);
        if self.copied > self.limits.max_alias_bytes {
            return Err(Error::limit(
                line,
                col,
                Limit::AliasBytes(self.limits.max_alias_bytes),
                "YAML aliases expand too much",
            ));
        }
        Ok(())
    }

    fn open(&mut self, n: Node, anchor: usize) -> Result<(), Error> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(Error::limit(
                n.line,
                n.col,
                Limit::Depth(self.limits.max_depth),
                "YAML nested too deeply",
            ));
        }
        self.stack.push(Frame {
            node: n,
            anchor,
            size: NODE_BYTES,
            key: None,
            merges: Vec::new(),
        });
        Ok(())
    }

    /// Add a finished value to the open collection (or as a document).
    fn push(&mut self, mut n: Node, anchor: usize, size: usize) -> Result<(), Error> {
        if anchor > 0 {
            self.charge(size, n.line, n.col)?;
            self.anchors.insert(anchor, (n.clone(), size));
        }
        let Some(f) = self.stack.last_mut() else {
            self.docs.push(n);
            return Ok(());
        };
        f.size = f.size.saturating_add(size);
        match &mut f.node.v {
            V::Seq(items) => items.push(n),
            V::Map(m) => match f.key.take() {
                None => {
                    let key: Box<str> = match &n.v {
                        V::Str(s) => s.clone(),
                        V::Num(x) => fmt_num(*x).into(),
                        V::Bool(b) => b.to_string().into(),
                        V::Null => "null".into(),
                        _ => "?".into(),
                    };
                    f.size = f.size.saturating_add(key.len());
                    f.key = Some((key, n.line, n.col));
                }
                Some((k, line, col)) => {
                    if &*k == "<<" && is_mergeable(&n) {
                        f.merges.push(n);
                        return Ok(());
                    }
                    if m.len() >= self.limits.max_keys {
                        return Err(Error::limit(
                            line,
                            col,
                            Limit::Keys(self.limits.max_keys),
                            "YAML mapping with too many keys",
                        ));
                    }
                    // a member is located at its key
                    n.line = line;
                    n.col = col;
                    m.push((k, n));
                }
            },
            _ => {}
        }
        Ok(())
    }
}

fn is_mergeable(n: &Node) -> bool {
    match &n.v {
        V::Map(_) => true,
        V::Seq(s) => s.iter().all(Node::is_map),
        _ => false,
    }
}

/// Merge keys: the mapping's own keys win, then the merged mappings in order.
fn merge(map: &mut Node, sources: Vec<Node>) {
    let V::Map(m) = &mut map.v else {
        return;
    };
    let mut seen: HashSet<Box<str>> = m.iter().map(|(k, _)| k.clone()).collect();
    for src in sources {
        let maps = match src.v {
            V::Map(e) => vec![e],
            V::Seq(items) => items
                .into_iter()
                .filter_map(|i| match i.v {
                    V::Map(e) => Some(e),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for entries in maps {
            for (k, v) in entries {
                if seen.insert(k.clone()) {
                    m.push((k, v));
                }
            }
        }
    }
}

fn scalar(s: &str, style: ScalarStyle, scalars: Scalars) -> V {
    if style != ScalarStyle::Plain {
        return V::Str(s.into());
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return V::Null,
        _ if scalars == Scalars::Text => return V::Str(s.into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `- - - … x`, `depth` levels.
    pub(crate) fn nested(depth: usize) -> String {
        format!("{}x\n", "- ".repeat(depth))
    }

    /// A billion laughs: `levels` anchors, each referring `refs` times to the one before.
    pub(crate) fn laughs(levels: usize, refs: usize) -> String {
        let mut t = String::from("a0: &a0 [lol]\n");
        for i in 1..=levels {
            let items = vec![format!("*a{}", i - 1); refs].join(", ");
            t.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        t
    }

    #[test]
    fn positions_and_pointer() {
        let t = "openapi: 3.1.0\npaths:\n  /a~b/{id}:\n    get:\n      operationId: x\n";
        let n = parse(t, &Limits::DEFAULT).unwrap();
        let op = n.pointer("/paths/~1a~0b~1{id}/get/operationId").unwrap();
        assert_eq!(op.str(), Some("x"));
        assert_eq!((op.line, op.col), (5, 7));
        let e = parse("a: [1, 2\nb: 3\n", &Limits::DEFAULT).unwrap_err();
        assert!(e.line >= 1 && e.limit.is_none());
    }

    #[test]
    fn deep_nesting_stops_at_the_limit() {
        let e = parse(&nested(20_000), &Limits::DEFAULT).unwrap_err();
        assert_eq!(e.limit, Some(Limit::Depth(256)));
        assert_eq!(e.line, 1);
        for flow in [
            format!("{}x{}", "[".repeat(20_000), "]".repeat(20_000)),
            format!("{}x", "[".repeat(20_000)),
        ] {
            let e = parse(&flow, &Limits::DEFAULT).unwrap_err();
            assert!(
                e.limit == Some(Limit::Depth(256)) || e.message.contains("recursion"),
                "{e:?}"
            );
        }
        let mut block = String::new();
        for i in 0..2_000 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let e = parse(&block, &Limits::DEFAULT).unwrap_err();
        assert_eq!(e.limit, Some(Limit::Depth(256)), "{e:?}");
        assert!(parse(&nested(200), &Limits::DEFAULT).is_ok());
    }

    #[test]
    fn billion_laughs_stops_at_the_alias_budget() {
        let t = laughs(30, 9);
        assert!(t.len() < 2_000);
        let e = parse(&t, &Limits::DEFAULT).unwrap_err();
        assert_eq!(
            e.limit,
            Some(Limit::AliasBytes(Limits::DEFAULT.max_alias_bytes)),
            "{}",
            e.message
        );
        // one long string referred to many times is caught too
        let mut t = format!("s: &s {}\nl: [", "x".repeat(100_000));
        t.push_str(&vec!["*s"; 5_000].join(", "));
        t.push_str("]\n");
        assert!(matches!(
            parse(&t, &Limits::DEFAULT).unwrap_err().limit,
            Some(Limit::AliasBytes(_))
        ));
        // a few ordinary aliases are fine, and keep their values
        let n = parse(&laughs(2, 3), &Limits::DEFAULT).unwrap();
        assert_eq!(n.get("a2").unwrap().seq().len(), 3);
        assert_eq!(
            n.get("a2").unwrap().seq()[0].seq()[0].seq()[0].str(),
            Some("lol")
        );
        let few = Limits {
            max_aliases: 2,
            ..Limits::DEFAULT
        };
        assert_eq!(
            parse(&laughs(1, 3), &few).unwrap_err().limit,
            Some(Limit::Aliases(2))
        );
    }

    #[test]
    fn merge_keys_resolved_own_keys_win() {
        let t = "base: &b {a: 1, b: 2}\nmore: &m {c: 3, a: 9}\nx:\n  <<: [*b, *m]\n  b: 5\n";
        let n = parse(t, &Limits::DEFAULT).unwrap();
        let x = n.get("x").unwrap();
        assert_eq!(x.get_num("a"), Some(1.0));
        assert_eq!(x.get_num("b"), Some(5.0));
        assert_eq!(x.get_num("c"), Some(3.0));
        assert!(x.get("<<").is_none());
        let y = parse("y:\n  <<: {k: v}\n", &Limits::DEFAULT).unwrap();
        assert_eq!(y.pointer("/y/k").and_then(Node::str), Some("v"));
    }

    #[test]
    fn text_scalars_keep_what_is_written() {
        let d = parse_docs("a: 1.10\nb: true\nc: ~\n", &Limits::DEFAULT, Scalars::Text).unwrap();
        assert_eq!(d[0].get_str("a"), Some("1.10"));
        assert_eq!(d[0].get_str("b"), Some("true"));
        assert_eq!(d[0].get("c").map(|c| &c.v), Some(&V::Null));
        let d = parse_docs("---\na: 1\n---\nb: 2\n", &Limits::DEFAULT, Scalars::Text).unwrap();
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn typed_reads_check_limits_then_keep_serde_messages() {
        #[derive(serde::Deserialize, Debug)]
        struct R {
            #[allow(dead_code)]
            id: String,
        }
        assert!(from_str::<R>("id: x\n").is_ok());
        let e = from_str::<R>("\nid: [1\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        let e = from_str::<R>(&laughs(30, 9)).unwrap_err();
        assert_eq!(
            e.limit,
            Some(Limit::AliasBytes(Limits::DEFAULT.max_alias_bytes))
        );
        let e = from_str::<R>(&nested(20_000)).unwrap_err();
        assert_eq!(e.limit, Some(Limit::Depth(256)));
    }
}
