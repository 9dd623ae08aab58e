//! JSON manifests and lockfiles as the SCA parsers read them: the [`crate::doc::json`] tree (strict JSON,
//! a leading BOM, the shared limits) with the byte offset of every key and value, so dependencies can be
//! reported at the line that declares them.

use std::fmt;

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

/// Parse a whole JSON document through [`crate::doc::json`] (with its limits), keeping byte offsets.
pub fn parse(text: &str) -> Result<JNode, JsonError> {
    let offsets = Offsets::new(text);
    let root =
        crate::doc::json::parse(text, &crate::doc::Limits::DEFAULT).map_err(|e| JsonError {
            off: offsets.of(e.line, e.col),
            msg: e.message,
        })?;
    Ok(convert(root, &offsets))
}

/// (line, UTF-16 column) back to byte offsets.
struct Offsets<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_lines(text));
        Offsets { text, starts }
    }
    fn of(&self, line: u32, col: u32) -> usize {
        let Some(&start) = self.starts.get((line as usize).saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let want = col.saturating_sub(1) as usize;
        if rest.as_bytes().iter().take(want).all(u8::is_ascii) {
            return (start + want).min(self.text.len());
        }
        let mut units = 0;
        for (i, c) in rest.char_indices() {
            if units >= want {
                return start + i;
            }
            units += c.len_utf16();
        }
        self.text.len()
    }
}

fn memchr_lines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i + 1)
}

/// The tree with byte offsets (recursive: [`crate::doc::json`] caps the depth).
fn convert(n: crate::doc::Node, o: &Offsets) -> JNode {
    use crate::doc::V;
    let off = o.of(n.line, n.col);
    let v = match n.v {
        V::Null => JValue::Null,
        V::Bool(b) => JValue::Bool(b),
        V::Num(x) => JValue::Num(crate::doc::fmt_num(x)),
        V::Str(s) => JValue::Str(s.into_string()),
        V::Seq(items) => JValue::Arr(items.into_iter().map(|c| convert(c, o)).collect()),
        V::Map(m) => JValue::Obj(
            m.into_iter()
                .map(|(k, c)| {
                    // a member is located at its key (the opening quote)
                    let key = JKey {
                        off: o.of(c.line, c.col),
                        s: k.into_string(),
                    };
                    (key, convert(c, o))
                })
                .collect(),
        ),
    };
    JNode { off, v }
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
            ("\"\\q\"", 3),
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
