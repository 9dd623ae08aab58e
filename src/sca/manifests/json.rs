//! A small JSON reader that keeps the byte offset of every key and value, so dependencies can be reported
//! at the line that declares them. Strict JSON (RFC 8259) plus a leading BOM; nesting is capped so hostile
//! input cannot overflow the stack.

use std::fmt;

const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub enum JValue {
    Null,
    Bool(bool),
    /// The number as written.
    Num(String),
    Str(String),
    Arr(Vec<JNode>),
    Obj(Vec<(JKey, JNode)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JNode {
    /// Byte offset of the value's first character.
    pub off: usize,
    pub v: JValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JKey {
    /// Byte offset of the key's opening quote.
    pub off: usize,
    pub s: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    pub off: usize,
    pub msg: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl JNode {
    /// The value of `key` in an object (the last one when a key repeats, as JSON.parse does).
    pub fn get(&self, key: &str) -> Option<&JNode> {
        match &self.v {
            JValue::Obj(m) => m.iter().rev().find(|(k, _)| k.s == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn entry(&self, key: &str) -> Option<(&JKey, &JNode)> {
        match &self.v {
            JValue::Obj(m) => m
                .iter()
                .rev()
                .find(|(k, _)| k.s == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            JValue::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match &self.v {
            JValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_obj(&self) -> Option<&[(JKey, JNode)]> {
        match &self.v {
            JValue::Obj(m) => Some(m),
            _ => None,
        }
    }
    pub fn is_true(&self, key: &str) -> bool {
        self.get(key).and_then(JNode::as_bool).unwrap_or(false)
    }
    pub fn str_of(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(JNode::as_str)
    }
    pub fn type_name(&self) -> &'static str {
        match self.v {
            JValue::Null => "null",
            JValue::Bool(_) => "a boolean",
            JValue::Num(_) => "a number",
            JValue::Str(_) => "a string",
            JValue::Arr(_) => "an array",
            JValue::Obj(_) => "an object",
        }
    }
}

/// Parse a whole JSON document.
pub fn parse(text: &str) -> Result<JNode, JsonError> {
    let mut p = Parser {
        b: text.as_bytes(),
        s: text,
        i: 0,
    };
    if text.starts_with('\u{feff}') {
        p.i = 3;
    }
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("unexpected data after the JSON document"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err(&self, msg: impl Into<String>) -> JsonError {
        JsonError {
            off: self.i.min(self.b.len()),
            msg: msg.into(),
        }
    }

    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JNode, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        let off = self.i;
        let Some(&c) = self.b.get(self.i) else {
            return Err(self.err("unexpected end of file, expected a value"));
        };
        let v = match c {
            b'{' => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.b.get(self.i) != Some(&b'"') {
                            return Err(self.err(if self.i >= self.b.len() {
                                "unexpected end of file inside an object"
                            } else {
                                "expected a string key"
                            }));
                        }
                        let koff = self.i;
                        let k = self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return Err(self.err("expected `:` after an object key"));
                        }
                        self.i += 1;
                        self.ws();
                        let v = self.value(depth + 1)?;
                        m.push((JKey { off: koff, s: k }, v));
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            None => return Err(self.err("unexpected end of file inside an object")),
                            _ => return Err(self.err("expected `,` or `}` in an object")),
                        }
                    }
                }
                JValue::Obj(m)
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        a.push(self.value(depth + 1)?);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            None => return Err(self.err("unexpected end of file inside an array")),
                            _ => return Err(self.err("expected `,` or `]` in an array")),
                        }
                    }
                }
                JValue::Arr(a)
            }
            b'"' => JValue::Str(self.string()?),
            b't' => self.word("true", JValue::Bool(true))?,
            b'f' => self.word("false", JValue::Bool(false))?,
            b'n' => self.word("null", JValue::Null)?,
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.i += 1;
                while let Some(&c) = self.b.get(self.i) {
                    if c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-') {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                let t = &self.s[start..self.i];
                if t.parse::<f64>().is_err() {
                    self.i = start;
                    return Err(self.err(format!("invalid number `{t}`")));
                }
                JValue::Num(t.to_string())
            }
            _ => return Err(self.err("expected a JSON value")),
        };
        Ok(JNode { off, v })
    }

    fn word(&mut self, w: &str, v: JValue) -> Result<JValue, JsonError> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("unexpected end of file in a \\u escape"))?;
        let mut n = 0u32;
        for &c in h {
            let d = (c as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid \\u escape"))?;
            n = n * 16 + d;
        }
        self.i += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        // at the opening quote
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.b.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // `start..i` lies between ASCII bytes, so it is on char boundaries
            out.push_str(&self.s[start..self.i]);
            match self.b.get(self.i) {
                None => return Err(self.err("unexpected end of file inside a string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.err("unexpected end of file inside a string"));
                    };
                    self.i += 1;
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
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp)
                                && self.b[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    out.push('\u{fffd}');
                                    cp = lo;
                                }
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err("invalid escape in a string"));
                        }
                    }
                }
                Some(_) => return Err(self.err("control character inside a string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_offsets_and_values() {
        let t = "{\n  \"a\": [1, -2.5e3, true, null],\n  \"b\\u00e9\": {\"c\": \"x\\ny\"}\n}";
        let v = parse(t).unwrap();
        let (k, a) = v.entry("a").unwrap();
        assert_eq!(&t[k.off..k.off + 3], "\"a\"");
        assert!(matches!(&a.v, JValue::Arr(x) if x.len() == 4));
        let (k, b) = v.entry("bé").unwrap();
        assert_eq!(t[..k.off].matches('\n').count(), 2);
        assert_eq!(b.str_of("c"), Some("x\ny"));
    }

    #[test]
    fn errors_carry_offsets() {
        for (t, at) in [
            ("{\"a\": }", 6),
            ("{\"a\": 1", 7),
            ("[1,]", 3),
            ("{\"a\" 1}", 5),
            ("\"\\q\"", 2),
        ] {
            let e = parse(t).unwrap_err();
            assert_eq!(e.off, at, "{t}: {}", e.msg);
        }
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
        assert_eq!(parse("\u{feff}{}").unwrap().v, JValue::Obj(vec![]));
        assert_eq!(
            parse("\"\\ud83d\\ude00\"").unwrap().v,
            JValue::Str("😀".into())
        );
    }
}
