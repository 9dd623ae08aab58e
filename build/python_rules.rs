//! Build step for the SAST job: the built-in rules (`rules/python/*.yaml`) as one JSON document that the
//! binary reads at start-up instead of parsing 60 YAML files (about half of the job's start-up before).
//!
//! Nothing here decides whether a rule is valid: a file this step cannot read or parse is written as an
//! `error` entry, and the binary then loads that file's YAML itself, which reports the problem with its
//! line. The binary still checks everything else (ids, kinds, patterns, taint sections).

use serde_json::{json, Value};
use std::path::Path;

pub fn generate(manifest_dir: &Path, out_dir: &Path) {
    let dir = manifest_dir.join("rules/python");
    let names = crate::yaml_files(&dir);
    let entries: Vec<Value> = names
        .iter()
        .map(|name| match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => match serde_norway::from_str::<Value>(&text) {
                Ok(rule) => json!({"file": name, "rule": rule}),
                Err(e) => json!({"file": name, "error": e.to_string()}),
            },
            Err(e) => json!({"file": name, "error": e.to_string()}),
        })
        .collect();
    let out = serde_json::to_string(&entries).expect("JSON of JSON values");
    std::fs::write(out_dir.join("python_rules.json"), out)
        .expect("write OUT_DIR/python_rules.json");
}
