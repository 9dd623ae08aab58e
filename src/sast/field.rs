//! tree-sitter-python's field ids, looked up once. `Node::child_by_field_name` looks the name up in the
//! grammar's field table with `strncmp` on every call, which was ~4% of the SAST job's cpu on a large tree;
//! `node.child_by_field_id(*field::LEFT)` costs one load.

use std::sync::LazyLock;

macro_rules! fields {
    ($($id:ident = $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("The id of the `", $name, "` field.")]
            pub static $id: LazyLock<u16> = LazyLock::new(|| id($name));
        )*
        /// Every field above, with its name (for the test that checks them against the grammar).
        #[cfg(test)]
        pub(crate) fn all() -> Vec<(&'static str, u16)> {
            vec![$(($name, *$id)),*]
        }
    };
}

/// The id of a field of the Python grammar (0, which no child has, for a name it does not know).
fn id(name: &str) -> u16 {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    language.field_id_for_name(name).map_or(0, |id| id.get())
}

fields! {
    ALIAS = "alias",
    ALTERNATIVE = "alternative",
    ARGUMENT = "argument",
    ARGUMENTS = "arguments",
    ATTRIBUTE = "attribute",
    BODY = "body",
    CONDITION = "condition",
    CONSEQUENCE = "consequence",
    DEFINITION = "definition",
    EXPRESSION = "expression",
    FUNCTION = "function",
    GUARD = "guard",
    KEY = "key",
    LEFT = "left",
    MODULE_NAME = "module_name",
    NAME = "name",
    OBJECT = "object",
    OPERATOR = "operator",
    PARAMETERS = "parameters",
    RIGHT = "right",
    SUBJECT = "subject",
    SUBSCRIPT = "subscript",
    TYPE = "type",
    VALUE = "value",
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_field_exists_in_the_grammar_and_finds_the_same_child() {
        for (name, id) in super::all() {
            assert_ne!(id, 0, "tree-sitter-python has no field `{name}`");
        }
        let mut p = crate::sast::new_parser();
        let src = "x = f(a)\n";
        let tree = p.parse(src, None).unwrap();
        let assign = tree.root_node().child(0).unwrap().child(0).unwrap();
        assert_eq!(assign.kind(), "assignment");
        for (name, id) in [("left", *super::LEFT), ("right", *super::RIGHT)] {
            assert_eq!(
                assign.child_by_field_name(name),
                assign.child_by_field_id(id)
            );
        }
    }
}
