//! The contract job's view of [`crate::doc`]: the position-keeping document tree and its readers, with
//! the default limits (nesting depth, alias expansion, size). Kept so the contract code reads as before.

use crate::doc::Limits;
pub use crate::doc::{escape_pointer, fmt_num, unescape_pointer, Node, V};

/// A parse error or exceeded limit, with its 1-based position (`line`, `col`, `message`; `limit` says
/// which limit, if any).
pub type ParseError = crate::doc::Error;

/// Parse a document: JSON when it starts with `{` or `[`, YAML otherwise.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    crate::doc::parse(text, &Limits::DEFAULT)
}

pub fn parse_json(text: &str) -> Result<Node, ParseError> {
    crate::doc::json::parse(text, &Limits::DEFAULT)
}

pub fn parse_yaml(text: &str) -> Result<Node, ParseError> {
    crate::doc::yaml::parse(text, &Limits::DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_ignores_key_order() {
        let a = parse("{\"x\": 1, \"y\": [1, {\"p\": 2, \"q\": 3}]}").unwrap();
        let b = parse("y:\n  - 1\n  - q: 3\n    p: 2\nx: 1\n").unwrap();
        assert!(a.same(&b));
        assert!(parse_json("{\"a\": [1]}").unwrap().is_map());
        assert!(parse_yaml("a: [1]").unwrap().is_map());
    }

    #[test]
    fn hostile_documents_are_errors_naming_the_limit() {
        let deep = format!("{}x\n", "- ".repeat(20_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nesting depth limit"), "{}", e.message);
        let mut laughs = String::from("a0: &a0 [lol]\n");
        for i in 1..=30 {
            let items = vec![format!("*a{}", i - 1); 9].join(", ");
            laughs.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let e = parse(&laughs).unwrap_err();
        assert!(e.message.contains("YAML aliases"), "{}", e.message);
    }
}
