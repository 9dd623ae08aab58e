//! Per-module taint summaries (what each function of a module does with its parameters, phase 1 of the
//! cross-module analysis) and the module names Python gives files and relative imports.
//!
//! A summary is a pure function of one file's text, its path and the rules; it is plain data (serde) so
//! that it can be cached and hashed into the cache keys of the files whose analysis used it.

use crate::finding::{FlowStep, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most functions of one module that get a summary, and most entries of each list of a function.
pub const MAX_FUNCTIONS: usize = 2000;
pub const MAX_ENTRIES: usize = 16;

/// What a module's functions do with their parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleSummary {
    /// The dotted module name its path gives it (`app/db.py` -> `app.db`, `app/__init__.py` -> `app`).
    pub module: String,
    /// The file, relative to the scanned root.
    pub path: String,
    /// Whether the file is a package's `__init__.py` (relative imports then start at the module itself).
    pub package: bool,
    /// By function name (`run_query`, `Repo.find` for a method).
    pub functions: BTreeMap<String, FnSummary>,
    /// Names a `from M import name` binds at module level (`run_query` -> `.db.run_query`), so that
    /// `from app import run_query` finds a function a package re-exports.
    pub reexports: BTreeMap<String, String>,
}

/// One function's summary. Parameters are numbered without `self`/`cls`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FnSummary {
    pub params: Vec<String>,
    /// Parameters whose data reaches a sink inside the function (or a function it calls in the same file).
    pub sinks: Vec<ParamSink>,
    /// Parameters whose data comes back in the return value.
    pub returns: Vec<ParamReturn>,
    /// Parameters passed on to a function of another module (followed when that module is in the tree).
    pub calls: Vec<ParamCall>,
    /// The function returns user input it reads itself (`return request.args.get("q")`).
    pub source: Option<ReturnSource>,
}

/// Parameter `param` reaches a sink of rule `rule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSink {
    pub param: usize,
    pub rule: String,
    /// "SQL query", for messages.
    pub kind: String,
    /// The sink's callee as written (`cursor.execute`).
    pub callee: String,
    /// Lower severity than the rule's (argument injection ...).
    pub severity: Option<Severity>,
    /// From the parameter to the sink (last), in this module's file.
    pub steps: Vec<FlowStep>,
    /// The sink's line, clipped (the finding's snippet).
    pub snippet: String,
    /// Calls into other modules the data went through on the way (it gets there only if they return it).
    pub through: Vec<Through>,
}

/// A call to another module's function that the data went through: it flows on only if that function
/// returns it (decided in phase 2, when the function is in the tree; otherwise assumed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Through {
    pub callee: String,
    pub arg: usize,
}

/// Parameter `param` comes back in the return value; `clean_for` lists the rules whose sanitizers it went
/// through on the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamReturn {
    pub param: usize,
    pub clean_for: Vec<String>,
    /// The return value is a string built here (matters to sinks that take only strings).
    pub string: bool,
    pub through: Vec<Through>,
}

/// Parameter `param` is passed as positional argument `arg` (or keyword `keyword`) to `callee`, a name
/// another module binds (as written after import resolution, relative imports not yet resolved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamCall {
    pub param: usize,
    pub callee: String,
    pub arg: Option<usize>,
    pub keyword: Option<String>,
    pub clean_for: Vec<String>,
    /// From the parameter to the call (last), in this module's file.
    pub steps: Vec<FlowStep>,
}

/// The function returns a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnSource {
    /// The source as written (`request.args.get("q")`) and what it is ("User input").
    pub label: String,
    pub what: String,
    pub sets: u32,
    pub severity: Option<Severity>,
    pub clean_for: Vec<String>,
    pub string: bool,
    /// From the source to the return.
    pub steps: Vec<FlowStep>,
}

impl ModuleSummary {
    /// Whether any function has anything to follow.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.reexports.is_empty()
    }

    /// Every module name this summary may send a lookup to (calls and re-exports), relative ones resolved.
    pub fn edges(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .functions
            .values()
            .flat_map(|f| {
                f.calls
                    .iter()
                    .map(|c| c.callee.as_str())
                    .chain(
                        f.sinks
                            .iter()
                            .flat_map(|s| s.through.iter())
                            .map(|t| t.callee.as_str()),
                    )
                    .chain(
                        f.returns
                            .iter()
                            .flat_map(|s| s.through.iter())
                            .map(|t| t.callee.as_str()),
                    )
            })
            .chain(self.reexports.values().map(String::as_str))
            .filter_map(|q| absolute(q, &self.module, self.package))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl FnSummary {
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
            && self.returns.is_empty()
            && self.calls.is_empty()
            && self.source.is_none()
    }
}

/// The dotted module name of a Python file: `app/db.py` -> `app.db`, `app/__init__.py` -> `app`,
/// `bin/tool` (a script without extension) -> `bin.tool`. `None` for names Python cannot import.
pub fn module_name(rel: &str) -> Option<(String, bool)> {
    let rel = rel.trim_start_matches("./");
    let stem = rel.strip_suffix(".py").unwrap_or(rel);
    let mut parts: Vec<&str> = stem.split('/').collect();
    let package = parts.last() == Some(&"__init__");
    if package {
        parts.pop();
    }
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_alphanumeric() || c == '_'))
    {
        return None;
    }
    Some((parts.join("."), package))
}

/// A qualified name as imports give it, made absolute: `.db.run` in module `app.views` is `app.db.run`,
/// `..x` goes one package further up. `None` when the dots climb above the top.
pub fn absolute(q: &str, module: &str, package: bool) -> Option<String> {
    let dots = q.chars().take_while(|c| *c == '.').count();
    if dots == 0 {
        return Some(q.to_string());
    }
    let mut base: Vec<&str> = module.split('.').filter(|s| !s.is_empty()).collect();
    // `.` is the current package: the module's parent, or the module itself for an `__init__.py`
    let up = if package { dots - 1 } else { dots };
    if up > base.len() {
        return None;
    }
    base.truncate(base.len() - up);
    let rest = &q[dots..];
    if rest.is_empty() {
        return (!base.is_empty()).then(|| base.join("."));
    }
    if base.is_empty() {
        Some(rest.to_string())
    } else {
        Some(format!("{}.{rest}", base.join(".")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        assert_eq!(module_name("app/db.py"), Some(("app.db".into(), false)));
        assert_eq!(module_name("app/__init__.py"), Some(("app".into(), true)));
        assert_eq!(module_name("views.py"), Some(("views".into(), false)));
        assert_eq!(module_name("my-app/x.py"), None);
        assert_eq!(module_name("__init__.py"), None);
    }

    #[test]
    fn relative_names() {
        assert_eq!(
            absolute(".db.run", "app.views", false).as_deref(),
            Some("app.db.run")
        );
        assert_eq!(
            absolute(".db.run", "app", true).as_deref(),
            Some("app.db.run")
        );
        assert_eq!(
            absolute("..pkg.h", "app.sub.x", false).as_deref(),
            Some("app.pkg.h")
        );
        assert_eq!(absolute("...x", "a.b", false), None);
        assert_eq!(
            absolute("os.path", "a.b", false).as_deref(),
            Some("os.path")
        );
        assert_eq!(absolute(".", "app.views", false).as_deref(), Some("app"));
    }
}
