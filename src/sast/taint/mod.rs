//! Intra-procedural, flow-sensitive taint tracking for Python.
//!
//! One pass over each function body (and the module's top level): a small abstract interpreter walks the
//! statements in order with an environment of variable values. A value knows whether it carries user input
//! (and from where, through which assignments), which sanitizers it went through, its constant value when it
//! has one (for folding conditions), and per-key / per-index parts for dict and list literals. Calls are
//! matched against one table of sinks built from every rule, so the cost of a file does not grow with the
//! number of rules. See `docs/taint.md`.
//!
//! Rules are data: the `taint:` section of a `kind: taint` rule file deserializes into [`TaintRule`]. Shared
//! source sets and lists of clean calls live in `common.yaml` next to this file.

mod engine;
pub mod project;
pub mod summary;

use crate::finding::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The `taint:` section of a rule file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintRule {
    /// Source sets from the engine's common data: `web`, `cli`, `env`. Empty means all of them.
    #[serde(default)]
    pub sources: Vec<String>,
    /// What the sink does, for messages: "SQL query", "OS command".
    pub sink_kind: String,
    /// The calls (and other constructs) where tainted data must not arrive.
    pub sinks: Vec<SinkSpec>,
    /// What makes data safe for this rule: callee names (`html.escape`, `*.escape_for_html`), and guard ids:
    /// `guard` (an early exit on a validation of the value), `guard-path`, `guard-quote`, `guard-shell`,
    /// `guard-html` (an early exit when the value contains such characters), `allowlist` (inside
    /// `if x in ALLOWED:`), `quote-escape` (`x.replace("'", ...)`).
    #[serde(default)]
    pub sanitizers: Vec<String>,
    /// Extra methods that put their arguments into their receiver (`buf.append(x)` taints `buf`), added to the
    /// engine's built-in list.
    #[serde(default)]
    pub propagators: Vec<String>,
}

/// One kind of sink.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    /// Resolved dotted names (`subprocess.run`, `eval`) or method patterns (`*.execute`, `*.objects.raw`).
    #[serde(default)]
    pub calls: Vec<String>,
    /// Calls a method pattern must not match (`re.search` for `*.search`); `re.*` globs a module.
    #[serde(default)]
    pub not_calls: Vec<String>,
    /// Positional arguments that matter (0-based).
    #[serde(default)]
    pub args: Vec<usize>,
    /// Keyword arguments that matter.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Every argument matters.
    #[serde(default)]
    pub all_args: bool,
    /// The receiver of the method matters (`path.read_text()`).
    #[serde(default)]
    pub receiver: bool,
    /// When the argument is a list or tuple, only its first element matters (the program of an argv list),
    /// unless that element is a shell (`sh`, `bash`, `cmd`), in which case every element does.
    #[serde(default)]
    pub first_element: bool,
    /// When positional argument 0 is a constant naming a shell (`os.execl("/bin/sh", "sh", "-c", cmd)`,
    /// `asyncio.create_subprocess_exec("bash", "-c", cmd)`), every positional argument matters.
    #[serde(default)]
    pub shell_args: bool,
    /// Only values known to be strings built here matter (a DynamoDB `FilterExpression` given as text, not
    /// a `boto3.dynamodb.conditions` object such as `Attr("a").eq(x)`).
    #[serde(default)]
    pub strings_only: bool,
    /// Only when this keyword argument is present and not a false literal (`shell`).
    #[serde(default)]
    pub when_keyword_true: Option<String>,
    /// Not when this keyword argument is a true literal.
    #[serde(default)]
    pub unless_keyword_true: Option<String>,
    /// Not when the keyword argument is one of these (resolved) names: `Loader: [yaml.SafeLoader]`; a key
    /// that is a number names a positional argument (`"1": [yaml.SafeLoader]`).
    #[serde(default)]
    pub unless_keyword_in: BTreeMap<String, Vec<String>>,
    /// Safe when the value starts with a constant that fixes the host (`https://api.example.com/...`) or a
    /// local path (`/static/...`).
    #[serde(default)]
    pub safe_if_fixed_prefix: bool,
    /// Assignments `NAME[key] = value` where NAME resolves to one of these (`flask.session`) or ends with
    /// `.session` for a `*.session` pattern: key and value matter.
    #[serde(default)]
    pub subscript_assign: Vec<String>,
    /// A string returned from a Flask route handler (the response body).
    #[serde(default)]
    pub route_return: bool,
    /// Overrides the rule's `sink_kind` in messages.
    #[serde(default)]
    pub label: Option<String>,
    /// The call renders a template file: a hit names the template and the context variable that carries
    /// the data (the job then looks for unescaped outputs of that variable in the template).
    #[serde(default)]
    pub template: Option<TemplateSpec>,
    /// Severity of hits of this sink when lower than the rule's (argument injection, partial control).
    #[serde(default)]
    pub severity: Option<Severity>,
}

/// Where a template-rendering call takes the template's name and its context from.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    /// Positional arguments that may name the template: the first that is a constant string does.
    #[serde(default)]
    pub name: Vec<usize>,
    #[serde(default)]
    pub name_keyword: Option<String>,
    /// The receiver names it: `env.get_template("x.html").render(...)`.
    #[serde(default)]
    pub name_from_receiver: bool,
    /// Positional arguments that may be the context: the first that is a dict is.
    #[serde(default)]
    pub context: Vec<usize>,
    #[serde(default)]
    pub context_keyword: Option<String>,
    /// Keyword arguments (and `**dict`) are context variables.
    #[serde(default)]
    pub kwargs: bool,
}

/// One source-to-sink flow.
#[derive(Debug, Clone, PartialEq)]
pub struct TaintHit {
    pub rule_id: String,
    pub sink_start_byte: usize,
    pub sink_end_byte: usize,
    pub message: String,
    /// Byte ranges and labels, source first, sink last.
    pub steps: Vec<(usize, usize, String)>,
    /// Lower severity than the rule's (environment variables as a source, argument injection).
    pub severity_override: Option<Severity>,
    /// When the sink is in another module (the data went there through a call at the sink range above):
    /// the steps in that module (and any it called on), the last one the sink itself.
    pub remote: Vec<crate::finding::FlowStep>,
    /// The line of the sink in the other module.
    pub remote_snippet: Option<String>,
    /// A template render: (template name, context variable) the data goes into.
    pub template: Option<(String, String)>,
}

/// Run every taint rule over one parsed file. Hits are sorted by position, then rule id; one hit per rule and
/// sink.
pub fn analyze(
    tree: &tree_sitter::Tree,
    source: &str,
    imports: &crate::sast::imports::Imports,
    rules: &[(String, TaintRule)],
) -> Vec<TaintHit> {
    if rules.is_empty() {
        return Vec::new();
    }
    // The job calls this once per file with the same rules: keep the compiled tables per thread.
    type Cached = Option<(Vec<(String, TaintRule)>, std::rc::Rc<engine::Compiled>)>;
    thread_local! {
        static CACHE: std::cell::RefCell<Cached> = const { std::cell::RefCell::new(None) };
    }
    let compiled = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        match &*c {
            Some((r, comp)) if r.as_slice() == rules => comp.clone(),
            _ => {
                let comp = std::rc::Rc::new(engine::Compiled::new(rules));
                *c = Some((rules.to_vec(), comp.clone()));
                comp
            }
        }
    });
    engine::run(&compiled, tree, source, imports, None)
}

/// Whether a text can hold web input (see [`CompiledRules::might_have_input`]).
pub fn might_have_input_text(source: &str) -> bool {
    engine::might_have_input(source)
}

/// Rules compiled once, for callers that analyze many files with the same rules.
pub struct CompiledRules(engine::Compiled);

impl CompiledRules {
    pub fn new(rules: &[(String, TaintRule)]) -> Self {
        CompiledRules(engine::Compiled::new(rules))
    }

    /// [`Self::new`] for a scan of `scan_bytes` bytes of Python: from [`crate::ac::DFA_MIN_BYTES`] on, the
    /// source names are found with a DFA, which costs a few milliseconds to build and walks faster.
    pub fn for_scan(rules: &[(String, TaintRule)], scan_bytes: u64) -> Self {
        CompiledRules(engine::Compiled::for_scan(rules, scan_bytes))
    }
    pub fn analyze(
        &self,
        tree: &tree_sitter::Tree,
        source: &str,
        imports: &crate::sast::imports::Imports,
    ) -> Vec<TaintHit> {
        engine::run(&self.0, tree, source, imports, None)
    }

    /// [`Self::analyze`], following calls into the other modules of the tree through their summaries.
    pub fn analyze_with(
        &self,
        tree: &tree_sitter::Tree,
        source: &str,
        imports: &crate::sast::imports::Imports,
        xmod: Option<&project::XMod>,
    ) -> Vec<TaintHit> {
        engine::run(&self.0, tree, source, imports, xmod)
    }

    /// Phase 1 of the cross-module analysis: what the functions of the file at `rel` do with their
    /// parameters (with `only`, just the functions named there, a class name standing for its methods).
    /// `None` when the path is not an importable module name.
    pub fn summarize(
        &self,
        tree: &tree_sitter::Tree,
        source: &str,
        imports: &crate::sast::imports::Imports,
        rel: &str,
        only: Option<&std::collections::BTreeSet<String>>,
    ) -> Option<summary::ModuleSummary> {
        let (module, package) = summary::module_name(rel)?;
        Some(engine::summarize(
            &self.0, tree, source, imports, rel, module, package, only,
        ))
    }

    /// Whether the text of a file can hold web input (a request, a route, a Lambda event, a task's
    /// arguments): the files whose calls into other modules are followed.
    pub fn might_have_input(&self, source: &str) -> bool {
        engine::might_have_input(source)
    }

    /// Whether the text of a file can hold a source at all (a file that cannot needs no taint analysis of
    /// its own).
    pub fn might_have_sources(&self, source: &str) -> bool {
        engine::might_have_sources(&self.0, source)
    }
}
