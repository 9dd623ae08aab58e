//! Every SCA manifest parser: the first byte picks the file name, the rest is the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "requirements.txt",
    "package.json",
    "pyproject.toml",
    "Pipfile",
    "package-lock.json",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "yarn.lock",
    "pnpm-lock.yaml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[sel as usize % NAMES.len()];
    let text = String::from_utf8_lossy(rest);
    let _ = tollgate::sca::manifests::fuzz_parse(name, &text);
});
