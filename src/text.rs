//! Byte offsets to SARIF positions, and the redaction every output uses for secrets.

/// Maps byte offsets of a text to 1-based lines and 1-based UTF-16 columns (SARIF's default `columnKind`).
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineIndex { text, starts }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    /// 1-based (line, UTF-16 column) of a byte offset. Offsets inside a UTF-8 sequence round down.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.starts[line as usize - 1];
        let mut end = offset;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col: usize = self.text[start..end].chars().map(char::len_utf16).sum();
        (line, col as u32 + 1)
    }

    /// Convert a (0-based row, byte column) pair as tree-sitter reports it to (line, UTF-16 column).
    pub fn point(&self, row: usize, byte_col: usize) -> (u32, u32) {
        let start = self.starts.get(row).copied().unwrap_or(self.text.len());
        self.position(start + byte_col)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: u32) -> &'a str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self
            .starts
            .get(i + 1)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        self.text[start..end.max(start)].trim_end_matches('\r')
    }

    pub fn line_count(&self) -> u32 {
        self.starts.len() as u32
    }

    pub fn text(&self) -> &'a str {
        self.text
    }
}

/// The redacted form of a secret: at most its first 4 characters (fewer for short values), then `****`.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}****")
}

/// Replace every occurrence of `secret` in `line` with its redacted form.
pub fn redact_in(line: &str, secret: &str) -> String {
    if secret.is_empty() {
        return line.to_string();
    }
    line.replace(secret, &redact(secret))
}

/// Shorten a snippet line to at most `max` characters around its middle part, for display.
pub fn clip(line: &str, max: usize) -> String {
    let t = line.trim();
    if t.chars().count() <= max {
        return t.to_string();
    }
    let mut s: String = t.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// A byte that can be part of a Python (or most languages') identifier: ASCII letters, digits, `_`, and
/// every byte of a non-ASCII character.
pub fn is_ident_byte(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric() || b >= 0x80
}

/// Whether `word` occurs in `text` as a whole identifier (not inside a longer one: `exec` is not in
/// `execute` nor in `os_exec`).
pub fn contains_word(text: &str, word: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices(word).any(|(i, _)| {
        let end = i + word.len();
        (i == 0 || !is_ident_byte(b[i - 1])) && b.get(end).is_none_or(|&c| !is_ident_byte(c))
    })
}

/// Decode `%XX` escapes (URIs, JSON pointers in `$ref`s, URL user info); anything else is kept, and bytes
/// that do not form UTF-8 are replaced. Works on bytes: a `%` before a multi-byte character must not
/// slice inside it (found by cargo-fuzz).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words() {
        assert!(contains_word("import os\nos.getenv(x)", "getenv"));
        assert!(contains_word("getenv", "getenv"));
        assert!(!contains_word("my_getenv(x)", "getenv"));
        assert!(!contains_word("getenvs", "getenv"));
        assert!(!contains_word("xé_getenv", "getenv"));
        assert!(contains_word("a getenv b getenvx", "getenv"));
        assert!(!contains_word("", "getenv"));
    }

    #[test]
    fn positions_count_utf16_units() {
        let t = "ab\nxé😀z\n";
        let idx = LineIndex::new(t);
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(3), (2, 1));
        // 'z' follows x (1) + é (1) + 😀 (2 UTF-16 units)
        let z = t.find('z').unwrap();
        assert_eq!(idx.position(z), (2, 5));
        assert_eq!(idx.line_text(2), "xé😀z");
        assert_eq!(idx.line_text(9), "");
    }

    #[test]
    fn redaction_keeps_at_most_four_chars() {
        assert_eq!(redact("AKIAIOSFODNN7EXAMPLE"), "AKIA****");
        assert_eq!(redact("hunter22"), "hu****");
        assert_eq!(redact("abc"), "****");
        assert_eq!(
            redact_in("key = 'AKIAIOSFODNN7EXAMPLE'", "AKIAIOSFODNN7EXAMPLE"),
            "key = 'AKIA****'"
        );
    }
}
