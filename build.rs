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

/// The names of the `.yaml`/`.yml` files of a rule folder, sorted (none when it cannot be read: the binary
/// then reports the missing rules itself).
fn yaml_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
