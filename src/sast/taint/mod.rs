//! Taint tracking (written in its own worktree; this is the interface stub the pattern engine compiles
//! against). `analyze` finds no flows until the real engine is merged.

use crate::sast::imports::Imports;
use serde::Deserialize;

/// The `taint:` section of a `kind: taint` rule (opaque to the pattern engine).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TaintRule {}

/// One source-to-sink flow.
#[derive(Debug, Clone, PartialEq)]
pub struct TaintHit {
    pub rule_id: String,
    pub sink_start_byte: usize,
    pub sink_end_byte: usize,
    pub message: String,
    /// Byte range and label of each step, source first, sink last.
    pub steps: Vec<(usize, usize, String)>,
    pub severity_override: Option<crate::finding::Severity>,
}

/// Find the flows of `rules` in one parsed module.
pub fn analyze(
    _tree: &tree_sitter::Tree,
    _source: &str,
    _imports: &Imports,
    _rules: &[(String, TaintRule)],
) -> Vec<TaintHit> {
    Vec::new()
}
