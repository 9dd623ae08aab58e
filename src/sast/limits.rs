//! Limits that keep hostile Python from taking the scan down: the largest file handed to tree-sitter and
//! the deepest syntax tree the (partly recursive) rule and taint walks are run on, both checked without
//! recursion.

use tree_sitter::Tree;

/// Files larger than this are not parsed, whatever `--max-file-size` says (a tree takes ~10-20x the
/// source's size in memory).
pub const MAX_PARSE_BYTES: usize = 16 * 1024 * 1024;

/// Syntax trees nested deeper than this are not analysed. Hand-written code stays far below (the deepest
/// file of django, flask, requests, fastapi and five applications — 5,000 files — is 36 levels); only
/// generated or hostile code goes beyond, and the recursive parts of the walks must stay bounded.
pub const MAX_TREE_DEPTH: usize = 400;

/// The start byte of the first node deeper than `limit`, found with a cursor (no recursion).
pub fn too_deep(tree: &Tree, limit: usize) -> Option<usize> {
    let mut c = tree.walk();
    let mut depth = 0usize;
    'walk: loop {
        if c.goto_first_child() {
            depth += 1;
            if depth > limit {
                return Some(c.node().start_byte());
            }
            continue;
        }
        loop {
            if c.goto_next_sibling() {
                continue 'walk;
            }
            if !c.goto_parent() {
                return None;
            }
            depth -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_measured_without_recursion() {
        let mut p = crate::sast::new_parser();
        let shallow = p.parse("x = (1 + 2)\n", None).unwrap();
        assert_eq!(too_deep(&shallow, 50), None);
        let n = 100_000;
        let src = format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n));
        let deep = p.parse(&src, None).unwrap();
        assert!(too_deep(&deep, MAX_TREE_DEPTH).is_some());
    }
}
