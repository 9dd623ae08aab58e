//! TOML (configuration, pyproject.toml, Cargo.lock, uv.lock, poetry.lock): the `toml` crate, after one
//! pass over the text that checks its size and how deep it nests (table headers, dotted keys, inline
//! arrays and tables), so that no document makes the parser or a deserializer recurse without bound.

use super::{check_size, Error, Limit, Limits};
use crate::text::LineIndex;

/// Check a TOML document against the limits without parsing it.
pub fn check(text: &str, limits: &Limits) -> Result<(), Error> {
    check_size(text, limits)?;
    let b = text.as_bytes();
    let max = limits.max_depth;
    // open `[` / `{` (value context), with the dotted-key depth they started at
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut header = 0usize; // segments of the current `[table]` header
    let mut dots = 0usize; // dots of the key being read
    let mut key_ctx = true; // reading a key (line start, or after `{` / `,` in an inline table)
    let mut line_start = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let depth = header + dots + stack.len() + stack.last().map_or(0, |s| s.1);
        if depth > max {
            let (line, col) = LineIndex::new(text).position(i);
            return Err(Error::limit(
                line,
                col,
                Limit::Depth(max),
                "TOML nested too deeply",
            ));
        }
        match c {
            b'\n' => {
                if stack.is_empty() {
                    key_ctx = true;
                    dots = 0;
                }
                line_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                i = skip_string(b, i);
                line_start = false;
                continue;
            }
            b'[' if stack.is_empty() && line_start && key_ctx => {
                // a table header: count its segments
                let mut segs = 1;
                i += 1;
                while i < b.len() && b[i] != b'\n' && b[i] != b']' {
                    match b[i] {
                        b'.' => segs += 1,
                        b'"' | b'\'' => {
                            i = skip_string(b, i);
                            continue;
                        }
                        _ => {}
                    }
                    i += 1;
                }
                header = segs;
                dots = 0;
                while i < b.len() && b[i] == b']' {
                    i += 1;
                }
                line_start = false;
                continue;
            }
            b'[' | b'{' => {
                let inherited = dots + stack.last().map_or(0, |s| s.1);
                stack.push((c, inherited));
                dots = 0;
                key_ctx = c == b'{';
            }
            b']' | b'}' => {
                stack.pop();
                dots = 0;
                key_ctx = false;
            }
            b',' if stack.last().is_some_and(|s| s.0 == b'{') => {
                key_ctx = true;
                dots = 0;
            }
            b'=' => key_ctx = false,
            b'.' if key_ctx => dots += 1,
            _ => {}
        }
        line_start = false;
        i += 1;
    }
    Ok(())
}

/// The index just past the string starting at `b[i]` (basic, literal, or multi-line of either).
fn skip_string(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let multi = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    let mut j = if multi { i + 3 } else { i + 1 };
    while j < b.len() {
        let c = b[j];
        if c == b'\\' && q == b'"' {
            j += 2;
            continue;
        }
        if c == q {
            if !multi {
                return j + 1;
            }
            if b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                // up to two more quotes may belong to the content
                let mut k = j + 3;
                while k < b.len() && b[k] == q && k < j + 5 {
                    k += 1;
                }
                return k;
            }
        }
        if c == b'\n' && !multi {
            return j;
        }
        j += 1;
    }
    j
}

/// A typed read: the limits, then `toml::from_str`; errors keep their line and column.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str, limits: &Limits) -> Result<T, Error> {
    check(text, limits)?;
    toml::from_str(text).map_err(|e| toml_error(text, &e))
}

/// The document as a table keeping spans (pyproject.toml): the limits, then `DeTable::parse`.
pub fn parse_table<'i>(
    text: &'i str,
    limits: &Limits,
) -> Result<toml::Spanned<toml::de::DeTable<'i>>, Error> {
    check(text, limits)?;
    toml::de::DeTable::parse(text).map_err(|e| toml_error(text, &e))
}

fn toml_error(text: &str, e: &toml::de::Error) -> Error {
    let (line, col) = match e.span() {
        Some(span) => LineIndex::new(text).position(span.start),
        None => (1, 1),
    };
    Error::syntax(line, col, e.message().trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_documents_pass() {
        let t = "x.y.z = [1, [2, {a.b = 3}]]\n[package]\nname = \"a.b\" # x.y.z\nversion = '1.0'\n[tool.poetry.dependencies]\npython = {version = \">=3.8\", markers = \"a.b\"}\ns = \"\"\"\n[[[[\"\"\"\n";
        check(t, &Limits::DEFAULT).unwrap();
        let v: toml::Value = from_str(t, &Limits::DEFAULT).unwrap();
        assert_eq!(v["x"]["y"]["z"][1][1]["a"]["b"].as_integer(), Some(3));
    }

    #[test]
    fn deep_documents_stop_at_the_limit() {
        let arrays = format!("a = {}\n", "[".repeat(50_000));
        let tables = format!("a = {}\n", "{b = ".repeat(50_000));
        let dotted = format!("{} = 1\n", vec!["a"; 50_000].join("."));
        let header = format!("[{}]\n", vec!["a"; 50_000].join("."));
        for t in [arrays, tables, dotted, header] {
            let e = check(&t, &Limits::DEFAULT).unwrap_err();
            assert_eq!(e.limit, Some(Limit::Depth(256)));
            assert!(from_str::<toml::Value>(&t, &Limits::DEFAULT).is_err());
        }
    }

    #[test]
    fn syntax_errors_keep_their_line() {
        let e = from_str::<toml::Value>("a = 1\nb = \n", &Limits::DEFAULT).unwrap_err();
        assert_eq!((e.line, e.limit), (2, None));
    }
}
