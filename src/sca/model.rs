//! What the manifest parsers hand to the matcher. Parsers (`manifests/`) know file formats; the matcher
//! (`osv/`, `matching`) knows advisories; this is all they share.

use serde::{Deserialize, Serialize};

/// An OSV ecosystem name, spelled as OSV spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    #[serde(rename = "PyPI")]
    PyPI,
    #[serde(rename = "npm")]
    Npm,
    #[serde(rename = "crates.io")]
    CratesIo,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 3] = [Ecosystem::PyPI, Ecosystem::Npm, Ecosystem::CratesIo];

    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
        }
    }
}

/// How a dependency's version is known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resolved {
    /// One exact version (`==1.2.3`, a lockfile entry, an exact npm version).
    Exact { version: String },
    /// Only a range is known (`>=1.0`, `^4.17.0`): reported as unpinned, never matched as a guess.
    Unpinned { spec: String },
    /// Not a registry package (VCS, URL, local path, `-e`, link, git source): skipped with a reason.
    Skipped { reason: String },
}

/// One dependency declared in one manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    /// The name normalised for lookups (PEP 503 for PyPI: lowercase, runs of `-_.` become `-`; npm and
    /// crates.io: as written).
    pub name: String,
    /// The name as written in the manifest (for messages).
    pub display_name: String,
    pub resolved: Resolved,
    /// The manifest that declares it, relative to the scan root with `/` separators.
    pub manifest: String,
    /// 1-based line of the declaration in `manifest` (for a lockfile: the entry's line).
    pub line: u32,
    pub column: u32,
    /// Dev / test only dependency (npm dev flag, poetry dev group, Pipfile develop ...).
    pub dev: bool,
    /// Pulled in by another package rather than declared directly (lockfile entries not in the manifest).
    pub transitive: bool,
}
