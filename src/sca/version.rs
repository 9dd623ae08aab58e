//! Version orderings per ecosystem: PEP 440 for PyPI, SemVer 2.0 for npm and crates.io (and for OSV ranges of
//! type `SEMVER` whatever the ecosystem). A version that does not parse is never compared: callers get `None`
//! and report it, so an unparseable version can never match (or miss) by accident.

use crate::sca::model::Ecosystem;
use std::cmp::Ordering;
use std::str::FromStr;

/// How an OSV range orders its events.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum RangeKind {
    /// The ecosystem's own ordering (PEP 440 for PyPI, SemVer for npm and crates.io).
    Ecosystem,
    /// SemVer 2.0 precedence.
    Semver,
    /// Git commits: not a version ordering; skipped by the matcher.
    Git,
}

/// A parsed version in one ordering. Versions of different orderings never compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Pep440(pep440_rs::Version),
    /// SemVer with build metadata removed (SemVer 2.0: build metadata does not take part in precedence).
    Semver(semver::Version),
}

impl Version {
    /// Compare two versions of the same ordering; `None` for different orderings.
    pub fn cmp_same(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::Semver(a), Version::Semver(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Parse `s` in the ordering an OSV range of `kind` uses for `eco`.
pub fn parse(eco: Ecosystem, kind: RangeKind, s: &str) -> Option<Version> {
    match (eco, kind) {
        (_, RangeKind::Git) => None,
        (Ecosystem::PyPI, RangeKind::Ecosystem) => parse_pep440(s).map(Version::Pep440),
        (Ecosystem::PyPI, RangeKind::Semver) => parse_semver_coerced(s).map(Version::Semver),
        (Ecosystem::Npm, _) => parse_npm(s).map(Version::Semver),
        (Ecosystem::CratesIo, _) => parse_semver(s).map(Version::Semver),
    }
}

/// PEP 440 (epochs, pre, post, dev and local segments; leading `v` and surrounding spaces are allowed by
/// the spec's normalisation rules).
pub fn parse_pep440(s: &str) -> Option<pep440_rs::Version> {
    pep440_rs::Version::from_str(s.trim()).ok()
}

/// Strict SemVer 2.0, build metadata dropped.
pub fn parse_semver(s: &str) -> Option<semver::Version> {
    let mut v = semver::Version::parse(s.trim()).ok()?;
    v.build = semver::BuildMetadata::EMPTY;
    Some(v)
}

/// npm versions: SemVer 2.0 after npm's own cleaning (`v1.2.3`, `=1.2.3`, surrounding spaces).
pub fn parse_npm(s: &str) -> Option<semver::Version> {
    let t = s.trim().trim_start_matches('=').trim_start();
    let t = t
        .strip_prefix('v')
        .or_else(|| t.strip_prefix('V'))
        .unwrap_or(t);
    parse_semver(t)
}

/// SemVer for a `SEMVER` range over non-SemVer version strings: `1.2` reads as `1.2.0`, `1` as `1.0.0`
/// (what osv.dev does when it coerces); anything else must be strict SemVer.
pub fn parse_semver_coerced(s: &str) -> Option<semver::Version> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    if let Some(v) = parse_semver(t) {
        return Some(v);
    }
    let (core, rest) = match t.find(['-', '+']) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut full = parts.join(".");
    for _ in parts.len()..3 {
        full.push_str(".0");
    }
    full.push_str(rest);
    parse_semver(&full)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_ascending(eco: Ecosystem, kind: RangeKind, list: &[&str]) {
        let parsed: Vec<Version> = list
            .iter()
            .map(|s| parse(eco, kind, s).unwrap_or_else(|| panic!("{s} does not parse")))
            .collect();
        for i in 0..parsed.len() {
            for j in 0..parsed.len() {
                let want = i.cmp(&j);
                assert_eq!(
                    parsed[i].cmp_same(&parsed[j]),
                    Some(want),
                    "{} vs {}",
                    list[i],
                    list[j]
                );
            }
        }
    }

    #[test]
    fn pep440_ordering_examples_from_the_spec() {
        // PEP 440, "Summary of permitted suffixes and relative ordering".
        assert_ascending(
            Ecosystem::PyPI,
            RangeKind::Ecosystem,
            &[
                "1.0.dev456",
                "1.0a1",
                "1.0a2.dev456",
                "1.0a12.dev456",
                "1.0a12",
                "1.0b1.dev456",
                "1.0b2",
                "1.0b2.post345.dev456",
                "1.0b2.post345",
                "1.0rc1.dev456",
                "1.0rc1",
                "1.0",
                "1.0+abc.5",
                "1.0+abc.7",
                "1.0+5",
                "1.0.post456.dev34",
                "1.0.post456",
                "1.1.dev1",
                "1.2",
                "1.10",
                "2!0.1",
            ],
        );
    }

    #[test]
    fn pep440_normalisation_and_equality() {
        let eq = |a: &str, b: &str| {
            let (a, b) = (parse_pep440(a).unwrap(), parse_pep440(b).unwrap());
            assert_eq!(a.cmp(&b), Ordering::Equal, "{a} == {b}");
        };
        eq("1.0", "1.0.0");
        eq("1.0", "v1.0");
        eq("1.0alpha1", "1.0a1");
        eq("1.0-post1", "1.0.post1");
        eq("1.0c1", "1.0rc1");
        eq("0!1.0", "1.0");
        assert!(parse_pep440("not a version").is_none());
        assert!(parse_pep440("1.0.x").is_none());
    }

    #[test]
    fn semver_ordering_from_the_spec() {
        // SemVer 2.0 section 11.
        let list = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "1.9.0",
            "1.10.0",
            "2.0.0-0",
            "2.0.0",
        ];
        assert_ascending(Ecosystem::Npm, RangeKind::Ecosystem, &list);
        assert_ascending(Ecosystem::CratesIo, RangeKind::Semver, &list);
    }

    #[test]
    fn npm_cleaning_and_build_metadata() {
        let v = |s| parse(Ecosystem::Npm, RangeKind::Ecosystem, s);
        assert_eq!(v("v1.2.3"), v("1.2.3"));
        assert_eq!(v("=1.2.3"), v("1.2.3"));
        assert_eq!(v(" 1.2.3 "), v("1.2.3"));
        assert_eq!(v("1.2.3+build.5"), v("1.2.3"));
        assert!(v("1.2").is_none());
        assert!(v("^1.2.3").is_none());
        assert!(v("latest").is_none());
        // crates.io is strict.
        assert!(parse(Ecosystem::CratesIo, RangeKind::Semver, "v1.2.3").is_none());
        // A SEMVER range over PyPI versions coerces short versions.
        assert_eq!(
            parse(Ecosystem::PyPI, RangeKind::Semver, "1.2"),
            Some(Version::Semver(semver::Version::new(1, 2, 0)))
        );
        assert!(parse(Ecosystem::PyPI, RangeKind::Git, "abc").is_none());
    }

    #[test]
    fn different_orderings_never_compare() {
        let a = parse(Ecosystem::PyPI, RangeKind::Ecosystem, "1.0").unwrap();
        let b = parse(Ecosystem::Npm, RangeKind::Ecosystem, "1.0.0").unwrap();
        assert_eq!(a.cmp_same(&b), None);
    }
}
