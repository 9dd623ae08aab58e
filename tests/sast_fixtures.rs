//! Rule fixtures with vulnerable and safe twins (`fixtures/python/pattern/*.py`): every line that must be
//! reported carries `# expect: RULE-ID[, RULE-ID]`; the findings of ALL built-in rules (pattern and taint,
//! after deferral) must be exactly those lines and rules, so safe twins stay silent. A line
//! `# fixture-ignores: RULE-ID, ...` leaves rules out that the fixture is not about (`PY-PARTIAL-PATH` on
//! every `["sh", ...]`).

use std::collections::BTreeSet;
use std::path::Path;
use tollgate::sast::{new_parser, Config, SastJob};

fn expectations(text: &str) -> BTreeSet<(u32, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, ids)) = line.split_once("# expect:") {
            for id in ids.split(',') {
                out.insert((i as u32 + 1, id.trim().to_string()));
            }
        }
    }
    out
}

fn check(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/python/pattern")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let want = expectations(&text);
    let ignored: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# fixture-ignores:"))
        .flat_map(|ids| ids.split(','))
        .map(|id| id.trim().to_string())
        .collect();
    assert!(want.len() >= 4, "{name}: only {} expectations", want.len());
    let job = SastJob::new(&Config::default(), &[]).unwrap();
    let enabled = vec![true; job.loaded_rules().len()];
    let mut parser = new_parser();
    let (findings, notes) = job.scan_source(&mut parser, name, &text, &enabled);
    assert!(notes.is_empty(), "{name}: {notes:#?}");
    let got: BTreeSet<(u32, String)> = findings
        .iter()
        .filter(|f| !ignored.contains(&f.rule_id))
        .map(|f| (f.location.start_line, f.rule_id.clone()))
        .collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: missing {missing:?}, unexpected {extra:?}"
    );
}

macro_rules! fixture {
    ($($test:ident => $file:literal),* $(,)?) => {
        $(#[test] fn $test() { check($file); })*
    };
}

fixture! {
    xxe_as_python_behaves => "xxe.py",
    shell_through_argv_lists => "shell_argv.py",
    sql_outside_handlers_and_through_drivers => "sql_drivers.py",
    checked_input_stays_silent => "checked_input.py",
    ssrf_from_request => "ssrf.py",
    templates_and_safe_html => "templates.py",
    sources_beyond_flask_django_fastapi => "sources_more.py",
    crypto_and_tls => "crypto_tls.py",
}
