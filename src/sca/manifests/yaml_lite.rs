//! YAML for lockfiles. pnpm writes its lockfile with a fixed layout (block mappings indented by two,
//! single-line flow mappings such as `resolution: {integrity: ...}`, quoted keys where needed); a
//! line-oriented reader handles that layout about 20 times faster than a general YAML parser. Anything
//! outside that subset (block scalars, anchors, tags, multi-line flow collections, tabs...) makes the fast
//! reader give up, and the file is read by saphyr instead: same result, just slower.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Y {
    Null,
    Scalar(String),
    Map(Vec<YEntry>),
    Seq(Vec<Y>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YEntry {
    pub key: String,
    /// 1-based line and column of the key.
    pub line: u32,
    pub col: u32,
    pub value: Y,
}

#[derive(Debug)]
pub(crate) struct YError {
    pub line: u32,
    pub col: u32,
    pub msg: String,
}

impl Y {
    pub fn get(&self, key: &str) -> Option<&Y> {
        match self {
            Y::Map(m) => m.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }
    pub fn entries(&self) -> &[YEntry] {
        match self {
            Y::Map(m) => m,
            _ => &[],
        }
    }
    pub fn text(&self) -> Option<&str> {
        match self {
            Y::Scalar(s) => Some(s),
            _ => None,
        }
    }
    pub fn str_of(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Y::text)
    }
    pub fn is_map(&self) -> bool {
        matches!(self, Y::Map(_))
    }
}

/// Parse a single-document YAML file: the fast reader first, saphyr when the fast reader cannot.
/// Parse a YAML file into its documents: the fast reader first, saphyr when the fast reader cannot.
pub(crate) fn parse_docs(text: &str) -> Result<Vec<Y>, YError> {
    if let Some(docs) = parse_fast_docs(text) {
        return Ok(docs);
    }
    parse_saphyr_docs(text)
}

/// The first document.
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Result<Y, YError> {
    parse_docs(text).map(|d| d.into_iter().next().unwrap_or(Y::Null))
}

#[cfg(test)]
pub(crate) fn parse_saphyr(text: &str) -> Result<Y, YError> {
    parse_saphyr_docs(text).map(|d| d.into_iter().next().unwrap_or(Y::Null))
}

pub(crate) fn parse_saphyr_docs(text: &str) -> Result<Vec<Y>, YError> {
    match MarkedYaml::load_from_str(text) {
        Ok(docs) => Ok(docs.iter().map(convert).collect()),
        Err(e) => Err(YError {
            line: e.marker().line().max(1) as u32,
            col: e.marker().col() as u32 + 1,
            msg: e.info().to_string(),
        }),
    }
}

fn scalar_text(n: &MarkedYaml) -> Option<String> {
    match &n.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

fn convert(n: &MarkedYaml) -> Y {
    match &n.data {
        YamlData::Mapping(m) => Y::Map(
            m.iter()
                .map(|(k, v)| YEntry {
                    key: scalar_text(k).unwrap_or_default(),
                    line: k.span.start.line().max(1) as u32,
                    col: k.span.start.col() as u32 + 1,
                    value: convert(v),
                })
                .collect(),
        ),
        YamlData::Sequence(s) => Y::Seq(s.iter().map(convert).collect()),
        YamlData::Value(Scalar::Null) => Y::Null,
        _ => scalar_text(n).map(Y::Scalar).unwrap_or(Y::Null),
    }
}

// ------------------------------------------------------------------------------------------ fast reader

struct Line<'a> {
    no: u32,
    indent: usize,
    text: &'a str,
}

/// The fast reader over `---`-separated documents (pnpm 11+ writes its own "env" document first).
pub(crate) fn parse_fast_docs(text: &str) -> Option<Vec<Y>> {
    let mut docs = Vec::new();
    let mut lines = Vec::new();
    let mut started = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim_end() == "---" {
            if started || !lines.is_empty() {
                docs.push(lines_to_doc(std::mem::take(&mut lines))?);
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
        docs.push(lines_to_doc(lines)?);
    }
    Some(docs)
}

#[cfg(test)]
pub(crate) fn parse_fast(text: &str) -> Option<Y> {
    parse_fast_docs(text).map(|d| d.into_iter().next().unwrap_or(Y::Null))
}

fn lines_to_doc(lines: Vec<Line>) -> Option<Y> {
    if lines.is_empty() {
        return Some(Y::Null);
    }
    let mut i = 0;
    let y = block(&lines, &mut i, lines[0].indent)?;
    (i == lines.len()).then_some(y)
}

fn block(lines: &[Line], i: &mut usize, indent: usize) -> Option<Y> {
    if lines[*i].text.starts_with("- ") || lines[*i].text == "-" {
        let mut seq = Vec::new();
        while *i < lines.len()
            && lines[*i].indent == indent
            && (lines[*i].text.starts_with("- ") || lines[*i].text == "-")
        {
            let item = lines[*i].text[1..].trim_start();
            *i += 1;
            if item.is_empty() {
                if *i < lines.len() && lines[*i].indent > indent {
                    let ind = lines[*i].indent;
                    seq.push(block(lines, i, ind)?);
                } else {
                    seq.push(Y::Null);
                }
            } else {
                if split_key(item).is_some() {
                    return None; // `- key: value` (a mapping in a sequence): not in pnpm's layout
                }
                seq.push(inline_value(item)?);
            }
        }
        return Some(Y::Seq(seq));
    }
    let mut map = Vec::new();
    while *i < lines.len() {
        let l = &lines[*i];
        if l.indent < indent {
            break;
        }
        if l.indent > indent || l.text.starts_with('-') {
            return None;
        }
        let (key, rest) = split_key(l.text)?;
        let (line, col) = (l.no, l.indent as u32 + 1);
        *i += 1;
        let value = if rest.is_empty() {
            match lines.get(*i) {
                Some(n) if n.indent > indent => {
                    let ind = n.indent;
                    block(lines, i, ind)?
                }
                Some(n) if n.indent == indent && (n.text.starts_with("- ") || n.text == "-") => {
                    block(lines, i, indent)?
                }
                _ => Y::Null,
            }
        } else {
            inline_value(rest)?
        };
        map.push(YEntry {
            key,
            line,
            col,
            value,
        });
    }
    Some(Y::Map(map))
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

fn plain(s: &str) -> Y {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => Y::Null,
        _ => Y::Scalar(s.to_string()),
    }
}

fn inline_value(rest: &str) -> Option<Y> {
    let r = rest.trim();
    if r.starts_with(['|', '>', '&', '*', '!', '%', '@', '`']) {
        return None;
    }
    if r.starts_with('{') || r.starts_with('[') {
        let (y, used) = flow(r, 0)?;
        let tail = r[used..].trim();
        return (tail.is_empty() || tail.starts_with('#')).then_some(y);
    }
    if r.starts_with('\'') || r.starts_with('"') {
        let (s, used) = quoted(r)?;
        let tail = r[used..].trim();
        return (tail.is_empty() || tail.starts_with('#')).then_some(Y::Scalar(s));
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
fn flow(s: &str, depth: usize) -> Option<(Y, usize)> {
    if depth > 32 {
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
        let (item, used) = flow_item(&s[i..], depth)?;
        i += used;
        skip_ws(&mut i);
        if close == b'}' {
            let key = match item {
                Y::Scalar(k) => k,
                _ => return None,
            };
            if *b.get(i)? != b':' {
                return None;
            }
            i += 1;
            skip_ws(&mut i);
            let (value, used) = if matches!(b.get(i), Some(b',') | Some(b'}')) {
                (Y::Null, 0)
            } else {
                flow_item(&s[i..], depth)?
            };
            i += used;
            map.push(YEntry {
                key,
                line: 0,
                col: 0,
                value,
            });
        } else {
            seq.push(item);
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
            Y::Map(map)
        } else {
            Y::Seq(seq)
        },
        i,
    ))
}

fn flow_item(s: &str, depth: usize) -> Option<(Y, usize)> {
    match s.as_bytes().first()? {
        b'{' | b'[' => flow(s, depth + 1),
        b'\'' | b'"' => quoted(s).map(|(v, n)| (Y::Scalar(v), n)),
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
    use super::*;

    fn strip_pos(y: &Y) -> Y {
        match y {
            Y::Map(m) => Y::Map(
                m.iter()
                    .map(|e| YEntry {
                        key: e.key.clone(),
                        line: 0,
                        col: 0,
                        value: strip_pos(&e.value),
                    })
                    .collect(),
            ),
            Y::Seq(s) => Y::Seq(s.iter().map(strip_pos).collect()),
            o => o.clone(),
        }
    }

    /// Every block-mapping key of the fast tree has saphyr's position (flow-map keys have none).
    fn same_positions(fast: &Y, slow: &Y) -> usize {
        match (fast, slow) {
            (Y::Map(a), Y::Map(b)) => a
                .iter()
                .zip(b)
                .map(|(x, y)| {
                    if x.line != 0 {
                        assert_eq!((x.line, x.col), (y.line, y.col), "{}", x.key);
                    }
                    usize::from(x.line != 0) + same_positions(&x.value, &y.value)
                })
                .sum(),
            (Y::Seq(a), Y::Seq(b)) => a.iter().zip(b).map(|(x, y)| same_positions(x, y)).sum(),
            _ => 0,
        }
    }

    #[test]
    fn fast_reader_agrees_with_saphyr() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sca/manifests");
        for sub in ["pnpm-v5", "pnpm-v6", "pnpm-v9"] {
            let text = std::fs::read_to_string(dir.join(sub).join("pnpm-lock.yaml")).unwrap();
            let fast = parse_fast(&text).expect("fast reader handles pnpm's layout");
            let slow = parse_saphyr(&text).unwrap();
            assert_eq!(strip_pos(&fast), strip_pos(&slow), "{sub}");
            assert!(same_positions(&fast, &slow) > 20, "{sub}");
        }
    }

    #[test]
    fn flow_and_quotes() {
        let t = "a: {integrity: sha512-x==, tarball: 'https://x/y.tgz'}\n'@s/b@1.0.0':\n  engines: {node: '>=8, <9'}\n  cpu: [x64, arm64]\n  dev: true\nc: \"q\\\"x\"\nd:\n- 1\n- two\n";
        let fast = parse_fast(t).unwrap();
        assert_eq!(strip_pos(&fast), strip_pos(&parse_saphyr(t).unwrap()));
        assert_eq!(
            fast.get("@s/b@1.0.0")
                .and_then(|v| v.get("engines"))
                .and_then(|e| e.str_of("node")),
            Some(">=8, <9")
        );
        assert_eq!(fast.entries()[1].line, 2);
    }

    #[test]
    fn unsupported_constructs_fall_back() {
        for t in [
            "a: &x 1\nb: *x\n",
            "a: |\n  text\n",
            "a: {b: 1,\n  c: 2}\n",
            "a:\n\tb: 1\n",
            "--- !tag\na: 1\n",
            "a: 1\n...\n",
            "a: !!str 1\n",
            "? a\n: b\n",
        ] {
            assert!(parse_fast(t).is_none(), "{t:?}");
        }
        assert!(parse("a: &x [1]\nb: *x\n").is_ok());
        // documents: same result both ways, lines counted from the top of the file
        let t = "---\na: 1\n---\nb:\n  c: 2\n";
        let fast = parse_fast_docs(t).unwrap();
        assert_eq!(fast.len(), 2);
        let slow = parse_saphyr_docs(t).unwrap();
        assert_eq!(
            fast.iter().map(strip_pos).collect::<Vec<_>>(),
            slow.iter().map(strip_pos).collect::<Vec<_>>()
        );
        assert_eq!(
            (fast[1].entries()[0].line, slow[1].entries()[0].line),
            (4, 4)
        );
    }
}
