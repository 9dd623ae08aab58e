//! The shared JSON reader (src/doc/json.rs) and the typed JSON read on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate::doc::{json, Limits};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(n) = json::parse(&text, &Limits::DEFAULT) {
        let mut s = String::new();
        n.write_canonical(&mut s, 8);
        let _ = n.to_json();
    }
    let _ = json::from_str::<serde_json::Value>(&text, &Limits::DEFAULT);
    let _ = tollgate::doc::parse(&text, &Limits::DEFAULT);
});
