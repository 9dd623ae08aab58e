//! The one reader per data format that every job uses: JSON, YAML and TOML written by strangers
//! (API descriptions, lockfiles, manifests, rule files, config, baselines), with positions and limits.
//!
//! - [`json`]: a hand-written, depth-checked JSON tokenizer giving a [`Node`] tree with the line and
//!   UTF-16 column of every value. serde_json has no positions below the error, and the `Spanned`
//!   crates built on it (json-spanned-value) are unmaintained; the tokenizer is ~250 lines, twice as fast
//!   as a general YAML parser on 60 MB descriptions, and the typed reads ([`json::from_str`]) use
//!   serde_json itself (recursion limit 128, no aliases) after the size check.
//! - [`yaml`]: `saphyr-parser` (the maintained successor of yaml-rust; event based, with spans, and
//!   its state machine is a heap stack, not recursion) pulled event by event, so a limit stops the read at
//!   once. Aliases are expanded under a budget (count and total size), merge keys (`<<`) are resolved.
//!   pnpm lockfiles take a line-oriented fast path ([`yaml::parse_docs_text`]) with the same limits.
//!   Typed reads ([`yaml::from_str`], rule files) check the document with the limits first and then hand
//!   the text to `serde_norway`, whose errors keep their line.
//! - [`toml`]: the `toml` crate, after a scan of the text that checks its size and nesting (tables,
//!   dotted keys, inline arrays and tables) so that no document can make it recurse without bound.
//!
//! All limits live in [`Limits`]; a limit hit is an [`Error`] naming the line and the limit, which the
//! caller reports as a notification for that file (the rest of the scan goes on).

pub mod json;
mod node;
pub mod toml;
pub mod yaml;
mod yaml_fast;

pub use node::{escape_pointer, fmt_num, unescape_pointer, Node, V};

use std::fmt;

/// The limits every reader enforces. The defaults fit every real document we know of (60 MB OpenAPI
/// descriptions, 100k-package lockfiles, Kubernetes manifests with anchors) by a wide margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of sequences and mappings (and, in TOML, tables and dotted keys).
    pub max_depth: usize,
    /// Most YAML alias uses (`*name`) in one file.
    pub max_aliases: usize,
    /// Most bytes (roughly: 48 a node plus its text) YAML anchors and aliases may copy in one file, in
    /// total (a "billion laughs" stops here).
    pub max_alias_bytes: usize,
    /// Most keys in one mapping.
    pub max_keys: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_bytes: 128 * 1024 * 1024,
        max_depth: 256,
        max_aliases: 10_000,
        max_alias_bytes: 64 * 1024 * 1024,
        max_keys: 1_000_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Which limit a document exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Bytes(usize),
    Depth(usize),
    Aliases(usize),
    AliasBytes(usize),
    Keys(usize),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Bytes(n) => write!(f, "document size limit of {n} bytes"),
            Limit::Depth(n) => write!(f, "nesting depth limit of {n}"),
            Limit::Aliases(n) => write!(f, "limit of {n} YAML alias uses"),
            Limit::AliasBytes(n) => write!(f, "limit of {n} bytes copied by YAML aliases"),
            Limit::Keys(n) => write!(f, "limit of {n} keys in one mapping"),
        }
    }
}

/// A document that could not be read: a syntax error or a limit, with its 1-based position.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub line: u32,
    pub col: u32,
    pub message: String,
    /// Set when the document exceeded a limit (the message names it too).
    pub limit: Option<Limit>,
    /// The file, when the caller attached it with [`Error::in_file`].
    pub file: Option<String>,
}

impl Error {
    pub(crate) fn syntax(line: u32, col: u32, message: impl Into<String>) -> Error {
        Error {
            line,
            col,
            message: message.into(),
            limit: None,
            file: None,
        }
    }

    pub(crate) fn limit(line: u32, col: u32, limit: Limit, what: &str) -> Error {
        Error {
            line,
            col,
            message: format!("{what}: exceeds the {limit}"),
            limit: Some(limit),
            file: None,
        }
    }

    /// The same error, naming its file.
    pub fn in_file(mut self, file: impl Into<String>) -> Error {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{file}:{}:{}: {}", self.line, self.col, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Refuse a document over the size limit before any parsing.
pub(crate) fn check_size(text: &str, limits: &Limits) -> Result<(), Error> {
    if text.len() > limits.max_bytes {
        return Err(Error::limit(
            1,
            1,
            Limit::Bytes(limits.max_bytes),
            &format!("the document has {} bytes", text.len()),
        ));
    }
    Ok(())
}

/// Parse a document: JSON when it starts with `{` or `[`, YAML otherwise (YAML is a superset, but the
/// JSON tokenizer is much faster and lighter). JSON-looking YAML (flow style with comments, trailing
/// commas...) still loads through the YAML reader; a limit hit by the JSON reader is final.
pub fn parse(text: &str, limits: &Limits) -> Result<Node, Error> {
    let t = text.trim_start_matches('\u{feff}');
    let first = t.bytes().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        match json::parse(t, limits) {
            Ok(n) => return Ok(n),
            Err(e) if e.limit.is_some() => return Err(e),
            Err(e) => {
                return match yaml::parse(t, limits) {
                    Ok(n) => Ok(n),
                    Err(y) if y.limit.is_some() => Err(y),
                    Err(_) => Err(e),
                }
            }
        }
    }
    yaml::parse(t, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_or_yaml_by_first_character() {
        let a = parse(
            "{\"x\": 1, \"y\": [1, {\"p\": 2, \"q\": 3}]}",
            &Limits::DEFAULT,
        )
        .unwrap();
        let b = parse("y:\n  - 1\n  - q: 3\n    p: 2\nx: 1\n", &Limits::DEFAULT).unwrap();
        assert!(a.same(&b));
        // flow YAML with a comment is not JSON but still loads
        let c = parse(
            "{\"x\": 1, # note\n \"y\": [1, {p: 2, q: 3}]}",
            &Limits::DEFAULT,
        )
        .unwrap();
        assert!(a.same(&c));
    }

    #[test]
    fn size_limit_names_the_limit() {
        let small = Limits {
            max_bytes: 10,
            ..Limits::DEFAULT
        };
        let e = parse("{\"a\": \"0123456789\"}", &small).unwrap_err();
        assert_eq!(e.limit, Some(Limit::Bytes(10)));
        let shown = e.in_file("x.json").to_string();
        assert!(shown.starts_with("x.json:1:1: "), "{shown}");
        assert!(shown.contains("size limit of 10 bytes"), "{shown}");
    }
}
