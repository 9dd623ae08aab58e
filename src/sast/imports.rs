//! Import resolution (minimal stand-in for the taint worktree; the SAST job's version replaces it at merge).
//!
//! Maps local names bound by `import` / `from ... import` statements anywhere in the file (including inside
//! functions) to the dotted names they stand for.

use std::collections::HashMap;
use tree_sitter::{Node, Tree};

#[derive(Debug, Default, Clone)]
pub struct Imports {
    names: HashMap<String, String>,
}

impl Imports {
    pub fn from_tree(tree: &Tree, source: &[u8]) -> Imports {
        let mut imp = Imports::default();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "import_statement" => {
                    let mut c = n.walk();
                    for ch in n.named_children(&mut c) {
                        imp.bind_import(ch, source);
                    }
                }
                "import_from_statement" => {
                    let module = n
                        .child_by_field_name("module_name")
                        .and_then(|m| m.utf8_text(source).ok())
                        .unwrap_or("")
                        .replace(char::is_whitespace, "");
                    let mut c = n.walk();
                    for ch in n.children_by_field_name("name", &mut c) {
                        let (full, local) = match ch.kind() {
                            "aliased_import" => (
                                ch.child_by_field_name("name")
                                    .and_then(|x| x.utf8_text(source).ok()),
                                ch.child_by_field_name("alias")
                                    .and_then(|x| x.utf8_text(source).ok()),
                            ),
                            _ => {
                                let t = ch.utf8_text(source).ok();
                                (t, t)
                            }
                        };
                        if let (Some(full), Some(local)) = (full, local) {
                            imp.names
                                .insert(local.to_string(), format!("{module}.{full}"));
                        }
                    }
                }
                // imports are statements: expressions never hold one
                "expression_statement"
                | "return_statement"
                | "raise_statement"
                | "assert_statement"
                | "comment"
                | "pass_statement"
                | "delete_statement" => {}
                _ => {
                    let mut c = n.walk();
                    for ch in n.named_children(&mut c) {
                        stack.push(ch);
                    }
                }
            }
        }
        imp
    }

    fn bind_import(&mut self, ch: Node, source: &[u8]) {
        match ch.kind() {
            "dotted_name" => {
                if let Ok(t) = ch.utf8_text(source) {
                    let root = t.split('.').next().unwrap_or(t).to_string();
                    self.names.entry(root.clone()).or_insert(root);
                }
            }
            "aliased_import" => {
                let full = ch
                    .child_by_field_name("name")
                    .and_then(|x| x.utf8_text(source).ok());
                let alias = ch
                    .child_by_field_name("alias")
                    .and_then(|x| x.utf8_text(source).ok());
                if let (Some(full), Some(alias)) = (full, alias) {
                    self.names.insert(alias.to_string(), full.to_string());
                }
            }
            _ => {}
        }
    }

    /// `sp.run` -> `subprocess.run` after `import subprocess as sp`; unknown names are returned unchanged.
    pub fn resolve(&self, dotted: &str) -> String {
        let (head, rest) = match dotted.find('.') {
            Some(i) => (&dotted[..i], &dotted[i..]),
            None => (dotted, ""),
        };
        match self.names.get(head) {
            Some(full) => format!("{full}{rest}"),
            None => dotted.to_string(),
        }
    }

    /// The resolved dotted name of an identifier or attribute chain.
    pub fn resolve_node(&self, node: Node, source: &[u8]) -> Option<String> {
        dotted_name(node, source).map(|d| self.resolve(&d))
    }
}

/// `a.b.c` for an identifier/attribute chain, `None` for anything else.
pub fn dotted_name(node: Node, source: &[u8]) -> Option<String> {
    match node.kind() {
        "identifier" => node.utf8_text(source).ok().map(str::to_string),
        "attribute" => {
            let obj = dotted_name(node.child_by_field_name("object")?, source)?;
            let attr = node
                .child_by_field_name("attribute")?
                .utf8_text(source)
                .ok()?;
            Some(format!("{obj}.{attr}"))
        }
        _ => None,
    }
}
