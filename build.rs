// Rule files are compiled in with `include_dir!`, which cargo does not track on stable: rebuild when they
// change.
#[path = "build/python_rules.rs"]
mod python_rules;
#[path = "build/secrets_rules.rs"]
mod secrets_rules;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=build");
    let manifest =
        std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    secrets_rules::generate(&manifest, &out);
    python_rules::generate(&manifest, &out);
}
