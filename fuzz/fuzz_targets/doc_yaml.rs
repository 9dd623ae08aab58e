//! The shared YAML reader (src/doc/yaml.rs): typed and text scalars, the lockfile fast path, typed reads.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate::doc::{yaml, Limits};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(docs) = yaml::parse_docs(&text, &Limits::DEFAULT, yaml::Scalars::Typed) {
        for d in &docs {
            let _ = d.pointer("/a/0/b");
            let _ = d.same(d);
        }
    }
    let _ = yaml::parse_docs_text(&text, &Limits::DEFAULT);
    let _ = yaml::from_str::<serde_json::Value>(&text);
});
