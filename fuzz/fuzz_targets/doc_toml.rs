//! The shared TOML reader (src/doc/toml.rs): the depth/size pre-check, then the toml crate.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate::doc::{toml, Limits};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = toml::from_str::<::toml::Value>(&text, &Limits::DEFAULT);
    let _ = toml::parse_table(&text, &Limits::DEFAULT);
});
