//! Every check has a fixture pair under fixtures/openapi/<check-id>/ whose `# expect: <id> <level>`
//! comments say which findings (id, level, file, line) the diff must report: exactly those.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tollgate::contract::{checks, diff_specs, Options, Side, Source, Spec, SunsetPolicy};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openapi")
}

type Expect = (String, String, &'static str, u32); // id, level, side, line

fn expected(text: &str, side: &'static str) -> BTreeSet<Expect> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(p) = rest.find("expect: ") {
            rest = &rest[p + 8..];
            let mut it = rest.split_whitespace();
            let id = it.next().unwrap().to_string();
            let level = it.next().unwrap().trim_end_matches('#').to_string();
            out.insert((id, level, side, i as u32 + 1));
        }
    }
    out
}

fn options(base_text: &str) -> Options {
    let mut o = Options::default();
    for line in base_text.lines() {
        if let Some(rest) = line.strip_prefix("# tollgate-test-options:") {
            for kv in rest.split_whitespace() {
                let (k, v) = kv.split_once('=').unwrap();
                match k {
                    "sunset-policy" => {
                        o.sunset_policy = if v == "sunset-date" {
                            SunsetPolicy::SunsetDate
                        } else {
                            SunsetPolicy::Deprecation
                        }
                    }
                    "min-sunset-days" => o.min_sunset_days = v.parse().unwrap(),
                    "require-version-bump" => o.require_version_bump = v == "true",
                    "today" => o.today = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").unwrap(),
                    _ => panic!("unknown option {k}"),
                }
            }
        }
    }
    o
}

fn run_pair(dir: &Path) -> (BTreeSet<Expect>, BTreeSet<Expect>) {
    let bt = std::fs::read_to_string(dir.join("base.yaml")).unwrap();
    let rt = std::fs::read_to_string(dir.join("revision.yaml")).unwrap();
    let mut want = expected(&bt, "base");
    want.extend(expected(&rt, "revision"));
    let load = |f: &str| Spec::load(Source::File(dir.join(f))).unwrap_or_else(|e| panic!("{e}"));
    let (b, r) = (load("base.yaml"), load("revision.yaml"));
    let got = diff_specs(&b, &r, &options(&bt))
        .into_iter()
        .map(|c| {
            let side = match c.side {
                Side::Base => "base",
                Side::Revision => "revision",
            };
            (c.id, c.level.as_str().to_string(), side, c.line)
        })
        .collect();
    (want, got)
}

#[test]
fn every_check_fixture_reports_exactly_its_expectations() {
    let mut failures = Vec::new();
    let mut n = 0;
    for c in checks::all() {
        let dir = fixtures().join(&c.id);
        if !dir.join("base.yaml").exists() {
            failures.push(format!("{}: no fixture pair", c.id));
            continue;
        }
        n += 1;
        let (want, got) = run_pair(&dir);
        if !want
            .iter()
            .any(|(id, lv, _, _)| *id == c.id && lv == c.level.as_str())
        {
            failures.push(format!(
                "{}: the fixture expects no finding of its own check at level {}",
                c.id, c.level
            ));
        }
        if want != got {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            failures.push(format!(
                "{}: missing {missing:?}, unexpected {extra:?}",
                c.id
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} fixtures fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= 600, "only {n} fixture pairs");
}

#[test]
fn every_fixture_against_itself_is_silent() {
    for c in checks::all() {
        let dir = fixtures().join(&c.id);
        for f in ["base.yaml", "revision.yaml"] {
            let p = dir.join(f);
            if !p.exists() {
                continue;
            }
            let a = Spec::load(Source::File(p.clone())).unwrap();
            let b = Spec::load(Source::File(p.clone())).unwrap();
            let changes = diff_specs(&a, &b, &Options::default());
            assert!(changes.is_empty(), "{}: {changes:?}", p.display());
        }
    }
}

#[test]
fn every_fixture_change_is_also_seen_in_reverse() {
    // the same pair read the other way round is a change too (no check is blind in one direction)
    let mut blind = Vec::new();
    for c in checks::all() {
        let dir = fixtures().join(&c.id);
        let load = |f: &str| Spec::load(Source::File(dir.join(f))).unwrap();
        let changes = diff_specs(
            &load("revision.yaml"),
            &load("base.yaml"),
            &Options::default(),
        );
        // the reverse of these is a correction (a valid value, a sunset date given again): nothing
        // to report
        let corrections = [
            "api-invalid-stability-level",
            "api-deprecated-sunset-parse",
            "sunset-deleted",
            "request-parameter-sunset-deleted",
            "request-parameter-sunset-parse",
            "webhook-invalid-stability-level",
            "webhook-deprecated-sunset-parse",
            "webhook-sunset-deleted",
        ];
        if changes.is_empty() && !corrections.contains(&c.id.as_str()) {
            blind.push(c.id.clone());
        }
    }
    assert!(
        blind.is_empty(),
        "no change found in reverse for: {blind:?}"
    );
}
