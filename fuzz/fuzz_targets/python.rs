//! The Python path on arbitrary bytes: tree-sitter parse, every built-in pattern rule and taint rule.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tollgate::sast::{new_parser, SastJob};

fn job() -> &'static SastJob {
    static JOB: OnceLock<SastJob> = OnceLock::new();
    JOB.get_or_init(|| SastJob::new(&tollgate::sast::Config::default(), &[]).expect("built-in rules load"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let j = job();
    let enabled = vec![true; j.loaded_rules().len()];
    let _ = j.scan_source(&mut new_parser(), "app.py", &text, &enabled);
});
