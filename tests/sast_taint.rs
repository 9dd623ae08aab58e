//! Taint engine tests: rule examples, and one fixture per source/sink family and per precision item.
//!
//! A fixture marks each line where a finding is expected with `# expect: RULE-ID` (several ids separated by
//! commas). Every other line must stay silent, so the safe variants in a fixture are checked too.

use std::collections::BTreeSet;
use std::path::Path;
use tollgate::sast::imports::Imports;
use tollgate::sast::taint::{analyze, TaintHit, TaintRule};

#[derive(serde::Deserialize)]
struct RuleFile {
    id: String,
    kind: String,
    #[serde(default)]
    examples: Examples,
    #[serde(default)]
    taint: Option<TaintRule>,
    cwe: Vec<u32>,
}

#[derive(serde::Deserialize, Default)]
struct Examples {
    #[serde(default)]
    positive: Vec<String>,
    #[serde(default)]
    negative: Vec<String>,
}

fn rule_files() -> Vec<RuleFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/python");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().map(|e| e == "yaml").unwrap_or(false))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let v: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        if v.get("kind").and_then(|k| k.as_str()) != Some("taint") {
            continue;
        }
        let rf: RuleFile =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(
            p.file_stem().unwrap().to_str().unwrap(),
            rf.id,
            "file name = rule id"
        );
        out.push(rf);
    }
    out
}

fn rules() -> Vec<(String, TaintRule)> {
    rule_files()
        .into_iter()
        .map(|r| (r.id, r.taint.expect("taint rule has a taint section")))
        .collect()
}

fn run(code: &str, rules: &[(String, TaintRule)]) -> Vec<TaintHit> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(code, None).unwrap();
    let imports = Imports::from_tree(&tree, code.as_bytes());
    analyze(&tree, code, &imports, rules)
}

fn line_of(code: &str, byte: usize) -> usize {
    code[..byte].matches('\n').count() + 1
}

/// Compare the hits on a fixture with its `# expect:` markers.
fn check_fixture(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/python/taint")
        .join(name);
    let code = std::fs::read_to_string(&path).unwrap();
    let rules = rules();
    // a template render's hit becomes a finding at the template line (tests/sast_templates.rs)
    let hits: Vec<TaintHit> = run(&code, &rules)
        .into_iter()
        .filter(|h| h.template.is_none())
        .collect();
    let got: BTreeSet<(usize, String)> = hits
        .iter()
        .map(|h| (line_of(&code, h.sink_start_byte), h.rule_id.clone()))
        .collect();
    let mut want = BTreeSet::new();
    for (i, line) in code.lines().enumerate() {
        if let Some(pos) = line.find("# expect:") {
            for id in line[pos + 9..].split(',') {
                let id = id.trim();
                if !id.is_empty() {
                    want.insert((i + 1, id.to_string()));
                }
            }
        }
    }
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    let detail: Vec<String> = hits.iter().map(|h| h.message.clone()).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: missing {missing:?}, unexpected {extra:?}\nall hits:\n{}",
        detail.join("\n")
    );
    assert!(!want.is_empty(), "{name} expects at least one finding");
}

#[test]
fn every_taint_rule_is_complete() {
    let files = rule_files();
    assert!(files.len() >= 11, "one taint rule per sink class");
    for f in &files {
        assert_eq!(f.kind, "taint");
        assert!(!f.cwe.is_empty(), "{}: cwe", f.id);
        assert!(
            !f.examples.positive.is_empty(),
            "{}: positive examples",
            f.id
        );
        assert!(
            !f.examples.negative.is_empty(),
            "{}: negative examples",
            f.id
        );
    }
    let cwes: BTreeSet<u32> = files.iter().flat_map(|f| f.cwe.iter().copied()).collect();
    for c in [22, 78, 79, 89, 90, 94, 501, 502, 601, 643, 918] {
        assert!(cwes.contains(&c), "a taint rule for CWE-{c}");
    }
}

#[test]
fn rule_examples() {
    let files = rule_files();
    let rules = rules();
    let mut failures = Vec::new();
    for f in &files {
        for (i, code) in f.examples.positive.iter().enumerate() {
            let hits = run(code, &rules);
            if !hits.iter().any(|h| h.rule_id == f.id) {
                failures.push(format!("{} positive #{i} not found:\n{code}", f.id));
            }
        }
        for (i, code) in f.examples.negative.iter().enumerate() {
            let hits = run(code, &rules);
            let own: Vec<_> = hits.iter().filter(|h| h.rule_id == f.id).collect();
            if !own.is_empty() {
                failures.push(format!(
                    "{} negative #{i} flagged: {}\n{code}",
                    f.id, own[0].message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn messages_name_source_and_sink() {
    let code = "from flask import request\nimport sqlite3\n\ndef view(cur):\n    uid = request.args.get('id')\n    q = \"SELECT * FROM u WHERE id = '\" + uid + \"'\"\n    cur.execute(q)\n";
    let hits = run(code, &rules());
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!(h.rule_id, "PY-SQLI");
    assert_eq!(
        h.message,
        "User input from `request.args.get('id')` (line 5) reaches a SQL query in `cur.execute` (line 7)"
    );
    let labels: Vec<&str> = h.steps.iter().map(|s| s.2.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "User input from `request.args.get('id')`",
            "assigned to `uid`",
            "assigned to `q`",
            "reaches a SQL query in `cur.execute`"
        ]
    );
    assert_eq!(&code[h.steps[0].0..h.steps[0].1], "request.args.get('id')");
    assert_eq!(&code[h.sink_start_byte..h.sink_end_byte], "cur.execute(q)");
    assert_eq!(h.severity_override, None);
}

macro_rules! fixture_tests {
    ($($name:ident => $file:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_fixture($file);
            }
        )*
    };
}

fixture_tests! {
    source_flask => "src_flask.py",
    source_django => "src_django.py",
    source_fastapi => "src_fastapi.py",
    source_cli_and_environment => "src_cli_env.py",
    source_tornado_and_aiohttp => "src_tornado_aiohttp.py",
    sink_sql => "sink_sqli.py",
    sink_command => "sink_cmdi.py",
    sink_code => "sink_codei.py",
    sink_deserialization => "sink_deser.py",
    sink_path => "sink_path.py",
    sink_ssrf => "sink_ssrf.py",
    sink_xss => "sink_xss.py",
    sink_redirect => "sink_redirect.py",
    sink_ldap => "sink_ldap.py",
    sink_xpath => "sink_xpath.py",
    sink_trust_boundary => "sink_trust.py",
    precision_constant_branches => "prec_constant_branches.py",
    precision_ternary_and_match => "prec_ternary_match.py",
    precision_dict_keys => "prec_dict_keys.py",
    precision_list_indexes => "prec_list_index.py",
    precision_strings_are_values => "prec_string_values.py",
    precision_sanitizers_per_class => "prec_sanitizers.py",
    precision_guards => "prec_guards.py",
    precision_function_summaries => "prec_summaries.py",
    propagation => "prec_propagation.py",
    nested_functions => "prec_nested.py",
    broken_syntax_is_scanned => "broken_syntax.py",
    benchmark_style_handlers => "bench_style.py",
}

/// Truncated files (every prefix at a stride) must never panic and must still give sorted hits.
#[test]
fn truncated_sources_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python/taint");
    let rules = rules();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let code = std::fs::read_to_string(&p).unwrap();
        let mut cut = 0;
        while cut < code.len() {
            if code.is_char_boundary(cut) {
                let hits = run(&code[..cut], &rules);
                assert!(hits
                    .windows(2)
                    .all(|w| w[0].sink_start_byte <= w[1].sink_start_byte));
            }
            cut += 97;
        }
    }
}

#[test]
fn deterministic_output() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python/taint/prec_propagation.py");
    let code = std::fs::read_to_string(path).unwrap();
    let rules = rules();
    let a = run(&code, &rules);
    for _ in 0..3 {
        assert_eq!(a, run(&code, &rules));
    }
}

#[test]
fn environment_sources_are_lower_severity() {
    let code = "import os\nos.system(os.environ['EDITOR'])\nimport sys\nos.system(sys.argv[1])\n";
    let hits = run(code, &rules());
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0].severity_override, Some(tollgate::Severity::Low));
    assert!(
        hits[0]
            .message
            .starts_with("Environment variable from `os.environ['EDITOR']`"),
        "{}",
        hits[0].message
    );
    assert_eq!(hits[1].severity_override, Some(tollgate::Severity::Low));
    assert!(
        hits[1]
            .message
            .starts_with("Command-line argument from `sys.argv[1]`"),
        "{}",
        hits[1].message
    );
}

#[test]
fn rules_select_their_source_sets() {
    let code = "import os\nos.system(os.environ['EDITOR'])\n";
    let mut rules = rules();
    for (_, r) in rules.iter_mut() {
        r.sources = vec!["web".into()];
    }
    assert!(run(code, &rules).is_empty());
}

/// Deeply nested code must not overflow the stack (the engine bounds its recursion).
#[test]
fn deep_nesting_is_bounded() {
    let rules = rules();
    let depth = 3000;
    let mut code = String::from(
        "import os\nfrom flask import request\ndef f():\n    x = request.args['a']\n    y = ",
    );
    code.push_str(&"(".repeat(depth));
    code.push('x');
    code.push_str(&")".repeat(depth));
    code.push_str("\n    if ");
    code.push_str(&vec!["x"; depth].join(" or "));
    code.push_str(":\n        return\n    z = x");
    code.push_str(&" + x".repeat(depth));
    code.push_str("\n    os.system(y)\n");
    let hits = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || run(&code, &rules).len())
        .unwrap()
        .join()
        .expect("no stack overflow");
    let _ = hits;
}

/// Files are skipped when they cannot hold a source; a route handler without the word "request" is kept.
#[test]
fn prefilter_keeps_route_handlers() {
    let rules = rules();
    let code = "import os\nfrom fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/run')\ndef run(cmd: str):\n    os.system(cmd)\n";
    assert_eq!(run(code, &rules).len(), 1);
    let plain = "import os\n\ndef run(cmd):\n    os.system(cmd)\n";
    assert!(run(plain, &rules).is_empty());
}

/// A command-line tool opening the file its user names is not path traversal; running it in a shell is still
/// reported (at low severity).
#[test]
fn cli_input_only_for_command_and_code_rules() {
    let code = "import os, sys\nopen(sys.argv[1])\nos.system('cat ' + sys.argv[1])\n";
    let hits = run(code, &rules());
    let ids: Vec<&str> = hits.iter().map(|h| h.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["PY-CMDI"]);
    assert_eq!(hits[0].severity_override, Some(tollgate::Severity::Low));
}
