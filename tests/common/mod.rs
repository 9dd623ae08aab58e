//! Helpers shared by the integration tests: copying a fixture tree, and a scan result as SARIF.
#![allow(dead_code)] // each test crate uses what it needs

use std::path::Path;
use tollgate::engine::ScanResult;
use tollgate::gate::{self, GatePolicy};
use tollgate::report::{self, Format, Report};

/// Copy the tree at `from` to `to` (made if missing).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A result as SARIF, with the default gate policy, no category and only the rules it uses.
pub fn sarif(result: &ScanResult) -> String {
    let verdict = gate::evaluate(&GatePolicy::default(), result);
    report::render(
        &Report {
            result,
            verdict: &verdict,
            category: None,
            all_rules: false,
        },
        Format::Sarif,
        false,
    )
}
