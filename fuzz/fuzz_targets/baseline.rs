//! The baseline reader: a tollgate baseline or a SARIF log read back.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tollgate::engine::baseline::Baseline::from_text(std::path::Path::new("baseline.json"), &text);
});
