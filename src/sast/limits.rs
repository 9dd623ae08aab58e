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

/// The start byte of the first node deeper than `limit`, found with a cursor (no recursion). A subtree
/// with fewer descendants than the depth left cannot reach the limit (each level takes a node), and its
/// descendant count is known without walking it, so only the few large subtrees are entered: this check
/// was ~7% of the SAST job's cpu when it walked every node.
pub fn too_deep(tree: &Tree, limit: usize) -> Option<usize> {
    let mut c = tree.walk();
    let mut depth = 0usize;
    // whether the cursor's node can hold a node deeper than `limit`
    let can_reach = |c: &tree_sitter::TreeCursor, depth: usize| {
        depth + c.node().descendant_count().saturating_sub(1) > limit
    };
    if !can_reach(&c, depth) {
        return None;
    }
    'walk: loop {
        if c.goto_first_child() {
            depth += 1;
            if depth > limit {
                return Some(c.node().start_byte());
            }
            loop {
                if can_reach(&c, depth) {
                    continue 'walk;
                }
                if !c.goto_next_sibling() {
                    break;
                }
            }
            // no child can reach the limit
            c.goto_parent();
            depth -= 1;
        }
        loop {
            if c.goto_next_sibling() {
                if can_reach(&c, depth) {
                    continue 'walk;
                }
                continue;
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
        // a deep expression after many shallow statements, and inside a function: the skip must not
        // miss it
        let body = "a = 1\n".repeat(2000);
        let chain = format!("x = {}1\n", "-".repeat(5000));
        for src in [
            format!("{body}{chain}"),
            format!("def f():\n    y = 2\n    {chain}"),
        ] {
            let t = p.parse(&src, None).unwrap();
            assert!(too_deep(&t, MAX_TREE_DEPTH).is_some(), "{}", &src[..20]);
        }
        let t = p
            .parse(format!("{body}x = {}1\n", "-".repeat(300)), None)
            .unwrap();
        assert_eq!(too_deep(&t, MAX_TREE_DEPTH), None);
        assert!(too_deep(&t, 250).is_some());
    }

    /// The skipping walk finds the same first too-deep node as a walk of every node.
    #[test]
    fn same_answer_as_a_full_walk() {
        fn full(tree: &Tree, limit: usize) -> Option<usize> {
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
        let mut p = crate::sast::new_parser();
        let srcs = [
            "def f(x):\n    if x:\n        return [y for y in (x or [])]\n".to_string(),
            format!("a = 1\nb = {}\nc = 2\n", "not ".repeat(50) + "x"),
            format!(
                "class A:\n  def g(self):\n    return {}0{}\n",
                "(".repeat(60),
                ")".repeat(60)
            ),
        ];
        for src in &srcs {
            let t = p.parse(src, None).unwrap();
            for limit in 0..80 {
                assert_eq!(too_deep(&t, limit), full(&t, limit), "{src} {limit}");
            }
        }
    }
}
