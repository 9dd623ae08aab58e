//! Run the taint rules of `rules/python` over a directory of Python files and print one line per hit:
//! `path:line: RULE-ID message`. Used by `benches/taint.sh` and for trying the engine on real projects.
//!
//! cargo run --release --example taint_scan -- DIR [--quiet] [--parse-only]

use std::path::Path;
use tollgate::sast::imports::Imports;
use tollgate::sast::taint::{CompiledRules, TaintRule};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: taint_scan DIR [--quiet]");
    let rest: Vec<String> = args.collect();
    let quiet = rest.iter().any(|a| a == "--quiet");
    // `--parse-only`: the tree-sitter floor on the same files, for the benchmark's ratio
    let parse_only = rest.iter().any(|a| a == "--parse-only");
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/python");
    let mut rules: Vec<(String, TaintRule)> = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(rules_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let v: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        if v.get("kind").and_then(|k| k.as_str()) != Some("taint") {
            continue;
        }
        let id = v.get("id").and_then(|x| x.as_str()).unwrap().to_string();
        let t: TaintRule = serde_norway::from_value(v.get("taint").unwrap().clone()).unwrap();
        rules.push((id, t));
    }
    let compiled = CompiledRules::new(&rules);
    let mut files: Vec<_> = ignore::WalkBuilder::new(&dir)
        .hidden(false)
        .build()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().map(|x| x == "py").unwrap_or(false))
        .map(|e| e.path().to_path_buf())
        .collect();
    files.sort();
    let (mut lines, mut bytes, mut nhits) = (0usize, 0usize, 0usize);
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .unwrap();
    let start = std::time::Instant::now();
    for f in &files {
        let Ok(code) = std::fs::read_to_string(f) else {
            continue;
        };
        lines += code.lines().count();
        bytes += code.len();
        let Some(tree) = parser.parse(&code, None) else {
            continue;
        };
        if parse_only {
            continue;
        }
        let imports = Imports::from_tree(&tree, code.as_bytes());
        for h in compiled.analyze(&tree, &code, &imports) {
            nhits += 1;
            if !quiet {
                let line = code[..h.sink_start_byte].matches('\n').count() + 1;
                println!("{}:{}: {} {}", f.display(), line, h.rule_id, h.message);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{} files, {} lines, {:.1} MB, {} hits in {:.2}s ({:.0} lines/s, {:.2} MB/s)",
        files.len(),
        lines,
        bytes as f64 / 1e6,
        nhits,
        secs,
        lines as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}
