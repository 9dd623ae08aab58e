//! Tests of OSV range matching (src/sca/matching.rs): events, ecosystems, fixed versions, grouping.
use super::*;
use crate::sca::osv::parse_record;

fn adv(eco: Ecosystem, json: &str) -> Advisory {
    parse_record(eco, json.as_bytes()).unwrap().advisory
}

fn affected(eco: Ecosystem, a: &Advisory, v: &str) -> bool {
    let name = a.affected[0].name.clone();
    !match_package(eco, &name, &Installed::new(eco, v), [a])
        .groups
        .is_empty()
}

#[test]
fn events_table() {
    let a = adv(
        Ecosystem::PyPI,
        r#"{"id":"T-1","affected":[{"package":{"ecosystem":"PyPI","name":"p"},"ranges":[
          {"type":"ECOSYSTEM","events":[{"fixed":"1.5"},{"introduced":"1.0"},{"introduced":"2.0"},{"last_affected":"2.3"},{"introduced":"3.0a1"},{"limit":"3.5"}]}]}]}"#,
    );
    for (v, want) in [
        ("0.9", false),
        ("1.0", true),
        ("1.4.9", true),
        ("1.5", false),
        ("1.5.post1", false),
        ("1.9", false),
        ("2.0", true),
        ("2.3", true),
        ("2.3.post1", false),
        ("2.4", false),
        ("3.0a1", true),
        ("3.4", true),
        ("3.5", false),
        ("9.0", false),
    ] {
        assert_eq!(affected(Ecosystem::PyPI, &a, v), want, "{v}");
    }
}

#[test]
fn introduced_zero_and_git_ranges_and_versions() {
    let a = adv(
        Ecosystem::Npm,
        r#"{"id":"T-2","affected":[{"package":{"ecosystem":"npm","name":"q"},"ranges":[
          {"type":"GIT","repo":"https://x","events":[{"introduced":"0"},{"fixed":"abcdef"}]},
          {"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}],
          "versions":["2.0.0"]}]}"#,
    );
    assert!(affected(Ecosystem::Npm, &a, "0.0.1"));
    assert!(affected(Ecosystem::Npm, &a, "1.2.3-beta.1"));
    assert!(!affected(Ecosystem::Npm, &a, "1.2.3"));
    assert!(affected(Ecosystem::Npm, &a, "2.0.0"));
    assert!(!affected(Ecosystem::Npm, &a, "2.0.1"));
}

#[test]
fn unparseable_event_skips_only_that_range() {
    let a = adv(
        Ecosystem::PyPI,
        r#"{"id":"T-3","affected":[{"package":{"ecosystem":"PyPI","name":"r"},"ranges":[
          {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not.a.version!"}]},
          {"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.1"}]}]}]}"#,
    );
    let m = match_package(
        Ecosystem::PyPI,
        "r",
        &Installed::new(Ecosystem::PyPI, "1.0"),
        [&a],
    );
    assert!(m.groups.is_empty());
    assert_eq!(m.issues.len(), 1, "{:?}", m.issues);
    assert!(affected(Ecosystem::PyPI, &a, "2.0.5"));
}

#[test]
fn aliases_group_and_fixed_versions() {
    let a = adv(
        Ecosystem::PyPI,
        r#"{"id":"PYSEC-1","aliases":["CVE-2020-1","GHSA-aaaa-bbbb-cccc"],"affected":[{"package":{"ecosystem":"PyPI","name":"s"},"ranges":[
          {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0.1"},{"introduced":"1.1"},{"fixed":"1.1.3"}]}]}]}"#,
    );
    let b = adv(
        Ecosystem::PyPI,
        r#"{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2020-1"],"affected":[{"package":{"ecosystem":"PyPI","name":"s"},"ranges":[
          {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0.1"}]}]}]}"#,
    );
    let c = adv(
        Ecosystem::PyPI,
        r#"{"id":"PYSEC-2","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
          "affected":[{"package":{"ecosystem":"PyPI","name":"s"},"ranges":[
          {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}]}]}"#,
    );
    let m = match_package(
        Ecosystem::PyPI,
        "s",
        &Installed::new(Ecosystem::PyPI, "0.9"),
        [&a, &b, &c],
    );
    assert_eq!(m.groups.len(), 2);
    assert_eq!(m.groups[0].canonical, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(m.groups[0].aliases, vec!["CVE-2020-1", "PYSEC-1"]);
    assert_eq!(m.groups[0].next_fixed.as_deref(), Some("1.0.1"));
    assert_eq!(m.groups[0].severity, Severity::Medium);
    assert_eq!(m.groups[1].canonical, "PYSEC-2");
    assert_eq!(m.groups[1].severity, Severity::Critical);
    assert_eq!(m.groups[1].cvss_score, Some(9.8));
    // 1.0.1 and 1.1.3 still have PYSEC-2; 1.2 fixes both.
    assert_eq!(m.fixed_overall.as_deref(), Some("1.2"));
    // At 1.1 the group's next fix is 1.1.3, not 1.0.1.
    let m = match_package(
        Ecosystem::PyPI,
        "s",
        &Installed::new(Ecosystem::PyPI, "1.1"),
        [&a],
    );
    assert_eq!(m.groups[0].next_fixed.as_deref(), Some("1.1.3"));
    assert_eq!(m.groups[0].fixed, vec!["1.0.1", "1.1.3"]);
}

#[test]
fn listed_versions_compare_as_versions() {
    let v = |s| Installed::new(Ecosystem::PyPI, s);
    assert_eq!(release_key("v1.2.0rc1"), "1.2");
    assert_eq!(release_key("1.02.0"), "1.2");
    assert_eq!(release_key("1.10"), "1.10");
    assert_eq!(release_key("0.0"), "0");
    assert!(listed_equal(Ecosystem::PyPI, "2.2", &v("2.2.0")));
    assert!(listed_equal(Ecosystem::PyPI, "1.01", &v("1.1")));
    assert!(listed_equal(Ecosystem::PyPI, "1.0a1", &v("1.0.0alpha1")));
    assert!(!listed_equal(Ecosystem::PyPI, "2.2.1", &v("2.2.10")));
    assert!(!listed_equal(Ecosystem::PyPI, "2.2", &v("2.2.post1")));
    let n = |s| Installed::new(Ecosystem::Npm, s);
    assert!(listed_equal(Ecosystem::Npm, "1.0.0", &n("v1.0.0")));
    assert!(!listed_equal(Ecosystem::Npm, "1.0.0", &n("1.0.0-rc.1")));
}

#[test]
fn malicious_package_records_are_critical() {
    let a = adv(
        Ecosystem::Npm,
        r#"{"id":"MAL-2099-1","summary":"Malicious code in evilpkg (npm)","affected":[{"package":{"ecosystem":"npm","name":"evilpkg"},
          "ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
    );
    let m = match_package(
        Ecosystem::Npm,
        "evilpkg",
        &Installed::new(Ecosystem::Npm, "1.0.0"),
        [&a],
    );
    assert_eq!(m.groups[0].severity, Severity::Critical);
    assert_eq!(m.groups[0].next_fixed, None);
}

#[test]
fn canonical_preference() {
    assert_eq!(canonical_id(["CVE-1", "PYSEC-9", "GHSA-z"]), Some("GHSA-z"));
    assert_eq!(
        canonical_id(["CVE-1", "RUSTSEC-2020-1"]),
        Some("RUSTSEC-2020-1")
    );
    assert_eq!(canonical_id(["OSV-1", "CVE-1"]), Some("CVE-1"));
}

#[test]
fn cvss_v4_and_word_severity() {
    assert!(
        cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap()
            > 9.0
    );
    assert_eq!(cvss_score("garbage"), None);
}
