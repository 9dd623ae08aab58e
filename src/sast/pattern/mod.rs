//! The pattern matcher: every pattern rule of a scan compiled into one index, run in ONE walk of each
//! syntax tree that dispatches on the node kind (calls by resolved name, names, imports, assignments,
//! string literals, node kinds), plus one combined tree-sitter `Query` for the rules that use the raw
//! `query:` escape hatch. The cost per file does not grow with the number of rules.
//!
//! A rule's `pattern:` section (YAML):
//! ```yaml
//! pattern:
//!   call: [subprocess.run, subprocess.Popen, "os.exec*"]   # qualified names, through imports; `*` globs
//!   where:                                                # every condition must hold
//!     - keyword: shell
//!       truthy: true
//!     - not: {arg: 0, is: literal}
//! ```
//! Matchers (exactly one per pattern): `call`, `name` (any reference to a qualified name), `import`,
//! `node` (node kinds), `assign` (assignment target regex; conditions see the assigned value), `string`
//! (string literal value regex), `query` (tree-sitter query; conditions may select `capture:`), `any`
//! (a list of alternative patterns, each with its own `where`, `severity` and `message`).

mod compile;
mod formatted;
mod matching;
mod syntax;

use compile::*;
pub use compile::{Engine, Match};
use formatted::*;
pub use formatted::{is_shell_command_flag, is_shell_program};
pub use syntax::string_value;
use syntax::*;

use crate::finding::Severity;
use crate::sast::imports::Imports;
use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use regex::{Regex, RegexSet};
use serde::Deserialize;
use tree_sitter::{Language, Node, Query, QueryCursor, StreamingIterator, Tree};

/// One string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    pub fn list(&self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s.clone()],
            Names::Many(v) => v.clone(),
        }
    }
}

/// A rule's `pattern:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PatternSpec {
    pub call: Option<Names>,
    pub name: Option<Names>,
    pub import: Option<Names>,
    pub node: Option<Names>,
    pub assign: Option<String>,
    pub string: Option<String>,
    pub query: Option<String>,
    pub any: Option<Vec<PatternSpec>>,
    #[serde(default, rename = "where")]
    pub conditions: Vec<Cond>,
    pub severity: Option<Severity>,
    pub message: Option<String>,
}

/// The kind of value an expression is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    /// A constant: number, string without interpolation, True/False/None, or a tuple/list of constants.
    Literal,
    /// Anything that is not a constant.
    NonLiteral,
    /// A string literal without interpolation.
    StringLiteral,
    /// A string built inline from a literal and non-literal parts: f-string with a placeholder, `+`
    /// concatenation, `%` formatting or `.format()` on a literal.
    FormattedString,
    /// Can carry arbitrary text: not a constant, an ALL_CAPS name, a conversion/quoting call
    /// (`int()`, `shlex.quote()`, `escape()` ...), or a string built only from those.
    Dynamic,
    /// A formatted string (as `formatted-string`) where a dynamic part lands in an SQL *value* position
    /// (after `=`, `<`, `>`, `LIKE`, `IN (`, `VALUES (`, `LIMIT`, `OFFSET`, or inside quotes), not where
    /// an identifier (table, column) or keyword goes, which cannot be passed as a parameter anyway.
    FormattedSqlValue,
    /// An argv list literal that runs a command string through a shell: a shell program (`sh`, `bash`,
    /// `/bin/sh`, `cmd.exe`, `powershell` ...), then its command flag (`-c`, `-lc`, `/c`, `-Command`), then a
    /// dynamic element (as `dynamic`).
    ShellCommand,
}

/// `args: {min, max}`: how many positional arguments a call has.
#[derive(Debug, Clone, Copy, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub min: Option<usize>,
    pub max: Option<usize>,
}

/// A condition on a match. Selectors pick a value (`arg`, `keyword`, `capture`; none = the match
/// itself), predicates test it; `not`/`any`/`all` combine; `context`, `imports`, `path`, `args` look
/// around the match.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Cond {
    pub arg: Option<usize>,
    pub keyword: Option<String>,
    pub capture: Option<String>,
    pub present: Option<bool>,
    pub equals: Option<serde_norway::Value>,
    pub matches: Option<String>,
    pub text_matches: Option<String>,
    pub resolves_to: Option<Names>,
    pub is: Option<ValueKind>,
    pub truthy: Option<bool>,
    pub not: Option<Box<Cond>>,
    pub any: Option<Vec<Cond>>,
    pub all: Option<Vec<Cond>>,
    pub context: Option<String>,
    pub imports: Option<Names>,
    pub path: Option<String>,
    pub args: Option<Count>,
    /// The match is (part of) an argument of a call to one of these qualified names.
    pub inside: Option<Names>,
}

impl PatternSpec {
    /// Check the pattern without compiling it into an engine.
    pub fn validate(&self) -> Result<(), String> {
        let language: Language = tree_sitter_python::LANGUAGE.into();
        let mut b = Builder::new(&language);
        b.add(0, self)
    }

    fn matcher_count(&self) -> usize {
        [
            self.call.is_some(),
            self.name.is_some(),
            self.import.is_some(),
            self.node.is_some(),
            self.assign.is_some(),
            self.string.is_some(),
            self.query.is_some(),
            self.any.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(yaml: &str) -> Engine {
        let spec: PatternSpec = serde_norway::from_str(yaml).unwrap();
        spec.validate().unwrap();
        Engine::new(&[Some(&spec)]).unwrap()
    }

    fn count(e: &Engine, src: &str) -> usize {
        let mut p = tree_sitter::Parser::new();
        p.set_language(e.language()).unwrap();
        let tree = p.parse(src, None).unwrap();
        let imports = Imports::from_tree(&tree, src.as_bytes());
        e.run(&tree, src.as_bytes(), &imports, "x.py", &[true])
            .len()
    }

    #[test]
    fn bad_regexes_are_refused_when_the_rule_loads_though_compiled_lazily() {
        for yaml in [
            "call: [os.system]\nwhere:\n  - arg: 0\n    text-matches: '('\n",
            "call: [os.system]\nwhere:\n  - context: '[z-a]'\n",
            "string: '(?P<x'\n",
            "assign: '*'\n",
        ] {
            let spec: PatternSpec = serde_norway::from_str(yaml).unwrap();
            assert!(spec.validate().is_err(), "{yaml}");
            assert!(Engine::new(&[Some(&spec)]).is_err(), "{yaml}");
        }
        // A lazily compiled regex that cannot be built (size limit) matches nothing instead of panicking.
        let never = compile::LazyRegex::new(r"\w{1000}{1000}").unwrap();
        assert!(!never.is_match("abc"));
        let e = engine("string: '^https?://internal\\.'\n");
        assert_eq!(count(&e, "u = 'http://internal.example/x'\n"), 1);
        assert_eq!(count(&e, "u = 'https://example.org/'\n"), 0);
    }

    #[test]
    fn call_with_keyword_condition_through_alias() {
        let e = engine("call: [subprocess.run, subprocess.Popen]\nwhere:\n  - keyword: shell\n    truthy: true\n");
        assert_eq!(
            count(&e, "import subprocess as sp\nsp.run(cmd, shell=True)\n"),
            1
        );
        assert_eq!(
            count(&e, "import subprocess as sp\nsp.run(cmd, shell=False)\n"),
            0
        );
        assert_eq!(
            count(&e, "from subprocess import Popen\nPopen(c, shell=1)\n"),
            1
        );
        assert_eq!(
            count(
                &e,
                "import other as subprocess\nsubprocess.run(c, shell=True)\n"
            ),
            0
        );
    }

    #[test]
    fn positional_or_keyword_and_resolves_to() {
        let e = engine(
            "call: yaml.load\nwhere:\n  - not:\n      arg: 1\n      keyword: Loader\n      resolves-to: [yaml.SafeLoader, yaml.CSafeLoader]\n",
        );
        assert_eq!(count(&e, "import yaml\nyaml.load(s)\n"), 1);
        assert_eq!(
            count(&e, "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)\n"),
            0
        );
        assert_eq!(
            count(
                &e,
                "import yaml\nfrom yaml import CSafeLoader as L\nyaml.load(s, L)\n"
            ),
            0
        );
        assert_eq!(count(&e, "import yaml\nyaml.load(s, yaml.Loader)\n"), 1);
    }

    #[test]
    fn builtin_shadowed_by_local_definition() {
        let e = engine("call: eval\nwhere:\n  - not: {arg: 0, is: literal}\n");
        assert_eq!(count(&e, "eval(x)\n"), 1);
        assert_eq!(count(&e, "eval('1+1')\n"), 0);
        assert_eq!(count(&e, "def eval(x):\n    return x\neval(y)\n"), 0);
        assert_eq!(count(&e, "from sympy import eval\neval(y)\n"), 0);
    }

    #[test]
    fn formatted_strings() {
        let e = engine("call: '*.execute'\nwhere:\n  - arg: 0\n    is: formatted-string\n");
        assert_eq!(
            count(&e, "cur.execute(f\"SELECT * FROM t WHERE id={x}\")\n"),
            1
        );
        assert_eq!(
            count(&e, "cur.execute(\"SELECT * FROM t WHERE id=\" + x)\n"),
            1
        );
        assert_eq!(count(&e, "cur.execute(\"SELECT %s\" % x)\n"), 1);
        assert_eq!(count(&e, "cur.execute(\"SELECT {}\".format(x))\n"), 1);
        assert_eq!(count(&e, "cur.execute(\"SELECT %s\", (x,))\n"), 0);
        assert_eq!(count(&e, "cur.execute(\"SELECT \" \"1\")\n"), 0);
        assert_eq!(count(&e, "cur.execute(q)\n"), 0);
    }

    #[test]
    fn star_imports() {
        let e = engine("call: [os.system]\n");
        assert_eq!(count(&e, "from os import *\nsystem(cmd)\n"), 1);
        assert_eq!(count(&e, "from os.path import *\nsystem(cmd)\n"), 0);
        assert_eq!(count(&e, "system(cmd)\n"), 0);
    }

    #[test]
    fn sql_value_positions() {
        let e = engine("call: '*.execute'\nwhere:\n  - arg: 0\n    is: formatted-sql-value\n");
        let hit = |src: &str| count(&e, src);
        assert_eq!(
            hit("c.execute(\"SELECT * FROM t WHERE name = '%s'\" % name)\n"),
            1
        );
        assert_eq!(hit("c.execute(\"SELECT * FROM t WHERE id = \" + x)\n"), 1);
        assert_eq!(
            hit("c.execute(f\"SELECT * FROM t WHERE a LIKE '%{q}%'\")\n"),
            1
        );
        assert_eq!(
            hit("c.execute(\"SELECT * FROM t WHERE id IN ({})\".format(ids))\n"),
            1
        );
        assert_eq!(
            hit("c.execute(\"INSERT INTO t VALUES (%s, %s)\" % (a, b))\n"),
            1
        );
        // identifiers, numbers, quoted identifiers, placeholder lists, constants
        assert_eq!(hit("c.execute(\"DROP TABLE %s\" % table)\n"), 0);
        assert_eq!(
            hit("c.execute(f'ALTER TABLE \"{tbl}\" DISABLE CONSTRAINT \"{con}\"')\n"),
            0
        );
        assert_eq!(hit("c.execute(\"SELECT * FROM t LIMIT %d\" % n)\n"), 0);
        assert_eq!(hit("c.execute(\"SELECT * FROM t WHERE id IN (%s)\" % \", \".join([\"%s\"] * len(ids)), ids)\n"), 0);
        assert_eq!(
            hit("c.execute(\"SELECT * FROM t WHERE id = %s\" % int(x))\n"),
            0
        );
        assert_eq!(hit("c.execute(\"SELECT '%s'\" + SUFFIX)\n"), 0);
        assert_eq!(
            hit("c.execute(\"SET TZ\" + (\" = 'UTC'\" if tz else \"\"))\n"),
            0
        );
    }

    #[test]
    fn context_names() {
        let e = engine("call: random.choice\nwhere:\n  - context: '(?i)token|password'\n");
        assert_eq!(
            count(
                &e,
                "import random\ntoken = ''.join(random.choice(a) for _ in range(9))\n"
            ),
            1
        );
        assert_eq!(
            count(
                &e,
                "import random\ndef make_password():\n    return random.choice(a)\n"
            ),
            1
        );
        assert_eq!(
            count(&e, "import random\ncolor = random.choice(colors)\n"),
            0
        );
    }

    #[test]
    fn raw_query_with_capture_condition() {
        let e = engine(
            "query: '(call function: (attribute attribute: (identifier) @m) (#eq? @m \"extra\")) @match'\nwhere:\n  - imports: django\n",
        );
        assert_eq!(
            count(&e, "from django.db import models\nqs.extra(where=[x])\n"),
            1
        );
        assert_eq!(count(&e, "qs.extra(where=[x])\n"), 0);
    }

    #[test]
    fn bad_patterns_are_errors() {
        let spec: PatternSpec = serde_norway::from_str("call: a\nname: b\n").unwrap();
        assert!(spec.validate().is_err());
        let spec: PatternSpec = serde_norway::from_str("node: not_a_kind\n").unwrap();
        assert!(spec.validate().is_err());
        let spec: PatternSpec = serde_norway::from_str("query: '(call'\n").unwrap();
        assert!(spec.validate().is_err());
        assert!(serde_norway::from_str::<PatternSpec>("cal: a\n").is_err());
    }
}
