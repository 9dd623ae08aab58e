//! The rule loaders: a secrets rule file and a SAST rule file (pattern and taint).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tollgate::secrets::rules::parse_rule("SEC-FUZZ.yaml", "SEC-FUZZ", &text);
    let _ = tollgate::sast::rules::parse_rule(&text, std::path::Path::new("PY-FUZZ.yaml"), None);
});
