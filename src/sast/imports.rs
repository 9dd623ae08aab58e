//! Import resolution: which fully qualified name a dotted expression of a module refers to.
//!
//! `Imports::from_tree` collects every `import` of a module, wherever it is (top level, inside functions,
//! classes, `try`/`if` blocks, and what tree-sitter recovered inside `ERROR` nodes). Resolution is
//! flow-insensitive: the first binding of a name in source order wins, which is what the common
//! `try: import cPickle as pickle / except ImportError: import pickle` idiom needs.

use crate::sast::field;
use ahash::AHashMap as HashMap;
use tree_sitter::{Node, Tree};

/// The imports of one module.
#[derive(Debug, Default, Clone)]
pub struct Imports {
    /// Local name -> fully qualified name (`sp` -> `subprocess`, `system` -> `os.system`).
    bindings: HashMap<String, String>,
    /// Every imported module or name, fully qualified, in source order (`os.path`, `flask.request`).
    imported: Vec<String>,
    /// Modules imported with `from M import *`.
    star: Vec<String>,
}

impl Imports {
    /// Collect the imports of a parsed module.
    pub fn from_tree(tree: &Tree, source: &[u8]) -> Imports {
        let mut imports = Imports::default();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "import_statement" => imports.add_import(node, source),
                "import_from_statement" => imports.add_from_import(node, source),
                "future_import_statement" => {}
                kind if descends(kind) => {
                    let mut cursor = node.walk();
                    // Reversed so that the stack pops children in source order (only named children:
                    // statements, clauses and blocks are named).
                    let at = stack.len();
                    stack.extend(node.named_children(&mut cursor));
                    stack[at..].reverse();
                }
                _ => {}
            }
        }
        imports
    }

    /// The fully qualified name of a dotted expression (`sp.run` -> `subprocess.run`). Names that no
    /// import binds come back unchanged.
    pub fn resolve(&self, dotted: &str) -> String {
        let (head, rest) = match dotted.find('.') {
            Some(i) => (&dotted[..i], &dotted[i..]),
            None => (dotted, ""),
        };
        match self.bindings.get(head) {
            Some(q) => {
                let mut s = String::with_capacity(q.len() + rest.len());
                s.push_str(q);
                s.push_str(rest);
                s
            }
            None => dotted.to_string(),
        }
    }

    /// The fully qualified name of an identifier or a chain of attributes on an identifier
    /// (`ET.parse`, `os.path.join`); `None` for anything else (calls, subscripts, literals ...).
    pub fn resolve_node(&self, node: Node, source: &[u8]) -> Option<String> {
        let dotted = dotted_name(node, source)?;
        Some(self.resolve(&dotted))
    }

    /// What a bare local name is bound to by an import, if anything.
    pub fn binding(&self, name: &str) -> Option<&str> {
        self.bindings.get(name).map(String::as_str)
    }

    /// Whether the module imports `module` or anything inside it (`flask` matches `flask.request`).
    pub fn imports_module(&self, module: &str) -> bool {
        self.imported.iter().chain(self.star.iter()).any(|m| {
            m == module || (m.starts_with(module) && m.as_bytes().get(module.len()) == Some(&b'.'))
        })
    }

    /// Every local name an import binds, with its qualified name (in no particular order).
    pub fn bindings(&self) -> impl Iterator<Item = (&str, &str)> {
        self.bindings.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Modules imported with `from M import *`, in source order.
    pub fn star_modules(&self) -> &[String] {
        &self.star
    }

    /// Every imported name, fully qualified, in source order.
    pub fn imported(&self) -> &[String] {
        &self.imported
    }

    fn bind(&mut self, local: &str, qualified: String) {
        self.imported.push(qualified.clone());
        self.bindings.entry(local.to_string()).or_insert(qualified);
    }

    fn add_import(&mut self, node: Node, source: &[u8]) {
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            match name.kind() {
                "dotted_name" => {
                    let full = compact(text(name, source));
                    // `import a.b.c` binds `a`, and `a.b.c` is reachable through it.
                    let head = full.split('.').next().unwrap_or("").to_string();
                    self.imported.push(full.clone());
                    self.bindings.entry(head.clone()).or_insert(head);
                }
                "aliased_import" => {
                    let (Some(n), Some(a)) = (
                        name.child_by_field_id(*field::NAME),
                        name.child_by_field_id(*field::ALIAS),
                    ) else {
                        continue;
                    };
                    let full = compact(text(n, source));
                    let alias = text(a, source).to_string();
                    self.bind(&alias, full);
                }
                _ => {}
            }
        }
    }

    fn add_from_import(&mut self, node: Node, source: &[u8]) {
        let Some(module) = node.child_by_field_id(*field::MODULE_NAME) else {
            return;
        };
        let module = compact(text(module, source));
        let join = |name: &str| {
            if module.ends_with('.') {
                format!("{module}{name}")
            } else {
                format!("{module}.{name}")
            }
        };
        let mut cursor = node.walk();
        let mut any = false;
        for name in node.children_by_field_name("name", &mut cursor) {
            any = true;
            match name.kind() {
                "dotted_name" => {
                    let n = compact(text(name, source));
                    let q = join(&n);
                    self.bind(&n, q);
                }
                "aliased_import" => {
                    let (Some(n), Some(a)) = (
                        name.child_by_field_id(*field::NAME),
                        name.child_by_field_id(*field::ALIAS),
                    ) else {
                        continue;
                    };
                    let q = join(&compact(text(n, source)));
                    let alias = text(a, source).to_string();
                    self.bind(&alias, q);
                }
                _ => {}
            }
        }
        if !any {
            let mut c = node.walk();
            if node.children(&mut c).any(|c| c.kind() == "wildcard_import") {
                self.star.push(module);
            }
        }
    }
}

/// Statement-level nodes that can contain an import statement (expressions cannot).
fn descends(kind: &str) -> bool {
    matches!(
        kind,
        "module"
            | "block"
            | "ERROR"
            | "if_statement"
            | "elif_clause"
            | "else_clause"
            | "try_statement"
            | "except_clause"
            | "except_group_clause"
            | "finally_clause"
            | "with_statement"
            | "for_statement"
            | "while_statement"
            | "function_definition"
            | "class_definition"
            | "decorated_definition"
            | "match_statement"
            | "case_clause"
    )
}

fn text<'a>(node: Node, source: &'a [u8]) -> &'a str {
    node.utf8_text(source).unwrap_or("")
}

/// A dotted name's text without the whitespace or comments Python allows inside it.
fn compact(s: &str) -> String {
    if s.bytes()
        .all(|b| b == b'.' || b == b'_' || b.is_ascii_alphanumeric())
    {
        s.to_string()
    } else {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '\\')
            .collect()
    }
}

/// `a.b.c` for an identifier or an attribute chain on an identifier, else `None`.
pub fn dotted_name(node: Node, source: &[u8]) -> Option<String> {
    match node.kind() {
        "identifier" => Some(text(node, source).to_string()),
        "attribute" => {
            let object = node.child_by_field_id(*field::OBJECT)?;
            let attr = node.child_by_field_id(*field::ATTRIBUTE)?;
            let mut s = dotted_name(object, source)?;
            s.push('.');
            s.push_str(text(attr, source));
            Some(s)
        }
        "parenthesized_expression" => {
            let inner = node.named_child(0)?;
            dotted_name(inner, source)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Tree {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        p.parse(src, None).unwrap()
    }

    fn imports(src: &str) -> Imports {
        Imports::from_tree(&parse(src), src.as_bytes())
    }

    #[test]
    fn aliases_and_from_imports() {
        let i = imports(
            "import subprocess as sp\nfrom os import system\nfrom xml.etree import ElementTree as ET\n\
             import os.path\nimport xml.etree.cElementTree as CET, hashlib\nfrom . import views\n\
             from ..pkg import helper as h\n",
        );
        assert_eq!(i.resolve("sp.run"), "subprocess.run");
        assert_eq!(i.resolve("system"), "os.system");
        assert_eq!(i.resolve("ET.parse"), "xml.etree.ElementTree.parse");
        assert_eq!(
            i.resolve("CET.fromstring"),
            "xml.etree.cElementTree.fromstring"
        );
        assert_eq!(i.resolve("os.path.join"), "os.path.join");
        assert_eq!(i.resolve("hashlib.md5"), "hashlib.md5");
        assert_eq!(i.resolve("views.index"), ".views.index");
        assert_eq!(i.resolve("h.run"), "..pkg.helper.run");
        assert_eq!(i.resolve("unknown.thing"), "unknown.thing");
        assert_eq!(i.resolve("eval"), "eval");
        assert!(i.imports_module("xml.etree"));
        assert!(i.imports_module("os"));
        assert!(!i.imports_module("xm"));
    }

    #[test]
    fn imports_inside_functions_and_try_blocks() {
        let src = "def f():\n    if True:\n        from yaml import load as yl\n    return yl(x)\n\
                   class C:\n    def m(self):\n        import pickle as pk\n\
                   try:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle\n\
                   with ctx:\n    from random import choice\n";
        let i = imports(src);
        assert_eq!(i.resolve("yl"), "yaml.load");
        assert_eq!(i.resolve("pk.loads"), "pickle.loads");
        assert_eq!(i.resolve("pickle.loads"), "cPickle.loads");
        assert_eq!(i.resolve("choice"), "random.choice");
    }

    #[test]
    fn resolve_node_on_attribute_chains() {
        let src = "import numpy as np\nnp.random.rand(3)\nfoo().bar()\n";
        let tree = parse(src);
        let i = Imports::from_tree(&tree, src.as_bytes());
        let root = tree.root_node();
        let call = root.child(1).unwrap().child(0).unwrap();
        let f = call.child_by_field_id(*field::FUNCTION).unwrap();
        assert_eq!(
            i.resolve_node(f, src.as_bytes()).as_deref(),
            Some("numpy.random.rand")
        );
        let call2 = root.child(2).unwrap().child(0).unwrap();
        let f2 = call2.child_by_field_id(*field::FUNCTION).unwrap();
        assert_eq!(i.resolve_node(f2, src.as_bytes()), None);
    }

    #[test]
    fn wildcard_and_broken_code() {
        let i = imports("from os import *\nimport (\nimport pickle as p\n");
        assert!(i.imports_module("os"));
        assert_eq!(i.resolve("p.loads"), "pickle.loads");
    }
}
