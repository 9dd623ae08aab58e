//! The fast path of the YAML reader for machine-written lockfiles. pnpm writes its lockfile with a fixed
//! layout (block mappings indented by two, single-line flow mappings such as `resolution: {integrity:
//! ...}`, quoted keys where needed); this line-oriented reader handles that layout about 20 times faster
//! than a general YAML parser. Anything outside that subset (block scalars, anchors, tags, multi-line
//! flow collections, tabs...) or near a limit makes it give up, and the general reader decides.

use super::{Limits, Node, V};

struct Line<'a> {
    no: u32,
    indent: usize,
    text: &'a str,
}

/// The fast reader over `---`-separated documents (pnpm 11+ writes its own "env" document first).
/// None when the text leaves the subset or comes near a limit (the general reader then decides).
pub(super) fn parse_docs(text: &str, limits: &Limits) -> Option<Vec<Node>> {
    let mut docs = Vec::new();
    let mut lines = Vec::new();
    let mut started = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim_end() == "---" {
            if started || !lines.is_empty() {
                docs.push(lines_to_doc(std::mem::take(&mut lines), limits)?);
            }
            started = true;
            continue;
        }
        let t = raw.trim_start_matches(' ');
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('\t') || t.starts_with("---") || t.starts_with("...") || t.starts_with('%')
        {
            return None;
        }
        lines.push(Line {
            no: i as u32 + 1,
            indent: raw.len() - t.len(),
            text: t.trim_end(),
        });
    }
    if started || !lines.is_empty() || docs.is_empty() {
        docs.push(lines_to_doc(lines, limits)?);
    }
    Some(docs)
}

fn lines_to_doc(lines: Vec<Line>, limits: &Limits) -> Option<Node> {
    if lines.is_empty() {
        return Some(Node {
            line: 1,
            col: 1,
            v: V::Null,
        });
    }
    let mut i = 0;
    let mut r = Reader {
        lines: &lines,
        limits,
    };
    let y = r.block(&mut i, lines[0].indent, 1)?;
    (i == lines.len()).then_some(y)
}

fn at(pos: (u32, u32), v: V) -> Node {
    Node {
        line: pos.0,
        col: pos.1,
        v,
    }
}

struct Reader<'a, 'l> {
    lines: &'a [Line<'a>],
    limits: &'l Limits,
}

impl Reader<'_, '_> {
    /// The block collection whose lines start at `*i` with `indent`, `depth` levels down.
    fn block(&mut self, i: &mut usize, indent: usize, depth: usize) -> Option<Node> {
        let lines = self.lines;
        let max = self.limits.max_depth;
        if depth >= max {
            return None;
        }
        let pos = (lines[*i].no, indent as u32 + 1);
        if lines[*i].text.starts_with("- ") || lines[*i].text == "-" {
            let mut seq = Vec::new();
            while *i < lines.len()
                && lines[*i].indent == indent
                && (lines[*i].text.starts_with("- ") || lines[*i].text == "-")
            {
                let item_pos = (lines[*i].no, indent as u32 + 1);
                let item = lines[*i].text[1..].trim_start();
                *i += 1;
                if item.is_empty() {
                    if *i < lines.len() && lines[*i].indent > indent {
                        let ind = lines[*i].indent;
                        seq.push(self.block(i, ind, depth + 1)?);
                    } else {
                        seq.push(at(item_pos, V::Null));
                    }
                } else {
                    if split_key(item).is_some() {
                        return None; // `- key: value` (a mapping in a sequence): not in pnpm's layout
                    }
                    seq.push(at(item_pos, inline_value(item, item_pos, depth, max)?));
                }
            }
            return Some(at(pos, V::Seq(seq)));
        }
        let mut map = Vec::new();
        while *i < lines.len() {
            let l = &lines[*i];
            if l.indent < indent {
                break;
            }
            if l.indent > indent || l.text.starts_with('-') || map.len() >= self.limits.max_keys {
                return None;
            }
            let (key, rest) = split_key(l.text)?;
            let kpos = (l.no, l.indent as u32 + 1);
            *i += 1;
            let mut value = if rest.is_empty() {
                match lines.get(*i) {
                    Some(n) if n.indent > indent => {
                        let ind = n.indent;
                        self.block(i, ind, depth + 1)?
                    }
                    Some(n)
                        if n.indent == indent && (n.text.starts_with("- ") || n.text == "-") =>
                    {
                        self.block(i, indent, depth + 1)?
                    }
                    _ => at(kpos, V::Null),
                }
            } else {
                at(kpos, inline_value(rest, kpos, depth, max)?)
            };
            // a member is located at its key
            value.line = kpos.0;
            value.col = kpos.1;
            map.push((key.into_boxed_str(), value));
        }
        Some(at(pos, V::Map(map)))
    }
}

/// `key: rest` -> (key, rest); None when the line is not a simple mapping entry.
fn split_key(t: &str) -> Option<(String, &str)> {
    let (key, after) = if t.starts_with('\'') || t.starts_with('"') {
        let (k, used) = quoted(t)?;
        (k, &t[used..])
    } else {
        if t.starts_with(['?', '&', '*', '!', '{', '[', '|', '>', '@', '`', '%']) {
            return None;
        }
        let end = t
            .find(": ")
            .or_else(|| t.ends_with(':').then(|| t.len() - 1))?;
        let k = t[..end].trim_end();
        if k.contains(" #") {
            return None;
        }
        (k.to_string(), &t[end..])
    };
    let after = after.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    Some((key, after.trim()))
}

/// A quoted scalar at the start of `t`: (value, bytes used).
fn quoted(t: &str) -> Option<(String, usize)> {
    let q = t.chars().next()?;
    let mut out = String::new();
    let mut it = t.char_indices().skip(1).peekable();
    while let Some((i, c)) = it.next() {
        if c == q {
            if q == '\'' && it.peek().map(|(_, c)| *c) == Some('\'') {
                it.next();
                out.push('\'');
                continue;
            }
            return Some((out, i + 1));
        }
        if q == '"' && c == '\\' {
            let (_, e) = it.next()?;
            match e {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '/' => out.push('/'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                _ => return None,
            }
            continue;
        }
        out.push(c);
    }
    None
}

fn plain(s: &str) -> V {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => V::Null,
        _ => V::Str(s.into()),
    }
}

/// The value after `key: ` or `- `, at `pos`; flow collections nest from `depth`.
fn inline_value(rest: &str, pos: (u32, u32), depth: usize, max: usize) -> Option<V> {
    let r = rest.trim();
    if r.starts_with(['|', '>', '&', '*', '!', '%', '@', '`']) {
        return None;
    }
    if r.starts_with('{') || r.starts_with('[') {
        let (y, used) = flow(r, pos, depth, max)?;
        let tail = r[used..].trim();
        return (tail.is_empty() || tail.starts_with('#')).then_some(y);
    }
    if r.starts_with('\'') || r.starts_with('"') {
        let (s, used) = quoted(r)?;
        let tail = r[used..].trim();
        return (tail.is_empty() || tail.starts_with('#')).then_some(V::Str(s.into()));
    }
    let v = match r.find(" #") {
        Some(p) => r[..p].trim_end(),
        None => r,
    };
    if v.contains(": ") || v.ends_with(':') {
        return None;
    }
    Some(plain(v))
}

/// A single-line flow collection starting at `s[0]`: (value, bytes used).
fn flow(s: &str, pos: (u32, u32), depth: usize, max: usize) -> Option<(V, usize)> {
    if depth >= max {
        return None;
    }
    let b = s.as_bytes();
    let close = match b.first()? {
        b'{' => b'}',
        b'[' => b']',
        _ => return None,
    };
    let mut i = 1;
    let mut map = Vec::new();
    let mut seq = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i] == b' ' {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if *b.get(i)? == close {
            i += 1;
            break;
        }
        // one item: a scalar or nested collection, and for maps `: value`
        let (item, used) = flow_item(&s[i..], pos, depth, max)?;
        i += used;
        skip_ws(&mut i);
        if close == b'}' {
            let key = match item {
                V::Str(k) => k,
                _ => return None,
            };
            if *b.get(i)? != b':' {
                return None;
            }
            i += 1;
            skip_ws(&mut i);
            let (value, used) = if matches!(b.get(i), Some(b',') | Some(b'}')) {
                (V::Null, 0)
            } else {
                flow_item(&s[i..], pos, depth, max)?
            };
            i += used;
            map.push((key, at(pos, value)));
        } else {
            seq.push(at(pos, item));
        }
        skip_ws(&mut i);
        match *b.get(i)? {
            b',' => i += 1,
            c if c == close => {
                i += 1;
                break;
            }
            _ => return None,
        }
    }
    Some((
        if close == b'}' {
            V::Map(map)
        } else {
            V::Seq(seq)
        },
        i,
    ))
}

fn flow_item(s: &str, pos: (u32, u32), depth: usize, max: usize) -> Option<(V, usize)> {
    match s.as_bytes().first()? {
        b'{' | b'[' => flow(s, pos, depth + 1, max),
        b'\'' | b'"' => quoted(s).map(|(v, n)| (V::Str(v.into()), n)),
        b'&' | b'*' | b'!' | b'|' | b'>' => None,
        _ => {
            // a plain scalar ends at `,` `}` `]` or at `: ` (a key)
            let b = s.as_bytes();
            let mut end = 0;
            while end < b.len() {
                match b[end] {
                    b',' | b'}' | b']' | b'{' | b'[' => break,
                    b':' if matches!(
                        b.get(end + 1),
                        Some(b' ') | Some(b',') | Some(b'}') | None
                    ) =>
                    {
                        break
                    }
                    _ => end += 1,
                }
            }
            let v = s[..end].trim();
            Some((plain(v), end))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::{parse_docs as general, Scalars};
    use super::*;

    fn fast(t: &str) -> Option<Vec<Node>> {
        parse_docs(t, &Limits::DEFAULT)
    }

    fn slow(t: &str) -> Vec<Node> {
        general(t, &Limits::DEFAULT, Scalars::Text).unwrap()
    }

    fn strip(n: &Node) -> Node {
        let v = match &n.v {
            V::Map(m) => V::Map(m.iter().map(|(k, v)| (k.clone(), strip(v))).collect()),
            V::Seq(s) => V::Seq(s.iter().map(strip).collect()),
            o => o.clone(),
        };
        Node { line: 0, col: 0, v }
    }

    /// Block-mapping members sit where the general reader puts them; returns how many were compared.
    fn same_positions(a: &Node, b: &Node, in_block: bool) -> usize {
        match (&a.v, &b.v) {
            (V::Map(x), V::Map(y)) => x
                .iter()
                .zip(y)
                .map(|((k, p), (_, q))| {
                    let block = in_block && p.line != a.line;
                    if block {
                        assert_eq!((p.line, p.col), (q.line, q.col), "{k}");
                    }
                    usize::from(block) + same_positions(p, q, block || p.is_map())
                })
                .sum(),
            (V::Seq(x), V::Seq(y)) => x
                .iter()
                .zip(y)
                .map(|(p, q)| same_positions(p, q, false))
                .sum(),
            _ => 0,
        }
    }

    #[test]
    fn agrees_with_the_general_reader_on_pnpm_lockfiles() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sca/manifests");
        for sub in ["pnpm-v5", "pnpm-v6", "pnpm-v9"] {
            let text = std::fs::read_to_string(dir.join(sub).join("pnpm-lock.yaml")).unwrap();
            let f = fast(&text).expect("the fast reader handles pnpm's layout");
            let s = slow(&text);
            assert_eq!(
                f.iter().map(strip).collect::<Vec<_>>(),
                s.iter().map(strip).collect::<Vec<_>>(),
                "{sub}"
            );
            assert!(same_positions(&f[0], &s[0], true) > 20, "{sub}");
        }
    }

    #[test]
    fn flow_and_quotes() {
        let t = "a: {integrity: sha512-x==, tarball: 'https://x/y.tgz'}\n'@s/b@1.0.0':\n  engines: {node: '>=8, <9'}\n  cpu: [x64, arm64]\n  dev: true\nc: \"q\\\"x\"\nd:\n- 1\n- two\n";
        let f = fast(t).unwrap();
        assert_eq!(strip(&f[0]), strip(&slow(t)[0]));
        assert_eq!(
            f[0].pointer("/@s~1b@1.0.0/engines/node")
                .and_then(Node::str),
            Some(">=8, <9")
        );
        assert_eq!(f[0].map()[1].1.line, 2);
    }

    #[test]
    fn unsupported_constructs_and_limits_fall_back() {
        for t in [
            "a: &x 1\nb: *x\n",
            "a: |\n  text\n",
            "a: {b: 1,\n  c: 2}\n",
            "a:\n\tb: 1\n",
            "--- !tag\na: 1\n",
            "a: 1\n...\n",
            "a: !!str 1\n",
            "? a\n: b\n",
            "a:\n  <<: *x\n",
        ] {
            assert!(fast(t).is_none(), "{t:?}");
        }
        let mut deep = String::new();
        for i in 0..300 {
            deep.push_str(&" ".repeat(i));
            deep.push_str("k:\n");
        }
        assert!(fast(&deep).is_none());
        let flow = format!("a: {}{}\n", "[".repeat(300), "]".repeat(300));
        assert!(fast(&flow).is_none());
        // documents: same result both ways, lines counted from the top of the file
        let t = "---\na: 1\n---\nb:\n  c: 2\n";
        let f = fast(t).unwrap();
        let s = slow(t);
        assert_eq!(
            f.iter().map(strip).collect::<Vec<_>>(),
            s.iter().map(strip).collect::<Vec<_>>()
        );
        assert_eq!((f[1].map()[0].1.line, s[1].map()[0].1.line), (4, 4));
    }
}
