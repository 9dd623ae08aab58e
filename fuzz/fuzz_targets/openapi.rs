//! The OpenAPI loader, its `$ref` resolver (local refs) and the differ, on one document diffed with itself
//! and with a fixed small one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate::contract::{diff_specs, Options, Source, Spec};

const SMALL: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {description: ok}\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let load = |t: &str| {
        Spec::from_text(
            Source::Text {
                name: "api.yaml".into(),
                text: t.to_string(),
            },
            "api.yaml".into(),
            t,
        )
    };
    if let Ok(spec) = load(&text) {
        let opts = Options::default();
        let _ = diff_specs(&spec, &spec, &opts);
        if let Ok(small) = load(SMALL) {
            let _ = diff_specs(&small, &spec, &opts);
            let _ = diff_specs(&spec, &small, &opts);
        }
    }
});
