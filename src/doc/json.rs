//! JSON with positions: a depth-checked tokenizer building [`Node`]s (line and UTF-16 column of every
//! value, members located at their key), and typed reads through serde_json after the size check.

use super::{check_size, Error, Limit, Limits, Node, V};

struct JsonParser<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    line: u32,
    line_start: usize,
    depth: usize,
    limits: &'a Limits,
}

/// Parse one JSON document (RFC 8259, plus a leading BOM) into a [`Node`] tree.
pub fn parse(text: &str, limits: &Limits) -> Result<Node, Error> {
    check_size(text, limits)?;
    let mut p = JsonParser {
        b: text.as_bytes(),
        s: text,
        i: if text.starts_with('\u{feff}') { 3 } else { 0 },
        line: 1,
        line_start: 0,
        depth: 0,
        limits,
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
    fn err(&self, msg: &str) -> Error {
        Error::syntax(self.line, self.col(), msg)
    }
    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(Error::limit(
                self.line,
                self.col(),
                Limit::Depth(self.limits.max_depth),
                "JSON nested too deeply",
            ));
        }
        Ok(())
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
    fn value(&mut self) -> Result<Node, Error> {
        let (line, col) = (self.line, self.col());
        let mk = |v| Node { line, col, v };
        match self.b.get(self.i) {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => {
                self.enter()?;
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
                    if m.len() >= self.limits.max_keys {
                        return Err(Error::limit(
                            kl,
                            kc,
                            Limit::Keys(self.limits.max_keys),
                            "JSON object with too many keys",
                        ));
                    }
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
                self.enter()?;
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
    fn string(&mut self) -> Result<Box<str>, Error> {
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

/// A typed read (baselines, SARIF read back, caches): serde_json (recursion limit 128, no aliases)
/// after the size check; errors keep their line and column.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str, limits: &Limits) -> Result<T, Error> {
    check_size(text, limits)?;
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(t).map_err(|e| {
        let msg = e.to_string();
        let msg = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        Error::syntax(e.line().max(1) as u32, e.column().max(1) as u32, msg)
    })
}

/// [`from_str`] on bytes (request bodies, cached files); invalid UTF-8 is an error at its position.
pub fn from_slice<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    limits: &Limits,
) -> Result<T, Error> {
    match std::str::from_utf8(bytes) {
        Ok(t) => from_str(t, limits),
        Err(e) => {
            let (line, col) = crate::text::LineIndex::new(
                std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
            )
            .position(e.valid_up_to());
            Err(Error::syntax(line, col, "invalid UTF-8"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_escapes() {
        let t = "{\n  \"a\": [1, 2.5, true, null],\n  \"b\": \"x\\u00e9\\n\"\n}";
        let n = parse(t, &Limits::DEFAULT).unwrap();
        let a = n.get("a").unwrap();
        assert_eq!((a.line, a.col), (2, 3));
        assert_eq!((a.seq()[1].line, a.seq()[1].col), (2, 12));
        assert_eq!(a.seq()[1].num(), Some(2.5));
        assert_eq!(n.get_str("b"), Some("xé\n"));
        let e = parse("{\n \"a\": }", &Limits::DEFAULT).unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.limit, None);
        assert!(parse("\u{feff}{}", &Limits::DEFAULT).unwrap().is_map());
    }

    #[test]
    fn depth_and_key_limits() {
        for deep in ["[".repeat(100_000), "{\"a\":".repeat(100_000)] {
            let e = parse(&deep, &Limits::DEFAULT).unwrap_err();
            assert_eq!(e.limit, Some(Limit::Depth(256)), "{}", e.message);
        }
        let ok = format!("{}{}", "[".repeat(256), "]".repeat(256));
        assert!(parse(&ok, &Limits::DEFAULT).is_ok());
        let few = Limits {
            max_keys: 2,
            ..Limits::DEFAULT
        };
        let e = parse("{\"a\": 1, \"b\": 2,\n \"c\": 3}", &few).unwrap_err();
        assert_eq!((e.line, e.limit), (2, Some(Limit::Keys(2))));
    }

    #[test]
    fn typed_reads_keep_the_line() {
        let v: serde_json::Value = from_str("{\"a\": [1]}", &Limits::DEFAULT).unwrap();
        assert_eq!(v["a"][0], 1);
        let e = from_str::<serde_json::Value>("{\n\"a\": ]", &Limits::DEFAULT).unwrap_err();
        assert_eq!(e.line, 2);
        let deep = "[".repeat(10_000);
        assert!(from_str::<serde_json::Value>(&deep, &Limits::DEFAULT).is_err());
        let e =
            from_slice::<serde_json::Value>(b"{\n\"a\": \"\xff\"}", &Limits::DEFAULT).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (2, "invalid UTF-8"));
    }
}
