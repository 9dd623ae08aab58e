//! The requirement-line parser (requirements.txt / constraints, PEP 508 lines, options, URLs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tollgate::sca::manifests::fuzz_parse("requirements.txt", &text);
});
