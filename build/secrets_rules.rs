//! Build step for the secrets job: the built-in rules (`rules/secrets/*.yaml`) as one JSON document that
//! the binary reads at start-up instead of parsing 300 YAML files, with each regex rule's first positive
//! example already redacted for its documentation (so listing the rules compiles no regex).
//!
//! Nothing here decides whether a rule is valid: a file this step cannot read, parse or compile is written
//! as an `error` entry, and the binary then loads the YAML itself, which reports the problem with its line.

use serde_json::{json, Value};
use std::path::Path;

/// Must match `REGEX_SIZE_LIMIT` and `DFA_SIZE_LIMIT` in `src/secrets/rules/mod.rs`.
const SIZE_LIMIT: usize = 64 << 20;

pub fn generate(manifest_dir: &Path, out_dir: &Path) {
    let dir = manifest_dir.join("rules/secrets");
    let names = crate::yaml_files(&dir);
    let entries: Vec<Value> = names
        .iter()
        .map(|name| match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => entry(name, &text),
            Err(e) => json!({"file": name, "error": e.to_string()}),
        })
        .collect();
    let out = serde_json::to_string(&entries).expect("JSON of JSON values");
    std::fs::write(out_dir.join("secrets_rules.json"), out)
        .expect("write OUT_DIR/secrets_rules.json");
}

fn entry(name: &str, text: &str) -> Value {
    let fail = |msg: String| json!({"file": name, "error": msg});
    let rule: Value = match serde_norway::from_str(text) {
        Ok(v) => v,
        Err(e) => return fail(e.to_string()),
    };
    let allow = rule
        .pointer("/allowlist/regexes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for a in allow {
        if let Err(e) = compile(a.as_str().unwrap_or("")) {
            return fail(e);
        }
    }
    let mut example = Value::Null;
    if let Some(pattern) = rule.get("regex").and_then(Value::as_str) {
        let re = match compile(pattern) {
            Ok(re) => re,
            Err(e) => return fail(e),
        };
        let first = rule.pointer("/examples/positive/0");
        let text = first.and_then(|ex| ex.as_str().or_else(|| ex.get("text")?.as_str()));
        if let Some(t) = text {
            example = Value::String(redact_example(&re, t));
        }
    }
    json!({"file": name, "rule": rule, "example": example})
}

/// As `compile_regex` in `src/secrets/rules/mod.rs`: ASCII classes where the pattern allows it.
fn compile(pattern: &str) -> Result<regex::bytes::Regex, String> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(unicode)
            .multi_line(true)
            .crlf(true)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
    };
    build(false)
        .or_else(|_| build(true))
        .map_err(|e| e.to_string())
}

/// As `redact_example` in `src/secrets/rules/mod.rs` (a test there checks that both agree).
fn redact_example(re: &regex::bytes::Regex, example: &str) -> String {
    let text = example.trim_end();
    let group = match re.capture_names().position(|n| n == Some("secret")) {
        Some(i) => i,
        None if re.captures_len() > 1 => 1,
        None => 0,
    };
    let mut out = text.to_string();
    for caps in re.captures_iter(text.as_bytes()) {
        if let Some(m) = caps.get(group).or_else(|| caps.get(0)) {
            let s = String::from_utf8_lossy(m.as_bytes()).into_owned();
            if !s.is_empty() {
                out = out.replace(&s, &redact(&s));
            }
        }
    }
    out
}

/// As `crate::text::redact`.
fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}****")
}
